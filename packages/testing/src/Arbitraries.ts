/**
 * fast-check arbitraries for simulation scenarios, and `property`: run a
 * scenario property whose failure report carries the failing scenario's
 * timeline.
 *
 * `scenario(options)` generates valid scenarios (every one decodes with
 * `Scenario.decode`): workqueues `q0, q1, …`, works `w0, w1, …`, each work on
 * a workqueue and CPU that exist, with burn/sleep steps and a queue time.
 * Every knob is a range with a small default. Scenarios shrink towards fewer
 * CPUs, workqueues, works and steps, no flags, shorter steps and queue time
 * 0; names are given after shrinking, so a shrunk counterexample reads
 * `w0, w1` on `q0`, not `w7, w13` on `q4`.
 *
 * `property(arbitrary, checker, options)` runs each scenario with
 * `Simulation.runDetailed` under a policy and checks it with an `Invariants`
 * checker. A violation, a deadlock, a step-limit overrun or an invalid
 * scenario fails the property with a `ScenarioFailure` whose message holds
 * the violation, the policy, the scenario as JSON and the formatted timeline
 * (`Trace.format`, queue events included). `assert` runs it with `fc.assert`
 * so that the thrown error's message holds that report under the shrunk
 * counterexample; `check` runs it with `fc.check`, to assert that a policy
 * fails. A run that deadlocks has no timeline (the simulation keeps none).
 *
 * Invariants: generation is deterministic for a seed; every generated
 * scenario is valid; `BH` is never generated (BH items must not sleep) nor
 * `SYSFS` or `PERCPU` (they cannot combine with `ORDERED` and `UNBOUND`).
 *
 * Schedule exploration: `schedule` draws a `Simulation.Schedule`,
 * `propertyWithSchedules` runs scenarios under drawn schedules, and
 * `exhaustive` runs one small scenario under every schedule within a
 * deviation bound (an Effect; `propertyExhaustive` is its fast-check form
 * over generated scenarios). `everything` turns every feature of the generator on
 * (all flags, operations, flush steps). See docs/guides/exploration.md.
 *
 * See docs/guides/testing.md.
 *
 * @since 0.1.0
 */
import * as Cause from "effect/Cause"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Option from "effect/Option"
import * as Schema from "effect/Schema"
import fc from "fast-check"
import type { Policy } from "@cmwq/core"
import { type Checker, InvariantViolation, type Offender } from "./Invariants.js"
import * as ScenarioModule from "./Scenario.js"
import * as Simulation from "./Simulation.js"
import * as Trace from "./Trace.js"
import { prefixFirst, trimZeros } from "./internal/prefixShrink.js"
import * as VirtualTime from "./VirtualTime.js"

/**
 * An inclusive range of integers.
 *
 * @since 0.1.0
 * @category models
 */
export interface Range {
  readonly min: number
  readonly max: number
}

/**
 * The flags `scenario` may put on a workqueue.
 *
 * @since 0.1.0
 * @category models
 */
export type ScenarioFlag = "HIGHPRI" | "CPU_INTENSIVE" | "UNBOUND" | "ORDERED" | "MEM_RECLAIM" | "FREEZABLE"

/**
 * The knobs of `scenario`. Every field is optional; a number means "exactly
 * that many".
 *
 * @since 0.1.0
 * @category models
 */
export interface ScenarioOptions {
  /** logical CPUs (default 1..2) */
  readonly cpus?: Range | number | undefined
  /** workqueues (default 1..3) */
  readonly workqueues?: Range | number | undefined
  /** the flags a workqueue may get, each independently (default HIGHPRI, CPU_INTENSIVE, UNBOUND, ORDERED) */
  readonly flags?: ReadonlyArray<ScenarioFlag> | undefined
  /** maxActive of non-ordered workqueues; 0 is the default, 1024 (default 0..3) */
  readonly maxActive?: Range | number | undefined
  /** work items (default 1..6) */
  readonly works?: Range | number | undefined
  /** steps per work item (default 1..4) */
  readonly steps?: Range | number | undefined
  /** ms of a burn step (default 1..10) */
  readonly burn?: Range | number | undefined
  /** ms of a sleep step (default 1..20) */
  readonly sleep?: Range | number | undefined
  /** queue time in ms (default 0..20) */
  readonly at?: Range | number | undefined
  /**
   * operations from outside the items (`Scenario.Operation`; default none), at
   * times drawn from `at`; a `freeze` comes with its `thaw`, a `sleep` later
   */
  readonly operations?: Range | number | undefined
  /** the kinds of operation drawn (default all: `operationKinds`) */
  readonly operationKinds?: ReadonlyArray<OperationKind> | undefined
  /** may a step flush a workqueue from inside its item (`{ flush: "q1" }`; default false) */
  readonly flushSteps?: boolean | undefined
}

/**
 * The kind of a scenario operation (`Scenario.Operation`'s `do`).
 *
 * @since 0.1.0
 * @category models
 */
export type OperationKind = ScenarioModule.Operation["do"]

/**
 * Every operation kind, the default of `ScenarioOptions.operationKinds`.
 *
 * @example
 * ```ts
 * import { Arbitraries } from "@cmwq/testing"
 *
 * // operations, but no cancel
 * const options = { operations: { min: 0, max: 6 }, operationKinds: Arbitraries.operationKinds.filter((k) => k !== "cancel") }
 * ```
 *
 * @since 0.1.0
 * @category constants
 */
export const operationKinds: ReadonlyArray<OperationKind> = [
  "flush",
  "freeze",
  "thaw",
  "applyAttrs",
  "cancel",
  "setMaxActive"
]

/**
 * Every feature on, for exploration: all flags a workqueue may get
 * (`FREEZABLE` and `MEM_RECLAIM` too), 0..8 operations of every kind, flush
 * steps inside items, and the default sizes otherwise. Nothing in it aims
 * at a particular bug.
 *
 * @example
 * ```ts
 * import fc from "fast-check"
 * import { Arbitraries } from "@cmwq/testing"
 *
 * const scenarios = Arbitraries.scenario(Arbitraries.everything)
 * ```
 *
 * @since 0.1.0
 * @category constants
 */
export const everything: ScenarioOptions = {
  flags: ["HIGHPRI", "CPU_INTENSIVE", "UNBOUND", "ORDERED", "MEM_RECLAIM", "FREEZABLE"],
  operations: { min: 0, max: 8 },
  operationKinds,
  flushSteps: true
}

/**
 * The defaults of `ScenarioOptions`: small scenarios, which simulate fast and
 * read well when they fail.
 *
 * @example
 * ```ts
 * import { Arbitraries } from "@cmwq/testing"
 *
 * // twice the default number of works per scenario
 * const bigger = Arbitraries.scenario({ works: { min: Arbitraries.defaults.works.min, max: 2 * Arbitraries.defaults.works.max } })
 * ```
 *
 * @since 0.1.0
 * @category constants
 */
export const defaults: {
  readonly cpus: Range
  readonly workqueues: Range
  readonly flags: ReadonlyArray<ScenarioFlag>
  readonly maxActive: Range
  readonly works: Range
  readonly steps: Range
  readonly burn: Range
  readonly sleep: Range
  readonly at: Range
} = {
  cpus: { min: 1, max: 2 },
  workqueues: { min: 1, max: 3 },
  flags: ["HIGHPRI", "CPU_INTENSIVE", "UNBOUND", "ORDERED"],
  maxActive: { min: 0, max: 3 },
  works: { min: 1, max: 6 },
  steps: { min: 1, max: 4 },
  burn: { min: 1, max: 10 },
  sleep: { min: 1, max: 20 },
  at: { min: 0, max: 20 }
}

const range = (value: Range | number | undefined, fallback: Range, name: string, floor: number): Range => {
  const r = value === undefined ? fallback : typeof value === "number" ? { min: value, max: value } : value
  if (!Number.isInteger(r.min) || !Number.isInteger(r.max) || r.min < floor || r.max < r.min) {
    throw new RangeError(`Arbitraries.scenario: ${name} must be integers with ${floor} <= min <= max`)
  }
  return r
}

const int = (r: Range): fc.Arbitrary<number> => fc.integer({ min: r.min, max: r.max })

/**
 * One step: `{ burn: ms }` or `{ sleep: ms }` (shrinks towards a burn).
 *
 * @example
 * ```ts
 * import fc from "fast-check"
 * import { Arbitraries } from "@cmwq/testing"
 *
 * const cpuBound = fc.array(Arbitraries.step({ burn: { min: 1, max: 10 }, sleep: 0 }), { minLength: 1, maxLength: 4 })
 * ```
 *
 * @since 0.1.0
 * @category constructors
 */
export const step = (
  options: { readonly burn?: Range | number | undefined; readonly sleep?: Range | number | undefined } = {}
): fc.Arbitrary<ScenarioModule.Step> => {
  const burn = range(options.burn, defaults.burn, "burn", 0)
  const sleep = range(options.sleep, defaults.sleep, "sleep", 0)
  return fc.oneof(
    int(burn).map((ms): ScenarioModule.Step => ({ burn: ms })),
    int(sleep).map((ms): ScenarioModule.Step => ({ sleep: ms }))
  )
}

/**
 * Valid scenarios with the given knobs; see the module header.
 *
 * @example
 * ```ts
 * import fc from "fast-check"
 * import { Arbitraries } from "@cmwq/testing"
 *
 * const [one] = fc.sample(Arbitraries.scenario({ cpus: 1, works: { min: 2, max: 4 } }), { seed: 1, numRuns: 1 })
 * // { cpus: 1, workqueues: [{ name: "q0", ... }], works: [{ name: "w0", workqueue: "q0", steps: [...] }, ...] }
 * ```
 *
 * @since 0.1.0
 * @category constructors
 */
export const scenario = (options: ScenarioOptions = {}): fc.Arbitrary<ScenarioModule.Scenario> => {
  const cpus = range(options.cpus, defaults.cpus, "cpus", 1)
  const workqueues = range(options.workqueues, defaults.workqueues, "workqueues", 1)
  const maxActive = range(options.maxActive, defaults.maxActive, "maxActive", 0)
  const works = range(options.works, defaults.works, "works", 0)
  const steps = range(options.steps, defaults.steps, "steps", 0)
  const at = range(options.at, defaults.at, "at", 0)
  const flags = options.flags ?? defaults.flags
  const operations = range(options.operations, { min: 0, max: 0 }, "operations", 0)
  const kinds = options.operationKinds ?? operationKinds
  const scopes = ["system", "cpu", "cache", "default"] as const
  const rawStep: fc.Arbitrary<ScenarioModule.Step | { readonly flushIndex: number }> = options.flushSteps === true
    ? fc.oneof(step(options), fc.nat({ max: workqueues.max - 1 }).map((flushIndex) => ({ flushIndex })))
    : step(options)
  const opArb = fc.record({
    kind: kinds.length === 0 ? fc.constant<OperationKind>("flush") : fc.constantFrom(...kinds),
    at: int(at),
    workqueue: fc.nat({ max: workqueues.max - 1 }),
    work: fc.nat({ max: Math.max(0, works.max - 1) }),
    affinityScope: fc.constantFrom(...scopes),
    maxActive: fc.integer({ min: 1, max: 4 }),
    // a freeze comes with its thaw this much later: a freeze/thaw cycle (a lone
    // thaw is its own kind)
    frozenFor: int(range(options.sleep, defaults.sleep, "sleep", 0))
  })
  const wqArb = fc.record({
    flags: flags.length === 0 ? fc.constant([] as Array<ScenarioFlag>) : fc.subarray([...flags]),
    maxActive: int(maxActive)
  })
  const workArb = fc.record({
    workqueue: fc.nat({ max: workqueues.max - 1 }),
    cpu: fc.nat({ max: cpus.max - 1 }),
    at: int(at),
    steps: fc.array(rawStep, { minLength: steps.min, maxLength: steps.max })
  })
  return fc.record({
    cpus: int(cpus),
    workqueues: fc.array(wqArb, { minLength: workqueues.min, maxLength: workqueues.max }),
    works: fc.array(workArb, { minLength: works.min, maxLength: works.max }),
    operations: operations.max === 0
      ? fc.constant<Array<typeof opArb extends fc.Arbitrary<infer O> ? O : never>>([])
      : fc.array(opArb, { minLength: operations.min, maxLength: operations.max })
  }).map(({ cpus, operations, workqueues, works }): ScenarioModule.Scenario => ({
    cpus,
    workqueues: workqueues.map((wq, i) => {
      const ordered = wq.flags.includes("ORDERED")
      return {
        name: `q${i}`,
        ...(wq.flags.length > 0 ? { flags: wq.flags } : {}),
        ...(ordered || wq.maxActive === 0 ? {} : { maxActive: wq.maxActive })
      }
    }),
    works: works.map((w, i) => ({
      name: `w${i}`,
      workqueue: `q${w.workqueue % workqueues.length}`,
      ...(cpus > 1 ? { cpu: w.cpu % cpus } : {}),
      ...(w.at > 0 ? { at: w.at } : {}),
      steps: w.steps.map((st) => "flushIndex" in st ? { flush: `q${st.flushIndex % workqueues.length}` } : st)
    })),
    ...(operations.length > 0
      ? {
        operations: operations.flatMap((op): Array<ScenarioModule.Operation> => {
          const at = op.at > 0 ? { at: op.at } : {}
          const workqueue = `q${op.workqueue % workqueues.length}`
          switch (op.kind) {
            case "flush":
              return [{ do: "flush", workqueue, ...at }]
            case "freeze":
              return [{ do: "freeze", ...at }, { do: "thaw", at: op.at + op.frozenFor }]
            case "thaw":
              return [{ do: "thaw", ...at }]
            case "applyAttrs":
              return [{ do: "applyAttrs", workqueue, affinityScope: op.affinityScope, ...at }]
            case "cancel":
              return works.length === 0 ? [] : [{ do: "cancel", work: `w${op.work % works.length}`, ...at }]
            case "setMaxActive":
              return [{ do: "setMaxActive", workqueue, maxActive: op.maxActive, ...at }]
          }
        })
      }
      : {})
  }))
}

/**
 * Options of `property` and `checkScenario`.
 *
 * @since 0.1.0
 * @category models
 */
export interface PropertyOptions {
  /** the policy under test (default `Policy.kernel`) */
  readonly policy?: Policy.Policy | undefined
  /** the simulation's step budget (default: `Simulation`'s) */
  readonly maxSteps?: number | undefined
  /** the schedule to run under (default: first in, first out); `propertyWithSchedules` draws one */
  readonly schedule?: Simulation.Schedule | undefined
}

/**
 * A scenario failed a property: `reason` is the invariant violation or the
 * simulation's own failure; `message` holds the reason, the policy, the
 * scenario as JSON and the timeline.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { Arbitraries, Invariants } from "@cmwq/testing"
 *
 * const program = Arbitraries.checkScenario(
 *   { cpus: 1, workqueues: [{ name: "q0" }], works: [{ name: "w0", workqueue: "q0", steps: [{ burn: 1 }] }] },
 *   Invariants.all
 * ).pipe(Effect.catchTag("ScenarioFailure", (f) => Effect.logError(f.timeline)))
 * ```
 *
 * @since 0.1.0
 * @category errors
 */
export class ScenarioFailure extends Schema.TaggedError<ScenarioFailure>("@cmwq/testing/ScenarioFailure")(
  "ScenarioFailure",
  {
    reason: Schema.Union(
      InvariantViolation,
      ScenarioModule.InvalidScenario,
      Simulation.InvalidSchedule,
      VirtualTime.Deadlock,
      VirtualTime.StepLimit
    ),
    scenario: Schema.Unknown,
    /** `Trace.format` of the run, queue events included ("" if the run did not complete) */
    timeline: Schema.String,
    message: Schema.String
  }
) {}

/** a quiescent record is large: name it by its time (the violation's message has the details) */
const describeOffender = (event: Offender): string =>
  "pools" in event ? `the quiescent record at ${event.t}` : JSON.stringify(event)

const report = (
  reason: ScenarioFailure["reason"],
  scenario: unknown,
  policy: string,
  timeline: string,
  schedule?: Simulation.Schedule
): ScenarioFailure => {
  const headline = reason._tag === "InvariantViolation"
    ? `invariant ${reason.invariant} violated: ${reason.message}\noffending: ${describeOffender(reason.event)}`
    : `the simulation failed (${reason._tag}): ${reason.message}`
  const message = [
    headline,
    `policy: ${policy}`,
    `scenario: ${JSON.stringify(scenario)}`,
    ...(schedule !== undefined
      ? [`schedule: ${JSON.stringify(schedule)} (Simulation.run(scenario, { schedule }) replays it)`]
      : []),
    timeline === "" ? "timeline: none (the run did not complete)" : `timeline:\n${timeline}`
  ].join("\n")
  return new ScenarioFailure({ reason, scenario, timeline, message })
}

/**
 * Simulate `scenario` under the policy and check it: the run's `Detailed`,
 * or a `ScenarioFailure` carrying the report.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { Arbitraries, Invariants } from "@cmwq/testing"
 *
 * // replay a counterexample that fast-check printed
 * const replay = Arbitraries.checkScenario(
 *   { cpus: 1, workqueues: [{ name: "q0", maxActive: 1 }], works: [{ name: "w0", workqueue: "q0", steps: [{ sleep: 1 }] }] },
 *   Invariants.all
 * )
 * ```
 *
 * @since 0.1.0
 * @category testing
 */
export const checkScenario = (
  scenario: ScenarioModule.Scenario | unknown,
  checker: Checker,
  options: PropertyOptions = {}
): Effect.Effect<Simulation.Detailed, ScenarioFailure> => {
  const policy = options.policy?.name ?? "kernel"
  // the schedule printed to replay a failure: trailing default choices dropped (the same run)
  const replayable = options.schedule === undefined
    ? undefined
    : options.schedule.choices !== undefined
    ? { ...options.schedule, choices: trimZeros(options.schedule.choices) }
    : options.schedule
  return Simulation.runDetailed(scenario, {
    policy: options.policy,
    maxSteps: options.maxSteps,
    schedule: options.schedule
  }).pipe(
    Effect.mapError((reason) => report(reason, scenario, policy, "", replayable)),
    Effect.tap((detailed) =>
      Effect.mapError(
        checker(detailed),
        (violation) =>
          report(
            violation,
            scenario,
            policy,
            Trace.format(detailed.trace, { queues: true }),
            detailed.choicePoints !== undefined
              ? { choices: trimZeros(detailed.choicePoints.map((c) => c.k)) }
              : undefined
          )
      )
    )
  )
}

/**
 * A failed check inside a fast-check property: its typed failure is thrown
 * as the property's failure (the first one, however the cause is composed);
 * a cause with no typed failure (a defect, an interruption) is thrown as an
 * error that names the property form and prints the cause.
 */
const throwIfFailed = (exit: Exit.Exit<unknown, unknown>, form: string): void => {
  if (Exit.isSuccess(exit)) return
  const failure = Cause.failureOption(exit.cause)
  if (Option.isSome(failure)) throw failure.value
  throw new Error(`Arbitraries.${form}: the check died: ${Cause.pretty(exit.cause)}`)
}

/**
 * A fast-check property: every scenario of `arbitrary`, simulated under the
 * policy, passes `checker`. On failure the predicate throws a
 * `ScenarioFailure`, whose message (violation, policy, scenario JSON,
 * timeline) `fc.assert` prints under the shrunk counterexample. Use
 * `fc.check` to assert that a broken policy fails.
 *
 * @example
 * ```ts
 * import fc from "fast-check"
 * import { Policy } from "@cmwq/core"
 * import { Arbitraries, Invariants } from "@cmwq/testing"
 *
 * fc.assert(Arbitraries.property(Arbitraries.scenario(), Invariants.all, { policy: Policy.kernel }), {
 *   seed: 42,
 *   numRuns: 200
 * })
 * ```
 *
 * @since 0.1.0
 * @category testing
 */
export const property = (
  arbitrary: fc.Arbitrary<ScenarioModule.Scenario>,
  checker: Checker,
  options: PropertyOptions = {}
): fc.IPropertyWithHooks<[ScenarioModule.Scenario]> =>
  fc.property(arbitrary, (s) => {
    const exit = Effect.runSyncExit(checkScenario(s, checker, options))
    throwIfFailed(exit, "property")
  })

/**
 * Options of `assert` and `check`: the policy, and fast-check's run
 * parameters.
 *
 * @since 0.1.0
 * @category models
 */
export interface RunOptions extends PropertyOptions {
  /** fast-check's seed (default: random, printed on failure) */
  readonly seed?: number | undefined
  /** scenarios to try (default: fast-check's, 100) */
  readonly numRuns?: number | undefined
  /** any other fast-check parameter */
  readonly parameters?: fc.Parameters<[ScenarioModule.Scenario]> | undefined
}

const parametersOf = (options: RunOptions): fc.Parameters<[ScenarioModule.Scenario]> => ({
  includeErrorInReport: true,
  ...options.parameters,
  ...(options.seed !== undefined ? { seed: options.seed } : {}),
  ...(options.numRuns !== undefined ? { numRuns: options.numRuns } : {})
})

/**
 * `fc.assert` of `property`, with fast-check's `includeErrorInReport` on, so
 * the thrown error's message holds the shrunk counterexample and then the
 * `ScenarioFailure` report: violation, policy, scenario JSON and timeline.
 * (fast-check 4 otherwise attaches the failure as the error's `cause` only.)
 *
 * @example
 * ```ts
 * import { Policy } from "@cmwq/core"
 * import { Arbitraries, Invariants } from "@cmwq/testing"
 *
 * Arbitraries.assert(Arbitraries.scenario({ cpus: 1 }), Invariants.all, {
 *   policy: Policy.kernel,
 *   seed: 42,
 *   numRuns: 500
 * })
 * ```
 *
 * @since 0.1.0
 * @category testing
 */
export const assert = (
  arbitrary: fc.Arbitrary<ScenarioModule.Scenario>,
  checker: Checker,
  options: RunOptions = {}
): void => fc.assert(property(arbitrary, checker, options), parametersOf(options))

/**
 * `fc.check` of `property`: the run details instead of a throw, for asserting
 * that a policy FAILS (`details.failed`, `details.counterexample`, and
 * `details.errorInstance`, a `ScenarioFailure`).
 *
 * @example
 * ```ts
 * import { Arbitraries, Invariants } from "@cmwq/testing"
 *
 * const details = Arbitraries.check(Arbitraries.scenario(), Invariants.safety, { seed: 42, numRuns: 100 })
 * if (details.failed) console.log(details.counterexample)
 * ```
 *
 * @since 0.1.0
 * @category testing
 */
export const check = (
  arbitrary: fc.Arbitrary<ScenarioModule.Scenario>,
  checker: Checker,
  options: RunOptions = {}
): fc.RunDetails<[ScenarioModule.Scenario]> => fc.check(property(arbitrary, checker, options), parametersOf(options))

/**
 * A schedule (`Simulation.Schedule`) as choices: one small number per choice
 * point, taken modulo the number of candidates; past the end, first in first
 * out. Generation is that of `fc.array(fc.nat({ max: 7 }))` (trailing zeros
 * dropped, which changes no run). It shrinks first towards its prefixes
 * (shortest first: the tail of a schedule is what a failure needs least),
 * then towards smaller choices, so a failure shrinks to a short schedule,
 * close to the default order, that still fails: one whose last choice is not
 * 0 and, for a prefix tried, whose shorter prefixes pass.
 *
 * @example
 * ```ts
 * import * as fc from "fast-check"
 * import { Arbitraries } from "@cmwq/testing"
 *
 * const schedules = Arbitraries.schedule({ maxChoices: 32 })
 * ```
 *
 * @since 0.1.0
 * @category arbitraries
 */
export const schedule = (
  options: { readonly maxChoices?: number | undefined } = {}
): fc.Arbitrary<Simulation.Schedule> =>
  prefixFirst(fc.array(fc.nat({ max: 7 }), { maxLength: options.maxChoices ?? 64 })).map((choices) => ({
    choices: trimZeros(choices)
  }))

/**
 * PCT schedules (`Simulation.Schedule.pct`): a seed each, with the given
 * depth and horizon. A seed does not shrink toward anything simpler, so a
 * failure shrinks its scenario only; the failure's message still holds the
 * choices that replay it.
 *
 * @example
 * ```ts
 * import * as fc from "fast-check"
 * import { Arbitraries } from "@cmwq/testing"
 *
 * const schedules = Arbitraries.pctSchedule({ depth: 3, horizon: 100 })
 * ```
 *
 * @since 0.1.0
 * @category arbitraries
 */
export const pctSchedule = (options: VirtualTime.PctOptions = {}): fc.Arbitrary<Simulation.Schedule> =>
  fc.integer({ min: 0, max: 0x7fffffff }).map((seed) => ({ seed, pct: options }))

/**
 * `property` over scenarios and schedules: each scenario runs under a drawn
 * schedule: a list of choices (`schedule`), or with `pct`, a PCT schedule
 * (`pctSchedule`). A failure shrinks both and prints the scenario, the
 * schedule that replays it (`Simulation.run(scenario, { schedule })`) and
 * the timeline.
 *
 * @example
 * ```ts
 * import * as fc from "fast-check"
 * import { Arbitraries, Invariants } from "@cmwq/testing"
 *
 * fc.assert(Arbitraries.propertyWithSchedules(Arbitraries.scenario(), Invariants.all), { numRuns: 50 })
 * ```
 *
 * @since 0.1.0
 * @category properties
 */
export const propertyWithSchedules = (
  arbitrary: fc.Arbitrary<ScenarioModule.Scenario>,
  checker: Checker,
  options: PropertyOptions & {
    readonly maxChoices?: number | undefined
    readonly pct?: VirtualTime.PctOptions | undefined
  } = {}
): fc.IPropertyWithHooks<[ScenarioModule.Scenario, Simulation.Schedule]> =>
  fc.property(arbitrary, options.pct !== undefined ? pctSchedule(options.pct) : schedule(options), (s, sched) => {
    const exit = Effect.runSyncExit(checkScenario(s, checker, { ...options, schedule: sched }))
    throwIfFailed(exit, "propertyWithSchedules")
  })

/**
 * Exhaustive exploration of one (small) scenario, bounded as CHESS and loom
 * bound preemptions: run it under every schedule that leaves
 * first-in-first-out order at most `maxDeviations` times, depth first over
 * the choice points (each run's choice points decide the next run's), until
 * all are covered or `maxRuns` runs are done.
 * Fails with the first `ScenarioFailure`, whose message holds the schedule
 * that replays it; succeeds with the number of runs and whether the space was
 * covered.
 *
 * It is an Effect over one given scenario, not an arbitrary: it enumerates
 * schedules instead of drawing them, so there is nothing for fast-check to
 * shrink. Run it with `Effect.runSync`, or, to explore every generated
 * scenario exhaustively inside fast-check (scenarios drawn and shrunk by
 * fast-check, schedules enumerated), use `propertyExhaustive`.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { Arbitraries, Invariants } from "@cmwq/testing"
 *
 * const scenario = {
 *   cpus: 2,
 *   workqueues: [{ name: "q0", maxActive: 1 }],
 *   works: [{ name: "a", workqueue: "q0", steps: [{ burn: 1 }] }, { name: "b", workqueue: "q0", cpu: 1, steps: [{ burn: 1 }] }]
 * }
 * const program = Arbitraries.exhaustive(scenario, Invariants.all, { maxRuns: 500 })
 * ```
 *
 * @since 0.1.0
 * @category properties
 */
export const exhaustive = (
  scenario: ScenarioModule.Scenario | unknown,
  checker: Checker,
  options: PropertyOptions & {
    readonly maxRuns?: number | undefined
    /** the most choice points that leave first-in-first-out order in one schedule (default 2) */
    readonly maxDeviations?: number | undefined
  } = {}
): Effect.Effect<{ readonly runs: number; readonly complete: boolean }, ScenarioFailure> =>
  Effect.gen(function*() {
    const maxRuns = options.maxRuns ?? 1000
    const bound = options.maxDeviations ?? 2
    let prefix: Array<number> = []
    for (let runs = 1; runs <= maxRuns; runs++) {
      const detailed = yield* checkScenario(scenario, checker, { ...options, schedule: { choices: prefix } })
      const points = detailed.choicePoints ?? []
      // the next schedule: bump the deepest choice point that has an untried
      // candidate and stays within the deviation bound
      const before: Array<number> = [] // deviations strictly before each point
      let d = 0
      for (const c of points) {
        before.push(d)
        if (c.k !== 0) d++
      }
      let i = points.length - 1
      while (i >= 0 && (points[i]!.k >= points[i]!.n - 1 || before[i]! + 1 > bound)) i--
      if (i < 0) return { runs, complete: true }
      prefix = points.slice(0, i).map((c) => c.k).concat(points[i]!.k + 1)
    }
    return { runs: maxRuns, complete: false }
  })

/**
 * The fast-check form of `exhaustive`: a property over the scenarios of
 * `arbitrary` that explores each one under every schedule within the
 * deviation bound (see `exhaustive`). A failure shrinks the scenario (the
 * schedule is the first failing one of the enumeration, in its message);
 * a scenario whose bounded space is not covered within `maxRuns` runs passes
 * on the runs done. Keep the scenarios small: each costs up to `maxRuns` runs.
 *
 * @example
 * ```ts
 * import fc from "fast-check"
 * import { Arbitraries, Invariants } from "@cmwq/testing"
 *
 * fc.assert(
 *   Arbitraries.propertyExhaustive(Arbitraries.scenario({ works: { min: 1, max: 2 } }), Invariants.all, {
 *     maxRuns: 200,
 *     maxDeviations: 1
 *   }),
 *   { seed: 1, numRuns: 10 }
 * )
 * ```
 *
 * @since 0.1.0
 * @category properties
 */
export const propertyExhaustive = (
  arbitrary: fc.Arbitrary<ScenarioModule.Scenario>,
  checker: Checker,
  options: PropertyOptions & {
    readonly maxRuns?: number | undefined
    readonly maxDeviations?: number | undefined
  } = {}
): fc.IPropertyWithHooks<[ScenarioModule.Scenario]> =>
  fc.property(arbitrary, (s) => {
    const exit = Effect.runSyncExit(exhaustive(s, checker, options))
    throwIfFailed(exit, "propertyExhaustive")
  })
