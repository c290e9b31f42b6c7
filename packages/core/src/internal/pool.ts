/**
 * Worker pools: the kernel's `worker_pool`, its policy predicates, the
 * concurrency-management accounting (`nr_running` and the scheduler hooks
 * `wq_worker_sleeping` / `wq_worker_running` / `wq_worker_tick`), `kick_pool`,
 * idle workers and their reaping, and the mayday timer. The worker run loop
 * that serves a pool lives in `worker.ts`.
 *
 * Field legend: see `README.md` in this folder (I, P, W, F).
 *
 * Invariants:
 * - `nrRunning` = busy workers of this pool with no NOT_RUNNING flag that are
 *   not sleeping (blocked on async);
 * - every worker is on `idleList` (IDLE set) or busy or the manager;
 *   `nrIdle` = length of `idleList`;
 * - a worker is woken only while it is on `idleList`; it leaves the list
 *   itself when it runs (kernel `worker_leave_idle`), so repeated kicks wake
 *   the same worker and never start a storm of workers (PROTOCOLS.md CM2);
 * - a new item is started only by a worker that was woken while
 *   `needMoreWorker` held, or by a worker that just finished an item while
 *   `keepWorking` holds (guarantee 25);
 * - a work item runs on at most one worker of a pool: its RUNNING count says
 *   that some worker runs it, and `findWorkerExecutingWork` finds which.
 *
 * This module imports no engine module at run time except `work.ts`: the
 * pwq, worker and pools modules sit above it.
 *
 * @internal
 */
import * as Effect from "effect/Effect"
import { PoolEvent } from "./events.js"
import * as Flags from "./flags.js"
import * as List from "./list.js"
import { kernelPolicy, type PolicyImpl } from "./policy.js"
import type { PoolsImpl } from "./pools.js"
import { WORK_RUNNING_MASK, type WorkImpl, workName } from "./work.js"
import type { WorkerImpl } from "./worker.js"

/** @internal a BH pool's rules: the kernel's, with the one pseudo worker never asking for a spare */
const bhPolicy: PolicyImpl = { ...kernelPolicy, name: "bh", mayStartWorking: () => true }

/** @internal kernel `struct worker_pool` */
export class WorkerPoolImpl {
  readonly kind = "pool" as const
  readonly worklist = List.makeList() // P: pending active items, FIFO
  nrRunning = 0 // P: see the module invariants
  nrWorkers = 0 // P: all workers of the pool
  nrIdle = 0 // P: workers on idleList
  readonly idleList = List.makeList() // P: idle workers, most recently idled first
  readonly workers = new Set<WorkerImpl>() // P: every live worker; with `rescuers`, who may be running an item
  readonly rescuers = new Set<WorkerImpl>() // P: rescuers attached to this pool right now
  readonly away = new Set<WorkerImpl>() // P: carriers of items running away from any worker (worker.ts `runAway`)
  managerActive = false // P: kernel POOL_MANAGER_ACTIVE
  manager: WorkerImpl | null = null // P: informational
  idleTimer: { readonly cancel: () => void } | null = null // P: kernel idle_timer
  maydayTimer: { readonly cancel: () => void } | null = null // P: kernel mayday_timer
  progress = 0 // P: bumped whenever the pool makes progress (the watchdog samples it)
  refcnt = 1 // P: unbound pools are shared by attributes and released at 0
  createFailingSince = -1 // P: clock millis of the first failed worker creation in a row, -1 if the last one succeeded
  readonly policy: PolicyImpl // I

  constructor(
    readonly pools: PoolsImpl,
    readonly id: number,
    /** I: the CPU this pool is bound to, or -1 for an unbound pool */
    readonly cpu: number,
    /** I: the highpri pool of its CPU (kernel nice -20) */
    readonly highpri: boolean,
    /** I: a BH pool: one pseudo worker, never concurrency managed */
    readonly bh: boolean,
    /** I: unbound pools are keyed and shared by these attributes */
    readonly attrsKey: string,
    /** I: CPUs an unbound pool may run on (informational on one JS thread) */
    readonly cpumask: ReadonlyArray<number>
  ) {
    // BH pools follow the kernel's bh_worker whatever the user's policy: one pseudo
    // worker, never a second one (it never manages)
    this.policy = bh ? bhPolicy : pools.policy
  }

  /** kernel `POOL_DISASSOCIATED`: unbound and BH pools are never concurrency managed */
  get disassociated(): boolean {
    return this.cpu < 0 || this.bh
  }

  /** a name for logs, like the kernel watchdog prints */
  get name(): string {
    if (this.bh) return `cpu${this.cpu}-bh${this.highpri ? "-hi" : ""}`
    if (this.cpu >= 0) return `cpu${this.cpu}${this.highpri ? "-hi" : ""}`
    return `unbound${this.id}${this.highpri ? "-hi" : ""}[${this.cpumask.join(",")}]`
  }
}

// -----------------------------------------------------------------------------
// Policy predicates (kernel need_more_worker & co.), all through the policy seam
// -----------------------------------------------------------------------------

/** @internal kernel `need_more_worker` */
export const needMoreWorker = (pool: WorkerPoolImpl): boolean => pool.policy.needMoreWorker(pool)

/** @internal kernel `need_to_create_worker` */
export const needToCreateWorker = (pool: WorkerPoolImpl): boolean =>
  pool.policy.needMoreWorker(pool) && !pool.policy.mayStartWorking(pool)

/** @internal kernel `too_many_workers`: keep 2 idle workers plus a quarter of the busy ones */
export const tooManyWorkers = (pool: WorkerPoolImpl): boolean => {
  const nrIdle = pool.nrIdle + (pool.managerActive ? 1 : 0)
  const nrBusy = pool.nrWorkers - nrIdle
  return nrIdle > 2 && (nrIdle - 2) * pool.pools.config.maxIdleWorkersRatio >= nrBusy
}

// -----------------------------------------------------------------------------
// Worker flags and the scheduler hooks (PROTOCOLS.md CM1–CM4)
// -----------------------------------------------------------------------------

/** @internal kernel `worker_set_flags`: gaining a NOT_RUNNING flag leaves nrRunning */
export const setFlags = (worker: WorkerImpl, flags: number): void => {
  if ((flags & Flags.WORKER_NOT_RUNNING) !== 0 && (worker.flags & Flags.WORKER_NOT_RUNNING) === 0) {
    worker.pool.nrRunning--
  }
  worker.flags |= flags
}

/** @internal kernel `worker_clr_flags`: losing the last NOT_RUNNING flag joins nrRunning */
export const clearFlags = (worker: WorkerImpl, flags: number): void => {
  const old = worker.flags
  worker.flags &= ~flags
  if (
    (flags & Flags.WORKER_NOT_RUNNING) !== 0 && (old & Flags.WORKER_NOT_RUNNING) !== 0 &&
    (worker.flags & Flags.WORKER_NOT_RUNNING) === 0
  ) {
    worker.pool.nrRunning++
  }
}

/**
 * @internal CM1, kernel `wq_worker_sleeping`: a busy worker blocked on async. If it
 * was the last running worker and work is pending, another worker is woken.
 * CONTEXT: called by the blocking detector when the worker's fiber suspends;
 * `now` is the platform time the detector read for it, if it read one.
 */
export const workerSleeping = (worker: WorkerImpl, now?: number): void => {
  const pool = worker.pool
  const pwq = worker.currentPwq
  // CPU time stops for every busy worker that blocks, CM or not (unbound, ordered and
  // CPU_INTENSIVE workers are NOT_RUNNING, but their blocked time is no more CPU time)
  if (pwq !== null && !worker.offCpu) {
    pwq.stats.cpuTimeMs += (now ?? pool.pools.platform.now()) - worker.currentAt
    worker.offCpu = true
  }
  if ((worker.flags & Flags.WORKER_NOT_RUNNING) !== 0 || worker.sleeping) return
  worker.sleeping = true
  worker.sleepSeq++
  pool.nrRunning--
  // CM1a: the kick waits for the next macrotask (PROTOCOLS.md); nothing to defer when no worker is needed now
  if (pool.policy.needMoreWorker(pool)) pool.pools.deferKick(worker)
}

/**
 * @internal CM1a: the deferred half of `workerSleeping`, run after every wait that
 * resumes within the current microtask checkpoint could have resumed. The kick
 * happens only if the worker still sleeps in the same wait (`seq`); a worker that
 * ran again since needs no replacement, and a later sleep has its own deferred kick.
 */
export const deferredKick = (worker: WorkerImpl, seq: number): void => {
  if (!worker.sleeping || worker.sleepSeq !== seq) return
  const pwq = worker.currentPwq
  if (kickPool(worker.pool) && pwq !== null) pwq.stats.cmWakeup++
}

/**
 * @internal CM2, kernel `wq_worker_running`: the worker runs again after blocking.
 * CONTEXT: called by the blocking detector when the worker's fiber resumes.
 */
export const workerRunning = (worker: WorkerImpl): void => {
  if (worker.offCpu) {
    // CPU time (and the CPU-hog clock) starts again
    worker.offCpu = false
    worker.currentAt = worker.pool.pools.platform.now()
  }
  if (!worker.sleeping) return
  if ((worker.flags & Flags.WORKER_NOT_RUNNING) === 0) worker.pool.nrRunning++
  worker.sleeping = false
}

/**
 * @internal kernel `wq_worker_tick`'s CPU-intensive auto-detection, run when a
 * busy worker's fiber yields cooperatively (Effect's op budget or a yieldNow):
 * that is the only moment another fiber could run on the one JS thread, so it
 * plays the part of the scheduler tick.
 */
export const workerTick = (worker: WorkerImpl): void => {
  const pwq = worker.currentPwq
  if (pwq === null) return
  const pools = worker.pool.pools
  const thresh = pools.config.cpuIntensiveThresholdMs
  if (thresh <= 0 || (worker.flags & Flags.WORKER_NOT_RUNNING) !== 0 || worker.sleeping) return
  const held = pools.platform.now() - worker.currentAt
  if (held < thresh) return
  setFlags(worker, Flags.WORKER_CPU_INTENSIVE)
  pwq.stats.cpuIntensive++
  if (pools.recorder !== null) pools.recorder.worker(pools.platform.now(), "cpuIntensive", worker)
  pools.emit(PoolEvent.CpuHog({
    pool: worker.pool.name,
    workqueue: pwq.wq.name,
    work: workName(worker.currentWork!),
    millis: held
  }))
  if (kickPool(worker.pool)) pwq.stats.cmWakeup++
}

// -----------------------------------------------------------------------------
// Waking, idling and reaping workers
// -----------------------------------------------------------------------------

/** @internal wake a worker waiting in `waitForWakeup` */
export const wake = (worker: WorkerImpl): void => {
  worker.woken = true
  const resume = worker.resume
  if (resume !== null) {
    worker.resume = null
    resume(Effect.void)
  }
}

/**
 * @internal Q4, kernel `kick_pool`: wake the most recently idled worker if the pool
 * needs one. Returns whether a worker was woken.
 */
export const kickPool = (pool: WorkerPoolImpl): boolean => {
  if (!pool.policy.needMoreWorker(pool)) return false
  const worker = List.first<WorkerImpl>(pool.idleList)
  if (worker === null) return false
  wake(worker)
  return true
}

/** @internal kernel `worker_enter_idle` */
export const enterIdle = (worker: WorkerImpl): void => {
  const pool = worker.pool
  worker.flags |= Flags.WORKER_IDLE
  pool.nrIdle++
  worker.lastActive = pool.pools.clockNow()
  List.insertAfter(worker, pool.idleList)
  if (tooManyWorkers(pool) && pool.idleTimer === null) {
    armIdleTimer(pool, pool.pools.config.idleTimeoutMs)
  }
}

/** @internal kernel `worker_leave_idle` */
export const leaveIdle = (worker: WorkerImpl): void => {
  worker.flags &= ~Flags.WORKER_IDLE
  worker.pool.nrIdle--
  List.remove(worker)
}

const armIdleTimer = (pool: WorkerPoolImpl, delayMs: number): void => {
  pool.idleTimer = pool.pools.timer(delayMs, () => {
    pool.idleTimer = null
    idleWorkerTimeout(pool)
  })
}

/**
 * @internal CM5, kernel `idle_worker_timeout` + `idle_cull_fn`: reap the oldest idle
 * workers that have been idle for IDLE_WORKER_TIMEOUT while there are too many.
 */
export const idleWorkerTimeout = (pool: WorkerPoolImpl): void => {
  const timeout = pool.pools.config.idleTimeoutMs
  while (tooManyWorkers(pool)) {
    const oldest = List.last<WorkerImpl>(pool.idleList)!
    const expires = oldest.lastActive + timeout
    const now = pool.pools.clockNow()
    if (now < expires) {
      armIdleTimer(pool, expires - now)
      return
    }
    // kernel set_worker_dying
    pool.nrWorkers--
    pool.nrIdle--
    oldest.flags |= Flags.WORKER_DIE
    List.remove(oldest)
    pool.workers.delete(oldest)
    wake(oldest)
  }
}

/** @internal arm the mayday timer (PROTOCOLS.md R1) */
export const armMaydayTimer = (pool: WorkerPoolImpl, delayMs: number): void => {
  disarmMaydayTimer(pool)
  pool.maydayTimer = pool.pools.timer(delayMs, () => {
    pool.maydayTimer = null
    pool.pools.maydayTimeout(pool)
    armMaydayTimer(pool, pool.pools.config.maydayIntervalMs)
  })
}

/** @internal */
export const disarmMaydayTimer = (pool: WorkerPoolImpl): void => {
  if (pool.maydayTimer !== null) {
    pool.maydayTimer.cancel()
    pool.maydayTimer = null
  }
}

/**
 * @internal kernel `find_worker_executing_work`: the worker of `pool` running
 * `work`, if any. O(1) unless the item runs somewhere (then a scan of the
 * pool's workers, which is rare: the item was queued again while running).
 */
export const findWorkerExecutingWork = (pool: WorkerPoolImpl, work: WorkImpl): WorkerImpl | undefined => {
  if ((work.data & WORK_RUNNING_MASK) === 0) return undefined
  for (const worker of pool.workers) if (worker.currentWork === work) return worker
  for (const worker of pool.rescuers) if (worker.currentWork === work) return worker
  for (const carrier of pool.away) if (carrier.currentWork === work) return carrier
  return undefined
}

/** @internal the workers of `pool` running an item now */
export const busyWorkers = (pool: WorkerPoolImpl): Array<WorkerImpl> => {
  const out: Array<WorkerImpl> = []
  for (const worker of pool.workers) if (worker.currentWork !== null) out.push(worker)
  for (const worker of pool.rescuers) if (worker.currentWork !== null) out.push(worker)
  for (const carrier of pool.away) out.push(carrier)
  return out
}
