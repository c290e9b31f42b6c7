/**
 * The workqueue watchdog (kernel `workqueue.watchdog_thresh`): the pools
 * check, every quarter of `WorkerPool.Options.watchdogThreshold` (default
 * 30 s; 0 disables it), for a pool that has pending work and has made no
 * progress for longer than the threshold, and report it once per threshold as
 * a `WatchdogStall` event to the observer and as a log line in the kernel's
 * words (`BUG: workqueue lockup - pool cpus=0 nice=0 (cpu0) stuck for 31s! (1 pending)`).
 * A pool whose items keep starting is never reported, however busy.
 *
 * See docs/concepts/debugging.md.
 *
 * @since 0.1.0
 */
import type * as Effect from "effect/Effect"
import * as internal from "./internal/workerPool.js"
import type { WorkerPools } from "./WorkerPool.js"

/**
 * Tell the watchdog that a CPU (or, without a CPU, every pool) is making
 * progress by other means, e.g. during a long, known-good stall (kernel
 * `wq_watchdog_touch`).
 *
 * @since 0.1.0
 * @category combinators
 */
export const touch = (cpu?: number): Effect.Effect<void, never, WorkerPools> => internal.touch(cpu)
