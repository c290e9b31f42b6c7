/**
 * Explanations: why a work item is not running (or what it is doing), as a
 * typed value and a plain-English sentence. `Work.explain(work)` explains
 * one item, `Workqueue.explain(wq)` sums a workqueue up.
 *
 * An explanation is a snapshot: it is taken at one instant of the engine
 * (nothing changes while it is read) and says what holds the item back at
 * that instant, naming what it waits for:
 *
 * | `_tag` | the item | starts after |
 * | --- | --- | --- |
 * | `NeverQueued` | was never queued | |
 * | `Finished` | is idle; its last run finished at `at` (whole milliseconds, rounded down) | |
 * | `OnTimer` | is a delayed item whose timer fires at `until` | `until` |
 * | `Worklist` | is on a pool's worklist at `position`; `reason` says why no worker took it | a worker is free |
 * | `Assigned` | is assigned to a worker, behind the item it runs (non-reentrancy, barriers) | that item |
 * | `MaxActive` | is inactive: `maxActive` is reached by the `active` items | one of `active` finishes |
 * | `Frozen` | is held by the freezer (a freezable workqueue) | a thaw |
 * | `BehindPredecessors` | waits on an ordered workqueue behind `ahead` | they finish |
 * | `Plugged` | waits on an ordered workqueue for items queued before an attributes change | they finish |
 * | `Disabled` | is disabled `depth` times: it cannot be queued | as many enables |
 * | `Running` | runs on `worker` of `pool` since `since`, running or blocked on async; a task item's `where` says where its transport runs it (a thread CPU, a cluster entity) | |
 *
 * Times: `since`, `at` (and the durations computed from them) are on the
 * pools' platform clock (`WorkerPool.Platform`, `performance.now()` by
 * default), which the engine already reads when an item starts and finishes;
 * `until` (a timer) and `failingSince` (worker creation) are on Effect's
 * `Clock`, as timers are.
 *
 * @since 0.1.0
 */
import * as internal from "./internal/explain.js"

/**
 * A worker and the item it runs.
 *
 * @example
 * ```ts
 * import type { Explanation } from "@cmwq/core"
 *
 * const show = (b: Explanation.BusyWorker) => `${b.worker}: ${b.work}`
 * ```
 *
 * @since 0.1.0
 * @category models
 */
export type BusyWorker = internal.BusyWorker

/**
 * Why no worker has taken an item from a pool's worklist:
 * - `WorkersRunning`: concurrency management. A worker of the pool is busy
 *   and running (not blocked), so no other one is woken; the item waits until
 *   one of them blocks on async or finishes (kernel `need_more_worker`);
 * - `WorkerWaking`: an idle worker was woken and has not run yet;
 * - `CreatingWorker`: no idle worker; the pool's manager is creating one.
 *   `failingSince` is when creation started failing (the `WorkerPool`
 *   `workerCreation` option), `maydaySent` whether the workqueue's rescuer was
 *   called, `rescuer` what the rescuer does (for `MEM_RECLAIM` workqueues);
 * - `Policy`: the pool's `Policy` does not start another worker now.
 *
 * @example
 * ```ts
 * import type { Explanation } from "@cmwq/core"
 *
 * const starved = (r: Explanation.WaitReason) => r._tag === "CreatingWorker" && r.failingSince !== null
 * ```
 *
 * @since 0.1.0
 * @category models
 */
export type WaitReason = internal.WaitReason

/**
 * What `Work.explain` returns: a tagged union (see the module's table), each
 * member with a `work` name and a `message` in plain English.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { Work } from "@cmwq/core"
 *
 * declare const work: Work.Work
 * const why = Effect.map(Work.explain(work), (e) => {
 *   switch (e._tag) {
 *     case "MaxActive":
 *       return `waiting for one of ${e.active.join(", ")}`
 *     default:
 *       return e.message
 *   }
 * })
 * ```
 *
 * @since 0.1.0
 * @category models
 */
export type Explanation = internal.Explanation

/**
 * What `Workqueue.explain` returns: every item queued or running on the
 * workqueue with its explanation (delayed items whose timer has not fired
 * are not on any workqueue yet and are not listed), the count per `_tag`,
 * the items that are `stuck` (see `isStuck`), and a one-line `message`.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { Workqueue } from "@cmwq/core"
 *
 * declare const wq: Workqueue.Workqueue
 * const report = Effect.flatMap(Workqueue.explain(wq), (x) => Effect.log(x.message))
 * ```
 *
 * @since 0.1.0
 * @category models
 */
export type WorkqueueExplanation = internal.WorkqueueExplanation

/**
 * The plain-English sentence of an explanation (the same text as its
 * `message`).
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { Explanation, Work } from "@cmwq/core"
 *
 * declare const work: Work.Work
 * const line = Effect.map(Work.explain(work), Explanation.format)
 * ```
 *
 * @since 0.1.0
 * @category formatting
 */
export const format = (explanation: Explanation): string => internal.format(explanation)

/**
 * Is the item held by something no progress of other items will resolve:
 * frozen (it needs a thaw), plugged, or on a pool whose worker creation has
 * been failing? (A `MaxActive` or `WorkersRunning` wait resolves by itself
 * when the items ahead finish.)
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { Explanation, Work } from "@cmwq/core"
 *
 * declare const work: Work.Work
 * const stuck = Effect.map(Work.explain(work), Explanation.isStuck)
 * ```
 *
 * @since 0.1.0
 * @category predicates
 */
export const isStuck = (explanation: Explanation): boolean => internal.isStuck(explanation)
