/**
 * The blocking detector: a `Supervisor` on worker fibers that tells the pool
 * when a busy worker blocks on async and when it runs again, the way the
 * kernel's scheduler calls `wq_worker_sleeping` / `wq_worker_running`.
 *
 * What the supervisor reports (effect 3.22): `onResume` when a fiber starts a
 * run-loop slice, `onSuspend` when the slice ends. A slice also ends on a
 * cooperative yield (op budget or `yieldNow`) and when the fiber finishes;
 * only "alive and waiting on async" is the kernel's "worker went to sleep".
 * Telling them apart needs the runtime fiber's private state, read only here:
 * - blocked: `_asyncBlockingOn !== null` and no message queued (a resume
 *   delivered synchronously inside the async registration is queued);
 * - yielded: messages queued;
 * - finished: `_exitValue !== null`.
 * `assertFiberInternals` fails loudly if an Effect upgrade changes these
 * fields (a test calls it; the layer calls it at construction).
 *
 * Invariants:
 * - hooks are O(1): one WeakMap lookup and a few field reads;
 * - a suspension while `worker.nonBlocking > 0` is not a block (fairness
 *   yields, a simulated task waiting for its CPU);
 * - fibers that are not workers (including fibers an item forks) are ignored.
 *
 * To port to a runtime without `Supervisor` (Effect 4), replace this file.
 *
 * @internal
 */
import * as Effect from "effect/Effect"
import type * as Fiber from "effect/Fiber"
import * as Supervisor from "effect/Supervisor"
import { workersByFiber } from "./current.js"
import { workerRunning, workerSleeping, workerTick } from "./pool.js"

interface FiberInternals {
  readonly _asyncBlockingOn: unknown
  readonly _queue: { readonly length: number }
  readonly _exitValue: unknown
}

/** @internal true iff the fiber's slice ended because it waits on async */
export const isBlocked = (fiber: Fiber.RuntimeFiber<unknown, unknown>): boolean => {
  const f = fiber as unknown as FiberInternals
  return f._asyncBlockingOn !== null && f._queue.length === 0 && f._exitValue === null
}

/** @internal check that the private fields the detector reads exist on this Effect version */
export const assertFiberInternals = (fiber: Fiber.RuntimeFiber<unknown, unknown>): void => {
  const f = fiber as unknown as Record<string, unknown>
  for (const field of ["_asyncBlockingOn", "_queue", "_exitValue"]) {
    if (!(field in f)) {
      throw new Error(
        `@cmwq/core: effect's RuntimeFiber has no ${field}; the blocking detector (internal/detector.ts) must be ported to this Effect version`
      )
    }
  }
}

class BlockingDetector extends Supervisor.AbstractSupervisor<void> {
  readonly value = Effect.void
  override onResume(fiber: Fiber.RuntimeFiber<unknown, unknown>): void {
    const worker = workersByFiber.get(fiber)
    if (worker === undefined) return
    if (worker.blockedAt >= 0 && worker.pool.pools.recorder !== null) {
      worker.pool.pools.recorder.worker(worker.pool.pools.platform.now(), "wake", worker)
    }
    worker.blockedAt = -1
    if (worker.sleeping || worker.offCpu) workerRunning(worker)
  }
  override onSuspend(fiber: Fiber.RuntimeFiber<unknown, unknown>): void {
    const worker = workersByFiber.get(fiber)
    if (worker === undefined || worker.nonBlocking > 0) return
    if (isBlocked(fiber)) {
      // for `Work.explain` (unbound and CPU-intensive workers never count as sleeping)
      if (worker.currentWork !== null) {
        worker.blockedAt = worker.pool.pools.platform.now()
        if (worker.pool.pools.recorder !== null) worker.pool.pools.recorder.worker(worker.blockedAt, "sleep", worker)
        // the same read stops the item's CPU time
        workerSleeping(worker, worker.blockedAt)
      } else workerSleeping(worker)
    } else if (worker.currentWork !== null) workerTick(worker)
  }
}

/** @internal the one detector; workers of every pool set share it */
export const detector: Supervisor.Supervisor<void> = new BlockingDetector()
