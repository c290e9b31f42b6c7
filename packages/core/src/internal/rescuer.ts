/**
 * The forward-progress guarantee of `WQ_MEM_RECLAIM` workqueues: a rescuer
 * worker reserved at creation, and the mayday protocol (kernel
 * `pool_mayday_timeout`, `send_mayday`, `rescuer_thread` in its newest form:
 * one item at a time, `assign_rescuer_work`, and a batch of
 * `RESCUER_BATCH` = 16 items of one pwq, past which a pwq still in need goes
 * back to the end of the mayday list while other pwqs wait there). The
 * kernel resumes its search from a cursor left in the worklist; here the
 * search starts at the head each time (the items before the last one taken
 * are other pwqs' or have been taken by regular workers), which finds the
 * same item.
 *
 * Protocol: PROTOCOLS.md R1–R3 (the mayday timer R1 lives in `pool.ts`; R2
 * is `sendMayday`, R3 is `rescueOne`).
 *
 * Invariants:
 * - the rescuer never counts in `nrRunning` (it keeps WORKER_PREP for good);
 * - a pwq is on `maydays` at most once (`onMayday`) and holds a reference
 *   while it is;
 * - in one turn the rescuer runs at most `RESCUER_BATCH` + 1 items of its
 *   pwq while another pwq waits in mayday (G31).
 *
 * @internal
 */
import * as Cause from "effect/Cause"
import * as Effect from "effect/Effect"
import { RESCUER_BATCH } from "./constants.js"
import { PoolEvent } from "./events.js"
import * as Flags from "./flags.js"
import { restoreRefs, wrap } from "./item.js"
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
    // Q6a: a rescued item runs with the context its queue call recorded, as on a regular worker
    const ctx = work.ctx
    work.ctx = null
    const pools = rescuer.pool.pools
    return Effect.matchCauseEffect(wrap(rescuer, work, effectOf(work), ctx, pools.histograms), {
      onSuccess: () => {
        restoreRefs(rescuer)
        finishWork(rescuer)
        return processScheduled(rescuer)
      },
      onFailure: (cause: Cause.Cause<unknown>) => {
        restoreRefs(rescuer)
        const pwq = rescuer.currentPwq!
        finishWork(rescuer)
        reportFailure(rescuer.pool.pools, pwq, work, cause)
        return processScheduled(rescuer)
      }
    })
  })

/** the pwq a rescuer is serving in its current turn (holding the mayday reference) */
const turnOf = new WeakMap<WorkerImpl, PoolWorkqueueImpl>()

/**
 * the next worklist item of `pwq` (a chain of linked barriers moves with the
 * item before it, so the search steps past such chains, like the kernel's
 * `assign_work(..., &n)`)
 */
const nextItemOf = (pool: WorkerPoolImpl, pwq: PoolWorkqueueImpl): WorkImpl | null => {
  for (let node = pool.worklist.next; node !== pool.worklist;) {
    const work = node as WorkImpl
    let after = work.next
    for (let chain: WorkImpl = work; (chain.data & WORK_LINKED) !== 0 && after !== pool.worklist;) {
      chain = after as WorkImpl
      after = after.next
    }
    if (work.link === pwq) return work
    node = after
  }
  return null
}

/** put `pwq` (back) on its workqueue's mayday list, holding a reference (kernel `send_mayday` from the rescuer) */
const requeueMayday = (wq: WorkqueueImpl, pwq: PoolWorkqueueImpl): void => {
  pwq.onMayday = true
  getPwq(pwq)
  wq.maydays.push(pwq)
}

/**
 * R3: one turn of kernel `rescuer_thread`'s loop over `wq.maydays`: take the
 * pwq's worklist items one at a time, each run before the next is taken
 * (`assign_rescuer_work`), at most `RESCUER_BATCH` + 1 of them while other
 * pwqs wait in mayday
 */
const rescueOne = (wq: WorkqueueImpl, rescuer: WorkerImpl): Effect.Effect<void> =>
  Effect.suspend(() => {
    const pwq = wq.maydays.shift()
    if (pwq === undefined) return Effect.void
    pwq.onMayday = false
    turnOf.set(rescuer, pwq)
    const pool = pwq.pool
    rescuer.pool = pool // attach
    pool.rescuers.add(rescuer)
    let count = 0
    const endTurn = (): Effect.Effect<void> => {
      // more to rescue (activated or chained by what ran): no MAYDAY_INTERVAL gap. Only
      // after running something, as kernel `rescuer_thread` re-queues the pwq only when
      // it had something on its own scheduled list to run: a pwq whose active items all
      // run on regular workers (blocked) gave the rescuer nothing, and putting it back at
      // once made the rescuer loop without ever waiting while worker creation failed (R3)
      if (count > 0 && pwq.nrActive > 0 && needToCreateWorker(pool) && wq.rescuer !== null && !pwq.onMayday)
        requeueMayday(wq, pwq)
      // leave the pool; let its regular workers resume
      kickPool(pool)
      pool.rescuers.delete(rescuer)
      turnOf.delete(rescuer)
      putPwq(pwq)
      return rescueOne(wq, rescuer)
    }
    const step = (): Effect.Effect<void> => {
      let work = nextItemOf(pool, pwq)
      // an item already running on a worker of the pool goes to that worker (collision)
      while (work !== null && !assignWork(work, rescuer)) work = nextItemOf(pool, pwq)
      if (work === null) return endTurn()
      pwq.stats.rescued++
      return Effect.flatMap(processScheduled(rescuer), () => {
        // R3, kernel RESCUER_BATCH: past the batch, with other pwqs waiting in mayday and
        // this one still in need, this pwq goes to the back of the line
        // (a mayday timer that fired during the turn may have put it back already)
        if (
          ++count > RESCUER_BATCH && wq.maydays.some((other) => other !== pwq) && pwq.nrActive > 0 &&
          needToCreateWorker(pool) && wq.rescuer !== null
        ) {
          if (!pwq.onMayday) requeueMayday(wq, pwq)
          return endTurn()
        }
        return step()
      })
    }
    return step()
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
