/**
 * Observability: the pools' observer, a failing item, the workqueue's
 * counters as Effect metrics and as wq_monitor.py-style lines. Run it with
 * `npx tsx docs/examples/observability.ts`.
 */
import { Console, Effect, Logger, LogLevel, Metric } from "effect"
import { Work, WorkerPool, Workqueue, WorkqueueMetrics } from "@cmwq/core"
import { Monitor } from "@cmwq/platform-node"

// called synchronously for every engine event: keep it cheap
const observer = (event: WorkerPool.Event): void => {
  if (event._tag === "WorkFailed") console.log(`observer: ${event.workqueue}/${event.work} failed`)
}

const program = Effect.gen(function*() {
  const wq = yield* Workqueue.alloc("ingest", { maxActive: 8 })
  for (let i = 0; i < 10; i++) {
    yield* Workqueue.queue(wq, Work.make(Effect.sleep("5 millis"), { name: `record-${i}` }))
  }
  yield* Workqueue.queue(wq, Work.make(Effect.fail("disk full"), { name: "record-bad" }))
  yield* Workqueue.flush(wq)

  // the counters, as wq_monitor.py prints them
  yield* Console.log(yield* Monitor.snapshot([wq]))

  // the same counters as Effect metrics, with the attribute cmwq.workqueue.name=<name>
  yield* WorkqueueMetrics.update
  const finished = yield* Metric.value(
    WorkqueueMetrics.metrics.finished.pipe(Metric.tagged("cmwq.workqueue.name", "ingest"))
  )
  yield* Console.log(`cmwq.work.finished{cmwq.workqueue.name="ingest"} ${finished.count}`)
})

await Effect.runPromise(
  program.pipe(
    Effect.scoped,
    Effect.provide(WorkerPool.layer({ observer })),
    // the engine also logs the failure; silence the logger to keep this output short
    Logger.withMinimumLogLevel(LogLevel.None)
  )
)
