/**
 * Footguns: wrong figures, silent hangs and misleading behaviour that users
 * ran into, each with the test that failed before its fix.
 */
import { describe, expect, it } from "@effect/vitest"
import * as Clock from "effect/Clock"
import * as Effect from "effect/Effect"
import { Work, WorkerPool, Workqueue } from "@cmwq/core"
import { VirtualTime } from "@cmwq/testing"
import { quiet, runVirtualSync } from "./helpers.js"

describe("cpuTimeMs counts only time on the JS thread", () => {
  const sleepers = (wq: Workqueue.Workqueue) =>
    Effect.gen(function*() {
      for (let i = 0; i < 50; i++) {
        yield* Workqueue.queue(wq, Work.make(Effect.sleep("10 millis"), { name: `sleeper-${i}` }))
      }
      yield* Workqueue.flush(wq)
      return yield* Workqueue.stats(wq)
    })

  it.each([
    ["per-cpu", () => Workqueue.alloc("percpu")],
    ["unbound", () => Workqueue.alloc("unbound", { flags: ["UNBOUND"] })],
    ["ordered", () => Workqueue.allocOrdered("ordered")],
    ["CPU_INTENSIVE", () => Workqueue.alloc("intensive", { flags: ["CPU_INTENSIVE"] })]
  ])("%s: 50 items that sleep 10 ms use no CPU time", (_, make) => {
    const stats = runVirtualSync(Effect.flatMap(make(), sleepers))
    expect(stats.completed).toBe(50)
    expect(stats.cpuTimeMs).toBe(0)
  })

  it("time an item spends on the thread between its sleeps still counts", () => {
    // a hand-driven platform clock: the item holds the thread for 3 + 2 ms around a
    // sleep during which the clock moves 100 ms; only the 5 ms are CPU time
    let t = 0
    const platform = { now: () => t, macrotask: (f: () => void) => queueMicrotask(f) }
    const stats = runVirtualSync(
      Effect.gen(function*() {
        const wq = yield* Workqueue.alloc("mixed", { flags: ["UNBOUND"] })
        yield* Workqueue.queue(
          wq,
          Work.make(Effect.gen(function*() {
            t += 3
            yield* Effect.sleep("10 millis")
            t += 2
          }))
        )
        yield* Effect.sleep("5 millis")
        t += 100
        yield* Workqueue.flush(wq)
        return yield* Workqueue.stats(wq)
      }),
      { platform }
    )
    expect(stats.cpuTimeMs).toBe(5)
  })
})

describe("VirtualTime with default pool options", () => {
  it("runs items with the default fairness budget and watchdog (no fairnessBudget: 0 needed)", () => {
    const ran = VirtualTime.runSync(
      quiet(
        Effect.gen(function*() {
          const wq = yield* Workqueue.alloc("defaults")
          let n = 0
          for (let i = 0; i < 200; i++) {
            yield* Workqueue.queue(wq, Work.make(Effect.sync(() => n++)))
          }
          yield* Workqueue.flush(wq)
          return n
        }).pipe(Effect.scoped, Effect.provide(WorkerPool.layer()))
      ),
      { maxSteps: 1_000_000 }
    )
    expect(ran).toBe(200)
  })

  it("the watchdog reports a stalled pool once per threshold, not in a loop", () => {
    const stalls: Array<number> = []
    const exit = VirtualTime.runExit(
      quiet(
        Effect.gen(function*() {
          const wq = yield* Workqueue.alloc("stuck")
          // the pool's only worker blocks, and no new worker can be created:
          // the second item stays pending and the pool makes no progress
          yield* Workqueue.queue(wq, Work.make(Effect.sleep("301 seconds"), { name: "blocker" }))
          yield* Workqueue.queue(wq, Work.make(Effect.void, { name: "starved" }))
          yield* Effect.sleep("300 seconds")
        }).pipe(
          Effect.scoped,
          Effect.provide(WorkerPool.layer({
            // worker creation fails for the whole stall, then recovers
            workerCreation: () => Effect.map(Clock.currentTimeMillis, (t) => t >= 300_000),
            observer: (e) => {
              if (e._tag === "WatchdogStall") stalls.push(e.stuckMillis)
            }
          }))
        )
      ),
      { maxSteps: 1_000_000 }
    )
    if (exit._tag === "Failure") throw new Error(String(exit.cause))
    expect(exit._tag).toBe("Success")
    // 30 s threshold: about one report per 30 s of the 300 s stall
    expect(stalls.length).toBeGreaterThanOrEqual(8)
    expect(stalls.length).toBeLessThanOrEqual(10)
  })
})
