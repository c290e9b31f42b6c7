/**
 * Case 6: run many effects and collect their results. N = 10^5 effects (10^4 with --quick),
 * effect i is `Effect.sync(() => i)` (built once, before timing, shared by
 * every contender); each contender returns the N results in input order,
 * checked after the run.
 *
 * Contenders: ours, `Workqueue.runAll(wq, effects)` on a fresh workqueue of
 * the default pools (no fiber per item: one item per effect, a worker runs
 * them on the fast path, one waiter for the lot); `Effect.forEach(effects,
 * identity)` sequentially (concurrency 1, its default) and with concurrency
 * 256 (a fiber per running effect); `Effect.all(effects)`. A second row
 * prices `Workqueue.run` itself: one `run` per effect under
 * `Effect.forEach(…, { concurrency: 256 })`, against `Effect.forEach(256)`
 * over the same effects without a workqueue.
 *
 * Timed region: from the call to the results being returned (workqueue
 * allocation and pool construction happen before it).
 */
import { Effect } from "effect"
import { identity } from "effect/Function"
import { WorkerPool, Workqueue } from "@cmwq/core"
import { type CaseOptions, type CaseResult, compare, type Contender, fmt, med, now, row } from "../lib.js"

const N_FULL = 100_000
const WARMUP_N_FULL = 20_000

interface Run {
  readonly ms: number
}

const makeEffects = (n: number): Array<Effect.Effect<number>> => {
  const effects: Array<Effect.Effect<number>> = new Array<Effect.Effect<number>>(n)
  for (let i = 0; i < n; i++) effects[i] = sync(i)
  return effects
}

/** a factory (see throughput-sync.ts: tsx's keepNames makes named closures heavier) */
const sync = (i: number): Effect.Effect<number> => Effect.sync(() => i)

const checkResults = (name: string, results: ReadonlyArray<number>, n: number): void => {
  if (results.length !== n) throw new Error(`${name}: ${results.length} results, expected ${n}`)
  for (let i = 0; i < n; i++) if (results[i] !== i) throw new Error(`${name}: result ${i} is ${results[i]}`)
}

export const run = async (options: CaseOptions): Promise<CaseResult> => {
  // --quick: 10^4 effects (one Workqueue.run per effect takes seconds at 10^5)
  const N = options.quick ? 10_000 : N_FULL
  const nLabel = `1e${Math.log10(N)}`
  const all = makeEffects(N)
  const warm = all.slice(0, Math.min(WARMUP_N_FULL, N / 5))
  const pick = (warmup: boolean) => warmup ? warm : all
  const contender = (
    name: string,
    go: (effects: ReadonlyArray<Effect.Effect<number>>) => Promise<Run>
  ): Contender<Run> => ({ name, run: (warmup) => go(pick(warmup)) })
  const timedEffect = (
    name: string,
    f: (effects: ReadonlyArray<Effect.Effect<number>>) => Effect.Effect<Array<number>>
  ) =>
    contender(name, (effects) =>
      Effect.runPromise(Effect.suspend(() => {
        const t0 = now()
        return Effect.map(f(effects), (results) => {
          const ms = now() - t0
          checkResults(name, results, effects.length)
          return { ms }
        })
      })))
  const ours = contender("ours (Workqueue.runAll)", (effects) =>
    Effect.gen(function*() {
      const wq = yield* Workqueue.alloc("bench-run-all")
      const t0 = now()
      const results = yield* Workqueue.runAll(wq, effects)
      const ms = now() - t0
      checkResults("ours", results, effects.length)
      return { ms }
    }).pipe(Effect.scoped, Effect.provide(WorkerPool.layer()), Effect.runPromise))
  const runEach = contender(
    "ours (Workqueue.run per effect, Effect.forEach(256))",
    (effects) =>
      Effect.gen(function*() {
        const wq = yield* Workqueue.alloc("bench-run-each")
        const t0 = now()
        const results = yield* Effect.forEach(effects, (e) => Workqueue.run(wq, e), { concurrency: 256 })
        const ms = now() - t0
        checkResults("run per effect", results, effects.length)
        return { ms }
      }).pipe(Effect.scoped, Effect.provide(WorkerPool.layer()), Effect.runPromise)
  )
  const contenders = [
    ours,
    timedEffect("Effect.forEach(1)", (effects) => Effect.forEach(effects, identity)),
    timedEffect("Effect.forEach(256)", (effects) => Effect.forEach(effects, identity, { concurrency: 256 })),
    timedEffect("Effect.all", (effects) => Effect.all(effects)),
    runEach
  ]
  const label = `6. run many for results, N=${nLabel}`
  const eachLabel = `6. Workqueue.run per effect, N=${nLabel}`
  const results = await compare(label, contenders, options)
  const rate = results.map((r) => N / (med(r.samples, (s) => s.ms) / 1000))
  const forEach256 = results.findIndex((r) => r.name === "Effect.forEach(256)")
  const each = results.length - 1
  return {
    rows: [
      ...results.slice(1, each).map((r, i) => row(label, rate[0]!, r.name, rate[i + 1]!, "items/s", "higher")),
      row(eachLabel, rate[each]!, results[forEach256]!.name, rate[forEach256]!, "items/s", "higher")
    ],
    tables: [{
      title: "Case 6: run many effects for their results (medians)",
      headers: ["contender", `N=${nLabel} items/s`],
      rows: results.map((r, i) => [r.name, fmt(rate[i]!)])
    }],
    notes: [
      "Case 6: effects pre-built once (Effect.sync(() => i)); every contender returns the N results in input order, checked after each run."
    ]
  }
}
