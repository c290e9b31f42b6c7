import { describe, expect, it } from "@effect/vitest"
import * as Cause from "effect/Cause"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Fiber from "effect/Fiber"
import * as Logger from "effect/Logger"
import * as Option from "effect/Option"
import * as Supervisor from "effect/Supervisor"
import * as TestClock from "effect/TestClock"
import { Work, WorkerPool, Workqueue, WorkqueueError } from "@cmwq/core"
import { assertFiberInternals, isBlocked } from "../src/internal/detector.js"
import { VirtualTime } from "@cmwq/testing"
import { runVirtualSync, testPools } from "./helpers.js"

const cpu0 = (snapshot: ReadonlyArray<WorkerPool.PoolSnapshot>) => snapshot.find((p) => p.name === "cpu0")!

describe("blocking detector", () => {
  it.effect("reads the runtime fiber's private state that Effect upgrades could change", () =>
    Effect.gen(function*() {
      const fiber = yield* Effect.fork(Effect.never)
      yield* Effect.yieldNow()
      assertFiberInternals(fiber)
      expect(isBlocked(fiber)).toBe(true)
      yield* Fiber.interrupt(fiber)
      expect(isBlocked(fiber)).toBe(false)
      expect(() => assertFiberInternals({} as never)).toThrow(/must be ported/)
    }))

  it("tells a cooperative yield from a real block", () => {
    const result = runVirtualSync(Effect.gen(function*() {
      const wq = yield* Workqueue.alloc("yield")
      const workersSeen = new Set<number>()
      const note = Effect.flatMap(
        WorkerPool.currentWorker,
        (w) => Effect.sync(() => workersSeen.add(Option.getOrThrow(w).id))
      )
      // yieldNow and a long synchronous loop (op-budget yields) are not blocks: one worker
      for (let i = 0; i < 4; i++) {
        yield* Workqueue.queue(
          wq,
          Work.make(Effect.gen(function*() {
            yield* note
            for (let j = 0; j < 5000; j++) yield* Effect.yieldNow()
          }))
        )
      }
      yield* Workqueue.flush(wq)
      const yielding = workersSeen.size
      workersSeen.clear()
      // a sleep is a block: every item gets a worker at once
      for (let i = 0; i < 4; i++) {
        yield* Workqueue.queue(wq, Work.make(Effect.zipRight(note, Effect.sleep(5))))
      }
      yield* Workqueue.flush(wq)
      return { yielding, blocking: workersSeen.size }
    }))
    expect(result).toEqual({ yielding: 1, blocking: 4 })
  })

  it("works beside a supervisor the caller installed, which still sees the worker fibers", () => {
    // the worker fibers' supervisor is the detector alone when none is installed, and
    // the caller's zipped with the detector when one is
    class SeesResumes extends Supervisor.AbstractSupervisor<void> {
      readonly value = Effect.void
      readonly resumed = new Set<string>()
      override onResume(fiber: Fiber.RuntimeFiber<unknown, unknown>): void {
        this.resumed.add(String(fiber.id().id))
      }
    }
    const mine = new SeesResumes()
    const result = VirtualTime.runSync(
      Effect.gen(function*() {
        const wq = yield* Workqueue.alloc("supervised")
        const workerFibers = new Set<string>()
        const note = Effect.flatMap(Effect.fiberId, (id) =>
          Effect.sync(() => {
            if (id._tag === "Runtime") workerFibers.add(String(id.id))
          }))
        for (let i = 0; i < 4; i++) yield* Workqueue.queue(wq, Work.make(Effect.zipRight(note, Effect.sleep(5))))
        yield* Workqueue.flush(wq)
        return workerFibers
      }).pipe(Effect.scoped, Effect.provide(testPools()), Effect.supervised(mine))
    )
    // concurrency management still sees each block: four items, four workers
    expect(result.size).toBe(4)
    for (const id of result) expect(mine.resumed.has(id)).toBe(true)
  })
})

describe("concurrency management", () => {
  it("wakes a worker when the last running one blocks, and no more", () => {
    const result = runVirtualSync(Effect.gen(function*() {
      const wq = yield* Workqueue.alloc("cm")
      for (let i = 0; i < 5; i++) yield* Workqueue.queue(wq, Work.make(Effect.sleep(10)))
      yield* Effect.sleep(1)
      const during = cpu0(yield* WorkerPool.snapshot)
      yield* Workqueue.flush(wq)
      const stats = yield* Workqueue.stats(wq)
      return { during, peak: stats.peakRunning, cmWakeup: stats.cmWakeup }
    }))
    // five blocked workers and one spare idle worker behind them
    expect(result.during).toMatchObject({ workers: 6, idle: 1, running: 0, busy: 5, pending: 0 })
    expect(result.peak).toBe(5)
    expect(result.cmWakeup).toBe(4)
  })

  it("CPU_INTENSIVE items do not hold back other items of the pool", () => {
    const log = runVirtualSync(Effect.gen(function*() {
      const normal = yield* Workqueue.alloc("normal")
      const intensive = yield* Workqueue.alloc("intensive", { flags: ["CPU_INTENSIVE"] })
      const log: Array<string> = []
      const item = (name: string) =>
        Work.make(Effect.gen(function*() {
          log.push(`${name}@${yield* Effect.clockWith((c) => c.currentTimeMillis)}`)
          yield* WorkerPool.unsafeRunnable(Effect.sleep(5)) // holds its CPU, like a burn
        }))
      yield* Workqueue.queue(intensive, item("i0"))
      yield* Workqueue.queue(normal, item("n0"))
      yield* Workqueue.queue(normal, item("n1"))
      yield* Workqueue.flush(normal)
      yield* Workqueue.flush(intensive)
      return log
    }))
    // i0 runs outside concurrency management, so n0 starts beside it; n1 waits for n0
    expect(log).toEqual(["i0@0", "n0@0", "n1@5"])
  })

  it("HIGHPRI workqueues use the CPU's high-priority pool", () => {
    const pools = runVirtualSync(Effect.gen(function*() {
      const wq = yield* Workqueue.alloc("hi", { flags: ["HIGHPRI"] })
      const seen: Array<string> = []
      yield* Workqueue.queue(
        wq,
        Work.make(Effect.flatMap(WorkerPool.currentWorker, (w) =>
          Effect.sync(() => {
            seen.push(Option.getOrThrow(w).name)
          })))
      )
      yield* Workqueue.flush(wq)
      return seen
    }))
    expect(pools[0]).toMatch(/^kworker\/0:\d+H$/)
  })

  it("withCpu sets the CPU that queueing without a CPU uses", () => {
    const cpus = runVirtualSync(
      Effect.gen(function*() {
        const wq = yield* Workqueue.alloc("local")
        const seen: Array<number> = []
        const work = Work.make(Effect.flatMap(WorkerPool.currentWorker, (w) =>
          Effect.sync(() => {
            seen.push(Option.getOrThrow(w).cpu)
          })))
        yield* WorkerPool.withCpu(Workqueue.queue(wq, work), 2)
        yield* Workqueue.flush(wq)
        const bad = yield* Effect.exit(WorkerPool.withCpu(Effect.void, 7))
        return { seen, bad }
      }),
      { cpus: 3 }
    )
    expect(cpus.seen).toEqual([2])
    expect(Exit.isFailure(cpus.bad) && Cause.failureOption(cpus.bad.cause)).toEqual(
      Option.some(new WorkqueueError.InvalidCpu({ cpu: 7, cpus: 3 }))
    )
  })

  it("current work and current worker are visible inside an item, and only there", () => {
    const result = runVirtualSync(Effect.gen(function*() {
      const wq = yield* Workqueue.alloc("current")
      let inside: Option.Option<Work.Work> = Option.none()
      let child: Option.Option<Work.Work> = Option.some(null as never)
      const work: Work.Work = Work.make(Effect.gen(function*() {
        inside = yield* Work.current
        child = yield* Effect.flatMap(Effect.fork(Work.current), Fiber.join)
      }))
      yield* Workqueue.queue(wq, work)
      yield* Workqueue.flush(wq)
      return {
        same: Option.getOrNull(inside) === work,
        child,
        outside: yield* Work.current,
        worker: yield* WorkerPool.currentWorker
      }
    }))
    expect(result.same).toBe(true)
    expect(result.child).toEqual(Option.none())
    expect(result.outside).toEqual(Option.none())
    expect(result.worker).toEqual(Option.none())
  })
})

describe("idle workers", () => {
  it.effect("are kept, then reaped after IDLE_WORKER_TIMEOUT down to the kernel's floor (TestClock)", () =>
    Effect.gen(function*() {
      const result = yield* Effect.scoped(Effect.gen(function*() {
        const wq = yield* Workqueue.alloc("reap")
        for (let i = 0; i < 10; i++) yield* Workqueue.queue(wq, Work.make(Effect.sleep(1000)))
        const flushed = yield* Effect.fork(Workqueue.flush(wq))
        yield* TestClock.adjust(1000)
        yield* Fiber.join(flushed)
        const afterRun = cpu0(yield* WorkerPool.snapshot)
        yield* TestClock.adjust(299_000)
        const justBefore = cpu0(yield* WorkerPool.snapshot)
        yield* TestClock.adjust(1_000)
        yield* Effect.yieldNow()
        const afterTimeout = cpu0(yield* WorkerPool.snapshot)
        return { afterRun, justBefore, afterTimeout }
      })).pipe(Effect.provide(testPools()))
      expect(result.afterRun).toMatchObject({ workers: 11, idle: 11 })
      expect(result.justBefore).toMatchObject({ workers: 11, idle: 11 })
      // too_many_workers keeps 2 idle workers when none is busy
      expect(result.afterTimeout).toMatchObject({ workers: 2, idle: 2 })
    }))
})

describe("faults", () => {
  it("a failing, dying or interrupted item never takes down its worker, pool or other items", () => {
    const events: Array<WorkerPool.Event> = []
    const logged: Array<string> = []
    const logger = Logger.make(({ logLevel, message }) => {
      logged.push(`${logLevel.label}: ${Array.isArray(message) ? message.join(" ") : String(message)}`)
    })
    // the pools log through the logger of the context they are built in
    const result = VirtualTime.runSync(
      Effect.gen(function*() {
        const wq = yield* Workqueue.alloc("faults", { maxActive: 1 })
        let ok = 0
        yield* Workqueue.queue(wq, Work.make(Effect.fail("boom"), { name: "fails" }))
        yield* Workqueue.queue(wq, Work.make(Effect.die(new Error("defect")), { name: "dies" }))
        yield* Workqueue.queue(wq, Work.make(Effect.interrupt, { name: "interrupted" }))
        yield* Workqueue.queue(wq, Work.make(Effect.sync(() => ok++), { name: "fine" }))
        yield* Workqueue.flush(wq)
        return { ok, stats: yield* Workqueue.stats(wq) }
      }).pipe(
        Effect.scoped,
        Effect.provide(testPools({ observer: (event) => events.push(event) })),
        Effect.provide(Logger.replace(Logger.defaultLogger, logger))
      )
    )
    expect(logged).toEqual([
      "ERROR: workqueue faults: fails failed; its worker carries on",
      "ERROR: workqueue faults: dies failed; its worker carries on",
      "ERROR: workqueue faults: interrupted was interrupted; its worker carries on"
    ])
    expect(result.ok).toBe(1)
    expect(result.stats).toMatchObject({ started: 4, completed: 4, failed: 3, inFlight: 0 })
    const failed = events.filter((e) => e._tag === "WorkFailed")
    expect(failed.map((e) => e._tag === "WorkFailed" && e.work)).toEqual(["fails", "dies", "interrupted"])
    expect(failed.map((e) => e._tag === "WorkFailed" && Cause.isInterruptedOnly(e.cause))).toEqual([false, false, true])
  })

  it("an item that interrupts its own worker fiber: the worker is retired cleanly and nothing queued is lost", () => {
    const events: Array<WorkerPool.Event> = []
    const result = runVirtualSync(
      Effect.gen(function*() {
        const wq = yield* Workqueue.alloc("rogue", { maxActive: 1 })
        let ok = 0
        // interrupting the fiber it runs on is not something a work item should do; the pool survives it
        yield* Workqueue.queue(
          wq,
          Work.make(
            Effect.withFiberRuntime((self) => Effect.zipRight(Fiber.interruptAsFork(self, self.id()), Effect.never)),
            { name: "rogue" }
          )
        )
        for (let i = 0; i < 3; i++) yield* Workqueue.queue(wq, Work.make(Effect.sync(() => ok++)))
        yield* Workqueue.flush(wq)
        return { ok, stats: yield* Workqueue.stats(wq), pool: cpu0(yield* WorkerPool.snapshot) }
      }),
      { observer: (e) => events.push(e) }
    )
    const rogue = events.find((e) => e._tag === "WorkFailed")
    expect(rogue?._tag === "WorkFailed" && Cause.isInterruptedOnly(rogue.cause)).toBe(true)
    expect(result.ok).toBe(3)
    expect(result.stats).toMatchObject({ started: 4, completed: 4, failed: 1, inFlight: 0 })
    expect(result.pool.busy).toBe(0)
    expect(result.pool.running).toBe(0)
    expect(events.filter((e) => e._tag === "WorkFailed").map((e) => e._tag === "WorkFailed" && e.work)).toEqual([
      "rogue"
    ])
  })

  it("refuses invalid pool options with InvalidPoolOptions", () => {
    for (const options of [{ cpus: 0 }, { cpus: 1.5 }, { idleTimeout: -1 }]) {
      const exit = Effect.runSyncExit(Effect.scoped(WorkerPool.make(options)))
      expect(Exit.isFailure(exit) && Cause.failureOption(exit.cause).pipe(Option.getOrNull)).toBeInstanceOf(
        WorkqueueError.InvalidPoolOptions
      )
    }
  })
})

/**
 * A platform whose clock only items move (`advance`, 1 ms each), and a meter of
 * what each turn of the event loop ran: a ticker chained on setImmediate reads
 * the clock once per turn, and the work done between two reads is one turn's.
 * `maxPerTurn` stops it, counting the turn the run ended in (it may end before a tick).
 */
const itemClock = () => {
  let clock = 0
  let last = 0
  let ticking = false
  const perTurn: Array<number> = []
  const tick = () => {
    perTurn.push(clock - last)
    last = clock
    if (ticking) setImmediate(tick)
  }
  const platform: WorkerPool.Platform = { now: () => clock, macrotask: (callback) => void setImmediate(callback) }
  return {
    platform,
    advance: () => {
      clock++
    },
    now: () => clock,
    startMeter: () => {
      ticking = true
      setImmediate(tick)
    },
    maxPerTurn: () => {
      ticking = false
      perTurn.push(clock - last)
      return Math.max(...perTurn)
    }
  }
}

describe("event-loop fairness", () => {
  const burnMicros = (us: number) => {
    const end = performance.now() + us / 1000
    while (performance.now() < end) {
      // spin
    }
  }
  const run = (fairnessBudget: number) =>
    Effect.gen(function*() {
      const wq = yield* Workqueue.alloc("cpu-bound")
      const items = 2000
      let done = 0
      let doneWhenImmediateRan = -1
      setImmediate(() => {
        doneWhenImmediateRan = done
      })
      for (let i = 0; i < items; i++) {
        Workqueue.unsafeQueue(
          wq,
          Work.make(Effect.sync(() => {
            burnMicros(20)
            done++
          }))
        )
      }
      yield* Workqueue.flush(wq)
      return { items, doneWhenImmediateRan }
    }).pipe(Effect.scoped, Effect.provide(WorkerPool.layer({ fairnessBudget })))

  it.live("a setImmediate scheduled at the start runs before a long CPU-bound run ends", () =>
    Effect.gen(function*() {
      const { doneWhenImmediateRan, items } = yield* run(2)
      expect(doneWhenImmediateRan).toBeGreaterThanOrEqual(0)
      expect(doneWhenImmediateRan).toBeLessThan(items)
    }))

  // Two CPUs' workers, each with its own long run of items (1 ms each). Both
  // workers resume in the same turn; they share its slice.
  it.live("workers that resume in the same turn share one slice", () =>
    Effect.gen(function*() {
      const meter = itemClock()
      const budget = 5
      meter.startMeter()
      yield* Effect.gen(function*() {
        const wq = yield* Workqueue.alloc("two-cpus")
        for (let i = 0; i < 200; i++) {
          for (const cpu of [0, 1]) {
            yield* Workqueue.queueOn(wq, cpu, Work.sync(meter.advance))
          }
        }
        yield* Workqueue.flush(wq)
      }).pipe(
        Effect.scoped,
        Effect.provide(
          WorkerPool.layer({
            cpus: 2,
            fairnessBudget: budget,
            cpuIntensiveThreshold: 0,
            watchdogThreshold: 0,
            platform: meter.platform
          })
        )
      )
      const max = meter.maxPerTurn()
      expect(meter.now()).toBe(400)
      // a budget's worth, and at most one more item for the other worker (each checks after an item)
      expect(max).toBeLessThanOrEqual(budget + 1)
    }))

  /**
   * 50 items on one workqueue, each built from the gate (a promise opened once all 50
   * have started and blocked) and the meter's `advance`, under a 5 ms budget on the
   * meter's clock; `meterFromStart`: measure the starts too, else only what runs after
   * the gate opens. Returns the longest turn and the clock at the end.
   */
  const gated = (
    item: (gate: Effect.Effect<void>, advance: Effect.Effect<void>) => Effect.Effect<void>,
    meterFromStart: boolean
  ) =>
    Effect.gen(function*() {
      const meter = itemClock()
      let open: () => void = () => {}
      const gate = new Promise<void>((resolve) => {
        open = resolve
      })
      let started = 0
      const startedThenGate = Effect.zipRight(Effect.sync(() => started++), Effect.promise(() => gate))
      yield* Effect.gen(function*() {
        const wq = yield* Workqueue.alloc("gated", { maxActive: 64 })
        if (meterFromStart) meter.startMeter()
        for (let i = 0; i < 50; i++) {
          yield* Workqueue.queue(wq, Work.make(item(startedThenGate, Effect.sync(meter.advance))))
        }
        // let all 50 start and block (and, to meter only the wakeups, the pools go quiet)
        const pause = (ms: number) => Effect.promise(() => new Promise<void>((resolve) => setTimeout(resolve, ms)))
        while (started < 50) yield* pause(1)
        if (!meterFromStart) {
          yield* pause(20)
          meter.startMeter()
        }
        open()
        yield* Workqueue.flush(wq)
      }).pipe(
        Effect.scoped,
        Effect.provide(
          WorkerPool.layer({
            fairnessBudget: 5,
            cpuIntensiveThreshold: 0,
            watchdogThreshold: 0,
            platform: meter.platform
          })
        )
      )
      return { max: meter.maxPerTurn(), clock: meter.now() }
    })

  // 50 items block on one promise, each on its own worker; when it settles, all 50
  // workers are ready at once. Each then moves the clock 1 ms. The worker fibers'
  // scheduler runs them while the slice lasts and defers the rest to later turns.
  it.live("workers woken together run one budget per turn, not all at once", () =>
    Effect.gen(function*() {
      const { clock, max } = yield* gated((gate, advance) => Effect.zipRight(gate, advance), false)
      expect(clock).toBe(50)
      expect(max).toBeLessThanOrEqual(5 + 1)
    }))

  // 50 items each move the clock 1 ms and then block on one promise: every start
  // blocks its worker, and concurrency management starts a new worker for the next
  // item. The new workers' first runs go through the fibers' scheduler too, so the
  // ramp-up holds the thread for one budget per turn, not for all 50 starts.
  it.live("workers started one after another run one budget per turn", () =>
    Effect.gen(function*() {
      const { clock, max } = yield* gated((gate, advance) => Effect.zipRight(advance, gate), true)
      expect(clock).toBe(50)
      expect(max).toBeLessThanOrEqual(5 + 1)
    }))

  // Items that await a settled promise, then move the clock 1 ms: the slice runs out
  // every few items, so resumed workers keep waiting for the next turn. A worker
  // whose wait has ended counts as running while it waits: no worker is added for it.
  it.live("a worker waiting for its turn after its wait ended is not replaced", () =>
    Effect.gen(function*() {
      const { advance, now, platform } = itemClock()
      let peak = 0
      const pools = yield* WorkerPool.make({
        fairnessBudget: 5,
        cpuIntensiveThreshold: 0,
        watchdogThreshold: 0,
        platform
      })
      const count = () => WorkerPool.unsafeSnapshot(pools).reduce((n, p) => n + p.workers, 0)
      yield* Effect.gen(function*() {
        const wq = yield* Workqueue.alloc("awaiting", { maxActive: 1024 })
        for (let i = 0; i < 3000; i++) {
          Workqueue.unsafeQueue(
            wq,
            Work.make(Effect.zipRight(
              Effect.promise(() => Promise.resolve()),
              Effect.sync(() => {
                advance()
                peak = Math.max(peak, count())
              })
            ))
          )
        }
        yield* Workqueue.flush(wq)
      }).pipe(Effect.provideService(WorkerPool.WorkerPools, pools))
      expect(now()).toBe(3000)
      // a handful of workers (the kernel's kicks for waits that did not end in time), not one per item
      expect(peak).toBeLessThanOrEqual(16)
    }).pipe(Effect.scoped))

  it.live("without the budget the same run starves the event loop (control)", () =>
    Effect.gen(function*() {
      const { doneWhenImmediateRan } = yield* run(0)
      // the callback had not run when the whole run (and the flush) finished
      expect(doneWhenImmediateRan).toBe(-1)
    }))
})

describe("clock reads", () => {
  /**
   * a platform clock that only the items move (`tick`: 1 ms), counting its reads; `run`
   * queues `items(tick)` on a fresh workqueue and returns the reads made from the first
   * queue call until the flush returned, and the workqueue's CPU time
   */
  const countingClock = () => {
    let reads = 0
    let clock = 0
    const platform: WorkerPool.Platform = {
      now: () => {
        reads++
        return clock
      },
      macrotask: (callback) => void setImmediate(callback)
    }
    const tick = (): void => {
      clock++
    }
    const run = (items: ReadonlyArray<Work.Work>) =>
      Effect.gen(function*() {
        const wq = yield* Workqueue.alloc("clock")
        const before = reads
        for (const item of items) Workqueue.unsafeQueue(wq, item)
        yield* Workqueue.flush(wq)
        const readsDuringRun = reads - before
        const stats = yield* Workqueue.stats(wq)
        return { readsDuringRun, cpuTimeMs: stats.cpuTimeMs }
      }).pipe(
        Effect.scoped,
        Effect.provide(
          WorkerPool.layer({ platform, fairnessBudget: 0, watchdogThreshold: 0, cpuIntensiveThreshold: 0 })
        ),
        Effect.runPromise
      )
    return { tick, run }
  }

  // each item moves the platform clock by 1 ms and counts the reads made meanwhile; the
  // end of one synchronous item serves as the start of the next, so a batch reads the
  // clock about once per item, and the workqueue's CPU time is still each item's own
  it("a run of synchronous items reads the platform clock about once per item, with CPU time unchanged", async () => {
    const { run, tick } = countingClock()
    const n = 1000
    let ran = 0
    const items = Array.from({ length: n }, () =>
      Work.sync(() => {
        ran++
        tick()
      }))
    const { readsDuringRun, cpuTimeMs } = await run(items)
    expect(ran).toBe(n)
    expect(readsDuringRun).toBeLessThanOrEqual(n + 20)
    expect(cpuTimeMs).toBe(n)
  })

  // an Effect item that blocks once: one read when it blocks (its blocked time and the
  // end of its CPU time), one when it resumes, and one when it finishes, which is
  // also the start of the next item; its CPU time is the 2 ms it moved the clock
  it("an item that blocks once costs three clock reads, with CPU time unchanged", async () => {
    const { run, tick } = countingClock()
    const n = 200
    let ran = 0
    const body = Effect.sync(tick).pipe(
      Effect.zipRight(Effect.promise(() => Promise.resolve())),
      Effect.zipRight(Effect.sync(tick)),
      Effect.zipRight(Effect.sync(() => {
        ran++
      }))
    )
    const { readsDuringRun, cpuTimeMs } = await run(Array.from({ length: n }, () => Work.make(body)))
    expect(ran).toBe(n)
    expect(readsDuringRun).toBeLessThanOrEqual(3 * n + 40)
    expect(cpuTimeMs).toBe(2 * n)
  })
})
