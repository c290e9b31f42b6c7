/**
 * Workqueue statistics as Effect `Metric`s, with the columns of the kernel's
 * `tools/workqueue/wq_monitor.py`, named in OpenTelemetry's
 * semantic-conventions style (dotted, under `cmwq.`), each with the
 * attribute `cmwq.workqueue.name` and its unit as the `unit` tag (which
 * `@effect/opentelemetry` exports as the instrument's unit):
 * `cmwq.work.started` (`total`), `cmwq.work.finished` (every run that ended,
 * failed ones included; `cmwq.work.completed` is its deprecated twin),
 * `cmwq.work.failed` (per `error.type`, see `errorType`), `cmwq.work.dropped` and `cmwq.work.in_flight` (`infl`),
 * all `{item}`; `cmwq.work.cpu_time`
 * (`CPUtime`, `ms`); `cmwq.work.cpu_intensive` (`CPUitsv`, `{violation}`);
 * `cmwq.worker.cm_wakeups` (`CMW`, `{wakeup}`); `cmwq.rescuer.maydays`
 * (`{mayday}`) and `cmwq.rescuer.rescued` (`{item}`). The histograms
 * `cmwq.work.duration` and `cmwq.work.queue.duration` are in seconds (`s`).
 *
 * The engine counts in plain fields on its hot path (an Effect metric update
 * per item would cost more than the item); `update` publishes the counts to
 * the metrics, and `reporter` does so periodically. `Workqueue.stats` is the
 * snapshot function. Like the kernel's counters, started and finished
 * include flush barriers.
 *
 * See docs/concepts/debugging.md.
 *
 * @since 0.1.0
 */
import type * as Cause from "effect/Cause"
import type * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import type * as Metric from "effect/Metric"
import * as Schedule from "effect/Schedule"
import type * as Scope from "effect/Scope"
import * as events from "./internal/events.js"
import * as item from "./internal/item.js"
import * as internal from "./internal/metrics.js"
import { poolsImpl } from "./internal/pools.js"
import type { WorkerPools } from "./WorkerPool.js"
import type * as Workqueue from "./Workqueue.js"

/**
 * The items in flight of a workqueue, per `workqueue` tag.
 *
 * @example
 * ```ts
 * import { Effect, Metric } from "effect"
 * import { WorkqueueMetrics } from "@cmwq/core"
 *
 * const inFlightNow = Effect.map(Metric.value(WorkqueueMetrics.inFlight), (gauge) => gauge.value)
 * ```
 *
 * @since 0.1.0
 * @category metrics
 */
export const inFlight: Metric.Metric.Gauge<number> = internal.inFlight

/**
 * The counter metrics, by stat name.
 *
 * @example
 * ```ts
 * import { Effect, Metric } from "effect"
 * import { WorkqueueMetrics } from "@cmwq/core"
 *
 * const completed = Effect.zipRight(
 *   WorkqueueMetrics.update,
 *   Effect.map(Metric.value(WorkqueueMetrics.metrics.completed), (counter) => counter.count)
 * )
 * ```
 *
 * @since 0.1.0
 * @category metrics
 */
export const metrics: typeof internal.counters = internal.counters

/**
 * Publish every live workqueue's counts to the metrics (counters grow by what
 * changed since the last `update`).
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { WorkqueueMetrics } from "@cmwq/core"
 *
 * // before a scrape: bring the counters up to date
 * const scrape = Effect.zipRight(WorkqueueMetrics.update, Effect.log("metrics updated"))
 * ```
 *
 * @since 0.1.0
 * @category combinators
 */
export const update: Effect.Effect<void, never, WorkerPools> = internal.update

/**
 * Publish the counts every `interval`, for as long as the scope lives.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { WorkqueueMetrics } from "@cmwq/core"
 *
 * const program = Effect.gen(function*() {
 *   yield* WorkqueueMetrics.reporter("5 seconds") // updates the metrics until the scope closes
 * })
 * ```
 *
 * @since 0.1.0
 * @category constructors
 */
export const reporter = (interval: Duration.DurationInput): Effect.Effect<void, never, WorkerPools | Scope.Scope> =>
  Effect.asVoid(Effect.forkScoped(Effect.repeat(update, Schedule.spaced(interval))))

/**
 * Run time of work items (`cmwq.work.duration`, unit `s`: seconds), with
 * the attribute `cmwq.workqueue.name` (the workqueue). Recorded once
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
 * Queue-to-start latency of work items (`cmwq.work.queue.duration`, unit
 * `s`: seconds), with the attribute `cmwq.workqueue.name`. Recorded once `recordDurations` has run.
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

/**
 * The OpenTelemetry `error.type` of a failed item's cause, as the
 * `cmwq.work.failed` counter's `error.type` attribute and the observer's
 * `WorkFailed` event carry it: the error `Cause.squash` picks (the first
 * typed failure, else the first defect, else the interruption), named by its
 * `_tag` if it is a tagged error (`Data.TaggedError`, `Schema.TaggedError`),
 * else by its class name, else `"_OTHER"` (a string, a plain object). Never
 * the message, so the attribute stays low-cardinality.
 *
 * @example
 * ```ts
 * import { Cause, Data } from "effect"
 * import { WorkqueueMetrics } from "@cmwq/core"
 *
 * class Timeout extends Data.TaggedError("Timeout")<{ readonly ms: number }> {}
 * WorkqueueMetrics.errorType(Cause.fail(new Timeout({ ms: 5 }))) // "Timeout"
 * WorkqueueMetrics.errorType(Cause.die(new RangeError("bad"))) // "RangeError"
 * WorkqueueMetrics.errorType(Cause.fail("nope")) // "_OTHER"
 * ```
 *
 * @since 0.1.0
 * @category utils
 */
export const errorType: (cause: Cause.Cause<unknown>) => string = events.errorType

/** @internal keep the public Stats type reachable from here */
export type Stats = Workqueue.Stats
