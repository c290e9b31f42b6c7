/**
 * Regression tests: each one is the counterexample of an engine bug, kept
 * so that the bug stays fixed. The test name says what went wrong.
 */
import { describe, expect, it } from "@effect/vitest"
import * as Cause from "effect/Cause"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Fiber from "effect/Fiber"
import * as Exit from "effect/Exit"
import { DelayedWork, Freezer, Policy, Work, type WorkerPool, WorkqueueError, Workqueue } from "@cmwq/core"
import { runVirtual, runVirtualSync } from "./helpers.js"

const now = Effect.clockWith((clock) => clock.currentTimeMillis)

/** the typed error of an exit, "ok" on success, the cause otherwise */
const outcomeOf = <A, E>(exit: Exit.Exit<A, E>): unknown =>
  Exit.isSuccess(exit) ? "ok" : exit.cause._tag === "Fail" ? exit.cause.error : exit.cause

/** run `effect` and record its outcome */
const recording = <A, E>(effect: Effect.Effect<A, E>, record: (outcome: unknown) => void) =>
  Effect.flatMap(Effect.exit(effect), (exit) => Effect.sync(() => record(outcomeOf(exit))))

describe("regressions", () => {
  describe("flush(wq) after applyAttrs (G13, G8, G39)", () => {
    for (const kind of ["unbound", "ordered"] as const) {
      it(`waits for an item queued on the new pwq (${kind})`, () => {
        const result = runVirtualSync(Effect.gen(function*() {
          const wq = kind === "unbound"
            ? yield* Workqueue.alloc("u", { flags: ["UNBOUND"] })
            : yield* Workqueue.allocOrdered("o")
          yield* Workqueue.flush(wq) // the work color moves to 1
          yield* Workqueue.applyAttrs(wq, { affinityScope: "system" })
          let finished = -1
          yield* Workqueue.queue(
            wq,
            Work.make(Effect.flatMap(Effect.sleep(100), () =>
              Effect.map(now, (t) => {
                finished = t
              })))
          )
          yield* Workqueue.flush(wq)
          const returned = yield* now
          // drain must not cycle through colors either
          yield* Workqueue.queue(wq, Work.make(Effect.sleep(10)))
          yield* Workqueue.drain(wq)
          return { finished, returned }
        }))
        expect(result.finished).toBe(100)
        expect(result.returned).toBe(100)
      })
    }
  })

  it("no false FlushDeadlock from a flush that completed before its fiber resumed", () => {
    const result = runVirtualSync(Effect.gen(function*() {
      const a = yield* Workqueue.alloc("a")
      const b = yield* Workqueue.alloc("b", { maxActive: 1 })
      let outcome: unknown = "none"
      yield* Workqueue.queue(b, Work.make(Effect.sleep(10), { name: "y" }))
      yield* Workqueue.queue(a, Work.make(Workqueue.flush(b), { name: "x" }))
      yield* Effect.sleep(1)
      yield* Workqueue.queue(b, Work.make(recording(Workqueue.flush(a), (o) => (outcome = o)), { name: "q2" }))
      yield* Workqueue.flush(b)
      yield* Workqueue.flush(a)
      return outcome
    }))
    expect(result).toBe("ok")
  })

  const freezableOf = (kind: "unbound" | "ordered") =>
    kind === "unbound"
      ? Workqueue.alloc("fu", { flags: ["UNBOUND", "FREEZABLE"] })
      : Workqueue.allocOrdered("fo", { flags: ["FREEZABLE"] })

  for (const kind of ["unbound", "ordered"] as const) {
    it(`an item queued after thaw, refreeze (while the thawed item runs) and thaw runs (G32, G2, G26) (${kind})`, () => {
      const exit = runVirtual(Effect.gen(function*() {
        const wq = yield* freezableOf(kind)
        const ran: Array<string> = []
        yield* Freezer.freeze
        yield* Workqueue.queue(wq, Work.make(Effect.zipRight(Effect.sleep(10), Effect.sync(() => ran.push("a")))))
        yield* Freezer.thaw // activates a; its pwq stays marked as waiting for a slot
        yield* Effect.sleep(1)
        yield* Freezer.freeze // a ends while frozen
        yield* Effect.sleep(20)
        yield* Freezer.thaw
        yield* Workqueue.queue(wq, Work.sync(() => ran.push("b")))
        yield* Workqueue.drain(wq)
        return ran
      }))
      expect(outcomeOf(exit)).toBe("ok")
      if (Exit.isSuccess(exit)) expect(exit.value).toEqual(["a", "b"])
    })

    it(`cancel while frozen does not stall the workqueue (${kind})`, () => {
      const exit = runVirtual(Effect.gen(function*() {
        const wq = yield* freezableOf(kind)
        const ran: Array<string> = []
        yield* Freezer.freeze
        const held = Work.sync(() => ran.push("held"))
        yield* Workqueue.queue(wq, held)
        yield* Work.cancel(held)
        yield* Freezer.thaw
        yield* Workqueue.queue(wq, Work.sync(() => ran.push("later")))
        yield* Workqueue.drain(wq)
        return ran
      }))
      expect(outcomeOf(exit)).toBe("ok")
      if (Exit.isSuccess(exit)) expect(exit.value).toEqual(["later"])
    })
  }

  describe("a failed cancelSync/disableSync leaves nothing half-done", () => {
    for (const op of ["cancelSync", "disableSync"] as const) {
      it(`${op} of itself after a self-requeue fails and keeps the queued instance`, () => {
        const result = runVirtualSync(Effect.gen(function*() {
          const wq = yield* Workqueue.alloc("wq")
          let runs = 0
          let outcome: unknown = "none"
          const work: Work.Work = Work.make(
            Effect.gen(function*() {
              if (++runs > 1) return
              const requeued = yield* Workqueue.queue(wq, work)
              expect(requeued).toBe(true)
              yield* recording(
                op === "cancelSync" ? Work.cancelSync(work) : Work.disableSync(work),
                (o) => (outcome = o)
              )
            }),
            { name: "self" }
          )
          yield* Workqueue.queue(wq, work)
          yield* Workqueue.flush(wq)
          yield* Workqueue.flush(wq)
          return { runs, outcome, depth: Work.disableDepth(work) }
        }))
        expect(result.outcome).toBeInstanceOf(WorkqueueError.FlushDeadlock)
        expect(result.runs).toBe(2)
        expect(result.depth).toBe(0)
      })
    }

    it("cancelSync of another item that waits for the caller fails and keeps its queued instance", () => {
      const result = runVirtualSync(Effect.gen(function*() {
        const a = yield* Workqueue.alloc("a")
        const b = yield* Workqueue.alloc("b")
        let yRuns = 0
        let outcome: unknown = "none"
        const y: Work.Work = Work.make(
          Effect.gen(function*() {
            if (++yRuns > 1) return
            yield* Workqueue.queue(b, y)
            yield* Effect.ignore(Workqueue.flush(a)) // waits for x
          }),
          { name: "y" }
        )
        const x = Work.make(
          Effect.gen(function*() {
            yield* Effect.sleep(1)
            yield* recording(Work.cancelSync(y), (o) => (outcome = o))
          }),
          { name: "x" }
        )
        yield* Workqueue.queue(a, x)
        yield* Workqueue.queue(b, y)
        yield* Workqueue.flush(a)
        yield* Workqueue.flush(b)
        yield* Workqueue.flush(b)
        return { yRuns, outcome }
      }))
      expect(result.outcome).toBeInstanceOf(WorkqueueError.FlushDeadlock)
      expect(result.yRuns).toBe(2)
    })
  })

  describe("the caller's own pending instance waits for the caller", () => {
    it("Work.flush(self) after a self-requeue fails with FlushDeadlock", () => {
      const exit = runVirtual(Effect.gen(function*() {
        const wq = yield* Workqueue.alloc("wq")
        let runs = 0
        let outcome: unknown = "none"
        const work: Work.Work = Work.make(Effect.gen(function*() {
          if (++runs > 1) return
          yield* Workqueue.queue(wq, work)
          yield* recording(Work.flush(work), (o) => (outcome = o))
        }))
        yield* Workqueue.queue(wq, work)
        yield* Workqueue.drain(wq)
        return { runs, outcome }
      }))
      expect(outcomeOf(exit)).toBe("ok")
      if (Exit.isSuccess(exit)) {
        expect(exit.value.outcome).toBeInstanceOf(WorkqueueError.FlushDeadlock)
        expect(exit.value.runs).toBe(2)
      }
    })

    it("flushing an item held back while the other slot holds the caller's requeued instance fails", () => {
      const exit = runVirtual(Effect.gen(function*() {
        const wq = yield* Workqueue.alloc("wq", { maxActive: 2 })
        let runs = 0
        let outcome: unknown = "none"
        const held = Work.make(Effect.void, { name: "held" })
        const work: Work.Work = Work.make(
          Effect.gen(function*() {
            if (++runs > 1) return
            yield* Workqueue.queue(wq, work) // takes the second slot
            yield* Workqueue.queue(wq, held) // held back by max_active
            yield* recording(Work.flush(held), (o) => (outcome = o))
          }),
          { name: "self" }
        )
        yield* Workqueue.queue(wq, work)
        yield* Workqueue.drain(wq)
        return { runs, outcome }
      }))
      expect(outcomeOf(exit)).toBe("ok")
      if (Exit.isSuccess(exit)) {
        expect(exit.value.outcome).toBeInstanceOf(WorkqueueError.FlushDeadlock)
        expect(exit.value.runs).toBe(2)
      }
    })
  })

  describe("Policy.legacy reports its deadlocks", () => {
    it("an item that flushes an item queued behind it on its one worker gets FlushDeadlock", () => {
      const exit = runVirtual(
        Effect.gen(function*() {
          const wq = yield* Workqueue.alloc("legacy")
          let outcome: unknown = "none"
          let otherRan = false
          const other = Work.make(
            Effect.sync(() => {
              otherRan = true
            }),
            { name: "other" }
          )
          const first = Work.make(
            Effect.gen(function*() {
              yield* Workqueue.queue(wq, other)
              yield* recording(Work.flush(other), (o) => (outcome = o))
            }),
            { name: "first" }
          )
          yield* Workqueue.queue(wq, first)
          yield* Workqueue.drain(wq)
          return { outcome, otherRan }
        }),
        { policy: Policy.legacy, cpus: 1 }
      )
      expect(outcomeOf(exit)).toBe("ok")
      if (Exit.isSuccess(exit)) {
        expect(exit.value.outcome).toBeInstanceOf(WorkqueueError.FlushDeadlock)
        expect(exit.value.otherRan).toBe(true)
      }
    })

    it("cancelSync of an item that waits for an item queued behind the caller gets FlushDeadlock", () => {
      const exit = runVirtual(
        Effect.gen(function*() {
          const wq = yield* Workqueue.alloc("legacy")
          let outcome: unknown = "none"
          const z = Work.make(Effect.void, { name: "z" })
          const other = Work.make(Effect.ignore(Work.flush(z)), { name: "other" }) // on CPU 1: waits for z
          const first = Work.make(
            Effect.gen(function*() {
              yield* Workqueue.queueOn(wq, 0, z) // behind first, on CPU 0's one worker
              yield* Workqueue.queueOn(wq, 1, other)
              yield* Effect.sleep(1)
              yield* recording(Work.cancelSync(other), (o) => (outcome = o))
            }),
            { name: "first" }
          )
          yield* Workqueue.queueOn(wq, 0, first)
          yield* Workqueue.drain(wq)
          return outcome
        }),
        { policy: Policy.legacy, cpus: 2 }
      )
      expect(outcomeOf(exit)).toBe("ok")
      if (Exit.isSuccess(exit)) expect(exit.value).toBeInstanceOf(WorkqueueError.FlushDeadlock)
    })
  })

  describe("a failed or interrupted destroy leaves the workqueue as it was", () => {
    it("after an item's destroy of its own workqueue fails", () => {
      const exit = runVirtual(Effect.gen(function*() {
        const wq = yield* Workqueue.alloc("wq", { flags: ["MEM_RECLAIM"] })
        let outcome: unknown = "none"
        yield* Workqueue.queue(wq, Work.make(recording(Workqueue.destroy(wq), (o) => (outcome = o))))
        yield* Workqueue.flush(wq)
        const destroyedAfterFailure = Workqueue.isDestroyed(wq)
        let ranAt = -1
        const queued = yield* Workqueue.queue(
          wq,
          Work.make(Effect.flatMap(Effect.sleep(10), () =>
            Effect.map(now, (t) => {
              ranAt = t
            })))
        )
        yield* Workqueue.destroy(wq)
        return {
          outcome,
          destroyedAfterFailure,
          queued,
          ranAt,
          returned: yield* now,
          destroyed: Workqueue.isDestroyed(wq)
        }
      }))
      expect(outcomeOf(exit)).toBe("ok")
      if (Exit.isSuccess(exit)) {
        expect(exit.value.outcome).toBeInstanceOf(WorkqueueError.FlushDeadlock)
        expect(exit.value.destroyedAfterFailure).toBe(false)
        expect(exit.value.queued).toBe(true)
        expect(exit.value.ranAt).toBe(10)
        expect(exit.value.returned).toBe(10)
        expect(exit.value.destroyed).toBe(true)
      }
    })

    it("after a destroy interrupted by a timeout", () => {
      const exit = runVirtual(Effect.gen(function*() {
        const wq = yield* Workqueue.alloc("wq")
        const ran: Array<number> = []
        const item = (id: number) => Work.make(Effect.zipRight(Effect.sleep(100), Effect.sync(() => ran.push(id))))
        yield* Workqueue.queue(wq, item(1))
        const timedOut = yield* Effect.either(Effect.timeout(Workqueue.destroy(wq), 10))
        const queued = yield* Workqueue.queue(wq, item(2))
        yield* Workqueue.destroy(wq)
        return { timedOut: timedOut._tag, queued, ran: [...ran], returned: yield* now }
      }))
      expect(outcomeOf(exit)).toBe("ok")
      if (Exit.isSuccess(exit)) {
        expect(exit.value.timedOut).toBe("Left")
        expect(exit.value.queued).toBe(true)
        expect(exit.value.ran).toEqual([1, 2])
        expect(exit.value.returned).toBe(110)
      }
    })
  })

  it("the rescuer does not spin when it rescued nothing and worker creation fails", () => {
    let canCreate = true
    const exit = runVirtual(
      Effect.gen(function*() {
        const reclaim = yield* Workqueue.alloc("reclaim", { flags: ["MEM_RECLAIM"] })
        const plain = yield* Workqueue.alloc("plain")
        const ran: Array<string> = []
        const item = (name: string, ms: number) =>
          Work.make(Effect.zipRight(Effect.sleep(ms), Effect.sync(() => ran.push(name))), { name })
        yield* Workqueue.queueOn(reclaim, 0, item("a", 100)) // runs on a regular worker, keeps an active slot
        yield* Effect.sleep(1)
        canCreate = false
        yield* Workqueue.queueOn(plain, 0, item("b", 1)) // its worker manages, creation fails
        yield* Workqueue.queueOn(reclaim, 0, item("c", 1)) // rescued after the mayday
        yield* Effect.sleep(20)
        canCreate = true
        yield* Workqueue.drain(reclaim)
        yield* Workqueue.drain(plain)
        return ran.sort()
      }),
      { cpus: 1, workerCreation: () => Effect.sync(() => canCreate) },
      { maxSteps: 5_000 }
    )
    expect(outcomeOf(exit)).toBe("ok")
    if (Exit.isSuccess(exit)) expect(exit.value).toEqual(["a", "b", "c"])
  })

  it("the rescuer runs at most RESCUER_BATCH + 1 items of one pwq while another waits in mayday (G31)", () => {
    const exit = runVirtual(
      Effect.gen(function*() {
        const wq = yield* Workqueue.alloc("reclaim", { flags: ["MEM_RECLAIM"] })
        const order: Array<number> = []
        for (const cpu of [0, 1]) {
          for (let i = 0; i < 18; i++) {
            yield* Workqueue.queueOn(
              wq,
              cpu,
              Work.make(Effect.zipRight(Effect.sync(() => order.push(cpu)), Effect.sleep(3)))
            )
          }
        }
        yield* Workqueue.drain(wq)
        let longest = 0
        for (let i = 0, streak = 0; i < order.length; i++) {
          streak = i > 0 && order[i] === order[i - 1] ? streak + 1 : 1
          longest = Math.max(longest, streak)
        }
        return { runs: order.length, longest, firstSwitch: order.indexOf(1) }
      }),
      { cpus: 2, workerCreation: () => Effect.succeed(false) }
    )
    expect(outcomeOf(exit)).toBe("ok")
    if (Exit.isSuccess(exit)) expect(exit.value).toEqual({ runs: 36, longest: 17, firstSwitch: 17 })
  })

  it("an item that interrupts the rescuer's fiber: the rescuer is made whole and nothing queued is lost", () => {
    const events: Array<WorkerPool.Event> = []
    const exit = runVirtual(
      Effect.gen(function*() {
        const wq = yield* Workqueue.alloc("reclaim", { flags: ["MEM_RECLAIM"], maxActive: 1 })
        let ok = 0
        yield* Workqueue.queue(
          wq,
          Work.make(
            Effect.withFiberRuntime((self) => Effect.zipRight(Fiber.interruptAsFork(self, self.id()), Effect.never)),
            { name: "rogue" }
          )
        )
        for (let i = 0; i < 3; i++) yield* Workqueue.queue(wq, Work.make(Effect.sync(() => ok++)))
        yield* Workqueue.drain(wq)
        // and later items too
        yield* Workqueue.queue(wq, Work.make(Effect.sync(() => ok++)))
        yield* Workqueue.drain(wq)
        return { ok, stats: yield* Workqueue.stats(wq) }
      }),
      { workerCreation: () => Effect.succeed(false), observer: (e) => events.push(e) }
    )
    expect(outcomeOf(exit)).toBe("ok")
    if (Exit.isSuccess(exit)) {
      expect(exit.value.ok).toBe(4)
      expect(exit.value.stats).toMatchObject({ started: 5, completed: 5, failed: 1, inFlight: 0 })
    }
    const failed = events.filter((e) => e._tag === "WorkFailed")
    expect(failed.map((e) => e._tag === "WorkFailed" && e.work)).toEqual(["rogue"])
    expect(failed.every((e) => e._tag === "WorkFailed" && Cause.isInterruptedOnly(e.cause))).toBe(true)
  })

  it("stats.failed counts the failure of the last item of a pwq retired by applyAttrs", () => {
    const events: Array<WorkerPool.Event> = []
    const stats = runVirtualSync(
      Effect.gen(function*() {
        const wq = yield* Workqueue.alloc("u", { flags: ["UNBOUND"] })
        yield* Workqueue.queue(wq, Work.make(Effect.zipRight(Effect.sleep(10), Effect.fail("boom")), { name: "fails" }))
        yield* Effect.sleep(1)
        yield* Workqueue.applyAttrs(wq, { affinityScope: "system" }) // the old pwq goes with its last item
        yield* Workqueue.flush(wq)
        yield* Effect.sleep(20)
        return yield* Workqueue.stats(wq)
      }),
      { observer: (e) => events.push(e) }
    )
    expect(events.filter((e) => e._tag === "WorkFailed")).toHaveLength(1)
    expect(stats).toMatchObject({ started: 1, completed: 1, failed: 1 })
  })

  it("an enable during a cancelSync: a queue call that returned true still runs", () => {
    const result = runVirtualSync(Effect.gen(function*() {
      const wq = yield* Workqueue.alloc("wq")
      const other = yield* Workqueue.alloc("other", { maxActive: 1 })
      let runs = 0
      const work = Work.make(Effect.zipRight(Effect.sync(() => runs++), Effect.sleep(10)), { name: "w" })
      yield* Workqueue.queue(other, Work.make(Effect.sleep(50), { name: "blocker" }))
      yield* Workqueue.queue(wq, work)
      yield* Effect.sleep(1) // running
      const cancelling = yield* Effect.fork(Work.cancelSync(work))
      yield* Effect.yieldNow()
      const enabled = yield* Work.enable(work) // takes off cancelSync's own disable
      const queued = yield* Workqueue.queue(other, work) // held back behind the blocker
      yield* Fiber.join(cancelling)
      yield* Workqueue.drain(other)
      yield* Workqueue.drain(wq)
      return { enabled, queued, runs }
    }))
    expect(result.queued).toBe(true)
    expect(result.runs).toBe(2)
  })

  it("a negative Duration delay fails with InvalidDelay", () => {
    const result = runVirtualSync(Effect.gen(function*() {
      const wq = yield* Workqueue.alloc("wq")
      const dwork = DelayedWork.make(Effect.void)
      const outcomes: Array<unknown> = []
      const delays: Array<Duration.DurationInput> = ["-1 millis", "-2 seconds", [-1, 0], Duration.millis(0), "1 millis"]
      for (const delay of delays) {
        yield* recording(Workqueue.queueDelayed(wq, dwork, delay), (o) => outcomes.push(o))
        yield* recording(Workqueue.modDelayed(wq, dwork, delay), (o) => outcomes.push(o))
        yield* Work.cancelSync(dwork)
      }
      return outcomes
    }))
    for (const o of result.slice(0, 6)) expect(o).toBeInstanceOf(WorkqueueError.InvalidDelay)
    expect((result[0] as WorkqueueError.InvalidDelay).delay).toBe(-1)
    expect((result[2] as WorkqueueError.InvalidDelay).delay).toBe(-2000)
    expect(result.slice(6)).toEqual(["ok", "ok", "ok", "ok"])
  })

  it("an unbound workqueue whose held-back item was disabled takes a new item below max_active (G10)", () => {
    const exit = runVirtual(
      Effect.gen(function*() {
        const wq = yield* Workqueue.alloc("u", { flags: ["UNBOUND"], maxActive: 1 })
        const starts: Record<string, number> = {}
        const item = (name: string) =>
          Work.make(
            Effect.zipRight(Effect.flatMap(now, (t) => Effect.sync(() => (starts[name] = t))), Effect.sleep(5)),
            {
              name
            }
          )
        const w1 = item("w1")
        yield* Workqueue.queue(wq, item("w0")) // active
        yield* Workqueue.queue(wq, w1) // held back: the pwq waits for a slot
        yield* Work.disableSync(w1) // its only held-back item is gone: the pwq waits for nothing
        yield* Workqueue.setMaxActive(wq, 3)
        yield* Workqueue.setMaxActive(wq, 2)
        yield* Effect.sleep(1)
        yield* Workqueue.queue(wq, item("w2")) // 1/2 active: takes the free slot at once
        yield* Effect.sleep(1)
        const heldBack = Workqueue.unsafeInspect(wq).links.reduce((n, l) => n + l.inactive, 0)
        yield* Workqueue.drain(wq)
        return { starts, heldBack }
      }),
      { cpus: 2 }
    )
    expect(outcomeOf(exit)).toBe("ok")
    if (Exit.isSuccess(exit)) expect(exit.value).toEqual({ starts: { w0: 0, w2: 1 }, heldBack: 0 })
  })

  it("cancelSync at the saturated disable depth leaves the depth where it was (G20)", () => {
    const result = runVirtualSync(Effect.gen(function*() {
      const wq = yield* Workqueue.alloc("wq")
      const work = Work.make(Effect.void, { name: "w" })
      yield* Workqueue.queue(wq, work) // once queued, cancelSync takes its full path
      yield* Workqueue.drain(wq)
      for (let n = 0; n < 65_540; n++) yield* Work.disable(work) // saturates at 65535
      const before = Work.disableDepth(work)
      const cancelled = yield* Work.cancelSync(work)
      const after = Work.disableDepth(work)
      yield* Work.disable(work)
      const disabledAgain = Work.disableDepth(work)
      return { before, cancelled, after, disabledAgain }
    }))
    expect(result).toEqual({ before: 65_535, cancelled: false, after: 65_535, disabledAgain: 65_535 })
  })

  it("a negative number delay fails with InvalidDelay; Duration.millis(-1) is Duration.zero and queues at once (G23)", () => {
    const result = runVirtualSync(Effect.gen(function*() {
      const wq = yield* Workqueue.alloc("wq")
      let ranAt = -1
      const dwork = DelayedWork.make(Effect.flatMap(now, (t) => Effect.sync(() => (ranAt = t))))
      const outcomes: Array<unknown> = []
      yield* recording(Workqueue.queueDelayed(wq, dwork, -1), (o) => outcomes.push(o))
      yield* recording(Workqueue.modDelayed(wq, dwork, -1), (o) => outcomes.push(o))
      const pendingAfterRefusals = Work.isPending(dwork)
      // Effect clamps: the engine sees a delay of 0
      const modded = yield* Workqueue.modDelayed(wq, dwork, Duration.millis(-1))
      const armed = DelayedWork.expires(dwork)._tag
      yield* Workqueue.drain(wq)
      return {
        outcomes,
        pendingAfterRefusals,
        modded,
        armed,
        ranAt,
        zero: Duration.equals(Duration.millis(-1), Duration.zero)
      }
    }))
    for (const o of result.outcomes) expect(o).toBeInstanceOf(WorkqueueError.InvalidDelay)
    expect(result).toMatchObject({ pendingAfterRefusals: false, modded: false, armed: "None", ranAt: 0, zero: true })
  })

  describe("a policy never picks a barrier ahead of its target", () => {
    const anonymousFirst = Policy.priority((work) => (work.name === undefined ? 1 : 0))
    it("Work.flush returns only after its target ran, under a policy that ranks anonymous items first", () => {
      const result = runVirtualSync(
        Effect.gen(function*() {
          const wq = yield* Workqueue.alloc("wq")
          let ran = false
          const target = Work.make(
            Effect.zipRight(
              Effect.sleep(10),
              Effect.sync(() => {
                ran = true
              })
            ),
            { name: "target" }
          )
          // queue and flush in one step: the barrier sits behind the target on the worklist
          const waited = yield* Effect.suspend(() => {
            Workqueue.unsafeQueue(wq, target)
            return Work.flush(target)
          })
          const ranAtReturn = ran
          yield* Workqueue.drain(wq)
          return { waited, ranAtReturn }
        }),
        { policy: anonymousFirst, cpus: 1 }
      )
      expect(result).toEqual({ waited: true, ranAtReturn: true })
    })

    it("a barrier whose target was cancelled still runs under such a policy", () => {
      const exit = runVirtual(
        Effect.gen(function*() {
          const wq = yield* Workqueue.alloc("wq", { maxActive: 1 })
          yield* Workqueue.queue(wq, Work.make(Effect.sleep(5), { name: "blocker" }))
          const target = Work.make(Effect.void, { name: "target" })
          yield* Workqueue.queue(wq, target) // held back
          const flushing = yield* Effect.fork(Work.flush(target))
          yield* Effect.yieldNow()
          yield* Work.cancel(target) // its barrier goes to the worklist alone
          const waited = yield* Fiber.join(flushing)
          yield* Workqueue.drain(wq)
          return waited
        }),
        { policy: Policy.priority(() => 0), cpus: 1 }
      )
      expect(outcomeOf(exit)).toBe("ok")
    })
  })

  for (const op of ["cancel", "disableSync"] as const) {
    it(`a ${op} that frees a max_active slot wakes a worker for the item it activates (G26)`, () => {
      const result = runVirtualSync(Effect.gen(function*() {
        const wq = yield* Workqueue.alloc("u", { flags: ["UNBOUND"], maxActive: 2 })
        const a = Work.make(Effect.sleep(5), { name: "a" })
        let started = -1
        const b = Work.make(
          Effect.map(now, (t) => {
            started = t
          }),
          { name: "b" }
        )
        yield* Workqueue.queue(wq, a) // runs 0..5
        yield* Effect.sleep(1)
        yield* Workqueue.queue(wq, a) // pending behind its running instance: the second slot
        yield* Workqueue.queue(wq, b) // held back by max_active
        yield* Effect.sleep(1)
        // the grab frees a slot and activates b, with two idle workers and none running
        const grabbed = op === "cancel" ? yield* Work.cancel(a) : yield* Work.disableSync(a)
        yield* Workqueue.flush(wq)
        return { grabbed, started }
      }))
      expect(result).toEqual({ grabbed: true, started: 2 })
    })
  }

  it("drain returns at its end: an outside queue made after the drain ended finds the drain returned (G16)", () => {
    const result = runVirtualSync(Effect.gen(function*() {
      const wq = yield* Workqueue.alloc("wq")
      const w = Work.make(Effect.sleep(1), { name: "w" })
      let pendingAtReturn = -1
      // the drain of an empty workqueue ends (DRAINING cleared) at once; it used to return only after its
      // stall reporter had been interrupted and had exited, and the queue below ran in between
      const drainer = yield* Effect.fork(
        Effect.flatMap(Workqueue.drain(wq), () => Effect.map(Workqueue.pendingCount(wq), (n) => (pendingAtReturn = n)))
      )
      const queuer = yield* Effect.fork(Workqueue.queue(wq, w))
      yield* Fiber.join(drainer)
      const queued = yield* Fiber.join(queuer)
      yield* Workqueue.drain(wq)
      return { pendingAtReturn, queued }
    }))
    expect(result).toEqual({ pendingAtReturn: 0, queued: true })
  })

  it("cancelSync on an ordered workqueue waits for an instance still running on the pwq an applyAttrs replaced (G17)", () => {
    const result = runVirtualSync(
      Effect.gen(function*() {
        const wq = yield* Workqueue.allocOrdered("o")
        let ended = -1
        const w = Work.make(Effect.zipRight(Effect.sleep(10), Effect.map(now, (t) => (ended = t))), { name: "w" })
        yield* Workqueue.queue(wq, w) // runs 0..10 on the first pwq's pool
        yield* Effect.sleep(1)
        yield* Workqueue.applyAttrs(wq, { cpumask: [1] }) // a new pwq, on another pool
        // an ordered workqueue queues on its newest pwq (no last-pool redirect): pending there
        const queued = yield* Workqueue.queue(wq, w)
        const cancelled = yield* Work.cancelSync(w)
        const returnedAt = yield* now
        yield* Workqueue.drain(wq)
        return { queued, cancelled, returnedAt, ended }
      }),
      { cpus: 3 }
    )
    expect(result).toEqual({ queued: true, cancelled: true, returnedAt: 10, ended: 10 })
  })
})
