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
import type * as Metric from "effect/Metric"
import * as Schedule from "effect/Schedule"
import type * as Scope from "effect/Scope"
import * as item from "./internal/item.js"
import * as internal from "./internal/metrics.js"
import { poolsImpl } from "./internal/pools.js"
import type { WorkerPools } from "./WorkerPool.js"
import type * as Workqueue from "./Workqueue.js"

/**
 * The items in flight of a workqueue, per `workqueue` tag.
 *
 * @since 0.1.0
 * @category metrics
 */
export const inFlight: Metric.Metric.Gauge<number> = internal.inFlight

/**
 * The counter metrics, by stat name.
 *
 * @since 0.1.0
 * @category metrics
 */
export const metrics: typeof internal.counters = internal.counters

/**
 * Publish every live workqueue's counts to the metrics (counters grow by what
 * changed since the last `update`).
 *
 * @since 0.1.0
 * @category combinators
 */
export const update: Effect.Effect<void, never, WorkerPools> = internal.update

/**
 * Publish the counts every `interval`, for as long as the scope lives.
 *
 * @since 0.1.0
 * @category constructors
 */
export const reporter = (interval: Duration.DurationInput): Effect.Effect<void, never, WorkerPools | Scope.Scope> =>
  Effect.asVoid(Effect.forkScoped(Effect.repeat(update, Schedule.spaced(interval))))

/**
 * Run time of work items, seconds (OpenTelemetry's
 * `messaging.process.duration`), with the attributes `messaging.system`
 * (`cmwq`) and `messaging.destination.name` (the workqueue). Recorded once
 * `recordDurations` has run.
 *
 * @example
 * ```ts
 * import { Effect, Metric } from "effect"
 * import { WorkqueueMetrics } from "@cmwq/core"
 *
 * const p99 = Effect.map(Metric.value(WorkqueueMetrics.processDuration), (state) => state.count)
 * ```
 *
 * @since 0.1.0
 * @category metrics
 */
export const processDuration: Metric.Metric.Histogram<number> = item.processDuration

/**
 * Queue-to-start latency of work items, seconds (`cmwq.work.queue.duration`,
 * named after OpenTelemetry's conventions: dotted, unit in seconds), with the
 * attributes of `processDuration`. Recorded once `recordDurations` has run.
 *
 * @example
 * ```ts
 * import { Effect, Metric } from "effect"
 * import { WorkqueueMetrics } from "@cmwq/core"
 *
 * const waited = Effect.map(Metric.value(WorkqueueMetrics.queueDuration), (state) => state.sum)
 * ```
 *
 * @since 0.1.0
 * @category metrics
 */
export const queueDuration: Metric.Metric.Histogram<number> = item.queueDuration

/**
 * Start recording `processDuration` and `queueDuration` for every item of
 * the pools (off by default: it costs a clock read per queue call and two
 * histogram updates per item, and takes synchronous items off the fast path).
 * Export them, with the counters, through `@effect/opentelemetry`'s
 * `Metrics.layer` or `NodeSdk.layer({ metricReader })`.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { WorkqueueMetrics } from "@cmwq/core"
 *
 * const program = Effect.zipRight(WorkqueueMetrics.recordDurations, WorkqueueMetrics.reporter("10 seconds"))
 * ```
 *
 * @since 0.1.0
 * @category combinators
 */
export const recordDurations: Effect.Effect<void, never, WorkerPools> = poolsImpl((pools) =>
  Effect.sync(() => {
    pools.histograms = true
  })
)

/** @internal keep the public Stats type reachable from here */
export type Stats = Workqueue.Stats
