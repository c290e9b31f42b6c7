import { describe, expect, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Metric from "effect/Metric"
import fc from "fast-check"
import { Work, WorkerPool, Workqueue, WorkqueueMetrics } from "@cmwq/core"
import * as Option from "effect/Option"
import { Invariants, type Scenario, Trace } from "@cmwq/testing"
import { runVirtualSync } from "./helpers.js"

describe("watchdog", () => {
  it("reports a pool with pending work and no progress, once per threshold", () => {
    const events: Array<WorkerPool.Event> = []
    let canCreate = false
    const at = runVirtualSync(
      Effect.gen(function*() {
        const wq = yield* Workqueue.alloc("stuck")
        yield* Workqueue.queue(wq, Work.make(Effect.void))
        yield* Effect.sleep(3_500)
        canCreate = true
        yield* Workqueue.flush(wq)
        return yield* Effect.clockWith((c) => c.currentTimeMillis)
      }),
      {
        watchdogThreshold: 1_000,
        workerCreation: () => Effect.sync(() => canCreate),
        observer: (e) => events.push(e)
      }
    )
    const stalls = events.filter((e) => e._tag === "WatchdogStall")
    expect(stalls.length).toBeGreaterThanOrEqual(2)
    expect(stalls.length).toBeLessThanOrEqual(3)
    for (const s of stalls) {
      if (s._tag !== "WatchdogStall") continue
      expect(s.pool).toBe("cpu0")
      expect(s.stuckMillis).toBeGreaterThan(1_000)
      expect(s.pending).toBe(1)
    }
    expect(at).toBeLessThanOrEqual(4_500)
  })

  it("stays quiet on a busy, healthy pool", () => {
    const events: Array<WorkerPool.Event> = []
    runVirtualSync(
      Effect.gen(function*() {
        const wq = yield* Workqueue.alloc("busy", { maxActive: 2 })
        let rounds = 0
        const works: Array<Work.Work> = []
        for (let i = 0; i < 4; i++) {
          const work: Work.Work = Work.make(Effect.gen(function*() {
            yield* Effect.sleep(400)
            if (++rounds < 40) yield* Workqueue.queue(wq, work)
          }))
          works.push(work)
          yield* Workqueue.queue(wq, work)
        }
        yield* Workqueue.drain(wq)
      }),
      { watchdogThreshold: 1_000, observer: (e) => events.push(e) }
    )
    expect(events.filter((e) => e._tag === "WatchdogStall")).toEqual([])
  })
})

describe("HIGHPRI", () => {
  it("a CPU's highpri pool is served before its normal pool whenever both have work", () => {
    const log = runVirtualSync(Effect.gen(function*() {
      const normal = yield* Workqueue.alloc("normal")
      const urgent = yield* Workqueue.alloc("urgent", { flags: ["HIGHPRI"] })
      const log: Array<string> = []
      for (let i = 0; i < 5; i++) {
        yield* Workqueue.queue(
          normal,
          Work.make(Effect.gen(function*() {
            log.push(`n${i}`)
            if (i === 1) {
              // queued while the normal pool still has n2..n4 pending
              for (let j = 0; j < 2; j++) {
                yield* Workqueue.queue(urgent, Work.make(Effect.sync(() => log.push(`h${j}`))))
              }
            }
          }))
        )
      }
      yield* Workqueue.flush(normal)
      yield* Workqueue.flush(urgent)
      return log
    }))
    expect(log).toEqual(["n0", "n1", "h0", "h1", "n2", "n3", "n4"])
  })
})

describe("HIGHPRI over generated workloads", () => {
  it("once a high-priority item is queued, at most one more normal item of its CPU starts before it", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 2 }),
        fc.array(
          fc.record({ cpu: fc.integer({ min: 0, max: 1 }), urgentAfter: fc.option(fc.integer({ min: 0, max: 3 })) }),
          {
            minLength: 1,
            maxLength: 30
          }
        ),
        (cpus, items) => {
          const trace = runVirtualSync(
            Effect.gen(function*() {
              const normal = yield* Workqueue.alloc("normal")
              const urgent = yield* Workqueue.alloc("urgent", { flags: ["HIGHPRI"] })
              const trace: Array<Trace.Event> = []
              let nextId = 0
              const start = (work: string) =>
                Effect.map(WorkerPool.currentWorker, (me) => {
                  const w = Option.getOrThrow(me)
                  trace.push({ t: 0, cpu: w.cpu, worker: w.id, work, event: "start", pool: w.pool })
                })
              for (const [n, item] of items.entries()) {
                const cpu = item.cpu % cpus
                yield* Workqueue.queueOn(
                  normal,
                  cpu,
                  Work.make(Effect.gen(function*() {
                    yield* start(`n${n}`)
                    if (item.urgentAfter !== null) {
                      // a normal item queues urgent work on its own CPU (kernel: the issuing CPU)
                      for (let j = 0; j <= item.urgentAfter; j++) {
                        const work = `h${nextId++}`
                        trace.push({ t: 0, cpu, worker: -1, work, event: "queue", from: `n${n}` })
                        // Work.sync, as before: the synchronous body path (the start's worker is not read there)
                        yield* Workqueue.queue(
                          urgent,
                          Work.sync(() => trace.push({ t: 0, cpu, worker: -1, work, event: "start" }))
                        )
                      }
                    }
                  }))
                )
              }
              yield* Workqueue.flush(normal)
              yield* Workqueue.flush(urgent)
              return trace
            }),
            { cpus }
          )
          const scenario: Scenario.Scenario = {
            cpus,
            workqueues: [{ name: "normal" }, { name: "urgent", flags: ["HIGHPRI"] }],
            works: [...new Set(trace.map((e) => e.work))].map((name) => ({
              name,
              workqueue: name.startsWith("h") ? "urgent" : "normal",
              steps: []
            }))
          }
          const exit = Effect.runSyncExit(Effect.flip(Invariants.highpriFirst({ trace, scenario })))
          if (Exit.isSuccess(exit)) expect.fail(`${exit.value.message}\n${Trace.format(trace, { queues: true })}`)
        }
      ),
      { seed: 71, numRuns: 200 }
    )
  })
})

describe("CPU_INTENSIVE auto-detection", () => {
  it.live("an item that holds the thread past the threshold leaves concurrency management for the rest of its run", () =>
    Effect.gen(function*() {
      const events: Array<WorkerPool.Event> = []
      const result = yield* Effect.gen(function*() {
        const wq = yield* Workqueue.alloc("hog")
        const log: Array<string> = []
        const spin = (ms: number) => {
          const end = performance.now() + ms
          while (performance.now() < end) {
            // burn
          }
        }
        yield* Workqueue.queue(
          wq,
          Work.make(
            Effect.gen(function*() {
              log.push("hog starts")
              for (let i = 0; i < 30; i++) {
                spin(1)
                yield* Effect.yieldNow()
              }
              log.push("hog ends")
            }),
            { name: "hog" }
          )
        )
        yield* Workqueue.queue(wq, Work.make(Effect.sync(() => log.push("other runs")), { name: "other" }))
        yield* Workqueue.flush(wq)
        return { log, stats: yield* Workqueue.stats(wq) }
      }).pipe(
        Effect.scoped,
        Effect.provide(WorkerPool.layer({ cpuIntensiveThreshold: 5, observer: (e) => events.push(e) }))
      )
      // the other item started while the hog was still running
      expect(result.log).toEqual(["hog starts", "other runs", "hog ends"])
      expect(result.stats.cpuIntensive).toBe(1)
      const hog = events.find((e) => e._tag === "CpuHog")
      expect(hog?._tag === "CpuHog" && hog.work).toBe("hog")
    }))

  it.live("is off with a threshold of 0: the same item holds back the other one", () =>
    Effect.gen(function*() {
      const log = yield* Effect.gen(function*() {
        const wq = yield* Workqueue.alloc("hog")
        const log: Array<string> = []
        yield* Workqueue.queue(
          wq,
          Work.make(Effect.gen(function*() {
            log.push("hog starts")
            for (let i = 0; i < 30; i++) {
              const end = performance.now() + 1
              while (performance.now() < end) {
                // burn
              }
              yield* Effect.yieldNow()
            }
            log.push("hog ends")
          }))
        )
        yield* Workqueue.queue(wq, Work.make(Effect.sync(() => log.push("other runs"))))
        yield* Workqueue.flush(wq)
        return log
      }).pipe(Effect.scoped, Effect.provide(WorkerPool.layer({ cpuIntensiveThreshold: 0 })))
      expect(log).toEqual(["hog starts", "hog ends", "other runs"])
    }))
})

describe("WorkqueueMetrics", () => {
  it("publishes the stats as tagged metrics", () => {
    const state = runVirtualSync(Effect.gen(function*() {
      const wq = yield* Workqueue.alloc("metered")
      for (let i = 0; i < 3; i++) yield* Workqueue.queue(wq, Work.make(Effect.void))
      yield* Workqueue.queue(wq, Work.make(Effect.fail("x")))
      yield* Workqueue.flush(wq)
      yield* WorkqueueMetrics.update
      yield* WorkqueueMetrics.update // idempotent: only deltas are added
      const started = yield* Metric.value(
        Metric.tagged(WorkqueueMetrics.metrics.started, "cmwq.workqueue.name", "metered")
      )
      // failures are counted per OpenTelemetry error.type (a plain string error is "_OTHER")
      const failed = yield* Metric.value(
        WorkqueueMetrics.metrics.failed.pipe(
          Metric.tagged("cmwq.workqueue.name", "metered"),
          Metric.tagged("error.type", "_OTHER")
        )
      )
      const inFlight = yield* Metric.value(Metric.tagged(WorkqueueMetrics.inFlight, "cmwq.workqueue.name", "metered"))
      return { started: started.count, failed: failed.count, inFlight: inFlight.value }
    }))
    expect(state).toEqual({ started: 4, failed: 1, inFlight: 0 })
  })
})
