/**
 * The results properties: `Workqueue.runAll`, and `Workqueue.run` over the
 * same effects (one `run` per effect, `Effect.forEach` unbounded), and
 * `Workqueue.submit` (one handle per effect, joined; a join given up
 * cancels its handle), on a
 * bounded or unbounded workqueue, with synchronous and suspending items,
 * some failing, the caller sometimes interrupted. Checked after the caller
 * returned and the virtual clock ran on:
 *
 * - results match: a success holds every effect's value, in order, each
 *   effect run exactly once (nothing lost);
 * - a failure is one of the failing effects' errors, and that effect ran;
 * - no effect ever runs twice, and none starts after the caller returned
 *   (the first failure or the interruption cancelled what was pending);
 * - interruptions are clean: when the caller's interruption returns, every
 *   effect that started has ended (its finalizers ran); afterwards the
 *   workqueue is empty and a fresh `run` on it succeeds.
 *
 * `scripts/soak.ts` soaks them beside the catalog entries; ./results.test.ts
 * runs them under vitest.
 */
import * as Cause from "effect/Cause"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Fiber from "effect/Fiber"
import * as Option from "effect/Option"
import fc from "fast-check"
import { Workqueue } from "@cmwq/core"
import { runVirtualSync } from "../helpers.js"

export interface ItemSpec {
  /** null: a synchronous `Effect.sync` (the fast path); else it sleeps this long */
  readonly sleep: number | null
  /** a suspending item that fails with `e<i>` after its sleep */
  readonly fails: boolean
}

export interface ResultsScenario {
  readonly caller: "runAll" | "run" | "submit"
  readonly maxActive: number
  /** 0: unbounded */
  readonly maxPending: number
  readonly items: ReadonlyArray<ItemSpec>
  /** null: the caller is not interrupted; else at this virtual millisecond */
  readonly interruptAt: number | null
}

export const scenarioArb: fc.Arbitrary<ResultsScenario> = fc.record({
  caller: fc.constantFrom("runAll" as const, "run" as const, "submit" as const),
  maxActive: fc.integer({ min: 1, max: 3 }),
  maxPending: fc.oneof(fc.constant(0), fc.integer({ min: 1, max: 4 })),
  items: fc.array(
    fc.record({
      sleep: fc.option(fc.integer({ min: 0, max: 6 }), { nil: null, freq: 3 }),
      fails: fc.boolean().chain((b) => b ? fc.boolean() : fc.constant(false)).chain((b) =>
        b ? fc.boolean() : fc.constant(false)
      )
    }).map((spec) => spec.sleep === null ? { ...spec, fails: false } : spec),
    { maxLength: 9 }
  ),
  interruptAt: fc.option(fc.integer({ min: 0, max: 20 }), { nil: null })
})

const valueOf = (i: number) => i * 10 + 1

/** run one scenario; the first violation found, or null */
export const checkScenario = (s: ResultsScenario): string | null => {
  const n = s.items.length
  const started = new Array<number>(n).fill(0)
  const ended = new Array<number>(n).fill(0)
  const effects = s.items.map((spec, i): Effect.Effect<number, string> =>
    spec.sleep === null
      ? Effect.sync(() => {
        started[i]!++
        ended[i]!++
        return valueOf(i)
      })
      : Effect.sync(() => started[i]!++).pipe(
        Effect.zipRight(Effect.sleep(spec.sleep)),
        Effect.zipRight(spec.fails ? Effect.fail(`e${i}`) : Effect.succeed(valueOf(i))),
        Effect.onExit(() => Effect.sync(() => ended[i]!++))
      )
  )
  const observed = runVirtualSync(Effect.gen(function*() {
    const wq = yield* Workqueue.alloc("results", {
      maxActive: s.maxActive,
      ...(s.maxPending > 0 ? { maxPending: s.maxPending } : {})
    })
    // submit: one handle per effect, joined; a join the caller gives up (the first failure
    // interrupts the others, as for the runs) cancels its handle; a submit interrupted while
    // it waits for room returns no handle, so it must leave no item behind
    const call: Effect.Effect<Array<number>, unknown> = s.caller === "runAll"
      ? Workqueue.runAll(wq, effects)
      : s.caller === "run"
      ? Effect.forEach(effects, (e) => Workqueue.run(wq, e), { concurrency: "unbounded" })
      : Effect.forEach(
        effects,
        (e) =>
          Effect.uninterruptibleMask((restore) =>
            Effect.flatMap(
              restore(Workqueue.submit(wq, e)),
              (h) => restore(h.join).pipe(Effect.onInterrupt(() => h.cancel))
            )
          ),
        { concurrency: "unbounded" }
      )
    const caller = yield* Effect.fork(call)
    let exit: Exit.Exit<Array<number>, unknown>
    let unfinishedOnReturn: Array<number> = []
    if (s.interruptAt === null) exit = yield* Fiber.await(caller)
    else {
      yield* Effect.sleep(s.interruptAt)
      exit = yield* Fiber.interrupt(caller)
      unfinishedOnReturn = started.flatMap((st, i) => st !== ended[i] ? [i] : [])
    }
    const startedOnReturn = [...started]
    yield* Effect.sleep(1_000)
    const after = yield* Workqueue.run(wq, Effect.succeed("after"))
    const stats = yield* Workqueue.stats(wq)
    return { exit, unfinishedOnReturn, startedOnReturn, after, inFlight: stats.inFlight }
  }))
  const { exit } = observed
  const twice = started.findIndex((c) => c > 1)
  if (twice >= 0) return `item ${twice} ran ${started[twice]} times`
  if (observed.unfinishedOnReturn.length > 0) {
    return `items ${observed.unfinishedOnReturn.join(",")} had not ended when the interruption returned`
  }
  const late = started.findIndex((c, i) => c !== observed.startedOnReturn[i])
  if (late >= 0) return `item ${late} started after the caller returned`
  const unended = started.findIndex((c, i) => c !== ended[i])
  if (unended >= 0) return `item ${unended} started and never ended`
  if (observed.after !== "after") return `a run after the scenario gave ${String(observed.after)}`
  if (observed.inFlight !== 0) return `${observed.inFlight} items still in flight at the end`
  if (Exit.isSuccess(exit)) {
    const expected = s.items.map((_, i) => valueOf(i))
    if (JSON.stringify(exit.value) !== JSON.stringify(expected)) {
      return `results ${JSON.stringify(exit.value)}, expected ${JSON.stringify(expected)}`
    }
    const missed = started.findIndex((c) => c !== 1)
    if (missed >= 0) return `succeeded but item ${missed} ran ${started[missed]} times`
    if (s.items.some((spec) => spec.fails)) return "succeeded although an item failed"
    return null
  }
  const error = Cause.failureOption(exit.cause)
  if (Option.isSome(error)) {
    const i = s.items.findIndex((spec, j) => spec.fails && error.value === `e${j}`)
    if (i < 0) return `failed with ${String(error.value)}, not a failing item's error`
    if (started[i] !== 1) return `failed with e${i} although item ${i} ran ${started[i]} times`
    return null
  }
  if (Cause.isInterruptedOnly(exit.cause)) {
    if (s.interruptAt === null) return "interrupted although nobody interrupted the caller"
    return null
  }
  return `unexpected cause ${Cause.pretty(exit.cause)}`
}

export interface ResultsProperty {
  readonly id: string
  readonly title: string
  readonly arb: fc.Arbitrary<ResultsScenario>
  readonly check: (s: ResultsScenario) => string | null
  readonly seed: number
  readonly runs: number
}

/** the results properties, beside the guarantee catalog in the soak set */
export const RESULTS_PROPERTIES: ReadonlyArray<ResultsProperty> = [
  {
    id: "R1",
    title: "runAll, run and submit: results match, nothing lost, nothing run twice, interruptions clean",
    arb: scenarioArb,
    check: checkScenario,
    seed: 2001,
    runs: 150
  }
]
