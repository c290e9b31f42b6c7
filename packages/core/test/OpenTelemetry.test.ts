/**
 * Tracing and metrics through @effect/opentelemetry, for real: an in-memory
 * span exporter and a metric reader, a known workload, and the spans'
 * parents, links and attributes and the metric values checked.
 */
import { NodeSdk } from "@effect/opentelemetry"
import { describe, expect, it } from "@effect/vitest"
import { AggregationTemporality, MetricReader, type ResourceMetrics } from "@opentelemetry/sdk-metrics"
import { InMemorySpanExporter, type ReadableSpan, SimpleSpanProcessor } from "@opentelemetry/sdk-trace-base"
import * as Data from "effect/Data"
import * as Effect from "effect/Effect"
import * as Logger from "effect/Logger"
import * as LogLevel from "effect/LogLevel"
import { Work, WorkerPool, Workqueue, WorkqueueMetrics } from "@cmwq/core"

class Overloaded extends Data.TaggedError("Overloaded")<{ readonly queue: string }> {}

class TestReader extends MetricReader {
  constructor() {
    super({ aggregationTemporalitySelector: () => AggregationTemporality.CUMULATIVE })
  }
  protected override onForceFlush(): Promise<void> {
    return Promise.resolve()
  }
  protected override onShutdown(): Promise<void> {
    return Promise.resolve()
  }
}

const metricNamed = (rm: ResourceMetrics, name: string) =>
  rm.scopeMetrics.flatMap((s) => s.metrics).find((m) => m.descriptor.name === name)

describe("OpenTelemetry", () => {
  it.live("item spans link to the queueing span (run: child of the caller), flush is a span, and the duration histograms and counters export", () => {
    const exporter = new InMemorySpanExporter()
    const reader = new TestReader()
    const otel = NodeSdk.layer(() => ({
      resource: { serviceName: "cmwq-test" },
      spanProcessor: new SimpleSpanProcessor(exporter),
      metricReader: reader
    }))
    const N = 5
    return Effect.gen(function*() {
      const wq = yield* Workqueue.alloc("otel", { maxActive: 2 })
      yield* WorkqueueMetrics.recordDurations
      yield* Effect.gen(function*() {
        for (let i = 0; i < N; i++) {
          yield* Workqueue.queue(
            wq,
            Work.make(Effect.withSpan(Effect.sleep(2), "inner"), { name: `job-${i}` })
          )
        }
        yield* Workqueue.run(wq, Effect.sleep(1), { name: "awaited" })
        // failures: two tagged, one defect of a class, one untyped
        yield* Workqueue.queue(wq, Work.make(Effect.fail(new Overloaded({ queue: "otel" })), { name: "overloaded-1" }))
        yield* Workqueue.queue(wq, Work.make(Effect.fail(new Overloaded({ queue: "otel" })), { name: "overloaded-2" }))
        yield* Workqueue.queue(wq, Work.make(Effect.die(new RangeError("bad")), { name: "range" }))
        yield* Workqueue.queue(wq, Work.make(Effect.fail("no"), { name: "untyped" }))
        yield* Workqueue.flush(wq)
      }).pipe(Effect.withSpan("producer"))
      yield* WorkqueueMetrics.update
      const { resourceMetrics } = yield* Effect.promise(() => reader.collect())
      return resourceMetrics
    }).pipe(
      Effect.scoped,
      Effect.provide(WorkerPool.layer()),
      // checked before the SDK layer shuts down (which clears the in-memory exporter)
      Effect.map((resourceMetrics) => {
        const spans = exporter.getFinishedSpans()
        const byName = (name: string): ReadableSpan => {
          const span = spans.find((s) => s.name === name)
          expect(span, name).toBeDefined()
          return span!
        }
        const producer = byName("producer")
        const producerCtx = producer.spanContext()
        for (let i = 0; i < N; i++) {
          const job = byName(`job-${i}`)
          // asynchronous consumer: a new trace, linked to the send context
          expect(job.parentSpanContext).toBeUndefined()
          expect(job.links.map((l) => l.context.spanId)).toEqual([producerCtx.spanId])
          expect(job.kind).toBe(4) // SpanKind.CONSUMER
          expect(job.attributes).toMatchObject({
            "messaging.system": "cmwq",
            "messaging.operation.type": "process",
            "messaging.destination.name": "otel",
            "cmwq.flush_color": 0
          })
          expect(typeof job.attributes["cmwq.cpu"]).toBe("number")
          expect(String(job.attributes["cmwq.worker"])).toMatch(/^kworker\//)
          expect(String(job.attributes["cmwq.pool"])).not.toBe("")
          expect(job.attributes["cmwq.queue_latency_ms"]).toBeGreaterThanOrEqual(0)
        }
        // the item's own spans are children of its span
        const jobIds = new Set(spans.filter((s) => s.name.startsWith("job-")).map((s) => s.spanContext().spanId))
        const inners = spans.filter((s) => s.name === "inner")
        expect(inners).toHaveLength(N)
        for (const inner of inners) expect(jobIds.has(inner.parentSpanContext!.spanId)).toBe(true)
        // run: the caller waits, so the item span is its child
        expect(byName("awaited").parentSpanContext?.spanId).toBe(producerCtx.spanId)
        expect(byName("Workqueue.flush").parentSpanContext?.spanId).toBe(producerCtx.spanId)
        expect(byName("Workqueue.destroy").attributes["messaging.destination.name"]).toBe("otel")

        const process = metricNamed(resourceMetrics, "cmwq.work.duration")
        expect(process).toBeDefined()
        const processPoint = process!.dataPoints.find((p) => p.attributes["cmwq.workqueue.name"] === "otel")
        expect((processPoint!.value as { count: number }).count).toBe(N + 1 + 4)
        const queued = metricNamed(resourceMetrics, "cmwq.work.queue.duration")
        const queuedPoint = queued!.dataPoints.find((p) => p.attributes["cmwq.workqueue.name"] === "otel")
        expect((queuedPoint!.value as { count: number }).count).toBe(N + 1 + 4)
        // OpenTelemetry units: seconds for the histograms, {item} for the item counters
        expect(process!.descriptor.unit).toBe("s")
        expect(queued!.descriptor.unit).toBe("s")
        const completed = metricNamed(resourceMetrics, "cmwq.work.completed")
        expect(completed!.descriptor.unit).toBe("{item}")
        const completedPoint = completed!.dataPoints.find((p) => p.attributes["cmwq.workqueue.name"] === "otel")
        // flush barriers count as started and completed items, as in the kernel's counters
        expect(completedPoint!.value).toBeGreaterThanOrEqual(N + 1)
        // failed runs by OpenTelemetry's error.type: the tag, else the class, else _OTHER
        const failed = metricNamed(resourceMetrics, "cmwq.work.failed")
        expect(failed!.descriptor.unit).toBe("{item}")
        const failedPoints = failed!.dataPoints
          .filter((p) => p.attributes["cmwq.workqueue.name"] === "otel")
          .map((p) => [p.attributes["error.type"], p.value])
          .sort()
        expect(failedPoints).toEqual([["Overloaded", 2], ["RangeError", 1], ["_OTHER", 1]])
      }),
      Effect.provide(otel),
      Logger.withMinimumLogLevel(LogLevel.None)
    )
  })

  it.live("with a tracer installed, synchronous items queued outside any span (unsafeQueue too) are spans as well", () => {
    const exporter = new InMemorySpanExporter()
    const otel = NodeSdk.layer(() => ({
      resource: { serviceName: "cmwq-test" },
      spanProcessor: new SimpleSpanProcessor(exporter)
    }))
    return Effect.gen(function*() {
      const wq = yield* Workqueue.alloc("otel-sync")
      let runs = 0
      yield* Workqueue.queue(wq, Work.sync(() => runs++, { name: "plain-sync" }))
      yield* Workqueue.queue(wq, Work.make(Effect.sync(() => runs++), { name: "effect-sync" }))
      Workqueue.unsafeQueue(wq, Work.sync(() => runs++, { name: "unsafe-sync" }))
      yield* Workqueue.flush(wq)
      return runs
    }).pipe(
      Effect.scoped,
      Effect.provide(WorkerPool.layer()),
      Effect.map((runs) => {
        expect(runs).toBe(3)
        const spans = exporter.getFinishedSpans()
        for (const name of ["plain-sync", "effect-sync", "unsafe-sync"]) {
          const span = spans.find((s) => s.name === name)
          expect(span, name).toBeDefined()
          expect(span!.parentSpanContext, name).toBeUndefined()
          expect(span!.links, name).toEqual([])
          expect(span!.attributes["messaging.destination.name"], name).toBe("otel-sync")
        }
      }),
      Effect.provide(otel),
      Logger.withMinimumLogLevel(LogLevel.None)
    )
  })
})
