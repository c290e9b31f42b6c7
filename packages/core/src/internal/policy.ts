/**
 * The policy seam: the decisions a user may want to change, each with the
 * kernel's rule as the default. The pool engine asks the policy; it never
 * duplicates these rules.
 *
 * Invariants every policy must keep (the engine relies on them):
 * - `needMoreWorker` is false when the worklist is empty;
 * - `keepWorking` is false when the worklist is empty;
 * - `selectNext` returns an item that is on the worklist. A user's
 *   `selectNext` is only offered chain heads that are not barriers, and a
 *   pick outside those falls back to the first worklist item
 *   (`guardedSelectNext`), so no policy can start a barrier before its
 *   target.
 *
 * @internal
 */
import type { Decisions, PoolView } from "../Policy.js"
import type { Work } from "../Work.js"
import * as List from "./list.js"
import type { WorkerPoolImpl } from "./pool.js"
import type { PoolWorkqueueImpl } from "./pwq.js"
import { BarrierImpl, WORK_INACTIVE, WORK_LINKED, WORK_PWQ, type WorkImpl } from "./work.js"
import type { WorkqueueImpl } from "./workqueue.js"

/** @internal */
export interface PolicyImpl {
  readonly name: string
  /** "shared": per-CPU pools shared by all bound workqueues (cmwq); "dedicated": a private pool per workqueue per CPU (pre-2.6.36) */
  readonly pools: "shared" | "dedicated"
  /** kernel `need_more_worker`: should an idle worker be woken to start pending work? */
  readonly needMoreWorker: (pool: WorkerPoolImpl) => boolean
  /** kernel `keep_working`: should a worker that just finished an item take the next one? */
  readonly keepWorking: (pool: WorkerPoolImpl) => boolean
  /** kernel `may_start_working`: may a worker start processing without a spare idle worker behind it? */
  readonly mayStartWorking: (pool: WorkerPoolImpl) => boolean
  /** which worklist item a worker takes next (kernel: the first) */
  readonly selectNext: (pool: WorkerPoolImpl) => WorkImpl | null
  /** the max_active limit to apply to a workqueue's pwq (kernel: the workqueue's own) */
  readonly maxActive: (wq: WorkqueueImpl) => number
}

/** @internal the kernel's rules (kernel/workqueue.c: need_more_worker, keep_working, may_start_working) */
export const kernelPolicy: PolicyImpl = {
  name: "kernel",
  pools: "shared",
  // the emptiness tests are List.isEmpty / List.first written out: these run
  // several times per item, and a call into list.ts is a detour when reading
  needMoreWorker: (pool) => pool.worklist.next !== pool.worklist && pool.nrRunning === 0,
  keepWorking: (pool) => pool.worklist.next !== pool.worklist && pool.nrRunning <= 1,
  mayStartWorking: (pool) => pool.nrIdle > 0,
  selectNext: (pool) => {
    const head = pool.worklist.next
    return head === pool.worklist ? null : head as WorkImpl
  },
  maxActive: (wq) => wq.maxActive
}

// -----------------------------------------------------------------------------
// The operations of the public `Policy` module
// -----------------------------------------------------------------------------

/** @internal symbol tagging policies (public `Policy.TypeId`) */
export const PolicyTypeId: unique symbol = Symbol.for("@cmwq/core/Policy")

/** @internal a policy as users hold it: the engine's decisions plus the TypeId */
export type TaggedPolicy = PolicyImpl & { readonly [PolicyTypeId]: typeof PolicyTypeId }

const tag = (impl: PolicyImpl): TaggedPolicy => ({ ...impl, [PolicyTypeId]: PolicyTypeId })

/**
 * @internal the read-only view of a pool a user's decision gets (public
 * `Policy.PoolView`). One view per policy, re-pointed at each call: a
 * decision runs synchronously and must not keep it.
 */
class PoolViewImpl implements PoolView {
  pool!: WorkerPoolImpl
  get cpu() {
    return this.pool.cpu
  }
  get highpri() {
    return this.pool.highpri
  }
  get nrRunning() {
    return this.pool.nrRunning
  }
  get nrIdle() {
    return this.pool.nrIdle
  }
  get nrWorkers() {
    return this.pool.nrWorkers
  }
  get hasPending() {
    return !List.isEmpty(this.pool.worklist)
  }
  readonly pending = (): Iterable<Work> => selectable(this.pool)
}

/** is `work` on `pool`'s worklist the head of its LINKED chain (not a member moving with an earlier item)? */
const isChainHead = (pool: WorkerPoolImpl, work: WorkImpl): boolean =>
  work.prev === pool.worklist || ((work.prev as WorkImpl).data & WORK_LINKED) === 0

/**
 * @internal what a user's policy is offered: the worklist's chain heads that are
 * not barriers. A flush barrier (B2) and the rest of a LINKED chain must
 * follow their target; offering them would let a policy start a barrier
 * before its target (`Work.flush` and `cancelSync` returning early) or split
 * a chain.
 */
const selectable = (pool: WorkerPoolImpl): Array<WorkImpl> => {
  const out: Array<WorkImpl> = []
  let member = false
  for (let node = pool.worklist.next; node !== pool.worklist; node = node.next) {
    const work = node as WorkImpl
    const skip = member || work instanceof BarrierImpl
    member = (work.data & WORK_LINKED) !== 0
    if (!skip) out.push(work)
  }
  return out
}

/**
 * @internal the engine's guard around a user's `selectNext` (Q5). A barrier
 * heading its chain (its target was cancelled, C1) waits for nothing and
 * costs nothing: it runs first, before the policy is asked, so no policy can
 * starve it. Otherwise the policy picks among `selectable`; a pick that is
 * not one of those (null while work is pending, a barrier, a chain member,
 * an item not on this worklist) falls back to the kernel's choice, the first
 * worklist item, which is always a chain head.
 */
const guardedSelectNext = (pool: WorkerPoolImpl, pick: () => WorkImpl | null): WorkImpl | null => {
  const worklist = pool.worklist
  for (let node = worklist.next; node !== worklist; node = node.next) {
    const work = node as WorkImpl
    if (work instanceof BarrierImpl && isChainHead(pool, work)) return work
  }
  const picked = pick()
  if (
    picked !== null && !(picked instanceof BarrierImpl) &&
    (picked.data & (WORK_PWQ | WORK_INACTIVE)) === WORK_PWQ &&
    (picked.link as PoolWorkqueueImpl).pool === pool &&
    isChainHead(pool, picked) && !onScheduledList(picked, pool)
  ) {
    return picked
  }
  return List.first<WorkImpl>(worklist)
}

/** is `work` on one of `pool`'s workers' scheduled lists (rather than on its worklist)? */
const onScheduledList = (work: WorkImpl, pool: WorkerPoolImpl): boolean => {
  for (const worker of pool.workers) {
    if (worker.currentWork === null) continue
    for (let node = worker.scheduled.next; node !== worker.scheduled; node = node.next) if (node === work) return true
  }
  return false
}

/**
 * @internal public `Policy.make`: the user's decisions over the kernel's
 * defaults. `needMoreWorker` and `keepWorking` are and-ed with "the worklist
 * is not empty", which keeps the invariants the engine relies on.
 */
export const make = (decisions: Decisions): TaggedPolicy => {
  const view = new PoolViewImpl()
  const at = (pool: WorkerPoolImpl): PoolView => {
    view.pool = pool
    return view
  }
  const { keepWorking, maxActive, mayStartWorking, needMoreWorker, selectNext } = decisions
  return tag({
    name: decisions.name,
    pools: decisions.pools ?? "shared",
    needMoreWorker: needMoreWorker === undefined
      ? kernelPolicy.needMoreWorker
      : (pool) => !List.isEmpty(pool.worklist) && needMoreWorker(at(pool)),
    keepWorking: keepWorking === undefined
      ? kernelPolicy.keepWorking
      : (pool) => !List.isEmpty(pool.worklist) && keepWorking(at(pool)),
    mayStartWorking: mayStartWorking === undefined ? kernelPolicy.mayStartWorking : (pool) => mayStartWorking(at(pool)),
    selectNext: selectNext === undefined
      ? kernelPolicy.selectNext
      : (pool) => guardedSelectNext(pool, () => selectNext(at(pool)) as unknown as WorkImpl | null),
    maxActive: maxActive === undefined ? kernelPolicy.maxActive : (wq) => maxActive(wq)
  })
}

/** @internal public `Policy.kernel` */
export const kernel: TaggedPolicy = tag(kernelPolicy)

/** @internal public `Policy.priority`: the highest-priority worklist item first (FIFO among equals) */
export const priority = (priorityOf: (work: Work) => number): TaggedPolicy =>
  make({
    name: "priority",
    selectNext: (pool) => {
      let best: Work | null = null
      let bestPriority = -Infinity
      for (const work of pool.pending()) {
        const p = priorityOf(work)
        if (p > bestPriority) {
          best = work
          bestPriority = p
        }
      }
      return best
    }
  })

/** @internal public `Policy.legacy`: a dedicated pool per workqueue per CPU, one item after another */
export const legacy: TaggedPolicy = make({
  name: "legacy",
  pools: "dedicated",
  keepWorking: () => true,
  mayStartWorking: () => true
})
