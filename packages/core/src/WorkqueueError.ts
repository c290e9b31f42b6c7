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
  BhWorkBlocked,
  InvalidWork,
  WorkqueueFull
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
  InvalidWork,
  WorkqueueFull
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
  | InvalidWork
  | WorkqueueFull
