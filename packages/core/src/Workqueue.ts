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
import type * as Duration from "effect/Duration"
import type * as Effect from "effect/Effect"
import { dual } from "effect/Function"
import type * as Option from "effect/Option"
import type * as Scope from "effect/Scope"
import * as C from "./internal/constants.js"
import * as Flags from "./internal/flags.js"
import { drainWorkqueue, flushWorkqueue } from "./internal/flush.js"
import { poolsImpl } from "./internal/pools.js"
import type { DelayedWorkImpl, WorkImpl } from "./internal/work.js"
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
  WorkqueueDestroyed,
  WorkqueueDraining
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
  attrs?: Attrs
): Effect.Effect<Workqueue, InvalidMaxActive | InvalidFlags, WorkerPools | Scope.Scope> =>
  poolsImpl((pools) => internal.alloc(pools, name, flagNames, maxActive, ordered, legacy, attrs)) as Effect.Effect<
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
 * ```
 *
 * @since 0.1.0
 * @category constructors
 */
export const alloc = (
  name: string,
  options: Options = {}
): Effect.Effect<Workqueue, InvalidMaxActive | InvalidFlags, WorkerPools | Scope.Scope> =>
  allocWith(name, options.flags ?? [], options.maxActive ?? 0, false, false, options.attrs)

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
 * workqueue is destroyed, or draining and the caller is not one of its items.
 *
 * @since 0.1.0
 * @category combinators
 */
export const queue: {
  (work: Work): (wq: Workqueue) => Effect.Effect<boolean, WorkqueueDestroyed | WorkqueueDraining>
  (wq: Workqueue, work: Work): Effect.Effect<boolean, WorkqueueDestroyed | WorkqueueDraining>
} = dual(2, (wq: Workqueue, work: Work) => internal.queue(impl(wq), -1, work as unknown as WorkImpl))

/**
 * Queue `work` on logical CPU `cpu` (kernel `queue_work_on`).
 *
 * @since 0.1.0
 * @category combinators
 */
export const queueOn: {
  (cpu: number, work: Work): (wq: Workqueue) => Effect.Effect<boolean, WorkqueueDestroyed | WorkqueueDraining | InvalidCpu>
  (wq: Workqueue, cpu: number, work: Work): Effect.Effect<boolean, WorkqueueDestroyed | WorkqueueDraining | InvalidCpu>
} = dual(3, (wq: Workqueue, cpu: number, work: Work) => internal.queueOn(impl(wq), cpu, work as unknown as WorkImpl))

/**
 * `queue` without an Effect, for callbacks outside Effect (event emitters,
 * timers). Queues on CPU 0 unless called from a worker. Throws the typed
 * error (`WorkqueueDestroyed`, `WorkqueueDraining`) instead of failing.
 *
 * @since 0.1.0
 * @category unsafe
 */
export const unsafeQueue = (wq: Workqueue, work: Work): boolean =>
  internal.unsafeQueue(impl(wq), work as unknown as WorkImpl)

/**
 * The shape of `queueDelayed` and `modDelayed` (data-first and data-last).
 *
 * @since 0.1.0
 * @category models
 */
export interface Delayer {
  (dwork: DelayedWork, delay: Duration.DurationInput): (
    wq: Workqueue
  ) => Effect.Effect<boolean, WorkqueueDestroyed | WorkqueueDraining | InvalidDelay>
  (
    wq: Workqueue,
    dwork: DelayedWork,
    delay: Duration.DurationInput
  ): Effect.Effect<boolean, WorkqueueDestroyed | WorkqueueDraining | InvalidDelay>
}

const delayer = (mod: boolean): Delayer =>
  dual(
    3,
    (wq: Workqueue, dwork: DelayedWork, delay: Duration.DurationInput) =>
      internal.queueDelayed(impl(wq), -1, dwork as unknown as DelayedWorkImpl, delay, mod) as Effect.Effect<
        boolean,
        WorkqueueDestroyed | WorkqueueDraining | InvalidDelay
      >
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
 * `queueDelayed` on logical CPU `cpu` (kernel `queue_delayed_work_on`).
 *
 * @since 0.1.0
 * @category combinators
 */
export const queueDelayedOn = (
  wq: Workqueue,
  cpu: number,
  dwork: DelayedWork,
  delay: Duration.DurationInput
): Effect.Effect<boolean, WorkqueueDestroyed | WorkqueueDraining | InvalidDelay | InvalidCpu> =>
  internal.queueDelayed(impl(wq), cpu, dwork as unknown as DelayedWorkImpl, delay, false)

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
export const modDelayedOn = (
  wq: Workqueue,
  cpu: number,
  dwork: DelayedWork,
  delay: Duration.DurationInput
): Effect.Effect<boolean, WorkqueueDestroyed | WorkqueueDraining | InvalidDelay | InvalidCpu> =>
  internal.queueDelayed(impl(wq), cpu, dwork as unknown as DelayedWorkImpl, delay, true)

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
export const flush = (wq: Workqueue): Effect.Effect<void, FlushDeadlock> => flushWorkqueue(impl(wq))

/**
 * Flush until the workqueue is empty, including items its items queue while
 * it drains (kernel `drain_workqueue`). While draining, queueing from outside
 * the workqueue's own items fails with `WorkqueueDraining`.
 *
 * @since 0.1.0
 * @category combinators
 */
export const drain = (wq: Workqueue): Effect.Effect<void, FlushDeadlock> => drainWorkqueue(impl(wq))

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
export const inspect = (wq: Workqueue): Effect.Effect<State> => internal.inspectEffect(impl(wq)) as unknown as Effect.Effect<State>

/**
 * Items queued (active or held back by `maxActive`) and running on `wq`,
 * barriers excluded: 0 means idle.
 *
 * @since 0.1.0
 * @category getters
 */
export const pendingCount = (wq: Workqueue): Effect.Effect<number> => internal.pendingCountEffect(impl(wq))
