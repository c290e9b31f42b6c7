import { describe, expect, it } from "@effect/vitest"
import * as Deferred from "effect/Deferred"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Fiber from "effect/Fiber"
import * as Layer from "effect/Layer"
import * as Schema from "effect/Schema"
import { Task, Work, Workqueue, WorkerPool } from "@cmwq/core"

class Add extends Schema.TaggedRequest<Add>()("Add", {
  payload: { a: Schema.Number, b: Schema.Number },
  success: Schema.Number,
  failure: Schema.Never
}) {}

class Boom extends Schema.TaggedError<Boom>()("Boom", { why: Schema.String }) {}

class Divide extends Schema.TaggedRequest<Divide>()("Divide", {
  payload: { a: Schema.Number, b: Schema.Number },
  success: Schema.Number,
  failure: Boom
}) {}

class Sleep extends Schema.TaggedRequest<Sleep>()("Sleep", {
  payload: { ms: Schema.Number, id: Schema.String },
  success: Schema.String,
  failure: Schema.Never
}) {}

class Unknown extends Schema.TaggedRequest<Unknown>()("Unknown", {
  payload: {},
  success: Schema.Void,
  failure: Schema.Never
}) {}

const started: Array<string> = []
let running = 0
let maxRunning = 0

const handlers = Task.registry(
  Task.handler(Add, ({ a, b }) => Effect.succeed(a + b)),
  Task.handler(Divide, ({ a, b }) => b === 0 ? Effect.fail(new Boom({ why: "b is 0" })) : Effect.succeed(a / b)),
  Task.handler(Sleep, ({ id, ms }) =>
    Effect.gen(function*() {
      started.push(id)
      running++
      maxRunning = Math.max(maxRunning, running)
      yield* Effect.sleep(ms).pipe(Effect.ensuring(Effect.sync(() => running--)))
      return id
    }))
)

const live = Task.layerInProcess.pipe(
  Layer.provide(Task.handlers(handlers)),
  Layer.provideMerge(WorkerPool.layer({ cpus: 2 }))
)

const reset = () => {
  started.length = 0
  running = 0
  maxRunning = 0
}

describe("Task (in-process transport)", () => {
  it.live("typed success and failure through the schemas", () =>
    Effect.gen(function*() {
      const wq = yield* Workqueue.alloc("tasks")
      expect(yield* Task.run(wq, new Add({ a: 1, b: 2 }))).toBe(3)
      const failed = yield* Effect.exit(Task.run(wq, new Divide({ a: 1, b: 0 })))
      expect(Exit.isFailure(failed)).toBe(true)
      const error = yield* Effect.flip(Task.run(wq, new Divide({ a: 1, b: 0 })))
      expect(error).toBeInstanceOf(Boom)
      expect(error._tag).toBe("Boom")
      const missing = yield* Effect.flip(Task.run(wq, new Unknown()))
      expect(missing._tag).toBe("TaskHandlerMissing")
    }).pipe(Effect.scoped, Effect.provide(live)))

  it.live("bad input is a typed codec error", () =>
    Effect.gen(function*() {
      const wq = yield* Workqueue.alloc("tasks")
      const bad = new Add({ a: 1, b: 2 }, { disableValidation: true })
      ;(bad as { a: unknown }).a = "one"
      const error = yield* Effect.flip(Task.run(wq, bad))
      expect(error._tag).toBe("TaskCodecError")
    }).pipe(Effect.scoped, Effect.provide(live)))

  it.live("a task item has the pending bit and is not reentrant", () =>
    Effect.gen(function*() {
      reset()
      const wq = yield* Workqueue.alloc("tasks", { flags: ["UNBOUND"] })
      const exits: Array<Exit.Exit<string, unknown>> = []
      const work = yield* Task.make(new Sleep({ ms: 20, id: "s" }), { onExit: (e) => exits.push(e) })
      expect(yield* Workqueue.queue(wq, work)).toBe(true)
      expect(yield* Workqueue.queue(wq, work)).toBe(false) // pending
      yield* Effect.sleep(5)
      expect(yield* Work.busy(work)).toEqual({ pending: false, running: true })
      expect(yield* Workqueue.queue(wq, work)).toBe(true) // running: queueable again
      yield* Workqueue.flush(wq)
      expect(exits.length).toBe(2)
      expect(maxRunning).toBe(1) // never twice at once
      expect(Exit.isSuccess(exits[1]!)).toBe(true)
    }).pipe(Effect.scoped, Effect.provide(live)), { timeout: 10_000 })

  it.live("flush waits for tasks; an awaiting task lets the next one start", () =>
    Effect.gen(function*() {
      reset()
      const wq = yield* Workqueue.alloc("tasks")
      const done: Array<string> = []
      for (let i = 0; i < 4; i++) {
        const w = yield* Task.make(new Sleep({ ms: 20, id: `t${i}` }), {
          onExit: (e) => Exit.isSuccess(e) && done.push(e.value)
        })
        yield* Workqueue.queue(wq, w)
      }
      yield* Workqueue.flush(wq)
      expect(done.sort()).toEqual(["t0", "t1", "t2", "t3"])
      expect(maxRunning).toBe(4)
    }).pipe(Effect.scoped, Effect.provide(live)))

  it.live("cancel interrupts a running task where it runs; a cancel is not a failure", () =>
    Effect.gen(function*() {
      reset()
      const wq = yield* Workqueue.alloc("tasks")
      const exits: Array<Exit.Exit<string, unknown>> = []
      const work = yield* Task.make(new Sleep({ ms: 10_000, id: "long" }), { onExit: (e) => exits.push(e) })
      yield* Workqueue.queue(wq, work)
      // until its handler runs (a first run also compiles the codecs), at most 2 s
      for (let waited = 0; started.length === 0 && waited < 2000; waited += 5) yield* Effect.sleep(5)
      expect(started).toEqual(["long"])
      expect(yield* Task.cancelSync(work)).toBe(false)
      expect(running).toBe(0)
      expect(exits.length).toBe(1)
      expect(Exit.isInterrupted(exits[0]!)).toBe(true)
      expect((yield* Workqueue.stats(wq)).failed ?? 0).toBe(0)
    }).pipe(Effect.scoped, Effect.provide(live)))

  it.live("interrupting Task.run cancels the task", () =>
    Effect.gen(function*() {
      reset()
      const wq = yield* Workqueue.alloc("tasks")
      const fiber = yield* Effect.fork(Task.run(wq, new Sleep({ ms: 10_000, id: "r" })))
      // until its handler runs (a first run also compiles the codecs), at most 2 s
      for (let waited = 0; running === 0 && waited < 2000; waited += 5) yield* Effect.sleep(5)
      expect(running).toBe(1)
      yield* Fiber.interrupt(fiber)
      expect(running).toBe(0)
    }).pipe(Effect.scoped, Effect.provide(live)))

  it.live("interrupting Task.run of a pending task drops it: it never runs", () =>
    Effect.gen(function*() {
      reset()
      const wq = yield* Workqueue.alloc("one_at_a_time", { maxActive: 1 })
      const first = yield* Effect.fork(Task.run(wq, new Sleep({ ms: 50, id: "first" })))
      yield* Effect.sleep(5)
      // max_active 1: the second waits on the inactive list behind the first
      const second = yield* Effect.fork(Task.run(wq, new Sleep({ ms: 1, id: "second" })))
      yield* Effect.sleep(5)
      yield* Fiber.interrupt(second)
      expect(yield* Fiber.join(first)).toBe("first")
      yield* Workqueue.flush(wq)
      expect(started).toEqual(["first"])
    }).pipe(Effect.scoped, Effect.provide(live)))

  it.live("queueOn runs on the named CPU; a handler's own tasks use the same transport", () =>
    Effect.gen(function*() {
      const wq = yield* Workqueue.alloc("tasks")
      const seen = yield* Deferred.make<number>()
      const w = Work.make(
        Effect.flatMap(WorkerPool.currentWorker, (info) =>
          Deferred.succeed(seen, info._tag === "Some" ? info.value.cpu : -2))
      )
      yield* Workqueue.queueOn(wq, 1, w)
      expect(yield* Deferred.await(seen)).toBe(1)
      expect(yield* Task.runOn(wq, 1, new Add({ a: 2, b: 2 }))).toBe(4)
      const error = yield* Effect.flip(Task.runOn(wq, 7, new Add({ a: 2, b: 2 })))
      expect(error._tag).toBe("InvalidCpu")
    }).pipe(Effect.scoped, Effect.provide(live)))
})
