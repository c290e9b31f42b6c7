/**
 * Properties of task items over real thread CPUs (small counts: every run
 * starts real work on worker threads). Interleavings come from fast-check;
 * the threads' timing is real, so each property states what must hold for
 * every timing.
 */
import { expect, layer } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as fc from "fast-check"
import { Task, Workqueue } from "@cmwq/core"
import { NodeThreads } from "@cmwq/platform-node"
import { Burn, Crash, Echo, Span } from "./fixtures/tasks.js"

const exits: Array<NodeThreads.Exit> = []
const live = NodeThreads.layer({
  threads: 2,
  handlers: new URL("./fixtures/tasks.ts", import.meta.url),
  onThreadExit: (e) => exits.push(e)
})

/** fast-check over an Effect that needs the threads: each run is its own Effect */
const RUNS = { numRuns: 6, seed: 38, endOnFailure: true } as const

/** a flush that does not return in time fails the property (a lost task would hang it forever) */
const flushWithin = (wq: Workqueue.Workqueue) =>
  Workqueue.flush(wq).pipe(Effect.timeoutFail({ duration: "15 seconds", onTimeout: () => new Error("flush hung") }))

type Maker = Effect.Effect.Success<typeof Task.maker>

const turn = () => Effect.promise(() => new Promise((r) => setImmediate(r)))

/**
 * The crash drill both crash properties share: `first` goes to the victim
 * CPU, then one `Span` per duration, alternating over the two CPUs; `kill`
 * runs next (a crash from outside, or nothing when `first` crashes by
 * itself), then a flush that must return. Returns the end of every task
 * whose end is `counted` and the thread exit the drill caused.
 */
const crashDrill = (
  wq: Workqueue.Workqueue,
  make: Maker,
  drill: {
    readonly victim: number
    readonly first: Task.Request
    readonly firstCounted: boolean
    readonly durations: ReadonlyArray<number>
    readonly kill: Effect.Effect<void>
  }
) =>
  Effect.gen(function*() {
    const ends: Array<Exit.Exit<unknown, unknown>> = []
    const before = exits.length
    const record = (e: Exit.Exit<unknown, unknown>) => ends.push(e)
    yield* Workqueue.queueOn(wq, drill.victim, make(drill.first, { onExit: drill.firstCounted ? record : () => {} }))
    for (const [i, ms] of drill.durations.entries()) {
      yield* Workqueue.queueOn(wq, i % 2, make(new Span({ ms }), { onExit: record }))
    }
    yield* drill.kill
    yield* flushWithin(wq)
    // exactly one thread exit, and its thread replaced
    expect(exits.length).toBe(before + 1)
    expect(exits[before]!.replaced).toBe(true)
    return { ends, exit: exits[before]! }
  })

layer(live, { timeout: "120 seconds", excludeTestServices: true })("NodeThreads properties (2 threads)", (it) => {
  it.effect("invariant 38: the handler sees the payload as written before the successful queue", () =>
    Effect.gen(function*() {
      const wq = yield* Workqueue.alloc("inv38", { flags: ["UNBOUND"] })
      const make = yield* Task.maker
      yield* Effect.promise(() =>
        fc.assert(
          fc.asyncProperty(
            fc.array(fc.tuple(fc.array(fc.integer(), { maxLength: 8 }), fc.string({ maxLength: 8 })), {
              minLength: 1,
              maxLength: 12
            }),
            async (writes) => {
              const seen: Array<Exit.Exit<unknown, unknown>> = []
              const expected: Array<unknown> = []
              await Effect.runPromise(Effect.gen(function*() {
                for (const [xs, label] of writes) {
                  // the request and its item are built, then written to, then queued: every write precedes the queue
                  const request = new Echo({ xs: [], label: "" })
                  const work = make(request, { onExit: (e) => seen.push(e) })
                  const mutable = request as unknown as { xs: Array<number>; label: string }
                  mutable.xs = [...xs]
                  mutable.label = label
                  expected.push({ xs, label })
                  expect(yield* Workqueue.queue(wq, work)).toBe(true)
                }
                yield* flushWithin(wq)
              }))
              expect(seen.length).toBe(writes.length)
              const values = seen.map((e) => (Exit.isSuccess(e) ? e.value : e))
              // results arrive in completion order: compare as multisets
              const key = (v: unknown) => JSON.stringify(v)
              expect(values.map(key).sort()).toEqual(expected.map(key).sort())
            }
          ),
          RUNS
        )
      )
    }).pipe(Effect.scoped))

  it.effect("pending bit: queueing a pending task item again returns false; it runs once per successful queue", () =>
    Effect.gen(function*() {
      const wq = yield* Workqueue.alloc("pending", { flags: ["UNBOUND"] })
      const make = yield* Task.maker
      yield* Effect.promise(() =>
        fc.assert(
          fc.asyncProperty(fc.integer({ min: 1, max: 6 }), fc.integer({ min: 0, max: 3 }), async (k, ms) => {
            let runs = 0
            let accepted = 0
            const work = make(new Span({ ms }), { onExit: () => runs++ })
            await Effect.runPromise(Effect.gen(function*() {
              // one synchronous burst: the item stays pending until a worker takes it
              for (let i = 0; i < k; i++) if (Workqueue.unsafeQueue(wq, work)) accepted++
              yield* flushWithin(wq)
            }))
            expect(accepted).toBe(1)
            expect(runs).toBe(1)
          }),
          RUNS
        )
      )
    }).pipe(Effect.scoped))

  it.effect("non-reentrancy: a task item requeued while it runs never runs twice at once, on any thread", () =>
    Effect.gen(function*() {
      const wq = yield* Workqueue.alloc("reentrant", { flags: ["UNBOUND"] })
      const make = yield* Task.maker
      yield* Effect.promise(() =>
        fc.assert(
          fc.asyncProperty(fc.array(fc.integer({ min: 0, max: 3 }), { minLength: 2, maxLength: 8 }), async (gaps) => {
            const spans: Array<{ start: number; end: number }> = []
            const work = make(new Span({ ms: 2 }), {
              onExit: (e) => {
                if (Exit.isSuccess(e)) spans.push(e.value)
              }
            })
            await Effect.runPromise(Effect.gen(function*() {
              for (const gap of gaps) {
                yield* Workqueue.queue(wq, work)
                for (let i = 0; i < gap; i++) yield* Effect.promise(() => new Promise((r) => setImmediate(r)))
              }
              yield* flushWithin(wq)
            }))
            spans.sort((a, b) => a.start - b.start)
            for (let i = 1; i < spans.length; i++) expect(spans[i]!.start).toBeGreaterThanOrEqual(spans[i - 1]!.end)
            expect(spans.length).toBeGreaterThanOrEqual(1)
          }),
          RUNS
        )
      )
    }).pipe(Effect.scoped))

  it.effect("flush waits for every task queued before it, on every CPU", () =>
    Effect.gen(function*() {
      const bound = yield* Workqueue.alloc("flush_bound")
      const make = yield* Task.maker
      yield* Effect.promise(() =>
        fc.assert(
          fc.asyncProperty(
            fc.array(fc.tuple(fc.integer({ min: 0, max: 1 }), fc.integer({ min: 0, max: 5 })), {
              minLength: 1,
              maxLength: 16
            }),
            async (tasks) => {
              let done = 0
              await Effect.runPromise(Effect.gen(function*() {
                for (const [cpu, ms] of tasks) {
                  yield* Workqueue.queueOn(bound, cpu, make(new Span({ ms }), { onExit: () => done++ }))
                }
                yield* flushWithin(bound)
                // everything queued before the flush has finished when it returns
                expect(done).toBe(tasks.length)
              }))
            }
          ),
          RUNS
        )
      )
    }).pipe(Effect.scoped))

  it.effect("nothing is lost when a thread crashes: every task ends, succeeded or failed naming the lost CPU", () =>
    Effect.gen(function*() {
      const wq = yield* Workqueue.alloc("crash_props")
      const make = yield* Task.maker
      yield* Effect.promise(() =>
        fc.assert(
          fc.asyncProperty(
            fc.array(fc.integer({ min: 0, max: 5 }), { minLength: 1, maxLength: 10 }),
            fc.integer({ min: 0, max: 1 }),
            async (durations, victim) => {
              const { ends } = await Effect.runPromise(
                crashDrill(wq, make, {
                  victim,
                  first: new Crash({ ms: 1 }),
                  firstCounted: false,
                  durations,
                  kill: Effect.void
                })
              )
              expect(ends.length).toBe(durations.length)
              for (const e of ends) {
                if (Exit.isFailure(e)) {
                  const error = e.cause._tag === "Fail" ? e.cause.error : undefined
                  expect((error as Task.TaskCpuLost | undefined)?._tag).toBe("TaskCpuLost")
                }
              }
            }
          ),
          { ...RUNS, numRuns: 3 }
        )
      )
    }).pipe(Effect.scoped))
  it.effect(
    "a lost thread's tasks that had not started are resent to its replacement and succeed there",
    () =>
      Effect.gen(function*() {
        const wq = yield* Workqueue.alloc("resend_props")
        const threads = yield* NodeThreads.NodeThreads
        const make = yield* Task.maker
        yield* Effect.promise(() =>
          fc.assert(
            fc.asyncProperty(
              fc.array(fc.integer({ min: 0, max: 5 }), { minLength: 1, maxLength: 10 }),
              fc.integer({ min: 0, max: 1 }),
              fc.integer({ min: 0, max: 3 }),
              async (durations, victim, turns) => {
                const { ends, exit } = await Effect.runPromise(Effect.gen(function*() {
                  // both threads are up (a replacement from the previous run too): one task on each
                  yield* Workqueue.queueOn(wq, 0, make(new Span({ ms: 0 })))
                  yield* Workqueue.queueOn(wq, 1, make(new Span({ ms: 0 })))
                  yield* flushWithin(wq)
                  // the victim's first task holds its thread synchronously for far longer than the
                  // few turns before the kill: nothing on the victim has started, or been reported
                  // started, when it dies (a start is reported once the thread is free again)
                  return yield* crashDrill(wq, make, {
                    victim,
                    first: new Burn({ ms: 600 }),
                    firstCounted: true,
                    durations,
                    // a few event-loop turns, then the kill from outside
                    kill: Effect.zipRight(
                      Effect.forEach(Array.from({ length: turns }), turn, { discard: true }),
                      threads.kill(victim)
                    )
                  })
                }))
                // every task ends, and succeeds: the victim's went to its replacement
                expect(ends.length).toBe(durations.length + 1)
                expect(ends.filter((e) => Exit.isFailure(e))).toEqual([])
                expect(exit.lost).toEqual([])
              }
            ),
            { ...RUNS, numRuns: 3 }
          )
        )
      }).pipe(Effect.scoped),
    90_000
  )
})
