/**
 * The freezer (kernel `freeze_workqueues_begin`, `freeze_workqueues_busy`,
 * `thaw_workqueues`): stops `FREEZABLE` workqueues from starting new items,
 * reports whether they are still busy, and thaws them.
 *
 * While frozen, a freezable workqueue's `maxActive` is 0: items already
 * running finish, every item queued (or waiting) stays inactive, in queue
 * order. Nothing is lost: thawing restores the limits and starts the held
 * items in order (round-robin across a workqueue's pools, FIFO within each).
 * Workqueues without `FREEZABLE` are not affected at any time.
 *
 * See docs/concepts/freezing.md.
 *
 * @since 0.1.0
 */
import type * as Effect from "effect/Effect"
import * as internal from "./internal/freezer.js"
import type { WorkerPools } from "./WorkerPool.js"

/**
 * Start freezing: freezable workqueues start nothing new until `thaw`.
 * Idempotent.
 *
 * @since 0.1.0
 * @category combinators
 */
export const freeze: Effect.Effect<void, never, WorkerPools> = internal.freeze

/**
 * Is some freezable workqueue still running (or about to run) an item that
 * started before the freeze? Kernel `freeze_workqueues_busy`. Poll it (or
 * `Workqueue.flush` the workqueues) to wait for the freeze to settle.
 *
 * @since 0.1.0
 * @category getters
 */
export const isBusy: Effect.Effect<boolean, never, WorkerPools> = internal.isBusy

/**
 * Are the pools frozen?
 *
 * @since 0.1.0
 * @category getters
 */
export const isFrozen: Effect.Effect<boolean, never, WorkerPools> = internal.isFrozen

/**
 * Thaw: restore every workqueue's limits and start what was held back, in
 * order. Idempotent.
 *
 * @since 0.1.0
 * @category combinators
 */
export const thaw: Effect.Effect<void, never, WorkerPools> = internal.thaw
