/**
 * The kernel's guarantees across the cluster, on the in-process test runner
 * (memory storage) under the TestClock. Properties generate the workloads;
 * each property run uses fresh workqueue names and keys on one cluster.
 */
import { Epoch, Task, type WorkerPool, Workqueue } from "@cmwq/core"
import { describe, expect, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as TestClock from "effect/TestClock"
import * as fc from "fast-check"
import { ClusterWorkqueue } from "@cmwq/cluster"
import { adjust, cluster, drive, inRuntime, Keyed, log, overlaps, peak, resetLog, Step } from "./fixtures/tasks.js"

type Env = WorkerPool.WorkerPools | Task.Transport | ClusterWorkqueue.ClusterClient

const RUNS = { numRuns: 8, seed: 1602, endOnFailure: true } as const
let unique = 0
const fresh = (name: string) => `${name}-${unique++}`

describe("cluster semantics (in-memory test runner, TestClock)", () => {
  it.effect("pending bit: queueing a pending task item again returns false; one run per successful queue", () =>
    drive(Effect.gen(function*() {
      const run = yield* inRuntime<Env>()
      const make = yield* Task.maker
      yield* Effect.promise(() =>
        fc.assert(
          fc.asyncProperty(fc.array(fc.integer({ min: 0, max: 3 }), { minLength: 1, maxLength: 12 }), (gaps) =>
            run(Effect.scoped(Effect.gen(function*() {
              resetLog()
              const wq = yield* Workqueue.alloc(fresh("pending"))
              const key = fresh("p")
              const work = make(new Step({ key, n: 0, ms: 20 }))
              let queuedTrue = 0
              // each gap: queue now, then let `gap` x 10 ms pass (the task takes 20 ms)
              for (const gap of gaps) {
                if (yield* Workqueue.queue(wq, work))
                  queuedTrue++
                yield* adjust(gap * 10)
              }
              yield* drive(Workqueue.flush(wq))
              const runs = log.filter((r) =>
                r.key === key
              )
              expect(runs.length).toBe(queuedTrue)
              expect(queuedTrue).toBeLessThanOrEqual(gaps.length)
              expect(overlaps(runs)).toBe(false)
            })))),
          RUNS
        )
      )
    })).pipe(Effect.scoped, Effect.provide(cluster())))

  it.effect("non-reentrancy: tasks with one key never overlap on the runners, even from two queueing sides", () =>
    drive(Effect.gen(function*() {
      const run = yield* inRuntime<Env>()
      yield* Effect.promise(() =>
        fc.assert(
          fc.asyncProperty(
            fc.array(fc.tuple(fc.integer({ min: 0, max: 2 }), fc.integer({ min: 1, max: 30 })), {
              minLength: 2,
              maxLength: 16
            }),
            (tasks) =>
              run(Effect.scoped(Effect.gen(function*() {
                resetLog()
                // two local workqueues stand for two queueing processes: each has its own item per task
                const a = yield* Workqueue.alloc(fresh("side-a"), { flags: ["UNBOUND"], maxActive: 64 })
                const b = yield* Workqueue.alloc(fresh("side-b"), { flags: ["UNBOUND"], maxActive: 64 })
                const prefix = fresh("k")
                yield* Effect.forEach(
                  tasks,
                  ([k, ms], i) => Task.run(i % 2 === 0 ? a : b, new Keyed({ key: `${prefix}/${k}`, n: i, ms })),
                  { concurrency: "unbounded", discard: true }
                )
                expect(log.length).toBe(tasks.length)
                expect(overlaps(log)).toBe(false)
              })))
          ),
          RUNS
        )
      )
      // the check can see an overlap: the same workload without keys overlaps
      resetLog()
      const wq = yield* Workqueue.alloc("unkeyed", { flags: ["UNBOUND"], maxActive: 64 })
      yield* Effect.forEach(
        [0, 1, 2, 3],
        (n) => Task.run(wq, new Step({ key: "same", n, ms: 10 })),
        { concurrency: "unbounded", discard: true }
      )
      expect(overlaps(log)).toBe(true)
    })).pipe(Effect.scoped, Effect.provide(cluster({ runner: { maxActive: 64 } }))))

  it.effect("ordered: tasks with one serialize id run one at a time, in the order they were sent", () =>
    drive(Effect.gen(function*() {
      const run = yield* inRuntime<Env>()
      yield* Effect.promise(() =>
        fc.assert(
          fc.asyncProperty(fc.array(fc.integer({ min: 0, max: 15 }), { minLength: 1, maxLength: 16 }), (durations) =>
            run(Effect.gen(function*() {
              resetLog()
              const stream = fresh("stream")
              for (const [n, ms] of durations.entries()) {
                yield* ClusterWorkqueue.send(new Step({ key: stream, n, ms }))
              }
              while (
                log.filter((r) =>
                  r.end !== undefined
                ).length < durations.length
              ) {
                yield* adjust(10)
              }
              expect(log.map((r) => r.n)).toStrictEqual(durations.map((_, n) => n))
              expect(overlaps(log)).toBe(false)
            }))),
          RUNS
        )
      )
    })).pipe(
      Effect.scoped,
      Effect.provide(cluster({
        transport: { serialize: (r) => (r as Step).key.startsWith("stream") ? (r as Step).key : undefined },
        runner: { maxActive: 64 }
      }))
    ))

  it.effect("delayed: a task sent with a delay (DeliverAt) starts no earlier than its delay", () =>
    drive(Effect.gen(function*() {
      const run = yield* inRuntime<Env>()
      yield* Effect.promise(() =>
        fc.assert(
          fc.asyncProperty(fc.array(fc.integer({ min: 0, max: 5_000 }), { minLength: 1, maxLength: 8 }), (delays) =>
            run(Effect.gen(function*() {
              resetLog()
              const key = fresh("delayed")
              const sentAt = yield* TestClock.currentTimeMillis
              for (const [n, ms] of delays.entries()) {
                yield* ClusterWorkqueue.send(new Step({ key, n, ms: 0 }), { delay: ms })
              }
              while (
                log.filter((r) =>
                  r.key === key
                ).length < delays.length
              ) yield* adjust(500)
              for (const r of log) expect(r.start).toBeGreaterThanOrEqual(sentAt + delays[r.n]!)
            }))),
          RUNS
        )
      )
    })).pipe(Effect.scoped, Effect.provide(cluster({ runner: { maxActive: 64 } }))))

  it.effect("cancel: a pending task item is never sent; a running one is interrupted on the runner", () =>
    drive(Effect.gen(function*() {
      resetLog()
      const make = yield* Task.maker
      const wq = yield* Workqueue.alloc("cancel", { maxActive: 1 })
      const first = make(new Step({ key: "first", n: 1, ms: 1000 }))
      const second = make(new Step({ key: "second", n: 2, ms: 10 }))
      expect(yield* Workqueue.queue(wq, first)).toBe(true)
      expect(yield* Workqueue.queue(wq, second)).toBe(true)
      while (log.length === 0) yield* adjust(1)
      // second waits behind max_active 1: pending, so the cancel removes it
      expect(yield* Task.cancel(second)).toBe(true)
      // first runs on the runner: the cancel interrupts it there
      yield* Task.cancel(first)
      yield* Workqueue.flush(wq)
      while ((yield* ClusterWorkqueue.stats).inFlight > 0) yield* adjust(1)
      expect(log.map((r) => [r.key, r.interrupted])).toStrictEqual([["first", true]])
      const stats = yield* ClusterWorkqueue.stats
      expect({ received: stats.received, interrupted: stats.interrupted, inFlight: stats.inFlight }).toStrictEqual({
        received: 1,
        interrupted: 1,
        inFlight: 0
      })
    })).pipe(Effect.scoped, Effect.provide(cluster())))

  it.effect("flush and drain: everything queued before has finished on the runner", () =>
    drive(Effect.gen(function*() {
      const run = yield* inRuntime<Env>()
      const make = yield* Task.maker
      yield* Effect.promise(() =>
        fc.assert(
          fc.asyncProperty(
            fc.array(fc.integer({ min: 0, max: 50 }), { minLength: 1, maxLength: 20 }),
            fc.boolean(),
            (durations, drain) =>
              run(Effect.scoped(Effect.gen(function*() {
                resetLog()
                const wq = yield* Workqueue.alloc(fresh("flush"), { flags: ["UNBOUND"], maxActive: 8 })
                const key = fresh("f")
                for (const [n, ms] of durations.entries()) {
                  expect(yield* Workqueue.queue(wq, make(new Step({ key, n, ms })))).toBe(true)
                }
                // flush is an epoch taken now and awaited (Workqueue.flush = mark, then await)
                const late = make(new Step({ key: `${key}-late`, n: 99, ms: 100_000 }))
                if (drain) yield* drive(Workqueue.drain(wq))
                else {
                  const epoch = yield* Workqueue.mark(wq)
                  // a task queued after the mark is not waited for
                  expect(yield* Workqueue.queue(wq, late)).toBe(true)
                  yield* drive(Epoch.await(epoch))
                }
                const mine = log.filter((r) => r.key === key)
                expect(mine.length).toBe(durations.length)
                expect(mine.every((r) => r.end !== undefined)).toBe(true)
                if (!drain) {
                  expect(log.filter((r) => r.n === 99 && r.end !== undefined)).toStrictEqual([])
                  yield* Task.cancel(late)
                }
              })))
          ),
          RUNS
        )
      )
    })).pipe(Effect.scoped, Effect.provide(cluster({ runner: { maxActive: 64 } }))))

  it.effect("max_active: a runner runs at most its share of the cluster-wide max_active", () =>
    Effect.gen(function*() {
      const cases = fc.sample(
        fc.record({
          maxActive: fc.integer({ min: 1, max: 12 }),
          cpus: fc.integer({ min: 1, max: 4 }),
          others: fc.integer({ min: 0, max: 8 })
        }),
        { numRuns: 6, seed: 1603 }
      )
      for (const { cpus, maxActive, others } of cases) {
        const share = ClusterWorkqueue.shareOf(maxActive, cpus, cpus + others)
        yield* drive(Effect.gen(function*() {
          resetLog()
          const wq = yield* Workqueue.alloc("burst", { flags: ["UNBOUND"], maxActive: 64 })
          yield* Effect.forEach(
            Array.from({ length: 24 }, (_, n) => n),
            (n) => Task.run(wq, new Step({ key: "burst", n, ms: 10 })),
            { concurrency: "unbounded", discard: true }
          )
          expect((yield* ClusterWorkqueue.Runner).share).toBe(share)
          expect(peak).toBe(Math.min(share, 24))
        })).pipe(
          Effect.scoped,
          Effect.provide(cluster({ runner: { maxActive, cpus, clusterCpus: cpus + others } }))
        )
      }
      expect(ClusterWorkqueue.shareOf(64, 4, 12)).toBe(22)
    }))
})
