/**
 * The recorder: capture a real run's item events in a bounded ring buffer,
 * to replay them later in `@cmwq/testing`'s simulation and ask "what if".
 *
 * A recorder holds at most `capacity` events (queue, start, sleep, wake,
 * finish, and the CPU-intensive mark), each with its time, item name,
 * workqueue, CPU, worker and pool, plus one description (flags, max_active)
 * per workqueue. When full, the oldest event is overwritten and counted in
 * `dropped`. Pass it to the pools with `WorkerPool.layer({ recorder })`.
 *
 * What counts as "sleep" is what the pools' blocking detector sees: the
 * item's fiber waiting on async. Times are the pools' platform clock
 * (`performance.now()` milliseconds, or virtual time under the simulation).
 *
 * See the guide "Record, replay, what-if" on the documentation site.
 *
 * @since 0.1.0
 */
import * as Effect from "effect/Effect"
import * as Schema from "effect/Schema"
import { InvalidRecorderCapacity } from "./internal/errors.js"
import { RecorderImpl } from "./internal/recorder.js"

/**
 * One recorded event. `id` is one queueing of an item (an item queued twice
 * has two ids); `cpu` is the CPU asked for at queue time, else the worker's
 * pool CPU (-1: unbound); `worker` is -1 for queue events.
 *
 * @example
 * ```ts
 * import { Schema } from "effect"
 * import { Recorder } from "@cmwq/core"
 *
 * const e = Schema.decodeUnknownSync(Recorder.RecordedEvent)({
 *   t: 0, event: "queue", work: "w0", id: 0, workqueue: "events", cpu: 0, worker: -1, pool: 0
 * })
 * ```
 *
 * @since 0.1.0
 * @category schemas
 */
export const RecordedEvent = Schema.Struct({
  t: Schema.Number,
  event: Schema.Literal("queue", "start", "sleep", "wake", "finish", "cpuIntensive"),
  work: Schema.String,
  id: Schema.Number.pipe(Schema.int()),
  workqueue: Schema.String,
  cpu: Schema.Number.pipe(Schema.int()),
  worker: Schema.Number.pipe(Schema.int()),
  pool: Schema.Number.pipe(Schema.int())
})

/**
 * @since 0.1.0
 * @category models
 */
export type RecordedEvent = typeof RecordedEvent.Type

/**
 * A workqueue as a recording describes it: its flags (kernel names without
 * `WQ_`), whether it is ordered, and the max_active it was allocated with
 * (0: the default).
 *
 * @example
 * ```ts
 * import { Schema } from "effect"
 * import { Recorder } from "@cmwq/core"
 *
 * const wq = Schema.decodeUnknownSync(Recorder.RecordedWorkqueue)({ name: "events", flags: [], ordered: false, maxActive: 0 })
 * ```
 *
 * @since 0.1.0
 * @category schemas
 */
export const RecordedWorkqueue = Schema.Struct({
  name: Schema.String,
  flags: Schema.Array(Schema.String),
  ordered: Schema.Boolean,
  maxActive: Schema.Number.pipe(Schema.int(), Schema.nonNegative())
})

/**
 * @since 0.1.0
 * @category models
 */
export type RecordedWorkqueue = typeof RecordedWorkqueue.Type

/**
 * A recording: what `snapshot` returns, as JSON-ready data (write it with
 * `JSON.stringify`, read it back with `Schema.decodeUnknown(Recording)`).
 *
 * @example
 * ```ts
 * import { Schema } from "effect"
 * import { Recorder } from "@cmwq/core"
 *
 * const recording = Schema.decodeUnknownSync(Recorder.Recording)({
 *   capacity: 10, dropped: 0, cpus: 1, workqueues: [], events: []
 * })
 * ```
 *
 * @since 0.1.0
 * @category schemas
 */
export const Recording = Schema.Struct({
  capacity: Schema.Number.pipe(Schema.int(), Schema.positive()),
  dropped: Schema.Number.pipe(Schema.int(), Schema.nonNegative()),
  cpus: Schema.Number.pipe(Schema.int(), Schema.nonNegative()),
  workqueues: Schema.Array(RecordedWorkqueue),
  events: Schema.Array(RecordedEvent)
})

/**
 * @since 0.1.0
 * @category models
 */
export type Recording = typeof Recording.Type

/**
 * A bounded event recorder. Give it to `WorkerPool.layer({ recorder })`.
 *
 * @since 0.1.0
 * @category models
 */
export interface Recorder {
  /** the most events it holds */
  readonly capacity: number
  /** the events held, oldest first, with the workqueues' descriptions */
  readonly snapshot: Effect.Effect<Recording>
  /** forget the events held (workqueue descriptions stay) */
  readonly clear: Effect.Effect<void>
}

class RecorderHandle implements Recorder {
  constructor(readonly impl: RecorderImpl) {}
  get capacity(): number {
    return this.impl.capacity
  }
  get snapshot(): Effect.Effect<Recording> {
    return Effect.sync(() => this.impl.snapshot() as Recording)
  }
  get clear(): Effect.Effect<void> {
    return Effect.sync(() => this.impl.clear())
  }
}

/**
 * Make a recorder holding at most `capacity` events (fails with
 * `InvalidRecorderCapacity` unless it is a whole number, 1 or more).
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { Recorder, Work, WorkerPool, Workqueue } from "@cmwq/core"
 *
 * const program = Effect.gen(function*() {
 *   const recorder = yield* Recorder.make({ capacity: 10_000 })
 *   const recording = yield* Effect.gen(function*() {
 *     const wq = yield* Workqueue.alloc("events")
 *     yield* Workqueue.queue(wq, Work.make(Effect.sleep("5 millis"), { name: "io" }))
 *     yield* Workqueue.flush(wq)
 *     return yield* recorder.snapshot
 *   }).pipe(Effect.scoped, Effect.provide(WorkerPool.layer({ recorder })))
 *   console.log(JSON.stringify(recording))
 * })
 * ```
 *
 * @since 0.1.0
 * @category constructors
 */
export const make = (options: { readonly capacity: number }): Effect.Effect<Recorder, InvalidRecorderCapacity> =>
  Effect.suspend(() =>
    Number.isSafeInteger(options.capacity) && options.capacity >= 1
      ? Effect.succeed(new RecorderHandle(new RecorderImpl(options.capacity)))
      : Effect.fail(new InvalidRecorderCapacity({ capacity: options.capacity }))
  )
