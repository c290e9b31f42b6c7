import { describe, expect, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import { Work, Workqueue, WorkerPool } from "@cmwq/core"
import { runVirtualSync } from "./helpers.js"

describe("virtual time harness", () => {
  it("runs blocking items concurrently in virtual time", () => {
    const result = runVirtualSync(Effect.gen(function*() {
      const wq = yield* Workqueue.alloc("t")
      const log: Array<string> = []
      for (let i = 0; i < 3; i++) {
        yield* Workqueue.queue(
          wq,
          Work.make(Effect.gen(function*() {
            log.push(`s${i}@${yield* Effect.clockWith((c) => c.currentTimeMillis)}`)
            yield* Effect.sleep(10)
            log.push(`e${i}@${yield* Effect.clockWith((c) => c.currentTimeMillis)}`)
          }))
        )
      }
      yield* Workqueue.flush(wq)
      const pools = yield* WorkerPool.snapshot
      return { log, workers: pools[0]!.workers }
    }))
    expect(result.log).toEqual(["s0@0", "s1@0", "s2@0", "e0@10", "e1@10", "e2@10"])
    expect(result.workers).toBe(4)
  })
})
