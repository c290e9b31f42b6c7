/**
 * The recorder: events and their order, the ring buffer's bound, the
 * capacity check, and the CPU-intensive mark, under virtual time.
 */
import { describe, expect, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Schema from "effect/Schema"
import { Recorder, Work, WorkerPool, Workqueue } from "@cmwq/core"
import { runVirtualSync } from "./helpers.js"

describe("Recorder", () => {
  it("records queue, start, sleep, wake and finish with times, names, workqueues and CPUs", () => {
    const recorder = Effect.runSync(Recorder.make({ capacity: 100 }))
    const recording = runVirtualSync(
      Effect.gen(function*() {
        const wq = yield* Workqueue.alloc("io", { flags: ["HIGHPRI"], maxActive: 2 })
        yield* Effect.sleep(3)
        yield* Workqueue.queueOn(wq, 1, Work.make(Effect.sleep(10), { name: "nap" }))
        yield* Workqueue.flush(wq)
        return yield* recorder.snapshot
      }),
      { cpus: 2, recorder }
    )
    expect(Schema.is(Recorder.Recording)(recording)).toBe(true)
    expect(recording.cpus).toBe(2)
    expect(recording.dropped).toBe(0)
    expect(recording.workqueues).toEqual([{ name: "io", flags: ["HIGHPRI", "PERCPU"], ordered: false, maxActive: 2 }])
    expect(recording.events.map((e) => [e.event, e.t, e.work, e.workqueue, e.cpu])).toEqual([
      ["queue", 3, "nap", "io", 1],
      ["start", 3, "nap", "io", 1],
      ["sleep", 3, "nap", "io", 1],
      ["wake", 13, "nap", "io", 1],
      ["finish", 13, "nap", "io", 1]
    ])
    expect(new Set(recording.events.map((e) => e.id)).size).toBe(1)
    expect(recording.events[0]!.worker).toBe(-1)
    expect(recording.events[1]!.worker).toBeGreaterThanOrEqual(0)
  })

  it("is bounded: keeps the newest `capacity` events and counts the dropped ones", () => {
    const recorder = Effect.runSync(Recorder.make({ capacity: 7 }))
    const recording = runVirtualSync(
      Effect.gen(function*() {
        const wq = yield* Workqueue.alloc("q")
        for (let i = 0; i < 5; i++) {
          yield* Workqueue.queue(wq, Work.make(Effect.void, { name: `w${i}` }))
          yield* Workqueue.flush(wq)
        }
        return yield* recorder.snapshot
      }),
      { recorder }
    )
    // 5 items x (queue, start, finish) = 15 events
    expect(recording.events.length).toBe(7)
    expect(recording.dropped).toBe(8)
    expect(recording.events.at(-1)).toMatchObject({ event: "finish", work: "w4" })
    const times = recording.events.map((e) => e.id)
    expect([...times].sort((a, b) => a - b)).toEqual(times)
  })

  it("gives each queueing of an item its own id", () => {
    const recorder = Effect.runSync(Recorder.make({ capacity: 50 }))
    const recording = runVirtualSync(
      Effect.gen(function*() {
        const wq = yield* Workqueue.alloc("q")
        const work = Work.make(Effect.void, { name: "again" })
        yield* Workqueue.queue(wq, work)
        yield* Workqueue.flush(wq)
        yield* Workqueue.queue(wq, work)
        yield* Workqueue.flush(wq)
        return yield* recorder.snapshot
      }),
      { recorder }
    )
    const ids = recording.events.filter((e) => e.event === "queue").map((e) => e.id)
    expect(ids.length).toBe(2)
    expect(ids[0]).not.toBe(ids[1])
  })

  it("marks an item that holds its CPU past the threshold as CPU-intensive", () => {
    const recorder = Effect.runSync(Recorder.make({ capacity: 50 }))
    const recording = runVirtualSync(
      Effect.gen(function*() {
        const wq = yield* Workqueue.alloc("q")
        // holds the CPU (runnable sleep) then yields cooperatively: the tick sees 20 ms held
        yield* Workqueue.queue(
          wq,
          Work.make(Effect.zipRight(WorkerPool.unsafeRunnable(Effect.sleep(20)), Effect.yieldNow()), { name: "hog" })
        )
        yield* Workqueue.flush(wq)
        return yield* recorder.snapshot
      }),
      { recorder, cpuIntensiveThreshold: "10 millis" }
    )
    expect(recording.events.map((e) => e.event)).toContain("cpuIntensive")
  })

  it("refuses a capacity that is not a whole number, 1 or more, naming it", () => {
    for (const capacity of [0, -1, 1.5, Number.NaN]) {
      const exit = Effect.runSyncExit(Recorder.make({ capacity }))
      expect(Exit.isFailure(exit)).toBe(true)
      if (Exit.isFailure(exit)) expect(String(exit.cause)).toContain(`capacity ${capacity} is invalid`)
    }
  })
})
