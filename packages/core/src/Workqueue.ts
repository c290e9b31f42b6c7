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
import * as Context from "effect/Context"
import type * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import type * as Exit from "effect/Exit"
import { dual } from "effect/Function"
import * as Layer from "effect/Layer"
import type * as Option from "effect/Option"
import type * as Scope from "effect/Scope"
import * as C from "./internal/constants.js"
import * as Flags from "./internal/flags.js"
import { drainWorkqueue, flushWorkqueue } from "./internal/flush.js"
import { poolsImpl } from "./internal/pools.js"
import type { DelayedWorkImpl, WorkImpl } from "./internal/work.js"
import * as results from "./internal/results.js"
import * as internal from "./internal/workqueue.js"
import type { DelayedWork } from "./DelayedWork.js"
import type { FlushColor } from "./FlushColor.js"
import type { Work } from "./Work.js"
import type { WorkerPools } from "./WorkerPool.js"
import type {
  FlushDeadlock,
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
 * A workqueue.
 *
 * @since 0.1.0
 * @category models
 */
export interface Workqueue {
  readonly [TypeId]: TypeId
  readonly name: string
}

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
 * @since 0.1.0
 * @category constants
 */
export const FLAGS: ReadonlyArray<Flag> = Flags.FLAG_NAMES

/**
 * The largest `maxActive` (kernel `WQ_MAX_ACTIVE`, current kernels).
 *
 * @since 0.1.0
 * @category constants
 */
export const WQ_MAX_ACTIVE: number = C.WQ_MAX_ACTIVE

/**
 * The `maxActive` used when 0 is given (kernel `WQ_DFL_ACTIVE` = 1024).
 *
 * @since 0.1.0
 * @category constants
 */
export const WQ_DFL_ACTIVE: number = C.WQ_DFL_ACTIVE

/**
 * The largest `maxActive` of an unbound workqueue (kernel
 * `WQ_UNBOUND_MAX_ACTIVE` = `WQ_MAX_ACTIVE`).
 *
 * @since 0.1.0
 * @category constants
 */
export const WQ_UNBOUND_MAX_ACTIVE: number = C.WQ_UNBOUND_MAX_ACTIVE

/**
 * The per-node floor of an unbound workqueue's `maxActive` (kernel
 * `WQ_DFL_MIN_ACTIVE` = 8).
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
  maxPending?: number
): Effect.Effect<Workqueue, InvalidMaxActive | InvalidFlags, WorkerPools | Scope.Scope> =>
  poolsImpl((pools) =>
    internal.alloc(pools, name, flagNames, maxActive, ordered, legacy, attrs, maxPending ?? 0)
  ) as Effect.Effect<
    Workqueue,
    InvalidMaxActive | InvalidFlags,
    WorkerPools | Scope.Scope
  >

/**
 * Allocate a workqueue (kernel `alloc_workqueue`), as a scoped resource:
 * closing the scope destroys it (drain, then release).
 *
 * @example
 * ```ts
 * import { Workqueue } from "@cmwq/core"
 *
 * const wq = Workqueue.alloc("disk-io", { flags: ["HIGHPRI"], maxActive: 16 })
 * const bounded = Workqueue.alloc("uploads", { maxPending: 1000 })
 * ```
 *
 * Fails with `InvalidOperation` for a `maxPending` that is not an integer, 0
 * or more.
 *
 * @since 0.1.0
 * @category constructors
 */
export const alloc = (
  name: string,
  options: Options = {}
): Effect.Effect<Workqueue, InvalidMaxActive | InvalidFlags | InvalidOperation, WorkerPools | Scope.Scope> =>
  allocWith(name, options.flags ?? [], options.maxActive ?? 0, false, false, options.attrs, options.maxPending)

/**
 * Allocate an ordered workqueue (kernel `alloc_ordered_workqueue`): one item
 * at a time, in queue order. Only `FREEZABLE` and `MEM_RECLAIM` are
 * meaningful extra flags.
 *
 * @since 0.1.0
 * @category constructors
 */
export const allocOrdered = (
  name: string,
  options: { readonly flags?: ReadonlyArray<Flag> | undefined } = {}
): Effect.Effect<Workqueue, InvalidMaxActive | InvalidFlags, WorkerPools | Scope.Scope> =>
  allocWith(name, options.flags ?? [], 0, true, false)

/**
 * Allocate a workqueue the way the kernel's legacy `create_workqueue`,
 * `create_singlethread_workqueue` and `create_freezable_workqueue` do: as
 * `alloc`/`allocOrdered`, plus the kernel's internal legacy mark, which
 * exempts the workqueue's items from the flush-dependency warning. Prefer
 * `Kernel.create_workqueue` and friends, which pass the kernel's arguments.
 *
 * @since 0.1.0
 * @category constructors
 */
export const allocLegacy = (
  name: string,
  flags: ReadonlyArray<Flag>,
  maxActive: number,
  ordered: boolean
): Effect.Effect<Workqueue, InvalidMaxActive | InvalidFlags, WorkerPools | Scope.Scope> =>
  allocWith(name, flags, maxActive, ordered, true)

/**
 * @since 0.1.0
 * @category guards
 */
export const isWorkqueue = (u: unknown): u is Workqueue => u instanceof internal.WorkqueueImpl

/**
 * The workqueue's flags (what was asked for, plus `UNBOUND`/`PERCPU` as the
 * kernel sets them).
 *
 * @since 0.1.0
 * @category getters
 */
export const flags = (wq: Workqueue): ReadonlyArray<Flag> => Flags.flagNames(impl(wq).flags)

/**
 * The workqueue's `maxActive` as set by the user (ordered: 1).
 *
 * @since 0.1.0
 * @category getters
 */
export const maxActive = (wq: Workqueue): number => impl(wq).savedMaxActive

/**
 * @since 0.1.0
 * @category getters
 */
export const isOrdered = (wq: Workqueue): boolean => impl(wq).ordered

/**
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
  <E, R>(work: Work<E, R>): (wq: Workqueue) => Effect.Effect<boolean, QueueError, R>
  <E, R>(wq: Workqueue, work: Work<E, R>): Effect.Effect<boolean, QueueError, R>
} = dual(2, (wq: Workqueue, work: Work<unknown, unknown>) => internal.queue(impl(wq), -1, work as unknown as WorkImpl))

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
 * @since 0.1.0
 * @category combinators
 */
export const queueOn: {
  <E, R>(cpu: number, work: Work<E, R>): (wq: Workqueue) => Effect.Effect<boolean, QueueError | InvalidCpu, R>
  <E, R>(wq: Workqueue, cpu: number, work: Work<E, R>): Effect.Effect<boolean, QueueError | InvalidCpu, R>
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
 * @since 0.1.0
 * @category unsafe
 */
export const unsafeQueue = <E>(wq: Workqueue, work: Work<E>): boolean =>
  internal.unsafeQueue(impl(wq), work as unknown as WorkImpl)

/**
 * The shape of `queueDelayed` and `modDelayed` (data-first and data-last).
 *
 * @since 0.1.0
 * @category models
 */
export interface Delayer {
  <E, R>(dwork: DelayedWork<E, R>, delay: Duration.DurationInput): (
    wq: Workqueue
  ) => Effect.Effect<boolean, WorkqueueDestroyed | WorkqueueDraining | InvalidDelay | InvalidWork, R>
  <E, R>(
    wq: Workqueue,
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
 * pending.
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
  <E, R>(cpu: number, dwork: DelayedWork<E, R>, delay: Duration.DurationInput): (
    wq: Workqueue
  ) => Effect.Effect<boolean, WorkqueueDestroyed | WorkqueueDraining | InvalidDelay | InvalidCpu | InvalidWork, R>
  <E, R>(
    wq: Workqueue,
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
 * @since 0.1.0
 * @category combinators
 */
export const queueDelayedOn: DelayerOn = delayerOn(false)

/**
 * Queue `dwork` after `delay`, or move its deadline to now + `delay` if it is
 * already pending (kernel `mod_delayed_work`). A delay of 0 queues it at once
 * whatever its state. Returns `true` if it was pending, `false` if it was
 * idle and got queued.
 *
 * @since 0.1.0
 * @category combinators
 */
export const modDelayed: Delayer = delayer(true)

/**
 * `modDelayed` on logical CPU `cpu` (kernel `mod_delayed_work_on`).
 *
 * @since 0.1.0
 * @category combinators
 */
export const modDelayedOn: DelayerOn = delayerOn(true)

// -----------------------------------------------------------------------------
// Flush, drain, destroy
// -----------------------------------------------------------------------------

/**
 * Wait until every item queued on `wq` before this call has finished
 * (kernel `flush_workqueue`). Items queued afterwards are not waited for, so
 * a steady stream of new items never holds a flush up. Concurrent flushes
 * each get exactly that guarantee and return in the order they were called.
 *
 * Fails with `FlushDeadlock` when called from one of the items it would wait
 * for (an item flushing its own workqueue).
 *
 * @since 0.1.0
 * @category combinators
 */
export const flush = (wq: Workqueue): Effect.Effect<void, FlushDeadlock> =>
  Effect.withSpan(flushWorkqueue(impl(wq)), "Workqueue.flush", spanOptions(wq))

/** flush, drain and destroy are spans (cheap: they are rare) */
const spanOptions = (wq: Workqueue) => ({
  attributes: { "messaging.system": "cmwq", "messaging.destination.name": wq.name }
})

/**
 * Flush until the workqueue is empty, including items its items queue while
 * it drains (kernel `drain_workqueue`). While draining, queueing from outside
 * the workqueue's own items fails with `WorkqueueDraining`.
 *
 * @since 0.1.0
 * @category combinators
 */
export const drain = (wq: Workqueue): Effect.Effect<void, FlushDeadlock> =>
  Effect.withSpan(drainWorkqueue(impl(wq)), "Workqueue.drain", spanOptions(wq))

/**
 * Destroy `wq` now (kernel `destroy_workqueue`): drain it, then release it.
 * Closing the workqueue's scope does the same; destroying twice is a no-op.
 * Delayed items whose timer has not fired are not waited for: cancel them
 * first, as the kernel documents. Later queue attempts fail with
 * `WorkqueueDestroyed`.
 *
 * @since 0.1.0
 * @category combinators
 */
export const destroy = (wq: Workqueue): Effect.Effect<void, FlushDeadlock> => internal.destroy(impl(wq))

/**
 * Change `maxActive` on a live workqueue (kernel `workqueue_set_max_active`).
 * Raising it starts waiting items at once, in queue order; lowering it never
 * stops running items. Refused for ordered and BH workqueues, and for 0 (the
 * kernel would clamp it to 1; `alloc`'s "0 means the default" does not apply).
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
 * @since 0.1.0
 * @category getters
 */
export const attrs = (wq: Workqueue): Option.Option<Required<Attrs>> => internal.attrsOf(impl(wq))

/**
 * Change the per-node floor of an unbound workqueue's `maxActive` (kernel
 * `workqueue_set_min_active`); clamped to 0..maxActive.
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
export interface Stats {
  readonly name: string
  /** items started (`total`), flush barriers included as in the kernel's STARTED */
  readonly started: number
  /** items completed, flush barriers included */
  readonly completed: number
  /** items whose effect failed, died or was interrupted */
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
  readonly mayday: number
  readonly rescued: number
}

/**
 * The workqueue's counters now.
 *
 * @since 0.1.0
 * @category getters
 */
export const stats = (wq: Workqueue): Effect.Effect<Stats> => internal.stats(impl(wq))

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
 * @since 0.1.0
 * @category unsafe
 */
export const unsafeInspect = (wq: Workqueue): State => internal.inspect(impl(wq)) as unknown as State

/**
 * The workqueue's state now.
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
  ): (wq: Workqueue) => Effect.Effect<A, E | WorkqueueDestroyed | WorkqueueDraining | InvalidWork, R>
  <A, E, R>(
    wq: Workqueue,
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
 * touch the item.
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
  ): (wq: Workqueue) => Effect.Effect<Submitted<A, E>, WorkqueueDestroyed | WorkqueueDraining | InvalidWork, R>
  <A, E, R>(
    wq: Workqueue,
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
 * order, without a fiber per item (compare `Effect.forEach`): one item per
 * effect, synchronous effects on the workers' fast path, one waiter for the
 * lot. At the `maxPending` bound it queues as room appears. The first failure
 * cancels the items still pending and fails the call once the running ones
 * have finished; interrupting the caller does the same. Running items are not
 * interrupted (use `run` for that).
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
  ): (wq: Workqueue) => Effect.Effect<Array<A>, E | WorkqueueDestroyed | WorkqueueDraining | InvalidWork, R>
  <A, E, R>(
    wq: Workqueue,
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
