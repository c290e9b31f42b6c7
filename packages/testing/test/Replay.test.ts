/**
 * Record a demo-like workload on the real pools under virtual time, convert
 * the recording to a scenario, replay it, and ask what-if.
 */
import { describe, expect, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import { Replay, Simulation } from "@cmwq/testing"
import { recordDemo } from "./demoRecording.js"

describe("Replay", () => {
  const recording = recordDemo()
  const converted = Replay.toScenario(recording)

  it("converts a recording to a scenario, inferring burn and sleep steps from the timings", () => {
    expect(converted.skipped).toEqual({ truncated: 0, unfinished: 0 })
    expect(converted.scenario.works.length).toBe(54)
    const io3 = converted.scenario.works.find((w) => w.name === "io3")!
    expect(io3.workqueue).toBe("io")
    // burn 0.5, then the 8 ms timer (the burn before it may include waiting for the thread)
    expect(io3.steps.at(-1)).toEqual({ sleep: 8 })
    expect(converted.scenario.works.find((w) => w.name === "hash0")!.steps).toEqual([{ burn: 1 }])
    expect(converted.scenario.works.find((w) => w.name === "urgent0")!.at).toBe(3)
    expect(converted.scenario.workqueues).toEqual([
      { name: "cpu-bound", flags: ["PERCPU"], maxActive: 1024 },
      { name: "io", flags: ["PERCPU"], maxActive: 16 },
      { name: "ordered", flags: ["UNBOUND", "ORDERED"] },
      { name: "urgent", flags: ["HIGHPRI", "PERCPU"], maxActive: 1024 }
    ])
  })

  it("replayed with no overrides, starts come in the recorded order on every workqueue; time differences are reported", () => {
    const trace = Effect.runSync(Simulation.run(converted.scenario))
    const comparison = Replay.compare(converted, trace)
    for (const wq of comparison.workqueues) expect(wq.replayed, wq.name).toEqual(wq.recorded)
    expect(comparison.sameOrder).toBe(true)
    // the simulated CPU serializes burns the recording overlapped: the replay runs later, never earlier
    const replayedStart = new Map<string, number>()
    for (const e of trace) if (e.event === "start" && !replayedStart.has(e.work)) replayedStart.set(e.work, e.t)
    for (const r of converted.recorded) expect(replayedStart.get(r.name)!, r.name).toBeGreaterThanOrEqual(r.started)
    expect(comparison.startDelta.mean).toBeGreaterThanOrEqual(0)
    expect(comparison.finishDelta.mean).toBeGreaterThanOrEqual(0)
  })

  it("what-if max_active 1 on io: io completes later and its queue-to-start latency rises", () => {
    const report = Effect.runSync(Replay.whatIf(converted.scenario, { maxActive: { io: 1 } }))
    const before = report.asRecorded.workqueues.find((w) => w.name === "io")!
    const after = report.whatIf.workqueues.find((w) => w.name === "io")!
    expect(after.completion).toBeGreaterThan(before.completion)
    expect(after.latencyP99).toBeGreaterThan(before.latencyP99)
    expect(report.whatIf.peakWorkers).toBeLessThan(report.asRecorded.peakWorkers)
    const text = Replay.format(report)
    expect(text).toContain("what-if: max_active io: 16 -> 1")
    expect(text).toMatch(/io: completion \(ms\)\s+\d/)
  })

  it("what-if more CPUs: nothing completes later (the io items' burns no longer wait behind cpu-bound ones)", () => {
    const report = Effect.runSync(Replay.whatIf(converted.scenario, { cpus: 4 }))
    expect(report.whatIf.completion).toBeLessThanOrEqual(report.asRecorded.completion)
    expect(report.changes).toEqual(["cpus: 1 -> 4"])
  })

  it("counts CPU-intensive marks: a 12 ms burn on a normal workqueue, not on a CPU_INTENSIVE one", () => {
    const scenario = {
      cpus: 1,
      workqueues: [{ name: "q" }],
      works: [{ name: "long", workqueue: "q", steps: [{ burn: 12 }] }, {
        name: "short",
        workqueue: "q",
        steps: [{ burn: 2 }]
      }]
    }
    const report = Effect.runSync(Replay.whatIf(scenario, { flags: { q: ["CPU_INTENSIVE"] } }))
    expect(report.asRecorded.cpuIntensive).toBe(1)
    expect(report.whatIf.cpuIntensive).toBe(0)
  })

  it("refuses overrides naming an unknown workqueue or an out-of-range value, and a bad recording", () => {
    const fail = (overrides: Replay.Overrides) => {
      const exit = Effect.runSyncExit(Replay.whatIf(converted.scenario, overrides))
      if (Exit.isSuccess(exit)) throw new Error("expected a failure")
      return String(exit.cause)
    }
    expect(fail({ maxActive: { nope: 3 } })).toContain(`no workqueue named "nope"`)
    expect(fail({ maxActive: { io: 0 } })).toContain(`maxActive override for "io": 0`)
    expect(fail({ cpus: 65 })).toContain("cpus override: 65")
    const bad = Effect.runSyncExit(
      Replay.decodeRecording({ capacity: 1, dropped: 0, cpus: 1, workqueues: [], events: [{}] })
    )
    expect(Exit.isFailure(bad) && String(bad.cause)).toContain("invalid recording")
  })

  it("a truncated recording (small ring buffer) converts the complete queueings and counts the rest", () => {
    const small = Replay.toScenario(recordDemo(180))
    expect(small.skipped.truncated).toBeGreaterThan(0)
    expect(small.scenario.works.length).toBeLessThan(54)
    // the urgent items were queued last: their whole lives are in the buffer
    expect(small.scenario.works.map((w) => w.name)).toEqual(expect.arrayContaining(["urgent0", "urgent3"]))
    expect(Effect.runSync(Simulation.run(small.scenario)).length).toBeGreaterThan(0)
  })
})
