/**
 * Task items over a transport with `send`: the item runs away from the
 * queueing side's workers (no worker waits while it is in flight), and stays
 * running for the engine. The transport here is a hand-driven one: the test
 * completes each sent task when it chooses, so every interleaving is chosen,
 * not timed.
 */
import { describe, expect, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Fiber from "effect/Fiber"
import * as Layer from "effect/Layer"
import * as Schema from "effect/Schema"
import * as fc from "fast-check"
import { Task, Work, WorkerPool, Workqueue } from "@cmwq/core"

class Add extends Schema.TaggedRequest<Add>()("Add", {
  payload: { a: Schema.Number, b: Schema.Number },
  success: Schema.Number,
  failure: Schema.Never
}) {}

interface Sent {
  readonly request: Add
  readonly done: (exit: Exit.Exit<unknown, unknown>) => void
  interrupted: boolean
}

/** a transport whose tasks end when the test says so */
const manual = () => {
  const inFlight: Array<Sent> = []
  const transport: Task.Transport = {
    run: () => Effect.die("run is not used when send is present"),
    send: (request, _target, handle, done) => {
      const sent: Sent = { request: request as Add, done, interrupted: false }
      inFlight.push(sent)
      handle.interrupt = () => {
        sent.interrupted = true
      }
      handle.where = `the manual transport, slot ${inFlight.length - 1}`
    }
  }
  /** end the i-th task in flight (its sum, or its interruption if it was interrupted) */
  const complete = (i: number) => {
    const [sent] = inFlight.splice(i, 1)
    sent!.done(sent!.interrupted ? Exit.interrupt(0 as never) : Exit.succeed(sent!.request.a + sent!.request.b))
  }
  return { inFlight, transport, complete }
}

const layerOf = (transport: Task.Transport) =>
  Layer.merge(Layer.succeed(Task.TaskTransport, transport), WorkerPool.layer({ cpus: 2 }))

/** settle the engine's fibers (worker wake-ups, fairness hand-backs): a few event-loop turns, no clock */
const settle = Effect.repeatN(Effect.promise(() => new Promise<void>((r) => setImmediate(r))), 5)

const workersOf = (pools: WorkerPool.WorkerPools) =>
  WorkerPool.unsafeSnapshot(pools).reduce((n, pool) => n + pool.workers, 0)

describe("Task items over a transport with send (away from the workers)", () => {
  it.live("many in flight hold no worker; max_active counts them; flush waits for every one", () => {
    const m = manual()
    return Effect.gen(function*() {
      const pools = yield* WorkerPool.WorkerPools
      const wq = yield* Workqueue.alloc("away", { maxActive: 8 })
      const make = yield* Task.maker
      const ends: Array<unknown> = []
      yield* settle
      const base = workersOf(pools)
      for (let i = 0; i < 40; i++) {
        Workqueue.unsafeQueue(
          wq,
          make(new Add({ a: i, b: 1 }), { onExit: (e) => ends.push(Exit.isSuccess(e) && e.value) })
        )
      }
      yield* settle
      // max_active 8 on the CPU: 8 in flight, the rest inactive, and no worker per task
      expect(m.inFlight.length).toBe(8)
      // (a worker waiting on each task in flight would have made the pool create 8 more)
      expect(workersOf(pools)).toBeLessThanOrEqual(base + 1)
      const flush = yield* Effect.fork(Workqueue.flush(wq))
      while (m.inFlight.length > 0) {
        m.complete(0)
        yield* settle
        expect(m.inFlight.length).toBeLessThanOrEqual(8)
        if (m.inFlight.length > 0) expect(flush.unsafePoll()).toBe(null)
      }
      yield* Fiber.join(flush)
      expect(ends).toEqual(Array.from({ length: 40 }, (_, i) => i + 1))
      expect(workersOf(pools)).toBeLessThanOrEqual(base + 1)
    }).pipe(Effect.scoped, Effect.provide(layerOf(m.transport)))
  })

  it.live("pending bit and non-reentrancy: requeued while away, it runs again only after it ends", () => {
    const m = manual()
    return Effect.gen(function*() {
      const wq = yield* Workqueue.alloc("away_reentrant", { flags: ["UNBOUND"] })
      const make = yield* Task.maker
      let ends = 0
      const work = make(new Add({ a: 1, b: 2 }), { onExit: () => ends++ })
      expect(Workqueue.unsafeQueue(wq, work)).toBe(true)
      expect(Workqueue.unsafeQueue(wq, work)).toBe(false) // pending
      yield* settle
      expect(m.inFlight.length).toBe(1)
      expect(yield* Work.busy(work)).toEqual({ pending: false, running: true })
      expect(Workqueue.unsafeQueue(wq, work)).toBe(true) // running: queueable again
      expect(Workqueue.unsafeQueue(wq, work)).toBe(false)
      yield* settle
      expect(m.inFlight.length).toBe(1) // not sent twice at once
      m.complete(0)
      yield* settle
      expect(ends).toBe(1)
      expect(m.inFlight.length).toBe(1) // the requeue runs now
      m.complete(0)
      yield* Workqueue.flush(wq)
      expect(ends).toBe(2)
      expect(yield* Work.busy(work)).toEqual({ pending: false, running: false })
    }).pipe(Effect.scoped, Effect.provide(layerOf(m.transport)))
  })

  it.live("cancel interrupts the task where it runs; cancelSync waits for it to end; not a failure", () => {
    const m = manual()
    return Effect.gen(function*() {
      const wq = yield* Workqueue.alloc("away_cancel")
      const make = yield* Task.maker
      const exits: Array<Exit.Exit<unknown, unknown>> = []
      const work = make(new Add({ a: 1, b: 1 }), { onExit: (e) => exits.push(e) })
      Workqueue.unsafeQueue(wq, work)
      yield* settle
      const cancel = yield* Effect.fork(Task.cancelSync(work))
      yield* settle
      expect(m.inFlight[0]!.interrupted).toBe(true)
      expect(cancel.unsafePoll()).toBe(null) // waits for the run to end
      m.complete(0)
      expect(yield* Fiber.join(cancel)).toBe(false)
      expect(exits.length).toBe(1)
      expect(Exit.isInterrupted(exits[0]!)).toBe(true)
      expect((yield* Workqueue.stats(wq)).failed ?? 0).toBe(0)
    }).pipe(Effect.scoped, Effect.provide(layerOf(m.transport)))
  })

  it.live("property: any order of completions, every task ends once, flush returns only after all", () =>
    Effect.promise(() =>
      fc.assert(
        fc.asyncProperty(
          fc.integer({ min: 1, max: 30 }),
          fc.integer({ min: 1, max: 6 }),
          fc.array(fc.nat(), { minLength: 1, maxLength: 60 }),
          async (n, maxActive, picks) => {
            const m = manual()
            await Effect.runPromise(
              Effect.gen(function*() {
                const wq = yield* Workqueue.alloc("away_prop", { maxActive })
                const make = yield* Task.maker
                const ends = new Map<number, number>()
                for (let i = 0; i < n; i++) {
                  Workqueue.unsafeQueue(
                    wq,
                    make(new Add({ a: i, b: 0 }), { onExit: () => ends.set(i, (ends.get(i) ?? 0) + 1) })
                  )
                }
                const flush = yield* Effect.fork(Workqueue.flush(wq))
                let k = 0
                for (;;) {
                  yield* settle
                  if (m.inFlight.length === 0) break
                  expect(m.inFlight.length).toBeLessThanOrEqual(maxActive * 2) // per CPU: 2 CPUs
                  expect(flush.unsafePoll()).toBe(null)
                  m.complete(picks[k++ % picks.length]! % m.inFlight.length)
                }
                yield* Fiber.join(flush)
                expect(ends.size).toBe(n)
                for (const count of ends.values()) expect(count).toBe(1)
              }).pipe(Effect.scoped, Effect.provide(layerOf(m.transport)))
            )
          }
        ),
        { numRuns: 40, seed: 12 }
      )
    ))

  it.live("Work.explain of a task in flight says where its transport runs it, on either path (send or run)", () => {
    const m = manual()
    return Effect.gen(function*() {
      const wq = yield* Workqueue.alloc("away_where", { flags: ["UNBOUND"] })
      const make = yield* Task.maker
      const work = make(new Add({ a: 1, b: 2 }), { name: "add" })
      yield* Workqueue.queue(wq, work)
      yield* settle
      const away = yield* Work.explain(work)
      m.complete(0)
      yield* Workqueue.flush(wq)
      const after = yield* Work.explain(work)
      return { away, after }
    }).pipe(
      Effect.scoped,
      Effect.provide(layerOf(m.transport)),
      Effect.tap(({ after, away }) =>
        Effect.sync(() => {
          expect(away).toMatchObject({ _tag: "Running", work: "add", where: "the manual transport, slot 0" })
          expect(away.message).toContain("the task runs at the manual transport, slot 0")
          expect(after._tag).toBe("Finished")
        })
      ),
      // the same through `run` (no `send`): the worker waits, and the handle says where
      Effect.zipRight(Effect.suspend(() => {
        let release: (() => void) | undefined
        const transport: Task.Transport = {
          run: (request, _target, handle) =>
            Effect.async<unknown>((resume) => {
              handle.where = "a remote place"
              release = () => resume(Effect.succeed((request as Add).a + (request as Add).b))
            })
        }
        return Effect.gen(function*() {
          const wq = yield* Workqueue.alloc("run_where", { flags: ["UNBOUND"] })
          const make = yield* Task.maker
          const work = make(new Add({ a: 2, b: 2 }), { name: "add2" })
          yield* Workqueue.queue(wq, work)
          yield* settle
          const running = yield* Work.explain(work)
          release!()
          yield* Workqueue.flush(wq)
          expect(running).toMatchObject({ _tag: "Running", where: "a remote place" })
          expect(running.message).toContain("blocked on async")
          expect(yield* Work.explain(work)).toMatchObject({ _tag: "Finished" })
        }).pipe(Effect.scoped, Effect.provide(layerOf(transport)))
      }))
    )
  })
})
