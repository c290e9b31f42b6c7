/**
 * Workqueue statistics as Effect `Metric`s, with the columns of the kernel's
 * `tools/workqueue/wq_monitor.py`: `workqueue_started_total` (`total`),
 * `workqueue_completed_total`, `workqueue_failed_total`,
 * `workqueue_in_flight` (`infl`), `workqueue_cpu_time_ms_total` (`CPUtime`),
 * `workqueue_cpu_intensive_total` (`CPUitsv`), `workqueue_cm_wakeup_total`
 * (`CMW`), `workqueue_mayday_total` and `workqueue_rescued_total`, each
 * tagged `workqueue=<name>`.
 *
 * The engine counts in plain fields on its hot path (an Effect metric update
 * per item would cost more than the item); `update` publishes the counts to
 * the metrics, and `reporter` does so periodically. `Workqueue.stats` is the
 * snapshot function. Like the kernel's counters, started and completed
 * include flush barriers.
 *
 * See docs/concepts/debugging.md.
 *
 * @since 0.1.0
 */
import type * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Metric from "effect/Metric"
import * as Schedule from "effect/Schedule"
import type * as Scope from "effect/Scope"
import { impl, WorkerPools } from "./WorkerPool.js"
import * as Workqueue from "./Workqueue.js"
import { statsOf } from "./internal/workqueue.js"

const counters = {
  started: Metric.counter("workqueue_started_total", { description: "work items started (wq_monitor: total)" }),
  completed: Metric.counter("workqueue_completed_total", { description: "work items completed" }),
  failed: Metric.counter("workqueue_failed_total", { description: "work items that failed, died or were interrupted" }),
  cpuTimeMs: Metric.counter("workqueue_cpu_time_ms_total", { description: "milliseconds items held the JS thread (wq_monitor: CPUtime)" }),
  cpuIntensive: Metric.counter("workqueue_cpu_intensive_total", { description: "CPU-intensive threshold violations (wq_monitor: CPUitsv)" }),
  cmWakeup: Metric.counter("workqueue_cm_wakeup_total", { description: "concurrency-management wakeups (wq_monitor: CMW)" }),
  mayday: Metric.counter("workqueue_mayday_total", { description: "maydays to the rescuer" }),
  rescued: Metric.counter("workqueue_rescued_total", { description: "items run by the rescuer" })
} as const

/**
 * The items in flight of a workqueue, per `workqueue` tag.
 *
 * @since 0.1.0
 * @category metrics
 */
export const inFlight: Metric.Metric.Gauge<number> = Metric.gauge("workqueue_in_flight", {
  description: "work items queued or running (wq_monitor: infl)"
})

/**
 * The counter metrics, by stat name.
 *
 * @since 0.1.0
 * @category metrics
 */
export const metrics: typeof counters = counters

const published = new WeakMap<object, Record<string, number>>()

/**
 * Publish every live workqueue's counts to the metrics (counters grow by what
 * changed since the last `update`).
 *
 * @since 0.1.0
 * @category combinators
 */
export const update: Effect.Effect<void, never, WorkerPools> = Effect.flatMap(WorkerPools, (service) =>
  Effect.forEach(impl(service).workqueues, (wq) => {
    const stats = statsOf(wq)
    const last = published.get(wq) ?? {}
    published.set(wq, { ...stats } as unknown as Record<string, number>)
    return Effect.zipRight(
      Effect.forEach(Object.entries(counters), ([key, counter]) => {
        const delta = (stats as unknown as Record<string, number>)[key] - (last[key] ?? 0)
        return delta > 0 ? Metric.update(Metric.tagged(counter, "workqueue", wq.name), delta) : Effect.void
      }, { discard: true }),
      Metric.set(Metric.tagged(inFlight, "workqueue", wq.name), stats.inFlight)
    )
  }, { discard: true }))

/**
 * Publish the counts every `interval`, for as long as the scope lives.
 *
 * @since 0.1.0
 * @category constructors
 */
export const reporter = (interval: Duration.DurationInput): Effect.Effect<void, never, WorkerPools | Scope.Scope> =>
  Effect.asVoid(Effect.forkScoped(Effect.repeat(update, Schedule.spaced(interval))))

/** @internal keep the public Stats type reachable from here */
export type Stats = Workqueue.Stats
