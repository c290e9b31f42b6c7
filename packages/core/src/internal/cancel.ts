/**
 * Cancel, disable, enable and delayed work: the kernel's
 * `try_to_grab_pending`, `__cancel_work`, `__cancel_work_sync`,
 * `enable_work`, `__queue_delayed_work`, `mod_delayed_work_on` and
 * `flush_delayed_work`.
 *
 * Invariants:
 * - whoever holds PENDING owns the item's data word: grabbing PENDING (by
 *   stealing it from a list or a timer, or by setting it on an idle item) is
 *   the only way to rewrite it;
 * - an item stolen from a list is retired with `pwqDecNrInFlight` (so flushes
 *   and max_active stay exact) and its linked barriers stay on the worklist
 *   (a queued barrier cannot be cancelled);
 * - a delayed item is its own node on the pools' timer heap (`timers.ts`):
 *   cancelling or re-arming takes it off the heap at once, so a cancelled
 *   or re-armed item is never queued by an old timer.
 *
 * @internal
 */
import * as Effect from "effect/Effect"
import * as Runtime from "effect/Runtime"
import { WORK_OFFQ_DISABLE_MAX } from "./constants.js"
import * as Errors from "./errors.js"
import * as Flags from "./flags.js"
import { cancelSyncDeadlock, flushWork, runnerPoolOf } from "./flush.js"
import * as List from "./list.js"
import { PoolEvent } from "./events.js"
import { recordItemWait } from "./lockdep.js"
import { kickPool } from "./pool.js"
import type { PoolsImpl } from "./pools.js"
import { pwqDecNrInFlight, pwqDropPending, type PoolWorkqueueImpl } from "./pwq.js"
import {
  DelayedWorkImpl,
  disableDepthOf,
  WORK_DISABLE_SHIFT,
  WORK_INACTIVE,
  WORK_LINKED,
  WORK_PENDING,
  WORK_PWQ,
  moveLinkedWorks,
  WORK_RUNNING_MASK,
  type WorkImpl,
  workName
} from "./work.js"
import { queueRefusal, queueWorkOnPwq } from "./queue.js"
import type { WorkqueueImpl } from "./workqueue.js"

/** kernel `timer_delete` on `dwork->timer` */
const cancelTimer = (dwork: DelayedWorkImpl): void => {
  const timer = dwork.timer
  dwork.timer = null
  if (timer !== null) timer.cancel(dwork)
}

/**
 * @internal C1, kernel `try_to_grab_pending`: take PENDING from any stable state.
 * Returns true if the item was pending (we stole it), false if it was idle
 * (we set PENDING). Either way the caller owns PENDING afterwards.
 */
export const grabPending = (work: WorkImpl, cflags: number): boolean => {
  // steal the timer if there is one
  if (work instanceof DelayedWorkImpl && work.timer !== null && (cflags & Flags.WORK_CANCEL_DELAYED) !== 0) {
    cancelTimer(work)
    return true
  }
  const data = work.data
  if ((data & WORK_PENDING) === 0) {
    work.data = data | WORK_PENDING
    return false
  }
  if ((data & WORK_PWQ) !== 0) {
    const pwq = work.link as PoolWorkqueueImpl
    const pool = pwq.pool
    // off queue, the link is the pool a flush looks in for the runner: the runner's, which
    // on an ordered workqueue may be an older pwq's pool (see runnerPoolOf)
    const runnerPool = runnerPoolOf(pwq, work)
    // an inactive item may carry linked barriers: leave them on the worklist
    if ((data & WORK_INACTIVE) !== 0 && (data & WORK_LINKED) !== 0) {
      moveLinkedWorks(work, pool.worklist)
      kickPool(pool)
    }
    List.remove(work)
    // C1: the last held-back item of a pwq waiting for a slot is gone: the pwq no longer
    // waits (if it stayed on the line, with nothing for the line to activate, a later
    // item would never take a free slot: see pwqDropPending)
    if ((data & WORK_INACTIVE) !== 0 && List.isEmpty(pwq.inactive)) pwqDropPending(pwq)
    work.data = WORK_PENDING | (data & WORK_RUNNING_MASK)
    work.link = runnerPool
    // must be the last step (then the workqueue's pending count, for maxPending)
    pwqDecNrInFlight(pwq, data)
    // a grabbed active item frees a max_active slot, and the retirement above moves the
    // next held-back item to this pool's worklist (`pwq_dec_nr_active` →
    // `pwq_activate_first_inactive` / `node_activate_pending_pwq`, which kicks only a
    // foreign pool). A retirement by a worker is followed by that worker's own look at
    // the worklist (`worker_thread`'s `keep_working` loop); this one is not: the grab
    // runs outside the pool, and every worker may be asleep in an item or idle. Kick the
    // pool as `__queue_work` does for a new item (`kick_pool` is a no-op when a worker
    // is running or nothing is pending)
    if ((data & WORK_INACTIVE) === 0) kickPool(pool)
    pwq.wq.itemLeft()
    return true
  }
  // PENDING and on no list: a delayed item whose timer was not asked for (the kernel
  // would spin here; `cancel` on a delayed item's plain form steals the timer instead)
  if (work instanceof DelayedWorkImpl) cancelTimer(work)
  return true
}

/**
 * C2's body: grab, optionally disable, clear PENDING. Returns was-pending and
 * whether the disable counted (kernel `work_offqd_disable` saturates, with a
 * WARN, at WORK_OFFQ_DISABLE_MAX: a disable there leaves the depth as it was).
 */
const grabAndDisable = (work: WorkImpl, cflags: number): readonly [wasPending: boolean, counted: boolean] => {
  const wasPending = grabPending(work, cflags)
  let depth = disableDepthOf(work.data)
  let counted = false
  if ((cflags & Flags.WORK_CANCEL_DISABLE) !== 0 && depth < WORK_OFFQ_DISABLE_MAX) {
    depth++
    counted = true
  }
  work.data = (depth << WORK_DISABLE_SHIFT) | (work.data & WORK_RUNNING_MASK)
  return [wasPending, counted]
}

/** @internal C2, kernel `__cancel_work`: grab, optionally disable, clear PENDING. Returns was-pending. */
export const cancelWork = (work: WorkImpl, cflags: number): boolean => grabAndDisable(work, cflags)[0]

/**
 * @internal C4, kernel `enable_work`: returns whether the disable depth reached 0.
 * A pending item (queued, or its timer armed) is enabled by definition: a
 * disabled item cannot be queued. Its depth is 0 and there is nothing to take
 * off, so it is left as it is; grabbing PENDING here would steal an instance
 * whose queue call returned true (an enable during a `cancelSync` lets the
 * item be queued, and the cancel's own re-enable would then take that
 * instance: it would never run). The kernel grabs unconditionally.
 */
export const enableWork = (work: WorkImpl): boolean => {
  if ((work.data & WORK_PENDING) !== 0) return true
  grabPending(work, 0)
  let depth = disableDepthOf(work.data)
  if (depth > 0) depth--
  work.data = (depth << WORK_DISABLE_SHIFT) | (work.data & WORK_RUNNING_MASK)
  return depth === 0
}

/**
 * @internal C3, kernel `__cancel_work_sync`: cancel with the item disabled for the
 * moment (so it cannot requeue itself), wait for a running instance, then
 * re-enable unless asked to disable. Returns was-pending.
 */
export const cancelWorkSync = (
  pools: PoolsImpl,
  work: WorkImpl,
  cflags: number
): Effect.Effect<boolean, Errors.FlushDeadlock> =>
  Effect.suspend(() => {
    // C3: a typed error leaves nothing half-done: check for the deadlock before
    // cancelling or disabling anything
    const caller = pools.currentWorker()
    // lockdep: the item's map is taken before anything can be refused (kernel __flush_work)
    recordItemWait(pools, caller, work, (cflags & Flags.WORK_CANCEL_DISABLE) !== 0 ? "disableSync" : "cancelSync")
    const deadlock = cancelSyncDeadlock(work, caller)
    if (deadlock !== null) return Effect.fail(deadlock)
    const [wasPending, counted] = grabAndDisable(work, cflags | Flags.WORK_CANCEL_DISABLE)
    const wait = Effect.as(flushWork(pools, work, true), wasPending)
    if ((cflags & Flags.WORK_CANCEL_DISABLE) !== 0) return wait
    // C3: the re-enable undoes only a disable that counted. At the saturated depth
    // (WORK_OFFQ_DISABLE_MAX) the temporary disable is a no-op (the kernel's
    // `work_offqd_disable` WARNs and keeps the depth), and the item stays disabled
    // anyway; the kernel's unconditional `enable_work` would then leave the depth one
    // lower than at the call
    if (!counted) return wait
    return Effect.ensuring(wait, Effect.sync(() => enableWork(work)))
  })

// -----------------------------------------------------------------------------
// Delayed work
// -----------------------------------------------------------------------------

/** @internal T2, kernel `delayed_work_timer_fn` (the heap took the item off before calling) */
const timerFired = (dwork: DelayedWorkImpl): void => {
  dwork.timer = null
  const wq = dwork.wq!
  const refusal = queueRefusal(wq, null)
  if (refusal !== null) {
    // the kernel warns and drops it; we also give PENDING back so that nothing is stuck
    dwork.data = dwork.data & ~WORK_PENDING
    wq.pools.emit(PoolEvent.QueueRejected({ workqueue: wq.name, work: workName(dwork), reason: refusal }))
    // the kernel's WARN_ONCE in __queue_work: here a warning naming the item, and stats.dropped
    wq.dropped++
    Runtime.runFork(wq.pools.runtime)(
      Effect.logWarning(
        `workqueue ${wq.name}: delayed item ${workName(dwork)} fired while the workqueue was ${
          wq.destroyed ? "destroyed" : refusal === "destroyed" ? "being destroyed" : "draining"
        }: dropped`
      )
    )
    return
  }
  queueWorkOnPwq(dwork.cpu, wq, dwork, wq.pools.localCpu(null))
}

// every delayed item is a timer-heap node whose firing is `timerFired` (a shared function:
// nothing is allocated per arm)
Object.defineProperty(DelayedWorkImpl.prototype, "onTimer", { value: timerFired })

/**
 * @internal T1, kernel `__queue_delayed_work`: the caller owns PENDING. A delay of
 * 0 queues at once; otherwise a timer on the pools' clock queues it later.
 */
export const queueDelayed = (
  cpu: number,
  wq: WorkqueueImpl,
  dwork: DelayedWorkImpl,
  delayMs: number,
  localCpu: number
): void => {
  if (delayMs <= 0) {
    queueWorkOnPwq(cpu, wq, dwork, localCpu)
    return
  }
  dwork.wq = wq
  dwork.cpu = cpu < 0 ? (wq.unbound ? -1 : localCpu) : cpu
  const pools = wq.pools
  dwork.expires = pools.clockNow() + delayMs
  dwork.timer = pools.timers
  pools.timers.arm(dwork, dwork.expires)
}

/** @internal kernel `queue_delayed_work_on`: returns whether newly queued */
export const queueDelayedWorkOn = (
  cpu: number,
  wq: WorkqueueImpl,
  dwork: DelayedWorkImpl,
  delayMs: number,
  localCpu: number
): boolean => {
  const data = dwork.data
  if ((data & WORK_PENDING) !== 0 || disableDepthOf(data) !== 0) return false
  dwork.data = data | WORK_PENDING
  queueDelayed(cpu, wq, dwork, delayMs, localCpu)
  return true
}

/**
 * @internal T3, kernel `mod_delayed_work_on`: steal PENDING whatever the state and
 * re-arm with the new delay. Returns true if it was pending.
 */
export const modDelayedWorkOn = (
  cpu: number,
  wq: WorkqueueImpl,
  dwork: DelayedWorkImpl,
  delayMs: number,
  localCpu: number
): boolean => {
  const wasPending = grabPending(dwork, Flags.WORK_CANCEL_DELAYED)
  if (disableDepthOf(dwork.data) !== 0) {
    // kernel clear_pending_if_disabled: stays disabled, not armed
    dwork.data &= ~WORK_PENDING
    return wasPending
  }
  queueDelayed(cpu, wq, dwork, delayMs, localCpu)
  return wasPending
}

/**
 * @internal T4, kernel `flush_delayed_work`: if the timer is armed, fire it now,
 * then flush the item.
 */
export const flushDelayedWork = (
  pools: PoolsImpl,
  dwork: DelayedWorkImpl
): Effect.Effect<boolean, Errors.FlushDeadlock | Errors.WorkqueueDestroyed | Errors.WorkqueueDraining> =>
  Effect.suspend(
    (): Effect.Effect<boolean, Errors.FlushDeadlock | Errors.WorkqueueDestroyed | Errors.WorkqueueDraining> => {
      if (dwork.timer !== null) {
        const wq = dwork.wq!
        const refusal = queueRefusal(wq, pools.currentWorker())
        cancelTimer(dwork)
        if (refusal !== null) {
          dwork.data &= ~WORK_PENDING
          return Effect.fail(
            refusal === "destroyed"
              ? new Errors.WorkqueueDestroyed({ workqueue: wq.name })
              : new Errors.WorkqueueDraining({ workqueue: wq.name })
          )
        }
        queueWorkOnPwq(dwork.cpu, wq, dwork, pools.localCpu(null))
      }
      return flushWork(pools, dwork, false)
    }
  )
