/**
 * `Work.explain`, `Workqueue.explain`, flush epochs (`Workqueue.mark`,
 * `Epoch`) and `flush(wq, { timeout })`, state by state, under virtual time.
 */
import { describe, expect, it } from "@effect/vitest"
import * as Deferred from "effect/Deferred"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Fiber from "effect/Fiber"
import { DelayedWork, Epoch, Explanation, Freezer, Policy, Work, WorkerPool, Workqueue } from "@cmwq/core"
import { runVirtual, runVirtualSync } from "./helpers.js"

describe("Work.explain", () => {
  it("never queued, running (and blocked on async), finished", () => {
    const out = runVirtualSync(Effect.gen(function*() {
      const wq = yield* Workqueue.alloc("ex", { maxActive: 1 })
      const gate = yield* Deferred.make<void>()
      const work = Work.make(Deferred.await(gate), { name: "w" })
      const never = yield* Work.explain(work)
      yield* Workqueue.queue(wq, work)
      yield* Effect.sleep(1)
      const running = yield* Work.explain(work)
      yield* Deferred.succeed(gate, undefined)
      yield* Workqueue.flush(wq)
      const finished = yield* Work.explain(work)
      return { never, running, finished }
    }))
    expect(out.never).toMatchObject({ _tag: "NeverQueued", work: "w" })
    expect(out.never.message).toBe("w has never been queued")
    expect(out.running).toMatchObject({ _tag: "Running", work: "w", workqueue: "ex", queuedAgain: false })
    if (out.running._tag !== "Running") throw new Error("not running")
    expect(out.running.worker).toMatch(/^kworker\//)
    expect(out.running.blockedForMs).not.toBeNull()
    expect(out.running.message).toContain("blocked on async")
    expect(out.finished._tag).toBe("Finished")
    expect(Explanation.format(out.finished)).toBe(out.finished.message)
  })

  it("held by max_active names the active items; the worklist names the running worker", () => {
    const out = runVirtualSync(Effect.gen(function*() {
      const wq = yield* Workqueue.alloc("ma", { maxActive: 1, flags: ["PERCPU"] })
      const gate = yield* Deferred.make<void>()
      const a = Work.make(Deferred.await(gate), { name: "a" })
      const b = Work.sync(() => {}, { name: "b" })
      yield* Workqueue.queueOn(wq, 0, a)
      yield* Workqueue.queueOn(wq, 0, b)
      const held = yield* Work.explain(b)
      const summary = yield* Workqueue.explain(wq)
      yield* Deferred.succeed(gate, undefined)
      yield* Workqueue.flush(wq)
      return { held, summary }
    }))
    expect(out.held).toMatchObject({ _tag: "MaxActive", maxActive: 1, active: ["a"], position: 1 })
    expect(out.held.message).toContain("max_active 1 is reached by a")
    expect(out.summary.items.length).toBe(2)
    expect(out.summary.counts.MaxActive).toBe(1)
    expect(out.summary.stuck).toEqual([])
  })

  it("on the worklist behind a running CPU-bound item (concurrency management)", () => {
    const out = runVirtualSync(Effect.gen(function*() {
      const wq = yield* Workqueue.alloc("cm", { flags: ["PERCPU"] })
      let seen: Explanation.Explanation | undefined
      const b = Work.sync(() => {}, { name: "b" })
      const a = Work.sync(() => {
        seen = Effect.runSync(Work.explain(b))
      }, { name: "a" })
      yield* Workqueue.queueOn(wq, 0, a)
      yield* Workqueue.queueOn(wq, 0, b)
      yield* Workqueue.flush(wq)
      return seen!
    }))
    expect(out._tag).toBe("Worklist")
    if (out._tag !== "Worklist") throw new Error("not on the worklist")
    expect(out.reason._tag).toBe("WorkersRunning")
    expect(out.position).toBe(1)
    expect(out.message).toContain("busy and running")
  })

  it("on a timer until t, disabled with its depth, frozen", () => {
    const out = runVirtualSync(Effect.gen(function*() {
      const wq = yield* Workqueue.alloc("fz", { flags: ["FREEZABLE"] })
      const d = DelayedWork.make(Effect.void, { name: "d" })
      yield* Workqueue.queueDelayed(wq, d, 100)
      const timer = yield* Work.explain(d)
      yield* Work.cancel(d)
      const w = Work.make(Effect.void, { name: "w" })
      yield* Work.disable(w)
      yield* Work.disable(w)
      const disabled = yield* Work.explain(w)
      yield* Work.enable(w)
      yield* Work.enable(w)
      yield* Freezer.freeze
      yield* Workqueue.queue(wq, w)
      const frozen = yield* Work.explain(w)
      const summary = yield* Workqueue.explain(wq)
      yield* Freezer.thaw
      yield* Workqueue.flush(wq)
      return { timer, disabled, frozen, summary }
    }))
    expect(out.timer).toMatchObject({ _tag: "OnTimer", until: 100, inMs: 100, workqueue: "fz" })
    expect(out.disabled).toMatchObject({ _tag: "Disabled", depth: 2 })
    expect(out.disabled.message).toContain("enabled 2 times")
    expect(out.frozen._tag).toBe("Frozen")
    expect(Explanation.isStuck(out.frozen)).toBe(true)
    expect(out.summary.stuck.map((e) => e.work)).toEqual(["w"])
  })

  it("on the worklist while an idle worker is woken and has not run yet", () => {
    const out = runVirtualSync(Effect.gen(function*() {
      const wq = yield* Workqueue.alloc("wake", { flags: ["PERCPU"] })
      // a first item leaves an idle worker behind
      yield* Workqueue.queueOn(wq, 0, Work.sync(() => {}, { name: "first" }))
      yield* Workqueue.flush(wq)
      const w = Work.sync(() => {}, { name: "w" })
      yield* Workqueue.queueOn(wq, 0, w)
      // asked in the same step as the queue call: the woken worker's fiber has not run
      const waking = yield* Work.explain(w)
      yield* Workqueue.flush(wq)
      return waking
    }))
    expect(out._tag).toBe("Worklist")
    if (out._tag !== "Worklist") throw new Error("not on the worklist")
    expect(out.reason._tag).toBe("WorkerWaking")
    expect(out.message).toMatch(/kworker\/0:\d+/)
  })

  it("on the worklist because the pools' policy starts no worker, naming the policy", () => {
    const lazy = Policy.make({ name: "never-wakes", needMoreWorker: () => false })
    const out = runVirtualSync(
      Effect.gen(function*() {
        const wq = yield* Workqueue.alloc("lazy", { flags: ["PERCPU"] })
        const w = Work.sync(() => {}, { name: "w" })
        yield* Workqueue.queueOn(wq, 0, w)
        yield* Effect.sleep(10)
        const held = yield* Work.explain(w)
        yield* Work.cancel(w)
        return held
      }),
      { policy: lazy }
    )
    expect(out._tag).toBe("Worklist")
    if (out._tag !== "Worklist") throw new Error("not on the worklist")
    expect(out.reason).toEqual({ _tag: "Policy", policy: "never-wakes" })
    expect(out.message).toContain("never-wakes")
  })

  it("plugged on an ordered workqueue after an attributes change, until the older items finish", () => {
    const out = runVirtualSync(Effect.gen(function*() {
      const wq = yield* Workqueue.allocOrdered("plug")
      const gate = yield* Deferred.make<void>()
      const a = Work.make(Deferred.await(gate), { name: "a" })
      const b = Work.sync(() => {}, { name: "b" })
      yield* Workqueue.queue(wq, a)
      yield* Effect.sleep(1)
      yield* Workqueue.applyAttrs(wq, { affinityScope: "cpu" })
      yield* Workqueue.queue(wq, b)
      const plugged = yield* Work.explain(b)
      const summary = yield* Workqueue.explain(wq)
      yield* Deferred.succeed(gate, undefined)
      yield* Workqueue.flush(wq)
      const after = yield* Work.explain(b)
      return { plugged, summary, after }
    }))
    expect(out.plugged).toMatchObject({ _tag: "Plugged", work: "b", workqueue: "plug" })
    expect(Explanation.isStuck(out.plugged)).toBe(true)
    expect(out.summary.stuck.map((e) => e.work)).toEqual(["b"])
    expect(out.after._tag).toBe("Finished")
  })

  it("behind its predecessors on an ordered workqueue", () => {
    const out = runVirtualSync(Effect.gen(function*() {
      const wq = yield* Workqueue.allocOrdered("ord")
      const items = ["a", "b", "c"].map((name) => Work.make(Effect.sleep(5), { name }))
      for (const w of items) yield* Workqueue.queue(wq, w)
      yield* Effect.sleep(1)
      const c = yield* Work.explain(items[2]!)
      yield* Workqueue.flush(wq)
      return c
    }))
    expect(out).toMatchObject({ _tag: "BehindPredecessors", ahead: ["a", "b"] })
  })

  it("worker creation failing since t, with the rescuer's state", () => {
    let canCreate = true
    const out = runVirtualSync(
      Effect.gen(function*() {
        const wq = yield* Workqueue.alloc("starved", { flags: ["PERCPU", "MEM_RECLAIM"] })
        // the pool's workers all blocked, so that a new one is needed, which cannot be created
        const gate = yield* Deferred.make<void>()
        const blockers = Array.from({ length: 3 }, (_, i) => Work.make(Deferred.await(gate), { name: `blk${i}` }))
        for (const w of blockers) yield* Workqueue.queueOn(wq, 0, w)
        yield* Effect.sleep(10)
        canCreate = false
        const waiting = Work.sync(() => {}, { name: "waiting" })
        const spare = Work.sync(() => {}, { name: "spare" })
        yield* Workqueue.queueOn(wq, 0, Work.make(Deferred.await(gate), { name: "blk3" }))
        yield* Workqueue.queueOn(wq, 0, Work.make(Deferred.await(gate), { name: "blk4" }))
        yield* Workqueue.queueOn(wq, 0, Work.make(Deferred.await(gate), { name: "blk5" }))
        yield* Workqueue.queueOn(wq, 0, waiting)
        yield* Workqueue.queueOn(wq, 0, spare)
        yield* Effect.sleep(3)
        const e = yield* Work.explain(spare)
        canCreate = true
        yield* Deferred.succeed(gate, undefined)
        yield* Workqueue.flush(wq)
        return e
      }),
      { workerCreation: () => Effect.sync(() => canCreate) },
      { maxSteps: 200_000 }
    )
    expect(out._tag).toBe("Worklist")
    if (out._tag !== "Worklist") throw new Error(`not on the worklist: ${out.message}`)
    expect(out.reason._tag).toBe("CreatingWorker")
    if (out.reason._tag !== "CreatingWorker") throw new Error("not creating")
    expect(out.reason.failingSince).not.toBeNull()
    expect(out.reason.rescuer).toContain("kworker/R-starved")
    expect(Explanation.isStuck(out)).toBe(true)
  })
})

describe("flush epochs", () => {
  it("an epoch waits for what was queued before its mark, not after; poll does not wait", () => {
    const out = runVirtualSync(Effect.gen(function*() {
      const wq = yield* Workqueue.alloc("ep", { maxActive: 4 })
      const log: Array<string> = []
      yield* Workqueue.queue(
        wq,
        Work.make(Effect.as(Effect.sleep(10), undefined).pipe(Effect.tap(() => log.push("before"))))
      )
      const epoch = yield* Workqueue.mark(wq)
      yield* Workqueue.queue(wq, Work.make(Effect.sleep(50).pipe(Effect.tap(() => log.push("after")))))
      const early = yield* Epoch.poll(epoch)
      yield* Epoch.await(epoch)
      const at = yield* Effect.clockWith((c) => c.currentTimeMillis)
      const late = Epoch.unsafePoll(epoch)
      const stragglers = yield* Epoch.stragglers(epoch)
      yield* Workqueue.flush(wq)
      return { early, late, at, log, stragglers }
    }))
    expect(out).toEqual({ early: false, late: true, at: 10, log: ["before", "after"], stragglers: [] })
  })

  it("all: done when every workqueue's part is", () => {
    const out = runVirtualSync(Effect.gen(function*() {
      const a = yield* Workqueue.alloc("a")
      const b = yield* Workqueue.alloc("b")
      yield* Workqueue.queue(a, Work.make(Effect.sleep(5)))
      yield* Workqueue.queue(b, Work.make(Effect.sleep(20)))
      const both = Epoch.all([yield* Workqueue.mark(a), yield* Workqueue.mark(b)])
      yield* Epoch.await(both)
      return yield* Effect.clockWith((c) => c.currentTimeMillis)
    }))
    expect(out).toBe(20)
  })

  it("flush with a timeout fails with FlushTimeout listing the stragglers with their explanations", () => {
    const exit = runVirtual(Effect.gen(function*() {
      const wq = yield* Workqueue.alloc("slow", { maxActive: 1, flags: ["PERCPU"] })
      yield* Workqueue.queueOn(wq, 0, Work.make(Effect.sleep(1_000), { name: "slow" }))
      yield* Workqueue.queueOn(wq, 0, Work.make(Effect.void, { name: "next" }))
      const r = yield* Effect.either(Workqueue.flush(wq, { timeout: 100 }))
      // the flush stays in line: a plain flush still waits for the same items
      yield* Workqueue.flush(wq)
      return r
    }))
    if (!Exit.isSuccess(exit)) throw new Error(String(exit))
    const r = exit.value
    if (r._tag !== "Left" || r.left._tag !== "FlushTimeout") throw new Error("expected FlushTimeout")
    expect(r.left.timeoutMs).toBe(100)
    expect(r.left.workqueues).toEqual(["slow"])
    expect(r.left.stragglers.map((s) => [s.work, s.explanation._tag])).toEqual([
      ["slow", "Running"],
      ["next", "MaxActive"]
    ])
    expect(r.left.message).toContain("did not complete within 100 ms")
  })

  it("flush with a timeout that is met returns normally", () => {
    const exit = runVirtual(Effect.gen(function*() {
      const wq = yield* Workqueue.alloc("fast")
      yield* Workqueue.queue(wq, Work.make(Effect.sleep(10)))
      yield* Workqueue.flush(wq, { timeout: "1 second" })
      return yield* Effect.clockWith((c) => c.currentTimeMillis)
    }))
    expect(exit).toEqual(Exit.succeed(10))
  })

  it("awaiting an epoch from an item it waits for is a FlushDeadlock", () => {
    const out = runVirtualSync(Effect.gen(function*() {
      const wq = yield* Workqueue.alloc("self")
      let tag = ""
      const work = Work.make(Effect.gen(function*() {
        const epoch = yield* Workqueue.mark(wq)
        const r = yield* Effect.either(Epoch.await(epoch))
        tag = r._tag === "Left" ? r.left._tag : "ok"
      }))
      yield* Workqueue.queue(wq, work)
      yield* Workqueue.flush(wq)
      return tag
    }))
    expect(out).toBe("FlushDeadlock")
  })

  it("more marks than colors: each completes after its items, in mark order", () => {
    const out = runVirtualSync(Effect.gen(function*() {
      const wq = yield* Workqueue.alloc("many", { maxActive: 1, flags: ["PERCPU"] })
      const epochs: Array<Epoch.Epoch> = []
      for (let i = 0; i < 40; i++) {
        yield* Workqueue.queueOn(wq, 0, Work.make(Effect.sleep(1)))
        epochs.push(yield* Workqueue.mark(wq))
      }
      const state = yield* Workqueue.inspect(wq)
      const fibers = yield* Effect.forEach(
        epochs,
        (e, i) =>
          Effect.fork(
            Effect.as(Epoch.await(e), [i, 0] as const).pipe(
              Effect.flatMap(([i]) => Effect.map(Effect.clockWith((c) => c.currentTimeMillis), (t) => [i, t] as const))
            )
          )
      )
      const done = yield* Effect.forEach(fibers, Fiber.join)
      return { flushers: state.flushers, done }
    }))
    expect(out.flushers).toBe(40)
    // item i finishes at t = i + 1 (one at a time); mark i waits for items 0..i
    out.done.forEach(([i, t]) => expect(t).toBeGreaterThanOrEqual(i + 1))
  })
})

describe("Work.explain: finish times", () => {
  it("Finished.at is the whole millisecond the last run finished in, on a platform clock with fractions", async () => {
    // the engine keeps an item's finish time in whole millis, so that the
    // item's field stays a small integer (see `WorkImpl.finishedAt`)
    let clock = 1000.75
    const platform: WorkerPool.Platform = { now: () => clock, macrotask: (f) => void setImmediate(f) }
    const out = await Effect.gen(function*() {
      const wq = yield* Workqueue.alloc("frac")
      const work = Work.sync(() => {
        clock += 0.5
      }, { name: "f" })
      yield* Workqueue.queue(wq, work)
      yield* Workqueue.flush(wq)
      clock = 1010.25
      return yield* Work.explain(work)
    }).pipe(Effect.scoped, Effect.provide(WorkerPool.layer({ platform })), Effect.runPromise)
    expect(out).toMatchObject({ _tag: "Finished", work: "f", at: 1001, agoMs: 9.25 })
    expect(out.message).toBe(Explanation.format(out))
  })
})
