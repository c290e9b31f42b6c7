/**
 * Flushing: waiting for a whole workqueue (kernel `__flush_workqueue`, on
 * the color state machine of `color.ts`), for single items (kernel
 * `flush_work`: barriers), drain, and the deadlock checks that turn a flush
 * that could never return into a typed error.
 *
 * Protocols: PROTOCOLS.md F1–F5 (flush colors), B1–B4 (barriers), D1–D3
 * (drain).
 *
 * Running the cascade at completion time (not in the first flusher's fiber)
 * keeps flushes correct when a waiting flusher is interrupted: the flusher
 * stays in line and is completed with nobody waiting (F5).
 *
 * @internal
 */
import * as Effect from "effect/Effect"
import { type Flusher, startFlush } from "./color.js"
import { WORK_NR_COLORS } from "./constants.js"
import * as Errors from "./errors.js"
import * as Flags from "./flags.js"
import * as List from "./list.js"
import { busyWorkers, findWorkerExecutingWork, type WorkerPoolImpl } from "./pool.js"
import { getPwq, type PoolWorkqueueImpl, workqueueIsEmpty } from "./pwq.js"
import {
  BarrierImpl,
  colorOf,
  WORK_COLOR_SHIFT,
  WORK_INACTIVE,
  WORK_LINKED,
  WORK_PENDING,
  WORK_PWQ,
  WORK_RUNNING_MASK,
  type WorkImpl,
  workName
} from "./work.js"
import type { WaitTarget, WorkerImpl } from "./worker.js"
import type { WorkqueueImpl } from "./workqueue.js"
import { recordItemWait, recordWait } from "./lockdep.js"
import { mutants } from "./mutants.js"

/** @internal wait for a flusher; interruption leaves it in line, unwaited */
export const awaitFlusher = (flusher: Flusher): Effect.Effect<void> =>
  flusher.done ? Effect.void : Effect.async<void>((resume) => {
    if (flusher.done) return resume(Effect.void)
    flusher.resume = () => resume(Effect.void)
    return Effect.sync(() => {
      flusher.resume = null
    })
  })

/** @internal mark `worker` as blocked in `target` while `effect` runs (for deadlock detection) */
export const waitingOn = <A, E>(
  worker: WorkerImpl | null,
  target: WaitTarget,
  effect: Effect.Effect<A, E>
): Effect.Effect<A, E> =>
  worker === null ? effect : Effect.suspend(() => {
    const previous = worker.waitingOn
    worker.waitingOn = target
    return Effect.ensuring(
      effect,
      Effect.sync(() => {
        worker.waitingOn = previous
      })
    )
  })

// -----------------------------------------------------------------------------
// Deadlock detection
// -----------------------------------------------------------------------------

/** @internal true iff `color` lies in the ring range from `from` to `to`, inclusive */
export const colorInRange = (color: number, from: number, to: number): boolean =>
  from <= to ? color >= from && color <= to : color >= from || color <= to

const busyWorkersOf = (wq: WorkqueueImpl): Array<WorkerImpl> => {
  const seen = new Set<WorkerPoolImpl>()
  const out: Array<WorkerImpl> = []
  for (const pwq of wq.pwqs) {
    if (seen.has(pwq.pool)) continue
    seen.add(pwq.pool)
    for (const worker of busyWorkers(pwq.pool)) if (worker.currentPwq?.wq === wq) out.push(worker)
  }
  if (wq.rescuer !== null && wq.rescuer.currentWork !== null) out.push(wq.rescuer)
  return out
}

/**
 * Does finishing `worker`'s current item require `caller`'s current item to
 * finish first? True if it is the caller, or if it is blocked in a flush whose
 * wait (transitively) includes the caller.
 */
const workerWaitsFor = (worker: WorkerImpl, caller: WorkerImpl, visited: Set<WorkerImpl>): boolean => {
  if (worker === caller) return true
  if (visited.has(worker)) return false
  visited.add(worker)
  return worker.waitingOn !== null && targetWaitsFor(worker.waitingOn, caller, visited)
}

/** @internal the color before `color` on the ring */
export const prevColor = (color: number): number => (color + WORK_NR_COLORS - 1) % WORK_NR_COLORS

/** @internal does a flush of `wq` up to color `upTo` wait (transitively) for `caller`'s current item? */
export const flushWaitsFor = (
  wq: WorkqueueImpl,
  upTo: number,
  caller: WorkerImpl,
  visited: Set<WorkerImpl>
): boolean => {
  for (const worker of busyWorkersOf(wq)) {
    if (colorInRange(worker.currentColor, wq.flushColor, upTo) && workerWaitsFor(worker, caller, visited)) return true
  }
  return false
}

/** does finishing the current instance of `work` wait (transitively) for `caller`'s current item? */
const workWaitsFor = (work: WorkImpl, caller: WorkerImpl, visited: Set<WorkerImpl>): boolean => {
  if ((work.data & WORK_PWQ) === 0) {
    const pool = work.link as WorkerPoolImpl | null
    const runner = pool === null ? undefined : findWorkerExecutingWork(pool, work)
    return runner !== undefined && workerWaitsFor(runner, caller, visited)
  }
  const pwq = work.link as PoolWorkqueueImpl
  // on some worker's scheduled list: it runs after that worker's current item
  for (const worker of busyWorkers(pwq.pool)) {
    for (let node = worker.scheduled.next; node !== worker.scheduled; node = node.next) {
      if (node === work) return workerWaitsFor(worker, caller, visited)
    }
  }
  // queued again while an earlier instance runs (the caller's own requeue included):
  // it cannot start before that run has ended (non-reentrancy, Q2/Q5, G4)
  const runner = findWorkerExecutingWork(pwq.pool, work)
  if (runner !== undefined && workerWaitsFor(runner, caller, new Set(visited))) return true
  // no worker will ever be free for it (a dedicated-pool policy's one worker)
  if (poolWaitsFor(pwq.pool, caller, visited)) return true
  if ((work.data & WORK_INACTIVE) !== 0 && !(work instanceof BarrierImpl)) {
    // held back by max_active: it needs a slot, and no slot frees if every active
    // item of its workqueue waits for the caller: running and waiting, or queued and
    // not able to start before the caller has finished (its requeued instance)
    const wq = pwq.wq
    const active = wq.nna !== null ? wq.nna.nr : pwq.nrActive
    let stuck = 0
    for (const worker of busyWorkersOf(wq)) {
      if ((wq.nna !== null || worker.currentPwq === pwq) && workerWaitsFor(worker, caller, new Set(visited))) stuck++
    }
    for (const queued of activeQueued(wq.nna !== null ? wq.pwqs : [pwq])) {
      if (workWaitsFor(queued, caller, new Set(visited))) stuck++
    }
    return active > 0 && stuck >= active
  }
  return false
}

/**
 * Does every worker `pool` could run a queued item on wait for `caller`? Only
 * when the pool has no idle worker and its policy will not create one
 * (`mayStartWorking` true with nothing idle: `Policy.legacy`, whose pools
 * keep the one worker per workqueue per CPU of the pre-cmwq design) and each
 * of its busy workers waits for the caller. Under the kernel's policy a pool
 * with no idle worker creates one (CM3), so this never holds.
 */
const poolWaitsFor = (pool: WorkerPoolImpl, caller: WorkerImpl, visited: Set<WorkerImpl>): boolean => {
  if (pool.nrIdle > 0 || !pool.policy.mayStartWorking(pool)) return false
  const busy = busyWorkers(pool)
  return busy.length > 0 && busy.every((worker) => workerWaitsFor(worker, caller, new Set(visited)))
}

/**
 * the active items of `pwqs` that are queued and not running yet (on a pool's
 * worklist or a worker's scheduled list): each holds an active slot
 */
const activeQueued = (pwqs: ReadonlyArray<PoolWorkqueueImpl>): Array<WorkImpl> => {
  const out: Array<WorkImpl> = []
  const mine = new Set(pwqs)
  const collect = (head: List.ListNode): void => {
    for (let node = head.next; node !== head; node = node.next) {
      const work = node as WorkImpl
      if (work instanceof BarrierImpl || (work.data & (WORK_PWQ | WORK_INACTIVE)) !== WORK_PWQ) continue
      if (mine.has(work.link as PoolWorkqueueImpl)) out.push(work)
    }
  }
  for (const pool of new Set(pwqs.map((pwq) => pwq.pool))) {
    collect(pool.worklist)
    for (const worker of busyWorkers(pool)) collect(worker.scheduled)
  }
  return out
}

/**
 * B3: does the wait `target` (transitively) wait for `caller`'s current item?
 * A wait that is already complete waits for nothing: its flusher or barrier
 * completed, and the waiting fiber has only not resumed yet. Following it
 * anyway would read a color range the cascade has already moved past (the
 * ring range from the new `flushColor` back to the old color wraps and
 * covers every color): a false FlushDeadlock.
 */
const targetWaitsFor = (target: WaitTarget, caller: WorkerImpl, visited: Set<WorkerImpl>): boolean => {
  if (target._tag === "FlushWork") {
    return !target.barrier.done && workWaitsFor(target.barrier.target, caller, visited)
  }
  const flusher = target.flusher
  if (flusher.done && !mutants.walkFinishedFlush) return false
  // an overflowed flusher has no color yet: it waits for every color in flight
  const upTo = flusher.color >= 0 ? flusher.color : prevColor(target.wq.workColor)
  return flushWaitsFor(target.wq, upTo, caller, visited)
}

/** @internal */
export const callerName = (caller: WorkerImpl): string =>
  `${workName(caller.currentWork!)} on ${caller.currentPwq!.wq.name}`

/**
 * @internal kernel `check_flush_dependency`: a WQ_MEM_RECLAIM (non-legacy)
 * item flushing a workqueue without WQ_MEM_RECLAIM breaks the forward-progress
 * guarantee. Reported as a warning event and a log line, as the kernel's
 * WARN_ONCE does (once per pair of workqueues), not as a failure: the flush
 * itself is correct, only the reclaim guarantee is weakened.
 */
export const checkFlushDependency = (
  target: WorkqueueImpl,
  caller: WorkerImpl | null,
  fromCancel: boolean
): void => {
  if (fromCancel || (target.flags & Flags.WQ_MEM_RECLAIM) !== 0 || caller === null) return
  const running = caller.currentPwq?.wq ?? caller.rescueWq
  if (running === null || running === undefined) return
  if ((running.flags & (Flags.WQ_MEM_RECLAIM | Flags.__WQ_LEGACY)) !== Flags.WQ_MEM_RECLAIM) return
  target.pools.warnFlushDependency(running.name, target.name)
}

// -----------------------------------------------------------------------------
// flush(wq), drain(wq)
// -----------------------------------------------------------------------------

/**
 * @internal `flush(wq)`: wait for every item queued on `wq` before the call.
 * CONTEXT: may suspend. Fails with FlushDeadlock when called from an item the
 * flush would wait for.
 */
export const flushWorkqueue = (wq: WorkqueueImpl): Effect.Effect<void, Errors.FlushDeadlock> =>
  Effect.suspend(() => {
    const caller = wq.pools.currentWorker()
    recordWait(wq.pools, caller, wq, "flush")
    if (caller !== null && caller.currentWork !== null) {
      if (flushWaitsFor(wq, wq.workColor, caller, new Set())) {
        return Effect.fail(
          new Errors.FlushDeadlock({
            operation: "flush",
            target: wq.name,
            caller: callerName(caller),
            reason: "the flush waits for the item it is called from"
          })
        )
      }
    }
    const flusher = startFlush(wq)
    checkFlushDependency(wq, caller, false)
    if (flusher.done) return Effect.void
    return waitingOn(caller, { _tag: "Flush", wq, flusher }, awaitFlusher(flusher))
  })

/**
 * @internal D1–D3, kernel `drain_workqueue`: flush until the workqueue is empty.
 * While draining, only chained queueing is accepted.
 */
export const drainWorkqueue = (wq: WorkqueueImpl, operation = "drain"): Effect.Effect<void, Errors.FlushDeadlock> =>
  Effect.suspend(() => {
    const caller = wq.pools.currentWorker()
    recordWait(wq.pools, caller, wq, operation)
    if (caller !== null && caller.currentPwq !== null && caller.currentPwq.wq === wq) {
      return Effect.fail(
        new Errors.FlushDeadlock({
          operation,
          target: wq.name,
          caller: callerName(caller),
          reason: "an item cannot wait for its own workqueue to become empty"
        })
      )
    }
    if (wq.nrDrainers++ === 0) wq.flags |= Flags.__WQ_DRAINING
    let tries = 0
    const loop: Effect.Effect<void, Errors.FlushDeadlock> = Effect.flatMap(flushWorkqueue(wq), () => {
      if (workqueueIsEmpty(wq)) return Effect.void
      tries++
      const warn = tries === 10 || (tries % 100 === 0 && tries <= 1000)
        ? Effect.logWarning(`workqueue ${wq.name}: ${operation}() isn't complete after ${tries} tries`)
        : Effect.void
      return Effect.zipRight(warn, loop)
    })
    return Effect.ensuring(
      loop,
      Effect.sync(() => {
        if (--wq.nrDrainers === 0) wq.flags &= ~Flags.__WQ_DRAINING
      })
    )
  })

// -----------------------------------------------------------------------------
// flush_work: barriers
// -----------------------------------------------------------------------------

/**
 * @internal B2, kernel `insert_wq_barrier`: a barrier right after `target` (with
 * its color, LINKED so they move together), or, if `target` is running, at
 * the front of its worker's scheduled list (with the running color).
 */
const insertBarrier = (
  pwq: PoolWorkqueueImpl,
  barrier: BarrierImpl,
  target: WorkImpl,
  runner: WorkerImpl | null
): void => {
  let flags = WORK_PENDING | WORK_PWQ | WORK_INACTIVE
  let color: number
  let at: List.ListNode
  if (runner !== null) {
    at = runner.scheduled
    color = runner.currentColor
  } else {
    at = target
    flags |= target.data & WORK_LINKED
    color = colorOf(target.data)
    target.data |= WORK_LINKED
  }
  pwq.nrInFlight[color]!++
  barrier.data = flags | (color << WORK_COLOR_SHIFT)
  barrier.link = pwq
  List.insertAfter(barrier, at)
  getPwq(pwq)
}

/**
 * @internal B1–B3, kernel `start_flush_work`: insert a barrier behind the last
 * queueing of `work`. Returns the barrier, or null if the item is idle.
 */
export const startFlushWork = (
  work: WorkImpl,
  caller: WorkerImpl | null,
  fromCancel: boolean
): BarrierImpl | Errors.FlushDeadlock | null => {
  const link = work.link
  if (link === null) return null
  let pwq: PoolWorkqueueImpl
  let runner: WorkerImpl | null = null
  if ((work.data & WORK_PWQ) !== 0) {
    pwq = link as PoolWorkqueueImpl
  } else {
    const found = findWorkerExecutingWork(link as WorkerPoolImpl, work)
    if (found === undefined) return null
    runner = found
    pwq = found.currentPwq!
  }
  // kernel start_flush_work: the workqueue's lockdep map is taken only by a flush (not a
  // cancel), and only for max_active 1 or a rescuer; before a refusal, as the kernel takes it
  // before it blocks
  if (!fromCancel && (pwq.wq.savedMaxActive === 1 || pwq.wq.rescuer !== null)) {
    recordWait(pwq.wq.pools, caller, pwq.wq, "flushWork")
  }
  if (caller !== null && caller.currentWork !== null && workWaitsFor(work, caller, new Set())) {
    return new Errors.FlushDeadlock({
      operation: fromCancel ? "cancelSync" : "flushWork",
      target: workName(work),
      caller: callerName(caller),
      reason: work === caller.currentWork
        ? "an item cannot wait for itself to finish"
        : "the item waited for cannot finish before the caller does"
    })
  }
  checkFlushDependency(pwq.wq, caller, fromCancel)
  const barrier = new BarrierImpl(work)
  // the barrier rides with its target (LINKED) or sits on the runner's list: no kick needed
  insertBarrier(pwq, barrier, work, runner)
  return barrier
}

/**
 * @internal the pool where `work`, queued on `pwq`, may be running now. Q2
 * sends an item still running to its runner's pwq, so this is normally
 * `pwq.pool`. But an ordered workqueue always queues on its newest pwq (kernel
 * `__queue_work` skips the last-pool redirect for `__WQ_ORDERED`), so after
 * an `applyAttrs` the instance still running may be on an older pwq's pool
 * (kept in `wq.pwqs` while it holds items). The kernel's `try_to_grab_pending`
 * then records `pwq->pool`, where `start_flush_work` does not find the runner,
 * and `cancel_work_sync` returns while the item still runs; C1 records the
 * runner's pool instead (G17).
 */
export const runnerPoolOf = (pwq: PoolWorkqueueImpl, work: WorkImpl): WorkerPoolImpl => {
  if (!pwq.wq.ordered || (work.data & WORK_RUNNING_MASK) === 0) return pwq.pool
  if (findWorkerExecutingWork(pwq.pool, work) !== undefined) return pwq.pool
  for (const other of pwq.wq.pwqs) {
    if (other.pool !== pwq.pool && findWorkerExecutingWork(other.pool, work) !== undefined) return other.pool
  }
  return pwq.pool
}

/**
 * @internal C3's deadlock check, made before anything is cancelled: after the
 * cancel, `cancelSync` waits only for the instance of `work` running now, so
 * the call deadlocks iff that runner waits (transitively) for `caller`'s
 * current item (the caller itself included). Checking first keeps a failed
 * call from having done half its work (a pending instance stolen, a disable
 * left behind). Null when the call may go ahead.
 */
export const cancelSyncDeadlock = (work: WorkImpl, caller: WorkerImpl | null): Errors.FlushDeadlock | null => {
  if (caller === null || caller.currentWork === null) return null
  const link = work.link
  if (link === null) return null
  // a queued item's runner, if any, is on its pwq's pool (Q2 follows the runner) or, on an
  // ordered workqueue, maybe an older pwq's; once cancelled, the item's link is that pool
  // (C1), where the wait looks for it
  const pool = (work.data & WORK_PWQ) !== 0 ? runnerPoolOf(link as PoolWorkqueueImpl, work) : (link as WorkerPoolImpl)
  const runner = findWorkerExecutingWork(pool, work)
  if (runner === undefined || !workerWaitsFor(runner, caller, new Set())) return null
  return new Errors.FlushDeadlock({
    operation: "cancelSync",
    target: workName(work),
    caller: callerName(caller),
    reason: work === caller.currentWork
      ? "an item cannot wait for itself to finish"
      : "the item waited for cannot finish before the caller does"
  })
}

/** @internal wait for a barrier; interruption leaves it to run with nobody waiting */
export const awaitBarrier = (barrier: BarrierImpl, caller: WorkerImpl | null): Effect.Effect<void> =>
  waitingOn(
    caller,
    { _tag: "FlushWork", barrier },
    barrier.done ? Effect.void : Effect.async<void>((resume) => {
      if (barrier.done) return resume(Effect.void)
      barrier.waiter = () => resume(Effect.void)
      return Effect.sync(() => {
        barrier.waiter = null
      })
    })
  )

/**
 * @internal kernel `__flush_work`: wait until the last queueing of `work` has
 * finished. Returns whether it had to wait.
 */
export const flushWork = (
  pools: WorkqueueImpl["pools"],
  work: WorkImpl,
  fromCancel: boolean
): Effect.Effect<boolean, Errors.FlushDeadlock> =>
  Effect.suspend(() => {
    const caller = pools.currentWorker()
    // kernel __flush_work: the item's lockdep map, idle or not (cancelSync records it itself)
    if (!fromCancel) recordItemWait(pools, caller, work, "flushWork")
    const barrier = startFlushWork(work, caller, fromCancel)
    if (barrier === null) return Effect.succeed(false)
    if (!(barrier instanceof BarrierImpl)) return Effect.fail(barrier)
    return Effect.as(awaitBarrier(barrier, caller), true)
  })
