/**
 * The policy seam: the decisions a user may want to change, each with the
 * kernel's rule as the default. The pool engine asks the policy; it never
 * duplicates these rules.
 *
 * Invariants every policy must keep (the engine relies on them):
 * - `needMoreWorker` is false when the worklist is empty;
 * - `keepWorking` is false when the worklist is empty;
 * - `selectNext` returns an item that is on the worklist.
 *
 * @internal
 */
import type { Decisions, PoolView } from "../Policy.js"
import type { Work } from "../Work.js"
import * as List from "./list.js"
import type { WorkerPoolImpl } from "./pool.js"
import type { WorkImpl } from "./work.js"
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
  readonly pending = (): Iterable<Work> => List.toArray<WorkImpl>(this.pool.worklist) as unknown as Iterable<Work>
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
      : (pool) => selectNext(at(pool)) as unknown as WorkImpl | null,
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
