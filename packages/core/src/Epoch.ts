/**
 * Flush epochs: "everything queued on a workqueue before now", as a value.
 *
 * `Workqueue.mark(wq)` takes the epoch: it does what `Workqueue.flush` does
 * first (take the workqueue's current flush color, the kernel's
 * `__flush_workqueue`) and returns at once instead of waiting. The epoch is
 * done when every item queued on `wq` before the mark has finished, whoever
 * waits for it, and it is then done for good. Later items never hold it up.
 *
 * - `await` waits for it (like `flush`, and failing with `FlushDeadlock`
 *   when awaited from one of the items it waits for);
 * - `poll` says whether it is done, without waiting;
 * - `awaitWithin` waits with a deadline, failing with `FlushTimeout`, which
 *   lists the items still pending or running, each with its explanation;
 * - `all` combines epochs (of one or several workqueues): done when all are.
 *
 * Each mark uses a flush color, as a flush does. Marks and flushes beyond the
 * 15 colors that can be in flight wait in line for a free color; an epoch in
 * that line is still "everything queued before the mark" (it may also wait
 * for items queued after it, until it gets its color).
 *
 * @since 0.1.0
 */
import type * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import { dual } from "effect/Function"
import * as internal from "./internal/epoch.js"
import type { FlushDeadlock, FlushTimeout, InvalidDelay, Straggler } from "./internal/errors.js"

/**
 * @example
 * ```ts
 * import { Epoch } from "@cmwq/core"
 *
 * declare const u: object
 * const tagged = Epoch.TypeId in u
 * ```
 *
 * @since 0.1.0
 * @category symbols
 */
export const TypeId: typeof internal.EpochTypeId = internal.EpochTypeId

/**
 * @since 0.1.0
 * @category symbols
 */
export type TypeId = typeof TypeId

/**
 * An epoch: the items queued on one or more workqueues before their marks.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { Epoch, Workqueue } from "@cmwq/core"
 *
 * declare const wq: Workqueue.Workqueue
 * const program = Effect.gen(function*() {
 *   const epoch: Epoch.Epoch = yield* Workqueue.mark(wq)
 *   yield* Epoch.await(epoch)
 * })
 * ```
 *
 * @since 0.1.0
 * @category models
 */
export interface Epoch {
  readonly [TypeId]: TypeId
}

const impl = (epoch: Epoch): internal.EpochImpl => epoch as unknown as internal.EpochImpl

/**
 * @example
 * ```ts
 * import { Epoch } from "@cmwq/core"
 *
 * Epoch.isEpoch({}) // false
 * ```
 *
 * @since 0.1.0
 * @category guards
 */
export const isEpoch = (u: unknown): u is Epoch => u instanceof internal.EpochImpl

const _await = (epoch: Epoch): Effect.Effect<void, FlushDeadlock> => internal.awaitEpoch(impl(epoch))

export {
  /**
   * Wait until the epoch is done: every item queued before its marks has
   * finished. Fails with `FlushDeadlock` when awaited from an item the epoch
   * waits for. Interrupting the wait leaves the epoch as it is.
   *
   * @example
   * ```ts
   * import { Effect } from "effect"
   * import { Epoch, Workqueue } from "@cmwq/core"
   *
   * declare const wq: Workqueue.Workqueue
   * const flushLater = Effect.gen(function*() {
   *   const epoch = yield* Workqueue.mark(wq)
   *   // ... queue more work; the epoch does not wait for it
   *   yield* Epoch.await(epoch)
   * })
   * ```
   *
   * @since 0.1.0
   * @category combinators
   */
  _await as await
}

/**
 * Is the epoch done? Never waits.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { Epoch, Workqueue } from "@cmwq/core"
 *
 * declare const wq: Workqueue.Workqueue
 * const done = Effect.flatMap(Workqueue.mark(wq), Epoch.poll)
 * ```
 *
 * @since 0.1.0
 * @category getters
 */
export const poll = (epoch: Epoch): Effect.Effect<boolean> => Effect.sync(() => internal.isDone(impl(epoch)))

/**
 * `poll` outside Effect.
 *
 * @example
 * ```ts
 * import { Epoch } from "@cmwq/core"
 *
 * declare const epoch: Epoch.Epoch
 * if (Epoch.unsafePoll(epoch)) console.log("done")
 * ```
 *
 * @since 0.1.0
 * @category getters
 */
export const unsafePoll = (epoch: Epoch): boolean => internal.isDone(impl(epoch))

/**
 * `await` with a deadline on the pools' clock. On timeout it fails with
 * `FlushTimeout`, whose `stragglers` are the items still pending or running
 * at that instant, each with its explanation. The epoch itself is not
 * abandoned: it is still done later, when they finish.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { Epoch, Workqueue } from "@cmwq/core"
 *
 * declare const wq: Workqueue.Workqueue
 * const program = Effect.gen(function*() {
 *   const epoch = yield* Workqueue.mark(wq)
 *   yield* Epoch.awaitWithin(epoch, "2 seconds").pipe(
 *     Effect.catchTag("FlushTimeout", (e) => Effect.logWarning(e.message))
 *   )
 * })
 * ```
 *
 * @since 0.1.0
 * @category combinators
 */
export const awaitWithin: {
  (timeout: Duration.DurationInput): (epoch: Epoch) => Effect.Effect<void, FlushDeadlock | FlushTimeout | InvalidDelay>
  (epoch: Epoch, timeout: Duration.DurationInput): Effect.Effect<void, FlushDeadlock | FlushTimeout | InvalidDelay>
} = dual(
  2,
  (epoch: Epoch, timeout: Duration.DurationInput): Effect.Effect<void, FlushDeadlock | FlushTimeout | InvalidDelay> =>
    internal.awaitWithin(impl(epoch), timeout)
)

/**
 * One epoch for several: done when every one of them is (for example, the
 * marks of several workqueues: "everything queued on any of them before
 * now").
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { Epoch, Workqueue } from "@cmwq/core"
 *
 * declare const a: Workqueue.Workqueue
 * declare const b: Workqueue.Workqueue
 * const both = Effect.gen(function*() {
 *   const epoch = Epoch.all([yield* Workqueue.mark(a), yield* Workqueue.mark(b)])
 *   yield* Epoch.await(epoch)
 * })
 * ```
 *
 * @since 0.1.0
 * @category combinators
 */
export const all = (epochs: Iterable<Epoch>): Epoch => {
  const parts: Array<internal.EpochImpl> = []
  for (const e of epochs) parts.push(impl(e))
  return internal.all(parts)
}

/**
 * The items the epoch still waits for (queued or running), each with its
 * explanation. Empty once the epoch is done.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { Epoch } from "@cmwq/core"
 *
 * declare const epoch: Epoch.Epoch
 * const report = Effect.flatMap(
 *   Epoch.stragglers(epoch),
 *   Effect.forEach((s) => Effect.log(s.explanation.message))
 * )
 * ```
 *
 * @since 0.1.0
 * @category getters
 */
export const stragglers = (epoch: Epoch): Effect.Effect<ReadonlyArray<Straggler>> =>
  Effect.sync(() => internal.stragglers(impl(epoch)))
