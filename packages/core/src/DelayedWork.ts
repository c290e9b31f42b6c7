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
import type * as Effect from "effect/Effect"
import type * as Option from "effect/Option"
import { DelayedWorkImpl } from "./internal/work.js"
import * as internal from "./internal/workApi.js"
import type { Work } from "./Work.js"
import type { FlushDeadlock, WorkqueueDestroyed, WorkqueueDraining } from "./WorkqueueError.js"

/**
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
export interface DelayedWork extends Work {
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
export const make = <E>(
  effect: Effect.Effect<unknown, E>,
  options?: { readonly name?: string | undefined }
): DelayedWork => new DelayedWorkImpl(effect, options?.name) as unknown as DelayedWork

/**
 * @since 0.1.0
 * @category guards
 */
export const isDelayedWork = (u: unknown): u is DelayedWork => u instanceof DelayedWorkImpl

const impl = (dwork: DelayedWork): DelayedWorkImpl => dwork as unknown as DelayedWorkImpl

/**
 * When the armed timer fires, in milliseconds of the pools' clock; none if no
 * timer is armed.
 *
 * @since 0.1.0
 * @category getters
 */
export const expires = (dwork: DelayedWork): Option.Option<number> => internal.expires(impl(dwork))

/**
 * If the timer is armed, fire it now; then wait for the item's last queueing
 * to finish, like `Work.flush`. Returns whether it had to wait. Kernel
 * `flush_delayed_work`.
 *
 * @since 0.1.0
 * @category combinators
 */
export const flush = (
  dwork: DelayedWork
): Effect.Effect<boolean, FlushDeadlock | WorkqueueDestroyed | WorkqueueDraining> =>
  internal.flushDelayed(impl(dwork))
