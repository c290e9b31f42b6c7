import { describe, expect, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Fiber from "effect/Fiber"
import * as Option from "effect/Option"
import * as TestClock from "effect/TestClock"
import { DelayedWork, Work, WorkerPool, Workqueue, WorkqueueError } from "@cmwq/core"
import { runVirtualSync, testPools } from "./helpers.js"

const failureOf = <A, E>(exit: Exit.Exit<A, E>): unknown =>
  Exit.isFailure(exit) ? exit.cause._tag === "Fail" ? exit.cause.error : exit.cause : undefined

describe("Workqueue.alloc", () => {
  it.scoped("allocates with the kernel's defaults", () =>
    Effect.gen(function*() {
      const wq = yield* Workqueue.alloc("defaults")
      expect(wq.name).toBe("defaults")
      expect(Workqueue.maxActive(wq)).toBe(Workqueue.WQ_DFL_ACTIVE)
      expect(Workqueue.flags(wq)).toEqual(["PERCPU"])
      expect(Workqueue.WQ_MAX_ACTIVE).toBe(2048)
      expect(Workqueue.WQ_DFL_ACTIVE).toBe(1024)
      const ordered = yield* Workqueue.allocOrdered("ordered")
      expect(Workqueue.isOrdered(ordered)).toBe(true)
      expect(Workqueue.maxActive(ordered)).toBe(1)
      expect(Workqueue.flags(ordered)).toEqual(["UNBOUND"])
    }).pipe(Effect.provide(testPools())))

  it.scoped.each([
    [-1, "negative"],
    [1.5, "not an integer"],
    [2049, "above WQ_MAX_ACTIVE (2048)"],
    [Number.NaN, "not an integer"]
  ])("refuses maxActive %s with InvalidMaxActive (%s)", ([maxActive, reason]) =>
    Effect.gen(function*() {
      const exit = yield* Effect.exit(Workqueue.alloc("bad", { maxActive: maxActive as number }))
      const error = failureOf(exit)
      expect(error).toBeInstanceOf(WorkqueueError.InvalidMaxActive)
      expect((error as WorkqueueError.InvalidMaxActive).reason).toBe(reason)
      expect((error as WorkqueueError.InvalidMaxActive).message).toContain("bad")
    }).pipe(Effect.provide(testPools())))

  it.scoped("refuses invalid flag combinations with InvalidFlags", () =>
    Effect.gen(function*() {
      for (
        const flags of [["UNBOUND", "PERCPU"], ["BH", "UNBOUND"], ["NOT_A_FLAG"]] as Array<Array<Workqueue.Flag>>
      ) {
        const error = failureOf(yield* Effect.exit(Workqueue.alloc("bad", { flags })))
        expect(error, flags.join("|")).toBeInstanceOf(WorkqueueError.InvalidFlags)
      }
      const ordered = failureOf(yield* Effect.exit(Workqueue.allocOrdered("bad", { flags: ["SYSFS"] })))
      expect(ordered).toBeInstanceOf(WorkqueueError.InvalidFlags)
    }).pipe(Effect.provide(testPools())))

  it.scoped("accepts every flag of the kernel's list", () =>
    Effect.gen(function*() {
      for (const flag of Workqueue.FLAGS) {
        const wq = yield* Workqueue.alloc(`wq-${flag}`, { flags: [flag] })
        expect(Workqueue.flags(wq)).toContain(flag)
      }
      expect(Workqueue.FLAGS).toEqual([
        "BH",
        "UNBOUND",
        "FREEZABLE",
        "MEM_RECLAIM",
        "HIGHPRI",
        "CPU_INTENSIVE",
        "SYSFS",
        "POWER_EFFICIENT",
        "PERCPU"
      ])
    }).pipe(Effect.provide(testPools())))

  it.scoped("lists SYSFS workqueues with their tunables", () =>
    Effect.gen(function*() {
      yield* Workqueue.alloc("hidden")
      yield* Workqueue.alloc("visible", { flags: ["SYSFS"], maxActive: 7 })
      const listed = yield* WorkerPool.sysfs
      expect(listed.map((d) => [d.name, d.maxActive, d.perCpu])).toEqual([["visible", 7, true]])
    }).pipe(Effect.provide(testPools())))
})

describe("Workqueue.queue", () => {
  it("returns false for a pending item and queues it once (pending bit)", () => {
    const result = runVirtualSync(Effect.gen(function*() {
      const wq = yield* Workqueue.alloc("pending")
      let runs = 0
      const work = Work.make(Effect.sync(() => runs++))
      const first = yield* Workqueue.queue(wq, work)
      const pendingAfterFirst = Work.isPending(work)
      const second = yield* Workqueue.queue(wq, work)
      yield* Workqueue.flush(wq)
      return { first, second, pendingAfterFirst, runs, pendingAfterFlush: Work.isPending(work) }
    }))
    expect(result).toEqual({ first: true, second: false, pendingAfterFirst: true, runs: 1, pendingAfterFlush: false })
  })

  it("lets an item queue itself while it runs (PENDING clears before it starts)", () => {
    const runs = runVirtualSync(Effect.gen(function*() {
      const wq = yield* Workqueue.alloc("self")
      let n = 0
      const work: Work.Work = Work.make(Effect.gen(function*() {
        n++
        if (n < 3) expect(yield* Workqueue.queue(wq, work)).toBe(true)
      }))
      yield* Workqueue.queue(wq, work)
      yield* Workqueue.drain(wq)
      return n
    }))
    expect(runs).toBe(3)
  })

  it("fails with InvalidCpu for a CPU the pools do not have", () => {
    const error = runVirtualSync(
      Effect.gen(function*() {
        const wq = yield* Workqueue.alloc("cpu")
        return failureOf(yield* Effect.exit(Workqueue.queueOn(wq, 2, Work.make(Effect.void))))
      }),
      { cpus: 2 }
    )
    expect(error).toBeInstanceOf(WorkqueueError.InvalidCpu)
    expect((error as WorkqueueError.InvalidCpu).cpus).toBe(2)
  })

  it("queues on the named CPU's pool", () => {
    const cpus = runVirtualSync(
      Effect.gen(function*() {
        const wq = yield* Workqueue.alloc("on")
        const seen: Array<number> = []
        for (const cpu of [1, 0, 2]) {
          yield* Workqueue.queueOn(
            wq,
            cpu,
            Work.make(Effect.flatMap(WorkerPool.currentWorker, (worker) =>
              Effect.sync(() => {
                seen.push(Option.getOrThrow(worker).cpu)
              })))
          )
        }
        yield* Workqueue.flush(wq)
        const state = yield* Workqueue.inspect(wq)
        return { seen, links: state.links.map((l) => l.pool) }
      }),
      { cpus: 3 }
    )
    expect([...cpus.seen].sort()).toEqual([0, 1, 2])
    expect(cpus.links).toEqual(["cpu0", "cpu1", "cpu2"])
  })

  it("fails with WorkqueueDestroyed after destroy, and queues nothing", () => {
    const result = runVirtualSync(Effect.gen(function*() {
      const wq = yield* Workqueue.alloc("gone")
      yield* Workqueue.destroy(wq)
      const work = Work.make(Effect.void)
      const error = failureOf(yield* Effect.exit(Workqueue.queue(wq, work)))
      return { error, pending: Work.isPending(work), destroyed: Workqueue.isDestroyed(wq) }
    }))
    expect(result.error).toBeInstanceOf(WorkqueueError.WorkqueueDestroyed)
    expect(result.pending).toBe(false)
    expect(result.destroyed).toBe(true)
  })

  it("unsafeQueue throws the typed error on a destroyed workqueue", () => {
    const thrown = runVirtualSync(Effect.gen(function*() {
      const wq = yield* Workqueue.alloc("gone")
      yield* Workqueue.destroy(wq)
      try {
        Workqueue.unsafeQueue(wq, Work.make(Effect.void))
        return null
      } catch (e) {
        return e
      }
    }))
    expect(thrown).toBeInstanceOf(WorkqueueError.WorkqueueDestroyed)
  })

  it("fails with WorkqueueDraining for outside queueing while draining, accepts chained queueing", () => {
    const result = runVirtualSync(Effect.gen(function*() {
      const wq = yield* Workqueue.alloc("draining")
      const log: Array<string> = []
      const chained = Work.make(Effect.sync(() => log.push("chained")))
      const first = Work.make(Effect.gen(function*() {
        yield* Effect.sleep(5)
        log.push("first")
        log.push(`chain:${yield* Workqueue.queue(wq, chained)}`)
      }))
      yield* Workqueue.queue(wq, first)
      const drain = yield* Effect.fork(Workqueue.drain(wq))
      yield* Effect.sleep(1)
      const outside = failureOf(yield* Effect.exit(Workqueue.queue(wq, Work.make(Effect.void))))
      yield* Fiber.join(drain)
      const after = yield* Workqueue.queue(wq, Work.make(Effect.void))
      yield* Workqueue.flush(wq)
      return { log, outside, after }
    }))
    expect(result.outside).toBeInstanceOf(WorkqueueError.WorkqueueDraining)
    expect(result.log).toEqual(["first", "chain:true", "chained"])
    expect(result.after).toBe(true)
  })

  it("fails with InvalidDelay for a negative or infinite delay", () => {
    const errors = runVirtualSync(Effect.gen(function*() {
      const wq = yield* Workqueue.alloc("delay")
      const dwork = DelayedWork.make(Effect.void)
      return [
        failureOf(yield* Effect.exit(Workqueue.queueDelayed(wq, dwork, -1))),
        failureOf(yield* Effect.exit(Workqueue.modDelayed(wq, dwork, Infinity)))
      ]
    }))
    for (const error of errors) expect(error).toBeInstanceOf(WorkqueueError.InvalidDelay)
  })
})

describe("Workqueue.setMaxActive", () => {
  it("raising it starts waiting items at once, in queue order", () => {
    const log = runVirtualSync(Effect.gen(function*() {
      const wq = yield* Workqueue.alloc("raise", { maxActive: 1 })
      const log: Array<string> = []
      for (let i = 0; i < 4; i++) {
        yield* Workqueue.queue(
          wq,
          Work.make(Effect.gen(function*() {
            log.push(`start${i}@${yield* Effect.clockWith((c) => c.currentTimeMillis)}`)
            yield* Effect.sleep(10)
          }))
        )
      }
      yield* Effect.sleep(1)
      yield* Workqueue.setMaxActive(wq, 3)
      yield* Workqueue.flush(wq)
      return log
    }))
    expect(log).toEqual(["start0@0", "start1@1", "start2@1", "start3@10"])
  })

  it("is refused for ordered workqueues and checks its argument", () => {
    const errors = runVirtualSync(Effect.gen(function*() {
      const ordered = yield* Workqueue.allocOrdered("o")
      const plain = yield* Workqueue.alloc("p")
      return [
        failureOf(yield* Effect.exit(Workqueue.setMaxActive(ordered, 4))),
        failureOf(yield* Effect.exit(Workqueue.setMaxActive(plain, -3))),
        failureOf(yield* Effect.exit(Workqueue.setMinActive(plain, 2)))
      ]
    }))
    expect(errors[0]).toBeInstanceOf(WorkqueueError.InvalidOperation)
    expect(errors[1]).toBeInstanceOf(WorkqueueError.InvalidMaxActive)
    expect(errors[2]).toBeInstanceOf(WorkqueueError.InvalidOperation)
  })
})

describe("Workqueue scope", () => {
  it.effect("closing the scope drains the workqueue, then destroys it", () =>
    Effect.gen(function*() {
      const log: Array<string> = []
      let kept: Workqueue.Workqueue | undefined
      const scoped = Effect.scoped(Effect.gen(function*() {
        const wq = yield* Workqueue.alloc("scoped")
        kept = wq
        yield* Workqueue.queue(wq, Work.make(Effect.zipRight(Effect.sleep(50), Effect.sync(() => log.push("done")))))
      }))
      const fiber = yield* Effect.fork(scoped.pipe(Effect.provide(testPools())))
      yield* TestClock.adjust(49)
      expect(log).toEqual([])
      yield* TestClock.adjust(1)
      yield* Fiber.join(fiber)
      expect(log).toEqual(["done"])
      expect(Workqueue.isDestroyed(kept!)).toBe(true)
    }))
})

describe("Work.sync", () => {
  it("runs a synchronous function as an item; a throw is a defect the pool reports and survives", () => {
    const events: Array<WorkerPool.Event> = []
    const result = runVirtualSync(
      Effect.gen(function*() {
        const wq = yield* Workqueue.alloc("sync")
        const bh = yield* Workqueue.alloc("sync-bh", { flags: ["BH"] })
        const reclaim = yield* Workqueue.alloc("sync-reclaim", { flags: ["MEM_RECLAIM"] })
        const log: Array<string> = []
        yield* Workqueue.queue(wq, Work.sync(() => log.push("plain")))
        yield* Workqueue.queue(
          wq,
          Work.sync(() => {
            throw new Error("thrown")
          }, { name: "thrower" })
        )
        yield* Workqueue.queue(bh, Work.sync(() => log.push("bh")))
        yield* Workqueue.queue(reclaim, Work.sync(() => log.push("reclaim")))
        yield* Workqueue.flush(wq)
        yield* Workqueue.flush(bh)
        yield* Workqueue.flush(reclaim)
        return { log, failed: (yield* Workqueue.stats(wq)).failed }
      }),
      { observer: (e) => events.push(e) }
    )
    expect(result.log.sort()).toEqual(["bh", "plain", "reclaim"])
    expect(result.failed).toBe(1)
    const failure = events.find((e) => e._tag === "WorkFailed")
    expect(failure?._tag === "WorkFailed" && failure.work).toBe("thrower")
    expect(failure?._tag === "WorkFailed" && failure.cause._tag).toBe("Die")
  })
})
