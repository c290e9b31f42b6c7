/**
 * Worker pools and workers: the kernel's `worker_pool`, `worker`,
 * `worker_thread`, `process_one_work`, `kick_pool`, the manager and the
 * scheduler hooks `wq_worker_sleeping` / `wq_worker_running`.
 *
 * Field legend (as in `kernel/workqueue.c`):
 * - I: set at construction, read-only afterwards;
 * - P: pool state; mutated only by synchronous pool code (the JS thread is the
 *   pool lock: no `await` happens between a read and the matching write);
 * - W: mutated only by the owning worker (or by the detector on its behalf).
 *
 * Invariants:
 * - `nrRunning` = busy workers of this pool with no NOT_RUNNING flag that are
 *   not sleeping (blocked on async);
 * - every worker is on `idleList` (IDLE set) or busy or the manager;
 *   `nrIdle` = length of `idleList`;
 * - a worker is woken only while it is on `idleList`; it leaves the list
 *   itself when it runs (kernel `worker_leave_idle`), so repeated kicks wake
 *   the same worker and never start a storm of workers;
 * - a new item is started only by a worker that was woken while
 *   `needMoreWorker` held, or by a worker that just finished an item while
 *   `keepWorking` holds (kernel invariant 25);
 * - a work item runs on at most one worker of a pool: its RUNNING count says
 *   that some worker runs it, `findWorkerExecutingWork` finds which, and
 *   `assignWork` punts a second instance to that runner.
 *
 * Protocol: queue → activate → run → complete. Step numbers refer to
 * KERNEL.md §4.2–4.7.
 * 1. `__queueWork` appends the item to `worklist` (or the pwq's inactive list
 *    when max_active is reached) and kicks the pool.
 * 2. `kickPool` wakes the most recently idled worker if `needMoreWorker`.
 * 3. The woken worker leaves idle, re-checks, makes sure a spare idle worker
 *    exists (creating one as manager if needed), then takes items one after
 *    another while `keepWorking` holds.
 * 4. Before running an item it clears PENDING, so the item may be queued
 *    again; after running it, `pwqDecNrInFlight` retires it (activating the
 *    next inactive item and completing flushes). That is the last step.
 * 5. When a busy worker blocks on async, the detector calls `workerSleeping`,
 *    which drops `nrRunning` and kicks the pool; when it runs again,
 *    `workerRunning` counts it back.
 *
 * @internal
 */
import * as Cause from "effect/Cause"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import type * as Fiber from "effect/Fiber"
import * as Option from "effect/Option"
import * as Runtime from "effect/Runtime"
import { bhContext } from "./detector.js"
import { syncThunkOf } from "./fastpath.js"
import { BhWorkBlocked } from "./errors.js"
import * as Flags from "./flags.js"
import * as List from "./list.js"
import { PoolEvent } from "./events.js"
import { kernelPolicy, type PolicyImpl } from "./policy.js"
import type { PoolsImpl } from "./pools.js"
import { pwqDecNrInFlight, type PoolWorkqueueImpl } from "./pwq.js"
import { BarrierImpl, colorOf, effectOf, WORK_LINKED, WORK_RUNNING_MASK, WORK_RUNNING_ONE, type WorkImpl } from "./work.js"

/** @internal where a worker is waiting, for flush deadlock detection */
export type WaitTarget =
  | { readonly _tag: "Flush"; readonly wq: PoolWorkqueueImpl["wq"]; readonly color: number }
  | { readonly _tag: "FlushWork"; readonly barrier: BarrierImpl }

/** @internal kernel `struct worker`; the node links it on its pool's idle list */
export class WorkerImpl extends List.ListNode {
  flags = Flags.WORKER_PREP // P: WORKER_* bits; a new worker starts in PREP
  sleeping = false // W: blocked on async and taken out of nrRunning by workerSleeping
  currentWork: WorkImpl | null = null // P: the item being run
  currentPwq: PoolWorkqueueImpl | null = null // P: its pwq
  currentData = 0 // P: its data word when it started (color, INACTIVE)
  currentColor = -1 // P: its flush color, -1 when idle
  currentAt = 0 // W: platform millis when it last started running (CPU-hog detection)
  readonly scheduled = List.makeList() // P: items assigned to this worker, run front to back
  lastActive = 0 // P: clock millis when it last went idle
  woken = false // P: a wakeup is pending (set by kickPool, consumed by the worker)
  resume: ((effect: Effect.Effect<void>) => void) | null = null // P: resumes the worker while it waits for a wakeup
  fiber: Fiber.RuntimeFiber<void> | null = null // I after start
  nonBlocking = 0 // W: > 0 while a suspension must not count as sleeping (fairness yield, simulated CPU)
  waitingOn: WaitTarget | null = null // W: the flush this worker is blocked in, if any
  fetched = false // W: the first item of the current batch has been taken (kernel's do/while)
  bhRestarts = 0 // W: BH pseudo-worker: items left in this softirq round (kernel BH_WORKER_RESTARTS)
  bhEnd = 0 // W: BH pseudo-worker: platform millis when this round's budget ends (kernel BH_WORKER_JIFFIES)
  rescueWq: PoolWorkqueueImpl["wq"] | null = null // I: the workqueue this worker rescues (rescuers only)
  // W: continuations, allocated once per worker so that running an item allocates nothing of ours
  readonly onSuccess: () => Effect.Effect<void>
  readonly onFailure: (cause: Cause.Cause<unknown>) => Effect.Effect<void>
  readonly nextThunk: () => Effect.Effect<void>
  readonly wokeUpThunk: () => Effect.Effect<void>
  readonly recheckThunk: () => Effect.Effect<void>

  constructor(readonly id: number, public pool: WorkerPoolImpl) {
    super()
    this.onSuccess = () => {
      const now = this.pool.pools.platform.now()
      finishWork(this, now)
      return pauseAfterWork(this, now) ?? nextWork(this)
    }
    this.onFailure = (cause) => {
      const work = this.currentWork!
      const pwq = this.currentPwq!
      const now = this.pool.pools.platform.now()
      finishWork(this, now)
      reportFailure(this.pool.pools, pwq, work, cause)
      return pauseAfterWork(this, now) ?? nextWork(this)
    }
    this.nextThunk = () => nextWork(this)
    this.wokeUpThunk = () => wokeUp(this)
    this.recheckThunk = () => recheck(this)
  }

  /** kernel worker names: `kworker/<cpu>:<id>[H]`, `kworker/u<pool>:<id>`, `kworker/R-<wq>` */
  get name(): string {
    if (this.rescueWq !== null) return `kworker/R-${this.rescueWq.name}`
    const pool = this.pool
    if (pool.cpu >= 0) return `kworker/${pool.cpu}:${this.id}${pool.highpri ? "H" : ""}`
    return `kworker/u${pool.id}:${this.id}`
  }
}

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
  managerActive = false // P: kernel POOL_MANAGER_ACTIVE
  manager: WorkerImpl | null = null // P: informational
  idleTimer: { readonly cancel: () => void } | null = null // P: kernel idle_timer
  maydayTimer: { readonly cancel: () => void } | null = null // P: kernel mayday_timer
  progress = 0 // P: bumped whenever the pool makes progress (the watchdog samples it)
  refcnt = 1 // P: unbound pools are shared by attributes and released at 0
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
// Policy predicates (kernel §4.1), all through the policy seam
// -----------------------------------------------------------------------------

/** @internal a BH pool's rules: the kernel's, with the one pseudo worker never asking for a spare */
const bhPolicy: PolicyImpl = { ...kernelPolicy, name: "bh", mayStartWorking: () => true }

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
// Worker flags and the scheduler hooks (kernel §4.7)
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
 * @internal kernel `wq_worker_sleeping`: a busy worker blocked on async. If it
 * was the last running worker and work is pending, another worker is woken.
 * CONTEXT: called by the blocking detector when the worker's fiber suspends.
 */
export const workerSleeping = (worker: WorkerImpl): void => {
  if ((worker.flags & Flags.WORKER_NOT_RUNNING) !== 0 || worker.sleeping) return
  worker.sleeping = true
  const pool = worker.pool
  pool.nrRunning--
  const pwq = worker.currentPwq
  if (pwq !== null) pwq.stats.cpuTimeMs += pool.pools.platform.now() - worker.currentAt
  if (kickPool(pool) && pwq !== null) pwq.stats.cmWakeup++
}

/**
 * @internal kernel `wq_worker_running`: the worker runs again after blocking.
 * CONTEXT: called by the blocking detector when the worker's fiber resumes.
 */
export const workerRunning = (worker: WorkerImpl): void => {
  if (!worker.sleeping) return
  if ((worker.flags & Flags.WORKER_NOT_RUNNING) === 0) worker.pool.nrRunning++
  worker.currentAt = worker.pool.pools.platform.now()
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
  pools.emit(PoolEvent.CpuHog({
    pool: worker.pool.name,
    workqueue: pwq.wq.name,
    work: workName(worker.currentWork!),
    millis: held
  }))
  if (kickPool(worker.pool)) pwq.stats.cmWakeup++
}

// -----------------------------------------------------------------------------
// Waking, idling, creating and reaping workers (kernel §4.4, §4.9)
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
 * @internal kernel `kick_pool`: wake the most recently idled worker if the pool
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

/**
 * @internal kernel `create_worker`: a new worker joins the pool idle and is
 * woken at once (it finds nothing to do unless the pool still needs it).
 */
export const createWorker = (pool: WorkerPoolImpl): WorkerImpl => {
  const pools = pool.pools
  const worker = new WorkerImpl(pools.nextWorkerId++, pool)
  if (pool.disassociated) worker.flags |= Flags.WORKER_UNBOUND
  pool.nrWorkers++
  pool.workers.add(worker)
  enterIdle(worker)
  worker.woken = true
  pools.startWorkerFiber(worker, workerMain(worker))
  return worker
}

/**
 * @internal kernel `maybe_create_worker`, run by the manager: create workers
 * until the pool has a spare idle one. Worker creation goes through the
 * pools' `WorkerFactory`, which may fail or stall (memory pressure in tests);
 * while it does, the mayday timer calls rescuers for help.
 */
const maybeCreateWorker = (pool: WorkerPoolImpl): Effect.Effect<void> =>
  Effect.suspend(() => {
    const pools = pool.pools
    armMaydayTimer(pool, pools.config.maydayInitialTimeoutMs)
    const attempt: Effect.Effect<void> = Effect.flatMap(pools.factory(pool), (ok) => {
      if (ok || !needToCreateWorker(pool)) return Effect.void
      return Effect.flatMap(pools.sleep(pools.config.createCooldownMs), () =>
        needToCreateWorker(pool) ? attempt : Effect.void)
    })
    return Effect.flatMap(attempt, () => {
      disarmMaydayTimer(pool)
      // the new worker may already be busy: start over if still needed
      return needToCreateWorker(pool) ? maybeCreateWorker(pool) : Effect.void
    })
  })

/** @internal kernel `manage_workers`: at most one manager per pool */
const manageWorkers = (worker: WorkerImpl): Effect.Effect<boolean> =>
  Effect.suspend(() => {
    const pool = worker.pool
    if (pool.managerActive) return Effect.succeed(false)
    pool.managerActive = true
    pool.manager = worker
    return maybeCreateWorker(pool).pipe(
      Effect.ensuring(Effect.sync(() => {
        pool.manager = null
        pool.managerActive = false
      })),
      Effect.as(true)
    )
  })

const armIdleTimer = (pool: WorkerPoolImpl, delayMs: number): void => {
  pool.idleTimer = pool.pools.timer(delayMs, () => {
    pool.idleTimer = null
    idleWorkerTimeout(pool)
  })
}

/**
 * @internal kernel `idle_worker_timeout` + `idle_cull_fn`: reap the oldest idle
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

const armMaydayTimer = (pool: WorkerPoolImpl, delayMs: number): void => {
  disarmMaydayTimer(pool)
  pool.maydayTimer = pool.pools.timer(delayMs, () => {
    pool.maydayTimer = null
    pool.pools.maydayTimeout(pool)
    armMaydayTimer(pool, pool.pools.config.maydayIntervalMs)
  })
}

const disarmMaydayTimer = (pool: WorkerPoolImpl): void => {
  if (pool.maydayTimer !== null) {
    pool.maydayTimer.cancel()
    pool.maydayTimer = null
  }
}

// -----------------------------------------------------------------------------
// Assigning and running items (kernel §4.5, §4.6)
// -----------------------------------------------------------------------------

/**
 * @internal kernel `move_linked_works`: move `work` and the run of items
 * LINKED behind it to the tail of `head`.
 */
export const moveLinkedWorks = (work: WorkImpl, head: List.ListNode): void => {
  let node: WorkImpl = work
  for (;;) {
    const next = node.next as WorkImpl
    List.remove(node)
    List.addTail(node, head)
    if ((node.data & WORK_LINKED) === 0) return
    node = next
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
  return undefined
}

/** @internal the workers of `pool` running an item now */
export const busyWorkers = (pool: WorkerPoolImpl): Array<WorkerImpl> => {
  const out: Array<WorkerImpl> = []
  for (const worker of pool.workers) if (worker.currentWork !== null) out.push(worker)
  for (const worker of pool.rescuers) if (worker.currentWork !== null) out.push(worker)
  return out
}

/**
 * @internal kernel `assign_work`: give `work` (and its linked barriers) to
 * `worker`, unless another worker of the pool is already running it, in which
 * case it goes to that worker's scheduled list (non-reentrancy).
 */
export const assignWork = (work: WorkImpl, worker: WorkerImpl): boolean => {
  const collision = findWorkerExecutingWork(worker.pool, work)
  if (collision !== undefined) {
    moveLinkedWorks(work, collision.scheduled)
    return false
  }
  moveLinkedWorks(work, worker.scheduled)
  return true
}

/** @internal kernel `process_one_work`, the part before the item's function runs */
export const startWork = (worker: WorkerImpl, work: WorkImpl): void => {
  const pool = worker.pool
  const pwq = work.link as PoolWorkqueueImpl
  const data = work.data
  worker.currentWork = work
  worker.currentPwq = pwq
  worker.currentData = data
  worker.currentColor = colorOf(data)
  worker.currentAt = pool.pools.platform.now()
  List.remove(work)
  if ((pwq.wq.flags & Flags.WQ_CPU_INTENSIVE) !== 0) setFlags(worker, Flags.WORKER_CPU_INTENSIVE)
  // a no-op for bound pools (nrRunning >= 1 here); chains NOT_RUNNING workers
  kickPool(pool)
  // record the last pool and clear PENDING: the last change made to the item
  // (a queued item has disable depth 0: off queue, only its RUNNING count remains)
  work.link = pool
  work.data = (data & WORK_RUNNING_MASK) + WORK_RUNNING_ONE
  pwq.stats.started++
  pool.progress++
  const wq = pwq.wq
  if (++wq.running > wq.peakRunning) wq.peakRunning = wq.running
}

/**
 * @internal kernel `process_one_work`, the part after the item's function
 * returned. `now` is the platform time (one read per item serves the CPU-time
 * count and the fairness check).
 */
export const finishWork = (worker: WorkerImpl, now: number = worker.pool.pools.platform.now()): void => {
  const pwq = worker.currentPwq!
  const work = worker.currentWork!
  pwq.stats.completed++
  pwq.stats.cpuTimeMs += now - worker.currentAt
  pwq.wq.running--
  clearFlags(worker, Flags.WORKER_CPU_INTENSIVE)
  work.data -= WORK_RUNNING_ONE
  worker.currentWork = null
  worker.currentPwq = null
  worker.currentColor = -1
  // must be the last step
  pwqDecNrInFlight(pwq, worker.currentData)
}

/** @internal count, log and report a failed item */
export const reportFailure = (
  pools: PoolsImpl,
  pwq: PoolWorkqueueImpl,
  work: WorkImpl,
  cause: Cause.Cause<unknown>
): void => {
  pwq.stats.failed++
  pools.reportFailure(pwq.wq.name, workName(work), cause)
}

/** @internal */
export const workName = (work: WorkImpl): string =>
  work instanceof BarrierImpl ? "flush barrier" : (work.name ?? "anonymous work")

/**
 * @internal after an item, before the next: let the CPU's high-priority pool
 * go first if it has work, and hand the JS thread back to the event loop if
 * the fairness budget is spent (neither is a block: the worker stays
 * running). Returns the pause, or null to go straight on.
 */
const pauseAfterWork = (worker: WorkerImpl, now: number): Effect.Effect<void> | null => {
  const pool = worker.pool
  const pools = pool.pools
  // fairness first: once the budget is spent every worker hands the thread back, in
  // turn, so a high-priority worker parked in the event loop is not overtaken by a
  // normal one that only yields to Effect's scheduler
  if (pools.fairnessDue(now)) return Effect.flatMap(pools.yieldToEventLoop(worker), worker.nextThunk)
  // HIGHPRI: the CPU's high-priority pool is served first whenever both have runnable
  // work. One yield per item: the high-priority worker runs its items back to back, but
  // one that is runnable without being scheduled (waiting for a simulated CPU) must not
  // make this worker spin
  if (pool.cpu >= 0 && !pool.highpri && !pool.bh && highpriWaiting(pools.cpuPools[pool.cpu][1])) {
    return Effect.flatMap(Effect.yieldNow(), worker.nextThunk)
  }
  return null
}

/**
 * @internal does a high-priority pool have work and a worker that will run it
 * (one running, or one woken)? If none can (all blocked, no worker can be
 * created), the normal pool goes on rather than spin.
 */
const highpriWaiting = (pool: WorkerPoolImpl): boolean => {
  if (List.isEmpty(pool.worklist)) return false
  if (pool.nrRunning > 0) return true
  const idle = List.first<WorkerImpl>(pool.idleList)
  return idle !== null && idle.woken
}

/**
 * @internal the kernel's `do { assign_work; process_scheduled_works } while
 * (keep_working)`, one item at a time: returns the effect that runs the next
 * item, or puts the worker to sleep.
 */
const nextWork = (worker: WorkerImpl): Effect.Effect<void> => {
  const pool = worker.pool
  const pools = pool.pools
  for (;;) {
    let work = List.first<WorkImpl>(worker.scheduled)
    if (work === null) {
      if (worker.fetched && !pool.policy.keepWorking(pool)) break
      // kernel bh_worker: a softirq round ends after BH_WORKER_RESTARTS items or BH_WORKER_JIFFIES
      if (pool.bh && worker.fetched && (--worker.bhRestarts <= 0 || pools.platform.now() >= worker.bhEnd)) break
      worker.fetched = true
      const head = pool.policy.selectNext(pool)
      if (head === null) break
      if ((head.data & (WORK_LINKED | WORK_RUNNING_MASK)) !== 0) {
        assignWork(head, worker)
        continue
      }
      // fast path of assign_work + process_scheduled_works: an item with no linked
      // barrier that no worker of the pool is running starts straight from the worklist
      work = head
    }
    startWork(worker, work)
    if (pool.bh) return Effect.matchCauseEffect(runBhItem(worker, work), worker)
    const thunk = syncThunkOf(work.effect)
    if (thunk === null) return Effect.matchCauseEffect(work.effect as Effect.Effect<unknown, unknown>, worker)
    // a synchronous item runs right here (see fastpath.ts)
    let threw = false
    let error: unknown
    try {
      thunk()
    } catch (e) {
      threw = true
      error = e
    }
    const now = pools.platform.now()
    if (threw) {
      const pwq = worker.currentPwq!
      finishWork(worker, now)
      reportFailure(pools, pwq, work, Cause.die(error))
    } else {
      finishWork(worker, now)
    }
    const pause = pauseAfterWork(worker, now)
    if (pause !== null) return pause
  }
  setFlags(worker, Flags.WORKER_PREP)
  return goIdle(worker)
}

/** @internal kernel `worker_thread`'s `sleep:` label (and `bh_worker`'s `done:`) */
const goIdle = (worker: WorkerImpl): Effect.Effect<void> => {
  enterIdle(worker)
  if (worker.pool.bh && kickPool(worker.pool)) {
    // work remains after a softirq round: raise it again, after letting others run
    return Effect.flatMap(Effect.yieldNow(), worker.wokeUpThunk)
  }
  return wokeUp(worker)
}

/** @internal wait until `wake` (at once if a wakeup is pending) */
export const waitForWakeup = (worker: WorkerImpl): Effect.Effect<void> =>
  Effect.async<void>((resume) => {
    if (worker.woken) resume(Effect.void)
    else worker.resume = resume
  })

/** @internal kernel `worker_thread`'s `woke_up:` label */
const wokeUp = (worker: WorkerImpl): Effect.Effect<void> => {
  if (!worker.woken) return Effect.flatMap(waitForWakeup(worker), worker.wokeUpThunk)
  worker.woken = false
  if ((worker.flags & Flags.WORKER_DIE) !== 0) return Effect.void
  leaveIdle(worker)
  return recheck(worker)
}

/** @internal kernel `worker_thread`'s `recheck:` label */
const recheck = (worker: WorkerImpl): Effect.Effect<void> => {
  const pool = worker.pool
  if (!pool.policy.needMoreWorker(pool)) return goIdle(worker)
  if (!pool.policy.mayStartWorking(pool) && !pool.managerActive) {
    return Effect.flatMap(manageWorkers(worker), worker.recheckThunk)
  }
  clearFlags(worker, Flags.WORKER_PREP | Flags.WORKER_REBOUND)
  worker.fetched = false
  pool.progress++
  if (pool.bh) {
    worker.bhRestarts = pool.pools.config.bhRestarts
    worker.bhEnd = pool.pools.platform.now() + pool.pools.config.bhBudgetMs
  }
  return nextWork(worker)
}

/**
 * @internal a BH item runs synchronously to completion, as in softirq context.
 * One that suspends on async would hang its CPU's BH pool: it is stopped and
 * reported as a typed defect (`BhWorkBlocked`), and the pool carries on.
 */
const runBhItem = (worker: WorkerImpl, work: WorkImpl): Effect.Effect<unknown, unknown> =>
  Effect.suspend(() => {
    const pools = worker.pool.pools
    const previous = bhContext.worker
    bhContext.worker = worker
    let exit: Exit.Exit<unknown, unknown>
    try {
      exit = Runtime.runSyncExit(pools.runtime)(effectOf(work))
    } finally {
      bhContext.worker = previous
    }
    if (Exit.isFailure(exit)) {
      const defect = Cause.dieOption(exit.cause)
      if (Option.isSome(defect) && Runtime.isAsyncFiberException(defect.value)) {
        defect.value.fiber.unsafeInterruptAsFork(defect.value.fiber.id())
        return Effect.die(
          new BhWorkBlocked({ workqueue: worker.currentPwq!.wq.name, work: workName(work) })
        )
      }
    }
    return exit
  })

/** @internal the whole life of a worker fiber */
export const workerMain = (worker: WorkerImpl): Effect.Effect<void> =>
  Effect.suspend(() => wokeUp(worker)).pipe(
    Effect.onExit((exit) => Effect.sync(() => workerExited(worker, exit._tag === "Failure" ? exit.cause : null)))
  )

/**
 * @internal a worker fiber ended. A culled worker just leaves; a worker whose
 * fiber was interrupted or died while the pools are alive (which the kernel
 * never sees) is retired cleanly: its item is accounted as failed, its
 * scheduled items go back to the pool, and the pool is kicked so that nothing
 * queued is lost.
 */
const workerExited = (worker: WorkerImpl, cause: Cause.Cause<unknown> | null): void => {
  const pool = worker.pool
  const pools = pool.pools
  if ((worker.flags & Flags.WORKER_DIE) !== 0 || pools.shuttingDown) return
  pool.workers.delete(worker)
  pool.nrWorkers--
  if ((worker.flags & Flags.WORKER_IDLE) !== 0) {
    leaveIdle(worker)
  } else if ((worker.flags & Flags.WORKER_NOT_RUNNING) === 0 && !worker.sleeping) {
    pool.nrRunning--
  }
  worker.flags |= Flags.WORKER_DIE
  if (worker.currentWork !== null) {
    const work = worker.currentWork
    const pwq = worker.currentPwq!
    worker.flags |= Flags.WORKER_PREP // keep finishWork's flag bookkeeping from touching nrRunning again
    finishWork(worker)
    reportFailure(pools, pwq, work, cause ?? Cause.interrupt(worker.fiber!.id()))
  }
  if (pool.managerActive && pool.manager === worker) {
    pool.managerActive = false
    pool.manager = null
  }
  // hand back what was assigned to this worker, in order, at the head of the worklist
  for (let work = List.last<WorkImpl>(worker.scheduled); work !== null; work = List.last<WorkImpl>(worker.scheduled)) {
    List.remove(work)
    List.insertAfter(work, pool.worklist)
  }
  if (pool.nrIdle === 0) createWorker(pool)
  kickPool(pool)
}
