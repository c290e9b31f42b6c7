/**
 * Workqueues: where work items are queued (the kernel's `workqueue_struct`).
 *
 * A workqueue owns no workers. It relays items to the shared pools of the
 * logical CPU they are queued on (or to an unbound pool), and it is the domain
 * for the guarantees that concern a group of items:
 * - `maxActive`: at most that many of its items run at once per CPU (per
 *   workqueue for unbound ones); the rest wait, in queue order;
 * - ordered workqueues (`allocOrdered`) run one item at a time, in queue
 *   order;
 * - `flush` waits for every item queued before it (and not for later ones),
 *   `drain` until the workqueue is empty, and closing its scope destroys it:
 *   drain, then release; queueing afterwards is a typed error.
 *
 * Completion, three ways (compare p-queue's onEmpty/onIdle):
 * - `flush(wq)`: items queued before the call have finished (kernel colors);
 * - `drain(wq)`: nothing is queued or running, chained requeues included;
 * - `Work.flush(work)`: that one item's last queueing has finished.
 *
 * See docs/concepts/workqueues-and-work.md and docs/concepts/flushing.md.
 *
 * @since 0.1.0
 */
import type * as Cause from "effect/Cause"
import * as Context from "effect/Context"
import type * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import type * as Exit from "effect/Exit"
import { dual } from "effect/Function"
import * as Layer from "effect/Layer"
import type * as LogLevel from "effect/LogLevel"
import type * as Option from "effect/Option"
import type * as Scope from "effect/Scope"
import type * as Stream from "effect/Stream"
import type * as Types from "effect/Types"
import * as C from "./internal/constants.js"
import * as Flags from "./internal/flags.js"
import { flushWorkqueue } from "./internal/flush.js"
import { poolsImpl } from "./internal/pools.js"
import type { DelayedWorkImpl, WorkImpl } from "./internal/work.js"
import * as results from "./internal/results.js"
import * as internal from "./internal/workqueue.js"
import * as epochs from "./internal/epoch.js"
import * as explainInternal from "./internal/explain.js"
import type { Epoch } from "./Epoch.js"
import type { WorkqueueExplanation } from "./Explanation.js"
import type { DelayedWork } from "./DelayedWork.js"
import type { FlushColor } from "./FlushColor.js"
import type { Work } from "./Work.js"
import type { WorkerPools } from "./WorkerPool.js"
import type {
  DrainTimeout,
  FlushDeadlock,
  FlushTimeout,
  InvalidCpu,
  InvalidDelay,
  InvalidFlags,
  InvalidMaxActive,
  InvalidOperation,
  InvalidWork,
  WorkqueueDestroyed,
  WorkqueueDraining,
  WorkqueueFull
} from "./WorkqueueError.js"

/**
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { Workqueue } from "@cmwq/core"
 *
 * const branded = Effect.map(Workqueue.alloc("events"), (wq) => Workqueue.TypeId in wq) // true
 * ```
 *
 * @since 0.1.0
 * @category symbols
 */
export const TypeId: typeof internal.WorkqueueTypeId = internal.WorkqueueTypeId

/**
 * @since 0.1.0
 * @category symbols
 */
export type TypeId = typeof TypeId

/**
 * A workqueue whose items may fail with `E` (`unknown`, the default: any
 * item). The failure type is chosen at `alloc` (`Workqueue.alloc<MyError>`)
 * and checked wherever an item is queued: a `Workqueue<E>` takes only items
 * whose failure is an `E`, and its typed failures come out of `failures` and
 * `stats` as `Cause<E>`. `Workqueue` alone is any workqueue: every operation
 * that does not queue (flush, drain, stats, ...) takes it, so a
 * `Workqueue<E>` goes wherever a `Workqueue` does.
 *
 * @example
 * ```ts
 * import { Data, Effect } from "effect"
 * import { Work, Workqueue } from "@cmwq/core"
 *
 * class MailError extends Data.TaggedError("MailError")<{ readonly to: string }> {}
 *
 * const program = Effect.gen(function*() {
 *   const mail = yield* Workqueue.alloc<MailError>("mail")
 *   yield* Workqueue.queue(mail, Work.make(Effect.fail(new MailError({ to: "ada@example.com" }))))
 *   // Workqueue.queue(mail, Work.make(Effect.fail("oops"))) does not compile: "oops" is no MailError
 * })
 * ```
 *
 * @since 0.1.0
 * @category models
 */
export interface Workqueue<out E = unknown> {
  readonly [TypeId]: TypeId
  readonly name: string
  /** phantom: the failure type of the workqueue's items */
  readonly "~cmwq/Workqueue"?: { readonly _E: Types.Covariant<E> }
}

/**
 * A `Workqueue<WE>` that takes items failing with `E`: `WE` covers `E`.
 * The data-last queue operations check their workqueue with it (an item
 * whose failure the workqueue does not cover is a type error naming it under
 * `~cmwq/failureNotAccepted`).
 *
 * @example
 * ```ts
 * import type { Workqueue } from "@cmwq/core"
 *
 * // a Workqueue<"a" | "b"> takes items failing with "a"
 * type Ok = Workqueue.Workqueue<"a" | "b"> extends Workqueue.Accepting<"a", "a" | "b"> ? true : false // true
 * ```
 *
 * @since 0.1.0
 * @category models
 */
export type Accepting<E, WE> =
  & Workqueue<WE>
  & ([E] extends [WE] ? unknown : { readonly "~cmwq/failureNotAccepted": E })

/**
 * The kernel's workqueue flags, named without the `WQ_` prefix:
 * - `HIGHPRI`: use the CPU's high-priority pool;
 * - `CPU_INTENSIVE`: running items do not count toward the pool's
 *   concurrency, so they never hold back other items;
 * - `UNBOUND`: served by unbound pools (no concurrency management; items start
 *   as soon as `maxActive` allows);
 * - `FREEZABLE`, `MEM_RECLAIM`, `BH`: see the README's status table;
 * - `SYSFS`: listed, with its tunables, by `WorkerPool.sysfs`;
 * - `POWER_EFFICIENT`: per-cpu unless the pools' `powerEfficient` is on;
 * - `PERCPU`: explicitly per-cpu (the default).
 *
 * @since 0.1.0
 * @category models
 */
export type Flag = Flags.FlagName

/**
 * Every flag name, in the kernel's bit order.
 *
 * @example
 * ```ts
 * import { Workqueue } from "@cmwq/core"
 *
 * const valid = (name: string): name is Workqueue.Flag => (Workqueue.FLAGS as ReadonlyArray<string>).includes(name)
 * ```
 *
 * @since 0.1.0
 * @category constants
 */
export const FLAGS: ReadonlyArray<Flag> = Flags.FLAG_NAMES

/**
 * The largest `maxActive` (kernel `WQ_MAX_ACTIVE`, current kernels).
 *
 * @example
 * ```ts
 * import { Workqueue } from "@cmwq/core"
 *
 * const bulk = Workqueue.alloc("bulk", { maxActive: Workqueue.WQ_MAX_ACTIVE }) // 2048, the largest allowed
 * ```
 *
 * @since 0.1.0
 * @category constants
 */
export const WQ_MAX_ACTIVE: number = C.WQ_MAX_ACTIVE

/**
 * The `maxActive` used when 0 is given (kernel `WQ_DFL_ACTIVE` = 1024).
 *
 * @example
 * ```ts
 * import { Workqueue } from "@cmwq/core"
 *
 * const events = Workqueue.alloc("events", { maxActive: Workqueue.WQ_DFL_ACTIVE }) // what maxActive 0 means
 * ```
 *
 * @since 0.1.0
 * @category constants
 */
export const WQ_DFL_ACTIVE: number = C.WQ_DFL_ACTIVE

/**
 * The largest `maxActive` of an unbound workqueue (kernel
 * `WQ_UNBOUND_MAX_ACTIVE` = `WQ_MAX_ACTIVE`).
 *
 * @example
 * ```ts
 * import { Workqueue } from "@cmwq/core"
 *
 * const unbound = Workqueue.alloc("unbound", { flags: ["UNBOUND"], maxActive: Workqueue.WQ_UNBOUND_MAX_ACTIVE })
 * ```
 *
 * @since 0.1.0
 * @category constants
 */
export const WQ_UNBOUND_MAX_ACTIVE: number = C.WQ_UNBOUND_MAX_ACTIVE

/**
 * The per-node floor of an unbound workqueue's `maxActive` (kernel
 * `WQ_DFL_MIN_ACTIVE` = 8).
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { Workqueue } from "@cmwq/core"
 *
 * const program = Effect.gen(function*() {
 *   const wq = yield* Workqueue.alloc("unbound", { flags: ["UNBOUND"] })
 *   yield* Workqueue.setMinActive(wq, Workqueue.WQ_DFL_MIN_ACTIVE)
 * })
 * ```
 *
 * @since 0.1.0
 * @category constants
 */
export const WQ_DFL_MIN_ACTIVE: number = C.WQ_DFL_MIN_ACTIVE

/**
 * Options of `alloc`.
 *
 * @since 0.1.0
 * @category models
 */
export interface Options {
  readonly flags?: ReadonlyArray<Flag> | undefined
  /** 0 (the default) means `WQ_DFL_ACTIVE`; otherwise an integer in 1..`WQ_MAX_ACTIVE` */
  readonly maxActive?: number | undefined
  /** attributes of an `UNBOUND` workqueue (kernel `workqueue_attrs`) */
  readonly attrs?: Attrs | undefined
  /**
   * backpressure: at most this many items queued or running (barriers
   * excluded). At the bound `queue` fails with `WorkqueueFull` while `run`,
   * `submit` and `runAll` wait for room, first come first served. Delayed
   * items count from when their timer fires (a firing timer is never
   * refused). 0 or absent: no bound.
   */
  readonly maxPending?: number | undefined
  /**
   * the level at which the pools log an item of this workqueue that failed,
   * died or was interrupted (default `LogLevel.Error`; `LogLevel.None` logs
   * nothing). The failure is counted in `stats.failed`, kept in
   * `stats.lastFailure`, streamed by `failures` and reported to the observer
   * at any level. A failure that `run`, `submit` or `runAll` hands to its
   * caller is not logged: the caller has it.
   */
  readonly failureLogLevel?: LogLevel.LogLevel | undefined
}

/**
 * An unbound workqueue's attributes (kernel `workqueue_attrs`): which CPUs
 * it may use, how its pools are split (the affinity scope: one pool per CPU,
 * SMT core, cache, NUMA node, or for the whole system; `"default"` is the
 * pools' `defaultAffinityScope`, `"cache"` unless set), and whether workers
 * must stay inside their pod (`affinityStrict`). Workqueues with equal
 * attributes share pools.
 *
 * @since 0.1.0
 * @category models
 */
export interface Attrs {
  readonly cpumask?: ReadonlyArray<number> | undefined
  readonly affinityScope?: "default" | "cpu" | "smt" | "cache" | "numa" | "system" | undefined
  readonly affinityStrict?: boolean | undefined
}

const impl = (wq: Workqueue): internal.WorkqueueImpl => wq as unknown as internal.WorkqueueImpl

const allocWith = (
  name: string,
  flagNames: ReadonlyArray<Flag>,
  maxActive: number,
  ordered: boolean,
  legacy: boolean,
  attrs?: Attrs,
  maxPending?: number,
  failureLogLevel?: LogLevel.LogLevel
): Effect.Effect<Workqueue<never>, InvalidMaxActive | InvalidFlags, WorkerPools | Scope.Scope> =>
  poolsImpl((pools) =>
    internal.alloc(pools, name, flagNames, maxActive, ordered, legacy, attrs, maxPending ?? 0, failureLogLevel)
  ) as Effect.Effect<
    Workqueue<never>,
    InvalidMaxActive | InvalidFlags,
    WorkerPools | Scope.Scope
  >

/**
 * Allocate a workqueue (kernel `alloc_workqueue`), as a scoped resource:
 * closing the scope destroys it (drain, then release). The type argument is
 * the failure type of its items (default `unknown`: any item); see
 * `Workqueue` and `failures`.
 *
 * @example
 * ```ts
 * import { LogLevel } from "effect"
 * import { Workqueue } from "@cmwq/core"
 *
 * const wq = Workqueue.alloc("disk-io", { flags: ["HIGHPRI"], maxActive: 16 })
 * // items that may fail only with a string; their failures typed Cause<string>
 * const typed = Workqueue.alloc<string>("typed")
 * const bounded = Workqueue.alloc("uploads", { maxPending: 1000 })
 * // expected failures (retried elsewhere) logged at DEBUG, not ERROR
 * const retried = Workqueue.alloc("retried", { failureLogLevel: LogLevel.Debug })
 * ```
 *
 * Fails with `InvalidOperation` for a `maxPending` that is not an integer, 0
 * or more, and for a `failureLogLevel` that is not an Effect `LogLevel`;
 * with `InvalidMaxActive` for a `maxActive` that is not an integer in
 * 0..`WQ_MAX_ACTIVE` (a string such as `"16"` included).
 *
 * @since 0.1.0
 * @category constructors
 */
export const alloc = <E = unknown>(
  name: string,
  options: Options = {}
): Effect.Effect<Workqueue<E>, InvalidMaxActive | InvalidFlags | InvalidOperation, WorkerPools | Scope.Scope> =>
  allocWith(
    name,
    options.flags ?? [],
    options.maxActive ?? 0,
    false,
    false,
    options.attrs,
    options.maxPending,
    options.failureLogLevel
  )

/**
 * Allocate an ordered workqueue (kernel `alloc_ordered_workqueue`): one item
 * at a time, in queue order. Only `FREEZABLE` and `MEM_RECLAIM` are
 * meaningful extra flags.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { Work, Workqueue } from "@cmwq/core"
 *
 * const program = Effect.gen(function*() {
 *   const journal = yield* Workqueue.allocOrdered("journal")
 *   // one at a time, in queue order
 *   yield* Workqueue.queue(journal, Work.make(Effect.log("write 1")))
 *   yield* Workqueue.queue(journal, Work.make(Effect.log("write 2")))
 * })
 * ```
 *
 * @since 0.1.0
 * @category constructors
 */
export const allocOrdered = <E = unknown>(
  name: string,
  options: { readonly flags?: ReadonlyArray<Flag> | undefined } = {}
): Effect.Effect<Workqueue<E>, InvalidMaxActive | InvalidFlags, WorkerPools | Scope.Scope> =>
  allocWith(name, options.flags ?? [], 0, true, false)

/**
 * Allocate a workqueue the way the kernel's legacy `create_workqueue`,
 * `create_singlethread_workqueue` and `create_freezable_workqueue` do: as
 * `alloc`/`allocOrdered`, plus the kernel's internal legacy mark, which
 * exempts the workqueue's items from the flush-dependency warning. Prefer
 * `Kernel.create_workqueue` and friends, which pass the kernel's arguments.
 *
 * @example
 * ```ts
 * import { Workqueue } from "@cmwq/core"
 *
 * // alloc_workqueue's positional form: flags, maxActive, ordered
 * const wq = Workqueue.allocLegacy("legacy", ["UNBOUND"], 1, true)
 * ```
 *
 * @since 0.1.0
 * @category constructors
 */
export const allocLegacy = <E = unknown>(
  name: string,
  flags: ReadonlyArray<Flag>,
  maxActive: number,
  ordered: boolean
): Effect.Effect<Workqueue<E>, InvalidMaxActive | InvalidFlags, WorkerPools | Scope.Scope> =>
  allocWith(name, flags, maxActive, ordered, true)

/**
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { Workqueue } from "@cmwq/core"
 *
 * Workqueue.isWorkqueue({ name: "events" }) // false: only alloc makes workqueues
 * const yes = Effect.map(Workqueue.alloc("events"), Workqueue.isWorkqueue) // true
 * ```
 *
 * @since 0.1.0
 * @category guards
 */
export const isWorkqueue = (u: unknown): u is Workqueue => u instanceof internal.WorkqueueImpl

/**
 * The workqueue's flags (what was asked for, plus `UNBOUND`/`PERCPU` as the
 * kernel sets them).
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { Workqueue } from "@cmwq/core"
 *
 * const program = Effect.gen(function*() {
 *   const wq = yield* Workqueue.alloc("io", { flags: ["HIGHPRI", "MEM_RECLAIM"] })
 *   yield* Effect.log(Workqueue.flags(wq)) // ["HIGHPRI", "MEM_RECLAIM"]
 * })
 * ```
 *
 * @since 0.1.0
 * @category getters
 */
export const flags = (wq: Workqueue): ReadonlyArray<Flag> => Flags.flagNames(impl(wq).flags)

/**
 * The workqueue's `maxActive` as set by the user (ordered: 1).
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { Workqueue } from "@cmwq/core"
 *
 * const program = Effect.gen(function*() {
 *   const wq = yield* Workqueue.alloc("io", { maxActive: 4 })
 *   yield* Workqueue.setMaxActive(wq, 8)
 *   yield* Effect.log(Workqueue.maxActive(wq)) // 8
 * })
 * ```
 *
 * @since 0.1.0
 * @category getters
 */
export const maxActive = (wq: Workqueue): number => impl(wq).savedMaxActive

/**
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { Workqueue } from "@cmwq/core"
 *
 * const ordered = Effect.map(Workqueue.allocOrdered("journal"), Workqueue.isOrdered) // true
 * ```
 *
 * @since 0.1.0
 * @category getters
 */
export const isOrdered = (wq: Workqueue): boolean => impl(wq).ordered

/**
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { Workqueue } from "@cmwq/core"
 *
 * const program = Effect.gen(function*() {
 *   const wq = yield* Workqueue.alloc("short-lived")
 *   yield* Workqueue.destroy(wq)
 *   yield* Effect.log(Workqueue.isDestroyed(wq)) // true
 * })
 * ```
 *
 * @since 0.1.0
 * @category getters
 */
export const isDestroyed = (wq: Workqueue): boolean => impl(wq).destroyed

// -----------------------------------------------------------------------------
// Queueing
// -----------------------------------------------------------------------------

/**
 * Queue `work` on the current CPU (kernel `queue_work`). Returns `true` if it
 * was queued, `false` if it was already pending or is disabled. Fails if the
 * workqueue is destroyed, or draining and the caller is not one of its items;
 * with `WorkqueueFull` at the `maxPending` bound; with `InvalidWork` for
 * anything that is not a work item.
 *
 * Requires what the item requires: the item runs with the Context, log
 * annotations, log level, Tracer and span of the fiber whose call returned
 * `true` (a call returning `false` changes nothing).
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { Work, Workqueue } from "@cmwq/core"
 *
 * const program = Effect.gen(function*() {
 *   const wq = yield* Workqueue.alloc("events")
 *   yield* Workqueue.queue(wq, Work.make(Effect.log("hello"))).pipe(Effect.annotateLogs("request", "42"))
 * })
 * ```
 *
 * @since 0.1.0
 * @category combinators
 */
export const queue: {
  <E, R>(work: Work<E, R>): <WE>(wq: Accepting<E, WE>) => Effect.Effect<boolean, QueueError, R>
  <WE, E extends WE, R>(wq: Workqueue<WE>, work: Work<E, R>): Effect.Effect<boolean, QueueError, R>
} = dual(2, (wq: Workqueue, work: Work<unknown, unknown>) => internal.queue(impl(wq), -1, work as unknown as WorkImpl))

/**
 * Queue every item of `works`, in order, as if `queue` were called on each one
 * after the other, and hand the JS thread back to the event loop between
 * chunks of `chunk` items (default 1024) once the pools' fairness budget is
 * spent. A loop of `unsafeQueue` over 10^6 items holds the thread for the
 * whole loop; `queueAll` keeps the event loop's delay near the budget while
 * workers start on the first chunks.
 *
 * Each item runs with the context of this call, as with `queue`. An item that
 * is already pending is left as it is (its call returns false, as in `queue`).
 * Between two chunks other fibers may queue; within a chunk nothing else runs.
 * The first refusal (`WorkqueueDestroyed`, `WorkqueueDraining`, `InvalidWork`,
 * `WorkqueueFull` at the `maxPending` bound) fails the call; the items before
 * it stay queued. A `chunk` that is not a positive integer fails with
 * `InvalidOperation`. Succeeds with the number of items that were queued (the
 * calls that returned true).
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { Work, Workqueue, WorkerPool } from "@cmwq/core"
 *
 * const program = Effect.gen(function*() {
 *   const wq = yield* Workqueue.alloc("import")
 *   let rows = 0
 *   const items = Array.from({ length: 100_000 }, () => Work.sync(() => void rows++))
 *   const queued = yield* Workqueue.queueAll(wq, items)
 *   yield* Workqueue.flush(wq)
 *   return { queued, rows } // { queued: 100000, rows: 100000 }
 * }).pipe(Effect.scoped, Effect.provide(WorkerPool.layer()))
 * ```
 *
 * @since 0.2.0
 * @category combinators
 */
export const queueAll: {
  <E, R>(
    works: Iterable<Work<E, R>>,
    options?: { readonly chunk?: number }
  ): <WE>(wq: Accepting<E, WE>) => Effect.Effect<number, QueueError | InvalidOperation, R>
  <WE, E extends WE, R>(
    wq: Workqueue<WE>,
    works: Iterable<Work<E, R>>,
    options?: { readonly chunk?: number }
  ): Effect.Effect<number, QueueError | InvalidOperation, R>
} = dual(
  (args) => isWorkqueue(args[0]),
  (wq: Workqueue, works: Iterable<Work<unknown, unknown>>, options?: { readonly chunk?: number }) =>
    internal.queueAll(impl(wq), works as unknown as Iterable<WorkImpl>, options?.chunk ?? 1024)
)

/**
 * The errors of a queue call.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { Work, Workqueue } from "@cmwq/core"
 *
 * const tryQueue = (wq: Workqueue.Workqueue, work: Work.Work) =>
 *   Workqueue.queue(wq, work).pipe(
 *     Effect.catchTag("WorkqueueFull", () => Effect.succeed(false))
 *   )
 * ```
 *
 * @since 0.1.0
 * @category models
 */
export type QueueError = WorkqueueDestroyed | WorkqueueDraining | InvalidWork | WorkqueueFull

/**
 * Queue `work` on logical CPU `cpu` (kernel `queue_work_on`).
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { Work, Workqueue } from "@cmwq/core"
 *
 * const program = Effect.gen(function*() {
 *   const wq = yield* Workqueue.alloc("percpu", { flags: ["PERCPU"] })
 *   yield* Workqueue.queueOn(wq, 1, Work.make(Effect.log("on CPU 1")))
 * })
 * ```
 *
 * @since 0.1.0
 * @category combinators
 */
export const queueOn: {
  <E, R>(
    cpu: number,
    work: Work<E, R>
  ): <WE>(wq: Accepting<E, WE>) => Effect.Effect<boolean, QueueError | InvalidCpu, R>
  <WE, E extends WE, R>(
    wq: Workqueue<WE>,
    cpu: number,
    work: Work<E, R>
  ): Effect.Effect<boolean, QueueError | InvalidCpu, R>
} = dual(
  3,
  (wq: Workqueue, cpu: number, work: Work<unknown, unknown>) =>
    internal.queueOn(impl(wq), cpu, work as unknown as WorkImpl)
)

/**
 * `queue` without an Effect, for callbacks outside Effect (event emitters,
 * timers). Queues on CPU 0 unless called from a worker. Throws the typed
 * error (`WorkqueueDestroyed`, `WorkqueueDraining`, `WorkqueueFull`,
 * `InvalidWork`) instead of failing. There is no calling fiber: the item
 * runs with the pools' context, so it must require nothing.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { Work, Workqueue } from "@cmwq/core"
 *
 * // from a callback outside Effect (an event emitter, a timer)
 * const onData = (wq: Workqueue.Workqueue) => (chunk: string) =>
 *   Workqueue.unsafeQueue(wq, Work.make(Effect.log(`got ${chunk.length} bytes`)))
 * ```
 *
 * @since 0.1.0
 * @category unsafe
 */
export const unsafeQueue = <WE, E extends WE>(wq: Workqueue<WE>, work: Work<E>): boolean =>
  internal.unsafeQueue(impl(wq), work as unknown as WorkImpl)

/**
 * The shape of `queueDelayed` and `modDelayed` (data-first and data-last).
 *
 * The delay is a number of milliseconds or any `Duration.DurationInput`. A
 * negative or non-finite number, or a string with a minus sign
 * (`"-1 millis"`), fails with `InvalidDelay` and changes nothing. A
 * `Duration` value cannot be negative: Effect's constructors clamp a
 * negative length to zero (`Duration.millis(-1)` is `Duration.zero`), so it
 * reaches the workqueue as a delay of 0 and queues at once. Pass a number
 * when the sign must be checked.
 *
 * @since 0.1.0
 * @category models
 */
export interface Delayer {
  <E, R>(dwork: DelayedWork<E, R>, delay: Duration.DurationInput): <WE>(
    wq: Accepting<E, WE>
  ) => Effect.Effect<boolean, WorkqueueDestroyed | WorkqueueDraining | InvalidDelay | InvalidWork, R>
  <WE, E extends WE, R>(
    wq: Workqueue<WE>,
    dwork: DelayedWork<E, R>,
    delay: Duration.DurationInput
  ): Effect.Effect<boolean, WorkqueueDestroyed | WorkqueueDraining | InvalidDelay | InvalidWork, R>
}

const delayer = (mod: boolean): Delayer =>
  dual(
    3,
    (wq: Workqueue, dwork: DelayedWork<unknown, unknown>, delay: Duration.DurationInput) =>
      internal.queueDelayed(impl(wq), -1, dwork as unknown as DelayedWorkImpl, delay, mod)
  )

/**
 * Queue `dwork` after `delay` (a number of milliseconds or a `Duration`) on
 * the pools' `Clock` (kernel `queue_delayed_work`). A delay of 0 queues at
 * once. Returns `false` (and leaves the timer alone) if it was already
 * pending. A negative number or string delay fails with `InvalidDelay`; a
 * `Duration` value is never negative (`Duration.millis(-1)` is
 * `Duration.zero`: see {@link Delayer}).
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { DelayedWork, Workqueue } from "@cmwq/core"
 *
 * const program = Effect.gen(function*() {
 *   const wq = yield* Workqueue.alloc("timers")
 *   const retry = DelayedWork.make(Effect.log("retry"), { name: "retry" })
 *   yield* Workqueue.queueDelayed(wq, retry, "2 seconds")
 * })
 * ```
 *
 * @since 0.1.0
 * @category combinators
 */
export const queueDelayed: Delayer = delayer(false)

/**
 * The shape of `queueDelayedOn` and `modDelayedOn` (data-first and data-last).
 *
 * @since 0.1.0
 * @category models
 */
export interface DelayerOn {
  <E, R>(cpu: number, dwork: DelayedWork<E, R>, delay: Duration.DurationInput): <WE>(
    wq: Accepting<E, WE>
  ) => Effect.Effect<boolean, WorkqueueDestroyed | WorkqueueDraining | InvalidDelay | InvalidCpu | InvalidWork, R>
  <WE, E extends WE, R>(
    wq: Workqueue<WE>,
    cpu: number,
    dwork: DelayedWork<E, R>,
    delay: Duration.DurationInput
  ): Effect.Effect<boolean, WorkqueueDestroyed | WorkqueueDraining | InvalidDelay | InvalidCpu | InvalidWork, R>
}

const delayerOn = (mod: boolean): DelayerOn =>
  dual(
    4,
    (wq: Workqueue, cpu: number, dwork: DelayedWork<unknown, unknown>, delay: Duration.DurationInput) =>
      internal.queueDelayed(impl(wq), cpu, dwork as unknown as DelayedWorkImpl, delay, mod)
  )

/**
 * `queueDelayed` on logical CPU `cpu` (kernel `queue_delayed_work_on`).
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { DelayedWork, Workqueue } from "@cmwq/core"
 *
 * const program = Effect.gen(function*() {
 *   const wq = yield* Workqueue.alloc("timers")
 *   const stat = DelayedWork.make(Effect.log("stat"))
 *   yield* Workqueue.queueDelayedOn(wq, 0, stat, "1 second")
 * })
 * ```
 *
 * @since 0.1.0
 * @category combinators
 */
export const queueDelayedOn: DelayerOn = delayerOn(false)

/**
 * Queue `dwork` after `delay`, or move its deadline to now + `delay` if it is
 * already pending (kernel `mod_delayed_work`). A delay of 0 queues it at once
 * whatever its state. Returns `true` if it was pending, `false` if it was
 * idle and got queued. Negative delays as for `queueDelayed`.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { DelayedWork, Workqueue } from "@cmwq/core"
 *
 * const save = DelayedWork.make(Effect.log("autosave"), { name: "autosave" })
 * // debounce: every keystroke moves the save 500 ms into the future
 * const onKeystroke = (wq: Workqueue.Workqueue) => Workqueue.modDelayed(wq, save, "500 millis")
 * ```
 *
 * @since 0.1.0
 * @category combinators
 */
export const modDelayed: Delayer = delayer(true)

/**
 * `modDelayed` on logical CPU `cpu` (kernel `mod_delayed_work_on`).
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { DelayedWork, Workqueue } from "@cmwq/core"
 *
 * const stat = DelayedWork.make(Effect.log("stat"))
 * const now = (wq: Workqueue.Workqueue) => Workqueue.modDelayedOn(wq, 1, stat, 0) // run it now, on CPU 1
 * ```
 *
 * @since 0.1.0
 * @category combinators
 */
export const modDelayedOn: DelayerOn = delayerOn(true)

// -----------------------------------------------------------------------------
// Flush, drain, destroy
// -----------------------------------------------------------------------------

/**
 * Options of `flush`.
 *
 * @example
 * ```ts
 * import type { Workqueue } from "@cmwq/core"
 *
 * const options: Workqueue.FlushOptions = { timeout: "5 seconds" }
 * ```
 *
 * @since 0.1.0
 * @category models
 */
export interface FlushOptions {
  /**
   * give up after this long (on the pools' clock) with `FlushTimeout`,
   * which lists the items still pending or running, each explained
   */
  readonly timeout: Duration.DurationInput
}

/**
 * Wait until every item queued on `wq` before this call has finished
 * (kernel `flush_workqueue`). Items queued afterwards are not waited for, so
 * a steady stream of new items never holds a flush up. Concurrent flushes
 * each get exactly that guarantee and return in the order they were called.
 *
 * Fails with `FlushDeadlock` when called from one of the items it would wait
 * for (an item flushing its own workqueue). With `{ timeout }`, fails with
 * `FlushTimeout` when the items are not done in time; its `stragglers` say
 * what each of them is doing or waiting for (see `Work.explain`). It is
 * `Epoch.awaitWithin(mark(wq), timeout)`.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { Workqueue } from "@cmwq/core"
 *
 * declare const wq: Workqueue.Workqueue
 * const program = Effect.gen(function*() {
 *   yield* Workqueue.flush(wq)
 *   yield* Workqueue.flush(wq, { timeout: "1 second" }).pipe(
 *     Effect.catchTag("FlushTimeout", (e) => Effect.logWarning(e.message))
 *   )
 * })
 * ```
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { Work, Workqueue } from "@cmwq/core"
 *
 * const program = Effect.gen(function*() {
 *   const wq = yield* Workqueue.alloc("events")
 *   yield* Workqueue.queue(wq, Work.make(Effect.log("a")))
 *   yield* Workqueue.flush(wq) // "a" has finished; items queued later are not waited for
 * })
 * ```
 *
 * @since 0.1.0
 * @category combinators
 */
export const flush: {
  (wq: Workqueue): Effect.Effect<void, FlushDeadlock>
  (wq: Workqueue, options: FlushOptions): Effect.Effect<void, FlushDeadlock | FlushTimeout | InvalidDelay>
} =
  ((wq: Workqueue, options?: FlushOptions): Effect.Effect<void, FlushDeadlock | FlushTimeout | InvalidDelay> =>
    Effect.withSpan(
      // an options object only: `Effect.forEach(wqs, Workqueue.flush)` passes an index
      typeof options === "object" && options !== null && options.timeout !== undefined
        ? epochs.flushWithin(impl(wq), options.timeout)
        : flushWorkqueue(impl(wq)),
      "Workqueue.flush",
      spanOptions(wq)
    )) as never

/**
 * Take an epoch of `wq`: "everything queued on it before now" (the kernel's
 * flush color, as a value). It does what `flush` does first and returns at
 * once; await it later with `Epoch.await`, poll it with `Epoch.poll`, give it
 * a deadline with `Epoch.awaitWithin`, combine it with `Epoch.all`.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { Epoch, Work, Workqueue } from "@cmwq/core"
 *
 * declare const wq: Workqueue.Workqueue
 * const program = Effect.gen(function*() {
 *   yield* Workqueue.queue(wq, Work.make(Effect.log("before")))
 *   const epoch = yield* Workqueue.mark(wq)
 *   yield* Workqueue.queue(wq, Work.make(Effect.log("after: not waited for")))
 *   yield* Epoch.await(epoch)
 * })
 * ```
 *
 * @since 0.1.0
 * @category combinators
 */
export const mark = (wq: Workqueue): Effect.Effect<Epoch> =>
  Effect.sync(() => epochs.mark(impl(wq)) as unknown as Epoch)

/**
 * Sum the workqueue up: every item queued or running on it with its
 * explanation (`Work.explain`), the count per state, and the items that are
 * stuck (frozen, plugged, or on a pool whose worker creation keeps failing).
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { Workqueue } from "@cmwq/core"
 *
 * declare const wq: Workqueue.Workqueue
 * const program = Effect.gen(function*() {
 *   const summary = yield* Workqueue.explain(wq)
 *   yield* Effect.log(summary.message)
 *   for (const item of summary.stuck) yield* Effect.logWarning(item.message)
 * })
 * ```
 *
 * @since 0.1.0
 * @category getters
 */
export const explain = (wq: Workqueue): Effect.Effect<WorkqueueExplanation> =>
  Effect.sync(() => explainInternal.explainWorkqueue(impl(wq)))

/** flush, drain and destroy are spans (cheap: they are rare) */
const spanOptions = (wq: Workqueue) => ({
  attributes: { "messaging.system": "cmwq", "messaging.destination.name": wq.name }
})

/**
 * Flush until the workqueue is empty, including items its items queue while
 * it drains (kernel `drain_workqueue`). While draining, queueing from outside
 * the workqueue's own items fails with `WorkqueueDraining`, and a delayed
 * item whose timer fires is dropped (a warning naming it; `stats.dropped`).
 *
 * A drain that waits long says so: after 10 s, then after twice as long
 * each time (up to every 5 minutes), a warning lists the items still running
 * (name, CPU, how long each has run). With `{ timeout }` it gives up at the
 * deadline: see `DrainOptions`.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { Workqueue } from "@cmwq/core"
 *
 * const stop = (wq: Workqueue.Workqueue) =>
 *   Workqueue.drain(wq, { timeout: "10 seconds" }).pipe(
 *     Effect.catchTag("DrainTimeout", (e) => Effect.logWarning(`gave up on ${e.stragglers.length} item(s)`))
 *   )
 * ```
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { Work, Workqueue } from "@cmwq/core"
 *
 * const program = Effect.gen(function*() {
 *   const wq = yield* Workqueue.alloc("crawler")
 *   yield* Workqueue.queue(wq, Work.make(Effect.log("page 1, which may queue more pages")))
 *   yield* Workqueue.drain(wq) // nothing queued or running, requeues included
 * })
 * ```
 *
 * @since 0.1.0
 * @category combinators
 */
export const drain: Drainer = ((wq: Workqueue, options?: DrainOptions) =>
  Effect.withSpan(
    internal.drainWithin(impl(wq), "drain", options?.timeout),
    "Workqueue.drain",
    spanOptions(wq)
  )) as Drainer

/**
 * The shape of `drain` and `destroy`: without options they fail only with
 * `FlushDeadlock`; with a `timeout`, also with `DrainTimeout` (and
 * `InvalidDelay` for a negative one).
 *
 * @since 0.1.0
 * @category models
 */
export interface Drainer {
  (wq: Workqueue): Effect.Effect<void, FlushDeadlock>
  (wq: Workqueue, options: DrainOptions): Effect.Effect<void, FlushDeadlock | DrainTimeout | InvalidDelay>
}

/**
 * Options of `drain` and `destroy`.
 *
 * @since 0.1.0
 * @category models
 */
export interface DrainOptions {
  /**
   * give up after this long: the items still running are interrupted (their
   * failure is counted and logged; a `Work.promise` item's `AbortSignal`
   * fires) and the call fails with `DrainTimeout`, which lists them. Items
   * queued but not started stay queued. A destroy that timed out has not
   * released the workqueue (call `destroy` again, or close the pools).
   */
  readonly timeout?: Duration.DurationInput | undefined
}

/**
 * Destroy `wq` now (kernel `destroy_workqueue`): drain it, then release it.
 * Closing the workqueue's scope does the same; destroying twice is a no-op.
 * Delayed items whose timer has not fired are not waited for: cancel them
 * first, as the kernel documents (one that fires during the destroy is
 * dropped, with a warning naming it, and counted in `stats.dropped`). Later
 * queue attempts fail with `WorkqueueDestroyed`.
 *
 * A destroy that waits long lists the running items it waits for (after
 * 10 s, then with a doubling backoff), as `drain` does; with `{ timeout }`
 * it interrupts them at the deadline and fails with `DrainTimeout`.
 *
 * @example
 * ```ts
 * import { Workqueue } from "@cmwq/core"
 *
 * declare const wq: Workqueue.Workqueue
 * const shutdown = Workqueue.destroy(wq, { timeout: "5 seconds" })
 * ```
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { Work, Workqueue } from "@cmwq/core"
 *
 * const program = Effect.gen(function*() {
 *   const wq = yield* Workqueue.alloc("jobs")
 *   yield* Workqueue.queue(wq, Work.make(Effect.log("last")))
 *   yield* Workqueue.destroy(wq) // drain, then release; later queue calls fail with WorkqueueDestroyed
 * })
 * ```
 *
 * @since 0.1.0
 * @category combinators
 */
export const destroy: Drainer =
  ((wq: Workqueue, options?: DrainOptions) => internal.destroy(impl(wq), options?.timeout)) as Drainer

/**
 * Change `maxActive` on a live workqueue (kernel `workqueue_set_max_active`).
 * Raising it starts waiting items at once, in queue order; lowering it never
 * stops running items. Refused for ordered and BH workqueues, and for 0 (the
 * kernel would clamp it to 1; `alloc`'s "0 means the default" does not apply).
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { Workqueue } from "@cmwq/core"
 *
 * const program = Effect.gen(function*() {
 *   const wq = yield* Workqueue.alloc("io", { maxActive: 16 })
 *   yield* Workqueue.setMaxActive(wq, 2) // throttle under pressure
 * })
 * ```
 *
 * @since 0.1.0
 * @category combinators
 */
export const setMaxActive: {
  (n: number): (wq: Workqueue) => Effect.Effect<void, InvalidMaxActive | InvalidOperation>
  (wq: Workqueue, n: number): Effect.Effect<void, InvalidMaxActive | InvalidOperation>
} = dual(2, (wq: Workqueue, n: number) => internal.setMaxActive(impl(wq), n))

/**
 * Change an unbound workqueue's attributes while it runs (kernel
 * `apply_workqueue_attrs`): new pools (shared by equal attributes) serve
 * items queued from now on; items already queued finish where they are, so
 * nothing is lost, and an ordered workqueue keeps its order (its new pool
 * link waits, plugged, until every older one has drained).
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { Workqueue } from "@cmwq/core"
 *
 * const program = Effect.gen(function*() {
 *   const wq = yield* Workqueue.alloc("crunch", { flags: ["UNBOUND"] })
 *   yield* Workqueue.applyAttrs(wq, { cpumask: [0, 1], affinityScope: "cache" })
 * })
 * ```
 *
 * @since 0.1.0
 * @category combinators
 */
export const applyAttrs: {
  (attrs: Attrs): (wq: Workqueue) => Effect.Effect<void, InvalidOperation>
  (wq: Workqueue, attrs: Attrs): Effect.Effect<void, InvalidOperation>
} = dual(2, (wq: Workqueue, attrs: Attrs) => internal.applyAttrs(impl(wq), attrs))

/**
 * An unbound workqueue's attributes, or none for a per-cpu one.
 *
 * @example
 * ```ts
 * import { Effect, Option } from "effect"
 * import { Workqueue } from "@cmwq/core"
 *
 * const program = Effect.gen(function*() {
 *   const wq = yield* Workqueue.alloc("crunch", { flags: ["UNBOUND"] })
 *   const attrs = Workqueue.attrs(wq) // Option.none() for per-CPU workqueues
 *   if (Option.isSome(attrs)) yield* Effect.log(attrs.value.affinityScope)
 * })
 * ```
 *
 * @since 0.1.0
 * @category getters
 */
export const attrs = (wq: Workqueue): Option.Option<Required<Attrs>> => internal.attrsOf(impl(wq))

/**
 * Change the per-node floor of an unbound workqueue's `maxActive` (kernel
 * `workqueue_set_min_active`); clamped to 0..maxActive.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { Workqueue } from "@cmwq/core"
 *
 * const program = Effect.gen(function*() {
 *   const wq = yield* Workqueue.alloc("io", { flags: ["UNBOUND"], maxActive: 16 })
 *   yield* Workqueue.setMinActive(wq, 4)
 * })
 * ```
 *
 * @since 0.1.0
 * @category combinators
 */
export const setMinActive: {
  (n: number): (wq: Workqueue) => Effect.Effect<void, InvalidMaxActive | InvalidOperation>
  (wq: Workqueue, n: number): Effect.Effect<void, InvalidMaxActive | InvalidOperation>
} = dual(2, (wq: Workqueue, n: number) => internal.setMinActive(impl(wq), n))

// -----------------------------------------------------------------------------
// Introspection
// -----------------------------------------------------------------------------

/**
 * A workqueue's counters, as the kernel's `wq_monitor.py` shows them.
 *
 * @since 0.1.0
 * @category models
 */
export interface Stats<out E = unknown> {
  readonly name: string
  /**
   * runs started (`total`): each time a worker or the rescuer started an
   * item, flush barriers included as in the kernel's STARTED
   */
  readonly started: number
  /**
   * runs that ended, whatever the outcome: succeeded, failed, died or were
   * interrupted, flush barriers included. `finished - failed` ran to success;
   * `started - finished` is running now.
   */
  readonly finished: number
  /**
   * @deprecated the same count as `finished` (it always included failed
   * items, which its name did not say); use `finished`, or
   * `finished - failed` for the runs that succeeded
   */
  readonly completed: number
  /** runs whose effect failed, died or was interrupted (a subset of `finished`) */
  readonly failed: number
  /** items queued or running, barriers included (`infl`, by colors) */
  readonly inFlight: number
  /** items running now */
  readonly running: number
  /** the most items of this workqueue ever running at once */
  readonly peakRunning: number
  /** milliseconds its items held the JS thread (`CPUtime`; blocked time excluded) */
  readonly cpuTimeMs: number
  /** times an item held the thread longer than the CPU-intensive threshold (`CPUitsv`) */
  readonly cpuIntensive: number
  /** concurrency-management wakeups while running its items (`CMW`) */
  readonly cmWakeup: number
  /** maydays: times a link of this workqueue asked its rescuer for help (`mayday`) */
  readonly mayday: number
  /** items the rescuer ran (`rescued`; flush barriers it took along are not counted) */
  readonly rescued: number
  /**
   * delayed items whose timer fired while the workqueue was draining or
   * being destroyed, and which were dropped (each is logged as a warning)
   */
  readonly dropped: number
  /**
   * the last failed run (failed, died or interrupted), typed by the
   * workqueue's failure type; `None` while none has failed
   */
  readonly lastFailure: Option.Option<WorkFailure<E>>
}

/**
 * The workqueue's counters now, and its last failure, typed by the
 * workqueue's failure type.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { Workqueue } from "@cmwq/core"
 *
 * const report = (wq: Workqueue.Workqueue) =>
 *   Effect.flatMap(Workqueue.stats(wq), (s) => Effect.log(`${s.name}: ${s.completed} done, ${s.failed} failed`))
 * ```
 *
 * @since 0.1.0
 * @category getters
 */
export const stats = <E>(wq: Workqueue<E>): Effect.Effect<Stats<E>> =>
  internal.stats(impl(wq)) as unknown as Effect.Effect<Stats<E>>

/**
 * One failed run of an item of a `Workqueue<E>`: the item, its name and the
 * `Cause` of the failure, typed `E` (its defects and interruptions are in the
 * same Cause, as with any Effect).
 *
 * @example
 * ```ts
 * import { Cause } from "effect"
 * import type { Workqueue } from "@cmwq/core"
 *
 * const describe = (f: Workqueue.WorkFailure<string>) =>
 *   `${f.workqueue}/${f.name}: ${Cause.isInterruptedOnly(f.cause) ? "interrupted" : Cause.pretty(f.cause)}`
 * ```
 *
 * @since 0.1.0
 * @category models
 */
export interface WorkFailure<out E = unknown> {
  /** the workqueue's name */
  readonly workqueue: string
  /** the item that failed (a `run`/`submit` item included) */
  readonly work: Work<unknown, unknown>
  /** the item's name, `"anonymous work"` if it has none */
  readonly name: string
  /** why it failed: `Cause<E>` */
  readonly cause: Cause.Cause<E>
}

/**
 * The failures of a workqueue's items, as a Stream of `WorkFailure<E>`
 * typed by the workqueue's failure type, in the order they happened. The
 * subscription starts when this effect runs (no later failure is missed,
 * even before the stream is consumed) and ends with the scope; the stream
 * ends after the last failure once the workqueue is destroyed. Every failure
 * is also counted in `stats`, logged at the workqueue's `failureLogLevel`
 * (unless `run`, `submit` or `runAll` handed it to its caller) and reported
 * to the pools' observer (untyped: one observer sees every workqueue).
 *
 * @example
 * ```ts
 * import { Cause, Data, Effect, Stream } from "effect"
 * import { Work, Workqueue } from "@cmwq/core"
 *
 * class MailError extends Data.TaggedError("MailError")<{ readonly to: string }> {}
 *
 * const program = Effect.gen(function*() {
 *   const mail = yield* Workqueue.alloc<MailError>("mail")
 *   const failures = yield* Workqueue.failures(mail)
 *   // retry the addresses that failed (a Cause<MailError>: typed)
 *   yield* Effect.forkScoped(Stream.runForEach(failures, (f) =>
 *     Effect.forEach(Cause.failures(f.cause), (e) => Effect.log(`retry ${e.to}`))))
 *   yield* Workqueue.queue(mail, Work.make(Effect.fail(new MailError({ to: "ada@example.com" }))))
 * })
 * ```
 *
 * @since 0.1.0
 * @category getters
 */
export const failures = <E>(wq: Workqueue<E>): Effect.Effect<Stream.Stream<WorkFailure<E>>, never, Scope.Scope> =>
  internal.failures(impl(wq)) as unknown as Effect.Effect<Stream.Stream<WorkFailure<E>>, never, Scope.Scope>

/**
 * The state of one link of a workqueue to a pool (kernel `pool_workqueue`).
 *
 * @since 0.1.0
 * @category models
 */
export interface LinkState {
  /** the pool's id and name (as in `WorkerPool.snapshot`) */
  readonly poolId: number
  readonly pool: string
  /** items counted against max_active (on the worklist, assigned, or running) */
  readonly active: number
  /** items held back by max_active (or a freeze), in queue order */
  readonly inactive: number
  /** items and barriers in flight, per flush color */
  readonly inFlight: ReadonlyArray<number>
  /** the color being flushed on this link, or `FlushColor.noColor` */
  readonly flushColor: FlushColor
}

/**
 * The state of a workqueue (kernel `work_color`, `flush_color`, its pwqs):
 * what `flush` and `maxActive` work on. For tests and diagnostics.
 *
 * @since 0.1.0
 * @category models
 */
export interface State {
  /** color given to newly queued items */
  readonly workColor: FlushColor
  /** oldest color still being flushed (equal to `workColor` when no flush runs) */
  readonly flushColor: FlushColor
  /** flushes waiting (first flusher, queued, and overflowed when all colors are in use) */
  readonly flushers: number
  /** the max_active applied now (0 while frozen) */
  readonly maxActive: number
  readonly links: ReadonlyArray<LinkState>
}

/**
 * The workqueue's state now, synchronously.
 *
 * @example
 * ```ts
 * import { Workqueue } from "@cmwq/core"
 *
 * const debugDump = (wq: Workqueue.Workqueue) => {
 *   const state = Workqueue.unsafeInspect(wq)
 *   return `${wq.name}: color ${state.workColor}, ${state.flushers} flusher(s), max_active ${state.maxActive}`
 * }
 * ```
 *
 * @since 0.1.0
 * @category unsafe
 */
export const unsafeInspect = (wq: Workqueue): State => internal.inspect(impl(wq)) as unknown as State

/**
 * The workqueue's state now.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { Workqueue } from "@cmwq/core"
 *
 * const flushers = (wq: Workqueue.Workqueue) => Effect.map(Workqueue.inspect(wq), (state) => state.flushers)
 * ```
 *
 * @since 0.1.0
 * @category getters
 */
export const inspect = (wq: Workqueue): Effect.Effect<State> =>
  internal.inspectEffect(impl(wq)) as unknown as Effect.Effect<State>

/**
 * Items queued (active or held back by `maxActive`) and running on `wq`,
 * barriers excluded: 0 means idle.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { Workqueue } from "@cmwq/core"
 *
 * const backlog = (wq: Workqueue.Workqueue) =>
 *   Effect.flatMap(Workqueue.pendingCount(wq), (n) => n > 100 ? Effect.logWarning(`${wq.name}: ${n} pending`) : Effect.void)
 * ```
 *
 * @since 0.1.0
 * @category getters
 */
export const pendingCount = (wq: Workqueue): Effect.Effect<number> => internal.pendingCountEffect(impl(wq))

// -----------------------------------------------------------------------------
// Results
// -----------------------------------------------------------------------------

/**
 * Options of `run` and `submit`.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { Workqueue } from "@cmwq/core"
 *
 * const render = (wq: Workqueue.Workqueue) => Workqueue.run(wq, Effect.succeed("ok"), { name: "render" })
 * ```
 *
 * @since 0.1.0
 * @category models
 */
export interface RunOptions {
  /** the one-shot item's name, for logs, traces and failure reports */
  readonly name?: string | undefined
}

/**
 * Queue `effect` as a one-shot item and wait for its result: as if it ran in
 * place, but on the workqueue's workers, under its `maxActive`. Its failure
 * is the call's failure (typed `E`); it also counts as a failed item in the
 * stats and the observer. At the `maxPending` bound the call waits for room
 * (first come, first served) instead of failing.
 *
 * The item runs with the caller's Context and FiberRefs; its span is a child
 * of the caller's (the caller waits for it). Interrupting the caller cancels
 * the item if still pending and interrupts it if running; the call returns
 * once the item's finalizers have run. The worker, its pool and other items
 * are unharmed: a non-synchronous effect runs in a fiber of its own, which its
 * worker waits for (so, like an item that blocks, it does not hold its pool's
 * concurrency).
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { Workqueue } from "@cmwq/core"
 *
 * const program = Effect.gen(function*() {
 *   const wq = yield* Workqueue.alloc("render", { maxActive: 4 })
 *   const html = yield* Workqueue.run(wq, Effect.succeed("<p>hi</p>"))
 * })
 * ```
 *
 * @since 0.1.0
 * @category results
 */
export const run: {
  <A, E, R>(
    effect: Effect.Effect<A, E, R>,
    options?: RunOptions
  ): <WE>(wq: Accepting<E, WE>) => Effect.Effect<A, E | WorkqueueDestroyed | WorkqueueDraining | InvalidWork, R>
  <WE, A, E extends WE, R>(
    wq: Workqueue<WE>,
    effect: Effect.Effect<A, E, R>,
    options?: RunOptions
  ): Effect.Effect<A, E | WorkqueueDestroyed | WorkqueueDraining | InvalidWork, R>
} = dual(
  (args) => isWorkqueue(args[0]),
  <A, E, R>(wq: Workqueue, effect: Effect.Effect<A, E, R>, options?: RunOptions) =>
    results.run(impl(wq), effect, options)
)

/**
 * A submitted one-shot item (`submit`): await, poll or cancel it later.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { Workqueue } from "@cmwq/core"
 *
 * const later = (wq: Workqueue.Workqueue) =>
 *   Effect.gen(function*() {
 *     const job: Workqueue.Submitted<number, never> = yield* Workqueue.submit(wq, Effect.succeed(1))
 *     const done = yield* job.poll // Option of the Exit
 *     if (done._tag === "None") yield* job.cancel
 *   })
 * ```
 *
 * @since 0.1.0
 * @category models
 */
export interface Submitted<A, E> {
  /** wait for the item's Exit */
  readonly await: Effect.Effect<Exit.Exit<A, E>>
  /** wait for the item's result */
  readonly join: Effect.Effect<A, E>
  /** the Exit, if the item has finished */
  readonly poll: Effect.Effect<Option.Option<Exit.Exit<A, E>>>
  /**
   * remove the item if still pending, else interrupt it if running; returns
   * once it has finished, with whether it was still pending
   */
  readonly cancel: Effect.Effect<boolean>
}

/**
 * `run` as a handle: queue `effect` as a one-shot item (waiting for room at
 * the `maxPending` bound) and return at once with a `Submitted` to await,
 * poll or cancel. The caller's interruption after `submit` returned does not
 * touch the item; interrupted while it waits for room, `submit` returns no
 * handle and leaves no item behind (one the release queued in that instant
 * is cancelled, or interrupted and waited for, as `run` does).
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { Workqueue } from "@cmwq/core"
 *
 * const program = Effect.gen(function*() {
 *   const wq = yield* Workqueue.alloc("jobs")
 *   const job = yield* Workqueue.submit(wq, Effect.succeed(42))
 *   const answer = yield* job.join
 * })
 * ```
 *
 * @since 0.1.0
 * @category results
 */
export const submit: {
  <A, E, R>(
    effect: Effect.Effect<A, E, R>,
    options?: RunOptions
  ): <WE>(
    wq: Accepting<E, WE>
  ) => Effect.Effect<Submitted<A, E>, WorkqueueDestroyed | WorkqueueDraining | InvalidWork, R>
  <WE, A, E extends WE, R>(
    wq: Workqueue<WE>,
    effect: Effect.Effect<A, E, R>,
    options?: RunOptions
  ): Effect.Effect<Submitted<A, E>, WorkqueueDestroyed | WorkqueueDraining | InvalidWork, R>
} = dual(
  (args) => isWorkqueue(args[0]),
  <A, E, R>(wq: Workqueue, effect: Effect.Effect<A, E, R>, options?: RunOptions) =>
    results.submit(impl(wq), effect, options)
)

/**
 * Run many effects as items of `wq` and collect their results, in input
 * order, with one waiter for the lot (compare `Effect.forEach`): one item per
 * effect, synchronous effects on the workers' fast path with no fiber of
 * their own; an effect that may suspend runs in a child fiber of its worker,
 * so that it can be interrupted. At the `maxPending` bound it queues as room
 * appears. The first failure cancels the items still pending and fails the
 * call once the running ones have finished. Interrupting the caller cancels
 * the pending items, interrupts the running ones, and returns once their
 * finalizers have run; the workers and the other items are unharmed.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { Workqueue } from "@cmwq/core"
 *
 * const program = Effect.gen(function*() {
 *   const wq = yield* Workqueue.alloc("thumbnails", { maxActive: 8 })
 *   const sizes = yield* Workqueue.runAll(wq, [1, 2, 3].map((n) => Effect.succeed(n * 100)))
 * })
 * ```
 *
 * @since 0.1.0
 * @category results
 */
export const runAll: {
  <A, E, R>(
    effects: Iterable<Effect.Effect<A, E, R>>
  ): <WE>(wq: Accepting<E, WE>) => Effect.Effect<Array<A>, E | WorkqueueDestroyed | WorkqueueDraining | InvalidWork, R>
  <WE, A, E extends WE, R>(
    wq: Workqueue<WE>,
    effects: Iterable<Effect.Effect<A, E, R>>
  ): Effect.Effect<Array<A>, E | WorkqueueDestroyed | WorkqueueDraining | InvalidWork, R>
} = dual(
  2,
  <A, E, R>(wq: Workqueue, effects: Iterable<Effect.Effect<A, E, R>>) => results.runAll(impl(wq), effects)
)

/**
 * Wait until fewer than `n` items of `wq` are queued or running (barriers
 * excluded): for producers that pace themselves. Fails with
 * `InvalidOperation` unless `n` is an integer, 1 or more.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { Work, Workqueue } from "@cmwq/core"
 *
 * const produce = (wq: Workqueue.Workqueue, work: Work.Work) =>
 *   Effect.zipRight(Workqueue.awaitPendingBelow(wq, 100), Workqueue.queue(wq, work))
 * ```
 *
 * @since 0.1.0
 * @category combinators
 */
export const awaitPendingBelow: {
  (n: number): (wq: Workqueue) => Effect.Effect<void, InvalidOperation>
  (wq: Workqueue, n: number): Effect.Effect<void, InvalidOperation>
} = dual(2, (wq: Workqueue, n: number) => results.awaitPendingBelow(impl(wq), n))

// -----------------------------------------------------------------------------
// Services
// -----------------------------------------------------------------------------

/**
 * A `Context.Tag` class for a workqueue service, with its scoped layer.
 *
 * @example
 * ```ts
 * import { Workqueue } from "@cmwq/core"
 *
 * class Thumbnails extends Workqueue.Tag("Thumbnails")<Thumbnails>() {}
 * const ThumbnailsLive = Thumbnails.layer({ maxActive: 2, maxPending: 100 })
 * ```
 *
 * @since 0.1.0
 * @category models
 */
export interface TagClass<Self, Id extends string> extends Context.TagClass<Self, Id, Workqueue> {
  /**
   * the workqueue named after the tag's id, allocated when the layer is
   * built and destroyed (drained, then released) when its scope closes
   */
  readonly layer: (
    options?: Options
  ) => Layer.Layer<Self, InvalidMaxActive | InvalidFlags | InvalidOperation, WorkerPools>
}

/**
 * Make a workqueue a service in one line: a `Context.Tag` class whose
 * `layer(options)` allocates the workqueue (named after the tag) for the
 * layer's lifetime.
 *
 * @example
 * ```ts
 * import { Effect, Layer } from "effect"
 * import { Workqueue, WorkerPool } from "@cmwq/core"
 *
 * class Mailer extends Workqueue.Tag("Mailer")<Mailer>() {}
 *
 * const program = Effect.gen(function*() {
 *   const wq = yield* Mailer
 *   yield* Workqueue.run(wq, Effect.log("sending"))
 * }).pipe(Effect.provide(Mailer.layer({ maxActive: 4 }).pipe(Layer.provide(WorkerPool.layer()))))
 * ```
 *
 * @since 0.1.0
 * @category constructors
 */
export const Tag = <const Id extends string>(id: Id) => <Self>(): TagClass<Self, Id> => {
  const Base = Context.Tag(id)<Self, Workqueue>()
  const layer = (options?: Options) => Layer.scoped(Base, alloc(id, options))
  return Object.assign(Base, { layer })
}
