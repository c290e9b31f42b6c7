/**
 * BH workqueues: one pseudo worker per CPU pool, items run synchronously on
 * the queueing CPU, in queue order, never concurrently, ignoring max_active;
 * an item that blocks is a typed defect, not a hang.
 */
import { describe, expect, it } from "@effect/vitest"
import * as Cause from "effect/Cause"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import fc from "fast-check"
import { Work, WorkerPool, Workqueue, WorkqueueError } from "@cmwq/core"
import { runVirtualSync } from "./helpers.js"

describe("BH workqueues", () => {
  it("are accepted only with maxActive 0 and HIGHPRI/PERCPU", () => {
    const result = runVirtualSync(Effect.gen(function*() {
      const ok = yield* Workqueue.alloc("bh", { flags: ["BH"] })
      const hi = yield* Workqueue.alloc("bh-hi", { flags: ["BH", "HIGHPRI"] })
      const withMax = yield* Effect.flip(Workqueue.alloc("bad", { flags: ["BH"], maxActive: 4 }))
      const withUnbound = yield* Effect.flip(Workqueue.alloc("bad", { flags: ["BH", "UNBOUND"] }))
      return { flags: [Workqueue.flags(ok), Workqueue.flags(hi)], withMax, withUnbound }
    }))
    expect(result.flags).toEqual([["BH"], ["BH", "HIGHPRI"]])
    expect(result.withMax).toBeInstanceOf(WorkqueueError.InvalidFlags)
    expect(result.withUnbound).toBeInstanceOf(WorkqueueError.InvalidFlags)
  })

  it("run on the queueing CPU's BH pool, one at a time, in queue order", () => {
    fc.assert(
      fc.property(
        fc.array(fc.record({ cpu: fc.integer({ min: 0, max: 1 }), yields: fc.integer({ min: 0, max: 3 }) }), {
          minLength: 1,
          maxLength: 30
        }),
        (items) => {
          const log = runVirtualSync(
            Effect.gen(function*() {
              const wq = yield* Workqueue.alloc("bh", { flags: ["BH"] })
              const log: Array<{ i: number; cpu: number; phase: "start" | "end"; pool: string }> = []
              for (let i = 0; i < items.length; i++) {
                const { cpu, yields } = items[i]!
                yield* Workqueue.queueOn(
                  wq,
                  cpu,
                  Work.make(Effect.gen(function*() {
                    const me = Option.getOrThrow(yield* WorkerPool.currentWorker)
                    log.push({ i, cpu: me.cpu, phase: "start", pool: me.name })
                    for (let y = 0; y < yields; y++) yield* Effect.yieldNow()
                    log.push({ i, cpu: me.cpu, phase: "end", pool: me.name })
                  }))
                )
              }
              yield* Workqueue.flush(wq)
              return log
            }),
            { cpus: 2 }
          )
          for (const cpu of [0, 1]) {
            const mine = log.filter((e) => e.cpu === cpu)
            const expected = items.flatMap((item, i) => (item.cpu === cpu ? [i, i] : []))
            expect(mine.map((e) => e.i)).toEqual(expected)
            mine.forEach((e, k) => expect(e.phase).toBe(k % 2 === 0 ? "start" : "end"))
          }
          expect(log.filter((e) => e.phase === "start").map((e) => e.cpu)).toEqual(
            log.filter((e) => e.phase === "start").map((e) => items[e.i]!.cpu)
          )
        }
      ),
      { seed: 21, numRuns: 200 }
    )
  })

  it("an item that blocks is stopped and reported as a BhWorkBlocked defect; the pool carries on", () => {
    const events: Array<WorkerPool.Event> = []
    const result = runVirtualSync(
      Effect.gen(function*() {
        const wq = yield* Workqueue.alloc("bh", { flags: ["BH"] })
        const log: Array<string> = []
        yield* Workqueue.queue(
          wq,
          Work.make(
            Effect.gen(function*() {
              log.push("blocker starts")
              yield* Effect.sleep(10)
              log.push("blocker resumed")
            }),
            { name: "blocker" }
          )
        )
        yield* Workqueue.queue(wq, Work.make(Effect.sync(() => log.push("next runs")), { name: "next" }))
        yield* Workqueue.flush(wq)
        yield* Effect.sleep(20)
        return { log, stats: yield* Workqueue.stats(wq) }
      }),
      { observer: (e) => events.push(e) }
    )
    expect(result.log).toEqual(["blocker starts", "next runs"])
    expect(result.stats).toMatchObject({ started: 2, completed: 2, failed: 1 })
    const failed = events.find((e) => e._tag === "WorkFailed")
    const defect = failed?._tag === "WorkFailed" ? Cause.dieOption(failed.cause) : Option.none()
    expect(Option.getOrNull(defect)).toBeInstanceOf(WorkqueueError.BhWorkBlocked)
  })

  it("current work, chained queueing and flush work inside BH items", () => {
    const result = runVirtualSync(Effect.gen(function*() {
      const wq = yield* Workqueue.alloc("bh", { flags: ["BH"] })
      let sawSelf = false
      let runs = 0
      const work: Work.Work = Work.make(Effect.gen(function*() {
        runs++
        sawSelf = Option.getOrNull(yield* Work.current) === work
        if (runs < 3) yield* Workqueue.queue(wq, work)
      }))
      yield* Workqueue.queue(wq, work)
      yield* Workqueue.drain(wq)
      return { sawSelf, runs }
    }))
    expect(result).toEqual({ sawSelf: true, runs: 3 })
  })
})
