/**
 * CPU time per item of case 2's promise-awaiting items, ours against an
 * Effect `Queue` drained by one fiber, `reps` rounds in one process on one
 * pools layer (ours) and a fresh queue per round (the peer), as
 * `process.cpuUsage()` ns per item: every round's and their median.
 *
 *   node --conditions=@cmwq/source --import tsx bench/promise-items-cpu.ts [ours|queue] [n=100000] [reps=10]
 *
 * Bundle it (esbuild, as `bench/instructions.ts` says) and add `--cpu-prof`
 * for a profile by function (`bench/cpu-prof-top.ts`).
 */
import { Effect, Fiber, Queue } from "effect"
import { Work, WorkerPool, Workqueue } from "@cmwq/core"
import { awaitingOnce, incrementer, runs } from "./cases/throughput-await.js"
const mode = process.argv[2] ?? "ours"
const n = Number(process.argv[3] ?? 100000)
const reps = Number(process.argv[4] ?? 10)
const effects: Array<Effect.Effect<void>> = []
const works: Array<Work.Work> = []
for (let i = 0; i < n; i++) {
  const effect = Effect.promise(awaitingOnce(incrementer()))
  effects.push(effect)
  works.push(Work.make(effect))
}
const med = (xs: Array<number>) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!
const main = async () => {
  const per: Array<number> = []
  if (mode === "ours") {
    await Effect.gen(function*() {
      const wq = yield* Workqueue.alloc("c2")
      for (let r = 0; r < reps; r++) {
        const before = runs()
        const c0 = process.cpuUsage()
        for (let i = 0; i < n; i++) Workqueue.unsafeQueue(wq, works[i]!)
        yield* Workqueue.flush(wq)
        const d = process.cpuUsage(c0)
        if (runs() - before !== n) throw new Error("lost")
        per.push(((d.user + d.system) * 1000) / n)
      }
    }).pipe(Effect.scoped, Effect.provide(WorkerPool.layer()), Effect.runPromise)
  } else {
    for (let r = 0; r < reps; r++) {
      const before = runs()
      const c0 = process.cpuUsage()
      await Effect.runPromise(Effect.gen(function*() {
        const queue = yield* Queue.unbounded<Effect.Effect<void>>()
        const worker = yield* Effect.fork(Effect.repeatN(Effect.flatten(Queue.take(queue)), n - 1))
        for (let i = 0; i < n; i++) Queue.unsafeOffer(queue, effects[i]!)
        yield* Fiber.join(worker)
        yield* Queue.shutdown(queue)
      }))
      const d = process.cpuUsage(c0)
      if (runs() - before !== n) throw new Error("lost")
      per.push(((d.user + d.system) * 1000) / n)
    }
  }
  console.log(mode, "median ns/item", med(per).toFixed(0), "reps", per.map((x) => x.toFixed(0)).join(" "))
}
void main()
