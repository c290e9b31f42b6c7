/**
 * The forward-progress guarantee of `WQ_MEM_RECLAIM` workqueues: a rescuer
 * worker reserved at creation, and the mayday protocol (kernel
 * `pool_mayday_timeout`, `send_mayday`, `rescuer_thread`, v6.15's "slurp"
 * form).
 *
 * Protocol: PROTOCOLS.md R1–R3 (the mayday timer R1 lives in `pool.ts`; R2
 * is `sendMayday`, R3 is `rescueOne`).
 *
 * Invariants:
 * - the rescuer never counts in `nrRunning` (it keeps WORKER_PREP for good);
 * - a pwq is on `maydays` at most once (`onMayday`) and holds a reference
 *   while it is.
 *
 * @internal
 */
import * as Cause from "effect/Cause"
import * as Effect from "effect/Effect"
import { PoolEvent } from "./events.js"
import * as Flags from "./flags.js"
import * as List from "./list.js"
import { kickPool, needToCreateWorker, wake, type WorkerPoolImpl } from "./pool.js"
import type { PoolsImpl } from "./pools.js"
import { getPwq, putPwq, type PoolWorkqueueImpl } from "./pwq.js"
import { effectOf, WORK_LINKED, type WorkImpl } from "./work.js"
import { assignWork, finishWork, reportFailure, startWork, waitForWakeup, WorkerImpl } from "./worker.js"
import type { WorkqueueImpl } from "./workqueue.js"

/** @internal R2, kernel `send_mayday` */
const sendMayday = (pools: PoolsImpl, pool: WorkerPoolImpl, work: WorkImpl): void => {
  const pwq = work.link as PoolWorkqueueImpl
  const wq = pwq.wq
  if (wq.rescuer === null || pwq.onMayday) return
  pwq.onMayday = true
  getPwq(pwq)
  wq.maydays.push(pwq)
  wake(wq.rescuer)
  pwq.stats.mayday++
  pools.emit(PoolEvent.Mayday({ pool: pool.name, workqueue: wq.name }))
}

/** @internal kernel `pool_mayday_timeout`: the manager has been failing to create a worker */
export const maydayTimeout = (pools: PoolsImpl, pool: WorkerPoolImpl): void => {
  if (!needToCreateWorker(pool)) return
  for (const work of List.toArray<WorkImpl>(pool.worklist)) sendMayday(pools, pool, work)
}

/** run the rescuer's scheduled list front to back */
const processScheduled = (rescuer: WorkerImpl): Effect.Effect<void> =>
  Effect.suspend(() => {
    const work = List.first<WorkImpl>(rescuer.scheduled)
    if (work === null) return Effect.void
    startWork(rescuer, work)
    return Effect.matchCauseEffect(effectOf(work), {
      onSuccess: () => {
        finishWork(rescuer)
        return processScheduled(rescuer)
      },
      onFailure: (cause: Cause.Cause<unknown>) => {
        const pwq = rescuer.currentPwq!
        finishWork(rescuer)
        reportFailure(rescuer.pool.pools, pwq, work, cause)
        return processScheduled(rescuer)
      }
    })
  })

/** the pwq a rescuer is serving in its current turn (holding the mayday reference) */
const turnOf = new WeakMap<WorkerImpl, PoolWorkqueueImpl>()

/** R3: one turn of kernel `rescuer_thread`'s loop over `wq.maydays` */
const rescueOne = (wq: WorkqueueImpl, rescuer: WorkerImpl): Effect.Effect<void> =>
  Effect.suspend(() => {
    const pwq = wq.maydays.shift()
    if (pwq === undefined) return Effect.void
    pwq.onMayday = false
    turnOf.set(rescuer, pwq)
    const pool = pwq.pool
    rescuer.pool = pool // attach
    pool.rescuers.add(rescuer)
    // slurp in every item issued via this workqueue and process them; like the kernel's
    // assign_work(..., &n), step past the barriers linked behind an item (they move with it)
    let rescued = false
    for (let node = pool.worklist.next; node !== pool.worklist;) {
      const work = node as WorkImpl
      let after = work.next
      for (let chain: WorkImpl = work; (chain.data & WORK_LINKED) !== 0 && after !== pool.worklist;) {
        chain = after as WorkImpl
        after = after.next
      }
      if (work.link === pwq && assignWork(work, rescuer)) {
        rescued = true
        pwq.stats.rescued++
      }
      node = after
    }
    return Effect.flatMap(processScheduled(rescuer), () => {
      // more to rescue (activated or chained by what ran): no MAYDAY_INTERVAL gap. Only
      // after running something, as kernel `rescuer_thread` re-queues the pwq only when
      // it had something on its own scheduled list to run: a pwq whose active items all run on regular
      // workers (blocked) gave the rescuer nothing, and putting it back at once made the
      // rescuer loop without ever waiting while worker creation failed (R3)
      if (rescued && pwq.nrActive > 0 && needToCreateWorker(pool) && wq.rescuer !== null && !pwq.onMayday) {
        pwq.onMayday = true
        getPwq(pwq)
        wq.maydays.push(pwq)
      }
      // leave the pool; let its regular workers resume
      kickPool(pool)
      pool.rescuers.delete(rescuer)
      turnOf.delete(rescuer)
      putPwq(pwq)
      return rescueOne(wq, rescuer)
    })
  })

const rescuerLoop = (wq: WorkqueueImpl, rescuer: WorkerImpl): Effect.Effect<void> =>
  Effect.flatMap(waitForWakeup(rescuer), () => {
    rescuer.woken = false
    return Effect.flatMap(rescueOne(wq, rescuer), () => rescuerLoop(wq, rescuer))
  })

const rescuerMain = (pools: PoolsImpl, wq: WorkqueueImpl, rescuer: WorkerImpl): Effect.Effect<void> =>
  rescuerLoop(wq, rescuer).pipe(
    Effect.onExit((exit) =>
      Effect.sync(() => rescuerExited(pools, wq, rescuer, exit._tag === "Failure" ? exit.cause : null))
    )
  )

/**
 * @internal the rescuer's fiber ended. Stopped by destroy (X3, WORKER_DIE) or
 * by the pools' shutdown, it just leaves. Otherwise (an item interrupted the
 * fiber it runs on, which the kernel never sees) the rescuer is made whole,
 * as a regular worker is in `workerExited`: its item is retired as failed,
 * what it had taken goes back to the pool's worklist in order, the turn's
 * pwq is put back on the mayday list if it still needs rescue (or its
 * reference dropped), and a new fiber takes over, woken at once.
 */
const rescuerExited = (
  pools: PoolsImpl,
  wq: WorkqueueImpl,
  rescuer: WorkerImpl,
  cause: Cause.Cause<unknown> | null
): void => {
  if ((rescuer.flags & Flags.WORKER_DIE) !== 0 || pools.shuttingDown || wq.rescuer !== rescuer) return
  const pool = rescuer.pool
  if (rescuer.currentWork !== null) {
    const work = rescuer.currentWork
    const pwq = rescuer.currentPwq!
    finishWork(rescuer)
    reportFailure(pools, pwq, work, cause ?? Cause.interrupt(rescuer.fiber!.id()))
  }
  for (
    let work = List.last<WorkImpl>(rescuer.scheduled);
    work !== null;
    work = List.last<WorkImpl>(rescuer.scheduled)
  ) {
    List.remove(work)
    List.insertAfter(work, pool.worklist)
  }
  pool.rescuers.delete(rescuer)
  const pwq = turnOf.get(rescuer)
  turnOf.delete(rescuer)
  if (pwq !== undefined) {
    if (!pwq.onMayday && pwq.nrActive > 0 && needToCreateWorker(pwq.pool)) {
      // the mayday reference passes to the new entry
      pwq.onMayday = true
      wq.maydays.push(pwq)
    } else {
      putPwq(pwq)
    }
  }
  kickPool(pool)
  rescuer.flags = Flags.WORKER_PREP
  rescuer.resume = null
  rescuer.woken = wq.maydays.length > 0
  pools.startWorkerFiber(rescuer, rescuerMain(pools, wq, rescuer))
}

/**
 * @internal kernel `init_rescuer`: a MEM_RECLAIM workqueue gets its rescuer at
 * creation, so that it needs nothing later.
 */
export const initRescuer = (pools: PoolsImpl, wq: WorkqueueImpl): void => {
  const home = wq.pwqs[0]!.pool
  const rescuer = new WorkerImpl(pools.nextWorkerId++, home)
  rescuer.rescueWq = wq
  rescuer.flags = Flags.WORKER_PREP // never concurrency managed
  wq.rescuer = rescuer
  pools.startWorkerFiber(rescuer, rescuerMain(pools, wq, rescuer))
}
