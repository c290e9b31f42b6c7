/**
 * `npm run demo:threads`: Schema-typed tasks on worker-thread CPUs.
 *
 * 1. CPU-bound tasks (`Crunch`, 5 ms each) on an UNBOUND workqueue: every
 *    thread CPU takes a share (the tasks per thread are printed).
 * 2. I/O-waiting tasks (`Fetch`: 1 ms of work, then 20 ms awaiting) with a
 *    small max_active: while a task awaits inside a thread, that thread's own
 *    pools start the next one, so every thread keeps several in flight with
 *    one JS thread each.
 *
 * Prints, for each part: the tasks per thread, the elapsed time, and for the
 * I/O part the peak number of tasks in flight on each thread.
 */
import { availableParallelism } from "node:os"
import { Task, Workqueue } from "@cmwq/core"
import { NodeThreads } from "@cmwq/platform-node"
import * as Effect from "effect/Effect"
import { Crunch, Fetch } from "./threads/tasks.js"

const THREADS = Math.max(2, availableParallelism())

const perThread = (threads: ReadonlyArray<number>): string => {
  const counts = new Map<number, number>()
  for (const t of threads) counts.set(t, (counts.get(t) ?? 0) + 1)
  return [...counts].sort((a, b) => a[0] - b[0]).map(([t, n]) => `thread ${t}: ${n}`).join(", ")
}

const program = Effect.gen(function*() {
  yield* Effect.log(`${THREADS} thread CPUs (os.availableParallelism())`)

  const cpu = yield* Workqueue.alloc("demo_crunch", { flags: ["UNBOUND"] })
  yield* Task.run(cpu, new Crunch({ ms: 0 })) // threads warmed up
  const n = 40 * THREADS
  const t0 = performance.now()
  const crunched = yield* Effect.forEach(
    Array.from({ length: n }, () => new Crunch({ ms: 5 })),
    (t) => Task.run(cpu, t),
    { concurrency: "unbounded" }
  )
  const ms = performance.now() - t0
  yield* Effect.log(
    `CPU-bound: ${n} tasks x 5 ms in ${ms.toFixed(0)} ms; per thread: ${perThread(crunched.map((r) => r.thread))}`
  )

  const io = yield* Workqueue.alloc("demo_fetch", { flags: ["UNBOUND"], maxActive: 64 })
  const m = 60 * THREADS
  const t1 = performance.now()
  const fetched = yield* Effect.forEach(
    Array.from({ length: m }, () => new Fetch({ ms: 20 })),
    (t) => Task.run(io, t),
    { concurrency: "unbounded" }
  )
  const ms2 = performance.now() - t1
  const peaks = new Map<number, number>()
  for (const r of fetched) peaks.set(r.thread, Math.max(peaks.get(r.thread) ?? 0, r.peakInFlight))
  yield* Effect.log(
    `I/O-waiting: ${m} tasks (1 ms work + 20 ms await) in ${ms2.toFixed(0)} ms; per thread: ${
      perThread(fetched.map((r) => r.thread))
    }; peak in flight per thread: ${
      [...peaks].sort((a, b) => a[0] - b[0]).map(([t, p]) => `thread ${t}: ${p}`).join(", ")
    }`
  )
}).pipe(Effect.scoped)

Effect.runPromise(
  program.pipe(
    Effect.provide(NodeThreads.layer({ threads: THREADS, handlers: new URL("./threads/tasks.ts", import.meta.url) }))
  )
).then(() => process.exit(0), (e: unknown) => {
  console.error(e)
  process.exit(1)
})
