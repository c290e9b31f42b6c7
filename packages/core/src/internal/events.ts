/**
 * Typed events the engine reports to an observer: failures of work items,
 * rescues, stalls. Events are plain tagged data so that an observer can
 * `switch` on `_tag`.
 *
 * @internal
 */
import * as Data from "effect/Data"
import type * as Cause from "effect/Cause"

/** @internal */
export type PoolEvent = Data.TaggedEnum<{
  /** a work item's effect failed, died or was interrupted; its worker and pool carry on */
  WorkFailed: {
    readonly workqueue: string
    readonly work: string
    readonly cause: Cause.Cause<unknown>
  }
  /** a queue attempt was refused (destroyed or draining workqueue); the item was not queued */
  QueueRejected: {
    readonly workqueue: string
    readonly work: string
    readonly reason: "destroyed" | "draining"
  }
  /** a pool could not get a worker in time and asked the rescuer of `workqueue` for help */
  Mayday: {
    readonly pool: string
    readonly workqueue: string
  }
  /** a work item ran for longer than the CPU-intensive threshold without blocking */
  CpuHog: {
    readonly pool: string
    readonly workqueue: string
    readonly work: string
    readonly millis: number
  }
  /** a pool had pending work and made no progress for longer than the watchdog threshold */
  WatchdogStall: {
    readonly pool: string
    readonly stuckMillis: number
    readonly pending: number
  }
  /** kernel `check_flush_dependency`: a WQ_MEM_RECLAIM context flushed a workqueue without it */
  FlushDependency: {
    readonly flusher: string
    readonly target: string
  }
  /** destroy found a workqueue still busy after draining and leaked it, as the kernel does */
  DestroyBusy: {
    readonly workqueue: string
  }
}>

/** @internal */
export const PoolEvent = Data.taggedEnum<PoolEvent>()
