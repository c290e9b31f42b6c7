/**
 * The freezer (kernel `freeze_workqueues_begin`, `freeze_workqueues_busy`,
 * `thaw_workqueues`): PROTOCOLS.md Z1–Z3. Freezing sets every freezable
 * workqueue's max_active to 0 (so newly queued items stay inactive); thawing
 * restores the saved limits and activates what was held back, FIFO per pwq.
 *
 * @internal
 */
import * as Effect from "effect/Effect"
import * as Flags from "./flags.js"
import { poolsImpl } from "./pools.js"
import { adjustMaxActive } from "./workqueue.js"

/** @internal Z1: start freezing (idempotent) */
export const freeze = poolsImpl((pools) =>
  Effect.sync(() => {
    if (pools.freezing) return
    pools.freezing = true
    for (const wq of pools.workqueues) adjustMaxActive(wq)
  })
)

/** @internal Z2: does a freezable workqueue still have an active item? */
export const isBusy = poolsImpl((pools) =>
  Effect.sync(() => {
    for (const wq of pools.workqueues) {
      if ((wq.flags & Flags.WQ_FREEZABLE) === 0) continue
      if (wq.pwqs.some((pwq) => pwq.nrActive > 0)) return true
    }
    return false
  })
)

/** @internal */
export const isFrozen = poolsImpl((pools) => Effect.sync(() => pools.freezing))

/** @internal Z3: thaw (idempotent) */
export const thaw = poolsImpl((pools) =>
  Effect.sync(() => {
    if (!pools.freezing) return
    pools.freezing = false
    for (const wq of pools.workqueues) adjustMaxActive(wq)
  })
)
