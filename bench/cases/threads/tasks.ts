/**
 * The tasks of bench case 6 as `Task` schemas and handlers; every CPU thread
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

export const handlers = Task.registry(
  Task.handler(Add, ({ a, b }) => Effect.succeed(a + b)),
  Task.handler(Burn, ({ ms }) => Effect.sync(() => burnMs(ms))),
  Task.handler(
    BurnAwait,
    ({ awaitMs, burnMs: ms }) =>
      Effect.sync(() => burnMs(ms)).pipe(Effect.zipRight(Effect.sleep(awaitMs)), Effect.as(0))
  )
)
