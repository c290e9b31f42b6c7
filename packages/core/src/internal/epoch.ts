/**
 * Flush epochs: "everything queued on a workqueue before now" as a value
 * (the kernel's flush color, made first class). `mark` is a flusher that
 * does not block: it takes a color exactly as `flush` does
 * (`color.ts` `startFlush`, kernel `__flush_workqueue`: the current work
 * color, or a place on `flusherOverflow` when 15 colors are in flight), and
 * the cascade completes it whether or not anyone waits (F4, F5). Awaiting,
 * polling, deadlines and combining are then reads and waits on flushers.
 *
 * Protocol: PROTOCOLS.md F6.
 *
 * @internal
 */
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import { type Flusher, startFlush } from "./color.js"
import * as Errors from "./errors.js"
import { explain, itemsOf } from "./explain.js"
import {
  awaitFlusher,
  callerName,
  checkFlushDependency,
  colorInRange,
  flushWaitsFor,
  prevColor,
  waitingOn
} from "./flush.js"
import { findWorkerExecutingWork, type WorkerPoolImpl } from "./pool.js"
import type { PoolWorkqueueImpl } from "./pwq.js"
import { colorOf, WORK_PWQ, type WorkImpl } from "./work.js"
import type { WorkqueueImpl } from "./workqueue.js"
import { recordWait } from "./lockdep.js"

/** @internal symbol tagging epoch values (public `Epoch.TypeId`) */
export const EpochTypeId: unique symbol = Symbol.for("@cmwq/core/Epoch")
/** @internal */
export type EpochTypeId = typeof EpochTypeId

/** @internal one workqueue's part of an epoch */
export interface Part {
  readonly wq: WorkqueueImpl
  readonly flusher: Flusher
}

/** @internal an epoch: the flushers of one or more marks */
export class EpochImpl {
  readonly [EpochTypeId]: EpochTypeId = EpochTypeId
  constructor(readonly parts: ReadonlyArray<Part>) {}
  toString(): string {
    return `Epoch(${this.parts.map((p) => p.wq.name).join(", ")})`
  }
  toJSON(): unknown {
    return { _id: "Epoch", workqueues: this.parts.map((p) => p.wq.name), done: isDone(this) }
  }
}

/** @internal F6: take a color (or a place in the overflow line) and return at once */
export const mark = (wq: WorkqueueImpl): EpochImpl => new EpochImpl([{ wq, flusher: startFlush(wq) }])

/** @internal have all the marks' flushers completed? */
export const isDone = (epoch: EpochImpl): boolean => epoch.parts.every((p) => p.flusher.done)

/** @internal the union of several epochs: done when all of them are */
export const all = (epochs: Iterable<EpochImpl>): EpochImpl => {
  const parts: Array<Part> = []
  for (const e of epochs) parts.push(...e.parts)
  return new EpochImpl(parts)
}

/** the last color a flusher waits for: its own, or (overflowed, no color yet) every color in flight */
const upToOf = (part: Part): number => part.flusher.color >= 0 ? part.flusher.color : prevColor(part.wq.workColor)

/** @internal the items an epoch still waits for, each with its explanation */
export const stragglers = (
  epoch: EpochImpl
): Array<Errors.Straggler> => {
  const out: Array<Errors.Straggler> = []
  for (const part of epoch.parts) {
    if (part.flusher.done) continue
    const wq = part.wq
    const upTo = upToOf(part)
    for (const work of itemsOf(wq)) {
      // a running item queued again (PWQ set) is in the epoch through its running instance too
      const queuedColor = (work.data & WORK_PWQ) !== 0 ? colorOf(work.data) : -1
      const runningColor = runningColorOf(work, wq)
      const inEpoch = (queuedColor >= 0 && colorInRange(queuedColor, wq.flushColor, upTo)) ||
        (runningColor >= 0 && colorInRange(runningColor, wq.flushColor, upTo))
      if (!inEpoch) continue
      const explanation = explain(work)
      out.push({ workqueue: wq.name, work: explanation.work, explanation })
    }
  }
  return out
}

/** the flush color of the instance of `work` running for `wq`, or -1 */
const runningColorOf = (work: WorkImpl, wq: WorkqueueImpl): number => {
  const pool = (work.data & WORK_PWQ) !== 0 ? (work.link as PoolWorkqueueImpl).pool : work.link as WorkerPoolImpl | null
  const runner = pool === null ? undefined : findWorkerExecutingWork(pool, work)
  return runner !== undefined && runner.currentPwq?.wq === wq ? runner.currentColor : -1
}

/**
 * @internal wait for every part of `epoch`, one after another (each flusher
 * completes on its own; the order of the waits does not matter). From inside
 * a work item, fails with FlushDeadlock if a part still waits for the
 * caller's own item, as `flush` does.
 */
export const awaitEpoch = (epoch: EpochImpl, operation = "Epoch.await"): Effect.Effect<void, Errors.FlushDeadlock> =>
  Effect.suspend(() => {
    if (epoch.parts.length === 0) return Effect.void
    const caller = epoch.parts[0]!.wq.pools.currentWorker()
    // an edge even when there is nothing to wait for now (as the kernel's flush takes its lockdep map)
    for (const part of epoch.parts) recordWait(part.wq.pools, caller, part.wq, operation)
    if (isDone(epoch)) return Effect.void
    if (caller !== null && caller.currentWork !== null) {
      for (const part of epoch.parts) {
        if (part.flusher.done) continue
        if (flushWaitsFor(part.wq, upToOf(part), caller, new Set())) {
          return Effect.fail(
            new Errors.FlushDeadlock({
              operation,
              target: part.wq.name,
              caller: callerName(caller),
              reason: "the epoch waits for the item it is awaited from"
            })
          )
        }
      }
    }
    return Effect.forEach(epoch.parts, (part) => {
      if (part.flusher.done) return Effect.void
      checkFlushDependency(part.wq, caller, false)
      return waitingOn(caller, { _tag: "Flush", wq: part.wq, flusher: part.flusher }, awaitFlusher(part.flusher))
    }, { discard: true })
  })

/**
 * @internal `awaitEpoch` with a deadline on the pools' clock: on timeout,
 * FlushTimeout with the stragglers explained at that instant. The flushers
 * stay in line (F5).
 */
export const awaitWithin = (
  epoch: EpochImpl,
  timeout: Duration.DurationInput,
  operation = "Epoch.await"
): Effect.Effect<void, Errors.FlushDeadlock | Errors.FlushTimeout | Errors.InvalidDelay> =>
  Effect.suspend((): Effect.Effect<void, Errors.FlushDeadlock | Errors.FlushTimeout | Errors.InvalidDelay> => {
    const duration = Duration.decodeUnknown(timeout)
    if (duration._tag === "None") return Effect.fail(new Errors.InvalidDelay({ delay: Number.NaN }))
    const ms = Duration.toMillis(duration.value)
    if (!(ms >= 0)) return Effect.fail(new Errors.InvalidDelay({ delay: ms }))
    return Effect.timeoutFail(awaitEpoch(epoch, operation), {
      duration: duration.value,
      onTimeout: () =>
        new Errors.FlushTimeout({
          operation,
          workqueues: epoch.parts.map((p) => p.wq.name),
          timeoutMs: ms,
          stragglers: stragglers(epoch)
        })
    })
  })

/** @internal `Workqueue.flush(wq, { timeout })`: the deadlock check of `flush`, a mark, a wait with a deadline */
export const flushWithin = (
  wq: WorkqueueImpl,
  timeout: Duration.DurationInput
): Effect.Effect<void, Errors.FlushDeadlock | Errors.FlushTimeout | Errors.InvalidDelay> =>
  Effect.suspend((): Effect.Effect<void, Errors.FlushDeadlock | Errors.FlushTimeout | Errors.InvalidDelay> => {
    const caller = wq.pools.currentWorker()
    if (caller !== null && caller.currentWork !== null && flushWaitsFor(wq, wq.workColor, caller, new Set())) {
      return Effect.fail(
        new Errors.FlushDeadlock({
          operation: "flush",
          target: wq.name,
          caller: callerName(caller),
          reason: "the flush waits for the item it is called from"
        })
      )
    }
    return awaitWithin(mark(wq), timeout, "flush")
  })
