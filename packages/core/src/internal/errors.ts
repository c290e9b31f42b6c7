/**
 * The typed errors of `@cmwq/core`, defined here for the engine to raise and
 * re-exported, with their documentation, by the public module
 * `WorkqueueError.ts`. Unlike the rest of `internal/`, these classes are
 * public API: their JSDoc is the reference.
 */
import * as Schema from "effect/Schema"
import type { Explanation } from "./explain.js"

/**
 * `maxActive` was negative, fractional or above `WQ_MAX_ACTIVE` (2048). The
 * kernel clamps such values with a warning; we refuse them.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { Workqueue } from "@cmwq/core"
 *
 * const program = Workqueue.alloc("io", { maxActive: 5000 }).pipe(
 *   Effect.catchTag("InvalidMaxActive", (e) => Effect.die(e.message)) // above WQ_MAX_ACTIVE
 * )
 * ```
 *
 * @since 0.1.0
 * @category errors
 */
export class InvalidMaxActive extends Schema.TaggedError<InvalidMaxActive>("@cmwq/InvalidMaxActive")(
  "InvalidMaxActive",
  {
    workqueue: Schema.String,
    /** what was passed: the number, or for a value that is not a number its rendering (`"16"`, `null`) */
    maxActive: Schema.Union(Schema.Number, Schema.String),
    reason: Schema.String
  }
) {
  override get message(): string {
    return `workqueue ${this.workqueue}: invalid maxActive ${this.maxActive} (${this.reason}); max_active is an integer in 1..2048 (0 asks alloc for the default)`
  }
}

/**
 * A combination of flags the kernel refuses (e.g. `BH` with anything but
 * `HIGHPRI`, `UNBOUND` with `PERCPU`, an ordered `SYSFS` workqueue).
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { Workqueue } from "@cmwq/core"
 *
 * const program = Workqueue.alloc("bad", { flags: ["UNBOUND", "PERCPU"] }).pipe(
 *   Effect.catchTag("InvalidFlags", (e) => Effect.logError(e.reason))
 * )
 * ```
 *
 * @since 0.1.0
 * @category errors
 */
export class InvalidFlags extends Schema.TaggedError<InvalidFlags>("@cmwq/InvalidFlags")(
  "InvalidFlags",
  { workqueue: Schema.String, flags: Schema.Array(Schema.String), reason: Schema.String }
) {
  override get message(): string {
    return `workqueue ${this.workqueue}: invalid flags [${this.flags.join(", ")}]: ${this.reason}`
  }
}

/**
 * A CPU number outside `0..cpus-1` of the pools.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { Work, Workqueue, WorkqueueError } from "@cmwq/core"
 *
 * new WorkqueueError.InvalidCpu({ cpu: 4, cpus: 2 }).message
 * // "CPU 4 does not exist: the pools have 2 logical CPUs (0..1)"
 *
 * const onCpu = (wq: Workqueue.Workqueue, cpu: number) =>
 *   Workqueue.queueOn(wq, cpu, Work.make(Effect.void)).pipe(
 *     Effect.catchTag("InvalidCpu", (e) => Effect.logError(`only ${e.cpus} CPUs`))
 *   )
 * ```
 *
 * @since 0.1.0
 * @category errors
 */
export class InvalidCpu extends Schema.TaggedError<InvalidCpu>("@cmwq/InvalidCpu")(
  "InvalidCpu",
  { cpu: Schema.Number, cpus: Schema.Number }
) {
  override get message(): string {
    return `CPU ${this.cpu} does not exist: the pools have ${this.cpus} logical CPUs (0..${this.cpus - 1})`
  }
}

/**
 * A negative or non-finite delay.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { DelayedWork, Workqueue } from "@cmwq/core"
 *
 * const later = (wq: Workqueue.Workqueue, ms: number) =>
 *   Workqueue.queueDelayed(wq, DelayedWork.make(Effect.void), ms).pipe(
 *     Effect.catchTag("InvalidDelay", (e) => Effect.logError(`bad delay ${e.delay}`))
 *   )
 * ```
 *
 * @since 0.1.0
 * @category errors
 */
export class InvalidDelay extends Schema.TaggedError<InvalidDelay>("@cmwq/InvalidDelay")(
  "InvalidDelay",
  { delay: Schema.Number }
) {
  override get message(): string {
    return `invalid delay ${this.delay} ms: a delay is a finite number of milliseconds, 0 or more`
  }
}

/**
 * Queueing on a destroyed workqueue (or one being destroyed, from outside its
 * own items). Nothing was queued.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { Work, Workqueue } from "@cmwq/core"
 *
 * const program = Effect.gen(function*() {
 *   const wq = yield* Workqueue.alloc("jobs")
 *   yield* Workqueue.destroy(wq)
 *   yield* Workqueue.queue(wq, Work.make(Effect.void)).pipe(
 *     Effect.catchTag("WorkqueueDestroyed", (e) => Effect.log(`${e.workqueue} is gone`))
 *   )
 * })
 * ```
 *
 * @since 0.1.0
 * @category errors
 */
export class WorkqueueDestroyed extends Schema.TaggedError<WorkqueueDestroyed>("@cmwq/WorkqueueDestroyed")(
  "WorkqueueDestroyed",
  { workqueue: Schema.String }
) {
  override get message(): string {
    return `workqueue ${this.workqueue} is destroyed (or being destroyed): the item was not queued`
  }
}

/**
 * Queueing on a draining workqueue from outside its own items (only chained
 * queueing is allowed while draining). Nothing was queued.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { Work, Workqueue } from "@cmwq/core"
 *
 * // while drain runs, only the workqueue's own items may queue more
 * const fromOutside = (wq: Workqueue.Workqueue) =>
 *   Workqueue.queue(wq, Work.make(Effect.void)).pipe(Effect.catchTag("WorkqueueDraining", () => Effect.succeed(false)))
 * ```
 *
 * @since 0.1.0
 * @category errors
 */
export class WorkqueueDraining extends Schema.TaggedError<WorkqueueDraining>("@cmwq/WorkqueueDraining")(
  "WorkqueueDraining",
  { workqueue: Schema.String }
) {
  override get message(): string {
    return `workqueue ${this.workqueue} is draining: only its own items may queue on it; the item was not queued`
  }
}

/**
 * A flush, drain or `cancelSync` that could never return: it would wait for
 * the very work item it is called from (directly, or through other items
 * blocked in flushes).
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { Work, Workqueue } from "@cmwq/core"
 *
 * // an item that flushes its own workqueue would wait for itself
 * const selfFlush = (wq: Workqueue.Workqueue) =>
 *   Work.make(Workqueue.flush(wq).pipe(Effect.catchTag("FlushDeadlock", (e) => Effect.logError(e.message))))
 * ```
 *
 * @since 0.1.0
 * @category errors
 */
export class FlushDeadlock extends Schema.TaggedError<FlushDeadlock>("@cmwq/FlushDeadlock")(
  "FlushDeadlock",
  { operation: Schema.String, target: Schema.String, caller: Schema.String, reason: Schema.String }
) {
  override get message(): string {
    return `${this.operation}(${this.target}) from ${this.caller} would never return: ${this.reason}`
  }
}

/**
 * An operation the workqueue's kind does not allow (e.g. changing `maxActive`
 * of an ordered or BH workqueue).
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { Workqueue } from "@cmwq/core"
 *
 * const program = Effect.gen(function*() {
 *   const journal = yield* Workqueue.allocOrdered("journal")
 *   // an ordered workqueue keeps max_active 1
 *   yield* Workqueue.setMaxActive(journal, 4).pipe(Effect.catchTag("InvalidOperation", (e) => Effect.log(e.reason)))
 * })
 * ```
 *
 * @since 0.1.0
 * @category errors
 */
export class InvalidOperation extends Schema.TaggedError<InvalidOperation>("@cmwq/InvalidOperation")(
  "InvalidOperation",
  { operation: Schema.String, workqueue: Schema.String, reason: Schema.String }
) {
  override get message(): string {
    return `${this.operation} on workqueue ${this.workqueue}: ${this.reason}`
  }
}

/**
 * `Recorder.make` was given a capacity that is not a whole number of events,
 * 1 or more.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { Recorder } from "@cmwq/core"
 *
 * const program = Recorder.make({ capacity: 0 }).pipe(
 *   Effect.catchTag("InvalidRecorderCapacity", (e) => Effect.logError(e.message))
 * )
 * ```
 *
 * @since 0.1.0
 * @category errors
 */
export class InvalidRecorderCapacity
  extends Schema.TaggedError<InvalidRecorderCapacity>("@cmwq/InvalidRecorderCapacity")(
    "InvalidRecorderCapacity",
    { capacity: Schema.Number }
  )
{
  override get message(): string {
    return `Recorder.make: capacity ${this.capacity} is invalid: a whole number of events, 1 or more`
  }
}

/**
 * A `WorkerPool.layer` option out of range (e.g. `cpus: 0`).
 *
 * @example
 * ```ts
 * import { Effect, Layer } from "effect"
 * import { WorkerPool } from "@cmwq/core"
 *
 * const Live = WorkerPool.layer({ cpus: 0 }).pipe(
 *   Layer.catchAll((e) => Layer.effectDiscard(Effect.logError(`${e.option}: ${e.reason}`)))
 * )
 * ```
 *
 * @since 0.1.0
 * @category errors
 */
export class InvalidPoolOptions extends Schema.TaggedError<InvalidPoolOptions>("@cmwq/InvalidPoolOptions")(
  "InvalidPoolOptions",
  { option: Schema.String, value: Schema.String, reason: Schema.String }
) {
  override get message(): string {
    return `WorkerPool.layer: option ${this.option} = ${this.value} is invalid: ${this.reason}`
  }
}

/**
 * A defect, not a failure: an item of a `BH` workqueue suspended on async.
 * BH items run synchronously, as in the kernel's softirq context where
 * sleeping is a bug; the item was stopped so that its CPU's BH pool does not
 * hang, and this defect is what its worker reports.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { Work, Workqueue } from "@cmwq/core"
 *
 * const program = Effect.gen(function*() {
 *   const bh = yield* Workqueue.alloc("bh", { flags: ["BH"] })
 *   // BH items must not sleep: this one dies with BhWorkBlocked
 *   yield* Workqueue.queue(bh, Work.make(Effect.sleep("1 millis")))
 * })
 * ```
 *
 * @since 0.1.0
 * @category errors
 */
export class BhWorkBlocked extends Schema.TaggedError<BhWorkBlocked>("@cmwq/BhWorkBlocked")(
  "BhWorkBlocked",
  { workqueue: Schema.String, work: Schema.String }
) {
  override get message(): string {
    return `BH workqueue ${this.workqueue}: ${this.work} blocked on async; BH items must not sleep, so it was stopped`
  }
}

/**
 * A defect, not a failure: a `Policy`'s `selectNext` returned something the
 * engine cannot run while work was pending (null, or an item that is not a
 * runnable head of this pool's worklist). The pool keeps serving: it takes
 * the kernel's choice (the first worklist item) instead, and logs this
 * defect at ERROR, once per policy and reason.
 *
 * @example
 * ```ts
 * import { WorkqueueError } from "@cmwq/core"
 *
 * const e = new WorkqueueError.PolicyMisbehaved({ policy: "mine", pool: "cpu0", reason: "selectNext returned null" })
 * console.log(e.message)
 * ```
 *
 * @since 0.1.0
 * @category errors
 */
export class PolicyMisbehaved extends Schema.TaggedError<PolicyMisbehaved>("@cmwq/PolicyMisbehaved")(
  "PolicyMisbehaved",
  { policy: Schema.String, pool: Schema.String, reason: Schema.String }
) {
  override get message(): string {
    return `policy ${this.policy}: ${this.reason} while pool ${this.pool} had work pending; the pool ran its first worklist item instead`
  }
}

const ExplanationValue = Schema.declare(
  (u: unknown): u is Explanation =>
    typeof u === "object" && u !== null && typeof (u as { _tag?: unknown })._tag === "string" &&
    typeof (u as { message?: unknown }).message === "string",
  { identifier: "Explanation" }
)

/**
 * One item a timed-out wait gave up on: a drain or destroy
 * (`DrainTimeout`: the items still running, which were interrupted) or a
 * flush (`FlushTimeout`: the items of its epoch still pending or running).
 * `explanation` (see the `Explanation` module) says what the item was doing
 * or why it had not started; for a running item it is a `Running`
 * explanation naming the pool, the worker and for how long.
 *
 * @example
 * ```ts
 * import type { WorkqueueError } from "@cmwq/core"
 *
 * const line = (s: WorkqueueError.Straggler) => `${s.workqueue}/${s.work}: ${s.explanation.message}`
 * ```
 *
 * @since 0.1.0
 * @category models
 */
export const Straggler = Schema.Struct({
  /** the workqueue the item was queued on */
  workqueue: Schema.String,
  /** the item's name (`Work.make(effect, { name })`; `"<unnamed>"` without one) */
  work: Schema.String,
  /** what the item was doing, or why it had not started, when the wait gave up */
  explanation: ExplanationValue
})

/**
 * @since 0.1.0
 * @category models
 */
export type Straggler = typeof Straggler.Type

/** @internal a straggler in a few words, for log lines and error messages */
export const describeStraggler = (s: Straggler): string => {
  const e = s.explanation
  if (e._tag !== "Running") return `${s.work} (${e._tag})`
  const ran = e.forMs < 10_000 ? `${Math.round(e.forMs)} ms` : `${Math.round(e.forMs / 1000)} s`
  return `${s.work} (${e.pool}, running ${ran})`
}

/**
 * A drain or destroy with a timeout (`Workqueue.drain(wq, { timeout })`,
 * `Workqueue.destroy(wq, { timeout })`) did not finish in time. The items
 * still running then (`stragglers`) were interrupted; a `Work.promise`
 * item's `AbortSignal` fired. General on purpose: graceful-shutdown code can
 * report any such list.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { Workqueue } from "@cmwq/core"
 *
 * const stop = (wq: Workqueue.Workqueue) =>
 *   Workqueue.destroy(wq, { timeout: "5 seconds" }).pipe(
 *     Effect.catchTag("DrainTimeout", (e) => Effect.logWarning(e.message))
 *   )
 * ```
 *
 * @since 0.1.0
 * @category errors
 */
export class DrainTimeout extends Schema.TaggedError<DrainTimeout>("@cmwq/DrainTimeout")(
  "DrainTimeout",
  {
    workqueue: Schema.String,
    operation: Schema.Literal("drain", "destroy"),
    timeoutMillis: Schema.Number,
    stragglers: Schema.Array(Straggler)
  }
) {
  override get message(): string {
    const list = this.stragglers.map(describeStraggler).join(", ")
    return `workqueue ${this.workqueue}: ${this.operation} timed out after ${this.timeoutMillis} ms; interrupted ${this.stragglers.length} straggler(s)${
      list === "" ? "" : `: ${list}`
    }`
  }
}

/**
 * Something that is not a work item where one was expected (`queue(wq, {})`,
 * `Work.make` given a function instead of an Effect), or a `Work.sync`
 * function that returned a promise (use `Work.promise`). As a failure of a
 * queue call, nothing was queued; from `Work.sync`, it is the defect the item
 * died with.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { Workqueue, WorkqueueError } from "@cmwq/core"
 *
 * declare const wq: Workqueue.Workqueue
 * const refused = Workqueue.queue(wq, null as never).pipe(
 *   Effect.catchTag("InvalidWork", (e) => Effect.log(e.message))
 * )
 * ```
 *
 * @since 0.1.0
 * @category errors
 */
export class InvalidWork extends Schema.TaggedError<InvalidWork>("@cmwq/InvalidWork")(
  "InvalidWork",
  { operation: Schema.String, work: Schema.String, reason: Schema.String }
) {
  override get message(): string {
    return `${this.operation}: ${this.work}: ${this.reason}`
  }
}

/**
 * `queue` on a workqueue allocated with `maxPending` while that many of its
 * items are pending. Nothing was queued. (`run` and `submit` wait for room
 * instead.)
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { Work, Workqueue } from "@cmwq/core"
 *
 * declare const wq: Workqueue.Workqueue
 * const tryQueue = Workqueue.queue(wq, Work.make(Effect.void)).pipe(
 *   Effect.catchTag("WorkqueueFull", () => Effect.succeed(false))
 * )
 * ```
 *
 * @since 0.1.0
 * @category errors
 */
export class WorkqueueFull extends Schema.TaggedError<WorkqueueFull>("@cmwq/WorkqueueFull")(
  "WorkqueueFull",
  { workqueue: Schema.String, maxPending: Schema.Number }
) {
  override get message(): string {
    return `workqueue ${this.workqueue} is full: ${this.maxPending} items pending (maxPending); the item was not queued`
  }
}

/**
 * The former name of `Straggler` (a timed-out flush's stragglers are the
 * same records as a drain's).
 *
 * @example
 * ```ts
 * import { WorkqueueError } from "@cmwq/core"
 *
 * console.log(WorkqueueError.FlushStraggler === WorkqueueError.Straggler) // true
 * ```
 *
 * @since 0.1.0
 * @category models
 * @deprecated use `Straggler`
 */
export const FlushStraggler = Straggler

/**
 * A flush with a deadline (`Workqueue.flush(wq, { timeout })`,
 * `Epoch.awaitWithin`) did not complete in time. `stragglers` lists every
 * item of the epoch still queued or running when the deadline passed, each
 * with its explanation. The flush itself stays in line (a later flush of the
 * same workqueue still waits for the same items); only this wait gave up.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { Workqueue } from "@cmwq/core"
 *
 * declare const wq: Workqueue.Workqueue
 * const program = Workqueue.flush(wq, { timeout: "5 seconds" }).pipe(
 *   Effect.catchTag("FlushTimeout", (e) =>
 *     Effect.forEach(e.stragglers, (s) => Effect.logWarning(s.explanation.message)))
 * )
 * ```
 *
 * @since 0.1.0
 * @category errors
 */
export class FlushTimeout extends Schema.TaggedError<FlushTimeout>("@cmwq/FlushTimeout")(
  "FlushTimeout",
  {
    operation: Schema.String,
    workqueues: Schema.Array(Schema.String),
    timeoutMs: Schema.Number,
    stragglers: Schema.Array(Straggler)
  }
) {
  override get message(): string {
    const n = this.stragglers.length
    const head = `${this.operation}(${this.workqueues.join(", ")}) did not complete within ${this.timeoutMs} ms`
    if (n === 0) return `${head}: nothing of its epoch is queued or running any more (it completes at once)`
    return `${head}: ${n} item${n === 1 ? "" : "s"} still pending or running: ${
      this.stragglers.map((s) => s.explanation.message).join("; ")
    }`
  }
}
