/**
 * Queueing: the kernel's `queue_work_on` and `__queue_work`, the first steps
 * of an item's life (PROTOCOLS.md Q1–Q4): grab PENDING, refuse what the
 * workqueue's state forbids, choose the pwq (following a still-running
 * instance, for non-reentrancy), color the item and count it in flight, and
 * put it on the pool's worklist (kicking the pool) or, when max_active is
 * reached, on the pwq's inactive list.
 *
 * Invariants:
 * - the caller of `queueWorkOnPwq` owns PENDING and has checked
 *   `queueRefusal`;
 * - an item is appended behind every inactive item of its pwq, so activation
 *   stays FIFO when max_active changes (guarantee 9).
 *
 * @internal
 */
import * as Errors from "./errors.js"
import { PoolEvent } from "./events.js"
import * as Flags from "./flags.js"
import * as List from "./list.js"
import { findWorkerExecutingWork, kickPool, type WorkerPoolImpl } from "./pool.js"
import { getPwq, type PoolWorkqueueImpl, pwqTryincNrActive } from "./pwq.js"
import {
  disableDepthOf,
  WORK_COLOR_SHIFT,
  WORK_INACTIVE,
  WORK_PENDING,
  WORK_PWQ,
  WORK_RUNNING_MASK,
  type WorkImpl,
  workName
} from "./work.js"
import type { WorkerImpl } from "./worker.js"
import type { WorkqueueImpl } from "./workqueue.js"

/** @internal kernel `is_chained_work`: is the caller a worker running an item of `wq`? */
export const isChainedWork = (wq: WorkqueueImpl, caller: WorkerImpl | null): boolean =>
  caller !== null && ((caller.currentPwq !== null && caller.currentPwq.wq === wq) || caller.rescueWq === wq)

/** @internal why a queue attempt was refused, or null if it may go ahead */
export const queueRefusal = (wq: WorkqueueImpl, caller: WorkerImpl | null): "destroyed" | "draining" | null => {
  if (wq.destroyed) return "destroyed"
  if ((wq.flags & (Flags.__WQ_DESTROYING | Flags.__WQ_DRAINING)) !== 0 && !isChainedWork(wq, caller)) {
    return (wq.flags & Flags.__WQ_DESTROYING) !== 0 ? "destroyed" : "draining"
  }
  return null
}

/** @internal the typed error for a refusal */
export const refusalError = (
  wq: WorkqueueImpl,
  reason: "destroyed" | "draining"
): Errors.WorkqueueDestroyed | Errors.WorkqueueDraining =>
  reason === "destroyed"
    ? new Errors.WorkqueueDestroyed({ workqueue: wq.name })
    : new Errors.WorkqueueDraining({ workqueue: wq.name })

/**
 * @internal kernel `__queue_work`: the caller owns PENDING and has checked
 * `queueRefusal`. `cpu` is the requested CPU (or -1: the local one).
 */
/* Q2–Q4 */
export const queueWorkOnPwq = (cpu: number, wq: WorkqueueImpl, work: WorkImpl, localCpu: number): void => {
  // Q2: choose the pwq
  // kernel raw_smp_processor_id / wq_select_unbound_cpu: without a CPU, the local one
  // (every CPU is in the unbound cpumask here)
  const target = cpu < 0 ? localCpu : cpu
  let pwq = wq.cpuPwq[target]!
  let pool = pwq.pool
  // Q2: non-reentrancy: if the item is still running on its last pool, queue it there
  const last = work.link as WorkerPoolImpl | null
  if (last !== null && last !== pool && !wq.ordered) {
    const runner = findWorkerExecutingWork(last, work)
    if (runner !== undefined && runner.currentPwq!.wq === wq) {
      pwq = runner.currentPwq!
      pool = pwq.pool
    }
  }
  // Q3: color it and count it in flight (and in the workqueue's pending count)
  const color = pwq.workColor
  pwq.nrInFlight[color]!++
  wq.nrQueued++
  const data = WORK_PENDING | WORK_PWQ | (color << WORK_COLOR_SHIFT)
  // Q4: active if max_active allows and no older item waits, else inactive (FIFO)
  if (List.isEmpty(pwq.inactive) && pwqTryincNrActive(pwq, false)) {
    if (List.isEmpty(pool.worklist)) pool.progress++
    insertWork(pwq, work, pool.worklist, data)
    kickPool(pool)
  } else {
    insertWork(pwq, work, pwq.inactive, data | WORK_INACTIVE)
  }
  // kernel trace_workqueue_queue_work
  const recorder = wq.pools.recorder
  if (recorder !== null) recorder.queued(wq.pools.platform.now(), wq, work, target, pool.id)
}

/** @internal kernel `insert_work`: the item now belongs to `pwq` */
export const insertWork = (pwq: PoolWorkqueueImpl, work: WorkImpl, head: List.ListNode, data: number): void => {
  work.data = data | (work.data & WORK_RUNNING_MASK)
  work.link = pwq
  List.addTail(work, head)
  getPwq(pwq)
}

/**
 * @internal kernel `queue_work_on`: grab PENDING; refuse disabled items;
 * queue. Returns whether the item was newly queued, or the refusal.
 */
export const queueWorkOn = (
  cpu: number,
  wq: WorkqueueImpl,
  work: WorkImpl,
  caller: WorkerImpl | null,
  localCpu: number
): boolean | "destroyed" | "draining" => {
  const data = work.data
  if ((data & WORK_PENDING) !== 0) return false
  if (disableDepthOf(data) !== 0) return false
  const refusal = queueRefusal(wq, caller)
  if (refusal !== null) {
    wq.pools.emit(PoolEvent.QueueRejected({ workqueue: wq.name, work: workName(work), reason: refusal }))
    return refusal
  }
  work.data = data | WORK_PENDING
  queueWorkOnPwq(cpu, wq, work, localCpu)
  return true
}
