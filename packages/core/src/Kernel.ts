/**
 * The kernel-named facade: `alloc_workqueue`, `queue_work`, `flush_work`,
 * `cancel_delayed_work_sync`, `system_wq`, … with the kernel's names,
 * argument order, flag bits and return values, so that kernel code (and the
 * kernel's documentation) can be ported line by line:
 *
 * ```c
 * wq = alloc_workqueue("radeon-crtc", WQ_HIGHPRI, 0);
 * INIT_WORK(&work, flip_func);
 * queue_work(wq, &work);
 * ```
 *
 * becomes
 *
 * ```ts
 * const wq = yield* Kernel.alloc_workqueue("radeon-crtc", Kernel.WQ_HIGHPRI, 0)
 * const work = Kernel.INIT_WORK(flipFunc)
 * yield* Kernel.queue_work(wq, work)
 * ```
 *
 * The facade adds no behaviour: every function maps onto `Workqueue`, `Work`,
 * `DelayedWork`, `SystemWorkqueues` or `Freezer`, whose docs hold the full
 * contracts. What it maps:
 * - names and argument order are the kernel's (so, unlike the rest of the
 *   library, nothing here is dual: the argument order is the point);
 * - flags are bit numbers at the kernel's positions (`WQ_HIGHPRI | WQ_UNBOUND`);
 *   bits the kernel's `alloc_workqueue` does not accept from callers fail with
 *   `WorkqueueError.InvalidFlags` naming them;
 * - functions returning `bool` in the kernel return `boolean`; `work_busy`
 *   returns the `WORK_BUSY_*` bits; `current_work()` returns `null` outside
 *   workers;
 * - delays are milliseconds of Effect's `Clock` (or a `Duration`): one jiffy
 *   is 1 ms and `HZ` is 1000, so `schedule_delayed_work(dwork, HZ)` still
 *   means one second;
 * - where the kernel WARNs and carries on (or clamps), the library fails with
 *   a typed error instead: a negative or too large `max_active`, queueing on a
 *   destroyed workqueue, `workqueue_set_max_active` on an ordered or BH
 *   workqueue. Each function names its errors.
 *
 * Invariants:
 * - a facade call never changes anything the corresponding library call
 *   would not change (a refused call changes nothing);
 * - `Kernel.layer` (or `layerWith`) plus a `Scope` is all any facade function
 *   needs; workqueues allocated here are destroyed (drained, then released)
 *   when that scope closes, as the kernel's `destroy_workqueue` does.
 *
 * See docs/concepts/workqueues-and-work.md.
 *
 * @since 0.1.0
 */
import type * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import type * as Scope from "effect/Scope"
import * as DelayedWork from "./DelayedWork.js"
import * as Flags from "./internal/flags.js"
import * as Freezer from "./Freezer.js"
import * as SystemWorkqueues from "./SystemWorkqueues.js"
import * as Work from "./Work.js"
import * as WorkerPool from "./WorkerPool.js"
import * as Workqueue from "./Workqueue.js"
import {
  type FlushDeadlock,
  type InvalidCpu,
  type InvalidDelay,
  type InvalidFlags,
  type InvalidMaxActive,
  type InvalidOperation,
  type InvalidPoolOptions,
  type WorkqueueDestroyed,
  type WorkqueueDraining
} from "./WorkqueueError.js"

// -----------------------------------------------------------------------------
// Layers
// -----------------------------------------------------------------------------

/**
 * The services every facade function may need: the pools of the logical CPUs
 * and the system workqueues.
 *
 * @since 0.1.0
 * @category models
 */
export type Services = WorkerPool.WorkerPools | SystemWorkqueues.SystemWorkqueues

/**
 * The pools (`WorkerPool.layer(options)`) and the system workqueues
 * (`SystemWorkqueues.layer`) on them, as one layer.
 *
 * @since 0.1.0
 * @category layers
 */
export const layerWith = (options: WorkerPool.Options): Layer.Layer<Services, InvalidPoolOptions> =>
  SystemWorkqueues.layer.pipe(Layer.provideMerge(WorkerPool.layer(options)))

/**
 * `layerWith` the kernel's defaults (one logical CPU). With it and a `Scope`,
 * every facade function runs.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { Kernel } from "@cmwq/core"
 *
 * const program = Effect.gen(function*() {
 *   const wq = yield* Kernel.alloc_workqueue("led_workqueue", 0, 0)
 *   const work = Kernel.INIT_WORK(Effect.log("led update"), "led")
 *   yield* Kernel.queue_work(wq, work)
 *   yield* Kernel.flush_workqueue(wq)
 * })
 *
 * Effect.runPromise(program.pipe(Effect.scoped, Effect.provide(Kernel.layer)))
 * ```
 *
 * @since 0.1.0
 * @category layers
 */
export const layer: Layer.Layer<Services> = Layer.orDie(layerWith({}))

// -----------------------------------------------------------------------------
// Flags and constants (include/linux/workqueue.h)
// -----------------------------------------------------------------------------

/**
 * Run in BH (softirq) context on the queueing CPU, in queue order; only
 * `WQ_HIGHPRI` (and `WQ_PERCPU`) may be added, and `max_active` must be 0.
 *
 * @since 0.1.0
 * @category constants
 */
export const WQ_BH: number = Flags.WQ_BH

/**
 * Served by unbound pools: no concurrency management; `max_active` applies
 * to the whole workqueue.
 *
 * @since 0.1.0
 * @category constants
 */
export const WQ_UNBOUND: number = Flags.WQ_UNBOUND

/**
 * Frozen by `freeze_workqueues_begin` until `thaw_workqueues`.
 *
 * @since 0.1.0
 * @category constants
 */
export const WQ_FREEZABLE: number = Flags.WQ_FREEZABLE

/**
 * Guaranteed forward progress under memory pressure (a rescuer).
 *
 * @since 0.1.0
 * @category constants
 */
export const WQ_MEM_RECLAIM: number = Flags.WQ_MEM_RECLAIM

/**
 * Use the CPUs' high-priority pools.
 *
 * @since 0.1.0
 * @category constants
 */
export const WQ_HIGHPRI: number = Flags.WQ_HIGHPRI

/**
 * Running items do not count toward the pool's concurrency level.
 *
 * @since 0.1.0
 * @category constants
 */
export const WQ_CPU_INTENSIVE: number = Flags.WQ_CPU_INTENSIVE

/**
 * Visible in the workqueue registry (kernel: sysfs). Not for ordered
 * workqueues.
 *
 * @since 0.1.0
 * @category constants
 */
export const WQ_SYSFS: number = Flags.WQ_SYSFS

/**
 * Per-cpu, unless the pools' `powerEfficient` option is on (kernel
 * `workqueue.power_efficient`), which makes it unbound.
 *
 * @since 0.1.0
 * @category constants
 */
export const WQ_POWER_EFFICIENT: number = Flags.WQ_POWER_EFFICIENT

/**
 * Explicitly per-cpu, the complement of `WQ_UNBOUND` (newest kernels). A
 * workqueue with neither gets it.
 *
 * @since 0.1.0
 * @category constants
 */
export const WQ_PERCPU: number = Flags.WQ_PERCPU

/**
 * The largest `max_active` (kernel `WQ_MAX_ACTIVE`, current kernels: 2048).
 *
 * @since 0.1.0
 * @category constants
 */
export const WQ_MAX_ACTIVE: number = Workqueue.WQ_MAX_ACTIVE

/**
 * The largest `max_active` of an unbound workqueue (= `WQ_MAX_ACTIVE`).
 *
 * @since 0.1.0
 * @category constants
 */
export const WQ_UNBOUND_MAX_ACTIVE: number = Workqueue.WQ_UNBOUND_MAX_ACTIVE

/**
 * The `max_active` that `alloc_workqueue(name, flags, 0)` gets
 * (`WQ_MAX_ACTIVE / 2` = 1024).
 *
 * @since 0.1.0
 * @category constants
 */
export const WQ_DFL_ACTIVE: number = Workqueue.WQ_DFL_ACTIVE

/**
 * The per-node floor of an unbound workqueue's `max_active` (8).
 *
 * @since 0.1.0
 * @category constants
 */
export const WQ_DFL_MIN_ACTIVE: number = Workqueue.WQ_DFL_MIN_ACTIVE

/**
 * `work_busy` bit: the item is pending (queued, or its timer is armed).
 *
 * @since 0.1.0
 * @category constants
 */
export const WORK_BUSY_PENDING: number = 1 << 0

/**
 * `work_busy` bit: a worker of the item's last pool is running it.
 *
 * @since 0.1.0
 * @category constants
 */
export const WORK_BUSY_RUNNING: number = 1 << 1

/**
 * Ticks per second. Delays here are milliseconds, so a jiffy is 1 ms and
 * `HZ` is 1000: `schedule_delayed_work(dwork, HZ)` waits one second, as in
 * the kernel. (Kernel `HZ` is a build option, commonly 100 to 1000.)
 *
 * @since 0.1.0
 * @category constants
 */
export const HZ: number = 1000

// -----------------------------------------------------------------------------
// Work items (INIT_WORK, INIT_DELAYED_WORK)
// -----------------------------------------------------------------------------

/**
 * A delay: milliseconds of Effect's `Clock` (jiffies at `HZ` = 1000), or a
 * `Duration` (any `Duration.DurationInput`).
 *
 * @since 0.1.0
 * @category models
 */
export type Delay = Duration.DurationInput

/**
 * Make a work item that runs `effect` (kernel `INIT_WORK(&work, func)`;
 * `DECLARE_WORK` is the same). The item's identity is the returned value:
 * queue that value, not a new one. Inside `effect`, `current_work()` returns
 * it (the kernel passes it as the callback's argument). Failures of `effect`
 * are contained and reported by the pools, never propagated.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { Kernel } from "@cmwq/core"
 *
 * const binder_deferred_work = Kernel.INIT_WORK(Effect.log("deferred"), "binder_deferred_work")
 * const program = Kernel.schedule_work(binder_deferred_work)
 * ```
 *
 * @since 0.1.0
 * @category constructors
 */
export const INIT_WORK = <E>(effect: Effect.Effect<unknown, E>, name?: string): Work.Work => Work.make(effect, { name })

/**
 * Make a delayed work item that runs `effect` (kernel `INIT_DELAYED_WORK`;
 * `DECLARE_DELAYED_WORK` is the same). Its timer runs on Effect's `Clock`.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { Kernel } from "@cmwq/core"
 *
 * const refill = Kernel.INIT_DELAYED_WORK(Effect.log("refill"), "cvm_oct_rx_refill_work")
 * const program = Kernel.schedule_delayed_work(refill, Kernel.HZ)
 * ```
 *
 * @since 0.1.0
 * @category constructors
 */
export const INIT_DELAYED_WORK = <E>(effect: Effect.Effect<unknown, E>, name?: string): DelayedWork.DelayedWork =>
  DelayedWork.make(effect, { name })

// -----------------------------------------------------------------------------
// Creating and destroying workqueues
// -----------------------------------------------------------------------------

/**
 * Allocate a workqueue (kernel `alloc_workqueue(name, flags, max_active)`),
 * scoped: closing the scope destroys it (`destroy_workqueue`).
 *
 * - `flags`: `WQ_*` bits combined with `|`; any other bit fails with
 *   `InvalidFlags` naming it, as do the combinations the kernel refuses
 *   (`WQ_BH` with anything but `WQ_HIGHPRI`/`WQ_PERCPU`, `WQ_UNBOUND` with
 *   `WQ_PERCPU`; the kernel WARNs and drops `WQ_PERCPU` for the latter);
 * - `max_active`: 0 means `WQ_DFL_ACTIVE`; otherwise 1..`WQ_MAX_ACTIVE`,
 *   per CPU for per-cpu workqueues, for the whole workqueue when unbound. A
 *   negative, fractional or too large value fails with `InvalidMaxActive`
 *   (the kernel clamps it with a warning). `WQ_BH` workqueues must pass 0;
 * - `WQ_POWER_EFFICIENT` workqueues are per-cpu unless the pools were built
 *   with `powerEfficient: true`.
 *
 * Return: the workqueue (the kernel returns NULL on failure; here the typed
 * error says why). CONTEXT: needs the pools and a `Scope`.
 *
 * @example
 * ```ts
 * import { Kernel } from "@cmwq/core"
 *
 * // drivers/gpu/drm/radeon/radeon_display.c
 * const flip_queue = Kernel.alloc_workqueue("radeon-crtc", Kernel.WQ_HIGHPRI, 0)
 * ```
 *
 * @since 0.1.0
 * @category constructors
 */
export const alloc_workqueue = (
  name: string,
  flags: number,
  max_active: number
): Effect.Effect<
  Workqueue.Workqueue,
  InvalidMaxActive | InvalidFlags | InvalidOperation,
  WorkerPool.WorkerPools | Scope.Scope
> =>
  Effect.flatMap(
    Flags.decodeFlags(name, flags, "alloc_workqueue"),
    (names) => Workqueue.alloc(name, { flags: names, maxActive: max_active })
  )

/**
 * Allocate an ordered workqueue (kernel `alloc_ordered_workqueue(name,
 * flags)` = `WQ_UNBOUND | __WQ_ORDERED | flags`, `max_active` 1): one item
 * at a time, in queue order. Only `WQ_FREEZABLE` and `WQ_MEM_RECLAIM` are
 * meaningful in `flags`; `WQ_PERCPU` (the complement of the implied
 * `WQ_UNBOUND`), `WQ_BH` and `WQ_SYSFS` fail with `InvalidFlags`. Scoped, like
 * `alloc_workqueue`.
 *
 * @example
 * ```ts
 * import { Kernel } from "@cmwq/core"
 *
 * // drivers/net/caif/caif_hsi.c
 * const wq = Kernel.alloc_ordered_workqueue("cfhsi0", Kernel.WQ_MEM_RECLAIM)
 * ```
 *
 * @since 0.1.0
 * @category constructors
 */
export const alloc_ordered_workqueue = (
  name: string,
  flags: number
): Effect.Effect<
  Workqueue.Workqueue,
  InvalidMaxActive | InvalidFlags,
  WorkerPool.WorkerPools | Scope.Scope
> =>
  Effect.flatMap(
    Flags.decodeFlags(name, flags, "alloc_ordered_workqueue"),
    (names) => Workqueue.allocOrdered(name, { flags: names })
  )

/**
 * Legacy `create_workqueue(name)`: `alloc_workqueue(name, __WQ_LEGACY |
 * WQ_MEM_RECLAIM, 1)`, per-cpu (newest kernels add `WQ_PERCPU`, as the
 * library does for every workqueue that is not unbound). `__WQ_LEGACY`
 * exempts its items from the flush-dependency warning. Scoped.
 *
 * Its arguments are fixed and valid, so it cannot fail.
 *
 * @since 0.1.0
 * @category constructors
 */
export const create_workqueue = (
  name: string
): Effect.Effect<Workqueue.Workqueue, never, WorkerPool.WorkerPools | Scope.Scope> =>
  Effect.orDie(Workqueue.allocLegacy(name, ["MEM_RECLAIM"], 1, false))

/**
 * Legacy `create_singlethread_workqueue(name)`:
 * `alloc_ordered_workqueue(name, __WQ_LEGACY | WQ_MEM_RECLAIM)`. Scoped;
 * cannot fail.
 *
 * @since 0.1.0
 * @category constructors
 */
export const create_singlethread_workqueue = (
  name: string
): Effect.Effect<Workqueue.Workqueue, never, WorkerPool.WorkerPools | Scope.Scope> =>
  Effect.orDie(Workqueue.allocLegacy(name, ["MEM_RECLAIM"], 0, true))

/**
 * Legacy `create_freezable_workqueue(name)`: `alloc_workqueue(name,
 * __WQ_LEGACY | WQ_FREEZABLE | WQ_UNBOUND | WQ_MEM_RECLAIM, 1)`. Not
 * ordered: current kernels no longer make unbound workqueues with
 * `max_active` 1 implicitly ordered. Scoped; cannot fail.
 *
 * @since 0.1.0
 * @category constructors
 */
export const create_freezable_workqueue = (
  name: string
): Effect.Effect<Workqueue.Workqueue, never, WorkerPool.WorkerPools | Scope.Scope> =>
  Effect.orDie(Workqueue.allocLegacy(name, ["FREEZABLE", "UNBOUND", "MEM_RECLAIM"], 1, false))

/**
 * Destroy `wq` now (kernel `destroy_workqueue`): drain it (chained queueing
 * included), then release it. Later queue attempts fail with
 * `WorkqueueDestroyed`; destroying twice, or closing the scope afterwards,
 * is a no-op. Delayed items whose timer has not fired are not waited for:
 * cancel them first, as the kernel documents.
 *
 * CONTEXT: may suspend. Fails with `FlushDeadlock` when called from one of
 * `wq`'s own items.
 *
 * @since 0.1.0
 * @category combinators
 */
export const destroy_workqueue = (wq: Workqueue.Workqueue): Effect.Effect<void, FlushDeadlock> => Workqueue.destroy(wq)

// -----------------------------------------------------------------------------
// Queueing
// -----------------------------------------------------------------------------

/**
 * Queue `work` on `wq`, on the current CPU (kernel `queue_work`).
 *
 * Return: `true` if it was queued; `false` if it was already pending or is
 * disabled. Fails with `WorkqueueDestroyed` on a destroyed workqueue, and
 * with `WorkqueueDraining` while `wq` drains, unless called from one of its
 * own items (the kernel WARNs and drops the item in both cases).
 *
 * @since 0.1.0
 * @category combinators
 */
export const queue_work = (
  wq: Workqueue.Workqueue,
  work: Work.Work
): Effect.Effect<boolean, Workqueue.QueueError> => Workqueue.queue(wq, work)

/**
 * Queue `work` on `wq` on logical CPU `cpu` (kernel `queue_work_on`). Return
 * and errors as `queue_work`, plus `InvalidCpu` for a CPU the pools do not
 * have.
 *
 * @since 0.1.0
 * @category combinators
 */
export const queue_work_on = (
  cpu: number,
  wq: Workqueue.Workqueue,
  work: Work.Work
): Effect.Effect<boolean, Workqueue.QueueError | InvalidCpu> => Workqueue.queueOn(wq, cpu, work)

/**
 * Queue `dwork` on `wq` after `delay` (kernel `queue_delayed_work`); a delay
 * of 0 queues it at once.
 *
 * Return: `true` if it was queued; `false` (leaving its timer alone) if it
 * was already pending or is disabled. Errors as `queue_work`, plus
 * `InvalidDelay` for a negative or non-finite delay.
 *
 * @since 0.1.0
 * @category combinators
 */
export const queue_delayed_work = (
  wq: Workqueue.Workqueue,
  dwork: DelayedWork.DelayedWork,
  delay: Delay
): Effect.Effect<boolean, Workqueue.QueueError | InvalidDelay> => Workqueue.queueDelayed(wq, dwork, delay)

/**
 * `queue_delayed_work` on logical CPU `cpu` (kernel `queue_delayed_work_on`).
 *
 * @since 0.1.0
 * @category combinators
 */
export const queue_delayed_work_on = (
  cpu: number,
  wq: Workqueue.Workqueue,
  dwork: DelayedWork.DelayedWork,
  delay: Delay
): Effect.Effect<boolean, Workqueue.QueueError | InvalidDelay | InvalidCpu> =>
  Workqueue.queueDelayedOn(wq, cpu, dwork, delay)

/**
 * Queue `dwork` after `delay` whatever its state (kernel
 * `mod_delayed_work`): a pending item gets the new deadline now + `delay`; a
 * delay of 0 queues it at once.
 *
 * Return: `true` if it was pending, `false` if it was idle. A disabled item
 * stays disabled and unqueued. Errors as `queue_delayed_work`.
 *
 * @since 0.1.0
 * @category combinators
 */
export const mod_delayed_work = (
  wq: Workqueue.Workqueue,
  dwork: DelayedWork.DelayedWork,
  delay: Delay
): Effect.Effect<boolean, Workqueue.QueueError | InvalidDelay> => Workqueue.modDelayed(wq, dwork, delay)

/**
 * `mod_delayed_work` on logical CPU `cpu` (kernel `mod_delayed_work_on`).
 *
 * @since 0.1.0
 * @category combinators
 */
export const mod_delayed_work_on = (
  cpu: number,
  wq: Workqueue.Workqueue,
  dwork: DelayedWork.DelayedWork,
  delay: Delay
): Effect.Effect<boolean, Workqueue.QueueError | InvalidDelay | InvalidCpu> =>
  Workqueue.modDelayedOn(wq, cpu, dwork, delay)

/**
 * `queue_work(system_wq, work)` (kernel `schedule_work`; newest kernels use
 * `system_percpu_wq`, the same workqueue here).
 *
 * @since 0.1.0
 * @category combinators
 */
export const schedule_work = (
  work: Work.Work
): Effect.Effect<boolean, Workqueue.QueueError, SystemWorkqueues.SystemWorkqueues> => SystemWorkqueues.schedule(work)

/**
 * `queue_work_on(cpu, system_wq, work)` (kernel `schedule_work_on`).
 *
 * @since 0.1.0
 * @category combinators
 */
export const schedule_work_on = (
  cpu: number,
  work: Work.Work
): Effect.Effect<boolean, Workqueue.QueueError | InvalidCpu, SystemWorkqueues.SystemWorkqueues> =>
  SystemWorkqueues.scheduleOn(cpu, work)

/**
 * `queue_delayed_work(system_wq, dwork, delay)` (kernel
 * `schedule_delayed_work`).
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { Kernel } from "@cmwq/core"
 *
 * // drivers/staging/octeon/ethernet.c
 * const refill = Kernel.INIT_DELAYED_WORK(Effect.log("refill"))
 * const start = Kernel.schedule_delayed_work(refill, Kernel.HZ)
 * const stop = Kernel.cancel_delayed_work_sync(refill)
 * ```
 *
 * @since 0.1.0
 * @category combinators
 */
export const schedule_delayed_work = (
  dwork: DelayedWork.DelayedWork,
  delay: Delay
): Effect.Effect<boolean, Workqueue.QueueError | InvalidDelay, SystemWorkqueues.SystemWorkqueues> =>
  SystemWorkqueues.scheduleDelayed(dwork, delay)

/**
 * `queue_delayed_work_on(cpu, system_wq, dwork, delay)` (kernel
 * `schedule_delayed_work_on`).
 *
 * @since 0.1.0
 * @category combinators
 */
export const schedule_delayed_work_on = (
  cpu: number,
  dwork: DelayedWork.DelayedWork,
  delay: Delay
): Effect.Effect<
  boolean,
  Workqueue.QueueError | InvalidDelay | InvalidCpu,
  SystemWorkqueues.SystemWorkqueues
> =>
  Effect.flatMap(
    SystemWorkqueues.SystemWorkqueues,
    (system) => Workqueue.queueDelayedOn(system.system_wq, cpu, dwork, delay)
  )

/**
 * Enable `work` (as `enable_work`) and, if its disable depth reached 0,
 * queue it on `wq` (kernel `enable_and_queue_work`).
 *
 * Return: `true` if the depth reached 0 (the item was queued, or was already
 * pending), `false` if it is still disabled. Errors as `queue_work`.
 *
 * @since 0.1.0
 * @category combinators
 */
export const enable_and_queue_work = (
  wq: Workqueue.Workqueue,
  work: Work.Work
): Effect.Effect<boolean, Workqueue.QueueError> =>
  Effect.flatMap(
    Work.enable(work),
    (enabled): Effect.Effect<boolean, Workqueue.QueueError> =>
      enabled ? Effect.as(Workqueue.queue(wq, work), true) : Effect.succeed(false)
  )

// -----------------------------------------------------------------------------
// Flushing and draining
// -----------------------------------------------------------------------------

/**
 * Wait for the last queueing of `work` to finish (kernel `flush_work`).
 * Never waits for unrelated items. A delayed item whose timer is armed is
 * not waited for: use `flush_delayed_work`.
 *
 * Return: `true` if it waited, `false` if the item was idle. CONTEXT: may
 * suspend. Fails with `FlushDeadlock` when the wait could never end (an item
 * flushing itself).
 *
 * @since 0.1.0
 * @category combinators
 */
export const flush_work = (work: Work.Work): Effect.Effect<boolean, FlushDeadlock> => Work.flush(work)

/**
 * If `dwork`'s timer is armed, queue it now; then `flush_work` (kernel
 * `flush_delayed_work`).
 *
 * Return: `true` if it waited, `false` if the item was idle. Fails with
 * `WorkqueueDestroyed`/`WorkqueueDraining` when its workqueue no longer
 * accepts it, and with `FlushDeadlock` as `flush_work`.
 *
 * @since 0.1.0
 * @category combinators
 */
export const flush_delayed_work = (
  dwork: DelayedWork.DelayedWork
): Effect.Effect<boolean, FlushDeadlock | WorkqueueDestroyed | WorkqueueDraining> => DelayedWork.flush(dwork)

/**
 * Wait until every item queued on `wq` before the call has finished (kernel
 * `flush_workqueue`); items queued afterwards are not waited for. Compare
 * `drain_workqueue` (until empty, chained requeues included) and
 * `flush_work` (one item).
 *
 * CONTEXT: may suspend. Fails with `FlushDeadlock` when called from one of
 * the items it would wait for.
 *
 * @since 0.1.0
 * @category combinators
 */
export const flush_workqueue = (wq: Workqueue.Workqueue): Effect.Effect<void, FlushDeadlock> => Workqueue.flush(wq)

/**
 * Flush `system_wq` (kernel `flush_scheduled_work`).
 *
 * @deprecated The kernel deprecates it (it waits for everybody's items);
 * `flush_work` your own items instead.
 * @since 0.1.0
 * @category combinators
 */
export const flush_scheduled_work = (): Effect.Effect<void, FlushDeadlock, SystemWorkqueues.SystemWorkqueues> =>
  SystemWorkqueues.flushScheduled

/**
 * Flush `wq` until it is empty, including items its own items queue
 * meanwhile (kernel `drain_workqueue`). While it drains, queueing from
 * outside its items fails with `WorkqueueDraining`.
 *
 * CONTEXT: may suspend. Fails with `FlushDeadlock` as `flush_workqueue`.
 *
 * @since 0.1.0
 * @category combinators
 */
export const drain_workqueue = (wq: Workqueue.Workqueue): Effect.Effect<void, FlushDeadlock> => Workqueue.drain(wq)

// -----------------------------------------------------------------------------
// Cancelling, disabling, enabling
// -----------------------------------------------------------------------------

/**
 * Remove a pending instance of `work`; a running one is not waited for
 * (kernel `cancel_work`). Return: `true` if it was pending.
 *
 * @since 0.1.0
 * @category combinators
 */
export const cancel_work = (work: Work.Work): Effect.Effect<boolean> => Work.cancel(work)

/**
 * Cancel `work` and wait for a running instance (kernel `cancel_work_sync`);
 * works even if the item requeues itself. Return: `true` if it was pending.
 * CONTEXT: may suspend. Fails with `FlushDeadlock` when called from the item
 * itself.
 *
 * @since 0.1.0
 * @category combinators
 */
export const cancel_work_sync = (work: Work.Work): Effect.Effect<boolean, FlushDeadlock> => Work.cancelSync(work)

/**
 * Stop `dwork`'s timer, or remove it from its queue (kernel
 * `cancel_delayed_work`). Its callback may still be running. Return: `true`
 * if it was pending.
 *
 * @since 0.1.0
 * @category combinators
 */
export const cancel_delayed_work = (dwork: DelayedWork.DelayedWork): Effect.Effect<boolean> => Work.cancel(dwork)

/**
 * `cancel_delayed_work`, then wait for a running instance (kernel
 * `cancel_delayed_work_sync`). Return: `true` if it was pending.
 *
 * @since 0.1.0
 * @category combinators
 */
export const cancel_delayed_work_sync = (dwork: DelayedWork.DelayedWork): Effect.Effect<boolean, FlushDeadlock> =>
  Work.cancelSync(dwork)

/**
 * Add one to `work`'s disable depth and cancel a pending instance (kernel
 * `disable_work`). While the depth is above 0 every queue attempt returns
 * `false`. Return: `true` if it was pending.
 *
 * @since 0.1.0
 * @category combinators
 */
export const disable_work = (work: Work.Work): Effect.Effect<boolean> => Work.disable(work)

/**
 * `disable_work`, then wait for a running instance (kernel
 * `disable_work_sync`). Return: `true` if it was pending.
 *
 * @since 0.1.0
 * @category combinators
 */
export const disable_work_sync = (work: Work.Work): Effect.Effect<boolean, FlushDeadlock> => Work.disableSync(work)

/**
 * Take one off `work`'s disable depth (kernel `enable_work`). Return: `true`
 * if the depth is now 0. An extra enable keeps it at 0, returns `true` and
 * logs a warning, as the kernel WARNs (the kernel would also cancel a pending
 * instance on the way; the library leaves it queued).
 *
 * @since 0.1.0
 * @category combinators
 */
export const enable_work = (work: Work.Work): Effect.Effect<boolean> => Work.enable(work)

/**
 * `disable_work` for a delayed item (kernel `disable_delayed_work`); also
 * stops its timer.
 *
 * @since 0.1.0
 * @category combinators
 */
export const disable_delayed_work = (dwork: DelayedWork.DelayedWork): Effect.Effect<boolean> => Work.disable(dwork)

/**
 * `disable_work_sync` for a delayed item (kernel `disable_delayed_work_sync`).
 *
 * @since 0.1.0
 * @category combinators
 */
export const disable_delayed_work_sync = (dwork: DelayedWork.DelayedWork): Effect.Effect<boolean, FlushDeadlock> =>
  Work.disableSync(dwork)

/**
 * `enable_work` for a delayed item (kernel `enable_delayed_work`).
 *
 * @since 0.1.0
 * @category combinators
 */
export const enable_delayed_work = (dwork: DelayedWork.DelayedWork): Effect.Effect<boolean> => Work.enable(dwork)

// -----------------------------------------------------------------------------
// Introspection and tuning
// -----------------------------------------------------------------------------

/**
 * Is `work` pending (queued, or its timer armed)? Kernel `work_pending`.
 *
 * @since 0.1.0
 * @category getters
 */
export const work_pending = (work: Work.Work): Effect.Effect<boolean> => Work.pending(work)

/**
 * Is `dwork` pending (its timer armed, or queued)? Kernel
 * `delayed_work_pending`.
 *
 * @since 0.1.0
 * @category getters
 */
export const delayed_work_pending = (dwork: DelayedWork.DelayedWork): Effect.Effect<boolean> => Work.pending(dwork)

/**
 * Advisory snapshot of `work` (kernel `work_busy`): `WORK_BUSY_PENDING` if it
 * is pending, `WORK_BUSY_RUNNING` if a worker of its last pool is running it,
 * both, or 0.
 *
 * @since 0.1.0
 * @category getters
 */
export const work_busy = (work: Work.Work): Effect.Effect<number> =>
  Effect.map(
    Work.busy(work),
    (busy) => (busy.pending ? WORK_BUSY_PENDING : 0) | (busy.running ? WORK_BUSY_RUNNING : 0)
  )

/**
 * The work item the current fiber is running as a worker, or `null` outside
 * workers (kernel `current_work`). Fibers an item forks are not workers.
 *
 * @since 0.1.0
 * @category getters
 */
export const current_work = (): Effect.Effect<Work.Work | null> => Effect.map(Work.current, Option.getOrNull)

/**
 * Change `wq`'s `max_active` (kernel `workqueue_set_max_active`). Raising it
 * starts waiting items at once, in queue order; lowering it never stops
 * running items.
 *
 * Differences from the kernel, each a typed error where the kernel WARNs:
 * - on an ordered or BH workqueue the kernel WARNs and does nothing; here it
 *   fails with `InvalidOperation` (and changes nothing);
 * - the kernel clamps `max_active` into 1..`WQ_MAX_ACTIVE` with a warning;
 *   here 0, negative, fractional or too large values fail with
 *   `InvalidMaxActive`. (Only `alloc_workqueue` reads 0 as the default.)
 *
 * @since 0.1.0
 * @category combinators
 */
export const workqueue_set_max_active = (
  wq: Workqueue.Workqueue,
  max_active: number
): Effect.Effect<void, InvalidMaxActive | InvalidOperation> => Workqueue.setMaxActive(wq, max_active)

/**
 * Change the per-node floor of an unbound workqueue's `max_active` (kernel
 * `workqueue_set_min_active`), clamped to 0..`max_active`. Fails with
 * `InvalidOperation` on per-cpu and ordered workqueues (the kernel WARNs).
 *
 * @since 0.1.0
 * @category combinators
 */
export const workqueue_set_min_active = (
  wq: Workqueue.Workqueue,
  min_active: number
): Effect.Effect<void, InvalidMaxActive | InvalidOperation> => Workqueue.setMinActive(wq, min_active)

// -----------------------------------------------------------------------------
// Freezer
// -----------------------------------------------------------------------------

/**
 * Start freezing (kernel `freeze_workqueues_begin`): `WQ_FREEZABLE`
 * workqueues start nothing new until `thaw_workqueues`; running items
 * finish. Idempotent.
 *
 * @since 0.1.0
 * @category combinators
 */
export const freeze_workqueues_begin = (): Effect.Effect<void, never, WorkerPool.WorkerPools> => Freezer.freeze

/**
 * Is a freezable workqueue still running an item (kernel
 * `freeze_workqueues_busy`)? Poll it until `false` to wait for the freeze to
 * settle.
 *
 * @since 0.1.0
 * @category getters
 */
export const freeze_workqueues_busy = (): Effect.Effect<boolean, never, WorkerPool.WorkerPools> => Freezer.isBusy

/**
 * Thaw (kernel `thaw_workqueues`): restore the limits and start what was
 * held back, in order. Idempotent.
 *
 * @since 0.1.0
 * @category combinators
 */
export const thaw_workqueues = (): Effect.Effect<void, never, WorkerPool.WorkerPools> => Freezer.thaw

// -----------------------------------------------------------------------------
// System workqueues
// -----------------------------------------------------------------------------

const system = (
  key: keyof SystemWorkqueues.SystemWorkqueues
): Effect.Effect<Workqueue.Workqueue, never, SystemWorkqueues.SystemWorkqueues> =>
  Effect.map(SystemWorkqueues.SystemWorkqueues, (s) => s[key])

/**
 * `events`: per-cpu, `WQ_DFL_ACTIVE` (kernel `system_wq`; what
 * `schedule_work` uses).
 *
 * @since 0.1.0
 * @category getters
 */
export const system_wq: Effect.Effect<Workqueue.Workqueue, never, SystemWorkqueues.SystemWorkqueues> = system(
  "system_wq"
)

/**
 * `system_wq` under its 6.17+ name (kernel `system_percpu_wq`).
 *
 * @since 0.1.0
 * @category getters
 */
export const system_percpu_wq: Effect.Effect<Workqueue.Workqueue, never, SystemWorkqueues.SystemWorkqueues> = system(
  "system_percpu_wq"
)

/**
 * `events_highpri`: the CPUs' high-priority pools (kernel
 * `system_highpri_wq`).
 *
 * @since 0.1.0
 * @category getters
 */
export const system_highpri_wq: Effect.Effect<Workqueue.Workqueue, never, SystemWorkqueues.SystemWorkqueues> = system(
  "system_highpri_wq"
)

/**
 * `events_long`: per-cpu, for items that may run long (kernel
 * `system_long_wq`).
 *
 * @since 0.1.0
 * @category getters
 */
export const system_long_wq: Effect.Effect<Workqueue.Workqueue, never, SystemWorkqueues.SystemWorkqueues> = system(
  "system_long_wq"
)

/**
 * `events_unbound`: unbound, `WQ_MAX_ACTIVE` (kernel `system_unbound_wq`).
 *
 * @since 0.1.0
 * @category getters
 */
export const system_unbound_wq: Effect.Effect<Workqueue.Workqueue, never, SystemWorkqueues.SystemWorkqueues> = system(
  "system_unbound_wq"
)

/**
 * `system_unbound_wq` under its 6.17+ name (kernel `system_dfl_wq`).
 *
 * @since 0.1.0
 * @category getters
 */
export const system_dfl_wq: Effect.Effect<Workqueue.Workqueue, never, SystemWorkqueues.SystemWorkqueues> = system(
  "system_dfl_wq"
)

/**
 * `events_freezable`: per-cpu, `WQ_FREEZABLE` (kernel `system_freezable_wq`).
 *
 * @since 0.1.0
 * @category getters
 */
export const system_freezable_wq: Effect.Effect<Workqueue.Workqueue, never, SystemWorkqueues.SystemWorkqueues> = system(
  "system_freezable_wq"
)

/**
 * `events_power_efficient`: `WQ_POWER_EFFICIENT` (kernel
 * `system_power_efficient_wq`).
 *
 * @since 0.1.0
 * @category getters
 */
export const system_power_efficient_wq: Effect.Effect<
  Workqueue.Workqueue,
  never,
  SystemWorkqueues.SystemWorkqueues
> = system("system_power_efficient_wq")

/**
 * `events_freezable_pwr_efficient`: `WQ_FREEZABLE | WQ_POWER_EFFICIENT`
 * (kernel `system_freezable_power_efficient_wq`).
 *
 * @since 0.1.0
 * @category getters
 */
export const system_freezable_power_efficient_wq: Effect.Effect<
  Workqueue.Workqueue,
  never,
  SystemWorkqueues.SystemWorkqueues
> = system("system_freezable_power_efficient_wq")

/**
 * `events_bh`: the CPUs' BH pools; items run synchronously and must not
 * block (kernel `system_bh_wq`).
 *
 * @since 0.1.0
 * @category getters
 */
export const system_bh_wq: Effect.Effect<Workqueue.Workqueue, never, SystemWorkqueues.SystemWorkqueues> = system(
  "system_bh_wq"
)

/**
 * `events_bh_highpri`: the CPUs' high-priority BH pools (kernel
 * `system_bh_highpri_wq`).
 *
 * @since 0.1.0
 * @category getters
 */
export const system_bh_highpri_wq: Effect.Effect<Workqueue.Workqueue, never, SystemWorkqueues.SystemWorkqueues> =
  system("system_bh_highpri_wq")
