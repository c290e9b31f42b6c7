/**
 * The cmwq demo: a mix of CPU-bound and blocking work items on several
 * workqueues, all served by the same shared per-CPU pool.
 *
 *   npm run demo
 *
 * Watch three things in the table it prints:
 * - `cpu-bound` runs thousands of items on one worker (peak 1): items that
 *   never block run one after another, no new worker is started;
 * - `io` items block on timers: each block wakes another worker, so peak
 *   concurrency rises up to `maxActive` (64) while the pool stays small;
 * - `ordered` runs one item at a time, in queue order;
 * and the event loop keeps turning although the CPU-bound items keep the JS
 * thread busy: between items, a worker hands the thread back every 2 ms (the
 * p99 delay stays within a few ms; the maximum also holds garbage-collection
 * pauses and the timer callbacks of many io items resuming at once).
 */
import * as NodeRuntime from "@effect/platform-node/NodeRuntime"
import * as Effect from "effect/Effect"
import { createHash } from "node:crypto"
import { Work, WorkerPool, Workqueue } from "@cmwq/core"
import { EventLoopMonitor, Monitor } from "@cmwq/platform-node"

const hashChunk = (seed: number) => {
  let digest = String(seed)
  for (let i = 0; i < 40; i++) digest = createHash("sha256").update(digest).digest("hex")
  return digest
}

const elapsed = (since: number) => `${(performance.now() - since).toFixed(0)} ms`

const program = Effect.gen(function*() {
  const cpuBound = yield* Workqueue.alloc("cpu-bound")
  const io = yield* Workqueue.alloc("io", { maxActive: 64 })
  const ordered = yield* Workqueue.allocOrdered("ordered")
  const highpri = yield* Workqueue.alloc("urgent", { flags: ["HIGHPRI"] })
  const workqueues = [cpuBound, io, ordered, highpri]

  const timeOf = new Map<string, number>()
  const started = performance.now()
  const timed = (wq: Workqueue.Workqueue) =>
    Effect.tap(Workqueue.flush(wq), () => Effect.sync(() => timeOf.set(wq.name, performance.now() - started)))

  // 2000 CPU-bound items: about 0.1 ms of hashing each
  let hashes = 0
  for (let i = 0; i < 2000; i++) {
    yield* Workqueue.queue(
      cpuBound,
      Work.make(Effect.sync(() => {
        hashChunk(i)
        hashes++
      }))
    )
  }
  // 400 blocking items: a little CPU, then 5-25 ms waiting on a timer
  for (let i = 0; i < 400; i++) {
    yield* Workqueue.queue(io, Work.make(Effect.zipRight(Effect.sync(() => hashChunk(i)), Effect.sleep(5 + (i % 21)))))
  }
  // 200 ordered items: they must come out in order
  const order: Array<number> = []
  for (let i = 0; i < 200; i++) {
    yield* Workqueue.queue(ordered, Work.make(Effect.zipRight(Effect.sleep(i % 3), Effect.sync(() => order.push(i)))))
  }
  // 50 high-priority items on the CPU's highpri pool
  for (let i = 0; i < 50; i++) yield* Workqueue.queue(highpri, Work.make(Effect.sync(() => hashChunk(i))))

  const [, delay] = yield* EventLoopMonitor.measure(
    Effect.all(workqueues.map(timed), { concurrency: "unbounded", discard: true })
  )

  const rows = yield* Effect.forEach(
    workqueues,
    (wq) =>
      Effect.map(
        Workqueue.stats(wq),
        (s) =>
          `| ${wq.name.padEnd(9)} | ${String(s.completed).padStart(9)} | ${String(s.peakRunning).padStart(12)} | ${
            `${(timeOf.get(wq.name) ?? 0).toFixed(0)} ms`.padStart(8)
          } |`
      )
  )
  const pools = (yield* WorkerPool.snapshot).filter((p) => p.workers > 1 || p.busy > 0)
  const inOrder = order.every((v, i) => v === i)

  yield* Effect.log(`cmwq demo finished in ${elapsed(started)}`)
  console.log("")
  console.log("| workqueue | items run | peak running |     time |")
  console.log("|-----------|-----------|--------------|----------|")
  for (const row of rows) console.log(row)
  console.log("")
  console.log(`pools: ${pools.map((p) => `${p.name}: ${p.workers} workers`).join(", ")}`)
  console.log(`ordered items came out in order: ${inOrder}`)
  console.log(
    `event loop delay while it ran: max ${delay.max.toFixed(1)} ms, p99 ${
      delay.p99.toFixed(1)
    } ms (fairness budget 2 ms)`
  )
  console.log(`hashes computed: ${hashes}`)
  console.log("")
  console.log(yield* Monitor.snapshot(workqueues))
})

program.pipe(Effect.scoped, Effect.provide(WorkerPool.layer()), NodeRuntime.runMain)
