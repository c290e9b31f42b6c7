/**
 * Item failures stay classified through the observer and the metrics: the
 * `error.type` of a cause (a tagged error's `_tag`, else its class name,
 * else `_OTHER`), on the observer's `WorkFailed` event and as the
 * `error.type` attribute of `cmwq.work.failed`, whose points sum to the
 * workqueue's failed count.
 */
import { describe, expect, it } from "@effect/vitest"
import * as Cause from "effect/Cause"
import * as Data from "effect/Data"
import * as Effect from "effect/Effect"
import * as FiberId from "effect/FiberId"
import * as Metric from "effect/Metric"
import { Work, type WorkerPool, Workqueue, WorkqueueMetrics } from "@cmwq/core"
import { quiet, runVirtualSync, testPools } from "./helpers.js"

class Timeout extends Data.TaggedError("Timeout")<{ readonly ms: number }> {}
class Refused extends Error {}

const failedCount = (workqueue: string, type: string) =>
  Effect.map(
    Metric.value(
      WorkqueueMetrics.metrics.failed.pipe(
        Metric.tagged("cmwq.workqueue.name", workqueue),
        Metric.tagged("error.type", type)
      )
    ),
    (state) => state.count
  )

describe("error.type of failed items", () => {
  it("names a tagged error by its tag, an error by its class, anything else _OTHER; typed failures before defects", () => {
    expect(WorkqueueMetrics.errorType(Cause.fail(new Timeout({ ms: 5 })))).toBe("Timeout")
    expect(WorkqueueMetrics.errorType(Cause.fail(new Refused("no")))).toBe("Refused")
    expect(WorkqueueMetrics.errorType(Cause.die(new RangeError("bad")))).toBe("RangeError")
    expect(WorkqueueMetrics.errorType(Cause.fail("nope"))).toBe("_OTHER")
    expect(WorkqueueMetrics.errorType(Cause.fail({ reason: "plain" }))).toBe("_OTHER")
    expect(WorkqueueMetrics.errorType(Cause.fail(null))).toBe("_OTHER")
    expect(
      WorkqueueMetrics.errorType(Cause.sequential(Cause.die(new TypeError("d")), Cause.fail(new Timeout({ ms: 1 }))))
    )
      .toBe("Timeout")
    // an interruption is Effect's InterruptedException
    expect(WorkqueueMetrics.errorType(Cause.interrupt(FiberId.none))).toBe("InterruptedException")
  })

  it("the observer's WorkFailed event and the failed counter carry error.type; the counter's points sum to stats.failed", () => {
    const events: Array<WorkerPool.Event> = []
    const result = runVirtualSync(
      quiet(
        Effect.gen(function*() {
          const wq = yield* Workqueue.alloc("typed-failures", { maxActive: 1 })
          yield* Workqueue.queue(wq, Work.make(Effect.fail(new Timeout({ ms: 1 })), { name: "t1" }))
          yield* Workqueue.queue(wq, Work.make(Effect.fail(new Timeout({ ms: 2 })), { name: "t2" }))
          yield* Workqueue.queue(wq, Work.make(Effect.fail(new Refused("no")), { name: "refused" }))
          yield* Workqueue.queue(wq, Work.make(Effect.die(new RangeError("bad")), { name: "dies" }))
          yield* Workqueue.queue(wq, Work.make(Effect.fail("plain"), { name: "plain" }))
          yield* Workqueue.queue(wq, Work.make(Effect.void, { name: "fine" }))
          yield* Workqueue.flush(wq)
          yield* WorkqueueMetrics.update
          const first = {
            Timeout: yield* failedCount("typed-failures", "Timeout"),
            Refused: yield* failedCount("typed-failures", "Refused"),
            RangeError: yield* failedCount("typed-failures", "RangeError"),
            _OTHER: yield* failedCount("typed-failures", "_OTHER")
          }
          // a second round: update publishes only what changed, per type
          yield* Workqueue.queue(wq, Work.make(Effect.fail(new Timeout({ ms: 3 })), { name: "t3" }))
          yield* Workqueue.flush(wq)
          yield* WorkqueueMetrics.update
          const timeoutAfter = yield* failedCount("typed-failures", "Timeout")
          const refusedAfter = yield* failedCount("typed-failures", "Refused")
          return { first, timeoutAfter, refusedAfter, stats: yield* Workqueue.stats(wq) }
        })
      ).pipe(Effect.scoped, Effect.provide(testPools({ observer: (event) => events.push(event) })))
    )
    const failed = events.flatMap((e) => e._tag === "WorkFailed" ? [[e.work, e.errorType]] : [])
    expect(failed).toEqual([
      ["t1", "Timeout"],
      ["t2", "Timeout"],
      ["refused", "Refused"],
      ["dies", "RangeError"],
      ["plain", "_OTHER"],
      ["t3", "Timeout"]
    ])
    expect(result.first).toEqual({ Timeout: 2, Refused: 1, RangeError: 1, _OTHER: 1 })
    expect(result.timeoutAfter).toBe(3)
    expect(result.refusedAfter).toBe(1)
    expect(result.stats.failed).toBe(6)
    expect(result.timeoutAfter + result.refusedAfter + result.first.RangeError + result.first._OTHER).toBe(
      result.stats.failed
    )
  })
})
