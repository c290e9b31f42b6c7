/**
 * Schedule exploration: the order of things that happen at one virtual
 * instant, seeded (random walk), replayable from its choices, and exhaustive
 * for a small scenario; the engine keeps every invariant under explored
 * schedules.
 */
import { describe, expect, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as fc from "fast-check"
import * as Exit from "effect/Exit"
import { Arbitraries, Invariants, Scenario, Simulation, Trace, VirtualTime } from "@cmwq/testing"

const twoCpus = {
  cpus: 2,
  workqueues: [{ name: "q0", maxActive: 2 }, { name: "q1", flags: ["HIGHPRI" as const] }],
  works: [
    { name: "a", workqueue: "q0", steps: [{ burn: 2 }, { sleep: 3 }, { burn: 1 }] },
    { name: "b", workqueue: "q0", cpu: 1, steps: [{ burn: 2 }, { sleep: 3 }, { burn: 1 }] },
    { name: "c", workqueue: "q0", steps: [{ burn: 1 }] },
    { name: "d", workqueue: "q1", cpu: 1, steps: [{ sleep: 3 }, { burn: 1 }] }
  ]
}

const lines = (schedule?: Simulation.Schedule) =>
  Trace.lines(Effect.runSync(Simulation.run(twoCpus, schedule !== undefined ? { schedule } : {})), { queues: true })

describe("schedule exploration", () => {
  it("no schedule and an empty one give the default order; a run replays from its recorded choices", () => {
    expect(lines({ choices: [] })).toEqual(lines())
    for (const seed of [1, 2, 3, 42]) {
      const detailed = Effect.runSync(Simulation.runDetailed(twoCpus, { schedule: { seed } }))
      expect(detailed.choicePoints!.length).toBeGreaterThan(0)
      const replay = Effect.runSync(
        Simulation.runDetailed(twoCpus, { schedule: { choices: detailed.choicePoints!.map((c) => c.k) } })
      )
      expect(Trace.lines(replay.trace, { queues: true })).toEqual(Trace.lines(detailed.trace, { queues: true }))
    }
  })

  it("seeds explore different orders of same-instant events", () => {
    const distinct = new Set(Array.from({ length: 30 }, (_, seed) => lines({ seed }).join("\n")))
    expect(distinct.size).toBeGreaterThan(1)
  })

  it("exhaustive: a small scenario's every schedule keeps every invariant, and the space is covered", () => {
    const small = {
      cpus: 2,
      workqueues: [{ name: "q0", maxActive: 1 }],
      works: [
        { name: "a", workqueue: "q0", steps: [{ burn: 1 }] },
        { name: "b", workqueue: "q0", cpu: 1, steps: [{ burn: 1 }] }
      ]
    }
    const result = Effect.runSync(Arbitraries.exhaustive(small, Invariants.all, { maxRuns: 3000, maxDeviations: 1 }))
    expect(result.complete).toBe(true)
    expect(result.runs).toBeGreaterThan(1)
  })

  it("property: generated scenarios under drawn schedules keep every invariant", () => {
    fc.assert(
      Arbitraries.propertyWithSchedules(Arbitraries.scenario(), Invariants.all),
      { seed: 1207, numRuns: 40 }
    )
  })

  it("a failure prints the schedule that replays it", () => {
    // a checker that fails whenever b starts before a: only some schedules do that
    const bFirst: Invariants.Checker = (d) => {
      const starts = d.trace.filter((e) => e.event === "start").map((e) => e.work)
      return starts.indexOf("b") < starts.indexOf("a")
        ? Effect.fail(
          new Invariants.InvariantViolation({
            invariant: "test: a starts first",
            event: d.trace.find((e) => e.event === "start" && e.work === "b")!,
            message: "b started before a"
          })
        )
        : Effect.void
    }
    const exit = Effect.runSyncExit(Arbitraries.exhaustive(twoCpus, bFirst, { maxRuns: 3000, maxDeviations: 1 }))
    expect(exit._tag).toBe("Failure")
    const message = String(exit._tag === "Failure" ? exit.cause : "")
    expect(message).toContain("schedule: {\"choices\":[")
    const choices = JSON.parse(/schedule: (\{"choices":\[[0-9,]*\]\})/.exec(message)![1]!) as Simulation.Schedule
    // printed without its trailing default choices: it ends at the last choice that matters
    expect(choices.choices!.length).toBeGreaterThan(0)
    expect(choices.choices!.at(-1)).not.toBe(0)
    const replayed = Effect.runSync(Simulation.run(twoCpus, { schedule: choices }))
    const starts = replayed.filter((e) => e.event === "start").map((e) => e.work)
    expect(starts.indexOf("b")).toBeLessThan(starts.indexOf("a"))
  })

  it("a found schedule shrinks shorter: to the one late choice that fails, no tail, the rest default", () => {
    // a failure that needs one choice late in the run: any choice point from
    // the 6th on that leaves first-in-first-out order
    const late = 5
    const lateChoice: Invariants.Checker = (d) =>
      (d.choicePoints ?? []).some((c, i) => i >= late && c.k !== 0)
        ? Effect.fail(
          new Invariants.InvariantViolation({
            invariant: "test: no late deviation",
            event: d.trace[0]!,
            message: "a choice point from the 6th on left the default order"
          })
        )
        : Effect.void
    for (const seed of [1, 2, 3]) {
      const found = fc.check(Arbitraries.propertyWithSchedules(fc.constant(twoCpus), lateChoice), {
        seed,
        numRuns: 200
      })
      expect(found.failed).toBe(true)
      const choices = found.counterexample![1].choices!
      // the shrunk schedule: 5 default choices, then the one that fails, then nothing
      expect(choices.length).toBe(late + 1)
      expect(choices.slice(0, late).every((k) => k === 0)).toBe(true)
      expect(choices[late]).not.toBe(0)
      // it replays the failure; without its last choice it passes
      const replay = (schedule: Simulation.Schedule) =>
        Effect.runSyncExit(Arbitraries.checkScenario(twoCpus, lateChoice, { schedule }))._tag
      expect(replay({ choices })).toBe("Failure")
      expect(replay({ choices: choices.slice(0, -1) })).toBe("Success")
    }
  })
})

describe("exhaustive exploration inside fast-check", () => {
  it("propertyExhaustive: small generated scenarios keep every invariant under every bounded schedule", () => {
    fc.assert(
      Arbitraries.propertyExhaustive(Arbitraries.scenario({ works: { min: 1, max: 2 } }), Invariants.all, {
        maxRuns: 200,
        maxDeviations: 1
      }),
      { seed: 3, numRuns: 5 }
    )
  })

  it("propertyExhaustive finds an order the default schedule never shows, and names its schedule", () => {
    const pair = {
      cpus: 2,
      workqueues: [{ name: "q0" }],
      works: [
        { name: "a", workqueue: "q0", steps: [{ burn: 1 }] },
        { name: "b", workqueue: "q0", cpu: 1, steps: [{ burn: 1 }] }
      ]
    }
    const aFirst: Invariants.Checker = (d) => {
      const order = d.trace.filter((e) => e.event === "start").map((e) => e.work)
      return order.indexOf("b") < order.indexOf("a")
        ? Effect.fail(
          new Invariants.InvariantViolation({
            invariant: "test: a starts first",
            event: d.trace[0]!,
            message: "b first"
          })
        )
        : Effect.void
    }
    // the default order passes ...
    expect(Effect.runSyncExit(Arbitraries.checkScenario(pair, aFirst))._tag).toBe("Success")
    // ... the exhaustive property does not
    const found = fc.check(Arbitraries.propertyExhaustive(fc.constant(pair), aFirst, { maxDeviations: 1 }), {
      numRuns: 1
    })
    expect(found.failed).toBe(true)
    expect(String(found.errorInstance)).toContain("schedule: {\"choices\":[")
  })
})

describe("the generic generator with every feature on", () => {
  it("produces every operation kind, flush steps and FREEZABLE workqueues, and every scenario decodes", () => {
    const samples = fc.sample(Arbitraries.scenario(Arbitraries.everything), { seed: 7, numRuns: 300 })
    const kinds = new Set(samples.flatMap((s) => (s.operations ?? []).map((op) => op.do)))
    expect([...kinds].sort()).toEqual([...Arbitraries.operationKinds].sort())
    expect(samples.some((s) => s.works.some((w) => w.steps.some((st) => "flush" in st)))).toBe(true)
    expect(samples.some((s) => s.workqueues.some((q) => q.flags?.includes("FREEZABLE")))).toBe(true)
    for (const s of samples) expect(Effect.runSyncExit(Scenario.decode(s))._tag).toBe("Success")
  })

  it("the default generator makes no operations (old scenarios and seeds unchanged)", () => {
    const samples = fc.sample(Arbitraries.scenario(), { seed: 7, numRuns: 100 })
    expect(samples.every((s) => s.operations === undefined)).toBe(true)
  })

  it("a scenario without operations still decodes, and one with an unknown target names it", () => {
    expect(Effect.runSyncExit(Scenario.decode(twoCpus))._tag).toBe("Success")
    const bad = Effect.runSyncExit(
      Scenario.decode({ ...twoCpus, operations: [{ do: "cancel", work: "nope" }, { do: "flush", workqueue: "q9" }] })
    )
    expect(String(bad._tag === "Failure" ? bad.cause : "")).toContain("no work named \"nope\"")
    expect(String(bad._tag === "Failure" ? bad.cause : "")).toContain("no workqueue named \"q9\"")
  })

  it("explored scenarios with operations keep their promises (fixed engine)", () => {
    fc.assert(
      Arbitraries.propertyWithSchedules(
        Arbitraries.scenario(Arbitraries.everything),
        Invariants.every(Invariants.checkers.nonReentrancy, Invariants.operations),
        { maxSteps: 300_000 }
      ),
      { seed: 99, numRuns: 40 }
    )
  })
})

describe("schedule exploration: PCT", () => {
  /** run `fibers` fibers of `yields` yields each under a PCT chooser; every choice point's candidates and pick */
  const pctRun = (seed: number, depth: number, fibers = 4, yields = 12) => {
    let state = seed
    const random = () => {
      state = (state * 48271) % 2147483647
      return state / 2147483647
    }
    const choose = VirtualTime.pct({ depth, horizon: 40, random })
    const picks: Array<{ readonly candidates: ReadonlyArray<number>; readonly picked: number }> = []
    const exit = VirtualTime.runExit(
      Effect.all(
        Array.from({ length: fibers }, () => Effect.repeatN(Effect.yieldNow(), yields)),
        { concurrency: "unbounded" }
      ),
      {
        choose: (n, ids) => {
          const k = choose(n, ids)
          if (ids !== undefined) picks.push({ candidates: [...ids], picked: ids[k]! })
          return k
        }
      }
    )
    expect(Exit.isSuccess(exit)).toBe(true)
    return picks
  }
  /** pairs (winner, loser) of every choice point */
  const beats = (picks: ReturnType<typeof pctRun>) =>
    picks.flatMap((p) => p.candidates.filter((c) => c !== p.picked).map((c) => [p.picked, c] as const))

  it("depth 1 is a fixed priority order: a fiber that beat another never loses to it", () => {
    for (let seed = 1; seed <= 20; seed++) {
      const won = new Set(beats(pctRun(seed, 1)).map(([w, l]) => `${w}>${l}`))
      for (const pair of won) {
        const [w, l] = pair.split(">")
        expect(won.has(`${l}>${w}`), `seed ${seed}: ${pair} and back`).toBe(false)
      }
    }
  })

  it("depth 3: each change point lowers one fiber below all others; some seeds reverse an order", () => {
    let reversed = 0
    for (let seed = 1; seed <= 20; seed++) {
      const pairs = beats(pctRun(seed, 3))
      const first = new Map<string, number>()
      let flips = 0
      pairs.forEach(([w, l], i) => {
        if (first.has(`${l}>${w}`) && !first.has(`${w}>${l}`)) flips++
        if (!first.has(`${w}>${l}`)) first.set(`${w}>${l}`, i)
      })
      // a lowered fiber loses to every other from then on: at most depth - 1 fibers fall, each flipping
      // its order with the others it had beaten
      expect(
        new Set(pairs.filter(([w, l]) => first.get(`${l}>${w}`)! < first.get(`${w}>${l}`)!).map(([, l]) => l)).size
      )
        .toBeLessThanOrEqual(2)
      if (flips > 0) reversed++
    }
    expect(reversed).toBeGreaterThan(0)
  })

  it("a PCT schedule is deterministic for its seed, replays from its choices, and seeds differ", () => {
    const traces = new Set<string>()
    for (const seed of [1, 2, 3, 4, 5, 6]) {
      const schedule = { seed, pct: { depth: 2, horizon: 30 } }
      expect(lines(schedule)).toEqual(lines(schedule))
      const detailed = Effect.runSync(Simulation.runDetailed(twoCpus, { schedule }))
      const replay = Effect.runSync(
        Simulation.runDetailed(twoCpus, { schedule: { choices: detailed.choicePoints!.map((c) => c.k) } })
      )
      expect(Trace.lines(replay.trace, { queues: true })).toEqual(Trace.lines(detailed.trace, { queues: true }))
      traces.add(lines(schedule).join("\n"))
    }
    expect(traces.size).toBeGreaterThan(1)
  })

  it("property: generated scenarios under PCT schedules keep every invariant", () => {
    fc.assert(
      Arbitraries.propertyWithSchedules(Arbitraries.scenario(), Invariants.all, { pct: { depth: 3 } }),
      { seed: 17, numRuns: 60 }
    )
  })

  it("refuses a schedule that is not one, naming the field", () => {
    const bad: Array<readonly [Simulation.Schedule, string]> = [
      [{ pct: { depth: 0 } }, "schedule.pct.depth is 0"],
      [{ pct: { depth: 1.5 } }, "schedule.pct.depth is 1.5"],
      [{ pct: { horizon: -1 } }, "schedule.pct.horizon is -1"],
      [{ seed: 0.5 }, "schedule.seed is 0.5"],
      [{ choices: [0, Number.NaN] }, "schedule.choices[1] is NaN"]
    ]
    for (const [schedule, message] of bad) {
      const exit = Effect.runSyncExit(Simulation.run(twoCpus, { schedule }))
      expect(Exit.isFailure(exit) && String(exit.cause)).toContain(message)
      expect(Exit.isFailure(exit) && String(exit.cause)).toContain("InvalidSchedule")
    }
  })
})
