/**
 * Typed events the engine reports to an observer: failures of work items,
 * rescues, stalls. Events are plain tagged data so that an observer can
 * `switch` on `_tag`.
 *
 * @internal
 */
import * as Cause from "effect/Cause"
import * as Data from "effect/Data"

/** @internal */
export type PoolEvent = Data.TaggedEnum<{
  /** a work item's effect failed, died or was interrupted; its worker and pool carry on */
  WorkFailed: {
    readonly workqueue: string
    readonly work: string
    readonly cause: Cause.Cause<unknown>
    /** the `error.type` of the cause (see `errorType`), as the `cmwq.work.failed` counter tags it */
    readonly errorType: string
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
  /**
   * lockdep-style dependency checking (the `dependencyChecks` option): items of
   * each workqueue of `chain` have waited for the next one (`operations[i]` is how
   * `chain[i]` waited for `chain[i + 1]`), closing a cycle: with the wrong timing
   * they can deadlock, even if this run did not. Reported once per cycle.
   */
  DependencyCycle: {
    readonly chain: ReadonlyArray<string>
    readonly operations: ReadonlyArray<string>
  }
  /** destroy found a workqueue still busy after draining and leaked it, as the kernel does */
  DestroyBusy: {
    readonly workqueue: string
  }
}>

/** @internal */
export const PoolEvent = Data.taggedEnum<PoolEvent>()

/** @internal the `error.type` value of an unknown error: see `errorType` */
const typeOfError = (error: unknown): string => {
  if (typeof error === "object" && error !== null) {
    const tag = (error as { readonly _tag?: unknown })._tag
    if (typeof tag === "string" && tag !== "") return tag
    const name = (error as { readonly constructor?: { readonly name?: unknown } }).constructor?.name
    if (typeof name === "string" && name !== "" && name !== "Object") return name
  }
  return "_OTHER"
}

/**
 * @internal the OpenTelemetry `error.type` of a failed item's cause: the
 * error Effect's `Cause.squash` picks (the first typed failure, else the
 * first defect, else the interruption), named by its `_tag` if it is a
 * tagged error, else by its class name, else `"_OTHER"`. Low cardinality by
 * construction: never the message.
 */
export const errorType = (cause: Cause.Cause<unknown>): string => typeOfError(Cause.squash(cause))
