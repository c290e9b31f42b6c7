/**
 * The tasks of bench case 7 (and of `bench/threads-fairness.ts`) as `Task` schemas and handlers; every CPU thread
 * of the cmwq contender loads this module.
 */
import { Task } from "@cmwq/core"
import * as Effect from "effect/Effect"
import * as Schema from "effect/Schema"
// @ts-expect-error plain JavaScript, shared with the peers' workers
import { burn } from "./work.mjs"

const burnMs = burn as (ms: number) => number

export class Add extends Schema.TaggedRequest<Add>()("Add", {
  payload: { a: Schema.Number, b: Schema.Number },
  success: Schema.Number,
  failure: Schema.Never
}) {}

export class Burn extends Schema.TaggedRequest<Burn>()("Burn", {
  payload: { ms: Schema.Number },
  success: Schema.Number,
  failure: Schema.Never
}) {}

export class BurnAwait extends Schema.TaggedRequest<BurnAwait>()("BurnAwait", {
  payload: { burnMs: Schema.Number, awaitMs: Schema.Number },
  success: Schema.Number,
  failure: Schema.Never
}) {}

/** burn `ms`, answering when it started and ended (`performance.timeOrigin` based): `bench/threads-fairness.ts` */
export class Probe extends Schema.TaggedRequest<Probe>()("Probe", {
  payload: { ms: Schema.Number },
  success: Schema.Tuple(Schema.Number, Schema.Number),
  failure: Schema.Never
}) {}

export const handlers = Task.registry(
  Task.handler(Add, ({ a, b }) => Effect.succeed(a + b)),
  Task.handler(Burn, ({ ms }) => Effect.sync(() => burnMs(ms))),
  Task.handler(
    BurnAwait,
    ({ awaitMs, burnMs: ms }) =>
      Effect.sync(() => burnMs(ms)).pipe(Effect.zipRight(Effect.sleep(awaitMs)), Effect.as(0))
  ),
  Task.handler(Probe, ({ ms }) =>
    Effect.sync(() => {
      const start = performance.timeOrigin + performance.now()
      burnMs(ms)
      return [start, performance.timeOrigin + performance.now()] as const
    }))
)
