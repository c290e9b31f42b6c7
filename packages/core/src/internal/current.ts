/**
 * The current worker: which worker (if any) the running code belongs to, the
 * kernel's `current_wq_worker()`. Worker fibers are registered here when they
 * start; a BH item, which runs synchronously on the spot, is found through
 * `bhContext` while it runs.
 *
 * Invariants:
 * - a fiber is in `workersByFiber` iff it is a worker or rescuer fiber (fibers
 *   an item forks are not workers);
 * - `bhContext.worker` is non-null only while a BH item runs.
 *
 * This module holds state only and imports no engine module at run time, so
 * every other module may use it.
 *
 * @internal
 */
import type * as Fiber from "effect/Fiber"
import type { WorkerImpl } from "./worker.js"

/** @internal worker fibers and their workers */
export const workersByFiber = new WeakMap<Fiber.RuntimeFiber<unknown, unknown>, WorkerImpl>()

/**
 * @internal the BH worker whose item is running synchronously right now (BH
 * items run to completion on the spot, in a fiber of their own)
 */
export const bhContext: { worker: WorkerImpl | null } = { worker: null }

/**
 * @internal the worker a fiber is: a worker fiber, or any code running inside
 * a BH item (kernel `current_wq_worker`)
 */
export const workerOf = (fiber: Fiber.RuntimeFiber<unknown, unknown>): WorkerImpl | undefined =>
  workersByFiber.get(fiber) ?? bhContext.worker ?? undefined

/**
 * @internal the fiber running right now, without allocating an Option (Effect
 * keeps it in a global while a fiber runs; `Fiber.getCurrentFiber` wraps it)
 */
export const currentFiber = (): Fiber.RuntimeFiber<unknown, unknown> | undefined =>
  (globalThis as Record<string, unknown>)["effect/FiberCurrent"] as Fiber.RuntimeFiber<unknown, unknown> | undefined
