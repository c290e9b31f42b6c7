/**
 * Simulation scenarios: plain JSON-like data, validated by a `Schema`.
 *
 * ```
 * { cpus: 1,
 *   workqueues: [{ name: "q0", maxActive: 2 }],
 *   works: [{ name: "w0", workqueue: "q0", steps: [{ burn: 5 }, { sleep: 10 }, { burn: 5 }] }] }
 * ```
 *
 * - `flags` use the kernel's names without `WQ_` (`"CPU_INTENSIVE"`,
 *   `"HIGHPRI"`, `"UNBOUND"`, ...); `"ORDERED"` asks for an ordered workqueue;
 * - a work's `cpu` defaults to 0 and `at` (its queue time, in ms) to 0; works
 *   with the same `at` are queued in array order;
 * - `burn` holds the work's CPU for that many ms, `sleep` blocks without it,
 *   `flush` (a workqueue's name) flushes that workqueue from inside the item
 *   (blocking, without the CPU; a `FlushDeadlock` is recorded, not fatal);
 * - `operations` (optional) are done from outside the items, each at its
 *   `at` in its own fiber: `flush`, `freeze`/`thaw` (the pools' freezer),
 *   `applyAttrs` (an affinity scope), `cancel` (a work), `setMaxActive`;
 *   with operations, after the drain the simulation queues a probe item
 *   (`probe:<workqueue>`) on every workqueue and drains again, so that an
 *   operation that left a workqueue wedged fails the run.
 *
 * A bad scenario fails with `InvalidScenario`, whose message names the bad
 * field.
 *
 * @since 0.1.0
 */
import * as Effect from "effect/Effect"
import * as ParseResult from "effect/ParseResult"
import * as Schema from "effect/Schema"
import { Workqueue } from "@cmwq/core"

const Millis = Schema.Number.pipe(
  Schema.finite(),
  Schema.nonNegative({ message: () => "a duration in ms must be a finite number, 0 or more" })
)

/**
 * One step of a work item: hold the CPU (`burn`) or block without it
 * (`sleep`), for that many milliseconds of virtual time.
 *
 * @example
 * ```ts
 * import { Schema } from "effect"
 * import { Scenario } from "@cmwq/testing"
 *
 * const steps = Schema.decodeUnknownSync(Schema.Array(Scenario.Step))([{ burn: 5 }, { sleep: 10 }])
 * ```
 *
 * @since 0.1.0
 * @category schemas
 */
export const Step = Schema.Union(
  Schema.Struct({ burn: Millis }),
  Schema.Struct({ sleep: Millis }),
  Schema.Struct({ flush: Schema.String })
)

/**
 * @since 0.1.0
 * @category models
 */
export type Step = typeof Step.Type

/**
 * A flag of a simulated workqueue: a kernel flag name, or `"ORDERED"`.
 *
 * @example
 * ```ts
 * import { Schema } from "effect"
 * import { Scenario } from "@cmwq/testing"
 *
 * Schema.is(Scenario.Flag)("ORDERED") // true
 * Schema.is(Scenario.Flag)("WQ_UNBOUND") // false: flags are named without the prefix
 * ```
 *
 * @since 0.1.0
 * @category schemas
 */
export const Flag = Schema.Literal(...Workqueue.FLAGS, "ORDERED")

/**
 * @example
 * ```ts
 * import { Schema } from "effect"
 * import { Scenario } from "@cmwq/testing"
 *
 * const q = Schema.decodeUnknownSync(Scenario.WorkqueueSpec)({ name: "q0", flags: ["HIGHPRI"], maxActive: 2 })
 * ```
 *
 * @since 0.1.0
 * @category schemas
 */
export const WorkqueueSpec = Schema.Struct({
  name: Schema.String.pipe(Schema.minLength(1)),
  flags: Schema.optional(Schema.Array(Flag)),
  maxActive: Schema.optional(
    Schema.Number.pipe(Schema.int(), Schema.between(0, Workqueue.WQ_MAX_ACTIVE))
  )
})

/**
 * @example
 * ```ts
 * import { Schema } from "effect"
 * import { Scenario } from "@cmwq/testing"
 *
 * const w = Schema.decodeUnknownSync(Scenario.WorkSpec)({ name: "w0", workqueue: "q0", at: 5, steps: [{ burn: 1 }] })
 * ```
 *
 * @since 0.1.0
 * @category schemas
 */
export const WorkSpec = Schema.Struct({
  name: Schema.String.pipe(Schema.minLength(1)),
  workqueue: Schema.String,
  cpu: Schema.optional(Schema.Number.pipe(Schema.int(), Schema.nonNegative())),
  at: Schema.optional(Millis),
  steps: Schema.Array(Step)
})

/**
 * An affinity scope `applyAttrs` may set.
 *
 * @example
 * ```ts
 * import { Schema } from "effect"
 * import { Scenario } from "@cmwq/testing"
 *
 * Schema.is(Scenario.AffinityScope)("system") // true
 * ```
 *
 * @since 0.1.0
 * @category schemas
 */
export const AffinityScope = Schema.Literal("default", "cpu", "smt", "cache", "numa", "system")

/**
 * An operation done from outside the items at time `at` (default 0), in a
 * fiber of its own (so schedule exploration decides where it lands among
 * what else happens at that instant):
 *
 * - `{ do: "flush", workqueue }`: `Workqueue.flush`;
 * - `{ do: "freeze" }` / `{ do: "thaw" }`: `Freezer.freeze` / `Freezer.thaw`
 *   (the simulation thaws at the end if the last one froze);
 * - `{ do: "applyAttrs", workqueue, affinityScope }`: `Workqueue.applyAttrs`
 *   (refused, and recorded as such, on a per-cpu workqueue);
 * - `{ do: "cancel", work }`: `Work.cancel`;
 * - `{ do: "setMaxActive", workqueue, maxActive }`: `Workqueue.setMaxActive`.
 *
 * @example
 * ```ts
 * import { Schema } from "effect"
 * import { Scenario } from "@cmwq/testing"
 *
 * const ops = Schema.decodeUnknownSync(Schema.Array(Scenario.Operation))([
 *   { do: "freeze", at: 1 },
 *   { do: "thaw", at: 5 },
 *   { do: "flush", workqueue: "q0", at: 6 }
 * ])
 * ```
 *
 * @since 0.1.0
 * @category schemas
 */
export const Operation = Schema.Union(
  Schema.Struct({ do: Schema.Literal("flush"), workqueue: Schema.String, at: Schema.optional(Millis) }),
  Schema.Struct({ do: Schema.Literal("freeze", "thaw"), at: Schema.optional(Millis) }),
  Schema.Struct({
    do: Schema.Literal("applyAttrs"),
    workqueue: Schema.String,
    affinityScope: AffinityScope,
    at: Schema.optional(Millis)
  }),
  Schema.Struct({ do: Schema.Literal("cancel"), work: Schema.String, at: Schema.optional(Millis) }),
  Schema.Struct({
    do: Schema.Literal("setMaxActive"),
    workqueue: Schema.String,
    maxActive: Schema.Number.pipe(Schema.int(), Schema.between(1, Workqueue.WQ_MAX_ACTIVE)),
    at: Schema.optional(Millis)
  })
)

/**
 * @since 0.1.0
 * @category models
 */
export type Operation = typeof Operation.Type

/**
 * The scenario schema, with the cross-field checks: unique names, known
 * workqueues, CPUs in range.
 *
 * @example
 * ```ts
 * import { Schema } from "effect"
 * import { Scenario } from "@cmwq/testing"
 *
 * const scenario: Scenario.Scenario = Schema.decodeUnknownSync(Scenario.Scenario)({
 *   cpus: 1,
 *   workqueues: [{ name: "q0" }],
 *   works: [{ name: "w0", workqueue: "q0", steps: [{ burn: 5 }] }]
 * })
 * ```
 *
 * @since 0.1.0
 * @category schemas
 */
export const Scenario = Schema.Struct({
  cpus: Schema.Number.pipe(Schema.int(), Schema.between(1, 64)),
  workqueues: Schema.Array(WorkqueueSpec),
  works: Schema.Array(WorkSpec),
  operations: Schema.optional(Schema.Array(Operation))
}).pipe(Schema.filter((s) => {
  const issues: Array<Schema.FilterIssue> = []
  const wqNames = new Set<string>()
  s.workqueues.forEach((wq, i) => {
    if (wqNames.has(wq.name))
      issues.push({ path: ["workqueues", i, "name"], message: `duplicate workqueue "${wq.name}"` })
    wqNames.add(wq.name)
  })
  const workNames = new Set<string>()
  s.works.forEach((work, i) => {
    if (workNames.has(work.name)) issues.push({ path: ["works", i, "name"], message: `duplicate work "${work.name}"` })
    workNames.add(work.name)
    if (!wqNames.has(work.workqueue)) {
      issues.push({ path: ["works", i, "workqueue"], message: `no workqueue named "${work.workqueue}"` })
    }
    if ((work.cpu ?? 0) >= s.cpus) {
      issues.push({ path: ["works", i, "cpu"], message: `cpu ${work.cpu} is out of range 0..${s.cpus - 1}` })
    }
    work.steps.forEach((step, j) => {
      if ("flush" in step && !wqNames.has(step.flush)) {
        issues.push({ path: ["works", i, "steps", j, "flush"], message: `no workqueue named "${step.flush}"` })
      }
    })
  })
  ;(s.operations ?? []).forEach((op, i) => {
    if ("workqueue" in op && !wqNames.has(op.workqueue)) {
      issues.push({ path: ["operations", i, "workqueue"], message: `no workqueue named "${op.workqueue}"` })
    }
    if ("work" in op && !workNames.has(op.work)) {
      issues.push({ path: ["operations", i, "work"], message: `no work named "${op.work}"` })
    }
  })
  return issues
}))

/**
 * A scenario (the decoded form).
 *
 * @since 0.1.0
 * @category models
 */
export type Scenario = typeof Scenario.Type

/**
 * A scenario that does not fit the schema; `message` names the bad field.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { Scenario } from "@cmwq/testing"
 *
 * const program = Scenario.decode({ cpus: 1, workqueues: [], works: [{ name: "w0", workqueue: "nope", steps: [] }] }).pipe(
 *   Effect.catchTag("InvalidScenario", (e) => Effect.logError(e.message)) // names the unknown workqueue
 * )
 * ```
 *
 * @since 0.1.0
 * @category errors
 */
export class InvalidScenario extends Schema.TaggedError<InvalidScenario>("@cmwq/testing/InvalidScenario")(
  "InvalidScenario",
  { message: Schema.String }
) {}

/**
 * Validate unknown input as a scenario.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { Scenario, Simulation } from "@cmwq/testing"
 *
 * const program = Effect.gen(function*() {
 *   const scenario = yield* Scenario.decode(JSON.parse('{"cpus":1,"workqueues":[{"name":"q0"}],"works":[]}'))
 *   const trace = yield* Simulation.run(scenario)
 * })
 * ```
 *
 * @since 0.1.0
 * @category decoding
 */
export const decode = (input: unknown): Effect.Effect<Scenario, InvalidScenario> =>
  Schema.decodeUnknown(Scenario, { errors: "all" })(input).pipe(
    Effect.mapError((error) =>
      new InvalidScenario({ message: `invalid scenario: ${ParseResult.TreeFormatter.formatErrorSync(error)}` })
    )
  )
