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
import type { WorkImpl } from "./work.js"
import type { WorkerPoolImpl } from "./pool.js"
import type { WorkqueueImpl } from "./workqueue.js"
import * as List from "./list.js"

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
  needMoreWorker: (pool) => !List.isEmpty(pool.worklist) && pool.nrRunning === 0,
  keepWorking: (pool) => !List.isEmpty(pool.worklist) && pool.nrRunning <= 1,
  mayStartWorking: (pool) => pool.nrIdle > 0,
  selectNext: (pool) => List.first<WorkImpl>(pool.worklist),
  maxActive: (wq) => wq.maxActive
}
