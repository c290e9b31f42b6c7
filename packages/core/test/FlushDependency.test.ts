/**
 * Kernel `check_flush_dependency`: a WQ_MEM_RECLAIM item that flushes a
 * workqueue without WQ_MEM_RECLAIM weakens the reclaim guarantee. Reported
 * once per pair as a warning event and log line (the flush itself proceeds).
 */
import { describe, expect, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import { Work, type WorkerPool, Workqueue } from "@cmwq/core"
import { runVirtualSync } from "./helpers.js"

describe("flush dependency check", () => {
  it("warns when a MEM_RECLAIM item flushes a workqueue without MEM_RECLAIM, once per pair", () => {
    const events: Array<WorkerPool.Event> = []
    runVirtualSync(
      Effect.gen(function*() {
        const reclaim = yield* Workqueue.alloc("reclaim", { flags: ["MEM_RECLAIM"] })
        const plain = yield* Workqueue.alloc("plain")
        const reclaim2 = yield* Workqueue.alloc("reclaim2", { flags: ["MEM_RECLAIM"] })
        for (let i = 0; i < 2; i++) {
          yield* Workqueue.queue(
            reclaim,
            Work.make(Effect.gen(function*() {
              yield* Workqueue.flush(plain) // warns (once)
              yield* Workqueue.flush(reclaim2) // fine: the target has MEM_RECLAIM
            }))
          )
          yield* Workqueue.flush(reclaim)
        }
        // flushing from outside workers never warns
        yield* Workqueue.flush(plain)
      }),
      { observer: (e) => events.push(e) }
    )
    expect(events.filter((e) => e._tag === "FlushDependency")).toEqual([
      expect.objectContaining({ _tag: "FlushDependency", flusher: "reclaim", target: "plain" })
    ])
  })

  it("legacy workqueues are exempt", () => {
    const events: Array<WorkerPool.Event> = []
    runVirtualSync(
      Effect.gen(function*() {
        const legacy = yield* Workqueue.allocLegacy("legacy", ["MEM_RECLAIM"], 1, false)
        const plain = yield* Workqueue.alloc("plain")
        yield* Workqueue.queue(legacy, Work.make(Effect.ignore(Workqueue.flush(plain))))
        yield* Workqueue.flush(legacy)
      }),
      { observer: (e) => events.push(e) }
    )
    expect(events.filter((e) => e._tag === "FlushDependency")).toEqual([])
  })
})
