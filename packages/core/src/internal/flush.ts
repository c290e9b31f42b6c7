/**
 * Flushing: flush colors for whole workqueues (kernel `__flush_workqueue`),
 * barriers for single items (kernel `flush_work`), drain, and the deadlock
 * checks that turn a flush that could never return into a typed error.
 *
 * Protocol: flush colors (KERNEL.md §4.11).
 * 1. Items are colored with their pwq's `workColor` when queued and counted in
 *    `nrInFlight[color]` until they finish (barriers too).
 * 2. A flush takes the current work color as its flush color and advances the
 *    work color (if the 16-color ring is full it waits on the overflow list).
 *    Items queued afterwards get the new color, so the flush never waits for
 *    them: no livelock.
 * 3. The first flusher arms every pwq that has in-flight items of the flush
 *    color; `nrPwqsToFlush` counts them (starting at 1 so that arming itself
 *    cannot complete early).
 * 4. When a pwq's count of that color reaches 0 it disarms; when the last pwq
 *    disarms, the cascade runs (here synchronously, where the kernel wakes the
 *    first flusher to run it): it completes every flusher of the finished
 *    color, advances `flushColor`, gives overflowed flushers a color, and arms
 *    the pwqs for the next flusher in line.
 * Correctness: colors advance monotonically and a color is only reused after
 * its flush completed, so "in flight with color c" is exactly "queued before
 * the flush that took c"; flushers complete in the order they took colors.
 *
 * Running the cascade at completion time (not in the first flusher's fiber)
 * keeps flushes correct when a waiting flusher is interrupted: the flusher
 * stays in line and is completed with nobody waiting.
 *
 * @internal
 */
import * as Effect from "effect/Effect"
import { WORK_NR_COLORS } from "./constants.js"
import * as Errors from "./errors.js"
import * as Flags from "./flags.js"
import * as List from "./list.js"
import {
  busyWorkers,
  findWorkerExecutingWork,
  type WaitTarget,
  workName,
  type WorkerImpl,
  type WorkerPoolImpl
} from "./pool.js"
import { type PoolWorkqueueImpl, getPwq } from "./pwq.js"
import {
  BarrierImpl,
  colorOf,
  WORK_COLOR_SHIFT,
  WORK_INACTIVE,
  WORK_LINKED,
  WORK_PENDING,
  WORK_PWQ,
  type WorkImpl
} from "./work.js"
import { type WorkqueueImpl, workqueueIsEmpty } from "./workqueue.js"

/** @internal kernel `struct wq_flusher` */
export class Flusher {
  color = -1 // F: the flush color it waits for
  done = false // F
  resume: (() => void) | null = null // F: resumes the waiting fiber, if any
}

/** @internal kernel `work_next_color` */
export const nextColor = (color: number): number => (color + 1) % WORK_NR_COLORS

const complete = (flusher: Flusher): void => {
  flusher.done = true
  const resume = flusher.resume
  if (resume !== null) {
    flusher.resume = null
    resume()
  }
}

/**
 * @internal kernel `flush_workqueue_prep_pwqs`: arm pwqs with in-flight items
 * of `flushColor` (if >= 0) and advance every pwq's work color to `workColor`
 * (if >= 0). Returns whether there is anything to wait for.
 */
const prepPwqs = (wq: WorkqueueImpl, flushColor: number, workColor: number): boolean => {
  let wait = false
  if (flushColor >= 0) wq.nrPwqsToFlush = 1
  for (const pwq of wq.pwqs) {
    if (flushColor >= 0 && pwq.nrInFlight[flushColor] !== 0) {
      pwq.flushColor = flushColor
      wq.nrPwqsToFlush++
      wait = true
    }
    if (workColor >= 0) pwq.workColor = workColor
  }
  // the kernel completes the first flusher here when nothing was armed; the callers do
  if (flushColor >= 0) wq.nrPwqsToFlush--
  return wait
}

/** @internal kernel `__flush_workqueue`, start-to-wait phase (steps 1–3) */
export const startFlush = (wq: WorkqueueImpl): Flusher => {
  const flusher = new Flusher()
  const next = nextColor(wq.workColor)
  if (next !== wq.flushColor) {
    // the ring is not full: the current work color becomes our flush color
    flusher.color = wq.workColor
    wq.workColor = next
    if (wq.firstFlusher === null) {
      wq.firstFlusher = flusher
      if (!prepPwqs(wq, wq.flushColor, wq.workColor)) {
        // nothing to flush
        wq.flushColor = next
        wq.firstFlusher = null
        flusher.done = true
      }
    } else {
      wq.flusherQueue.push(flusher)
      prepPwqs(wq, -1, wq.workColor)
    }
  } else {
    // 15 colors in flight: wait for the cascade to hand us one
    wq.flusherOverflow.push(flusher)
  }
  return flusher
}

/**
 * @internal a pwq finished its part of the current flush color (called from
 * `pwqDecNrInFlight`). When it was the last one, run the cascade (step 4).
 */
export const flushPwqDone = (wq: WorkqueueImpl): void => {
  if (--wq.nrPwqsToFlush === 0) cascade(wq)
}

/** @internal kernel `__flush_workqueue`, wake-up-and-cascade phase */
const cascade = (wq: WorkqueueImpl): void => {
  const first = wq.firstFlusher!
  wq.firstFlusher = null
  complete(first)
  for (;;) {
    // complete all the flushers sharing the finished color
    while (wq.flusherQueue.length > 0 && wq.flusherQueue[0].color === wq.flushColor) {
      complete(wq.flusherQueue.shift()!)
    }
    wq.flushColor = nextColor(wq.flushColor)
    // a color was freed: give it to every overflowed flusher
    if (wq.flusherOverflow.length > 0) {
      for (const f of wq.flusherOverflow) f.color = wq.workColor
      wq.workColor = nextColor(wq.workColor)
      wq.flusherQueue.push(...wq.flusherOverflow)
      wq.flusherOverflow.length = 0
      prepPwqs(wq, -1, wq.workColor)
    }
    if (wq.flusherQueue.length === 0) return
    // the next flusher in line becomes first and arms the pwqs for its color
    const next = wq.flusherQueue.shift()!
    wq.firstFlusher = next
    if (prepPwqs(wq, wq.flushColor, -1)) return
    // its color is already done
    complete(next)
    wq.firstFlusher = null
  }
}

/** @internal wait for a flusher; interruption leaves it in line, unwaited */
const awaitFlusher = (flusher: Flusher): Effect.Effect<void> =>
  flusher.done ? Effect.void : Effect.async<void>((resume) => {
    if (flusher.done) return resume(Effect.void)
    flusher.resume = () => resume(Effect.void)
    return Effect.sync(() => {
      flusher.resume = null
    })
  })

/** @internal mark `worker` as blocked in `target` while `effect` runs (for deadlock detection) */
const waitingOn = <A, E>(
  worker: WorkerImpl | null,
  target: WaitTarget,
  effect: Effect.Effect<A, E>
): Effect.Effect<A, E> =>
  worker === null ? effect : Effect.suspend(() => {
    const previous = worker.waitingOn
    worker.waitingOn = target
    return Effect.ensuring(effect, Effect.sync(() => {
      worker.waitingOn = previous
    }))
  })

// -----------------------------------------------------------------------------
// Deadlock detection
// -----------------------------------------------------------------------------

/** true iff `color` lies in the ring range from `from` to `to`, inclusive */
const colorInRange = (color: number, from: number, to: number): boolean =>
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

/** does a flush of `wq` up to color `upTo` wait (transitively) for `caller`'s current item? */
const flushWaitsFor = (wq: WorkqueueImpl, upTo: number, caller: WorkerImpl, visited: Set<WorkerImpl>): boolean => {
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
  if ((work.data & WORK_INACTIVE) !== 0 && !(work instanceof BarrierImpl)) {
    // held back by max_active: it needs a slot, and no slot frees if every active
    // item of its workqueue is running and waits for the caller
    const wq = pwq.wq
    const active = wq.nna !== null ? wq.nna.nr : pwq.nrActive
    let stuck = 0
    for (const worker of busyWorkersOf(wq)) {
      if ((wq.nna !== null || worker.currentPwq === pwq) && workerWaitsFor(worker, caller, new Set(visited))) stuck++
    }
    return active > 0 && stuck >= active
  }
  return false
}

const targetWaitsFor = (target: WaitTarget, caller: WorkerImpl, visited: Set<WorkerImpl>): boolean =>
  target._tag === "Flush"
    ? flushWaitsFor(target.wq, target.color, caller, visited)
    : workWaitsFor(target.barrier.target, caller, visited)

const callerName = (caller: WorkerImpl): string =>
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
    return waitingOn(caller, { _tag: "Flush", wq, color: flusher.color }, awaitFlusher(flusher))
  })

/**
 * @internal kernel `drain_workqueue`: flush until the workqueue is empty.
 * While draining, only chained queueing is accepted.
 */
export const drainWorkqueue = (wq: WorkqueueImpl, operation = "drain"): Effect.Effect<void, Errors.FlushDeadlock> =>
  Effect.suspend(() => {
    const caller = wq.pools.currentWorker()
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
 * @internal kernel `insert_wq_barrier`: a barrier right after `target` (with
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
  pwq.nrInFlight[color]++
  barrier.data = flags | (color << WORK_COLOR_SHIFT)
  barrier.link = pwq
  List.insertAfter(barrier, at)
  getPwq(pwq)
}

/**
 * @internal kernel `start_flush_work`: insert a barrier behind the last
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
    const barrier = startFlushWork(work, caller, fromCancel)
    if (barrier === null) return Effect.succeed(false)
    if (!(barrier instanceof BarrierImpl)) return Effect.fail(barrier)
    return Effect.as(awaitBarrier(barrier, caller), true)
  })
