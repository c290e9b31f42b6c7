/**
 * The workqueue metrics (kernel `wq_monitor.py`'s counters as Effect
 * metrics): each `update` adds to every counter what changed since the last
 * one, per `workqueue` tag. A destroyed workqueue publishes its final counts
 * at its destroy (workqueue.ts `release`), so none are lost between the last
 * `update` and the destroy.
 *
 * @internal
 */
import * as Effect from "effect/Effect"
import { publish } from "./counters.js"
import { poolsImpl } from "./pools.js"
import { statsOf } from "./workqueue.js"

export { counters, inFlight } from "./counters.js"

/** @internal publish every live workqueue's counts */
export const update = poolsImpl((pools) =>
  Effect.forEach(pools.workqueues, (wq) => {
    const stats = statsOf(wq)
    return publish(wq, wq.name, stats, stats.inFlight, wq.failuresByType)
  }, { discard: true })
)
