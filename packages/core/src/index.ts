/**
 * @cmwq/core: the Linux kernel's Concurrency Managed Workqueue for Effect.
 *
 * Start with `Workqueue` (allocate, queue, flush), `Work` (the items), and
 * `WorkerPool` (the shared pools every workqueue runs on).
 *
 * @since 0.1.0
 */

/**
 * Delayed work items: a work item plus a timer on Effect's `Clock`.
 *
 * @since 0.1.0
 */
export * as DelayedWork from "./DelayedWork.js"

/**
 * Flush epochs: "everything queued before now" as a value (`Workqueue.mark`),
 * to await, poll, await with a deadline, or combine.
 *
 * @since 0.1.0
 */
export * as Epoch from "./Epoch.js"

/**
 * Explanations: why a work item is not running, as a typed value and a
 * sentence (`Work.explain`, `Workqueue.explain`).
 *
 * @since 0.1.0
 */
export * as Explanation from "./Explanation.js"

/**
 * Flush colors: the 4-bit tag that lets `flush` wait for exactly the items
 * queued before it.
 *
 * @since 0.1.0
 */
export * as FlushColor from "./FlushColor.js"

/**
 * The freezer: stop freezable workqueues, check they are quiet, thaw them.
 *
 * @since 0.1.0
 */
export * as Freezer from "./Freezer.js"

/**
 * The kernel-named facade: `alloc_workqueue`, `queue_work`, `flush_work`, ...
 * with the kernel's argument order, flag bits and return values.
 *
 * @since 0.1.0
 */
export * as Kernel from "./Kernel.js"

/**
 * Queueing policies: the kernel's, a priority policy, and the pre-cmwq
 * "legacy" baseline.
 *
 * @since 0.1.0
 */
export * as Policy from "./Policy.js"

/**
 * The recorder: a bounded ring buffer of item events (queue, start, sleep,
 * wake, finish), to replay a real run in `@cmwq/testing`'s simulation.
 *
 * @since 0.1.0
 */
export * as Recorder from "./Recorder.js"

/**
 * The kernel's system workqueues as one Layer, and `schedule`.
 *
 * @since 0.1.0
 */
export * as SystemWorkqueues from "./SystemWorkqueues.js"

/**
 * Schema-typed tasks: work items whose request runs wherever the transport puts it.
 *
 * @since 0.1.0
 */
export * as Task from "./Task.js"

/**
 * Work items: an identity and an Effect to run.
 *
 * @since 0.1.0
 */
export * as Work from "./Work.js"

/**
 * The shared per-CPU worker pools and concurrency management.
 *
 * @since 0.1.0
 */
export * as WorkerPool from "./WorkerPool.js"

/**
 * Workqueues: allocate, queue, flush, drain, destroy.
 *
 * @since 0.1.0
 */
export * as Workqueue from "./Workqueue.js"

/**
 * The watchdog: stalled pools are reported; `touch` tells it about known-good stalls.
 *
 * @since 0.1.0
 */
export * as Watchdog from "./Watchdog.js"

/**
 * Workqueue statistics as Effect metrics (`wq_monitor.py`'s columns).
 *
 * @since 0.1.0
 */
export * as WorkqueueMetrics from "./WorkqueueMetrics.js"

/**
 * The typed errors.
 *
 * @since 0.1.0
 */
export * as WorkqueueError from "./WorkqueueError.js"
