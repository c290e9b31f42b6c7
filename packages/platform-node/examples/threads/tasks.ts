/**
 * The tasks of `npm run demo:threads`: every CPU thread loads this module.
 */
import { Task } from "@cmwq/core"
import * as Effect from "effect/Effect"
import * as Schema from "effect/Schema"
import { threadId } from "node:worker_threads"

/** burns its thread for `ms` (CPU-bound) and reports the thread */
export class Crunch extends Schema.TaggedRequest<Crunch>()("Crunch", {
  payload: { ms: Schema.Number },
  success: Schema.Struct({ thread: Schema.Number }),
  failure: Schema.Never
}) {}

/** burns 1 ms, then awaits `ms` (I/O): reports the thread and the peak of such tasks in flight on it */
export class Fetch extends Schema.TaggedRequest<Fetch>()("Fetch", {
  payload: { ms: Schema.Number },
  success: Schema.Struct({ thread: Schema.Number, peakInFlight: Schema.Number }),
  failure: Schema.Never
}) {}

const burn = (ms: number): void => {
  const end = performance.now() + ms
  while (performance.now() < end) {
    // spin
  }
}

let inFlight = 0
let peak = 0

export const handlers = Task.registry(
  Task.handler(Crunch, ({ ms }) => Effect.sync(() => (burn(ms), { thread: threadId }))),
  Task.handler(Fetch, ({ ms }) =>
    Effect.gen(function*() {
      burn(1)
      inFlight++
      peak = Math.max(peak, inFlight)
      yield* Effect.sleep(ms)
      inFlight--
      return { thread: threadId, peakInFlight: peak }
    }))
)
