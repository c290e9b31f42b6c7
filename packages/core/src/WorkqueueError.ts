/**
 * The typed errors of `@cmwq/core`. Every error names what was wrong and
 * where; none of them leaves anything half-done (a refused queue attempt
 * queues nothing, a refused `alloc` allocates nothing).
 *
 * See docs/concepts/workqueues-and-work.md.
 *
 * @since 0.1.0
 */
export {
  InvalidMaxActive,
  InvalidFlags,
  InvalidCpu,
  InvalidDelay,
  WorkqueueDestroyed,
  WorkqueueDraining,
  FlushDeadlock,
  InvalidOperation,
  InvalidPoolOptions,
  InvalidRecorderCapacity,
  BhWorkBlocked,
  InvalidWork,
  WorkqueueFull,
  PolicyMisbehaved,
  DrainTimeout,
  FlushTimeout,
  FlushStraggler,
  Straggler
} from "./internal/errors.js"

import type {
  InvalidMaxActive,
  InvalidFlags,
  InvalidCpu,
  InvalidDelay,
  WorkqueueDestroyed,
  WorkqueueDraining,
  FlushDeadlock,
  InvalidOperation,
  InvalidPoolOptions,
  InvalidRecorderCapacity,
  InvalidWork,
  WorkqueueFull,
  DrainTimeout,
  FlushTimeout
} from "./internal/errors.js"

/**
 * Any error of `@cmwq/core`.
 *
 * @since 0.1.0
 * @category models
 */
export type WorkqueueError =
  | InvalidMaxActive
  | InvalidFlags
  | InvalidCpu
  | InvalidDelay
  | WorkqueueDestroyed
  | WorkqueueDraining
  | FlushDeadlock
  | InvalidOperation
  | InvalidPoolOptions
  | InvalidRecorderCapacity
  | InvalidWork
  | WorkqueueFull
  | DrainTimeout
  | FlushTimeout
