/**
 * The typed errors of `@cmwq/core`, defined here for the engine to raise and
 * re-exported, with their documentation, by the public module
 * `WorkqueueError.ts`. Unlike the rest of `internal/`, these classes are
 * public API: their JSDoc is the reference.
 */
import * as Schema from "effect/Schema"

/**
 * `maxActive` was negative, fractional or above `WQ_MAX_ACTIVE` (2048). The
 * kernel clamps such values with a warning; we refuse them.
 *
 * @since 0.1.0
 * @category errors
 */
export class InvalidMaxActive extends Schema.TaggedError<InvalidMaxActive>("@cmwq/InvalidMaxActive")(
  "InvalidMaxActive",
  { workqueue: Schema.String, maxActive: Schema.Number, reason: Schema.String }
) {
  override get message(): string {
    return `workqueue ${this.workqueue}: invalid maxActive ${this.maxActive} (${this.reason}); max_active is an integer in 1..2048 (0 asks alloc for the default)`
  }
}

/**
 * A combination of flags the kernel refuses (e.g. `BH` with anything but
 * `HIGHPRI`, `UNBOUND` with `PERCPU`, an ordered `SYSFS` workqueue).
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
 * A `WorkerPool.layer` option out of range (e.g. `cpus: 0`).
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
