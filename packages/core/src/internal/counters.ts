/**
 * The workqueue counter metrics and their publication: kept apart from
 * metrics.ts so that `destroy` (workqueue.ts) can publish a workqueue's final
 * counts without an import cycle.
 *
 * @internal
 */
import * as Effect from "effect/Effect"
import * as Metric from "effect/Metric"

/** @internal the counter metrics, by stat name */
export const counters = {
  started: Metric.counter("workqueue_started_total", { description: "work items started (wq_monitor: total)" }),
  finished: Metric.counter("workqueue_finished_total", {
    description: "runs that ended, succeeded or failed (barriers included)"
  }),
  completed: Metric.counter("workqueue_completed_total", {
    description: "deprecated: the same count as workqueue_finished_total (failed runs included)"
  }),
  failed: Metric.counter("workqueue_failed_total", {
    description: "runs that failed, died or were interrupted (a subset of finished)"
  }),
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
  rescued: Metric.counter("workqueue_rescued_total", { description: "items run by the rescuer" }),
  dropped: Metric.counter("workqueue_dropped_total", {
    description: "delayed items whose timer fired during a drain or destroy, dropped"
  })
} as const

/** @internal the items in flight of a workqueue */
export const inFlight: Metric.Metric.Gauge<number> = Metric.gauge("workqueue_in_flight", {
  description: "work items queued or running (wq_monitor: infl)"
})

/** @internal what each workqueue last published, to publish only the change */
const published = new WeakMap<object, Record<string, number>>()

/**
 * @internal publish one workqueue's counts: every counter grows by what
 * changed since its last publication, and the in-flight gauge is set
 */
export const publish = (
  wq: object,
  name: string,
  stats: Readonly<Record<string, number | string>>,
  inFlightNow: number
): Effect.Effect<void> =>
  Effect.suspend(() => {
    const counts = stats as Record<string, number>
    const last = published.get(wq) ?? {}
    published.set(wq, { ...counts })
    return Effect.zipRight(
      Effect.forEach(Object.entries(counters), ([key, counter]) => {
        const delta = (counts[key] ?? 0) - (last[key] ?? 0)
        return delta > 0 ? Metric.update(Metric.tagged(counter, "workqueue", name), delta) : Effect.void
      }, { discard: true }),
      Metric.set(Metric.tagged(inFlight, "workqueue", name), inFlightNow)
    )
  })
