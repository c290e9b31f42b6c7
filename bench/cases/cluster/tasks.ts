/**
 * The tasks of bench case 10 as `Task` schemas and handlers; the producer
 * and every runner process load this module.
 *
 * A task carries the epoch time it was queued at (`sentAt`, ms with a
 * fraction: `performance.timeOrigin + performance.now()`, comparable across
 * the processes of one machine) and returns when it finished and on which
 * runner (the process id and the runner's pools: several runners can share a
 * process), so the producer computes queue-to-finish latency and sees which
 * runners took part.
 */
import { Task, WorkerPool } from "@cmwq/core"
import * as Effect from "effect/Effect"
import * as Schema from "effect/Schema"

/** epoch milliseconds with a fraction, comparable across processes of one machine */
export const epochMs = (): number => performance.timeOrigin + performance.now()

/** what every task returns: when it finished and on which runner */
export const Finished = Schema.Struct({ at: Schema.Number, runner: Schema.String })

/** a task that does nothing */
export class Tiny extends Schema.TaggedRequest<Tiny>()("Tiny", {
  payload: { sentAt: Schema.Number },
  success: Finished,
  failure: Schema.Never
}) {}

/** a task that awaits `ms` (a timer: a stand-in for 1 ms of I/O) */
export class Wait extends Schema.TaggedRequest<Wait>()("Wait", {
  payload: { sentAt: Schema.Number, ms: Schema.Number },
  success: Finished,
  failure: Schema.Never
}) {}

/** a number per runner of this process: its pools' service, the one a runner gives its handlers */
const runnerIds = new WeakMap<object, number>()
let runnersSeen = 0
const finished = Effect.map(WorkerPool.WorkerPools, (pools) => {
  let id = runnerIds.get(pools)
  if (id === undefined) runnerIds.set(pools, id = runnersSeen++)
  return { at: epochMs(), runner: `${process.pid}/${id}` }
})

export const handlers = Task.registry(
  Task.handler(Tiny, () => finished),
  Task.handler(Wait, ({ ms }) => Effect.sleep(ms).pipe(Effect.zipRight(finished)))
)
