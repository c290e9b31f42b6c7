/**
 * Each checker on small hand-written traces and records: one that passes and
 * one that fails naming the right event. Then, on real runs, why the checks
 * are exactly as strict as they are.
 */
import { describe, expect, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import { FlushColor, Policy, type WorkerPool, type Workqueue } from "@cmwq/core"
import { Invariants, type Scenario, Simulation, type Trace } from "@cmwq/testing"

// -----------------------------------------------------------------------------
// builders for hand-written runs
// -----------------------------------------------------------------------------

const ev = (t: number, work: string, event: Trace.EventKind, worker = 1, cpu = 0): Trace.Event => ({
  t,
  cpu,
  worker: event === "queue" ? -1 : worker,
  work,
  event
})

const scenarioOf = (
  workqueues: Scenario.Scenario["workqueues"],
  works: ReadonlyArray<string | { readonly name: string; readonly workqueue: string; readonly at?: number }>,
  cpus = 2
): Scenario.Scenario => ({
  cpus,
  workqueues,
  works: works.map((
    w
  ) => (typeof w === "string" ? { name: w, workqueue: workqueues[0]!.name, steps: [] } : { ...w, steps: [] }))
})

const detailed = (
  scenario: Scenario.Scenario,
  parts: Partial<Pick<Simulation.Detailed, "trace" | "starts" | "quiescent">>
): Simulation.Detailed => ({ trace: [], starts: [], quiescent: [], ...parts, scenario })

const pool = (fields: Partial<WorkerPool.PoolSnapshot>): WorkerPool.PoolSnapshot => ({
  id: 0,
  name: "cpu0",
  cpu: 0,
  highpri: false,
  bh: false,
  workers: 2,
  idle: 1,
  running: 0,
  pending: 0,
  busy: 0,
  ...fields
})

const link = (fields: Partial<Workqueue.LinkState>): Workqueue.LinkState => ({
  poolId: 0,
  pool: "cpu0",
  active: 0,
  inactive: 0,
  inFlight: [],
  flushColor: FlushColor.noColor,
  ...fields
})

const wqState = (name: string, maxActive: number, links: ReadonlyArray<Workqueue.LinkState>) => ({
  name,
  state: {
    workColor: FlushColor.noColor,
    flushColor: FlushColor.noColor,
    flushers: 0,
    maxActive,
    links
  } satisfies Workqueue.State
})

const quiescent = (
  t: number,
  pools: ReadonlyArray<WorkerPool.PoolSnapshot>,
  workqueues: Simulation.QuiescentRecord["workqueues"] = []
): Simulation.QuiescentRecord => ({ t, pools, workqueues, cpuBusy: [false, false] })

const start = (fields: Partial<Simulation.StartRecord>): Simulation.StartRecord => ({
  t: 0,
  work: "w0",
  workqueue: "q0",
  worker: 1,
  pool: 0,
  cpu: 0,
  running: 1,
  continued: false,
  ...fields
})

/** the violation of a check, or undefined if it passes */
const violation = (check: Effect.Effect<void, Invariants.InvariantViolation>) => {
  const result = Effect.runSync(Effect.either(check))
  return Either.isLeft(result) ? result.left : undefined
}

// -----------------------------------------------------------------------------

describe("Invariants", () => {
  describe("nonReentrancy", () => {
    it("passes when a work runs again only after its previous run finished", () => {
      const trace = [
        ev(0, "w0", "queue"),
        ev(0, "w0", "start", 1),
        ev(5, "w0", "finish", 1),
        ev(5, "w0", "queue"),
        ev(6, "w0", "start", 2, 1),
        ev(9, "w0", "finish", 2, 1)
      ]
      expect(violation(Invariants.nonReentrancy({ trace }))).toBeUndefined()
    })

    it("names the start that overlaps a run still going on another worker", () => {
      const trace = [
        ev(0, "w0", "start", 1, 0),
        ev(2, "w1", "start", 3, 0),
        ev(3, "w0", "sleep", 1, 0),
        ev(4, "w0", "start", 2, 1),
        ev(9, "w0", "finish", 1, 0)
      ]
      const v = violation(Invariants.nonReentrancy({ trace }))
      expect(v?._tag).toBe("InvariantViolation")
      expect(v?.invariant).toBe("nonReentrancy")
      expect(v?.event).toBe(trace[3])
      expect(v?.message).toContain("w0 starts at 4 on worker 2 (cpu 1) while its run started at 0 on worker 1")
    })
  })

  describe("orderedOrder", () => {
    const scenario = scenarioOf([{ name: "q0", flags: ["ORDERED"] }, { name: "q1" }], [
      "w0",
      "w1",
      { name: "x0", workqueue: "q1" },
      { name: "x1", workqueue: "q1" }
    ])

    it("passes when an ordered workqueue runs its items one at a time in queue order", () => {
      const trace = [
        ev(0, "w0", "queue"),
        ev(0, "w1", "queue"),
        ev(0, "x0", "queue"),
        ev(0, "x1", "queue"),
        ev(0, "w0", "start", 1),
        ev(0, "x1", "start", 2), // q1 is not ordered: any order, overlapping
        ev(0, "x0", "start", 3),
        ev(5, "w0", "finish", 1),
        ev(5, "w1", "start", 1),
        ev(6, "w1", "finish", 1),
        ev(7, "x0", "finish", 3),
        ev(8, "x1", "finish", 2)
      ]
      expect(violation(Invariants.orderedOrder({ trace, scenario }))).toBeUndefined()
    })

    it("names the start that jumps the queue", () => {
      const trace = [ev(0, "w0", "queue"), ev(0, "w1", "queue"), ev(0, "w1", "start"), ev(1, "w1", "finish")]
      const v = violation(Invariants.orderedOrder({ trace, scenario }))
      expect(v?.event).toBe(trace[2])
      expect(v?.message).toBe("w1 starts 1st at 0 on ordered workqueue q0, but w0 was queued 1st")
    })

    it("names the start that overlaps the item still running", () => {
      const trace = [
        ev(0, "w0", "queue"),
        ev(0, "w1", "queue"),
        ev(0, "w0", "start", 1),
        ev(1, "w0", "sleep", 1),
        ev(1, "w1", "start", 2),
        ev(4, "w0", "finish", 1)
      ]
      const v = violation(Invariants.orderedOrder({ trace, scenario }))
      expect(v?.invariant).toBe("orderedOrder")
      expect(v?.event).toBe(trace[4])
      expect(v?.message).toContain("while w0 (started at 0) has not finished")
    })
  })

  describe("maxActive", () => {
    const overlapping = (cpus: ReadonlyArray<number>) =>
      cpus.map((cpu, i) => ev(i, `w${i}`, "start", i + 1, cpu)).concat(
        cpus.map((cpu, i) => ev(10 + i, `w${i}`, "finish", i + 1, cpu))
      )

    it("counts a per-cpu workqueue per CPU", () => {
      const scenario = scenarioOf([{ name: "q0", maxActive: 2 }], ["w0", "w1", "w2"])
      expect(violation(Invariants.maxActive({ trace: overlapping([0, 1, 0]), scenario }))).toBeUndefined()
      const trace = overlapping([0, 0, 0])
      const v = violation(Invariants.maxActive({ trace, scenario }))
      expect(v?.event).toBe(trace[2])
      expect(v?.message).toBe(
        "w2 starts at 2: 3 items of workqueue q0 on cpu 0 run at once (w0, w1, w2), above its maxActive 2"
      )
    })

    it("counts an unbound workqueue across CPUs", () => {
      const scenario = scenarioOf([{ name: "q0", flags: ["UNBOUND"], maxActive: 2 }], ["w0", "w1", "w2"])
      const trace = overlapping([0, 1, 0])
      const v = violation(Invariants.maxActive({ trace, scenario }))
      expect(v?.event).toBe(trace[2])
      expect(v?.message).toContain("3 items of workqueue q0 run at once")
    })

    it("reads maxActive 0 as 1024, and ordered as 1", () => {
      expect(
        violation(
          Invariants.maxActive({
            trace: overlapping([0, 0, 0]),
            scenario: scenarioOf([{ name: "q0" }], ["w0", "w1", "w2"])
          })
        )
      ).toBeUndefined()
      const ordered = scenarioOf([{ name: "q0", flags: ["ORDERED"] }], ["w0", "w1"])
      expect(violation(Invariants.maxActive({ trace: overlapping([0, 1]), scenario: ordered }))?.message).toContain(
        "above its maxActive 1"
      )
    })

    it("checks the engine's active counts at quiescent points", () => {
      const scenario = scenarioOf([{ name: "q0", maxActive: 2 }], ["w0"])
      const fine = quiescent(3, [pool({})], [wqState("q0", 2, [link({ active: 2, inactive: 4 })])])
      const over = quiescent(7, [pool({})], [wqState("q0", 2, [link({ active: 3 })])])
      expect(violation(Invariants.maxActive({ trace: [], scenario, quiescent: [fine] }))).toBeUndefined()
      const v = violation(Invariants.maxActive({ trace: [], scenario, quiescent: [fine, over] }))
      expect(v?.event).toBe(over)
      expect(v?.message).toBe("at 7 workqueue q0 has 3 active items on pool cpu0, above its maxActive 2")
    })
  })

  describe("forwardProgress", () => {
    const scenario = scenarioOf([{ name: "q0" }], ["w0", "w1", { name: "w2", workqueue: "q0", at: 9 }])

    it("passes when every work is queued, starts and finishes", () => {
      const trace = ["w0", "w1", "w2"].flatMap((w, i) => [ev(i, w, "queue"), ev(i, w, "start"), ev(i + 1, w, "finish")])
      expect(violation(Invariants.forwardProgress({ trace, scenario }))).toBeUndefined()
    })

    it("names the earliest item left behind", () => {
      const trace = [
        ev(0, "w0", "queue"),
        ev(1, "w1", "queue"),
        ev(2, "w1", "start"),
        ev(9, "w2", "queue"),
        ev(9, "w2", "start"),
        ev(10, "w2", "finish")
      ]
      // w0 never starts (queued at 0), w1 never finishes (started at 2): w0 is the earliest
      const v = violation(Invariants.forwardProgress({ trace, scenario }))
      expect(v?.invariant).toBe("forwardProgress")
      expect(v?.event).toBe(trace[0])
      expect(v?.message).toBe("w0 was queued at 0 and never started")
      const v2 = violation(Invariants.forwardProgress({ trace: trace.slice(1), scenario }))
      expect(v2?.event).toBe(scenario.works[0])
      expect(v2?.message).toBe("w0 was never queued (it should have been at 0)")
      const v3 = violation(
        Invariants.forwardProgress({
          trace: [ev(0, "w0", "queue"), ev(0, "w0", "start"), ev(1, "w0", "finish"), ...trace.slice(1)],
          scenario
        })
      )
      expect(v3?.event).toEqual(ev(2, "w1", "start"))
      expect(v3?.message).toBe("w1 started at 2 on worker 1 and never finished")
    })

    it("names a run that was never queued", () => {
      const trace = [ev(0, "w0", "queue"), ev(0, "w0", "start"), ev(1, "w0", "finish"), ev(1, "w0", "start")]
      const v = violation(Invariants.forwardProgress({ trace, scenario: scenarioOf([{ name: "q0" }], ["w0"]) }))
      expect(v?.event).toBe(trace[3])
      expect(v?.message).toBe("w0 starts at 1 but was queued only 1 time(s) before")
    })
  })

  describe("workConservation", () => {
    const scenario = scenarioOf([{ name: "q0", maxActive: 2 }, { name: "u0", flags: ["UNBOUND"], maxActive: 3 }], [])

    it("passes while every pool with pending items has a running worker and holding back is at maxActive", () => {
      const records = [
        quiescent(0, [pool({ pending: 3, running: 1, busy: 1 }), pool({ id: 4, name: "unbound4", cpu: -1 })], [
          wqState("q0", 2, [link({ active: 2, inactive: 5 }), link({ poolId: 5, pool: "cpu1", active: 0 })]),
          wqState("u0", 3, [link({ poolId: 4, pool: "unbound4", active: 3, inactive: 1 })])
        ])
      ]
      expect(violation(Invariants.workConservation({ quiescent: records, scenario }))).toBeUndefined()
    })

    it("names the point where a pool has pending items and no running worker", () => {
      const ok = quiescent(0, [pool({ pending: 1, running: 1 })])
      const stalled = quiescent(5, [pool({ pending: 2, running: 0, busy: 1, idle: 0 })])
      const v = violation(Invariants.workConservation({ quiescent: [ok, stalled], scenario }))
      expect(v?.invariant).toBe("workConservation")
      expect(v?.event).toBe(stalled)
      expect(v?.message).toBe(
        "at 5 pool cpu0 has 2 pending item(s) and no running worker (2 workers, 0 idle, cpu 0 idle)"
      )
    })

    it("names an unbound pool with pending items", () => {
      const stalled = quiescent(1, [pool({ id: 4, name: "unbound4", cpu: -1, pending: 1 })])
      expect(violation(Invariants.workConservation({ quiescent: [stalled], scenario }))?.message).toContain(
        "unbound pool unbound4 has 1 pending item(s)"
      )
    })

    it("names a workqueue that holds items back below maxActive", () => {
      const bound = quiescent(2, [pool({})], [wqState("q0", 2, [link({ active: 1, inactive: 1 })])])
      expect(violation(Invariants.workConservation({ quiescent: [bound], scenario }))?.message).toBe(
        "at 2 workqueue q0 holds back 1 item(s) on pool cpu0 with only 1 active (maxActive 2)"
      )
      const unbound = quiescent(3, [pool({})], [
        wqState("u0", 3, [link({ poolId: 4, pool: "unbound4", active: 2, inactive: 1 })])
      ])
      const v = violation(Invariants.workConservation({ quiescent: [unbound], scenario }))
      expect(v?.event).toBe(unbound)
      expect(v?.message).toBe("at 3 workqueue u0 holds back 1 item(s) with only 2 active (maxActive 3)")
    })
  })

  describe("minimalConcurrency", () => {
    const scenario = scenarioOf([{ name: "q0" }, { name: "ci", flags: ["CPU_INTENSIVE"] }, {
      name: "u0",
      flags: ["UNBOUND"]
    }], [])

    it("passes when each pickup finds only the picking worker running", () => {
      const starts = [
        start({ running: 1 }),
        start({ t: 5, work: "w1", running: 1, continued: true }),
        start({ t: 5, work: "c0", workqueue: "ci", running: 0 }),
        start({ t: 6, work: "u", workqueue: "u0", cpu: -1, pool: 9, running: 0 }),
        start({ t: 6, work: "u2", workqueue: "u0", cpu: -1, pool: 9, running: 4 }) // unbound: not managed
      ]
      expect(violation(Invariants.minimalConcurrency({ starts, scenario }))).toBeUndefined()
    })

    it("names a pickup by a worker that finished an item while another worker runs", () => {
      const starts = [start({}), start({ t: 3, work: "w2", worker: 4, running: 2, continued: true })]
      const v = violation(Invariants.minimalConcurrency({ starts, scenario }))
      expect(v?.event).toBe(starts[1])
      expect(v?.message).toBe(
        "w2 starts at 3 on worker 4 of the cpu 0 pool 0 while 1 other worker(s) of the pool are running: " +
          "it took the item after finishing one (keep_working allows that only while nr_running <= 1)"
      )
    })

    it("counts a CPU-intensive pickup without the picking worker", () => {
      const starts = [start({ work: "c0", workqueue: "ci", running: 1 })]
      const v = violation(Invariants.minimalConcurrency({ starts, scenario }))
      expect(v?.event).toBe(starts[0])
      expect(v?.message).toContain("need_more_worker allows that only while nr_running == 0")
    })
  })

  describe("checkers for runners without simulated CPUs", () => {
    const at = (e: Trace.Event, fields: Partial<Trace.Event>): Trace.Event => ({ ...e, ...fields })

    it("pendingBit names a queue that saw the bit set, or a refusal that saw it clear", () => {
      const ok = [at(ev(0, "w0", "queue"), { pending: false }), at(ev(0, "w0", "reject"), { pending: true })]
      expect(violation(Invariants.pendingBit({ trace: ok }))).toBeUndefined()
      const queued = [at(ev(0, "w0", "queue"), { pending: true })]
      expect(violation(Invariants.pendingBit({ trace: queued }))?.event).toBe(queued[0])
      const refused = [at(ev(0, "w0", "reject"), { pending: false })]
      expect(violation(Invariants.pendingBit({ trace: refused }))?.message).toContain("not pending")
      const unknown = [ev(0, "w0", "reject")]
      expect(violation(Invariants.pendingBit({ trace: unknown }))?.invariant).toBe("pendingBit")
    })

    it("exactlyOnce names an extra run, an extra finish, a queue that never ran and a run that never finished", () => {
      const ok = [ev(0, "w0", "queue"), ev(0, "w0", "start"), ev(1, "w0", "finish"), ev(0, "w1", "reject")]
      expect(violation(Invariants.exactlyOnce({ trace: ok }))).toBeUndefined()
      const extra = [...ok, ev(2, "w0", "start")]
      expect(violation(Invariants.exactlyOnce({ trace: extra }))?.event).toBe(extra[4])
      const extraFinish = [...ok, ev(2, "w0", "finish")]
      expect(violation(Invariants.exactlyOnce({ trace: extraFinish }))?.event).toBe(extraFinish[4])
      const lost = [ev(0, "w0", "queue"), ev(0, "w1", "queue"), ev(1, "w1", "start")]
      expect(violation(Invariants.exactlyOnce({ trace: lost }))?.event).toBe(lost[0])
      const open = [ev(0, "w1", "queue"), ev(1, "w1", "start")]
      expect(violation(Invariants.exactlyOnce({ trace: open }))?.message).toContain("never finished")
    })

    it("requeueSamePool names a queue while running whose next run is elsewhere or missing", () => {
      const base = [
        at(ev(0, "w0", "start", 1), { pool: 0 }),
        at(ev(1, "w0", "queue"), { from: "w0" }),
        ev(2, "w0", "finish")
      ]
      const ok = [...base, at(ev(2, "w0", "start", 1), { pool: 0 }), ev(3, "w0", "finish")]
      expect(violation(Invariants.requeueSamePool({ trace: ok }))).toBeUndefined()
      const moved = [...base, at(ev(2, "w0", "start", 2, 1), { pool: 2 })]
      expect(violation(Invariants.requeueSamePool({ trace: moved }))?.event).toBe(base[1])
      expect(violation(Invariants.requeueSamePool({ trace: base }))?.message).toContain("never ran again")
    })

    it("oneRunPerPool and oneWorkerPerPool name the second run and the second worker of a pool", () => {
      const serial = [
        at(ev(0, "w0", "start", 1), { pool: 0 }),
        ev(1, "w0", "finish", 1),
        at(ev(1, "w1", "start", 1), { pool: 0 }),
        at(ev(1, "w2", "start", 2, 1), { pool: 2 })
      ]
      expect(violation(Invariants.oneRunPerPool({ trace: serial }))).toBeUndefined()
      expect(violation(Invariants.oneWorkerPerPool({ trace: serial }))).toBeUndefined()
      const overlap = [at(ev(0, "w0", "start", 1), { pool: 0 }), at(ev(0, "w1", "start", 2), { pool: 0 })]
      expect(violation(Invariants.oneRunPerPool({ trace: overlap }))?.event).toBe(overlap[1])
      const second = [...serial.slice(0, 2), at(ev(1, "w1", "start", 3), { pool: 0 })]
      expect(violation(Invariants.oneWorkerPerPool({ trace: second }))?.event).toBe(second[2])
    })

    it("strictWorkConservation names any pending item, and a hold-back below either limit", () => {
      const sc = scenarioOf([{ name: "q0", maxActive: 2 }], ["w0"])
      const calm = detailed(sc, {
        quiescent: [quiescent(0, [pool({})], [wqState("q0", 2, [link({ active: 2, inactive: 1 })])])]
      })
      expect(violation(Invariants.strictWorkConservation(calm))).toBeUndefined()
      const pending = detailed(sc, { quiescent: [quiescent(3, [pool({ pending: 1, running: 1 })])] })
      expect(violation(Invariants.strictWorkConservation(pending))?.message).toContain("at 3 pool cpu0 has 1 pending")
      const engine = detailed(sc, {
        quiescent: [quiescent(4, [pool({})], [wqState("q0", 3, [link({ active: 2, inactive: 1 })])])]
      })
      expect(violation(Invariants.strictWorkConservation(engine))?.message).toContain("maxActive 3")
    })

    it("flushColors names a negative in-flight count", () => {
      const sc = scenarioOf([{ name: "q0" }], ["w0"])
      const fine = detailed(sc, {
        quiescent: [quiescent(0, [pool({})], [wqState("q0", 1, [link({ inFlight: [0, 1] })])])]
      })
      expect(violation(Invariants.flushColors(fine))).toBeUndefined()
      const bad = detailed(sc, {
        quiescent: [quiescent(2, [pool({})], [wqState("q0", 1, [link({ inFlight: [0, -1] })])])]
      })
      expect(violation(Invariants.flushColors(bad))?.event).toBe(bad.quiescent[0])
    })

    it("highpriFirst names a high-priority work overtaken twice on its CPU, or never started", () => {
      const sc = scenarioOf([{ name: "normal" }, { name: "urgent", flags: ["HIGHPRI"] }], [
        "n0",
        "n1",
        { name: "h0", workqueue: "urgent" }
      ])
      const once = [ev(0, "h0", "queue"), ev(0, "n0", "start"), ev(0, "n1", "start", 2, 1), ev(0, "h0", "start", 3)]
      expect(violation(Invariants.highpriFirst({ trace: once, scenario: sc }))).toBeUndefined()
      const twice = [ev(0, "h0", "queue"), ev(0, "n0", "start"), ev(0, "n1", "start"), ev(0, "h0", "start", 3)]
      expect(violation(Invariants.highpriFirst({ trace: twice, scenario: sc }))?.event).toBe(twice[0])
      const never = [ev(0, "h0", "queue")]
      expect(violation(Invariants.highpriFirst({ trace: never, scenario: sc }))?.message).toContain("never started")
    })
  })

  describe("all, safety, concurrencyManagement", () => {
    const tableC = {
      cpus: 1,
      workqueues: [{ name: "q0", maxActive: 2 }],
      works: [
        { name: "w0", workqueue: "q0", steps: [{ burn: 5 }, { sleep: 10 }, { burn: 5 }] },
        { name: "w1", workqueue: "q0", steps: [{ burn: 5 }, { sleep: 10 }] },
        { name: "w2", workqueue: "q0", steps: [{ burn: 5 }, { sleep: 10 }] }
      ]
    }

    it.effect("the documentation's Table C keeps every invariant", () =>
      Effect.gen(function*() {
        const run = yield* Simulation.runDetailed(tableC)
        yield* Invariants.all(run)
      }))

    it("the pre-cmwq Table A keeps the safety invariants and fails work conservation", () => {
      const run = Effect.runSync(Simulation.runDetailed(tableC, { policy: Policy.legacy }))
      expect(violation(Invariants.safety(run))).toBeUndefined()
      const v = violation(Invariants.concurrencyManagement(run))
      expect(v?.invariant).toBe("workConservation")
      // w0 sleeps at 5 and the dedicated worker waits for it: the CPU idles with w1 pending
      expect(v?.message).toBe(
        "at 5 pool cpu0 has 1 pending item(s) and no running worker (1 workers, 0 idle, cpu 0 idle)"
      )
    })

    it("every fails with the first checker's violation", () => {
      const scenario = scenarioOf([{ name: "q0", flags: ["ORDERED"] }], ["w0", "w1"])
      const trace = [ev(0, "w1", "start"), ev(0, "w0", "start")]
      const run = detailed(scenario, { trace })
      expect(violation(Invariants.every(Invariants.forwardProgress, Invariants.orderedOrder)(run))?.invariant).toBe(
        "forwardProgress"
      )
      expect(violation(Invariants.every(Invariants.orderedOrder, Invariants.forwardProgress)(run))?.invariant).toBe(
        "orderedOrder"
      )
    })
  })

  describe("how strict the checks are, on real runs", () => {
    it("work conservation is not \"no pool ever has pending items\": a busy CPU keeps items pending", () => {
      // two CPU-bound items on one CPU: w1 waits on the worklist while w0 burns
      const run = Effect.runSync(Simulation.runDetailed({
        cpus: 1,
        workqueues: [{ name: "q0" }],
        works: [{ name: "w0", workqueue: "q0", steps: [{ burn: 5 }] }, {
          name: "w1",
          workqueue: "q0",
          steps: [{ burn: 5 }]
        }]
      }))
      const at0 = run.quiescent.find((q) => q.t === 0)!
      expect(at0.pools[0]).toMatchObject({ pending: 1, running: 1 })
      expect(at0.cpuBusy[0]).toBe(true)
      expect(violation(Invariants.workConservation(run))).toBeUndefined()
    })

    it("minimal concurrency does not excuse a worker that continued: keep_working needs nr_running <= 1 too", () => {
      // a keep_working that ignores nr_running: the continuing worker's record has continued = true and
      // running = 2, which "running <= 1 || continued" would accept
      const greedy = Policy.make({ name: "greedy", keepWorking: () => true })
      const run = Effect.runSync(Simulation.runDetailed({
        cpus: 1,
        workqueues: [{ name: "q0" }],
        works: [
          { name: "w0", workqueue: "q0", steps: [{ sleep: 1 }, { burn: 1 }] },
          { name: "w1", workqueue: "q0", steps: [{ burn: 1 }] },
          { name: "w2", workqueue: "q0", steps: [{ burn: 1 }] }
        ]
      }, { policy: greedy }))
      const v = violation(Invariants.minimalConcurrency(run))
      expect(v?.event).toMatchObject({ work: "w2", t: 1, running: 2, continued: true })
      expect(violation(Invariants.minimalConcurrency(Effect.runSync(Simulation.runDetailed(run.scenario)))))
        .toBeUndefined()
    })
  })
})
