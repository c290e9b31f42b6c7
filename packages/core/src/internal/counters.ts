/**
 * The workqueue counter metrics and their publication: kept apart from
 * metrics.ts so that `destroy` (workqueue.ts) can publish a workqueue's final
 * counts without an import cycle.
 *
 * @internal
 */
import * as Effect from "effect/Effect"
import * as Metric from "effect/Metric"

/**
 * a counter named in OpenTelemetry's semantic-conventions style (dotted,
 * under `cmwq.`), with its unit as the `unit` tag, which
 * @effect/opentelemetry exports as the instrument's unit
 */
const counter = (name: string, unit: string, description: string) =>
  Metric.tagged(Metric.counter(name, { description }), "unit", unit)

/** @internal the counter metrics, by stat name */
export const counters = {
  started: counter("cmwq.work.started", "{item}", "work items started (wq_monitor: total)"),
  finished: counter("cmwq.work.finished", "{item}", "runs that ended, succeeded or failed (barriers included)"),
  completed: counter(
    "cmwq.work.completed",
    "{item}",
    "deprecated: the same count as cmwq.work.finished (failed runs included)"
  ),
  failed: counter("cmwq.work.failed", "{item}", "runs that failed, died or were interrupted (a subset of finished)"),
  cpuTimeMs: counter("cmwq.work.cpu_time", "ms", "milliseconds items held the JS thread (wq_monitor: CPUtime)"),
  cpuIntensive: counter(
    "cmwq.work.cpu_intensive",
    "{violation}",
    "CPU-intensive threshold violations (wq_monitor: CPUitsv)"
  ),
  cmWakeup: counter("cmwq.worker.cm_wakeups", "{wakeup}", "concurrency-management wakeups (wq_monitor: CMW)"),
  mayday: counter("cmwq.rescuer.maydays", "{mayday}", "maydays to the rescuer"),
  rescued: counter("cmwq.rescuer.rescued", "{item}", "items run by the rescuer"),
  dropped: counter(
    "cmwq.work.dropped",
    "{item}",
    "delayed items whose timer fired during a drain or destroy, dropped"
  )
} as const

/** @internal the items in flight of a workqueue */
export const inFlight: Metric.Metric.Gauge<number> = Metric.tagged(
  Metric.gauge("cmwq.work.in_flight", { description: "work items queued or running (wq_monitor: infl)" }),
  "unit",
  "{item}"
)

/** @internal the attribute that names the workqueue on every metric */
export const workqueueAttribute = "cmwq.workqueue.name"

/** @internal the OpenTelemetry attribute that classifies a failed run on `cmwq.work.failed` */
export const errorTypeAttribute = "error.type"

/** @internal what each workqueue last published, to publish only the change */
const published = new WeakMap<object, Record<string, number>>()
/** @internal the failed-run counts by `error.type` each workqueue last published */
const publishedByType = new WeakMap<object, ReadonlyMap<string, number>>()

/**
 * @internal publish one workqueue's counts: every counter grows by what
 * changed since its last publication, and the in-flight gauge is set. The
 * failed counter grows per `error.type` (`failedByType`, which sums to the
 * failed count), so each of its points carries the type of error it counts.
 */
export const publish = (
  wq: object,
  name: string,
  stats: Readonly<Record<string, number | string>>,
  inFlightNow: number,
  failedByType: ReadonlyMap<string, number> | null = null
): Effect.Effect<void> =>
  Effect.suspend(() => {
    const counts = stats as Record<string, number>
    const last = published.get(wq) ?? {}
    published.set(wq, { ...counts })
    const lastByType = publishedByType.get(wq)
    if (failedByType !== null) publishedByType.set(wq, new Map(failedByType))
    return Effect.zipRight(
      Effect.forEach(Object.entries(counters), ([key, counter]) => {
        if (key === "failed" && failedByType !== null) {
          return Effect.forEach(failedByType, ([type, count]) => {
            const delta = count - (lastByType?.get(type) ?? 0)
            return delta > 0
              ? Metric.update(
                Metric.tagged(Metric.tagged(counter, workqueueAttribute, name), errorTypeAttribute, type),
                delta
              )
              : Effect.void
          }, { discard: true })
        }
        const delta = (counts[key] ?? 0) - (last[key] ?? 0)
        return delta > 0 ? Metric.update(Metric.tagged(counter, workqueueAttribute, name), delta) : Effect.void
      }, { discard: true }),
      Metric.set(Metric.tagged(inFlight, workqueueAttribute, name), inFlightNow)
    )
  })
