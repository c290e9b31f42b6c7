/**
 * The scenario arbitraries (valid, within their knobs, deterministic,
 * shrinking to small readable scenarios) and the property helpers' reports.
 */
import { describe, expect, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import fc from "fast-check"
import { Arbitraries, Invariants, Scenario, Simulation, Trace } from "@cmwq/testing"

const within = (n: number, r: Arbitraries.Range) => n >= r.min && n <= r.max

describe("Arbitraries", () => {
  describe("scenario", () => {
    it("generates scenarios that decode, within the default knobs", () => {
      const d = Arbitraries.defaults
      fc.assert(
        fc.property(Arbitraries.scenario(), (s) => {
          expect(Either.isRight(Effect.runSync(Effect.either(Scenario.decode(s))))).toBe(true)
          expect(within(s.cpus, d.cpus)).toBe(true)
          expect(within(s.workqueues.length, d.workqueues)).toBe(true)
          expect(within(s.works.length, d.works)).toBe(true)
          s.workqueues.forEach((wq, i) => {
            expect(wq.name).toBe(`q${i}`)
            for (const flag of wq.flags ?? []) expect(d.flags).toContain(flag)
            if (wq.flags?.includes("ORDERED")) expect(wq.maxActive).toBeUndefined()
            if (wq.maxActive !== undefined) expect(within(wq.maxActive, d.maxActive)).toBe(true)
          })
          s.works.forEach((w, i) => {
            expect(w.name).toBe(`w${i}`)
            expect(within(w.at ?? 0, d.at)).toBe(true)
            expect(within(w.steps.length, d.steps)).toBe(true)
            for (const step of w.steps) {
              if ("burn" in step) expect(within(step.burn, d.burn)).toBe(true)
              else if ("sleep" in step) expect(within(step.sleep, d.sleep)).toBe(true)
              else expect.unreachable("the default generator makes no flush steps")
            }
          })
        }),
        { seed: 1, numRuns: 300 }
      )
    })

    it("follows its knobs: exact counts, ranges and allowed flags", () => {
      const arb = Arbitraries.scenario({
        cpus: 3,
        workqueues: { min: 2, max: 2 },
        flags: ["UNBOUND"],
        maxActive: 2,
        works: 5,
        steps: 2,
        burn: { min: 0, max: 1 },
        sleep: 7,
        at: 4
      })
      for (const s of fc.sample(arb, { seed: 2, numRuns: 100 })) {
        expect(s.cpus).toBe(3)
        expect(s.workqueues.map((wq) => wq.name)).toEqual(["q0", "q1"])
        for (const wq of s.workqueues) {
          expect(wq.maxActive).toBe(2)
          expect(wq.flags ?? []).not.toContain("ORDERED")
        }
        expect(s.works).toHaveLength(5)
        for (const w of s.works) {
          expect(w.at).toBe(4)
          expect(w.cpu ?? 0).toBeLessThan(3)
          expect(w.steps).toHaveLength(2)
          for (const step of w.steps)
            expect("burn" in step ? step.burn <= 1 : "sleep" in step && step.sleep === 7).toBe(true)
        }
      }
    })

    it("is deterministic for a seed", () => {
      expect(fc.sample(Arbitraries.scenario(), { seed: 5, numRuns: 20 })).toEqual(
        fc.sample(Arbitraries.scenario(), { seed: 5, numRuns: 20 })
      )
    })

    it("rejects a bad knob", () => {
      expect(() => Arbitraries.scenario({ cpus: 0 })).toThrow(RangeError)
      expect(() => Arbitraries.scenario({ works: { min: 3, max: 2 } })).toThrow("works must be integers")
    })

    it("shrinks a failure to a small readable scenario", () => {
      // "no work sleeps twice" is false; the smallest counterexample is one work with two short sleeps
      const result = fc.check(
        fc.property(
          Arbitraries.scenario({ cpus: { min: 1, max: 4 }, works: { min: 1, max: 10 } }),
          (s) => s.works.every((w) => w.steps.filter((step) => "sleep" in step).length < 2)
        ),
        { seed: 3, numRuns: 200 }
      )
      expect(result.failed).toBe(true)
      expect(result.counterexample![0]).toEqual({
        cpus: 1,
        workqueues: [{ name: "q0" }],
        works: [{ name: "w0", workqueue: "q0", steps: [{ sleep: 1 }, { sleep: 1 }] }]
      })
    })
  })

  describe("checkScenario and property", () => {
    const scenario = {
      cpus: 1,
      workqueues: [{ name: "q0" }],
      works: [{ name: "w0", workqueue: "q0", steps: [{ burn: 5 }] }, {
        name: "w1",
        workqueue: "q0",
        steps: [{ burn: 5 }]
      }]
    }
    // a checker of our own that fails on any run: w1 must never start after 0
    const startsAtZero: Invariants.Checker = (run) => {
      const late = run.trace.find((e) => e.event === "start" && e.t > 0)
      return late === undefined
        ? Effect.void
        : Effect.fail(
          new Invariants.InvariantViolation({ invariant: "startsAtZero", event: late, message: `${late.work} is late` })
        )
    }

    it.effect("gives the run when the check passes", () =>
      Effect.gen(function*() {
        const run = yield* Arbitraries.checkScenario(scenario, Invariants.all)
        expect(Trace.lines(run.trace)).toEqual(["0 w0 start", "5 w0 finish", "5 w1 start", "10 w1 finish"])
      }))

    it.effect("reports a violation with the policy, the scenario and the timeline", () =>
      Effect.gen(function*() {
        const failure = yield* Effect.flip(Arbitraries.checkScenario(scenario, startsAtZero))
        const run = yield* Simulation.run(scenario)
        expect(failure._tag).toBe("ScenarioFailure")
        expect(failure.reason._tag).toBe("InvariantViolation")
        expect(failure.timeline).toBe(Trace.format(run, { queues: true }))
        expect(failure.message).toBe([
          "invariant startsAtZero violated: w1 is late",
          `offending: ${JSON.stringify({ t: 5, cpu: 0, worker: 0, work: "w1", event: "start" })}`,
          "policy: kernel",
          `scenario: ${JSON.stringify(scenario)}`,
          "timeline:",
          Trace.format(run, { queues: true })
        ].join("\n"))
      }))

    it.effect("reports a scenario the simulation rejects", () =>
      Effect.gen(function*() {
        const failure = yield* Effect.flip(Arbitraries.checkScenario({ cpus: 0 }, Invariants.all))
        expect(failure.reason._tag).toBe("InvalidScenario")
        expect(failure.timeline).toBe("")
        expect(failure.message).toContain("timeline: none (the run did not complete)")
      }))

    it("makes the property throw the report", () => {
      const result = fc.check(Arbitraries.property(fc.constant(scenario), startsAtZero), { numRuns: 1 })
      expect(result.failed).toBe(true)
      expect(result.errorInstance).toBeInstanceOf(Arbitraries.ScenarioFailure)
      expect(() => Arbitraries.assert(fc.constant(scenario), startsAtZero, { numRuns: 1 })).toThrow(
        /Counterexample[\s\S]*invariant startsAtZero violated: w1 is late[\s\S]*5 {2}w1 starts {2}\(cpu 0, worker 0\)/
      )
    })
  })
})

describe("a failed check inside a property", () => {
  const violation = (invariant: string) =>
    new Invariants.InvariantViolation({
      invariant,
      event: { t: 0, cpu: 0, worker: 1, work: "w0", event: "start" as const },
      message: `${invariant} broken`
    })
  // two checks failing side by side: a composite cause, whose typed failure is still the property's failure
  const composite: Invariants.Checker = () =>
    Effect.all([Effect.fail(violation("first")), Effect.fail(violation("second"))], { concurrency: 2, mode: "default" })
      .pipe(Effect.asVoid)

  it("is thrown as its typed failure, also when the cause is composite", () => {
    const result = fc.check(Arbitraries.property(Arbitraries.scenario({ works: { min: 1, max: 1 } }), composite), {
      numRuns: 1,
      seed: 1,
      endOnFailure: true
    })
    expect(result.failed).toBe(true)
    const error = result.errorInstance as { readonly _tag?: string; readonly message?: string }
    expect(error._tag).toBe("ScenarioFailure")
    expect(error.message).not.toContain("the check died")
  })
})
