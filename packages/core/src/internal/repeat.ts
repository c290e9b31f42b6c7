/**
 * Periodic work on an Effect `Schedule` (public `DelayedWork.repeating`):
 * a delayed item whose body runs the user's effect, steps the schedule with
 * its output, and queues the item again with the delay the schedule decides
 * (PROTOCOLS.md T5). The re-queue is the kernel's "a delayed work item
 * queues itself" (`queue_delayed_work` from its own function): it keeps
 * every PENDING, cancel and disable rule of T1–T4.
 *
 * @internal
 */
import * as Clock from "effect/Clock"
import * as Effect from "effect/Effect"
import type * as Schedule from "effect/Schedule"
import * as ScheduleDecision from "effect/ScheduleDecision"
import * as Intervals from "effect/ScheduleIntervals"
import { queueDelayedWorkOn } from "./cancel.js"
import { workerOf } from "./current.js"
import { capture } from "./item.js"
import { queueRefusal } from "./queue.js"
import { DelayedWorkImpl } from "./work.js"

/** @internal T5: the item that re-queues itself on `schedule` */
export const repeating = <A, E, R, Out, R2>(
  effect: Effect.Effect<A, E, R>,
  schedule: Schedule.Schedule<Out, A, R2>,
  name: string | undefined
): DelayedWorkImpl => {
  let state: unknown = schedule.initial
  const dwork = new DelayedWorkImpl(Effect.void, name)
  const next = (a: A): Effect.Effect<void, never, R2> =>
    Effect.flatMap(
      Clock.currentTimeMillis,
      (now) =>
        Effect.flatMap(schedule.step(now, a, state), ([s, _out, decision]) =>
          Effect.withFiberRuntime<void>((fiber) => {
            // a series that ends starts from the schedule's initial state when queued again
            state = schedule.initial
            if (ScheduleDecision.isDone(decision)) return Effect.void
            const worker = workerOf(fiber) ?? null
            const pwq = worker?.currentPwq ?? null
            if (worker === null || pwq === null) return Effect.void
            const wq = pwq.wq
            // a destroyed or destroying workqueue ends the series (chained queueing is still accepted while it drains)
            if (queueRefusal(wq, worker) !== null) return Effect.void
            const delay = Math.max(0, Intervals.start(decision.intervals) - now)
            const cpu = pwq.pool.cpu >= 0 && !wq.unbound ? pwq.pool.cpu : -1
            // refused (false) while a cancelSync holds the item disabled: the series stops for good
            if (queueDelayedWorkOn(cpu, wq, dwork, delay, wq.pools.localCpu(worker, fiber))) {
              dwork.ctx = capture(fiber, false, wq.pools, false)
              state = s
            }
            return Effect.void
          }))
    )
  // a failed run ends the series too
  const reset = Effect.sync(() => {
    state = schedule.initial
  })
  dwork.effect = Effect.flatMap(Effect.tapErrorCause(effect, () => reset), next) as Effect.Effect<unknown, unknown>
  return dwork
}
