/**
 * A demo-like workload recorded on the real pools under virtual time (for
 * the replay tests and the CLI test).
 */
import * as Effect from "effect/Effect"
import * as Logger from "effect/Logger"
import * as LogLevel from "effect/LogLevel"
import { Recorder, Work, WorkerPool, Workqueue } from "@cmwq/core"
import { VirtualTime } from "@cmwq/testing"

/** the demo's shape (packages/platform-node/examples/demo.ts), scaled down, with burns held as runnable time */
export const recordDemo = (capacity = 10_000): Recorder.Recording => {
  const recorder = Effect.runSync(Recorder.make({ capacity }))
  const burn = (ms: number) => WorkerPool.unsafeRunnable(Effect.sleep(ms))
  const program = Effect.gen(function*() {
    const cpuBound = yield* Workqueue.alloc("cpu-bound")
    const io = yield* Workqueue.alloc("io", { maxActive: 16 })
    const ordered = yield* Workqueue.allocOrdered("ordered")
    const urgent = yield* Workqueue.alloc("urgent", { flags: ["HIGHPRI"] })
    for (let i = 0; i < 20; i++) yield* Workqueue.queue(cpuBound, Work.make(burn(1), { name: `hash${i}` }))
    for (let i = 0; i < 24; i++) {
      yield* Workqueue.queue(io, Work.make(Effect.zipRight(burn(0.5), Effect.sleep(5 + (i % 21))), { name: `io${i}` }))
    }
    for (let i = 0; i < 6; i++) yield* Workqueue.queue(ordered, Work.make(burn(2), { name: `step${i}` }))
    yield* Effect.sleep(3)
    for (let i = 0; i < 4; i++) {
      yield* Workqueue.queue(urgent, Work.make(Effect.zipRight(burn(1), Effect.sleep(2)), { name: `urgent${i}` }))
    }
    for (const wq of [cpuBound, io, ordered, urgent]) yield* Workqueue.flush(wq)
    return yield* recorder.snapshot
  })
  return VirtualTime.runSync(
    program.pipe(
      Effect.scoped,
      Effect.provide(WorkerPool.layer({ cpus: 1, fairnessBudget: 0, recorder })),
      Logger.withMinimumLogLevel(LogLevel.None)
    )
  )
}
