/**
 * The link of one workqueue to one pool: the kernel's `pool_workqueue`, with
 * max_active accounting, the inactive list and per-color in-flight counts.
 *
 * Invariants:
 * - `nrInFlight[c]` = items and barriers of color `c` queued on this pwq or
 *   running from it (never negative);
 * - `nrActive` = its non-barrier items on the pool worklist, on a worker's
 *   scheduled list or running; it never exceeds the max_active that applied
 *   when each was activated (lowering max_active never stops a running item);
 * - every non-barrier item on `inactive` has INACTIVE set, and items are
 *   activated from `inactive` strictly in queue order (kernel invariant 9);
 * - `flushColor` is >= 0 only while this pwq still has in-flight items of the
 *   color being flushed.
 *
 * For unbound workqueues max_active applies across the whole workqueue
 * (kernel v6.9+): `nna` is the shared counter (one node here), and pwqs that
 * could not get a slot wait on its `pendingPwqs`, activated round-robin.
 *
 * @internal
 */
import { WORK_NR_COLORS } from "./constants.js"
import { flushPwqDone } from "./color.js"
import * as List from "./list.js"
import { kickPool, type WorkerPoolImpl } from "./pool.js"
import { colorOf, moveLinkedWorks, WORK_INACTIVE, type WorkImpl } from "./work.js"
import type { WorkqueueImpl } from "./workqueue.js"
import { mutants } from "./mutants.js"

/** @internal kernel `pool_workqueue_stats` (what `wq_monitor.py` shows) */
export class PwqStats {
  started = 0
  completed = 0
  failed = 0
  cpuTimeMs = 0
  cpuIntensive = 0
  cmWakeup = 0
  repatriated = 0
  mayday = 0
  rescued = 0
}

/** @internal kernel `wq_node_nr_active`: the shared active count of an unbound workqueue */
export class NodeNrActive {
  nr = 0 // P: active items of the workqueue on this node
  max: number // P: per-node max_active
  readonly pendingPwqs: Array<PoolWorkqueueImpl> = [] // P: pwqs waiting for a slot, round-robin
  constructor(max: number) {
    this.max = max
  }
}

/** @internal kernel `struct pool_workqueue` */
export class PoolWorkqueueImpl {
  readonly kind = "pwq" as const
  workColor = 0 // P: color given to newly queued items
  flushColor = -1 // P: color being flushed, -1 if none
  refcnt = 1 // P: base reference + one per queued item
  readonly nrInFlight = new Int32Array(WORK_NR_COLORS) // P: per color
  nrActive = 0 // P: see the invariants
  readonly inactive = List.makeList() // P: items held back by max_active, FIFO
  plugged = false // P: ordered workqueues: a newer pwq waits for older ones to drain
  pending = false // P: on nna.pendingPwqs
  onMayday = false // P: on wq.maydays
  /**
   * P: its counters; once the pwq is released (A3) its counts are folded into
   * the workqueue's retired stats and this points there, so that a count made
   * after the release (a failure reported after the last item's retirement
   * released the pwq) is not lost
   */
  stats = new PwqStats()
  constructor(
    readonly wq: WorkqueueImpl,
    readonly pool: WorkerPoolImpl
  ) {}
}

/** @internal kernel `pwq_is_empty` */
export const pwqIsEmpty = (pwq: PoolWorkqueueImpl): boolean => pwq.nrActive === 0 && List.isEmpty(pwq.inactive)

/** @internal M1, kernel `pwq_tryinc_nr_active` */
export const pwqTryincNrActive = (pwq: PoolWorkqueueImpl, fill: boolean): boolean => {
  const wq = pwq.wq
  const nna = wq.nna
  if (nna === null) {
    // BH or per-cpu workqueue: the pwq's own count is enough
    if (pwq.nrActive < pwq.pool.policy.maxActive(wq)) {
      pwq.nrActive++
      return true
    }
    return false
  }
  if (pwq.plugged) return false
  // already waiting for a slot: do not jump the line (unless max_active grew). A pwq
  // marked pending with no inactive item waits for nothing: the mark is stale (the
  // invariant of pwqDropPending is kept by every step that empties the list; this is
  // the check that makes a stale mark harmless if one is ever left), and Q4 only asks
  // with an empty inactive list, so it is dropped rather than obeyed
  if (pwq.pending && !fill) {
    if (!List.isEmpty(pwq.inactive) || mutants.stalePendingMark) return false
    pwqDropPending(pwq)
  }
  if (nna.nr < nna.max) {
    // with `fill`, a pwq already waiting stays on the line: pwqActivateFirstInactive
    // takes it off once its inactive list is empty
    nna.nr++
    pwq.nrActive++
    return true
  }
  if (!pwq.pending) {
    pwq.pending = true
    nna.pendingPwqs.push(pwq)
  }
  return false
}

/**
 * @internal take `pwq` off its node's pending list (kernel: `list_del_init` of
 * `pwq->pending_node`). Invariant kept by every step that empties a pwq's
 * inactive list (M1, M2, C1, A3): a pwq is pending only while it has an
 * inactive item waiting for a slot. The kernel lets a pwq stay "spuriously
 * pending" and relies on `node_activate_pending_pwq` to drop it at its next
 * visit; but that visit only comes from a retirement that finds a free slot,
 * and none may ever come (see M2), while a spuriously pending pwq refuses to
 * take a slot for a new item (M1's "do not jump the line"): the item waits
 * for good.
 */
export const pwqDropPending = (pwq: PoolWorkqueueImpl): void => {
  if (!pwq.pending) return
  pwq.pending = false
  const nna = pwq.wq.nna
  if (nna === null) return
  const i = nna.pendingPwqs.indexOf(pwq)
  if (i >= 0) nna.pendingPwqs.splice(i, 1)
}

/** @internal kernel `__pwq_activate_work`: move an inactive item (and its linked barriers) to the worklist */
export const pwqActivateWork = (pwq: PoolWorkqueueImpl, work: WorkImpl): void => {
  const pool = pwq.pool
  if (List.isEmpty(pool.worklist)) pool.progress++
  moveLinkedWorks(work, pool.worklist)
  work.data &= ~WORK_INACTIVE
}

/** @internal kernel `pwq_activate_first_inactive` */
export const pwqActivateFirstInactive = (pwq: PoolWorkqueueImpl, fill: boolean): boolean => {
  const work = List.first<WorkImpl>(pwq.inactive)
  if (work !== null && pwqTryincNrActive(pwq, fill)) {
    pwqActivateWork(pwq, work)
    // M1/M3: a pwq that was waiting for a slot and was just filled (thaw, a raised
    // max_active, an unplug) leaves the line once nothing of it is held back. The
    // kernel leaves it "spuriously pending" here, for `node_activate_pending_pwq` to
    // drop at the next retirement that finds a free slot. That retirement may never
    // come: frozen again before the activated item ends, the item's `pwq_dec_nr_active`
    // finds nr >= max (0) and returns early; after the next thaw nothing is active, so
    // nothing retires, and a new item is refused a slot by M1's "do not jump the line"
    // and stays inactive for good (the same sequence looks open in the kernel)
    if (List.isEmpty(pwq.inactive) && !mutants.stalePendingMark) pwqDropPending(pwq)
    return true
  }
  return false
}

/**
 * @internal kernel `node_activate_pending_pwq`: give a freed unbound slot to
 * the first waiting pwq and rotate it to the tail (round-robin across pwqs;
 * there has never been ordering across pwqs).
 */
const nodeActivatePendingPwq = (nna: NodeNrActive, callerPool: WorkerPoolImpl): void => {
  while (nna.pendingPwqs.length > 0) {
    const pwq = nna.pendingPwqs[0]!
    const work = List.first<WorkImpl>(pwq.inactive)
    if (work === null || pwq.plugged) {
      // nothing to activate (cancelled meanwhile) or plugged: drop it from the line
      nna.pendingPwqs.shift()
      pwq.pending = false
      continue
    }
    if (nna.nr >= nna.max) return
    nna.nr++
    pwq.nrActive++
    pwqActivateWork(pwq, work)
    nna.pendingPwqs.shift()
    if (List.isEmpty(pwq.inactive)) pwq.pending = false
    else nna.pendingPwqs.push(pwq)
    // if activating a foreign pool, make sure it is running
    if (pwq.pool !== callerPool) kickPool(pwq.pool)
    return
  }
}

/** @internal M2, kernel `pwq_dec_nr_active`: retire an active count and activate the next item */
export const pwqDecNrActive = (pwq: PoolWorkqueueImpl): void => {
  pwq.nrActive--
  const nna = pwq.wq.nna
  if (nna === null) {
    // per-cpu: the activated item replaces the retired one on the worklist, where a
    // running or already woken worker takes it (the kernel does not kick here either)
    pwqActivateFirstInactive(pwq, false)
    return
  }
  nna.nr--
  if (nna.nr >= nna.max) return
  if (nna.pendingPwqs.length > 0) nodeActivatePendingPwq(nna, pwq.pool)
}

/**
 * @internal Q8, kernel `pwq_dec_nr_in_flight`: an item finished or was stolen by
 * cancel. Must be the last step of either: it may activate items and complete
 * flushes.
 */
export const pwqDecNrInFlight = (pwq: PoolWorkqueueImpl, data: number): void => {
  const color = colorOf(data)
  if ((data & WORK_INACTIVE) === 0) pwqDecNrActive(pwq)
  pwq.nrInFlight[color]!--
  if (pwq.flushColor === color && pwq.nrInFlight[color] === 0) {
    pwq.flushColor = -1
    flushPwqDone(pwq.wq)
  }
  putPwq(pwq)
}

/** @internal kernel `get_pwq` */
export const getPwq = (pwq: PoolWorkqueueImpl): void => {
  pwq.refcnt++
}

/** @internal kernel `put_pwq`: the last reference releases the pwq */
export const putPwq = (pwq: PoolWorkqueueImpl): void => {
  if (--pwq.refcnt === 0) pwq.wq.pwqReleased(pwq)
}

/** @internal the number of items and barriers in flight on `pwq`, all colors */
export const pwqInFlight = (pwq: PoolWorkqueueImpl): number => {
  let n = 0
  for (let c = 0; c < WORK_NR_COLORS; c++) n += pwq.nrInFlight[c]!
  return n
}

/** @internal kernel `pwq_is_empty` for every pwq of `wq`: nothing active, nothing held back */
export const workqueueIsEmpty = (wq: WorkqueueImpl): boolean => wq.pwqs.every(pwqIsEmpty)
