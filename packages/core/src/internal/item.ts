/**
 * What a work item carries from its queue call to its run (PROTOCOLS.md Q1a,
 * Q6a): the Context and the FiberRefs that matter to it (log annotations,
 * minimum log level, Tracer, current span) of the fiber whose queue call
 * returned true, and the time of that call. Also the span, the log
 * annotations and the duration histograms of one item's run.
 *
 * Cost: nothing is captured for a synchronous item (`Work.sync`,
 * `Effect.sync`) queued from a fiber with no log annotation and Effect's
 * native tracer (whose spans export nothing) while duration histograms are
 * off (such an item cannot read its Context), so the fast path
 * (`fastpath.ts`) is untouched unless the worker fibers themselves have a
 * real tracer (`PoolsImpl.tracing`); `unsafeQueue` has no calling fiber
 * and captures only the time, when histograms are on. A span is only made
 * when the Tracer in effect is not Effect's default native tracer and
 * tracing is enabled: then every run is one, a synchronous item's too.
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
    /** platform millis of the queue call; -1: not taken (no histogram, no real tracer wants it) */
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
  const tracer = fiber.currentTracer
  // a synchronous item needs nothing when no real tracer would export its span
  if (syncItem && tracer === nativeTracer && !pools.histograms && HashMap.size(annotations) === 0) return null
  const context = fiber.currentContext
  const minLevel = fiber.getFiberRef(FiberRef.currentMinimumLogLevel)
  const loggers = fiber.getFiberRef(FiberRef.currentLoggers)
  // the time is only read by the queue-latency histogram and a real tracer's span
  if (!pools.histograms && tracer === nativeTracer) {
    // consecutive calls from the same fiber state share one record: a fiber queueing
    // many Effect-bodied items allocates none after the first (bench/instructions.ts)
    const last = lastCaptured
    if (
      last !== null && last.context === context && last.annotations === annotations && last.minLevel === minLevel &&
      last.loggers === loggers && last.tracer === tracer && last.span === span && last.child === child
    ) return last
    return lastCaptured = new Captured(context, annotations, minLevel, loggers, tracer, span, -1, child)
  }
  return new Captured(context, annotations, minLevel, loggers, tracer, span, pools.platform.now(), child)
}

/**
 * the last timeless record `capture` made (it holds that caller's Context
 * until a caller with another one queues: one reference, module-wide)
 */
let lastCaptured: Captured | null = null

/** @internal `unsafeQueue`: no calling fiber; only the time, for the histograms */
export const captureTime = (now: number): Captured => new Captured(null, null, null, null, null, undefined, now, false)

// -----------------------------------------------------------------------------
// Metrics (OpenTelemetry semantic conventions style: dotted names under `cmwq.`,
// durations in seconds, the unit as the `unit` tag that @effect/opentelemetry
// exports as the instrument's unit, the workqueue as `cmwq.workqueue.name`)
// -----------------------------------------------------------------------------

const secondsBoundaries = MetricBoundaries.exponential({ start: 0.0001, factor: 2, count: 20 })

/** @internal `cmwq.work.duration`: an item's run time, seconds */
export const processDuration = Metric.histogram(
  "cmwq.work.duration",
  secondsBoundaries,
  "Run time of a work item, from its start to its end, seconds"
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
    l = [MetricLabel.make("unit", "s"), MetricLabel.make("cmwq.workqueue.name", wq.name)]
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
  histograms: boolean,
  /** false for a BH item, which runs in a fiber of its own: nothing to restore */
  save = true
): Effect.Effect<unknown, unknown> => {
  const pwq = worker.currentPwq!
  const wq = pwq.wq
  const name = workName(work)
  const pool = worker.pool
  const startedAt = worker.startedAt
  let eff = effect
  if (histograms) {
    // the run time is recorded by `restoreRefs`, in the worker's continuation
    const tags = metricLabels(wq)
    worker.durationTags = tags
    if (ctx !== null && ctx.queuedAt >= 0) {
      queueDuration.unsafeUpdate(Math.max(0, startedAt - ctx.queuedAt) / 1000, tags)
    }
  }
  const tracer = ctx?.tracer ?? null
  const prepare = (fiber: Fiber.RuntimeFiber<unknown, unknown>): Effect.Effect<unknown, unknown> => {
    const activeTracer = tracer ?? fiber.currentTracer
    const enabled = fiber.getFiberRef(FiberRef.currentTracerEnabled)
    if (enabled && activeTracer !== nativeTracer) {
      const span = ctx?.span
      const latency = ctx === null || ctx.queuedAt < 0 ? undefined : Math.max(0, startedAt - ctx.queuedAt)
      const attributes: Record<string, unknown> = {
        "messaging.system": "cmwq",
        "messaging.operation.type": "process",
        "messaging.destination.name": wq.name,
        "cmwq.workqueue.name": wq.name,
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
    // about 20 us per item each, measured. The worker's own FiberRefs are read without
    // `getFiberRefs` (which copies them to record the runtime flags), and the item's are
    // cached per worker: consecutive items from the same caller (or none) on the same
    // workqueue reuse one FiberRefs value, so an Effect-bodied item allocates no map
    // (bench/instructions.ts)
    const own = fiberRefsOf(fiber)
    const refs = itemRefs(worker, own, fiber, wq.name, name, ctx)
    if (save) worker.savedRefs = own
    setFiberRefs(fiber, refs)
    return eff
  }
  // the worker calls this from its own fiber's continuation: set the FiberRefs right
  // away rather than through one more effect (Effect.withFiberRuntime: an allocation
  // and a step per item, bench/instructions.ts); a BH item's fiber is not running yet
  if (save) {
    const fiber = currentFiber()
    if (fiber !== undefined && fiber === worker.fiber) return prepare(fiber)
  }
  return Effect.withFiberRuntime(prepare)
}

/** @internal the last FiberRefs built for an item on a worker, and what they were built from */
export interface RefsCache {
  readonly own: FiberRefs.FiberRefs
  readonly wq: string
  readonly work: string
  readonly annotations: HashMap.HashMap<string, unknown> | null
  readonly minLevel: LogLevel.LogLevel | null
  readonly loggers: HashSet.HashSet<Logger.Logger<unknown, unknown>> | null
  readonly context: Context.Context<never> | null
  readonly child: boolean
  readonly tracer: Tracer.Tracer | null
  readonly value: FiberRefs.FiberRefs
}

/** the FiberRefs an item runs with: the worker's own with the caller's and the item's annotations over them */
const itemRefs = (
  worker: WorkerImpl,
  own: FiberRefs.FiberRefs,
  fiber: Fiber.RuntimeFiber<unknown, unknown>,
  wq: string,
  work: string,
  ctx: Captured | null
): FiberRefs.FiberRefs => {
  const annotations = ctx?.annotations ?? null
  const minLevel = ctx?.minLevel ?? null
  const loggers = ctx?.loggers ?? null
  const context = ctx?.context ?? null
  const child = ctx?.child ?? false
  const tracer = ctx?.tracer ?? null
  const c = worker.refsCache
  if (
    c !== null && c.own === own && c.wq === wq && c.work === work && c.annotations === annotations &&
    c.minLevel === minLevel && c.loggers === loggers && c.context === context && c.child === child &&
    c.tracer === tracer
  ) return c.value
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- FiberRef is invariant in its value: a list of mixed refs needs any
  const entries: Array<readonly [FiberRef.FiberRef<any>, readonly [readonly [FiberId.Single, unknown]]]> = []
  const id = fiber.id()
  const base = annotations ?? fiber.getFiberRef(FiberRef.currentLogAnnotations)
  let value = HashMap.set(base, "workqueue", wq)
  value = HashMap.set(value, "work", work)
  value = HashMap.set(value, "cpu", worker.pool.cpu)
  value = HashMap.set(value, "worker", worker.name)
  entries.push([FiberRef.currentLogAnnotations, [[id, value]]])
  if (minLevel !== null) entries.push([FiberRef.currentMinimumLogLevel, [[id, minLevel]]])
  if (loggers !== null) entries.push([FiberRef.currentLoggers, [[id, loggers]]])
  if (context !== null) {
    const provided = child ? context : linkContext(context)
    entries.push([FiberRef.currentContext, [[id, Context.merge(fiber.currentContext, provided)]]])
  }
  if (tracer !== null && tracer !== fiber.currentTracer) {
    entries.push([
      DefaultServices.currentServices,
      [[id, Context.add(fiber.currentDefaultServices, Tracer.Tracer, tracer)]]
    ])
  }
  const refs = FiberRefs.updateManyAs(own, { entries: entries as never })
  worker.refsCache = { own, wq, work, annotations, minLevel, loggers, context, child, tracer, value: refs }
  return refs
}

/**
 * `FiberRuntime.setFiberRefs` (effect 3.22): replace a fiber's FiberRefs
 * wholesale; not on the public `RuntimeFiber` interface
 */
const setFiberRefs = (fiber: Fiber.RuntimeFiber<unknown, unknown>, refs: FiberRefs.FiberRefs): void =>
  (fiber as unknown as { setFiberRefs(refs: FiberRefs.FiberRefs): void }).setFiberRefs(refs)

/**
 * `FiberRuntime._fiberRefs` (effect 3.22): a fiber's FiberRefs as they are.
 * `getFiberRefs` first writes the runtime flags into them (a copy of the
 * map); the flags live in the fiber itself, and the copy matters only to a
 * fork, which calls `getFiberRefs` itself
 */
const fiberRefsOf = (fiber: Fiber.RuntimeFiber<unknown, unknown>): FiberRefs.FiberRefs =>
  (fiber as unknown as { readonly _fiberRefs: FiberRefs.FiberRefs })._fiberRefs

/** @internal the worker's continuation: give the worker fiber its own FiberRefs back (Q6a) */
export const restoreRefs = (worker: WorkerImpl): void => {
  const tags = worker.durationTags
  if (tags !== null) {
    worker.durationTags = null
    processDuration.unsafeUpdate((worker.pool.pools.platform.now() - worker.startedAt) / 1000, tags)
  }
  const saved = worker.savedRefs
  if (saved === null) return
  worker.savedRefs = null
  const fiber = currentFiber()
  if (fiber !== undefined) setFiberRefs(fiber, saved)
}
