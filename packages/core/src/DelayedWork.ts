/**
 * Delayed work items: a work item plus a timer on Effect's `Clock` (the
 * kernel's `delayed_work`). Queue one with `Workqueue.queueDelayed` or
 * `Workqueue.modDelayed`; while its timer is armed it is pending, so queueing
 * it again returns `false` and leaves the deadline alone, while `modDelayed`
 * moves the deadline. `Work.cancel`, `Work.cancelSync`, `Work.disable` also
 * stop the timer. Because the timer runs on `Clock`, `TestClock` drives it.
 *
 * See docs/concepts/workqueues-and-work.md.
 *
 * @since 0.1.0
 */
import * as Effect from "effect/Effect"
import type * as Option from "effect/Option"
import type * as Schedule from "effect/Schedule"
import { InvalidWork } from "./internal/errors.js"
import { repeating as repeatingImpl } from "./internal/repeat.js"
import { DelayedWorkImpl } from "./internal/work.js"
import * as internal from "./internal/workApi.js"
import type { Work } from "./Work.js"
import type { FlushDeadlock, WorkqueueDestroyed, WorkqueueDraining } from "./WorkqueueError.js"

/**
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { DelayedWork } from "@cmwq/core"
 *
 * const poll = DelayedWork.make(Effect.log("poll"))
 * const branded = DelayedWork.TypeId in poll // true
 * ```
 *
 * @since 0.1.0
 * @category symbols
 */
export const TypeId: unique symbol = Symbol.for("@cmwq/core/DelayedWork")

/**
 * @since 0.1.0
 * @category symbols
 */
export type TypeId = typeof TypeId

/**
 * A delayed work item. It is a `Work`, so every `Work` function applies.
 *
 * @since 0.1.0
 * @category models
 */
export interface DelayedWork<out E = unknown, out R = never> extends Work<E, R> {
  readonly [TypeId]: TypeId
}

Object.defineProperty(DelayedWorkImpl.prototype, TypeId, { value: TypeId })

/**
 * Make a delayed work item that runs `effect`.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { DelayedWork } from "@cmwq/core"
 *
 * const poll = DelayedWork.make(Effect.log("poll"), { name: "poll" })
 * ```
 *
 * @since 0.1.0
 * @category constructors
 */
export const make = <A, E = never, R = never>(
  effect: Effect.Effect<A, E, R>,
  options?: { readonly name?: string | undefined }
): DelayedWork<E, R> => {
  if (!Effect.isEffect(effect)) {
    throw new InvalidWork({
      operation: "DelayedWork.make",
      work: options?.name ?? "anonymous work",
      reason: typeof effect === "function" ? "given a function: pass the Effect itself" : "not an Effect"
    })
  }
  return new DelayedWorkImpl(effect as Effect.Effect<unknown, unknown>, options?.name) as unknown as DelayedWork<E, R>
}

/**
 * Periodic work on an Effect `Schedule`: a delayed item that runs `effect`,
 * then steps `schedule` with its output and queues itself again (on the
 * workqueue it ran on, on the same CPU) after the delay the schedule
 * decides, until the schedule is done or the effect fails. Start it with
 * `Workqueue.queueDelayed(wq, dwork, 0)` (or any first delay).
 *
 * It is an ordinary delayed item between runs: pending while its timer is
 * armed (queueing it again returns `false`), `Work.cancel` stops the armed
 * timer, and `Work.cancelSync` stops it for good, even from the middle of a
 * run (the run's re-queue is refused while the cancel holds it disabled).
 * Each run's re-queue is chained queueing, so `drain` and `destroy` are not
 * held up by the next timer. A series that ended (the schedule is done, a
 * run failed, the re-queue was refused) starts from the schedule's initial
 * state when it is queued again; one stopped by `Work.cancel` while its
 * timer was armed carries on from the state it had (for `Schedule.recurs(n)`,
 * the recurrences left).
 *
 * @example
 * ```ts
 * import { Effect, Schedule } from "effect"
 * import { DelayedWork, Workqueue } from "@cmwq/core"
 *
 * const heartbeat = DelayedWork.repeating(Effect.log("beat"), Schedule.spaced("1 second"), { name: "heartbeat" })
 * const start = (wq: Workqueue.Workqueue) => Workqueue.queueDelayed(wq, heartbeat, 0)
 * ```
 *
 * @since 0.1.0
 * @category constructors
 */
export const repeating = <A, E, R, Out, R2>(
  effect: Effect.Effect<A, E, R>,
  schedule: Schedule.Schedule<Out, A, R2>,
  options?: { readonly name?: string | undefined }
): DelayedWork<E, R | R2> => {
  if (!Effect.isEffect(effect)) return make(effect, options)
  return repeatingImpl(effect, schedule, options?.name) as unknown as DelayedWork<E, R | R2>
}

/**
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { DelayedWork, Work } from "@cmwq/core"
 *
 * DelayedWork.isDelayedWork(DelayedWork.make(Effect.log("poll"))) // true
 * DelayedWork.isDelayedWork(Work.make(Effect.log("now"))) // false
 * ```
 *
 * @since 0.1.0
 * @category guards
 */
export const isDelayedWork = (u: unknown): u is DelayedWork => u instanceof DelayedWorkImpl

const impl = (dwork: DelayedWork<unknown, unknown>): DelayedWorkImpl => dwork as unknown as DelayedWorkImpl

/**
 * When the armed timer fires, in milliseconds of the pools' clock; none if no
 * timer is armed.
 *
 * @example
 * ```ts
 * import { Effect, Option } from "effect"
 * import { DelayedWork, Workqueue } from "@cmwq/core"
 *
 * const program = Effect.gen(function*() {
 *   const wq = yield* Workqueue.alloc("timers")
 *   const poll = DelayedWork.make(Effect.log("poll"), { name: "poll" })
 *   yield* Workqueue.queueDelayed(wq, poll, "5 seconds")
 *   const due = DelayedWork.expires(poll) // Option.some(deadline in ms)
 *   yield* Effect.log(Option.isSome(due) ? `due at ${due.value}` : "not armed")
 * })
 * ```
 *
 * @since 0.1.0
 * @category getters
 */
export const expires = (dwork: DelayedWork<unknown, unknown>): Option.Option<number> => internal.expires(impl(dwork))

/**
 * If the timer is armed, fire it now; then wait for the item's last queueing
 * to finish, like `Work.flush`. Returns whether it had to wait. Kernel
 * `flush_delayed_work`.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { DelayedWork, Workqueue } from "@cmwq/core"
 *
 * const program = Effect.gen(function*() {
 *   const wq = yield* Workqueue.alloc("timers")
 *   const save = DelayedWork.make(Effect.log("save"), { name: "save" })
 *   yield* Workqueue.queueDelayed(wq, save, "1 minute")
 *   // fire the timer now and wait for the run to finish
 *   const ran = yield* DelayedWork.flush(save)
 * })
 * ```
 *
 * @since 0.1.0
 * @category combinators
 */
export const flush = (
  dwork: DelayedWork<unknown, unknown>
): Effect.Effect<boolean, FlushDeadlock | WorkqueueDestroyed | WorkqueueDraining> => internal.flushDelayed(impl(dwork))
