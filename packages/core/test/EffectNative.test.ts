/**
 * The Effect-native surface: typed items with requirements and context
 * propagation, the constructors' footguns, run/submit/runAll, backpressure,
 * periodic work on a Schedule, workqueue services.
 */
import { describe, expect, expectTypeOf, it } from "@effect/vitest"
import * as Chunk from "effect/Chunk"
import * as Cause from "effect/Cause"
import * as Clock from "effect/Clock"
import * as Context from "effect/Context"
import * as Data from "effect/Data"
import * as Deferred from "effect/Deferred"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Fiber from "effect/Fiber"
import { pipe } from "effect/Function"
import * as HashMap from "effect/HashMap"
import * as Logger from "effect/Logger"
import * as LogLevel from "effect/LogLevel"
import * as Option from "effect/Option"
import * as Schedule from "effect/Schedule"
import * as Stream from "effect/Stream"
import * as TestClock from "effect/TestClock"
import * as fc from "fast-check"
import { DelayedWork, Work, WorkerPool, Workqueue, WorkqueueError } from "@cmwq/core"
import { runVirtualSync, testPools } from "./helpers.js"
import { checkScenario } from "./properties/results.js"

class Greeting extends Context.Tag("Greeting")<Greeting, string>() {}

const failureOf = <A, E>(exit: Exit.Exit<A, E>): unknown =>
  Exit.isFailure(exit) ? Option.getOrUndefined(Cause.failureOption(exit.cause)) : undefined

describe("typed items with requirements", () => {
  it("an item runs with the Context and log annotations of the queue call that returned true", () => {
    const seen: Array<string> = []
    const logs: Array<Record<string, unknown>> = []
    const logger = Logger.make(({ annotations, message }) => {
      logs.push({ message, ...Object.fromEntries(HashMap.toEntries(annotations)) })
    })
    runVirtualSync(
      Effect.gen(function*() {
        const wq = yield* Workqueue.alloc("ctx")
        const work: Work.Work<never, Greeting> = Work.make(
          Effect.gen(function*() {
            seen.push(yield* Greeting)
            yield* Effect.log("inside")
          }),
          { name: "greeter" }
        )
        const first = yield* Workqueue.queue(wq, work).pipe(
          Effect.provideService(Greeting, "first"),
          Effect.annotateLogs("request", "r1")
        )
        // already pending: false, and nothing changes
        const second = yield* Workqueue.queue(wq, work).pipe(
          Effect.provideService(Greeting, "second"),
          Effect.annotateLogs("request", "r2")
        )
        expect([first, second]).toEqual([true, false])
        yield* Workqueue.flush(wq)
      }).pipe(Effect.provide(Logger.replace(Logger.defaultLogger, logger)), Logger.withMinimumLogLevel(LogLevel.Debug))
    )
    expect(seen).toEqual(["first"])
    const inside = logs.find((l) => String(l["message"]).includes("inside"))
    expect(inside).toMatchObject({ request: "r1", workqueue: "ctx", work: "greeter", cpu: 0, worker: "kworker/0:0" })
  })

  it("delayed items and modDelayed carry the context of the call that armed them", () => {
    const seen: Array<string> = []
    runVirtualSync(Effect.gen(function*() {
      const wq = yield* Workqueue.alloc("ctx-delayed")
      const dwork = DelayedWork.make(Effect.map(Greeting, (g) => seen.push(g)))
      yield* Workqueue.queueDelayed(wq, dwork, 10).pipe(Effect.provideService(Greeting, "queued"))
      yield* Workqueue.queueDelayed(wq, dwork, 10).pipe(Effect.provideService(Greeting, "ignored"))
      yield* Effect.sleep(20)
      yield* Workqueue.queueDelayed(wq, dwork, 10).pipe(Effect.provideService(Greeting, "again"))
      yield* Workqueue.modDelayed(wq, dwork, 5).pipe(Effect.provideService(Greeting, "modded"))
      yield* Effect.sleep(20)
      yield* Workqueue.flush(wq)
    }))
    expect(seen).toEqual(["queued", "modded"])
  })

  it("an item's typed failure reaches run's caller and the stats", () => {
    class Boom extends Error {
      readonly _tag = "Boom"
    }
    const { exit, failed } = runVirtualSync(Effect.gen(function*() {
      const wq = yield* Workqueue.alloc("typed-failure")
      const exit = yield* Effect.exit(Workqueue.run(wq, Effect.fail(new Boom())))
      const stats = yield* Workqueue.stats(wq)
      return { exit, failed: stats.failed }
    }))
    expect(failureOf(exit)).toBeInstanceOf(Boom)
    expect(failed).toBe(1)
  })
})

describe("context capture (property)", () => {
  it("each run sees the Context and log annotations of the queue call that returned true, never of one that returned false", () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.record({
            caller: fc.integer({ min: 0, max: 3 }),
            delayed: fc.boolean(),
            gap: fc.integer({ min: 0, max: 3 })
          }),
          { minLength: 1, maxLength: 12 }
        ),
        fc.integer({ min: 0, max: 3 }),
        (calls, itemMillis) => {
          const seen: Array<string> = []
          const { accepted } = runVirtualSync(Effect.gen(function*() {
            const wq = yield* Workqueue.alloc("capture", { maxActive: 1 })
            const body = Effect.gen(function*() {
              const greeting = yield* Greeting
              const annotations = yield* Effect.logAnnotations
              seen.push(`${greeting}/${String(HashMap.unsafeGet(annotations, "caller"))}`)
              yield* Effect.sleep(itemMillis)
            })
            const work = DelayedWork.make(body)
            const accepted: Array<string> = []
            for (const [i, call] of calls.entries()) {
              const id = `c${call.caller}#${i}`
              const queued: Effect.Effect<boolean, unknown, Greeting> = call.delayed
                ? Workqueue.queueDelayed(wq, work, 1)
                : Workqueue.queue(wq, work)
              const ok = yield* queued.pipe(
                Effect.provideService(Greeting, id),
                Effect.annotateLogs("caller", id)
              )
              if (ok) accepted.push(`${id}/${id}`)
              for (let g = 0; g < call.gap; g++) yield* Effect.sleep(1)
            }
            yield* Effect.sleep(10)
            yield* Workqueue.flush(wq)
            return { accepted }
          }))
          // one run per call that returned true, each with that call's Context and annotations, in order
          expect(seen).toEqual(accepted)
        }
      ),
      { numRuns: 80, seed: 0xc0de }
    )
  })
})

describe("context on the rescuer and on BH pools", () => {
  const contextRun = (flags: ReadonlyArray<Workqueue.Flag>, options: WorkerPool.Options) => {
    const seen: Array<{ greeting: string; worker: string }> = []
    const logs: Array<Record<string, unknown>> = []
    const logger = Logger.make(({ annotations, message }) => {
      logs.push({ message, ...Object.fromEntries(HashMap.toEntries(annotations)) })
    })
    runVirtualSync(
      Effect.gen(function*() {
        const wq = yield* Workqueue.alloc("ctx-special", { flags })
        for (const greeting of ["a", "b"]) {
          const work: Work.Work<never, Greeting> = Work.make(
            Effect.gen(function*() {
              const me = Option.getOrThrow(yield* WorkerPool.currentWorker)
              seen.push({ greeting: yield* Greeting, worker: me.name })
              yield* Effect.log("inside")
            }),
            { name: `greeter-${greeting}` }
          )
          yield* Workqueue.queue(wq, work).pipe(
            Effect.provideService(Greeting, greeting),
            Effect.annotateLogs("request", greeting)
          )
        }
        yield* Workqueue.drain(wq)
      }).pipe(Effect.provide(Logger.replace(Logger.defaultLogger, logger)), Logger.withMinimumLogLevel(LogLevel.Debug)),
      options
    )
    return { seen, inside: logs.filter((l) => String(l["message"]).includes("inside")) }
  }

  it("a rescued item runs with the Context and log annotations of its queue call", () => {
    const { inside, seen } = contextRun(["MEM_RECLAIM"], { workerCreation: () => Effect.succeed(false) })
    expect(seen).toEqual([{ greeting: "a", worker: "kworker/R-ctx-special" }, {
      greeting: "b",
      worker: "kworker/R-ctx-special"
    }])
    expect(inside).toMatchObject([
      { request: "a", workqueue: "ctx-special", work: "greeter-a", worker: "kworker/R-ctx-special" },
      { request: "b", workqueue: "ctx-special", work: "greeter-b", worker: "kworker/R-ctx-special" }
    ])
  })

  it("a BH item runs with the Context and log annotations of its queue call", () => {
    const { inside, seen } = contextRun(["BH"], {})
    expect(seen.map((s) => s.greeting)).toEqual(["a", "b"])
    expect(inside).toMatchObject([
      { request: "a", workqueue: "ctx-special", work: "greeter-a", cpu: 0 },
      { request: "b", workqueue: "ctx-special", work: "greeter-b", cpu: 0 }
    ])
  })
})

describe("constructor footguns", () => {
  it("Work.sync refuses a promise-returning function in its type, and at run time dies with InvalidWork naming it", () => {
    const events: Array<WorkerPool.Event> = []
    const stats = runVirtualSync(
      Effect.gen(function*() {
        const wq = yield* Workqueue.alloc("footgun")

        // @ts-expect-error a function returning a promise is refused: use Work.promise
        const work = Work.sync(async () => 1, { name: "async-by-mistake" })
        yield* Workqueue.queue(wq, work)
        yield* Workqueue.flush(wq)
        return yield* Workqueue.stats(wq)
      }),
      { observer: (e) => events.push(e) }
    )
    expect(stats.failed).toBe(1)
    const failure = events.find((e) => e._tag === "WorkFailed")
    expect(failure).toBeDefined()
    const defect = Cause.squash((failure as Extract<WorkerPool.Event, { _tag: "WorkFailed" }>).cause)
    expect(defect).toBeInstanceOf(WorkqueueError.InvalidWork)
    expect((defect as WorkqueueError.InvalidWork).work).toBe("async-by-mistake")
  })

  it("Work.make given a function is a type error and throws InvalidWork at the call", () => {
    // @ts-expect-error a function returning an Effect is not an Effect
    expect(() => Work.make(() => Effect.void)).toThrow(WorkqueueError.InvalidWork)
    expect(() => Work.make(null as never)).toThrow(/not an Effect/)
  })

  it("queue(wq, {}) and queue(wq, null) fail with InvalidWork; nothing is queued", () => {
    const result = runVirtualSync(Effect.gen(function*() {
      const wq = yield* Workqueue.alloc("bad-input")
      const a = failureOf(yield* Effect.exit(Workqueue.queue(wq, {} as unknown as Work.Work)))
      const b = failureOf(yield* Effect.exit(Workqueue.queue(wq, null as unknown as Work.Work)))
      const c = failureOf(yield* Effect.exit(Workqueue.run(wq, (() => Effect.void) as unknown as Effect.Effect<void>)))
      return { a, b, c, pending: yield* Workqueue.pendingCount(wq) }
    }))
    expect(result.a).toBeInstanceOf(WorkqueueError.InvalidWork)
    expect(result.b).toBeInstanceOf(WorkqueueError.InvalidWork)
    expect(result.c).toBeInstanceOf(WorkqueueError.InvalidWork)
    expect(result.pending).toBe(0)
  })

  it.live("Work.promise is awaited by flush, and its AbortSignal fires when the item is interrupted", () =>
    Effect.gen(function*() {
      const wq = yield* Workqueue.alloc("promises")
      let done = false
      yield* Workqueue.queue(
        wq,
        Work.promise(() =>
          new Promise<void>((r) =>
            setTimeout(() => {
              done = true
              r()
            }, 5)
          )
        )
      )
      yield* Workqueue.flush(wq)
      expect(done).toBe(true)
      let aborted = false
      // interrupt only once the item runs (a sleep here raced the worker under load)
      const running = yield* Deferred.make<void>()
      const fiber = yield* Effect.fork(Workqueue.run(
        wq,
        Effect.tryPromise((signal) =>
          new Promise<void>((_, reject) => {
            Deferred.unsafeDone(running, Exit.void)
            signal.addEventListener("abort", () => {
              aborted = true
              reject(new Error("aborted"))
            })
          })
        )
      ))
      yield* Deferred.await(running)
      yield* Fiber.interrupt(fiber)
      expect(aborted).toBe(true)
    }).pipe(Effect.scoped, Effect.provide(WorkerPool.layer())))
})

describe("typed failures", () => {
  class Boom extends Data.TaggedError("Boom")<{ readonly n: number }> {}

  it("a Workqueue<E> takes only items failing with E; failures and stats are typed Cause<E> (types)", () => {
    const program = Effect.gen(function*() {
      const wq = yield* Workqueue.alloc<Boom>("typed")
      yield* Workqueue.queue(wq, Work.make(Effect.fail(new Boom({ n: 1 }))))
      yield* Workqueue.queue(wq, Work.make(Effect.void))
      yield* pipe(wq, Workqueue.queue(Work.make(Effect.fail(new Boom({ n: 2 })))))
      // @ts-expect-error a string is no Boom
      yield* Workqueue.queue(wq, Work.make(Effect.fail("oops")))
      // @ts-expect-error data-last: the same check
      yield* pipe(wq, Workqueue.queue(Work.make(Effect.fail("oops"))))
      // @ts-expect-error run, submit and runAll too
      yield* Workqueue.run(wq, Effect.fail("oops"))
      // @ts-expect-error delayed work too
      yield* Workqueue.queueDelayed(wq, DelayedWork.make(Effect.fail("oops")), 1)
      // a Workqueue<E> is a Workqueue: every other operation takes it
      const any: Workqueue.Workqueue = wq
      yield* Workqueue.queue(any, Work.make(Effect.fail("anything")))
      const stats = yield* Workqueue.stats(wq)
      expectTypeOf(stats.lastFailure).toEqualTypeOf<Option.Option<Workqueue.WorkFailure<Boom>>>()
      const failures = yield* Workqueue.failures(wq)
      expectTypeOf(failures).toEqualTypeOf<Stream.Stream<Workqueue.WorkFailure<Boom>>>()
      // an untyped workqueue stays as it was: any item, failures unknown
      const untyped = yield* Workqueue.alloc("untyped")
      expectTypeOf(untyped).toEqualTypeOf<Workqueue.Workqueue>()
      yield* Workqueue.queue(untyped, Work.make(Effect.fail("anything")))
    })
    // checked by tsc (npm run lint), not run: the @ts-expect-error lines are the assertions
    expectTypeOf(program).toBeObject()
  })

  it("failures streams every failed run with its typed Cause, in order, and ends when the workqueue is destroyed; stats keep the last", () => {
    const events: Array<string> = []
    const result = runVirtualSync(
      Effect.gen(function*() {
        const wq = yield* Workqueue.alloc<Boom>("failing", { maxActive: 1 })
        const failures = yield* Workqueue.failures(wq)
        const collected = yield* Effect.fork(Stream.runCollect(failures))
        const none = (yield* Workqueue.stats(wq)).lastFailure
        yield* Workqueue.queue(wq, Work.make(Effect.fail(new Boom({ n: 1 })), { name: "first" }))
        yield* Workqueue.queue(wq, Work.make(Effect.die("bug"), { name: "second" }))
        yield* Workqueue.queue(wq, Work.make(Effect.void, { name: "fine" }))
        const ran = yield* Effect.exit(Workqueue.run(wq, Effect.fail(new Boom({ n: 3 })), { name: "third" }))
        yield* Workqueue.flush(wq)
        const stats = yield* Workqueue.stats(wq)
        yield* Workqueue.destroy(wq)
        const all = Chunk.toReadonlyArray(yield* Fiber.join(collected))
        return { none, ran, stats, all }
      }),
      { observer: (e) => e._tag === "WorkFailed" && events.push(e.work) }
    )
    expect(Option.isNone(result.none)).toBe(true)
    expect(result.all.map((f) => f.name)).toEqual(["first", "second", "third"])
    expect(result.all.every((f) => f.workqueue === "failing")).toBe(true)
    const typed = result.all.map((f) => Option.getOrUndefined(Cause.failureOption(f.cause))?.n)
    expect(typed).toEqual([1, undefined, 3])
    expect(Cause.isDie(result.all[1]!.cause)).toBe(true)
    expect(failureOf(result.ran)).toBeInstanceOf(Boom)
    expect(result.stats.failed).toBe(3)
    const last = Option.getOrThrow(result.stats.lastFailure)
    expect(last.name).toBe("third")
    expect(Option.getOrUndefined(Cause.failureOption(last.cause))).toEqual(new Boom({ n: 3 }))
    // the pools' observer still hears of every failure
    expect(events).toEqual(["first", "second", "third"])
  })

  it("failures subscribed after the workqueue is destroyed is an empty stream; a closed subscription hears nothing more", () => {
    const result = runVirtualSync(Effect.gen(function*() {
      const wq = yield* Workqueue.alloc<string>("closed")
      const early = yield* Effect.scoped(Effect.gen(function*() {
        const failures = yield* Workqueue.failures(wq)
        yield* Workqueue.queue(wq, Work.make(Effect.fail("inside")))
        yield* Workqueue.flush(wq)
        return yield* Stream.runCollect(Stream.take(failures, 1))
      }))
      yield* Workqueue.queue(wq, Work.make(Effect.fail("after")))
      yield* Workqueue.flush(wq)
      yield* Workqueue.destroy(wq)
      const late = yield* Stream.runCollect(yield* Workqueue.failures(wq))
      return {
        early: Chunk.toReadonlyArray(early),
        late: Chunk.size(late),
        sinks: (wq as unknown as { failureSinks: unknown }).failureSinks
      }
    }))
    expect(result.early.map((f) => Option.getOrUndefined(Cause.failureOption(f.cause)))).toEqual(["inside"])
    expect(result.late).toBe(0)
    expect(result.sinks).toBeNull()
  })
})

describe("results", () => {
  it("run returns the item's value; submit gives a handle to await, poll and cancel", () => {
    const result = runVirtualSync(Effect.gen(function*() {
      const wq = yield* Workqueue.alloc("results", { maxActive: 1 })
      const value = yield* Workqueue.run(wq, Effect.succeed(41).pipe(Effect.map((n) => n + 1)))
      const slow = yield* Workqueue.submit(wq, Effect.as(Effect.sleep(100), "slow"))
      const queued = yield* Workqueue.submit(wq, Effect.succeed("never"))
      const before = yield* slow.poll
      const cancelled = yield* queued.cancel
      const slowValue = yield* slow.join
      const queuedExit = yield* queued.await
      return { value, before, cancelled, slowValue, queuedExit }
    }))
    expect(result.value).toBe(42)
    expect(Option.isNone(result.before)).toBe(true)
    expect(result.cancelled).toBe(true)
    expect(result.slowValue).toBe("slow")
    expect(Exit.isInterrupted(result.queuedExit)).toBe(true)
  })

  it("a submitted item's result reaches every waiter; a waiter interrupted meanwhile leaves the others waiting", () => {
    const result = runVirtualSync(Effect.gen(function*() {
      const wq = yield* Workqueue.alloc("waiters", { maxActive: 1 })
      const slow = yield* Workqueue.submit(wq, Effect.as(Effect.sleep(100), "slow"))
      const joins = yield* Effect.forEach([0, 1, 2], () => Effect.fork(slow.join))
      const awaits = yield* Effect.forEach([0, 1], () => Effect.fork(slow.await))
      yield* Effect.sleep(50)
      // one waiter gives up before the result: the item runs on, the others still get it
      yield* Fiber.interrupt(joins[1]!)
      const joined = yield* Effect.forEach([joins[0]!, joins[2]!], Fiber.join)
      const awaited = yield* Effect.forEach(awaits, Fiber.join)
      // a waiter that comes after the result gets it at once
      const late = yield* slow.join
      return { joined, awaited, late, polled: yield* slow.poll }
    }))
    expect(result.joined).toStrictEqual(["slow", "slow"])
    expect(result.awaited.map((e) => Exit.isSuccess(e) && e.value)).toStrictEqual(["slow", "slow"])
    expect(result.late).toBe("slow")
    expect(Option.isSome(result.polled)).toBe(true)
  })

  it("runAll collects results in order; the first failure cancels what is still pending", () => {
    const result = runVirtualSync(Effect.gen(function*() {
      const wq = yield* Workqueue.alloc("run-all", { maxActive: 2 })
      const values = yield* Workqueue.runAll(wq, [
        Effect.succeed(1),
        Effect.as(Effect.sleep(10), 2),
        Effect.sync(() => 3)
      ])
      let ran = 0
      const failed = yield* Effect.exit(Workqueue.runAll(wq, [
        Effect.sync(() => ran++),
        Effect.zipRight(Effect.sleep(5), Effect.fail("boom" as const)),
        ...Array.from({ length: 20 }, () => Effect.zipRight(Effect.sleep(10), Effect.sync(() => ran++)))
      ]))
      yield* Workqueue.drain(wq)
      return { values, failed, ran }
    }))
    expect(result.values).toEqual([1, 2, 3])
    expect(failureOf(result.failed)).toBe("boom")
    // the first item and the one running beside the failing one ran; the rest was cancelled
    expect(result.ran).toBeLessThan(5)
  })

  it.effect("interrupting runAll's caller interrupts its running items, cancels its pending ones, and returns after their finalizers (TestClock)", () =>
    Effect.gen(function*() {
      const result = yield* Effect.scoped(Effect.gen(function*() {
        const wq = yield* Workqueue.alloc("run-all-interrupt", { maxActive: 2 })
        const started: Array<number> = []
        const finalized: Array<number> = []
        const effects = Array.from({ length: 6 }, (_, i) =>
          Effect.sync(() => started.push(i)).pipe(
            Effect.zipRight(Effect.sleep(10_000)),
            Effect.onInterrupt(() => Effect.sync(() => finalized.push(i))),
            Effect.as(i)
          ))
        const caller = yield* Effect.fork(Workqueue.runAll(wq, effects))
        yield* TestClock.adjust(1_000)
        const startedBefore = [...started]
        yield* Fiber.interrupt(caller)
        // on return the running items' finalizers have run
        const finalizedOnReturn = [...finalized]
        yield* TestClock.adjust(60_000)
        // the workqueue and its workers carry on
        const after = yield* Workqueue.run(wq, Effect.succeed("after"))
        const stats = yield* Workqueue.stats(wq)
        return { startedBefore, finalizedOnReturn, started: [...started], after, stats }
      })).pipe(Effect.provide(testPools()))
      expect(result.startedBefore).toEqual([0, 1])
      expect(result.finalizedOnReturn).toEqual([0, 1])
      // the pending items never started
      expect(result.started).toEqual([0, 1])
      expect(result.after).toBe("after")
      expect(result.stats.inFlight).toBe(0)
    }))

  it("interrupting run's caller: a pending item never runs, a running one is interrupted and its finalizers have run on return (property)", () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 1, max: 30 }), { minLength: 1, maxLength: 6 }),
        fc.integer({ min: 0, max: 60 }),
        fc.integer({ min: 0, max: 5 }),
        (durations, interruptAt, victimSeed) => {
          const victim = victimSeed % durations.length
          const started = new Set<number>()
          const finalized = new Set<number>()
          const completed = new Set<number>()
          const observations = runVirtualSync(Effect.gen(function*() {
            const wq = yield* Workqueue.alloc("interrupts", { maxActive: 2 })
            const fibers = yield* Effect.forEach(durations, (d, i) =>
              Effect.fork(Workqueue.run(
                wq,
                Effect.sync(() => started.add(i)).pipe(
                  Effect.zipRight(Effect.sleep(d)),
                  Effect.zipRight(Effect.sync(() => completed.add(i))),
                  Effect.ensuring(Effect.sync(() => finalized.add(i)))
                )
              )))
            yield* Effect.sleep(interruptAt)
            yield* Fiber.interrupt(fibers[victim]!)
            // on return: started implies finalized
            const victimStarted = started.has(victim)
            const victimFinalized = finalized.has(victim)
            yield* Effect.forEach(fibers, Fiber.await)
            yield* Workqueue.drain(wq)
            const stats = yield* Workqueue.stats(wq)
            return { victimStarted, victimFinalized, stats }
          }))
          expect(observations.victimStarted).toBe(observations.victimFinalized)
          durations.forEach((_, i) => {
            if (i !== victim) expect(completed.has(i), `item ${i} completed`).toBe(true)
          })
          expect(observations.stats.running).toBe(0)
          expect(observations.stats.inFlight).toBe(0)
        }
      ),
      { numRuns: 60, seed: 0x5eed }
    )
  })
})

describe("backpressure", () => {
  it("a run caller interrupted in the instant the release queued its item (before it resumed) still aborts the item", () => {
    // the results property's counterexample from before the fix: item 2 waits for room, the
    // retirement of item 0 at t=1 queues it, and its caller is interrupted at t=1 before resuming
    expect(checkScenario({
      caller: "run",
      maxActive: 1,
      maxPending: 2,
      items: [{ sleep: 1, fails: false }, { sleep: null, fails: false }, { sleep: 1, fails: false }],
      interruptAt: 1
    })).toBeNull()
  })

  it("a submit caller interrupted in the instant the release queued its item (before it resumed) leaves no item behind", () => {
    // the results property's counterexample for submit from before the fix: the same
    // workload as the run case above; item 2's submit gets no handle, so nobody could
    // cancel its item, which ran after the interruption returned
    expect(checkScenario({
      caller: "submit",
      maxActive: 1,
      maxPending: 2,
      items: [{ sleep: 1, fails: false }, { sleep: null, fails: false }, { sleep: 1, fails: false }],
      interruptAt: 1
    })).toBeNull()
  })

  it("queue fails with WorkqueueFull at the bound; awaitPendingBelow waits for room", () => {
    const result = runVirtualSync(Effect.gen(function*() {
      const wq = yield* Workqueue.alloc("bounded", { maxPending: 2, maxActive: 1 })
      const slow = () => Work.make(Effect.sleep(10))
      yield* Workqueue.queue(wq, slow())
      yield* Workqueue.queue(wq, slow())
      const full = failureOf(yield* Effect.exit(Workqueue.queue(wq, slow())))
      const t0 = yield* Clock.currentTimeMillis
      yield* Workqueue.awaitPendingBelow(wq, 2)
      const waited = (yield* Clock.currentTimeMillis) - t0
      const bad = failureOf(yield* Effect.exit(Workqueue.awaitPendingBelow(wq, 0)))
      const badAlloc = failureOf(yield* Effect.exit(Workqueue.alloc("x", { maxPending: -1 })))
      return { full, waited, bad, badAlloc }
    }))
    expect(result.full).toBeInstanceOf(WorkqueueError.WorkqueueFull)
    expect(result.full).toMatchObject({ workqueue: "bounded", maxPending: 2 })
    expect(result.waited).toBe(10)
    expect(result.bad).toBeInstanceOf(WorkqueueError.InvalidOperation)
    expect(result.badAlloc).toBeInstanceOf(WorkqueueError.InvalidOperation)
  })

  it("run and submit wait for room first come first served: nothing lost, nothing twice, the bound holds (property)", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 4 }),
        fc.integer({ min: 1, max: 3 }),
        fc.array(fc.integer({ min: 0, max: 8 }), {
          minLength: 1,
          maxLength: 16
        }),
        (maxPending, maxActive, jobs) => {
          const starts: Array<number> = []
          let peak = 0
          const { ran } = runVirtualSync(Effect.gen(function*() {
            const wq = yield* Workqueue.alloc("fifo", { maxPending, maxActive })
            const ran: Array<number> = []
            // producers arrive in index order, 1 ms apart; even ones run, odd ones submit and join
            const fibers = yield* Effect.forEach(jobs, (duration, i) => {
              const job = Effect.suspend(() => {
                starts.push(i)
                return Effect.zipRight(Effect.sleep(duration), Effect.sync(() => ran.push(i)))
              })
              return Effect.fork(Effect.zipRight(
                Effect.sleep(i + 1),
                i % 2 === 0 ? Workqueue.run(wq, job) : Effect.flatMap(Workqueue.submit(wq, job), (h) => h.join)
              ))
            })
            const sampler = yield* Effect.fork(Effect.forever(Effect.zipRight(
              Effect.flatMap(Workqueue.pendingCount(wq), (n) => Effect.sync(() => peak = Math.max(peak, n))),
              Effect.sleep(1)
            )))
            yield* Effect.forEach(fibers, Fiber.join)
            yield* Fiber.interrupt(sampler)
            return { ran }
          }))
          expect([...ran].sort((a, b) => a - b)).toEqual(jobs.map((_, i) => i))
          // FIFO among the producers: with maxActive 1 they start in arrival order
          if (maxActive === 1) expect(starts).toEqual(jobs.map((_, i) => i))
          expect(peak).toBeLessThanOrEqual(maxPending)
        }
      ),
      { numRuns: 60, seed: 0xb0b }
    )
  })
})

describe("periodic work on a Schedule", () => {
  it("repeats on the schedule's delays, keeps the pending bit, and cancelSync stops it for good", () => {
    const result = runVirtualSync(Effect.gen(function*() {
      const wq = yield* Workqueue.alloc("periodic")
      const times: Array<number> = []
      const tick = DelayedWork.repeating(
        Effect.flatMap(Clock.currentTimeMillis, (t) => Effect.sync(() => times.push(t))),
        Schedule.spaced(10),
        { name: "tick" }
      )
      yield* Workqueue.queueDelayed(wq, tick, 0)
      yield* Effect.sleep(35)
      const again = yield* Workqueue.queueDelayed(wq, tick, 0)
      const pending = Work.isPending(tick)
      yield* Work.cancelSync(tick)
      const afterCancel = times.length
      yield* Effect.sleep(100)
      return { times, again, pending, afterCancel, later: times.length }
    }))
    expect(result.times).toEqual([0, 10, 20, 30])
    expect(result.again).toBe(false)
    expect(result.pending).toBe(true)
    expect(result.later).toBe(result.afterCancel)
  })

  it("ends when the schedule is done", () => {
    const count = runVirtualSync(Effect.gen(function*() {
      const wq = yield* Workqueue.alloc("recurs")
      let n = 0
      const series = DelayedWork.repeating(Effect.sync(() => n++), Schedule.recurs(3))
      yield* Workqueue.queueDelayed(wq, series, 0)
      yield* Effect.sleep(10)
      const first = n
      // queued again after it ended: a new series, from the schedule's initial state
      yield* Workqueue.queueDelayed(wq, series, 0)
      yield* Effect.sleep(10)
      return [first, n]
    }))
    expect(count).toEqual([4, 8])
  })

  it("a failed run ends the series; queued again, it starts from the schedule's initial state", () => {
    const count = runVirtualSync(Effect.gen(function*() {
      const wq = yield* Workqueue.alloc("recurs-fail")
      let n = 0
      const series = DelayedWork.repeating(
        Effect.suspend(() => ++n === 2 ? Effect.fail("boom") : Effect.void),
        Schedule.recurs(3)
      )
      yield* Workqueue.queueDelayed(wq, series, 0)
      yield* Effect.sleep(10)
      const first = n
      yield* Workqueue.queueDelayed(wq, series, 0)
      yield* Effect.sleep(10)
      return [first, n]
    }))
    // runs 1 and 2 (2 fails); then 4 runs of a fresh recurs(3)
    expect(count).toEqual([2, 6])
  })
})

describe("workqueue services", () => {
  class Mailer extends Workqueue.Tag("Mailer")<Mailer>() {}

  it("a Tag class with a scoped layer: allocated with the layer, destroyed with it", () => {
    const { name, maxActive, wq } = runVirtualSync(
      Effect.gen(function*() {
        const wq = yield* Mailer
        const sent = yield* Workqueue.run(wq, Effect.succeed("sent"))
        expect(sent).toBe("sent")
        return { name: wq.name, maxActive: Workqueue.maxActive(wq), wq }
      }).pipe(Effect.provide(Mailer.layer({ maxActive: 3 })))
    )
    expect({ name, maxActive }).toEqual({ name: "Mailer", maxActive: 3 })
    expect(Workqueue.isDestroyed(wq)).toBe(true)
  })

  it("every operation taking a workqueue first is dual", () => {
    const value = runVirtualSync(Effect.gen(function*() {
      const wq = yield* Workqueue.alloc("dual")
      yield* Workqueue.queue(Work.make(Effect.void))(wq)
      const a = yield* Workqueue.run(Effect.succeed(1))(wq)
      const b = yield* Workqueue.runAll([Effect.succeed(2)])(wq)
      const c = yield* Effect.flatMap(Workqueue.submit(Effect.succeed(3))(wq), (s) => s.join)
      yield* Workqueue.flush(wq)
      yield* Workqueue.awaitPendingBelow(1)(wq)
      return [a, ...b, c]
    }))
    expect(value).toEqual([1, 2, 3])
  })
})
