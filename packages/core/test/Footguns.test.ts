/**
 * Footguns: wrong figures, silent hangs and misleading behaviour that users
 * ran into, each with the test that failed before its fix.
 */
import { describe, expect, it } from "@effect/vitest"
import * as Cause from "effect/Cause"
import * as Clock from "effect/Clock"
import * as Effect from "effect/Effect"
import * as Fiber from "effect/Fiber"
import * as Logger from "effect/Logger"
import * as LogLevel from "effect/LogLevel"
import * as Metric from "effect/Metric"
import type * as Scope from "effect/Scope"
import { DelayedWork, Policy, Work, WorkerPool, Workqueue, WorkqueueError, WorkqueueMetrics } from "@cmwq/core"
import { VirtualTime } from "@cmwq/testing"
import { quiet, runVirtualSync, testPools } from "./helpers.js"

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

describe("metrics keep a destroyed workqueue's final counts", () => {
  it("100 items, then destroy: the counters show 100", () => {
    const name = "metrics-final-100"
    const counts = runVirtualSync(Effect.gen(function*() {
      const wq = yield* Workqueue.alloc(name)
      yield* WorkqueueMetrics.update
      for (let i = 0; i < 100; i++) yield* Workqueue.queue(wq, Work.make(Effect.void))
      yield* Workqueue.destroy(wq)
      yield* WorkqueueMetrics.update
      const value = (m: Metric.Metric.Counter<number>) => Metric.value(Metric.tagged(m, "cmwq.workqueue.name", name))
      return {
        finished: (yield* value(WorkqueueMetrics.metrics.finished)).count,
        completed: (yield* value(WorkqueueMetrics.metrics.completed)).count,
        started: (yield* value(WorkqueueMetrics.metrics.started)).count
      }
    }))
    expect(counts).toEqual({ finished: 100, completed: 100, started: 100 })
  })
})

describe("counters that say what they count, failures at the workqueue's log level", () => {
  it("finished counts failed runs too; completed is its deprecated alias", () => {
    const stats = runVirtualSync(Effect.gen(function*() {
      const wq = yield* Workqueue.alloc("counts")
      for (let i = 0; i < 3; i++) yield* Workqueue.queue(wq, Work.make(Effect.void))
      for (let i = 0; i < 2; i++) yield* Workqueue.queue(wq, Work.make(Effect.fail("no")))
      yield* Workqueue.flush(wq)
      return yield* Workqueue.stats(wq)
    }))
    expect(stats).toMatchObject({ started: 5, finished: 5, completed: 5, failed: 2, dropped: 0 })
  })

  const failureLogs = (
    options: Workqueue.Options,
    body: (wq: Workqueue.Workqueue) => Effect.Effect<unknown, unknown> = (wq) =>
      Effect.zipRight(
        Workqueue.queue(wq, Work.make(Effect.fail("expected"), { name: "flaky" })),
        Workqueue.flush(wq)
      )
  ) => {
    const logs: Array<string> = []
    const logger = Logger.make<unknown, void>(({ logLevel, message }) => {
      const text = Array.isArray(message) ? String(message[0]) : String(message)
      if (text.includes("failed") || text.includes("interrupted")) logs.push(`${logLevel.label}: ${text}`)
    })
    VirtualTime.runSync(
      Effect.gen(function*() {
        const wq = yield* Workqueue.alloc("quiet", options)
        yield* body(wq)
      }).pipe(
        Effect.scoped,
        Effect.provide(testPools()),
        Effect.provide(Logger.replace(Logger.defaultLogger, logger)),
        Logger.withMinimumLogLevel(LogLevel.All)
      )
    )
    return logs
  }

  it("by default a failure is logged at ERROR", () => {
    expect(failureLogs({})).toEqual(["ERROR: workqueue quiet: flaky failed; its worker carries on"])
  })

  it("a failure run, submit or runAll hands to its caller is counted, not logged; the others of runAll are logged", () => {
    let failed = -1
    const logs = failureLogs({ maxActive: 4 }, (wq) =>
      Effect.gen(function*() {
        yield* Effect.exit(Workqueue.run(wq, Effect.fail("to the caller"), { name: "ran" }))
        const handle = yield* Workqueue.submit(wq, Effect.fail("to the handle"), { name: "submitted" })
        yield* handle.await
        // a running item interrupted because its caller gave up: handed back too
        const slow = yield* Effect.fork(Workqueue.run(wq, Effect.never, { name: "abandoned" }))
        yield* Effect.sleep(1)
        yield* Fiber.interrupt(slow)
        // runAll: the first failure goes to the caller, a later one of a running item is logged
        yield* Effect.exit(Workqueue.runAll(wq, [
          Effect.zipRight(Effect.sleep(1), Effect.fail("first")),
          Effect.zipRight(Effect.sleep(2), Effect.fail("second"))
        ]))
        yield* Workqueue.flush(wq)
        failed = (yield* Workqueue.stats(wq)).failed
      }))
    expect(failed).toBe(5)
    expect(logs).toEqual(["ERROR: workqueue quiet: anonymous work failed; its worker carries on"])
  })

  it("failureLogLevel picks the level; None logs nothing", () => {
    expect(failureLogs({ failureLogLevel: LogLevel.Debug })).toEqual([
      "DEBUG: workqueue quiet: flaky failed; its worker carries on"
    ])
    expect(failureLogs({ failureLogLevel: LogLevel.None })).toEqual([])
  })

  it("a failureLogLevel that is not a LogLevel is a typed error", () => {
    const error = runVirtualSync(Effect.flip(
      Workqueue.alloc("bad-level", { failureLogLevel: "debug" as unknown as LogLevel.LogLevel })
    ))
    expect(error).toBeInstanceOf(WorkqueueError.InvalidOperation)
    expect(error.message).toContain("failureLogLevel")
  })
})

describe("bad input from JS", () => {
  it.each([["16", "\"16\""], [true, "true"]] as const)(
    "maxActive %j is an InvalidMaxActive that names it",
    (given, shown) => {
      const error = runVirtualSync(Effect.flip(
        Workqueue.alloc("js", { maxActive: given as unknown as number })
      ))
      expect(error).toBeInstanceOf(WorkqueueError.InvalidMaxActive)
      expect(error.message).toContain(`invalid maxActive ${shown}`)
    }
  )
})

describe("a policy whose selectNext picks wrong", () => {
  const run = (selectNext: Policy.Decisions["selectNext"]) => {
    const errors: Array<string> = []
    const logger = Logger.make<unknown, void>(({ cause, logLevel }) => {
      if (logLevel._tag === "Error") errors.push(Cause.pretty(cause))
    })
    const ran = VirtualTime.runSync(
      Effect.gen(function*() {
        const wq = yield* Workqueue.alloc("picky")
        let n = 0
        for (let i = 0; i < 5; i++) yield* Workqueue.queue(wq, Work.make(Effect.sync(() => n++)))
        yield* Workqueue.flush(wq)
        return n
      }).pipe(
        Effect.scoped,
        Effect.provide(testPools({ policy: Policy.make({ name: "wrong-picker", selectNext }) })),
        Effect.provide(Logger.replace(Logger.defaultLogger, logger))
      )
    )
    return { ran, errors }
  }

  it("null while work is pending: a defect naming the policy, logged once; the pool keeps serving", () => {
    const { errors, ran } = run(() => null)
    expect(ran).toBe(5)
    expect(errors).toHaveLength(1)
    expect(errors[0]).toContain("PolicyMisbehaved")
    expect(errors[0]).toContain("policy wrong-picker: selectNext returned null")
  })

  it("an item that is not on the worklist: the same", () => {
    const stranger = Work.make(Effect.void, { name: "stranger" })
    const { errors, ran } = run(() => stranger)
    expect(ran).toBe(5)
    expect(errors).toHaveLength(1)
    expect(errors[0]).toContain("not a runnable head of this pool's worklist")
  })
})

describe("shutdown never hangs in silence", () => {
  const withLogs = <A, E>(program: Effect.Effect<A, E, WorkerPool.WorkerPools | Scope.Scope>) => {
    const logs: Array<string> = []
    const logger = Logger.make<unknown, void>(({ date, logLevel, message }) => {
      const text = Array.isArray(message) ? String(message[0]) : String(message)
      logs.push(`${date.getTime()} ${logLevel.label}: ${text}`)
    })
    const exit = VirtualTime.runExit(
      program.pipe(
        Effect.scoped,
        Effect.provide(testPools()),
        Effect.provide(Logger.replace(Logger.defaultLogger, logger))
      )
    )
    return { exit, logs }
  }

  it("a destroy that waits lists the running items after 10 s, then with backoff", () => {
    const { exit, logs } = withLogs(Effect.gen(function*() {
      const wq = yield* Workqueue.alloc("slow")
      yield* Workqueue.queue(wq, Work.make(Effect.sleep("75 seconds"), { name: "upload" }))
      yield* Workqueue.destroy(wq)
    }))
    expect(exit._tag).toBe("Success")
    const waits = logs.filter((l) => l.includes("has waited"))
    expect(waits).toEqual([
      "10000 WARN: workqueue slow: destroy has waited 10 s for 1 running item(s): upload (cpu0, running 10 s)",
      "30000 WARN: workqueue slow: destroy has waited 30 s for 1 running item(s): upload (cpu0, running 30 s)",
      "70000 WARN: workqueue slow: destroy has waited 70 s for 1 running item(s): upload (cpu0, running 70 s)"
    ])
  })

  it("destroy with a timeout interrupts the stragglers and lists them; Work.promise's signal fires", () => {
    let aborted = false
    const { exit, logs } = withLogs(Effect.gen(function*() {
      const wq = yield* Workqueue.alloc("stuck", { flags: ["UNBOUND"] })
      yield* Workqueue.queue(wq, Work.make(Effect.never, { name: "forever" }))
      yield* Workqueue.queue(
        wq,
        Work.promise((signal) => {
          signal.addEventListener("abort", () => {
            aborted = true
          })
          return new Promise<void>(() => {})
        }, { name: "fetch" })
      )
      yield* Effect.sleep("500 millis")
      const error = yield* Effect.flip(Workqueue.destroy(wq, { timeout: "1 second" }))
      const stats = yield* Workqueue.stats(wq)
      return { error, stats }
    }))
    if (exit._tag === "Failure") throw new Error(String(exit.cause))
    const { error, stats } = exit.value
    expect(error).toBeInstanceOf(WorkqueueError.DrainTimeout)
    const timeout = error as WorkqueueError.DrainTimeout
    expect(timeout.operation).toBe("destroy")
    expect(
      [...timeout.stragglers].map((s) => {
        const e = s.explanation
        return [s.work, s.workqueue, e._tag, e._tag === "Running" ? e.forMs : null]
      }).sort()
    ).toEqual([
      ["fetch", "stuck", "Running", 1500],
      ["forever", "stuck", "Running", 1500]
    ])
    expect(timeout.message).toMatch(/forever \(\S+, running 1500 ms\)/)
    expect(timeout.message).toContain("interrupted 2 straggler(s)")
    expect(aborted).toBe(true)
    expect(stats.failed).toBe(2)
    expect(logs.some((l) => l.includes("destroy timed out after 1000 ms; interrupting 2 item(s)"))).toBe(true)
  })

  it("a drain with a timeout that finishes in time succeeds", () => {
    const { exit } = withLogs(Effect.gen(function*() {
      const wq = yield* Workqueue.alloc("quick")
      yield* Workqueue.queue(wq, Work.make(Effect.sleep("100 millis")))
      yield* Workqueue.drain(wq, { timeout: "1 second" })
    }))
    expect(exit._tag).toBe("Success")
  })

  it("a delayed item whose timer fires during a drain is dropped with a warning naming it, and counted", () => {
    const { exit, logs } = withLogs(Effect.gen(function*() {
      const wq = yield* Workqueue.alloc("delays")
      yield* Workqueue.queueDelayed(wq, DelayedWork.make(Effect.void, { name: "reminder" }), "50 millis")
      yield* Workqueue.queue(wq, Work.make(Effect.sleep("100 millis"), { name: "long" }))
      yield* Workqueue.drain(wq)
      return yield* Workqueue.stats(wq)
    }))
    if (exit._tag === "Failure") throw new Error(String(exit.cause))
    expect(exit.value.dropped).toBe(1)
    expect(logs).toContain(
      "50 WARN: workqueue delays: delayed item reminder fired while the workqueue was draining: dropped"
    )
  })
})
