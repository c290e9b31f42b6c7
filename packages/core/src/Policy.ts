/**
 * Queueing policies: the decisions a user may want to change, each with the
 * kernel's rule as the default.
 *
 * - which pending item a worker starts next (kernel: the oldest);
 * - when a pool wakes another worker (kernel `need_more_worker`: work is
 *   pending and no worker of the pool is running);
 * - whether a worker that finished an item takes the next one (kernel
 *   `keep_working`: work is pending and at most one worker runs);
 * - whether a worker may start without a spare idle worker behind it (kernel
 *   `may_start_working`);
 * - how `maxActive` is applied (kernel: the workqueue's own limit);
 * - whether workqueues share per-CPU pools (cmwq) or get dedicated ones
 *   (the workqueues before 2.6.36).
 *
 * Besides the kernel's policy this module ships `priority` (items ordered by
 * a priority function) and `legacy` (a dedicated worker per workqueue per
 * CPU, no sharing, no concurrency management: the pre-cmwq baseline).
 * `@cmwq/testing` shows how to property-test a policy of your own.
 *
 * See docs/concepts/policies.md.
 *
 * @since 0.1.0
 */
import * as internal from "./internal/policy.js"
import type { Work } from "./Work.js"

/**
 * @since 0.1.0
 * @category symbols
 */
export const TypeId: typeof internal.PolicyTypeId = internal.PolicyTypeId

/**
 * @since 0.1.0
 * @category symbols
 */
export type TypeId = typeof TypeId

/**
 * What a policy sees of a pool when it decides.
 *
 * @since 0.1.0
 * @category models
 */
export interface PoolView {
  /** the pool's CPU, or -1 for an unbound pool */
  readonly cpu: number
  readonly highpri: boolean
  /** workers counted as running (not blocked, not CPU-intensive, not idle) */
  readonly nrRunning: number
  readonly nrIdle: number
  readonly nrWorkers: number
  /** true iff the pool's worklist has items */
  readonly hasPending: boolean
  /** the worklist, oldest first */
  readonly pending: () => Iterable<Work>
}

/**
 * What a policy sees of a workqueue.
 *
 * @since 0.1.0
 * @category models
 */
export interface WorkqueueView {
  readonly name: string
  /** the workqueue's current max_active (0 while frozen) */
  readonly maxActive: number
}

/**
 * A queueing policy. Build one with `make`.
 *
 * @since 0.1.0
 * @category models
 */
export interface Policy {
  readonly [TypeId]: TypeId
  readonly name: string
}

/**
 * The decisions of a policy; each one left out keeps the kernel's rule.
 *
 * Obligations (the engine relies on them): `needMoreWorker` and `keepWorking`
 * are false when nothing is pending; `selectNext` returns a pending item.
 *
 * @since 0.1.0
 * @category models
 */
export interface Decisions {
  readonly name: string
  readonly pools?: "shared" | "dedicated" | undefined
  readonly needMoreWorker?: ((pool: PoolView) => boolean) | undefined
  readonly keepWorking?: ((pool: PoolView) => boolean) | undefined
  readonly mayStartWorking?: ((pool: PoolView) => boolean) | undefined
  readonly selectNext?: ((pool: PoolView) => Work | null) | undefined
  /**
   * the max_active to apply to a workqueue (kernel: its own): asked at each
   * activation for per-cpu workqueues, and for unbound ones when their shared
   * limit is computed (at alloc and when the limit changes); ordered
   * workqueues always run one item at a time
   */
  readonly maxActive?: ((workqueue: WorkqueueView) => number) | undefined
}

/**
 * Build a policy from decisions; what is left out keeps the kernel's rule.
 *
 * @since 0.1.0
 * @category constructors
 */
export const make = (decisions: Decisions): Policy => internal.make(decisions)

/**
 * The kernel's policy (the default).
 *
 * @since 0.1.0
 * @category constructors
 */
export const kernel: Policy = internal.kernel

/**
 * Items start in order of `priorityOf` (highest first; ties in queue order),
 * everything else as in the kernel. Picking scans the worklist: O(pending).
 *
 * @since 0.1.0
 * @category constructors
 */
export const priority = (priorityOf: (work: Work) => number): Policy => internal.priority(priorityOf)

/**
 * The workqueues before 2.6.36 (the "vanilla" workqueues of the 2010 cmwq announcement): every workqueue gets
 * its own worker per CPU, which runs its items strictly one after another,
 * even while one sleeps. No sharing, no concurrency management: the
 * benchmarks' baseline.
 *
 * @since 0.1.0
 * @category constructors
 */
export const legacy: Policy = internal.legacy
