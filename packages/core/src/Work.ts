/**
 * Work items: an identity and an Effect to run (the kernel's `work_struct`).
 *
 * A work item is queued on a workqueue and run later by a worker of a shared
 * pool. Its identity matters:
 * - queueing an item that is already pending returns `false` and queues
 *   nothing (the kernel's PENDING bit); the item becomes queueable again the
 *   moment a worker starts running it, so an item may queue itself;
 * - an item never runs on two workers at once: queued again while it runs, it
 *   runs again on the same worker, after the current run (non-reentrancy);
 * - `flush` waits for its last queueing only, `cancel` removes a pending
 *   instance, `cancelSync` also waits for a running one, and `disable` keeps
 *   it from being queued until `enable` was called as many times.
 *
 * A failing, dying or interrupted item never takes its worker or pool down:
 * the failure is logged, counted in the workqueue's stats (the last one kept
 * in `stats.lastFailure`), streamed by `Workqueue.failures` (typed by the
 * workqueue's failure type, `Workqueue.alloc<E>`) and reported to the pools'
 * observer.
 *
 * See docs/concepts/workqueues-and-work.md.
 *
 * @since 0.1.0
 */
import * as Effect from "effect/Effect"
import type * as Cause from "effect/Cause"
import type * as Option from "effect/Option"
import type * as Types from "effect/Types"
import { InvalidWork } from "./internal/errors.js"
import { WorkImpl, WorkTypeId } from "./internal/work.js"
import * as internal from "./internal/workApi.js"
import * as explainInternal from "./internal/explain.js"
import type { Explanation } from "./Explanation.js"
import type { FlushDeadlock } from "./WorkqueueError.js"

/**
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { Work } from "@cmwq/core"
 *
 * const branded = Work.TypeId in Work.make(Effect.void) // true
 * ```
 *
 * @since 0.1.0
 * @category symbols
 */
export const TypeId: typeof WorkTypeId = WorkTypeId

/**
 * @since 0.1.0
 * @category symbols
 */
export type TypeId = typeof TypeId

/**
 * A work item whose effect may fail with `E` and requires `R`. Queueing it
 * requires `R`: the item runs with the Context (and the log annotations, log
 * level, Tracer and span) of the fiber whose queue call returned `true`.
 * `Work` alone is an item that requires nothing; `Work.Any` is any item.
 *
 * @example
 * ```ts
 * import { Context, Effect } from "effect"
 * import { Work } from "@cmwq/core"
 *
 * class Mailer extends Context.Tag("Mailer")<Mailer, { readonly send: (to: string) => Effect.Effect<void> }>() {}
 *
 * const welcome: Work.Work<never, Mailer> = Work.make(Effect.flatMap(Mailer, (m) => m.send("ada@example.com")))
 * ```
 *
 * @since 0.1.0
 * @category models
 */
export interface Work<out E = unknown, out R = never> extends Work.Variance<E, R> {
  /** a label for logs, traces and failure reports */
  readonly name: string | undefined
}

/**
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { Work } from "@cmwq/core"
 *
 * // the namespace holds the helper types of a work item
 * const items: ReadonlyArray<Work.Any> = [Work.make(Effect.log("a")), Work.make(Effect.fail("b"))]
 * ```
 *
 * @since 0.1.0
 * @category models
 */
export declare namespace Work {
  /**
   * The variance of `Work`: covariant in the failure and the requirements.
   *
   * @example
   * ```ts
   * import type { Work } from "@cmwq/core"
   *
   * type Fails = Work.Work<"E", never> extends Work.Work.Variance<unknown, never> ? true : false // true
   * ```
   *
   * @since 0.1.0
   * @category models
   */
  export interface Variance<out E, out R> {
    readonly [TypeId]: TypeId
    readonly "~cmwq/Work"?: {
      readonly _E: Types.Covariant<E>
      readonly _R: Types.Covariant<R>
    }
  }
}

/**
 * Any work item, whatever it fails with and requires: what the item-level
 * operations (`cancel`, `flush`, ...) accept.
 *
 * @example
 * ```ts
 * import { Work } from "@cmwq/core"
 *
 * const cancelAll = (items: ReadonlyArray<Work.Any>) => items.map(Work.cancel)
 * ```
 *
 * @since 0.1.0
 * @category models
 */
export type Any = Work<unknown, unknown>

/**
 * What `busy` reports (kernel `work_busy`): advisory, a snapshot.
 *
 * @since 0.1.0
 * @category models
 */
export interface Busy {
  /** queued, or its timer is armed */
  readonly pending: boolean
  /** a worker of its last pool is running it */
  readonly running: boolean
}

/**
 * Make a work item that runs `effect`. The effect's failures are contained:
 * they are reported, never propagated.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { Work } from "@cmwq/core"
 *
 * const work = Work.make(Effect.log("tick"), { name: "tick" })
 * ```
 *
 * @since 0.1.0
 * @category constructors
 */
export const make = <A, E = never, R = never>(
  effect: Effect.Effect<A, E, R>,
  options?: { readonly name?: string | undefined }
): Work<E, R> => {
  if (!Effect.isEffect(effect)) throw notAnEffect("Work.make", effect, options?.name)
  return new WorkImpl(effect as Effect.Effect<unknown, unknown>, options?.name)
}

/** @internal `make` given a function (`Work.make(() => effect)`) or anything else that is not an Effect */
const notAnEffect = (operation: string, u: unknown, name: string | undefined): InvalidWork =>
  new InvalidWork({
    operation,
    work: name ?? "anonymous work",
    reason: typeof u === "function"
      ? "given a function: pass the Effect itself (Work.make(effect)), Work.sync(f) for a synchronous function, or Work.promise(f) for one returning a promise"
      : `given ${u === null ? "null" : typeof u}, not an Effect`
  })

/**
 * The type `Work.sync` refuses: a function returning a promise (or any
 * thenable) would never be awaited.
 *
 * @example
 * ```ts
 * import type { Work } from "@cmwq/core"
 *
 * type Refused = Work.NotThenable<Promise<number>> // never
 * type Accepted = Work.NotThenable<number> // number
 * ```
 *
 * @since 0.1.0
 * @category models
 */
export type NotThenable<A> = A extends PromiseLike<unknown> ? never : A

/**
 * Make a work item from a function returning a promise (the p-queue habit).
 * The item waits for the promise; a rejection is a failure
 * (`UnknownException`). The `AbortSignal` fires when the item is
 * interrupted (by `Workqueue.run`'s caller, or pool shutdown).
 *
 * @example
 * ```ts
 * import { Work } from "@cmwq/core"
 *
 * const fetchIt = Work.promise((signal) => fetch("https://example.com", { signal }), { name: "fetch" })
 * ```
 *
 * @since 0.1.0
 * @category constructors
 */
export const promise = <A>(
  f: (signal: AbortSignal) => PromiseLike<A>,
  options?: { readonly name?: string | undefined }
): Work<Cause.UnknownException> => {
  if (typeof f !== "function") throw notAnEffect("Work.promise", f, options?.name)
  return new WorkImpl(Effect.tryPromise((signal) => f(signal)), options?.name)
}

/**
 * Make a work item whose body is a synchronous function. A throw is a defect,
 * as with `Effect.sync`. The item holds the function itself: the cheapest work
 * item there is (no Effect is allocated), and a worker calls it directly.
 *
 * A function returning a promise is refused by the type, and at run time the
 * item dies with an `InvalidWork` defect naming it (it would never be
 * awaited): use `Work.promise`.
 *
 * @example
 * ```ts
 * import { Work } from "@cmwq/core"
 *
 * let ticks = 0
 * const tick = Work.sync(() => { ticks++ }, { name: "tick" })
 * ```
 *
 * @since 0.1.0
 * @category constructors
 */
export const sync = <A>(f: () => NotThenable<A>, options?: { readonly name?: string | undefined }): Work<never> => {
  if (typeof f !== "function") throw notAnEffect("Work.sync", f, options?.name)
  return new WorkImpl(f, options?.name)
}

/**
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { Work } from "@cmwq/core"
 *
 * Work.isWork(Work.make(Effect.void)) // true
 * Work.isWork(Effect.void) // false: an Effect is not a work item
 * ```
 *
 * @since 0.1.0
 * @category guards
 */
export const isWork = (u: unknown): u is Any => typeof u === "object" && u !== null && WorkTypeId in u

const impl = (work: Any): WorkImpl => work as unknown as WorkImpl

/**
 * Is the item pending (queued, or its timer armed)? Kernel `work_pending`.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { Work, Workqueue } from "@cmwq/core"
 *
 * const kick = (wq: Workqueue.Workqueue, work: Work.Work) =>
 *   Work.isPending(work) ? Effect.succeed(false) : Workqueue.queue(wq, work)
 * ```
 *
 * @since 0.1.0
 * @category getters
 */
export const isPending = (work: Any): boolean => internal.isPending(impl(work))

/**
 * `isPending` as an Effect.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { Work, Workqueue } from "@cmwq/core"
 *
 * const program = Effect.gen(function*() {
 *   const wq = yield* Workqueue.alloc("events")
 *   const work = Work.make(Effect.log("tick"))
 *   yield* Workqueue.queue(wq, work)
 *   const queued = yield* Work.pending(work) // true until a worker picks it up
 * })
 * ```
 *
 * @since 0.1.0
 * @category getters
 */
export const pending = (work: Any): Effect.Effect<boolean> => internal.pending(impl(work))

/**
 * Is the item pending, running, both or neither? Kernel `work_busy`.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { Work } from "@cmwq/core"
 *
 * const describe = (work: Work.Any) =>
 *   Effect.map(Work.busy(work), ({ pending, running }) => running ? "running" : pending ? "pending" : "idle")
 * ```
 *
 * @since 0.1.0
 * @category getters
 */
export const busy = (work: Any): Effect.Effect<Busy> => internal.busy(impl(work))

/**
 * The work item the current fiber is running as a worker (kernel
 * `current_work`), or none outside workers. Fibers an item forks are not
 * workers.
 *
 * @example
 * ```ts
 * import { Effect, Option } from "effect"
 * import { Work } from "@cmwq/core"
 *
 * const logSelf = Work.make(
 *   Effect.gen(function*() {
 *     const self = yield* Work.current
 *     yield* Effect.log(Option.match(self, { onNone: () => "not a worker", onSome: (w) => `running ${w.name}` }))
 *   }),
 *   { name: "log-self" }
 * )
 * ```
 *
 * @since 0.1.0
 * @category getters
 */
export const current: Effect.Effect<Option.Option<Work>> = internal.current

/**
 * Remove a pending instance (from its queue, or its timer for a delayed
 * item). Does not wait for a running one. Returns whether it was pending.
 * Kernel `cancel_work` / `cancel_delayed_work`.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { Work, Workqueue } from "@cmwq/core"
 *
 * const program = Effect.gen(function*() {
 *   const wq = yield* Workqueue.alloc("events")
 *   const work = Work.make(Effect.log("maybe"))
 *   yield* Workqueue.queue(wq, work)
 *   const cancelled = yield* Work.cancel(work) // true if it was still pending
 * })
 * ```
 *
 * @since 0.1.0
 * @category combinators
 */
export const cancel = (work: Any): Effect.Effect<boolean> => internal.cancel(impl(work))

/**
 * Cancel and wait for a running instance: afterwards the item is neither
 * pending nor running (unless queued again meanwhile by someone else). Works
 * even if the item queues itself. Returns whether it was pending. Kernel
 * `cancel_work_sync` / `cancel_delayed_work_sync`.
 *
 * Fails with `FlushDeadlock` when called from the item itself.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { Work } from "@cmwq/core"
 *
 * const poll = Work.make(Effect.log("poll"))
 * // neither pending nor running once this returns
 * const stop = Work.cancelSync(poll)
 * ```
 *
 * @since 0.1.0
 * @category combinators
 */
export const cancelSync = (work: Any): Effect.Effect<boolean, FlushDeadlock> => internal.cancelSync(impl(work), false)

/**
 * Add one to the disable depth and cancel a pending instance. While the depth
 * is above 0 every queue attempt returns `false`. Returns whether it was
 * pending. Kernel `disable_work` (saturates at 65535).
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { Work, Workqueue } from "@cmwq/core"
 *
 * const program = Effect.gen(function*() {
 *   const wq = yield* Workqueue.alloc("events")
 *   const work = Work.make(Effect.log("tx"))
 *   yield* Work.disable(work)
 *   const queued = yield* Workqueue.queue(wq, work) // false: disabled
 * })
 * ```
 *
 * @since 0.1.0
 * @category combinators
 */
export const disable = (work: Any): Effect.Effect<boolean> => internal.disable(impl(work))

/**
 * `disable`, then wait for a running instance. Kernel `disable_work_sync`.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { Work } from "@cmwq/core"
 *
 * const tx = Work.make(Effect.log("tx"))
 * const suspend = Effect.zipRight(Work.disableSync(tx), Effect.log("tx is idle and stays so"))
 * ```
 *
 * @since 0.1.0
 * @category combinators
 */
export const disableSync = (work: Any): Effect.Effect<boolean, FlushDeadlock> => internal.cancelSync(impl(work), true)

/**
 * Take one off the disable depth. Returns whether it reached 0 (the item can
 * be queued again). An extra enable keeps the depth at 0, changes nothing and
 * logs a warning, as the kernel WARNs. Kernel `enable_work` (which, on an
 * extra enable, would also steal a pending instance; we leave it queued).
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { Work } from "@cmwq/core"
 *
 * const tx = Work.make(Effect.log("tx"))
 * const program = Effect.gen(function*() {
 *   yield* Work.disable(tx)
 *   yield* Work.enable(tx) // queueable again
 * })
 * ```
 *
 * @since 0.1.0
 * @category combinators
 */
export const enable = (work: Any): Effect.Effect<boolean> => internal.enable(impl(work))

/**
 * The current disable depth (0: enabled).
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { Work } from "@cmwq/core"
 *
 * const tx = Work.make(Effect.log("tx"))
 * const program = Effect.gen(function*() {
 *   yield* Work.disable(tx)
 *   yield* Work.disable(tx)
 *   const depth = Work.disableDepth(tx) // 2: two enables to go
 * })
 * ```
 *
 * @since 0.1.0
 * @category getters
 */
export const disableDepth = (work: Any): number => internal.disableDepth(impl(work))

/**
 * Wait until the last queueing of the item has finished; returns whether it
 * had to wait (false: the item was idle). Never waits for unrelated work: a
 * barrier is inserted right behind the item. A delayed item whose timer is
 * armed is not waited for (use `DelayedWork.flush`). Kernel `flush_work`.
 *
 * Fails with `FlushDeadlock` when the wait could never end (the item flushes
 * itself, or waits for an item that waits for it).
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { Work, Workqueue } from "@cmwq/core"
 *
 * const program = Effect.gen(function*() {
 *   const wq = yield* Workqueue.alloc("events")
 *   const work = Work.make(Effect.log("save"))
 *   yield* Workqueue.queue(wq, work)
 *   yield* Work.flush(work) // its last queueing has finished
 * })
 * ```
 *
 * @since 0.1.0
 * @category combinators
 */
export const flush = (work: Any): Effect.Effect<boolean, FlushDeadlock> => internal.flush(impl(work))

/**
 * Why is the item not running, or what is it doing? A snapshot of its state
 * as a typed `Explanation` (never queued, finished, on a timer, on a pool's
 * worklist and why no worker took it, held by `maxActive` naming the active
 * items, frozen, behind its predecessors on an ordered workqueue, plugged,
 * disabled, running on a worker and whether it is blocked on async), with a
 * plain-English `message`. See the `Explanation` module.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { Work } from "@cmwq/core"
 *
 * declare const work: Work.Work
 * const program = Effect.gen(function*() {
 *   const why = yield* Work.explain(work)
 *   yield* Effect.log(why.message)
 *   if (why._tag === "MaxActive") yield* Effect.log(`waiting for ${why.active.join(", ")}`)
 * })
 * ```
 *
 * @since 0.1.0
 * @category getters
 */
export const explain = (work: Any): Effect.Effect<Explanation> => Effect.sync(() => explainInternal.explain(impl(work)))
