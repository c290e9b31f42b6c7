/**
 * `Task.runAll`: many tasks as batch items. Over a hand-driven transport
 * with `sendAll` (the test ends each batch when it chooses: every
 * interleaving is chosen, not timed), over one with `send` only, and over
 * the in-process transport (`run` only).
 */
import { describe, expect, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Fiber from "effect/Fiber"
import * as Layer from "effect/Layer"
import * as Schema from "effect/Schema"
import * as fc from "fast-check"
import { Task, WorkerPool, Workqueue } from "@cmwq/core"

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

interface SentBatch {
  readonly requests: ReadonlyArray<Add>
  readonly done: (exits: ReadonlyArray<Exit.Exit<unknown, unknown>>) => void
  interrupted: boolean
}

/** a transport whose batches end when the test says so */
const manual = () => {
  const inFlight: Array<SentBatch> = []
  let singles = 0
  const transport: Task.Transport = {
    run: () => Effect.die("run is not used when sendAll is present"),
    send: () => {
      singles++
    },
    sendAll: (requests, _target, handle, done) => {
      const sent: SentBatch = { requests: requests as ReadonlyArray<Add>, done, interrupted: false }
      inFlight.push(sent)
      handle.interrupt = () => {
        sent.interrupted = true
      }
    }
  }
  /** end the i-th batch in flight (each task's sum, or interruptions) */
  const complete = (i: number) => {
    const [sent] = inFlight.splice(i, 1)
    sent!.done(
      sent!.requests.map((r) => sent!.interrupted ? Exit.interrupt(0 as never) : Exit.succeed(r.a + r.b))
    )
  }
  return { inFlight, transport, complete, singles: () => singles }
}

const layerOf = (transport: Task.Transport) =>
  Layer.merge(Layer.succeed(Task.TaskTransport, transport), WorkerPool.layer({ cpus: 2 }))

/** settle the engine's fibers: a few event-loop turns, no clock */
const settle = Effect.repeatN(Effect.promise(() => new Promise<void>((r) => setImmediate(r))), 5)

const adds = (n: number) => Array.from({ length: n }, (_, i) => new Add({ a: i, b: 1 }))
const sums = (n: number) => Array.from({ length: n }, (_, i) => i + 1)
const values = (exits: ReadonlyArray<Exit.Exit<unknown, unknown>>) =>
  exits.map((e) => Exit.isSuccess(e) ? e.value : "failed")

describe("Task.runAll (batch items)", () => {
  it.live("one item per batch: max_active counts batches, flush waits, results come back in order", () => {
    const m = manual()
    return Effect.gen(function*() {
      const wq = yield* Workqueue.alloc("batches", { maxActive: 2 })
      const all = yield* Effect.fork(Task.runAll(wq, adds(10), { size: 4 }))
      yield* settle
      // 3 batches (4 + 4 + 2), max_active 2: two in flight, one inactive
      expect(m.inFlight.map((b) => b.requests.length)).toEqual([4, 4])
      const flush = yield* Effect.fork(Workqueue.flush(wq))
      m.complete(1) // the second batch ends first
      yield* settle
      expect(m.inFlight.map((b) => b.requests.length)).toEqual([4, 2])
      expect(all.unsafePoll()).toBe(null)
      m.complete(1)
      m.complete(0)
      expect(values(yield* Fiber.join(all))).toEqual(sums(10))
      yield* Fiber.join(flush)
      expect(m.singles()).toBe(0)
    }).pipe(Effect.scoped, Effect.provide(layerOf(m.transport)))
  })

  it.live("interrupting the caller removes pending batches and interrupts running ones", () => {
    const m = manual()
    return Effect.gen(function*() {
      const wq = yield* Workqueue.alloc("batches_cancel", { maxActive: 1 })
      const all = yield* Effect.fork(Task.runAll(wq, adds(9), { size: 3 }))
      yield* settle
      expect(m.inFlight.length).toBe(1)
      yield* Fiber.interrupt(all)
      expect(m.inFlight[0]!.interrupted).toBe(true)
      m.complete(0)
      yield* Workqueue.flush(wq)
      // the two pending batches were removed: never sent
      expect(m.inFlight.length).toBe(0)
      expect((yield* Workqueue.stats(wq)).failed).toBe(0)
    }).pipe(Effect.scoped, Effect.provide(layerOf(m.transport)))
  })

  it.live("a transport with send only: one send per task, the batch ends with its last", () => {
    const sent: Array<readonly [Add, (exit: Exit.Exit<unknown, unknown>) => void]> = []
    const transport: Task.Transport = {
      run: () => Effect.die("unused"),
      send: (request, _target, _handle, done) => {
        sent.push([request as Add, done])
      }
    }
    return Effect.gen(function*() {
      const wq = yield* Workqueue.alloc("batches_send", { maxActive: 1 })
      const all = yield* Effect.fork(Task.runAll(wq, adds(7), { size: 3 }))
      yield* settle
      expect(sent.length).toBe(3) // the first batch; the others wait for its slot
      while (sent.length > 0) {
        // the last of a batch first: order of results is the order of requests all the same
        for (const [r, done] of sent.splice(0).reverse()) done(Exit.succeed(r.a + r.b))
        yield* settle
      }
      expect(values(yield* Fiber.join(all))).toEqual(sums(7))
    }).pipe(Effect.scoped, Effect.provide(layerOf(transport)))
  })

  it.effect("in-process (run only): typed successes and failures, each in its place", () =>
    Effect.gen(function*() {
      const wq = yield* Workqueue.alloc("batches_in_process")
      const requests = [new Add({ a: 1, b: 2 }), new Divide({ a: 1, b: 0 }), new Divide({ a: 6, b: 3 })]
      const exits = yield* Task.runAll(wq, requests, { size: 2 })
      expect(exits.length).toBe(3)
      expect(Exit.isSuccess(exits[0]!) && exits[0].value).toBe(3)
      expect(Exit.isFailure(exits[1]!)).toBe(true)
      expect(Exit.isSuccess(exits[2]!) && exits[2].value).toBe(2)
      expect(yield* Task.runAll(wq, [])).toEqual([])
    }).pipe(
      Effect.scoped,
      Effect.provide(Task.layerInProcess.pipe(
        Layer.provide(Task.handlers(Task.registry(
          Task.handler(Add, ({ a, b }) => Effect.succeed(a + b)),
          Task.handler(
            Divide,
            ({ a, b }) => b === 0 ? Effect.fail(new Boom({ why: "b is 0" })) : Effect.succeed(a / b)
          )
        ))),
        Layer.provideMerge(WorkerPool.layer({ cpus: 2 }))
      ))
    ))

  it.live("a batch size that is not a whole number, 1 or more, is refused by name", () => {
    const m = manual()
    return Effect.gen(function*() {
      const wq = yield* Workqueue.alloc("batches_bad")
      for (const size of [0, -1, 1.5, Number.NaN]) {
        const e = yield* Effect.flip(Task.runAll(wq, adds(2), { size }))
        expect(e._tag).toBe("InvalidOperation")
        expect(e.message).toContain("batch size")
        expect(e.message).toContain("batches_bad")
      }
      expect((yield* Effect.flip(Task.runAllOn(wq, 0, adds(2), { size: 0 })))._tag).toBe("InvalidOperation")
      expect(m.inFlight.length).toBe(0)
    }).pipe(Effect.scoped, Effect.provide(layerOf(m.transport)))
  })

  it.live("property: any sizes and completion orders: every result in its place, max_active batches at most", () =>
    Effect.promise(() =>
      fc.assert(
        fc.asyncProperty(
          fc.integer({ min: 0, max: 60 }),
          fc.integer({ min: 1, max: 16 }),
          fc.integer({ min: 1, max: 4 }),
          fc.array(fc.nat(), { minLength: 20, maxLength: 20 }),
          (n, size, maxActive, picks) => {
            const m = manual()
            return Effect.runPromise(
              Effect.gen(function*() {
                const wq = yield* Workqueue.alloc("batches_prop", { maxActive })
                const all = yield* Effect.fork(Task.runAll(wq, adds(n), { size }))
                // every batch is ended, whatever goes wrong, so that the scope closes; what went
                // wrong is recorded and told after the drain, not thrown in the middle of it
                const problems: Array<string> = []
                let step = 0
                let early: ReadonlyArray<unknown> | undefined
                yield* settle
                while (m.inFlight.length > 0) {
                  if (m.inFlight.length > maxActive) problems.push(`${m.inFlight.length} batches in flight`)
                  for (const b of m.inFlight) {
                    if (b.requests.length > size) problems.push(`a batch of ${b.requests.length}`)
                  }
                  const poll = all.unsafePoll()
                  if (poll !== null && early === undefined) {
                    // the caller was answered before its last batch ended: what it got, copied now
                    early = Exit.isSuccess(poll) ? Array.from(poll.value) : []
                    problems.push(`answered after ${step} of ${Math.ceil(n / size)} batches`)
                  }
                  m.complete(picks[step++ % picks.length]! % m.inFlight.length)
                  yield* settle
                }
                const got = early ?? (yield* Fiber.join(all))
                const unanswered = Array.from(got).flatMap((e, i) => (e === undefined ? [i] : []))
                  .concat(Array.from({ length: Math.max(0, n - got.length) }, (_, i) => got.length + i))
                if (unanswered.length > 0) problems.push(`tasks never answered: ${unanswered.join(", ")}`)
                expect(problems.join("; "), `runAll of ${n} tasks in batches of ${size}, max_active ${maxActive}`).toBe(
                  ""
                )
                expect(values(got as ReadonlyArray<Exit.Exit<unknown, unknown>>)).toEqual(sums(n))
                expect(step).toBe(Math.ceil(n / size))
              }).pipe(Effect.scoped, Effect.provide(layerOf(m.transport)))
            )
          }
        ),
        { numRuns: 40, seed: 20261202 }
      )
    ))
})
