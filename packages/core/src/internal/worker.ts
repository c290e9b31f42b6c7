/**
 * Workers: the kernel's `worker`, `worker_thread`, `process_one_work`,
 * `create_worker` and `manage_workers`, and the BH pseudo worker
 * (`bh_worker`). A worker is a fiber that serves one pool; this module is its
 * whole life, read top to bottom: woken (`wokeUp`), it re-checks
 * (`recheck`), takes items one after another (`nextWork` → `startWork` →
 * the item's effect → `finishWork`), and goes idle (`goIdle`).
 *
 * Protocol: PROTOCOLS.md Q5–Q8 (run and retire) and CM1–CM4 (concurrency
 * management). Field legend: README.md (I, P, W).
 *
 * Invariants:
 * - a worker runs at most one item at a time (`currentWork`), and an item
 *   found running on another worker of the pool goes to that worker's
 *   `scheduled` list instead (non-reentrancy, Q6);
 * - PENDING is cleared in `startWork`, as the last change made to the item
 *   before its effect runs (Q5), so the item may queue itself;
 * - `finishWork`'s retirement (`pwqDecNrInFlight`) is its last step (Q8);
 * - an item that runs away (`runAway`: a task sent to another thread) is
 *   started on a carrier, a fiberless worker record in `pool.away`, so it
 *   stays running for non-reentrancy, flush colors and max_active until
 *   `finishAway` retires it; the worker that started it goes straight on;
 * - a worker fiber that dies or is interrupted while the pools are alive is
 *   retired cleanly: its item counts as failed, its scheduled items go back
 *   to the pool, and the pool is kicked, so nothing queued is lost.
 *
 * @internal
 */
import * as Cause from "effect/Cause"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import type * as Fiber from "effect/Fiber"
import type * as FiberRefs from "effect/FiberRefs"
import * as LogLevel from "effect/LogLevel"
import type * as MetricLabel from "effect/MetricLabel"
import * as Option from "effect/Option"
import * as Runtime from "effect/Runtime"
import type { Flusher } from "./color.js"
import { bhContext } from "./current.js"
import { BhWorkBlocked } from "./errors.js"
import { syncThunkOf } from "./fastpath.js"
import * as Flags from "./flags.js"
import { type Captured, type RefsCache, restoreRefs, wrap } from "./item.js"
import * as List from "./list.js"
import {
  armMaydayTimer,
  clearFlags,
  disarmMaydayTimer,
  enterIdle,
  findWorkerExecutingWork,
  kickPool,
  leaveIdle,
  needToCreateWorker,
  setFlags,
  type WorkerPoolImpl
} from "./pool.js"
import type { PoolsImpl } from "./pools.js"
import { pwqDecNrInFlight, type PoolWorkqueueImpl } from "./pwq.js"
import {
  type BarrierImpl,
  colorOf,
  effectOf,
  failureHandedBack,
  moveLinkedWorks,
  thenableDefect,
  WORK_INACTIVE,
  WORK_LINKED,
  WORK_RUNNING_MASK,
  WORK_RUNNING_ONE,
  type WorkImpl,
  workName
} from "./work.js"

/** @internal where a worker is waiting, for flush deadlock detection */
export type WaitTarget =
  | { readonly _tag: "Flush"; readonly wq: PoolWorkqueueImpl["wq"]; readonly flusher: Flusher }
  | { readonly _tag: "FlushWork"; readonly barrier: BarrierImpl }

/** @internal kernel `struct worker`; the node links it on its pool's idle list */
export class WorkerImpl extends List.ListNode {
  flags = Flags.WORKER_PREP // P: WORKER_* bits; a new worker starts in PREP
  sleeping = false // W: blocked on async and taken out of nrRunning by workerSleeping
  sleepSeq = 0 // W: counts the worker's sleeps, so that a deferred kick (CM1a) knows whether it still sleeps in the same wait
  currentWork: WorkImpl | null = null // P: the item being run
  currentPwq: PoolWorkqueueImpl | null = null // P: its pwq
  currentData = 0 // P: its data word when it started (color, INACTIVE)
  currentColor = -1 // P: its flush color, -1 when idle
  currentAt = 0 // W: platform millis when it last started running: the item's start or its last wakeup (CPU time, CPU-hog detection)
  startedAt = 0 // W: platform millis when the current item started (its run time, stragglers, `Work.explain`)
  offCpu = false // W: the current item is blocked on async; its CPU time is stopped (every pool kind, not only CM)
  blockedAt = -1 // W: platform millis when its fiber last blocked on async, -1 while not blocked (set by the detector)
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
  savedRefs: FiberRefs.FiberRefs | null = null // W: the worker fiber's own FiberRefs while an item runs with its caller's (Q6a)
  refsCache: RefsCache | null = null // W: item.ts's last item FiberRefs
  durationTags: ReadonlyArray<MetricLabel.MetricLabel> | null = null // W: the running item's histogram attributes, when recorded
  // W: continuations, allocated once per worker so that running an item allocates nothing of ours
  readonly onSuccess: () => Effect.Effect<void>
  readonly onFailure: (cause: Cause.Cause<unknown>) => Effect.Effect<void>
  readonly nextThunk: () => Effect.Effect<void>
  readonly wokeUpThunk: () => Effect.Effect<void>
  readonly recheckThunk: () => Effect.Effect<void>

  constructor(readonly id: number, public pool: WorkerPoolImpl) {
    super()
    this.onSuccess = () => {
      restoreRefs(this)
      const now = this.pool.pools.platform.now()
      finishWork(this, now)
      return pauseAfterWork(this, now) ?? nextWork(this, now)
    }
    this.onFailure = (cause) => {
      restoreRefs(this)
      const work = this.currentWork!
      const pwq = this.currentPwq!
      const now = this.pool.pools.platform.now()
      finishWork(this, now)
      reportFailure(this.pool.pools, pwq, work, cause)
      return pauseAfterWork(this, now) ?? nextWork(this, now)
    }
    this.nextThunk = () => nextWork(this)
    this.wokeUpThunk = () => wokeUp(this)
    this.recheckThunk = () => recheck(this)
  }

  /** kernel worker names: `kworker/<cpu>:<id>[H]`, `kworker/u<pool>:<id>`, `kworker/R-<wq>` */
  get name(): string {
    if (this.rescueWq !== null) return `kworker/R-${this.rescueWq.name}`
    const pool = this.pool
    // a carrier (`runAway`): no worker, an item in flight elsewhere
    if (this.id < 0) return pool.cpu >= 0 ? `away/${pool.cpu}${pool.highpri ? "H" : ""}` : `away/u${pool.id}`
    if (pool.cpu >= 0) return `kworker/${pool.cpu}:${this.id}${pool.highpri ? "H" : ""}`
    return `kworker/u${pool.id}:${this.id}`
  }
}

// -----------------------------------------------------------------------------
// Creating workers (kernel create_worker, maybe_create_worker, manage_workers)
// -----------------------------------------------------------------------------

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
      // for `Work.explain`: since when creation has been failing (-1: it is not)
      if (ok) pool.createFailingSince = -1
      else if (pool.createFailingSince < 0) pool.createFailingSince = pools.clockNow()
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

/** @internal CM3, kernel `manage_workers`: at most one manager per pool */
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

// -----------------------------------------------------------------------------
// Assigning and running items (PROTOCOLS.md Q5–Q8)
// -----------------------------------------------------------------------------

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

/**
 * @internal Q5, kernel `process_one_work`: the part before the item's
 * function runs. `now` is the platform time; `nextWork` passes the time it
 * read when the item before ended, in the same synchronous stretch, so a
 * batch of synchronous items reads the clock once per item, not twice.
 */
export const startWork = (
  worker: WorkerImpl,
  work: WorkImpl,
  now: number = worker.pool.pools.platform.now()
): void => {
  const pool = worker.pool
  const pwq = work.link as PoolWorkqueueImpl
  const data = work.data
  worker.currentWork = work
  worker.currentPwq = pwq
  worker.currentData = data
  worker.currentColor = colorOf(data)
  worker.currentAt = worker.startedAt = now
  worker.offCpu = false
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
  // kernel trace_workqueue_execute_start
  if (pool.pools.recorder !== null) pool.pools.recorder.worker(worker.currentAt, "start", worker)
}

/**
 * @internal kernel `process_one_work`, the part after the item's function
 * returned. `now` is the platform time (one read per item serves the CPU-time
 * count and the fairness check).
 */
export const finishWork = (worker: WorkerImpl, now: number = worker.pool.pools.platform.now()): void => {
  const pwq = worker.currentPwq!
  const work = worker.currentWork!
  // kernel trace_workqueue_execute_end
  if (worker.pool.pools.recorder !== null) worker.pool.pools.recorder.worker(now, "finish", worker)
  pwq.stats.completed++
  // blocked time never counts: an item that ends while blocked (interrupted) stopped its clock when it blocked
  if (!worker.offCpu) pwq.stats.cpuTimeMs += now - worker.currentAt
  worker.offCpu = false
  pwq.wq.running--
  clearFlags(worker, Flags.WORKER_CPU_INTENSIVE)
  work.data -= WORK_RUNNING_ONE
  work.finishedAt = Math.floor(now) // whole millis: see `WorkImpl.finishedAt`
  worker.currentWork = null
  worker.currentPwq = null
  worker.currentColor = -1
  // Q8: must be the last step (then the workqueue's pending count, for maxPending;
  // a barrier, always INACTIVE, was never counted)
  pwqDecNrInFlight(pwq, worker.currentData)
  if ((worker.currentData & WORK_INACTIVE) === 0) pwq.wq.itemLeft()
}

/** @internal count, log and report a failed item */
export const reportFailure = (
  pools: PoolsImpl,
  pwq: PoolWorkqueueImpl,
  work: WorkImpl,
  cause: Cause.Cause<unknown>
): void => {
  pwq.stats.failed++
  pwq.wq.itemFailed(work, cause)
  // a failure a waiting caller got (run, submit, runAll) is not logged as well
  pools.reportFailure(
    pwq.wq.name,
    workName(work),
    cause,
    failureHandedBack.has(work) ? LogLevel.None : pwq.wq.failureLogLevel
  )
}

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
  if (pool.cpu >= 0 && !pool.highpri && !pool.bh && highpriWaiting(pools.cpuPools[pool.cpu]![1]!)) {
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
 * item, or puts the worker to sleep. `ended` is the platform time the item
 * before ended, read by whoever finished it (-1: read the clock): one read
 * serves both its finish and the next item's start.
 */
const nextWork = (worker: WorkerImpl, ended = -1): Effect.Effect<void> => {
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
    if (work.runsAway && !pool.bh) {
      runAway(worker, work as AwayWork)
      const pause = pauseAfterWork(worker, pools.platform.now())
      if (pause !== null) return pause
      continue
    }
    if (ended < 0) startWork(worker, work)
    else startWork(worker, work, ended)
    if (pool.bh) {
      // BH items run synchronously in a fiber of their own, with the recorded context (Q6a)
      const ctx = work.ctx
      work.ctx = null
      return Effect.matchCauseEffect(runBhItem(worker, work, ctx), worker)
    }
    // Q6a: what the queue call captured, taken before the body runs (it may queue itself again)
    const ctx = work.ctx
    const thunk = ctx === null && !pools.tracing ? syncThunkOf(work.effect) : null
    if (thunk === null) {
      work.ctx = null
      return Effect.matchCauseEffect(wrap(worker, work, effectOf(work), ctx, pools.histograms), worker)
    }
    // a synchronous item runs right here (see fastpath.ts)
    let threw = false
    let error: unknown
    try {
      const result = thunk()
      // a Work.sync function that returned a promise: a defect (its result is never awaited)
      if (result !== undefined && typeof work.effect === "function") {
        const defect = thenableDefect(work, result)
        if (defect !== null) {
          threw = true
          error = defect
        }
      }
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
    ended = now
  }
  setFlags(worker, Flags.WORKER_PREP)
  return goIdle(worker)
}

// -----------------------------------------------------------------------------
// Items that run away from their worker (tasks on other threads)
// -----------------------------------------------------------------------------

/**
 * @internal an item whose run happens elsewhere (a task sent to another
 * thread): `sendAway` hands it on and returns; whoever runs it calls
 * `finishAway(carrier, ...)` once, when it ends (possibly inside `sendAway`).
 */
export interface AwayWork extends WorkImpl {
  readonly sendAway: (carrier: WorkerImpl) => void
}

/** carriers not in use (any pool's: a carrier takes the pool of the item it carries) */
const freeCarriers: Array<WorkerImpl> = []

/**
 * @internal start `work` on a carrier instead of `worker`: the kernel's view
 * of an item in flight on its pwq (counted in nr_active and its flush color,
 * found by `findWorkerExecutingWork`) with no worker held while it is away.
 * Measured on bench case 7: a sleeping worker fiber per in-flight task was
 * most of the queueing side's cost per tiny task.
 */
const runAway = (worker: WorkerImpl, work: AwayWork): void => {
  const pool = worker.pool
  let carrier = freeCarriers.pop()
  if (carrier === undefined) carrier = new WorkerImpl(-1, pool)
  else carrier.pool = pool
  // NOT_RUNNING (PREP) for good: a carrier never counts in nrRunning, and no flag change moves it
  carrier.flags = Flags.WORKER_PREP
  pool.away.add(carrier)
  startWork(carrier, work)
  // what the carrier holds is not main-thread CPU time
  carrier.offCpu = true
  work.ctx = null
  work.sendAway(carrier)
}

/**
 * @internal the run of the item on `carrier` ended (`cause`: its failure, or
 * null). Q8 as for any item, then what was assigned to the carrier meanwhile
 * (a requeue of the item, a flush barrier) goes to the head of the worklist,
 * in order, for the pool's workers.
 */
export const finishAway = (carrier: WorkerImpl, cause: Cause.Cause<unknown> | null): void => {
  const pool = carrier.pool
  const pools = pool.pools
  if (!pool.away.delete(carrier)) return
  if (pools.shuttingDown) return
  const work = carrier.currentWork!
  const pwq = carrier.currentPwq!
  finishWork(carrier)
  if (cause !== null) reportFailure(pools, pwq, work, cause)
  for (let w = List.last<WorkImpl>(carrier.scheduled); w !== null; w = List.last<WorkImpl>(carrier.scheduled)) {
    List.remove(w)
    List.insertAfter(w, pool.worklist)
  }
  // no worker goes on from here (Q8 may have activated an item): wake one if the pool needs it
  kickPool(pool)
  freeCarriers.push(carrier)
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

/** @internal Q5, kernel `worker_thread`'s `recheck:` label */
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
const runBhItem = (worker: WorkerImpl, work: WorkImpl, ctx: Captured | null): Effect.Effect<unknown, unknown> =>
  Effect.suspend(() => {
    const pools = worker.pool.pools
    const previous = bhContext.worker
    bhContext.worker = worker
    let exit: Exit.Exit<unknown, unknown>
    try {
      exit = Runtime.runSyncExit(pools.runtime)(wrap(worker, work, effectOf(work), ctx, pools.histograms, false))
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
