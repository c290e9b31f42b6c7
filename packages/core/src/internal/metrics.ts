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
  completed: counter("cmwq.work.completed", "{item}", "work items completed"),
  failed: counter("cmwq.work.failed", "{item}", "work items that failed, died or were interrupted"),
  cpuTimeMs: counter("cmwq.work.cpu_time", "ms", "milliseconds items held the JS thread (wq_monitor: CPUtime)"),
  cpuIntensive: counter(
    "cmwq.work.cpu_intensive",
    "{violation}",
    "CPU-intensive threshold violations (wq_monitor: CPUitsv)"
  ),
  cmWakeup: counter("cmwq.worker.cm_wakeups", "{wakeup}", "concurrency-management wakeups (wq_monitor: CMW)"),
  mayday: counter("cmwq.rescuer.maydays", "{mayday}", "maydays to the rescuer"),
  rescued: counter("cmwq.rescuer.rescued", "{item}", "items run by the rescuer")
} as const

/** @internal the items in flight of a workqueue */
export const inFlight: Metric.Metric.Gauge<number> = Metric.tagged(
  Metric.gauge("cmwq.work.in_flight", { description: "work items queued or running (wq_monitor: infl)" }),
  "unit",
  "{item}"
)

/** @internal the attribute that names the workqueue on every metric */
export const workqueueAttribute = "cmwq.workqueue.name"

const published = new WeakMap<WorkqueueImpl, Record<string, number>>()

/** @internal publish every live workqueue's counts */
export const update = poolsImpl((pools) =>
  Effect.forEach(pools.workqueues, (wq) => {
    const stats = statsOf(wq) as unknown as Record<string, number>
    const last = published.get(wq) ?? {}
    published.set(wq, { ...stats })
    return Effect.zipRight(
      Effect.forEach(Object.entries(counters), ([key, c]) => {
        const delta = (stats[key] ?? 0) - (last[key] ?? 0)
        return delta > 0 ? Metric.update(Metric.tagged(c, workqueueAttribute, wq.name), delta) : Effect.void
      }, { discard: true }),
      Metric.set(Metric.tagged(inFlight, workqueueAttribute, wq.name), stats["inFlight"] ?? 0)
    )
  }, { discard: true })
)
