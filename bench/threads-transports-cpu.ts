/**
 * The tiny-task workload of bench case 7 (`a + b`) over three transports,
 * CPU per task: `@effect/platform`'s `Worker` pool (`makePoolSerialized`,
 * one `executeEffect` per task) with `@effect/platform-node`'s `NodeWorker`
 * and `NodeWorkerRunner`; cmwq `NodeThreads` with one `Task` item per task;
 * cmwq `Task.runAll` (batch items of 1024); and Piscina (`pool.run` per
 * task), the peer of bench case 7. All on `THREADS` threads.
 *
 * Measured with `process.cpuUsage()` (user + system) around each rep: on
 * Node 20 that is the whole process, the main thread and every worker
 * thread together, so it is the total CPU a task costs, whatever the load
 * of the machine (which only moves wall time). Wall time is printed for
 * reference, not as a claim. Reps alternate between the contenders. Run:
 *   node --conditions=@cmwq/source --import tsx bench/threads-transports-cpu.ts [tasks] [reps]
 */
import { availableParallelism } from "node:os"
import { Worker as NodeThreadWorker } from "node:worker_threads"
import * as NodeWorker from "@effect/platform-node/NodeWorker"
import * as Worker from "@effect/platform/Worker"
import { Deferred, Effect, Layer } from "effect"
import { Task, Workqueue } from "@cmwq/core"
import { NodeThreads } from "@cmwq/platform-node"
import { Piscina } from "piscina"
import { Add } from "./cases/threads/tasks.js"
// @ts-expect-error plain JavaScript, shared with the Effect Worker's threads
import { Add as AddJs } from "./cases/threads/effect-tasks.mjs"

const N = Number(process.argv[2] ?? 20_000)
const REPS = Number(process.argv[3] ?? 5)
const THREADS = Math.max(2, availableParallelism())

class EffectAdd extends (AddJs as typeof Add) {}

const effectWorkerLayer = NodeWorker.layer(
  () => new NodeThreadWorker(new URL("./cases/threads/effect-runner.mjs", import.meta.url))
)

const measure = <E, R>(run: Effect.Effect<void, E, R>) =>
  Effect.gen(function*() {
    const t0 = performance.now()
    const c0 = process.cpuUsage()
    yield* run
    const c = process.cpuUsage(c0)
    return { cpu: (c.user + c.system) / N, ms: performance.now() - t0 }
  })

const main = Effect.gen(function*() {
  const pool = yield* Worker.makePoolSerialized<EffectAdd>({ size: THREADS, concurrency: 1_000_000 })
  const wq = yield* Workqueue.alloc("transports", { flags: ["UNBOUND"], maxActive: 512 })
  const make = yield* Task.maker
  const piscina = yield* Effect.acquireRelease(
    Effect.sync(() =>
      new Piscina({
        filename: new URL("./cases/threads/work.mjs", import.meta.url).href,
        minThreads: THREADS,
        maxThreads: THREADS,
        idleTimeout: 60_000
      })
    ),
    (pool) => Effect.promise(() => pool.destroy())
  )
  const contenders: Record<string, Effect.Effect<void, unknown, Task.Transport>> = {
    "Piscina (pool.run per task, submitted in chunks of 1024)": Effect.promise(async () => {
      const all = new Array<Promise<unknown>>(N)
      for (let i = 0; i < N; i++) {
        if (i % 1024 === 1023) await new Promise((r) => setImmediate(r))
        all[i] = piscina.run({ k: 0, a: i, b: 1 })
      }
      await Promise.all(all)
    }),
    "@effect/platform Worker pool (NodeWorker), executeEffect per task": Effect.forEach(
      Array.from({ length: N }, (_, i) => i),
      (i) => pool.executeEffect(new EffectAdd({ a: i, b: 1 }, true)),
      { concurrency: "unbounded", discard: true }
    ),
    "cmwq NodeThreads, one Task item per task": Effect.gen(function*() {
      const done = yield* Deferred.make<void>()
      let left = N
      const onExit = () => {
        if (--left === 0) Deferred.unsafeDone(done, Effect.void)
      }
      for (let i = 0; i < N; i++) {
        if (i % 1024 === 1023) yield* Effect.promise(() => new Promise((r) => setImmediate(r)))
        Workqueue.unsafeQueue(wq, make(new Add({ a: i, b: 1 }, true), { onExit }))
      }
      yield* Deferred.await(done)
    }),
    "cmwq NodeThreads, Task.runAll (batches of 1024)": Effect.asVoid(
      Task.runAll(wq, Array.from({ length: N }, (_, i) => new Add({ a: i, b: 1 }, true)))
    )
  }
  const out: Record<string, Array<{ cpu: number; ms: number }>> = {}
  for (const [name, run] of Object.entries(contenders)) {
    out[name] = []
    yield* run // warm-up (thread start-up, JIT)
  }
  for (let r = 0; r < REPS; r++) {
    for (const [name, run] of Object.entries(contenders)) out[name]!.push(yield* measure(run))
  }
  console.log(`${N} tiny tasks, ${THREADS} threads, ${REPS} reps; process CPU (all threads) per task, median:`)
  for (const [name, v] of Object.entries(out)) {
    const cpu = v.map((x) => x.cpu).sort((a, b) => a - b)
    const ms = v.map((x) => x.ms).sort((a, b) => a - b)
    console.log(
      `  ${name}: ${cpu[cpu.length >> 1]!.toFixed(1)} µs CPU/task (${
        v.map((x) => x.cpu.toFixed(1)).join(", ")
      }); wall ${ms[ms.length >> 1]!.toFixed(0)} ms (under load: not a claim)`
    )
  }
}).pipe(
  Effect.scoped,
  Effect.provide(Layer.merge(
    effectWorkerLayer,
    NodeThreads.layer({ threads: THREADS, handlers: new URL("./cases/threads/tasks.ts", import.meta.url) })
  ))
)

Effect.runPromise(main).then(() => process.exit(0), (e: unknown) => {
  console.error(e)
  process.exit(1)
})
