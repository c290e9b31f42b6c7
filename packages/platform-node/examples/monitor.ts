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
 * Environment: `MONITOR_INTERVAL` (milliseconds between frames, default
 * 1000) and `MONITOR_SECONDS` (stop by itself after that long; default: run
 * until Ctrl-C).
 */
import * as NodeRuntime from "@effect/platform-node/NodeRuntime"
import * as Effect from "effect/Effect"
import * as Logger from "effect/Logger"
import * as LogLevel from "effect/LogLevel"
import { Work, WorkerPool, Workqueue } from "@cmwq/core"
import { Monitor } from "@cmwq/platform-node"

const interval = Number(process.env["MONITOR_INTERVAL"] ?? 1000)
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
  yield* Effect.forkScoped(Monitor.live(workqueues, { interval: `${interval} millis` }))
  if (seconds === undefined) yield* Effect.never
  else yield* Effect.sleep(`${seconds} seconds`)
}).pipe(
  Effect.scoped,
  Effect.zipRight(Effect.flatMap(Monitor.dump, (text) => Effect.sync(() => process.stdout.write(`\n${text}\n`)))),
  Effect.onInterrupt(() =>
    Effect.flatMap(Monitor.dump, (text) => Effect.sync(() => process.stdout.write(`\n${text}\n`)))
  ),
  Effect.provide(WorkerPool.layer()),
  // the failures of `flaky` are counted in `failed/s`: their log lines would scroll the table away
  // (outside the layer, so that the pools' workers inherit it)
  Logger.withMinimumLogLevel(LogLevel.None)
)

NodeRuntime.runMain(program)
