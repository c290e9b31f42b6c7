/**
 * "Why isn't this item running?": `Work.explain` and `Workqueue.explain`.
 *
 * Reads engine state only, at one instant (the JS thread is the pool lock,
 * so a synchronous read is a consistent snapshot). The engine keeps four
 * fields for it, each a plain write on a path that already reads the clock:
 * `WorkImpl.finishedAt` (Q8), `WorkerImpl.startedAt` (Q5),
 * `WorkerImpl.blockedAt` (the blocking detector) and
 * `WorkerPoolImpl.createFailingSince` (CM3).
 *
 * The order of the checks is the order of an item's life: running (then
 * whether it was queued again), on a timer, queued (on a pool's worklist, on
 * a worker's scheduled list, or held back on its pwq's inactive list: frozen,
 * plugged, ordered, max_active), disabled, finished, never queued.
 *
 * @internal
 */
import * as Flags from "./flags.js"
import * as List from "./list.js"
import { busyWorkers, findWorkerExecutingWork, type WorkerPoolImpl } from "./pool.js"
import type { PoolWorkqueueImpl } from "./pwq.js"
import {
  BarrierImpl,
  DelayedWorkImpl,
  disableDepthOf,
  WORK_INACTIVE,
  WORK_PENDING,
  WORK_PWQ,
  WORK_RUNNING_MASK,
  type WorkImpl,
  workName
} from "./work.js"
import type { WorkerImpl } from "./worker.js"
import type { WorkqueueImpl } from "./workqueue.js"

/** @internal a worker and the item it runs (public `Explanation.BusyWorker`) */
export interface BusyWorker {
  readonly worker: string
  readonly work: string
}

/** @internal why no worker has taken an item on a pool's worklist (public `Explanation.WaitReason`) */
export type WaitReason =
  | { readonly _tag: "WorkersRunning"; readonly running: ReadonlyArray<BusyWorker> }
  | { readonly _tag: "WorkerWaking"; readonly worker: string }
  | {
    readonly _tag: "CreatingWorker"
    readonly failingSince: number | null
    readonly maydaySent: boolean
    readonly rescuer: string | null
  }
  | { readonly _tag: "Policy"; readonly policy: string }

/** @internal the public `Explanation.Explanation` union */
export type Explanation =
  | { readonly _tag: "NeverQueued"; readonly work: string; readonly message: string }
  | {
    readonly _tag: "Finished"
    readonly work: string
    readonly pool: string
    readonly at: number
    readonly agoMs: number
    readonly message: string
  }
  | {
    readonly _tag: "OnTimer"
    readonly work: string
    readonly workqueue: string
    readonly until: number
    readonly inMs: number
    readonly message: string
  }
  | {
    readonly _tag: "Worklist"
    readonly work: string
    readonly workqueue: string
    readonly pool: string
    readonly position: number
    readonly length: number
    readonly reason: WaitReason
    readonly message: string
  }
  | {
    readonly _tag: "Assigned"
    readonly work: string
    readonly workqueue: string
    readonly pool: string
    readonly worker: string
    readonly behind: string | null
    readonly message: string
  }
  | {
    readonly _tag: "MaxActive"
    readonly work: string
    readonly workqueue: string
    readonly maxActive: number
    readonly position: number
    readonly active: ReadonlyArray<string>
    readonly message: string
  }
  | { readonly _tag: "Frozen"; readonly work: string; readonly workqueue: string; readonly message: string }
  | {
    readonly _tag: "BehindPredecessors"
    readonly work: string
    readonly workqueue: string
    readonly ahead: ReadonlyArray<string>
    readonly message: string
  }
  | { readonly _tag: "Plugged"; readonly work: string; readonly workqueue: string; readonly message: string }
  | { readonly _tag: "Disabled"; readonly work: string; readonly depth: number; readonly message: string }
  | {
    readonly _tag: "Running"
    readonly work: string
    readonly workqueue: string
    readonly pool: string
    readonly worker: string
    readonly since: number
    readonly forMs: number
    readonly blockedForMs: number | null
    readonly queuedAgain: boolean
    /** a task item: where its transport says it runs (a thread CPU, a cluster entity); null otherwise */
    readonly where: string | null
    readonly message: string
  }

/** @internal the public `Explanation.WorkqueueExplanation` */
export interface WorkqueueExplanation {
  readonly workqueue: string
  readonly counts: { readonly [K in Explanation["_tag"]]?: number }
  readonly items: ReadonlyArray<Explanation>
  readonly stuck: ReadonlyArray<Explanation>
  readonly message: string
}

const list = (names: ReadonlyArray<string>): string => names.length === 0 ? "none" : names.join(", ")

const reasonText = (reason: WaitReason): string => {
  switch (reason._tag) {
    case "WorkersRunning":
      return `every worker of the pool that could take it is busy and running (${
        list(reason.running.map((r) => `${r.worker} runs ${r.work}`))
      }); a worker is woken when one of them blocks on async or finishes`
    case "WorkerWaking":
      return `worker ${reason.worker} has been woken and is about to take it`
    case "CreatingWorker":
      return `the pool has no idle worker and is creating one${
        reason.failingSince === null ? "" : `, failing since t=${reason.failingSince} ms`
      }${reason.maydaySent ? "; a mayday was sent to the rescuer" : ""}${
        reason.rescuer === null ? "" : ` (rescuer: ${reason.rescuer})`
      }`
    case "Policy":
      return `the pool's policy (${reason.policy}) does not start another worker for it now`
  }
}

/** @internal the plain-English sentence of an explanation (without its own `message`) */
export const format = (e: Omit<Explanation, "message"> & { readonly _tag: Explanation["_tag"] }): string => {
  const x = e as Explanation
  switch (x._tag) {
    case "NeverQueued":
      return `${x.work} has never been queued`
    case "Finished":
      return `${x.work} is idle: its last run finished at t=${round(x.at)} ms on pool ${x.pool}, ${
        round(x.agoMs)
      } ms ago`
    case "OnTimer":
      return `${x.work} is on a timer for ${x.workqueue} until t=${x.until} ms (in ${round(x.inMs)} ms)`
    case "Worklist":
      return `${x.work} is queued on ${x.workqueue}, at position ${x.position} of ${x.length} on the worklist of pool ${x.pool}: ${
        reasonText(x.reason)
      }`
    case "Assigned":
      return `${x.work} is queued on ${x.workqueue} and assigned to worker ${x.worker} of pool ${x.pool}${
        x.behind === null ? "" : `, which runs it after ${x.behind}`
      }`
    case "MaxActive":
      return `${x.work} is inactive on ${x.workqueue} (position ${x.position} in line): max_active ${x.maxActive} is reached by ${
        list(x.active)
      }; it starts after one of them finishes`
    case "Frozen":
      return `${x.work} is held on ${x.workqueue}: the workqueue is freezable and the pools are frozen; it starts after a thaw`
    case "BehindPredecessors":
      return `${x.work} waits on ordered workqueue ${x.workqueue} behind ${list(x.ahead)}`
    case "Plugged":
      return `${x.work} waits on ordered workqueue ${x.workqueue}: its link is plugged until the items queued before the attributes changed have finished`
    case "Disabled":
      return `${x.work} is disabled (depth ${x.depth}): it cannot be queued until enabled ${x.depth} time${
        x.depth === 1 ? "" : "s"
      }`
    case "Running":
      return `${x.work} is running on worker ${x.worker} of pool ${x.pool} for ${x.workqueue} since t=${
        round(x.since)
      } ms (${round(x.forMs)} ms), ${
        x.blockedForMs === null ? "running" : `blocked on async for ${round(x.blockedForMs)} ms`
      }${x.where !== null ? `; the task runs at ${x.where}` : ""}${
        x.queuedAgain ? "; it is queued again and runs once more after this run" : ""
      }`
  }
}

const round = (ms: number): number => Math.round(ms * 10) / 10

const withMessage = <E extends Omit<Explanation, "message">>(e: E): E & { readonly message: string } => ({
  ...e,
  message: format(e)
})

/** the pool whose workers may be running `work`: its pwq's while queued, else its last */
const lastPoolOf = (work: WorkImpl): WorkerPoolImpl | null => {
  const link = work.link
  if (link === null) return null
  return (work.data & WORK_PWQ) !== 0 ? (link as PoolWorkqueueImpl).pool : (link as WorkerPoolImpl)
}

/** the 1-based position of `node` on the list `head`, and the list's length (0, n if absent) */
const positionOn = (head: List.ListNode, node: List.ListNode): readonly [number, number] => {
  let i = 0
  let at = 0
  for (let n = head.next; n !== head; n = n.next) {
    i++
    if (n === node) at = i
  }
  return [at, i]
}

const workersOf = (pool: WorkerPoolImpl): Array<WorkerImpl> => [...pool.workers, ...pool.rescuers]

/** is `worker` counted in its pool's nrRunning (busy, not blocked, no NOT_RUNNING flag)? */
const isRunning = (worker: WorkerImpl): boolean =>
  worker.currentWork !== null && !worker.sleeping && (worker.flags & Flags.WORKER_NOT_RUNNING) === 0

const waitReason = (pool: WorkerPoolImpl, pwq: PoolWorkqueueImpl): WaitReason => {
  if (pool.nrRunning > 0) {
    return {
      _tag: "WorkersRunning",
      running: workersOf(pool).filter(isRunning).map((w) => ({ worker: w.name, work: workName(w.currentWork!) }))
    }
  }
  const idle = List.first<WorkerImpl>(pool.idleList)
  if (idle !== null && idle.woken) return { _tag: "WorkerWaking", worker: idle.name }
  if (idle === null || pool.managerActive) {
    const rescuer = pwq.wq.rescuer
    return {
      _tag: "CreatingWorker",
      failingSince: pool.createFailingSince < 0 ? null : pool.createFailingSince,
      maydaySent: pwq.onMayday,
      rescuer: rescuer === null
        ? null
        : rescuer.currentWork !== null
        ? `${rescuer.name} running ${workName(rescuer.currentWork)}`
        : `${rescuer.name} idle`
    }
  }
  return { _tag: "Policy", policy: pool.policy.name }
}

/** the active items of the pwqs sharing `pwq`'s max_active: running, then queued active (worklist and scheduled) */
const activeItems = (pwq: PoolWorkqueueImpl): Array<string> => {
  const wq = pwq.wq
  const pwqs = new Set(wq.nna !== null ? wq.pwqs : [pwq])
  const out: Array<string> = []
  const pools = new Set([...pwqs].map((p) => p.pool))
  for (const pool of pools) {
    for (const worker of busyWorkers(pool)) {
      if (
        worker.currentPwq !== null && pwqs.has(worker.currentPwq) && (worker.currentData & WORK_INACTIVE) === 0
      ) out.push(workName(worker.currentWork!))
    }
  }
  if (wq.rescuer !== null && wq.rescuer.currentWork !== null && pwqs.has(wq.rescuer.currentPwq!)) {
    const name = workName(wq.rescuer.currentWork)
    if ((wq.rescuer.currentData & WORK_INACTIVE) === 0 && !out.includes(name)) out.push(name)
  }
  const collect = (head: List.ListNode): void => {
    for (let n = head.next; n !== head; n = n.next) {
      const w = n as WorkImpl
      if (w instanceof BarrierImpl || (w.data & (WORK_PWQ | WORK_INACTIVE)) !== WORK_PWQ) continue
      if (pwqs.has(w.link as PoolWorkqueueImpl)) out.push(workName(w))
    }
  }
  for (const pool of pools) {
    collect(pool.worklist)
    for (const worker of workersOf(pool)) collect(worker.scheduled)
  }
  return out
}

const explainQueued = (work: WorkImpl, pwq: PoolWorkqueueImpl): Explanation => {
  const wq = pwq.wq
  const name = workName(work)
  const pool = pwq.pool
  if ((work.data & WORK_INACTIVE) !== 0) {
    const [position] = positionOn(pwq.inactive, work)
    if (pwq.plugged) return withMessage({ _tag: "Plugged", work: name, workqueue: wq.name })
    if (wq.pools.freezing && (wq.flags & Flags.WQ_FREEZABLE) !== 0) {
      return withMessage({ _tag: "Frozen", work: name, workqueue: wq.name })
    }
    const active = activeItems(pwq)
    if (wq.ordered) {
      const ahead = [...active]
      for (let n = pwq.inactive.next; n !== work && n !== pwq.inactive; n = n.next) {
        if (!(n instanceof BarrierImpl)) ahead.push(workName(n as WorkImpl))
      }
      return withMessage({ _tag: "BehindPredecessors", work: name, workqueue: wq.name, ahead })
    }
    const maxActive = wq.nna !== null ? wq.nna.max : pool.policy.maxActive(wq)
    return withMessage({ _tag: "MaxActive", work: name, workqueue: wq.name, maxActive, position, active })
  }
  const [position, length] = positionOn(pool.worklist, work)
  if (position > 0) {
    return withMessage({
      _tag: "Worklist",
      work: name,
      workqueue: wq.name,
      pool: pool.name,
      position,
      length,
      reason: waitReason(pool, pwq)
    })
  }
  for (const worker of [...workersOf(pool), ...(wq.rescuer === null ? [] : [wq.rescuer])]) {
    if (positionOn(worker.scheduled, work)[0] > 0) {
      return withMessage({
        _tag: "Assigned",
        work: name,
        workqueue: wq.name,
        pool: worker.pool.name,
        worker: worker.name,
        behind: worker.currentWork === null ? null : workName(worker.currentWork)
      })
    }
  }
  // unreachable while the list invariants hold (PWQ set iff on a list)
  return withMessage({
    _tag: "Worklist",
    work: name,
    workqueue: wq.name,
    pool: pool.name,
    position: 0,
    length: List.size(pool.worklist),
    reason: waitReason(pool, pwq)
  })
}

/** @internal `Work.explain`: a snapshot of where `work` is and why */
export const explain = (work: WorkImpl): Explanation => {
  const name = workName(work)
  const data = work.data
  const pool = lastPoolOf(work)
  if ((data & WORK_RUNNING_MASK) !== 0 && pool !== null) {
    // rescuers attached to the pool are found too (they are in `pool.rescuers` while they serve it)
    const runner = findWorkerExecutingWork(pool, work)
    if (runner !== undefined) {
      const now = pool.pools.platform.now()
      return withMessage({
        _tag: "Running",
        work: name,
        workqueue: runner.currentPwq!.wq.name,
        pool: runner.pool.name,
        worker: runner.name,
        since: runner.startedAt,
        forMs: now - runner.startedAt,
        blockedForMs: runner.blockedAt < 0 ? null : now - runner.blockedAt,
        queuedAgain: (data & WORK_PENDING) !== 0,
        // a task item's transport may say where it runs (RunHandle.where)
        where: (work as { readonly where?: string | null | undefined }).where ?? null
      })
    }
  }
  if (work instanceof DelayedWorkImpl && work.timer !== null) {
    const pools = work.wq!.pools
    return withMessage({
      _tag: "OnTimer",
      work: name,
      workqueue: work.wq!.name,
      until: work.expires,
      inMs: work.expires - pools.clockNow()
    })
  }
  if ((data & WORK_PWQ) !== 0) return explainQueued(work, work.link as PoolWorkqueueImpl)
  const depth = disableDepthOf(data)
  if (depth > 0) return withMessage({ _tag: "Disabled", work: name, depth })
  if (work.finishedAt >= 0 && pool !== null) {
    return withMessage({
      _tag: "Finished",
      work: name,
      pool: pool.name,
      at: work.finishedAt,
      agoMs: pool.pools.platform.now() - work.finishedAt
    })
  }
  return withMessage({ _tag: "NeverQueued", work: name })
}

/** @internal the non-barrier items of `wq` queued or running now (timers are not listed: no workqueue tracks them) */
export const itemsOf = (wq: WorkqueueImpl): Array<WorkImpl> => {
  const out = new Set<WorkImpl>()
  const pwqs = new Set(wq.pwqs)
  const pools = new Set(wq.pwqs.map((p) => p.pool))
  for (const pool of pools) {
    for (const worker of busyWorkers(pool)) {
      if (worker.currentPwq?.wq === wq && !(worker.currentWork instanceof BarrierImpl)) out.add(worker.currentWork!)
    }
  }
  const rescuer = wq.rescuer
  if (rescuer !== null && rescuer.currentWork !== null && !(rescuer.currentWork instanceof BarrierImpl)) {
    out.add(rescuer.currentWork)
  }
  const collect = (head: List.ListNode): void => {
    for (let n = head.next; n !== head; n = n.next) {
      const w = n as WorkImpl
      if (!(w instanceof BarrierImpl) && (w.data & WORK_PWQ) !== 0 && pwqs.has(w.link as PoolWorkqueueImpl)) out.add(w)
    }
  }
  for (const pool of pools) {
    collect(pool.worklist)
    for (const worker of workersOf(pool)) collect(worker.scheduled)
  }
  if (rescuer !== null) collect(rescuer.scheduled)
  for (const pwq of wq.pwqs) collect(pwq.inactive)
  return [...out]
}

/** @internal is this explanation one that no progress of other items will resolve (frozen, plugged, creation failing)? */
export const isStuck = (e: Explanation): boolean =>
  e._tag === "Frozen" || e._tag === "Plugged" ||
  (e._tag === "Worklist" && e.reason._tag === "CreatingWorker" && e.reason.failingSince !== null)

/** @internal `Workqueue.explain` */
export const explainWorkqueue = (wq: WorkqueueImpl): WorkqueueExplanation => {
  const items = itemsOf(wq).map(explain)
  const counts: { [K in Explanation["_tag"]]?: number } = {}
  for (const e of items) counts[e._tag] = (counts[e._tag] ?? 0) + 1
  const stuck = items.filter(isStuck)
  const parts = Object.entries(counts).map(([tag, n]) => `${n} ${tag}`)
  const message = items.length === 0
    ? `workqueue ${wq.name}: nothing queued or running`
    : `workqueue ${wq.name}: ${items.length} item${items.length === 1 ? "" : "s"} (${parts.join(", ")})${
      stuck.length === 0 ? "" : `; stuck: ${stuck.map((e) => e.work).join(", ")}`
    }`
  return { workqueue: wq.name, counts, items, stuck, message }
}
