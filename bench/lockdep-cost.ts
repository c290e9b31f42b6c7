/**
 * What the lockdep-style dependency checks (`WorkerPool.layer({
 * dependencyChecks })`) cost, on real time: the same workload with the
 * checks off and on, alternated run by run, and the medians compared.
 *
 * Two workloads:
 * - `waits`: items that each wait on another workqueue (a `Workqueue.flush`
 *   of an idle workqueue and a `Work.flush` of an idle item: four edge
 *   records per item, every one after the first already known);
 * - `plain`: items that wait for nothing (the checks are never asked).
 *
 * Run:
 *   node --expose-gc --conditions=@cmwq/source --import tsx bench/lockdep-cost.ts [items] [reps]
 */
import { Effect } from "effect"
import { Work, WorkerPool, Workqueue } from "@cmwq/core"

const N = Number(process.argv[2] ?? 20_000)
const REPS = Number(process.argv[3] ?? 11)

const workload = (waits: boolean) =>
  Effect.gen(function*() {
    const a = yield* Workqueue.alloc("a")
    const b = yield* Workqueue.alloc("b")
    const idle = Work.make(Effect.void, { name: "idle" })
    const body = waits ? Effect.zipRight(Workqueue.flush(b), Work.flush(idle)) : Effect.void
    const items = Array.from({ length: 256 }, (_, i) => Work.make(Effect.orDie(body), { name: `w${i}` }))
    for (let done = 0; done < N; done += items.length) {
      for (const w of items) yield* Workqueue.queue(a, w)
      yield* Workqueue.flush(a)
    }
  }).pipe(Effect.scoped)

const median = (xs: Array<number>) => {
  const s = [...xs].sort((x, y) => x - y)
  return s[s.length >> 1]!
}

const main = async () => {
  for (const waits of [true, false]) {
    const off: Array<number> = []
    const on: Array<number> = []
    // one warm-up pair, then alternate
    await runOnce(waits, false)
    await runOnce(waits, true)
    for (let r = 0; r < REPS; r++) {
      off.push(await runOnce(waits, false))
      on.push(await runOnce(waits, true))
    }
    const mOff = median(off)
    const mOn = median(on)
    console.log(
      `${waits ? "waits" : "plain"}: ${N} items, median off ${mOff.toFixed(1)} ms, on ${mOn.toFixed(1)} ms, ` +
        `on/off ${(mOn / mOff).toFixed(3)} (${REPS} pairs)`
    )
  }
}

/** one run; the pools need the event loop (their timers), so each run is awaited */
const runOnce = async (waits: boolean, dependencyChecks: boolean): Promise<number> => {
  globalThis.gc?.()
  const t0 = performance.now()
  await Effect.runPromise(
    Effect.provide(workload(waits), WorkerPool.layer({ dependencyChecks })).pipe(Effect.orDie)
  )
  return performance.now() - t0
}
void main()
