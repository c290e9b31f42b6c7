/**
 * The kernel's system workqueues (created in `workqueue_init_early`), as one
 * Layer: an Effect app that provides `SystemWorkqueues.layer` gets `events`,
 * `events_highpri`, `events_long`, `events_unbound`, `events_freezable`,
 * `events_power_efficient`, `events_freezable_pwr_efficient`, `events_bh`
 * and `events_bh_highpri` (plus the
 * newer names `system_percpu_wq` and `system_dfl_wq`, which are the same
 * workqueues as `system_wq` and `system_unbound_wq`), and `schedule` queues
 * on `system_wq` as the kernel's `schedule_work` does.
 *
 * Use them for items that need no flush group, no forward-progress guarantee
 * and no special attribute (the kernel's guideline 4); anything that may
 * queue more than `maxActive` items at once deserves its own workqueue.
 *
 * See docs/concepts/workqueues-and-work.md.
 *
 * @since 0.1.0
 */
import * as Context from "effect/Context"
import type * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import type * as Scope from "effect/Scope"
import type { DelayedWork } from "./DelayedWork.js"
import type { Work } from "./Work.js"
import type { WorkerPools } from "./WorkerPool.js"
import * as Workqueue from "./Workqueue.js"
import type { FlushDeadlock, InvalidCpu, InvalidDelay } from "./WorkqueueError.js"

/**
 * The system workqueues, by their kernel variable names.
 *
 * @since 0.1.0
 * @category models
 */
export interface SystemWorkqueues {
  /** `events`: per-cpu, default max_active (kernel `system_wq`) */
  readonly system_wq: Workqueue.Workqueue
  /** the same workqueue under its 6.17+ name */
  readonly system_percpu_wq: Workqueue.Workqueue
  /** `events_highpri`: the CPUs' high-priority pools */
  readonly system_highpri_wq: Workqueue.Workqueue
  /** `events_long`: per-cpu, for items that may run long */
  readonly system_long_wq: Workqueue.Workqueue
  /** `events_unbound`: unbound, max_active WQ_MAX_ACTIVE (kernel `system_unbound_wq`) */
  readonly system_unbound_wq: Workqueue.Workqueue
  /** the same workqueue under its 6.17+ name */
  readonly system_dfl_wq: Workqueue.Workqueue
  /** `events_freezable`: stopped by `Freezer.freeze` */
  readonly system_freezable_wq: Workqueue.Workqueue
  /** `events_power_efficient`: per-cpu unless the pools' `powerEfficient` is on */
  readonly system_power_efficient_wq: Workqueue.Workqueue
  /** `events_freezable_pwr_efficient` */
  readonly system_freezable_power_efficient_wq: Workqueue.Workqueue
  /** `events_bh`: the CPUs' BH pools (items run synchronously, must not block) */
  readonly system_bh_wq: Workqueue.Workqueue
  /** `events_bh_highpri`: the CPUs' high-priority BH pools */
  readonly system_bh_highpri_wq: Workqueue.Workqueue
}

/**
 * The service tag.
 *
 * @since 0.1.0
 * @category tags
 */
export const SystemWorkqueues: Context.Tag<SystemWorkqueues, SystemWorkqueues> = Context.GenericTag<
  SystemWorkqueues
>("@cmwq/core/SystemWorkqueues")

/**
 * Allocate the system workqueues on the pools (scoped: closing the scope
 * drains and destroys them).
 *
 * @since 0.1.0
 * @category constructors
 */
export const make: Effect.Effect<SystemWorkqueues, never, WorkerPools | Scope.Scope> = Effect.gen(
  function*() {
    const events = yield* Workqueue.alloc("events", { flags: ["PERCPU"] })
    const unbound = yield* Workqueue.alloc("events_unbound", {
      flags: ["UNBOUND"],
      maxActive: Workqueue.WQ_MAX_ACTIVE
    })
    return {
      system_wq: events,
      system_percpu_wq: events,
      system_highpri_wq: yield* Workqueue.alloc("events_highpri", { flags: ["HIGHPRI", "PERCPU"] }),
      system_long_wq: yield* Workqueue.alloc("events_long", { flags: ["PERCPU"] }),
      system_unbound_wq: unbound,
      system_dfl_wq: unbound,
      system_freezable_wq: yield* Workqueue.alloc("events_freezable", { flags: ["FREEZABLE", "PERCPU"] }),
      system_power_efficient_wq: yield* Workqueue.alloc("events_power_efficient", {
        flags: ["POWER_EFFICIENT", "PERCPU"]
      }),
      system_freezable_power_efficient_wq: yield* Workqueue.alloc("events_freezable_pwr_efficient", {
        flags: ["FREEZABLE", "POWER_EFFICIENT", "PERCPU"]
      }),
      system_bh_wq: yield* Workqueue.alloc("events_bh", { flags: ["BH", "PERCPU"] }),
      system_bh_highpri_wq: yield* Workqueue.alloc("events_bh_highpri", { flags: ["BH", "HIGHPRI", "PERCPU"] })
    }
  }
).pipe(Effect.orDie)

/**
 * The system workqueues as a layer (needs `WorkerPool.layer`).
 *
 * @example
 * ```ts
 * import { Effect, Layer } from "effect"
 * import { SystemWorkqueues, Work, WorkerPool } from "@cmwq/core"
 *
 * const Live = SystemWorkqueues.layer.pipe(Layer.provideMerge(WorkerPool.layer()))
 * const program = SystemWorkqueues.schedule(Work.make(Effect.log("deferred")))
 * Effect.runPromise(program.pipe(Effect.provide(Live)))
 * ```
 *
 * @since 0.1.0
 * @category layers
 */
export const layer: Layer.Layer<SystemWorkqueues, never, WorkerPools> = Layer.scoped(SystemWorkqueues, make)

/**
 * Queue `work` on `system_wq`, on the current CPU (kernel `schedule_work`).
 *
 * @since 0.1.0
 * @category combinators
 */
export const schedule = (
  work: Work
): Effect.Effect<boolean, Workqueue.QueueError, SystemWorkqueues> =>
  Effect.flatMap(SystemWorkqueues, (system) => Workqueue.queue(system.system_wq, work))

/**
 * Queue `work` on `system_wq` on CPU `cpu` (kernel `schedule_work_on`).
 *
 * @since 0.1.0
 * @category combinators
 */
export const scheduleOn = (
  cpu: number,
  work: Work
): Effect.Effect<boolean, Workqueue.QueueError | InvalidCpu, SystemWorkqueues> =>
  Effect.flatMap(SystemWorkqueues, (system) => Workqueue.queueOn(system.system_wq, cpu, work))

/**
 * Queue `dwork` on `system_wq` after `delay` (kernel `schedule_delayed_work`).
 *
 * @since 0.1.0
 * @category combinators
 */
export const scheduleDelayed = (
  dwork: DelayedWork,
  delay: Duration.DurationInput
): Effect.Effect<boolean, Workqueue.QueueError | InvalidDelay, SystemWorkqueues> =>
  Effect.flatMap(SystemWorkqueues, (system) => Workqueue.queueDelayed(system.system_wq, dwork, delay))

/**
 * Flush `system_wq` (kernel `flush_scheduled_work`, deprecated there because
 * it waits for everybody's items; prefer `Work.flush` of your own items).
 *
 * @since 0.1.0
 * @category combinators
 */
export const flushScheduled: Effect.Effect<void, FlushDeadlock, SystemWorkqueues> = Effect.flatMap(
  SystemWorkqueues,
  (system) => Workqueue.flush(system.system_wq)
)
