/**
 * Lockdep-style dependency checking (the `dependencyChecks` option): a cycle
 * of "an item of A waits for B" edges is reported the first time it becomes
 * possible, even when the run did not deadlock.
 */
import { describe, expect, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Logger from "effect/Logger"
import * as LogLevel from "effect/LogLevel"
import type * as Scope from "effect/Scope"
import { Epoch, Work, type WorkerPool, Workqueue, type WorkqueueError } from "@cmwq/core"
import { VirtualTime } from "@cmwq/testing"
import { testPools } from "./helpers.js"

type Cycle = Extract<WorkerPool.Event, { readonly _tag: "DependencyCycle" }>

const run = (
  body: (
    a: Workqueue.Workqueue,
    b: Workqueue.Workqueue
  ) => Effect.Effect<void, unknown, WorkerPool.WorkerPools | Scope.Scope>,
  options: WorkerPool.Options
) => {
  const cycles: Array<Cycle> = []
  const logs: Array<string> = []
  const logger = Logger.make(({ message }) => {
    logs.push(String(Array.isArray(message) ? message.join(" ") : message))
  })
  VirtualTime.runSync(
    Effect.gen(function*() {
      const a = yield* Workqueue.alloc("a")
      const b = yield* Workqueue.alloc("b")
      yield* body(a, b)
    }).pipe(
      Effect.scoped,
      Effect.provide(testPools({
        ...options,
        observer: (e) => {
          if (e._tag === "DependencyCycle") cycles.push(e)
        }
      })),
      Effect.provide(Logger.replace(Logger.defaultLogger, logger)),
      Logger.withMinimumLogLevel(LogLevel.Warning)
    )
  )
  return { cycles, logs }
}

/** an item of `from` that waits for `to` with `wait`, run to completion */
const waitFrom = (
  from: Workqueue.Workqueue,
  wait: Effect.Effect<unknown, unknown>
) =>
  Effect.gen(function*() {
    yield* Workqueue.queue(from, Work.make(Effect.orDie(wait)))
    yield* Workqueue.flush(from)
  })

describe("dependency checking (lockdep style)", () => {
  it("A flushes B, later B flushes A: one cycle reported, with the chain, though nothing deadlocked", () => {
    const r = run(
      (a, b) =>
        Effect.gen(function*() {
          yield* waitFrom(a, Workqueue.flush(b))
          yield* waitFrom(b, Workqueue.flush(a))
          // the same cycle again: not reported twice
          yield* waitFrom(b, Workqueue.flush(a))
          yield* waitFrom(a, Workqueue.flush(b))
        }),
      { dependencyChecks: true }
    )
    expect(r.cycles.map((c) => ({ chain: c.chain, operations: c.operations }))).toEqual([
      { chain: ["b", "a", "b"], operations: ["flush", "flush"] }
    ])
    expect(r.logs.filter((l) => l.includes("possible circular dependency"))).toEqual([
      "workqueue: possible circular dependency: b -[flush]-> a -[flush]-> b"
    ])
  })

  it("through run and an epoch await (then drain: the same cycle, not reported again)", () => {
    const r = run(
      (a, b) =>
        Effect.gen(function*() {
          yield* waitFrom(a, Workqueue.run(b, Effect.void))
          yield* waitFrom(b, Effect.flatMap(Workqueue.mark(a), Epoch.await))
          yield* waitFrom(b, Workqueue.drain(a))
        }),
      { dependencyChecks: true }
    )
    expect(r.cycles.map((c) => c.operations)).toEqual([["Epoch.await", "run"]])
  })

  it("no cycle, no report; off by default", () => {
    const oneWay = run((a, b) => waitFrom(a, Workqueue.flush(b)), { dependencyChecks: true })
    expect(oneWay.cycles).toEqual([])
    const off = run(
      (a, b) => Effect.zipRight(waitFrom(a, Workqueue.flush(b)), waitFrom(b, Workqueue.flush(a))),
      {}
    )
    expect(off.cycles).toEqual([])
  })

  it("Work.flush of an item of a max_active 1 workqueue is an edge (as the kernel annotates it)", () => {
    const r = run(
      (a, b) =>
        Effect.gen(function*() {
          const ordered = yield* Workqueue.allocOrdered("o")
          const w = Work.make(Effect.sleep(5), { name: "w" })
          // a -> o: flush_work of an ordered workqueue's item, while it is pending
          yield* waitFrom(a, Effect.zipRight(Workqueue.queue(ordered, w), Work.flush(w)))
          yield* waitFrom(ordered, Workqueue.flush(a))
          yield* Workqueue.flush(b)
        }),
      { dependencyChecks: true }
    )
    expect(r.cycles.map((c) => c.operations)).toEqual([["flush", "flushWork"]])
  })

  it("item edges: w1 flushes w2 while w2 is idle, later w2 cancelSyncs w1: the items' cycle is reported", () => {
    const r = run(
      (a, b) =>
        Effect.gen(function*() {
          const items: { w1?: Work.Work<WorkqueueError.FlushDeadlock>; w2?: Work.Work<WorkqueueError.FlushDeadlock> } =
            {}
          items.w1 = Work.make(Effect.suspend(() => Work.flush(items.w2!)), { name: "w1" })
          items.w2 = Work.make(Effect.suspend(() => Work.cancelSync(items.w1!)), { name: "w2" })
          // neither workqueue is annotated (max_active is not 1): only the item edges make the cycle
          yield* Workqueue.queue(a, items.w1)
          yield* Workqueue.flush(a)
          yield* Workqueue.queue(b, items.w2)
          yield* Workqueue.flush(b)
        }),
      { dependencyChecks: true }
    )
    expect(r.cycles.map((c) => ({ chain: c.chain, operations: c.operations }))).toEqual([
      { chain: ["item w2", "item w1", "item w2"], operations: ["cancelSync", "flushWork"] }
    ])
    expect(r.logs.filter((l) => l.includes("possible circular dependency"))).toEqual([
      "workqueue: possible circular dependency: item w2 -[cancelSync]-> item w1 -[flushWork]-> item w2"
    ])
  })

  it("a wait refused as a deadlock is still an edge: an item that flushes its own workqueue", () => {
    const r = run(
      (a) =>
        Effect.gen(function*() {
          const self = Work.make(Effect.either(Workqueue.flush(a)), { name: "self" })
          yield* Workqueue.queue(a, self)
          yield* Workqueue.flush(a)
        }),
      { dependencyChecks: true }
    )
    expect(r.cycles.map((c) => ({ chain: c.chain, operations: c.operations }))).toEqual([
      { chain: ["a", "a"], operations: ["flush"] }
    ])
  })

  it("cancelSync of an item of a max_active 1 workqueue adds no workqueue edge (the kernel skips it on cancel)", () => {
    const r = run(
      (a) =>
        Effect.gen(function*() {
          const ordered = yield* Workqueue.allocOrdered("o")
          const w = Work.make(Effect.sleep(5), { name: "w" })
          yield* waitFrom(a, Effect.zipRight(Workqueue.queue(ordered, w), Work.cancelSync(w)))
          yield* waitFrom(ordered, Workqueue.flush(a))
        }),
      { dependencyChecks: true }
    )
    expect(r.cycles).toEqual([])
  })

  it("a second cycle over the same set of workqueues, through other edges, is not reported again", () => {
    const r = run(
      (a, b) =>
        Effect.gen(function*() {
          const c = yield* Workqueue.alloc("c")
          const d = yield* Workqueue.alloc("d")
          const edges: Array<readonly [Workqueue.Workqueue, Workqueue.Workqueue]> = [
            [a, b],
            [b, d],
            [a, c],
            [c, d],
            [d, a], // closes d -> a -> b -> d
            [b, c], // closes b -> c -> d -> a -> b
            [c, b] // closes c -> b -> d -> a -> c: the same four workqueues
          ]
          for (const [from, to] of edges) yield* waitFrom(from, Workqueue.flush(to))
        }),
      { dependencyChecks: true }
    )
    expect(r.cycles.map((c) => c.chain)).toEqual([["d", "a", "b", "d"], ["b", "c", "d", "a", "b"]])
  })
})
