/**
 * What a work item carries from its queue call to its run (PROTOCOLS.md Q1a,
 * Q6a): the Context and the FiberRefs that matter to it (log annotations,
 * minimum log level, Tracer, current span) of the fiber whose queue call
 * returned true, and the time of that call. Also the span, the log
 * annotations and the duration histograms of one item's run.
 *
 * Cost: nothing is captured for a synchronous item (`Work.sync`,
 * `Effect.sync`) queued from a fiber with no log annotation and no span
 * (or only spans of Effect's native tracer, which exports nothing) while
 * duration histograms are off (such an item cannot read its Context),
 * so the fast path (`fastpath.ts`) is untouched; `unsafeQueue` has no
 * calling fiber and captures only the time, when histograms are on. A span
 * is only made when the Tracer in effect is not Effect's default native
 * tracer (whose spans go nowhere) and tracing is enabled.
 *
 * @internal
 */
import * as Context from "effect/Context"
import * as DefaultServices from "effect/DefaultServices"
import * as Effect from "effect/Effect"
import type * as Fiber from "effect/Fiber"
import type * as FiberId from "effect/FiberId"
import * as FiberRef from "effect/FiberRef"
import * as FiberRefs from "effect/FiberRefs"
import * as HashMap from "effect/HashMap"
import type * as HashSet from "effect/HashSet"
import type * as Logger from "effect/Logger"
import type * as LogLevel from "effect/LogLevel"
import * as Metric from "effect/Metric"
import * as MetricBoundaries from "effect/MetricBoundaries"
import * as MetricLabel from "effect/MetricLabel"
import * as Tracer from "effect/Tracer"
import { currentFiber } from "./current.js"
import type { PoolsImpl } from "./pools.js"
import type { PoolWorkqueueImpl } from "./pwq.js"
import { colorOf, type WorkImpl, workName } from "./work.js"
import type { WorkerImpl } from "./worker.js"

/** @internal Effect's default tracer: its spans are never exported */
export const nativeTracer: Tracer.Tracer = Effect.runSync(Effect.tracer)

/** @internal what a successful queue call hands to the run it causes */
export class Captured {
  constructor(
    /** the caller's Context (its services; its span is linked, not inherited) */
    readonly context: Context.Context<never> | null,
    readonly annotations: HashMap.HashMap<string, unknown> | null,
    readonly minLevel: LogLevel.LogLevel | null,
    /** the caller's loggers: the item logs where its caller logs */
    readonly loggers: HashSet.HashSet<Logger.Logger<unknown, unknown>> | null,
    readonly tracer: Tracer.Tracer | null,
    /** the span active at the queue call */
    readonly span: Tracer.AnySpan | undefined,
    /** platform millis of the queue call */
    readonly queuedAt: number,
    /** the item span is a child of `span` (`run`/`submit`: the caller waits) instead of linked to it */
    readonly child: boolean
  ) {}
}

/**
 * @internal Q1a: capture the calling fiber's context for the run a
 * successful queue call causes, or null when there is nothing to carry
 * (see the module header).
 */
export const capture = (
  fiber: Fiber.RuntimeFiber<unknown, unknown>,
  syncItem: boolean,
  pools: PoolsImpl,
  child: boolean
): Captured | null => {
  const span = fiber.currentSpan
  const annotations = fiber.getFiberRef(FiberRef.currentLogAnnotations)
  // a span only matters to a synchronous item when a real tracer would export its link
  if (
    syncItem && (span === undefined || fiber.currentTracer === nativeTracer) && !pools.histograms &&
    HashMap.size(annotations) === 0
  ) return null
  return new Captured(
    fiber.currentContext,
    annotations,
    fiber.getFiberRef(FiberRef.currentMinimumLogLevel),
    fiber.getFiberRef(FiberRef.currentLoggers),
    fiber.currentTracer,
    span,
    pools.platform.now(),
    child
  )
}

/** @internal `unsafeQueue`: no calling fiber; only the time, for the histograms */
export const captureTime = (now: number): Captured => new Captured(null, null, null, null, null, undefined, now, false)

// -----------------------------------------------------------------------------
// Metrics (OpenTelemetry semantic conventions: seconds, dotted names)
// -----------------------------------------------------------------------------

const secondsBoundaries = MetricBoundaries.exponential({ start: 0.0001, factor: 2, count: 20 })

/** @internal `messaging.process.duration`: an item's run time, seconds */
export const processDuration = Metric.histogram(
  "messaging.process.duration",
  secondsBoundaries,
  "Duration of processing operation (a work item's run), seconds"
)

/** @internal `cmwq.work.queue.duration`: from the successful queue call to the start, seconds */
export const queueDuration = Metric.histogram(
  "cmwq.work.queue.duration",
  secondsBoundaries,
  "Time a work item waited from its successful queue call to its start, seconds"
)

const labels = new WeakMap<object, ReadonlyArray<MetricLabel.MetricLabel>>()

/** @internal the metric attributes of a workqueue (cached) */
export const metricLabels = (wq: PoolWorkqueueImpl["wq"]): ReadonlyArray<MetricLabel.MetricLabel> => {
  let l = labels.get(wq)
  if (l === undefined) {
    l = [MetricLabel.make("messaging.system", "cmwq"), MetricLabel.make("messaging.destination.name", wq.name)]
    labels.set(wq, l)
  }
  return l
}

// -----------------------------------------------------------------------------
// Running an item with its context (Q6a)
// -----------------------------------------------------------------------------

const withoutParent = new WeakMap<Context.Context<never>, Context.Context<never>>()

/** the caller's Context without its span (the item span replaces it, or links to it) */
const linkContext = (context: Context.Context<never>): Context.Context<never> => {
  let c = withoutParent.get(context)
  if (c === undefined) {
    c = Context.omit(Tracer.ParentSpan)(context)
    withoutParent.set(context, c)
  }
  return c
}

/**
 * @internal Q6a: the item's effect as it runs on `worker`: with the
 * `workqueue`, `work`, `cpu` and `worker` log annotations, the captured
 * Context and FiberRefs, a span when a real tracer is in effect, and the
 * duration histograms when they are on. Called by the worker right after
 * `startWork`.
 */
export const wrap = (
  worker: WorkerImpl,
  work: WorkImpl,
  effect: Effect.Effect<unknown, unknown>,
  ctx: Captured | null,
  histograms: boolean
): Effect.Effect<unknown, unknown> => {
  const pwq = worker.currentPwq!
  const wq = pwq.wq
  const name = workName(work)
  const pool = worker.pool
  const startedAt = worker.currentAt
  let eff = effect
  if (histograms) {
    // the run time is recorded by `restoreRefs`, in the worker's continuation
    const tags = metricLabels(wq)
    worker.durationTags = tags
    if (ctx !== null) queueDuration.unsafeUpdate(Math.max(0, startedAt - ctx.queuedAt) / 1000, tags)
  }
  const tracer = ctx?.tracer ?? null
  return Effect.withFiberRuntime((fiber) => {
    const activeTracer = tracer ?? fiber.currentTracer
    const enabled = fiber.getFiberRef(FiberRef.currentTracerEnabled)
    if (enabled && activeTracer !== nativeTracer) {
      const span = ctx?.span
      const latency = ctx === null ? undefined : Math.max(0, startedAt - ctx.queuedAt)
      const attributes: Record<string, unknown> = {
        "messaging.system": "cmwq",
        "messaging.operation.type": "process",
        "messaging.destination.name": wq.name,
        "cmwq.cpu": pool.cpu,
        "cmwq.pool": pool.name,
        "cmwq.worker": worker.name,
        "cmwq.flush_color": colorOf(worker.currentData)
      }
      if (latency !== undefined) attributes["cmwq.queue_latency_ms"] = latency
      eff = Effect.withSpan(eff, name, {
        kind: "consumer",
        attributes,
        ...(span === undefined
          ? { root: true }
          : ctx!.child
          ? { parent: span }
          : { root: true, links: [{ _tag: "SpanLink", span, attributes: { "cmwq.link": "queued by" } }] })
      })
    }
    // the item's FiberRefs, set on the worker fiber in one step and restored by the
    // worker's continuation (`restoreRefs`): Effect.locally and mapInputContext cost
    // about 20 us per item each, measured
    // eslint-disable-next-line @typescript-eslint/no-explicit-any -- FiberRef is invariant in its value: a list of mixed refs needs any
    const entries: Array<readonly [FiberRef.FiberRef<any>, readonly [readonly [FiberId.Single, unknown]]]> = []
    const id = fiber.id()
    entries.push([FiberRef.currentLogAnnotations, [[
      id,
      annotationsFor(worker, wq.name, name, ctx?.annotations ?? null, fiber)
    ]]])
    if (ctx !== null) {
      if (ctx.minLevel !== null) entries.push([FiberRef.currentMinimumLogLevel, [[id, ctx.minLevel]]])
      if (ctx.loggers !== null) entries.push([FiberRef.currentLoggers, [[id, ctx.loggers]]])
      if (ctx.context !== null) {
        const provided = ctx.child ? ctx.context : linkContext(ctx.context)
        entries.push([FiberRef.currentContext, [[id, mergedContext(worker, fiber.currentContext, provided)]]])
      }
      if (tracer !== null && tracer !== fiber.currentTracer) {
        entries.push([
          DefaultServices.currentServices,
          [[id, Context.add(fiber.currentDefaultServices, Tracer.Tracer, tracer)]]
        ])
      }
    }
    const saved = fiber.getFiberRefs()
    worker.savedRefs = saved
    setFiberRefs(fiber, FiberRefs.updateManyAs(saved, { entries: entries as never }))
    return eff
  })
}

/** @internal */
export interface AnnotationCache {
  readonly base: HashMap.HashMap<string, unknown>
  readonly wq: string
  readonly work: string
  readonly value: HashMap.HashMap<string, unknown>
}

/** @internal */
export interface ContextCache {
  readonly own: Context.Context<never>
  readonly provided: Context.Context<never>
  readonly value: Context.Context<never>
}

/**
 * `FiberRuntime.setFiberRefs` (effect 3.22): replace a fiber's FiberRefs
 * wholesale; not on the public `RuntimeFiber` interface
 */
const setFiberRefs = (fiber: Fiber.RuntimeFiber<unknown, unknown>, refs: FiberRefs.FiberRefs): void =>
  (fiber as unknown as { setFiberRefs(refs: FiberRefs.FiberRefs): void }).setFiberRefs(refs)

/** @internal the worker's continuation: give the worker fiber its own FiberRefs back (Q6a) */
export const restoreRefs = (worker: WorkerImpl): void => {
  const tags = worker.durationTags
  if (tags !== null) {
    worker.durationTags = null
    processDuration.unsafeUpdate((worker.pool.pools.platform.now() - worker.currentAt) / 1000, tags)
  }
  const saved = worker.savedRefs
  if (saved === null) return
  worker.savedRefs = null
  const fiber = currentFiber()
  if (fiber !== undefined) setFiberRefs(fiber, saved)
}

/** the item's log annotations: the caller's plus workqueue, work, cpu, worker (one-entry cache per worker) */
const annotationsFor = (
  worker: WorkerImpl,
  wq: string,
  work: string,
  caller: HashMap.HashMap<string, unknown> | null,
  fiber: Fiber.RuntimeFiber<unknown, unknown>
): HashMap.HashMap<string, unknown> => {
  const base = caller ?? fiber.getFiberRef(FiberRef.currentLogAnnotations)
  const cache = worker.annotationCache
  if (cache !== null && cache.base === base && cache.wq === wq && cache.work === work) return cache.value
  let value = HashMap.set(base, "workqueue", wq)
  value = HashMap.set(value, "work", work)
  value = HashMap.set(value, "cpu", worker.pool.cpu)
  value = HashMap.set(value, "worker", worker.name)
  worker.annotationCache = { base, wq, work, value }
  return value
}

/** the worker's Context with the caller's over it (one-entry cache per worker) */
const mergedContext = (
  worker: WorkerImpl,
  own: Context.Context<never>,
  provided: Context.Context<never>
): Context.Context<never> => {
  const cache = worker.contextCache
  if (cache !== null && cache.own === own && cache.provided === provided) return cache.value
  const value = Context.merge(own, provided)
  worker.contextCache = { own, provided, value }
  return value
}
