/**
 * The live monitor demo: a steady workload on four workqueues, watched with
 * `Monitor.live` (the `wq_monitor.py` view), redrawn in place every second.
 *
 *   npm run demo:monitor
 *
 * Stop it with Ctrl-C: the program's scope closes, the workqueues drain, and
 * `Monitor.dump` (the `wq_dump.py` view of the pools) is printed. What to
 * look for in the table:
 * - `io` items wait on timers: every wait wakes another worker (`CMW/s`),
 *   and `infl` stays high while the pools stay small;
 * - `crunch` items hold the JS thread for longer than the CPU-intensive
 *   threshold, so `CPUitsv/s` counts them;
 * - `flaky` fails one item in five (`failed/s`);
 * - `ordered` runs one item at a time (`infl` is 0 or 1).
 *
 * With `MONITOR_THREADS=<n>` the pools get `n` thread CPUs
 * (`NodeThreads.layer`) and a fifth workqueue, `tasks` (UNBOUND), takes
 * Schema-typed tasks: `Fetch` (1 ms of work, then 40 ms awaiting) and now
 * and then `Crunch` (3 ms CPU-bound). Under the table, a row per thread CPU
 * shows its tasks in flight, its workers (idle, running) and what they run;
 * Ctrl-C prints every thread's own pools after the main thread's.
 *
 * Environment: `MONITOR_INTERVAL` (milliseconds between frames, default
 * 1000), `MONITOR_SECONDS` (stop by itself after that long; default: run
 * until Ctrl-C) and `MONITOR_THREADS` (thread CPUs; default none).
 */
import * as NodeRuntime from "@effect/platform-node/NodeRuntime"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Logger from "effect/Logger"
import * as LogLevel from "effect/LogLevel"
import { Task, Work, WorkerPool, Workqueue } from "@cmwq/core"
import { Monitor, NodeThreads } from "@cmwq/platform-node"
import { Crunch, Fetch } from "./threads/tasks.js"

const interval = Number(process.env["MONITOR_INTERVAL"] ?? 1000)
const threads = process.env["MONITOR_THREADS"] === undefined ? 0 : Number(process.env["MONITOR_THREADS"])
const seconds = process.env["MONITOR_SECONDS"] === undefined ? undefined : Number(process.env["MONITOR_SECONDS"])

/**
 * hold the JS thread for about `ms` milliseconds, in 1 ms slices with a
 * cooperative yield between them (the item never blocks; the yields are where
 * the pool sees how long it has held the thread)
 */
const burn = (ms: number) =>
  Effect.forEach(Array.from({ length: ms }), () =>
    Effect.sync(() => {
      const until = performance.now() + 1
      let x = 0
      while (performance.now() < until) x++
      return x
    }).pipe(Effect.zipLeft(Effect.yieldNow())), { discard: true })

const program = Effect.gen(function*() {
  const io = yield* Workqueue.alloc("io", { maxActive: 32 })
  const crunch = yield* Workqueue.alloc("crunch")
  const flaky = yield* Workqueue.alloc("flaky")
  const ordered = yield* Workqueue.allocOrdered("ordered")
  const workqueues = [io, crunch, flaky, ordered]
  if (threads > 0) {
    const tasks = yield* Workqueue.alloc("tasks", { flags: ["UNBOUND"], maxActive: 64 })
    workqueues.push(tasks)
    // Schema-typed tasks on the thread CPUs: mostly awaiting, some CPU-bound
    yield* Effect.forkScoped(Effect.gen(function*() {
      for (let i = 0;; i++) {
        yield* Workqueue.queue(tasks, yield* Task.make(new Fetch({ ms: 40 })))
        if (i % 4 === 0) yield* Workqueue.queue(tasks, yield* Task.make(new Crunch({ ms: 3 })))
        yield* Effect.sleep(5)
      }
    }))
  }

  // the producer: a few items every 10 ms, on every workqueue
  const produce = Effect.gen(function*() {
    for (let i = 0;; i++) {
      yield* Workqueue.queue(io, Work.make(Effect.sleep(20 + (i % 5) * 20)))
      yield* Workqueue.queue(io, Work.make(Effect.sleep(50)))
      if (i % 10 === 0) yield* Workqueue.queue(crunch, Work.make(burn(15)))
      yield* Workqueue.queue(flaky, Work.make(i % 5 === 0 ? Effect.fail("flaky") : Effect.void))
      yield* Workqueue.queue(ordered, Work.make(Effect.sleep(5)))
      yield* Effect.sleep(10)
    }
  })
  yield* Effect.forkScoped(produce)
  yield* Effect.forkScoped(Monitor.live(workqueues, { interval: `${interval} millis`, threads: threads > 0 }))
  if (seconds === undefined) yield* Effect.never
  else yield* Effect.sleep(`${seconds} seconds`)
}).pipe(
  Effect.scoped,
  Effect.zipRight(Effect.flatMap(Monitor.dump, (text) => Effect.sync(() => process.stdout.write(`\n${text}\n`)))),
  Effect.onInterrupt(() =>
    Effect.flatMap(Monitor.dump, (text) => Effect.sync(() => process.stdout.write(`\n${text}\n`)))
  ),
  Effect.provide(
    threads > 0
      ? NodeThreads.layer({ threads, handlers: new URL("./threads/tasks.ts", import.meta.url) })
      // no thread CPUs: no task is queued, and the transport only says so if one were
      : Layer.merge(
        WorkerPool.layer(),
        Layer.succeed(Task.TaskTransport, { run: () => Effect.die("demo:monitor: no thread CPUs") })
      )
  ),
  // the failures of `flaky` are counted in `failed/s`: their log lines would scroll the table away
  // (outside the layer, so that the pools' workers inherit it)
  Logger.withMinimumLogLevel(LogLevel.None)
)

NodeRuntime.runMain(program)
