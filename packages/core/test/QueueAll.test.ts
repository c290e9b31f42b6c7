/**
 * `Workqueue.queueAll`: the same results as queueing each item in order, the
 * thread handed back between chunks once the fairness budget is spent, and a
 * typed error for every refusal.
 */
import { describe, expect, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as HashMap from "effect/HashMap"
import { Work, Workqueue, WorkerPool } from "@cmwq/core"
import { quiet, runVirtualSync } from "./helpers.js"

const errorTag = (exit: Exit.Exit<unknown, unknown>): string | undefined =>
  Exit.isFailure(exit) && exit.cause._tag === "Fail" ? (exit.cause.error as { _tag: string })._tag : undefined

describe("Workqueue.queueAll", () => {
  it("queues every item in order, as a loop of queue calls would", () => {
    const result = runVirtualSync(Effect.gen(function*() {
      const wq = yield* Workqueue.allocOrdered("ordered")
      const order: Array<number> = []
      const items = Array.from({ length: 3000 }, (_, i) => Work.sync(() => void order.push(i)))
      const queued = yield* Workqueue.queueAll(wq, items, { chunk: 256 })
      yield* Workqueue.flush(wq)
      return { queued, order }
    }))
    expect(result.queued).toBe(3000)
    expect(result.order).toEqual(Array.from({ length: 3000 }, (_, i) => i))
  })

  it("leaves an item that is already pending as it is (its call returns false)", () => {
    const result = runVirtualSync(Effect.gen(function*() {
      const wq = yield* Workqueue.alloc("dup")
      const runs = { a: 0, b: 0 }
      const a = Work.sync(() => void runs.a++)
      const b = Work.sync(() => void runs.b++)
      const queued = yield* Workqueue.queueAll(wq, [a, a, b, a])
      yield* Workqueue.flush(wq)
      return { queued, runs }
    }))
    expect(result).toEqual({ queued: 2, runs: { a: 1, b: 1 } })
  })

  it("runs each item with the context of the call", () => {
    const seen = runVirtualSync(Effect.gen(function*() {
      const wq = yield* Workqueue.alloc("ctx")
      const seen: Array<string> = []
      const item = Work.make(Effect.flatMap(
        Effect.logAnnotations,
        (annotations) => Effect.sync(() => void seen.push(String(HashMap.get(annotations, "request")._tag)))
      ))
      yield* Workqueue.queueAll(wq, [item]).pipe(Effect.annotateLogs("request", "r-1"))
      yield* Workqueue.flush(wq)
      return seen
    }))
    expect(seen).toEqual(["Some"])
  })

  it("fails with the first refusal and keeps the items queued before it", () => {
    const result = runVirtualSync(Effect.gen(function*() {
      const wq = yield* Workqueue.alloc("bounded", { maxPending: 10 })
      let ran = 0
      const items = Array.from({ length: 20 }, () => Work.sync(() => void ran++))
      const exit = yield* Effect.exit(Workqueue.queueAll(wq, items))
      yield* Workqueue.flush(wq)
      return { tag: errorTag(exit), ran }
    }))
    expect(result).toEqual({ tag: "WorkqueueFull", ran: 10 })
  })

  it("refuses what is not a work item, a bad chunk and a destroyed workqueue, each with its typed error", () => {
    const tags = runVirtualSync(Effect.gen(function*() {
      const wq = yield* Workqueue.alloc("refusals")
      const notWork = yield* Effect.exit(Workqueue.queueAll(wq, [{} as unknown as Work.Work]))
      const badChunk = yield* Effect.exit(Workqueue.queueAll(wq, [Work.sync(() => {})], { chunk: 0 }))
      yield* Workqueue.destroy(wq)
      const destroyed = yield* Effect.exit(Workqueue.queueAll(wq, [Work.sync(() => {})]))
      return [errorTag(notWork), errorTag(badChunk), errorTag(destroyed)]
    }))
    expect(tags).toEqual(["InvalidWork", "InvalidOperation", "WorkqueueDestroyed"])
  })

  // A platform whose clock moves 1 ms per read: the fairness budget (1 ms) is
  // spent by the end of every chunk. A macrotask scheduled before the call
  // sees how many items queueAll had pulled when it handed the thread back.
  const pulledWhenTheLoopTurns = (fairnessBudget: number) => {
    let clock = 0
    const platform: WorkerPool.Platform = {
      now: () => ++clock,
      macrotask: (callback) => void setImmediate(callback)
    }
    let pulled = 0
    function* items() {
      for (let i = 0; i < 5000; i++) {
        pulled++
        yield Work.sync(() => {})
      }
    }
    return Effect.gen(function*() {
      const wq = yield* Workqueue.alloc("chunks")
      let seen = -1
      setImmediate(() => {
        seen = pulled
      })
      const queued = yield* Workqueue.queueAll(wq, items(), { chunk: 1000 })
      // let the loop turn once, so the marker has run in either case
      yield* Effect.promise(() => new Promise<void>((resolve) => setImmediate(resolve)))
      yield* Workqueue.flush(wq)
      return { queued, seen }
    }).pipe(
      Effect.scoped,
      Effect.provide(WorkerPool.layer({ fairnessBudget, cpuIntensiveThreshold: 0, watchdogThreshold: 0, platform })),
      quiet,
      Effect.runPromise
    )
  }

  it("hands the thread back between chunks once the fairness budget is spent", async () => {
    const { queued, seen } = await pulledWhenTheLoopTurns(1)
    expect(queued).toBe(5000)
    expect(seen).toBe(1000)
  })

  it("keeps the thread for the whole iterable when fairness is off", async () => {
    const { queued, seen } = await pulledWhenTheLoopTurns(0)
    expect(queued).toBe(5000)
    expect(seen).toBe(5000)
  })
})
