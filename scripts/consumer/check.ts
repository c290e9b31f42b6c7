// The consumer check's type check: the public API of the three packages, as
// a strict consumer sees it through the published .d.ts (tsconfig.json here:
// strict, noUncheckedIndexedAccess, exactOptionalPropertyTypes,
// skipLibCheck false, NodeNext). Type-checked, not run.
import { Effect, type Layer } from "effect"
import {
  DelayedWork,
  FlushColor,
  Freezer,
  Kernel,
  Policy,
  SystemWorkqueues,
  Watchdog,
  Work,
  WorkerPool,
  Workqueue,
  type WorkqueueError,
  WorkqueueMetrics
} from "@cmwq/core"
import { EventLoopMonitor, Monitor } from "@cmwq/platform-node"
import { Arbitraries, Invariants, type Scenario, Simulation, Trace, VirtualTime } from "@cmwq/testing"

// --- @cmwq/core --------------------------------------------------------------

const pools: Layer.Layer<WorkerPool.WorkerPools, WorkqueueError.InvalidPoolOptions> = WorkerPool.layer({
  cpus: 2,
  idleTimeout: "5 minutes",
  policy: Policy.priority((work: Work.Work) => (work.name === "urgent" ? 1 : 0))
})

export const tour = Effect.gen(function*() {
  const wq: Workqueue.Workqueue = yield* Workqueue.alloc("disk-io", { maxActive: 16, flags: ["HIGHPRI"] })
  const ordered = yield* Workqueue.allocOrdered("ordered")
  const work = Work.make(Effect.log("flushing a buffer"), { name: "flush-buffer" })
  const cheap = Work.sync(() => undefined)
  const first: boolean = yield* Workqueue.queue(wq, work)
  yield* Workqueue.queue(ordered, cheap)
  const poll = DelayedWork.make(Effect.log("poll"))
  yield* Workqueue.queueDelayed(wq, poll, "100 millis")
  yield* Workqueue.modDelayed(wq, poll, "10 millis")
  yield* Workqueue.flush(wq)
  yield* Work.cancelSync(poll)
  const pending: boolean = Work.isPending(work)
  const stats: Workqueue.Stats = yield* Workqueue.stats(wq)
  const started: number = stats.started
  const flags: ReadonlyArray<Workqueue.Flag> = Workqueue.flags(wq)
  const firstFlag: Workqueue.Flag | undefined = flags[0] // noUncheckedIndexedAccess
  const snapshots = yield* WorkerPool.snapshot
  yield* Workqueue.drain(wq)
  return { first, pending, started, firstFlag, snapshots, color: FlushColor.noColor }
}).pipe(Effect.scoped, Effect.provide(pools))

export const errors = Effect.gen(function*() {
  yield* Workqueue.alloc("bad", { maxActive: -1 })
}).pipe(
  Effect.scoped,
  Effect.catchTag("InvalidMaxActive", (e: WorkqueueError.InvalidMaxActive) => Effect.succeed(e.maxActive)),
  Effect.provide(WorkerPool.layer())
)

export const kernel = Effect.gen(function*() {
  const wq = yield* Kernel.alloc_workqueue("radeon-crtc", Kernel.WQ_HIGHPRI | Kernel.WQ_UNBOUND, 0)
  const work = Kernel.INIT_WORK(Effect.log("flip"), "flip_work")
  const queued: boolean = yield* Kernel.queue_work(wq, work)
  yield* Kernel.flush_work(work)
  yield* SystemWorkqueues.schedule(Work.make(Effect.void))
  yield* Freezer.freeze
  yield* Freezer.thaw
  Watchdog.touch
  return queued
}).pipe(Effect.scoped, Effect.provide(Kernel.layer))

export const metrics = WorkqueueMetrics.metrics

// the types are real: wrong arguments are errors
// @ts-expect-error a workqueue's name is a string
Workqueue.alloc(42)
// @ts-expect-error maxActive is a number
Workqueue.alloc("wq", { maxActive: "16" })
// @ts-expect-error exactOptionalPropertyTypes: DelayedWork's name may not be explicitly a number
DelayedWork.make(Effect.void, { name: 1 })

// --- @cmwq/testing -----------------------------------------------------------

const scenario: Scenario.Scenario = {
  cpus: 1,
  workqueues: [{ name: "q0", maxActive: 2 }],
  works: [{ name: "w0", workqueue: "q0", steps: [{ burn: 5 }, { sleep: 10 }] }]
}

export const simulated: Effect.Effect<
  void,
  | Invariants.InvariantViolation
  | Scenario.InvalidScenario
  | Simulation.InvalidSchedule
  | VirtualTime.Deadlock
  | VirtualTime.StepLimit
> = Simulation.runDetailed(scenario, { policy: Policy.kernel }).pipe(Effect.flatMap(Invariants.all))

// a PCT schedule, and the typed refusal of a bad one
export const explored = Simulation.run(scenario, { schedule: { seed: 1, pct: { depth: 2, horizon: 20 } } }).pipe(
  Effect.catchTag("InvalidSchedule", (e) => Effect.die(e.message))
)

export const timeline = (trace: Trace.Trace): string => {
  const line: string | undefined = Trace.lines(trace)[0] // noUncheckedIndexedAccess
  return `${Trace.format(trace, { queues: true })}${line ?? ""}`
}

export const latency: Invariants.Checker = (run: Simulation.Detailed) =>
  Effect.suspend(() => {
    for (const e of run.trace) {
      if (e.event === "start" && e.t > 50) {
        return Effect.fail(
          new Invariants.InvariantViolation({ invariant: "latency", event: e, message: `${e.work} late` })
        )
      }
    }
    return Effect.void
  })

export const property = () =>
  Arbitraries.assert(Arbitraries.scenario({ cpus: 1, works: { min: 1, max: 3 } }), Invariants.safety, { numRuns: 10 })

export const virtual: string = VirtualTime.runSync(Effect.as(Effect.sleep("1 second"), "done"))

// --- @cmwq/platform-node -----------------------------------------------------

export const monitored = Effect.gen(function*() {
  const wq = yield* Workqueue.alloc("io")
  const table: string = yield* Monitor.snapshot([wq])
  const rendered: string = Monitor.format([yield* Workqueue.stats(wq)])
  return table + rendered
}).pipe(
  EventLoopMonitor.measure,
  Effect.map(([table, delay]: readonly [string, EventLoopMonitor.Delay]) => `${table} ${delay.p99} ${delay.max}`),
  Effect.scoped,
  Effect.provide(WorkerPool.layer())
)
