/**
 * MEM_RECLAIM workqueues keep making progress when no worker can be created:
 * the pool sends a mayday and the workqueue's rescuer runs its items
 * (guarantee 30).
 */
import { describe, expect, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import fc from "fast-check"
import { Work, WorkerPool, Workqueue } from "@cmwq/core"
import { runVirtualSync } from "./helpers.js"

const neverCreates = { workerCreation: () => Effect.succeed(false) }

describe("MEM_RECLAIM and the rescuer", () => {
  it("with worker creation failing forever, every MEM_RECLAIM item still finishes", () => {
    fc.assert(
      fc.property(
        fc.array(fc.record({ sleep: fc.integer({ min: 0, max: 30 }), at: fc.integer({ min: 0, max: 50 }) }), {
          minLength: 1,
          maxLength: 12
        }),
        fc.integer({ min: 0, max: 3 }),
        (items, maxActive) => {
          const result = runVirtualSync(
            Effect.gen(function*() {
              const wq = yield* Workqueue.alloc("reclaim", { flags: ["MEM_RECLAIM"], maxActive })
              const starts: Array<{ at: number; worker: string }> = []
              let finished = 0
              const sorted = [...items].sort((a, b) => a.at - b.at)
              let clock = 0
              for (const item of sorted) {
                if (item.at > clock) {
                  yield* Effect.sleep(item.at - clock)
                  clock = item.at
                }
                yield* Workqueue.queue(
                  wq,
                  Work.make(Effect.gen(function*() {
                    const me = Option.getOrThrow(yield* WorkerPool.currentWorker)
                    starts.push({ at: yield* Effect.clockWith((c) => c.currentTimeMillis), worker: me.name })
                    yield* Effect.sleep(item.sleep)
                    finished++
                  }))
                )
              }
              yield* Workqueue.drain(wq)
              return { starts, finished, stats: yield* Workqueue.stats(wq) }
            }),
            neverCreates
          )
          expect(result.finished).toBe(items.length)
          // everything ran on the rescuer, and not before the first mayday
          for (const s of result.starts) expect(s.worker).toBe("kworker/R-reclaim")
          expect(Math.min(...result.starts.map((s) => s.at))).toBeGreaterThanOrEqual(10)
          expect(result.stats.rescued).toBe(items.length)
          expect(result.stats.mayday).toBeGreaterThanOrEqual(1)
        }
      ),
      { seed: 31, numRuns: 100 }
    )
  })

  it("without MEM_RECLAIM there is no such guarantee: items wait until a worker can be created", () => {
    let canCreate = false
    const result = runVirtualSync(
      Effect.gen(function*() {
        const plain = yield* Workqueue.alloc("plain")
        const reclaim = yield* Workqueue.alloc("reclaim", { flags: ["MEM_RECLAIM"] })
        let plainRan = 0
        let reclaimRan = 0
        yield* Workqueue.queue(plain, Work.make(Effect.sync(() => plainRan++)))
        yield* Workqueue.queue(reclaim, Work.make(Effect.sync(() => reclaimRan++)))
        yield* Effect.sleep(5_000)
        const stalled = { plainRan, reclaimRan }
        canCreate = true
        yield* Workqueue.flush(plain)
        return { stalled, plainRan, at: yield* Effect.clockWith((c) => c.currentTimeMillis) }
      }),
      { workerCreation: () => Effect.sync(() => canCreate) }
    )
    expect(result.stalled).toEqual({ plainRan: 0, reclaimRan: 1 })
    expect(result.plainRan).toBe(1)
    // the manager retries after each CREATE_COOLDOWN (1 s)
    expect(result.at).toBeLessThanOrEqual(6_000)
  })

  it("regression: a flush barrier linked behind a rescued item is not counted as a second rescued item", () => {
    const stats = runVirtualSync(
      Effect.gen(function*() {
        const wq = yield* Workqueue.alloc("reclaim", { flags: ["MEM_RECLAIM"] })
        const work = Work.sync(() => {})
        yield* Workqueue.queue(wq, work)
        yield* Work.flush(work)
        return yield* Workqueue.stats(wq)
      }),
      neverCreates
    )
    expect(stats.rescued).toBe(1)
  })

  it("a pool whose worker creation only stalls recovers, and the rescuer hands back", () => {
    const result = runVirtualSync(
      Effect.gen(function*() {
        const plain = yield* Workqueue.alloc("plain")
        const reclaim = yield* Workqueue.alloc("reclaim", { flags: ["MEM_RECLAIM"] })
        const log: Array<string> = []
        const item = (name: string) =>
          Work.make(Effect.flatMap(WorkerPool.currentWorker, (w) =>
            Effect.flatMap(
              Effect.clockWith((c) => c.currentTimeMillis),
              (t) => Effect.sync(() => log.push(`${name}@${t} on ${Option.getOrThrow(w).name}`))
            )))
        yield* Workqueue.queue(plain, item("plain"))
        yield* Workqueue.queue(reclaim, item("reclaim"))
        yield* Workqueue.flush(reclaim)
        yield* Workqueue.flush(plain)
        return log
      }),
      { workerCreation: () => Effect.as(Effect.sleep(500), true) }
    )
    // the reclaim item is rescued after the first mayday (10 ms); the plain one waits for the new worker
    expect(result).toEqual(["reclaim@10 on kworker/R-reclaim", "plain@500 on kworker/0:0"])
  })
})
