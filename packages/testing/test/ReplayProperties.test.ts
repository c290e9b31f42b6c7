/**
 * Properties of the recorder and of replay, over generated scenarios (every
 * flag, burn and sleep steps), each run in the Simulation with a recorder
 * attached, under virtual time:
 *
 * 1. A round trip keeps what a recording can know. `Replay.toScenario`
 *    gives one work per scenario work, with its workqueue and queue time;
 *    its sleep steps are the scenario's, in order, and its burns add up to
 *    at least the scenario's (a recorded burn also holds the time the item
 *    waited for its CPU). Replayed, its starts come in the recorded order on
 *    every workqueue, and no item starts earlier than recorded.
 * 2. The ring buffer keeps the newest events. With capacity C, the
 *    recording holds the last C events of an unbounded one, in order, and
 *    counts the rest as dropped; `toScenario` accounts for every queueing
 *    it sees (converted, truncated or unfinished).
 * 3. A what-if applies. Replayed with max_active 1 on a per-CPU workqueue,
 *    no two of that workqueue's items run at once on one CPU.
 *
 * The mutants each property kills are listed in
 * `packages/core/test/properties/MUTANTS.md` ("Recorder and replay").
 */
import { describe, expect, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import fc from "fast-check"
import { Recorder } from "@cmwq/core"
import { Arbitraries, Replay, type Scenario, Simulation, type Trace } from "@cmwq/testing"

const scenarios = Arbitraries.scenario({
  flags: ["HIGHPRI", "CPU_INTENSIVE", "UNBOUND", "ORDERED", "MEM_RECLAIM", "FREEZABLE"],
  works: { min: 1, max: 8 }
})

/** run a scenario with a recorder of `capacity` events; the recording and the run */
const recorded = (scenario: Scenario.Scenario, capacity = 100_000) => {
  const recorder = Effect.runSync(Recorder.make({ capacity }))
  const detailed = Effect.runSync(Simulation.runDetailed(scenario, { recorder }))
  return { recording: Effect.runSync(recorder.snapshot), detailed }
}

const sleeps = (steps: ReadonlyArray<Scenario.Step>) => steps.flatMap((s) => ("sleep" in s ? [s.sleep] : []))
const burnTotal = (steps: ReadonlyArray<Scenario.Step>) => steps.reduce((a, s) => a + ("burn" in s ? s.burn : 0), 0)

/** the first time each work had `event` in a trace */
const firstTime = (trace: Trace.Trace, event: "start" | "finish") => {
  const m = new Map<string, number>()
  for (const e of trace) if (e.event === event && !m.has(e.work)) m.set(e.work, e.t)
  return m
}

describe("recorder and replay: properties", () => {
  it("a round trip keeps the workqueue, queue time and sleeps of every item, and the order of starts", () => {
    fc.assert(
      fc.property(scenarios, (scenario) => {
        const { detailed, recording } = recorded(scenario)
        const converted = Replay.toScenario(recording)
        expect(converted.skipped).toEqual({ truncated: 0, unfinished: 0 })
        expect(converted.scenario.works.map((w) => w.name).sort()).toEqual(
          detailed.scenario.works.map((w) => w.name).sort()
        )
        const t0 = Math.min(...detailed.scenario.works.map((w) => w.at ?? 0))
        for (const original of detailed.scenario.works) {
          const work = converted.scenario.works.find((w) => w.name === original.name)!
          expect(work.workqueue, work.name).toBe(original.workqueue)
          expect(work.at, work.name).toBe((original.at ?? 0) - t0)
          expect(sleeps(work.steps), work.name).toEqual(sleeps(original.steps))
          expect(burnTotal(work.steps), work.name).toBeGreaterThanOrEqual(burnTotal(original.steps) - 1e-9)
        }
        const trace = Effect.runSync(Simulation.run(converted.scenario))
        const comparison = Replay.compare(converted, trace)
        for (const wq of comparison.workqueues) expect(wq.replayed, wq.name).toEqual(wq.recorded)
        const starts = firstTime(trace, "start")
        for (const r of converted.recorded) expect(starts.get(r.name)!, r.name).toBeGreaterThanOrEqual(r.started)
      }),
      { seed: 0x5e0, numRuns: 120 }
    )
  })

  it("a bounded recording is the newest `capacity` events of an unbounded one; toScenario accounts for each queueing", () => {
    fc.assert(
      fc.property(scenarios, fc.nat(), (scenario, n) => {
        const full = recorded(scenario).recording
        // 1 up to two more than the events: wrapped rings, and rings that never fill
        const capacity = 1 + (n % (full.events.length + 2))
        const { recording } = recorded(scenario, capacity)
        const kept = Math.min(capacity, full.events.length)
        expect(recording.events).toEqual(full.events.slice(full.events.length - kept))
        expect(recording.dropped).toBe(full.events.length - kept)
        const converted = Replay.toScenario(recording)
        const ids = new Set(recording.events.map((e) => e.id).filter((id) => id >= 0))
        expect(converted.scenario.works.length + converted.skipped.truncated + converted.skipped.unfinished).toBe(
          ids.size
        )
      }),
      { seed: 0x5e1, numRuns: 120 }
    )
  })

  it("replayed with max_active 1 on a per-CPU workqueue, its items never overlap on one CPU", () => {
    let overlappedBefore = 0
    fc.assert(
      fc.property(scenarios, fc.nat(), (scenario, pick) => {
        const { recording } = recorded(scenario)
        const converted = Replay.toScenario(recording)
        const perCpu = converted.scenario.workqueues.filter((wq) =>
          !(wq.flags ?? []).includes("UNBOUND") && !(wq.flags ?? []).includes("ORDERED")
        )
        if (perCpu.length === 0) return
        const target = perCpu[pick % perCpu.length]!.name
        const overlaps = (trace: Trace.Trace) => {
          const running = new Map<number, number>() // cpu -> items of `target` running on it
          let overlap = false
          for (const e of trace) {
            const work = converted.scenario.works.find((w) => w.name === e.work)
            if (work?.workqueue !== target) continue
            if (e.event === "start") {
              const n = (running.get(e.cpu) ?? 0) + 1
              running.set(e.cpu, n)
              if (n > 1) overlap = true
            } else if (e.event === "finish") running.set(e.cpu, running.get(e.cpu)! - 1)
          }
          return overlap
        }
        if (overlaps(Effect.runSync(Simulation.run(converted.scenario)))) overlappedBefore++
        const changed = Effect.runSync(Replay.applyOverrides(converted.scenario, { maxActive: { [target]: 1 } }))
        expect(overlaps(Effect.runSync(Simulation.run(changed))), target).toBe(false)
      }),
      { seed: 0x5e2, numRuns: 120 }
    )
    // the override had something to change
    expect(overlappedBefore).toBeGreaterThan(5)
  })
})
