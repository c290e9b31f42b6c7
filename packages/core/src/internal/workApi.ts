/**
 * The operations of the public `Work` and `DelayedWork` modules: the
 * item-level entry points into the engine (kernel `work_pending`,
 * `work_busy`, `current_work`, `cancel_work(_sync)`, `disable_work(_sync)`,
 * `enable_work`, `flush_work`, `flush_delayed_work`). Cancel and flush
 * themselves live in `cancel.ts` and `flush.ts`; this module finds the
 * item's pools and picks the cancel flags.
 *
 * @internal
 */
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import { cancelWork, cancelWorkSync, enableWork, flushDelayedWork } from "./cancel.js"
import { workerOf } from "./current.js"
import type * as Errors from "./errors.js"
import * as Flags from "./flags.js"
import { flushWork } from "./flush.js"
import { recordNeverQueuedWait } from "./lockdep.js"
import { findWorkerExecutingWork, type WorkerPoolImpl } from "./pool.js"
import type { PoolsImpl } from "./pools.js"
import type { PoolWorkqueueImpl } from "./pwq.js"
import { DelayedWorkImpl, disableDepthOf, WORK_PENDING, WORK_PWQ, type WorkImpl, workName } from "./work.js"

/** @internal the pools an item was last queued on, or null if never queued */
const poolsOf = (work: WorkImpl): PoolsImpl | null => {
  const link = work.link
  if (link === null) return work instanceof DelayedWorkImpl && work.wq !== null ? work.wq.pools : null
  return link.kind === "pwq" ? (link as PoolWorkqueueImpl).pool.pools : (link as WorkerPoolImpl).pools
}

/** @internal the pool whose workers may be running `work` (its pwq's while queued, else its last) */
const lastPoolOf = (work: WorkImpl): WorkerPoolImpl | null => {
  const link = work.link
  if (link === null) return null
  return (work.data & WORK_PWQ) !== 0 ? (link as PoolWorkqueueImpl).pool : (link as WorkerPoolImpl)
}

/** @internal kernel `work_pending` */
export const isPending = (work: WorkImpl): boolean => (work.data & WORK_PENDING) !== 0

/** @internal kernel `work_busy`: advisory */
export const busy = (work: WorkImpl): Effect.Effect<{ readonly pending: boolean; readonly running: boolean }> =>
  Effect.sync(() => {
    const pool = lastPoolOf(work)
    return { pending: isPending(work), running: pool !== null && findWorkerExecutingWork(pool, work) !== undefined }
  })

/** @internal kernel `current_work` */
export const current: Effect.Effect<Option.Option<WorkImpl>> = Effect.withFiberRuntime((fiber) => {
  const work = workerOf(fiber)?.currentWork ?? null
  return Effect.succeed(work === null ? Option.none() : Option.some(work))
})

/** delayed items also cancel their timer (kernel WORK_CANCEL_DELAYED) */
const cancelFlags = (work: WorkImpl, flags: number): number =>
  work instanceof DelayedWorkImpl ? flags | Flags.WORK_CANCEL_DELAYED : flags

/** @internal kernel `cancel_work` / `cancel_delayed_work` */
export const cancel = (work: WorkImpl): Effect.Effect<boolean> =>
  Effect.sync(() => cancelWork(work, cancelFlags(work, 0)))

/** @internal kernel `disable_work` / `disable_delayed_work` */
export const disable = (work: WorkImpl): Effect.Effect<boolean> =>
  Effect.sync(() => cancelWork(work, cancelFlags(work, Flags.WORK_CANCEL_DISABLE)))

/** @internal kernel `cancel_work_sync` / `disable_work_sync` (PROTOCOLS.md C3) */
export const cancelSync = (work: WorkImpl, disable: boolean): Effect.Effect<boolean, Errors.FlushDeadlock> =>
  Effect.suspend(() => {
    const flags = cancelFlags(work, disable ? Flags.WORK_CANCEL_DISABLE : 0)
    const pools = poolsOf(work)
    // never queued: nothing can be running, so the plain cancel is the whole job
    if (pools === null) {
      recordNeverQueuedWait(work, disable ? "disableSync" : "cancelSync")
      return Effect.sync(() => cancelWork(work, flags))
    }
    return cancelWorkSync(pools, work, flags)
  })

/** @internal the disable depth (0 while queued: a queued item is enabled) */
export const disableDepth = (work: WorkImpl): number => (work.data & WORK_PWQ) !== 0 ? 0 : disableDepthOf(work.data)

/**
 * @internal kernel `enable_work`. An extra enable keeps the depth at 0 and
 * warns, as the kernel WARNs (the kernel would also steal a pending instance;
 * we leave it queued).
 */
export const enable = (work: WorkImpl): Effect.Effect<boolean> =>
  Effect.suspend(() => {
    if (disableDepth(work) === 0) {
      return Effect.as(Effect.logWarning(`workqueue: work disable count underflowed (${workName(work)})`), true)
    }
    return Effect.succeed(enableWork(work))
  })

/** @internal kernel `flush_work` */
export const flush = (work: WorkImpl): Effect.Effect<boolean, Errors.FlushDeadlock> =>
  Effect.suspend(() => {
    const pools = poolsOf(work)
    if (pools !== null) return flushWork(pools, work, false)
    recordNeverQueuedWait(work, "flushWork")
    return Effect.succeed(false)
  })

/** @internal kernel `flush_delayed_work` */
export const flushDelayed = (
  dwork: DelayedWorkImpl
): Effect.Effect<boolean, Errors.FlushDeadlock | Errors.WorkqueueDestroyed | Errors.WorkqueueDraining> =>
  Effect.suspend(() => {
    const pools = poolsOf(dwork)
    return pools === null ? Effect.succeed(false) : flushDelayedWork(pools, dwork)
  })

/** @internal when an armed timer fires, in clock millis */
export const expires = (dwork: DelayedWorkImpl): Option.Option<number> =>
  dwork.timer === null ? Option.none() : Option.some(dwork.expires)

/** @internal `isPending` as an Effect */
export const pending = (work: WorkImpl): Effect.Effect<boolean> => Effect.sync(() => isPending(work))
