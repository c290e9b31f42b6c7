/**
 * The workqueue metrics (kernel `wq_monitor.py`'s counters as Effect
 * metrics): each `update` adds to every counter what changed since the last
 * one, per `workqueue` tag.
 *
 * @internal
 */
import * as Effect from "effect/Effect"
import * as Metric from "effect/Metric"
import { poolsImpl } from "./pools.js"
import { statsOf, type WorkqueueImpl } from "./workqueue.js"

/** @internal the counter metrics, by stat name */
export const counters = {
  started: Metric.counter("workqueue_started_total", { description: "work items started (wq_monitor: total)" }),
  completed: Metric.counter("workqueue_completed_total", { description: "work items completed" }),
  failed: Metric.counter("workqueue_failed_total", { description: "work items that failed, died or were interrupted" }),
  cpuTimeMs: Metric.counter("workqueue_cpu_time_ms_total", {
    description: "milliseconds items held the JS thread (wq_monitor: CPUtime)"
  }),
  cpuIntensive: Metric.counter("workqueue_cpu_intensive_total", {
    description: "CPU-intensive threshold violations (wq_monitor: CPUitsv)"
  }),
  cmWakeup: Metric.counter("workqueue_cm_wakeup_total", {
    description: "concurrency-management wakeups (wq_monitor: CMW)"
  }),
  mayday: Metric.counter("workqueue_mayday_total", { description: "maydays to the rescuer" }),
  rescued: Metric.counter("workqueue_rescued_total", { description: "items run by the rescuer" })
} as const

/** @internal the items in flight of a workqueue */
export const inFlight: Metric.Metric.Gauge<number> = Metric.gauge("workqueue_in_flight", {
  description: "work items queued or running (wq_monitor: infl)"
})

const published = new WeakMap<WorkqueueImpl, Record<string, number>>()

/** @internal publish every live workqueue's counts */
export const update = poolsImpl((pools) =>
  Effect.forEach(pools.workqueues, (wq) => {
    const stats = statsOf(wq) as unknown as Record<string, number>
    const last = published.get(wq) ?? {}
    published.set(wq, { ...stats })
    return Effect.zipRight(
      Effect.forEach(Object.entries(counters), ([key, counter]) => {
        const delta = (stats[key] ?? 0) - (last[key] ?? 0)
        return delta > 0 ? Metric.update(Metric.tagged(counter, "workqueue", wq.name), delta) : Effect.void
      }, { discard: true }),
      Metric.set(Metric.tagged(inFlight, "workqueue", wq.name), stats["inFlight"] ?? 0)
    )
  }, { discard: true })
)
