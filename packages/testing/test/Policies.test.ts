/**
 * The shipped policies against the invariants, over thousands of generated
 * scenarios (seeded, so every run checks the same scenarios):
 * - the kernel's policy keeps every invariant;
 * - the pre-cmwq legacy policy keeps the safety invariants, runs each
 *   workqueue's items strictly one after another on each CPU, fails
 *   concurrency management, and differs from the kernel exactly where the
 *   kernel runs items of one workqueue concurrently.
 */
import { describe, expect, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import fc from "fast-check"
import { Policy } from "@cmwq/core"
import { Arbitraries, Invariants, type Scenario, Simulation, Trace } from "@cmwq/testing"

/** many items landing at the same moments: zero-length steps, queue times 0..3 */
const crowded = Arbitraries.scenario({
  cpus: { min: 1, max: 2 },
  works: { min: 4, max: 12 },
  steps: { min: 0, max: 4 },
  burn: { min: 0, max: 3 },
  sleep: { min: 0, max: 3 },
  at: { min: 0, max: 3 }
})

/** more of everything, every generated flag */
const wide = Arbitraries.scenario({
  cpus: { min: 1, max: 4 },
  workqueues: { min: 1, max: 5 },
  flags: ["HIGHPRI", "CPU_INTENSIVE", "UNBOUND", "ORDERED", "MEM_RECLAIM", "FREEZABLE"],
  maxActive: { min: 0, max: 4 },
  works: { min: 5, max: 12 }
})

describe("the kernel policy", () => {
  it("keeps the safety invariants", () => {
    Arbitraries.assert(Arbitraries.scenario(), Invariants.safety, { seed: 42, numRuns: 1000 })
  })

  it("keeps work conservation and minimal concurrency", () => {
    Arbitraries.assert(Arbitraries.scenario(), Invariants.concurrencyManagement, { seed: 43, numRuns: 1000 })
  })

  it("keeps every invariant when many items land at the same moment", () => {
    Arbitraries.assert(crowded, Invariants.all, { seed: 44, numRuns: 500 })
  })

  it("keeps every invariant on more CPUs, workqueues and flags", () => {
    Arbitraries.assert(wide, Invariants.all, { seed: 45, numRuns: 300 })
  })
})

/** the same scenario with maxActive 1 everywhere: "each workqueue runs one item at a time per CPU" */
const serially = (scenario: Scenario.Scenario): Scenario.Scenario => ({
  ...scenario,
  workqueues: scenario.workqueues.map((wq) => ({ ...wq, maxActive: 1 }))
})

const isSerial = (run: Simulation.Detailed): boolean =>
  Either.isRight(
    Effect.runSync(Effect.either(Invariants.maxActive({ trace: run.trace, scenario: serially(run.scenario) })))
  )

const detailed = (scenario: Scenario.Scenario, policy?: Policy.Policy) =>
  Effect.runSync(Simulation.runDetailed(scenario, { policy }))

describe("the legacy policy", () => {
  const example = {
    cpus: 1,
    workqueues: [{ name: "q0", maxActive: 3 }],
    works: [
      { name: "w0", workqueue: "q0", steps: [{ burn: 5 }, { sleep: 10 }, { burn: 5 }] },
      { name: "w1", workqueue: "q0", steps: [{ burn: 5 }, { sleep: 10 }] },
      { name: "w2", workqueue: "q0", steps: [{ burn: 5 }, { sleep: 10 }] }
    ]
  }

  it("gives the documentation's Table A where the kernel gives Table B", () => {
    const legacy = Trace.lines(detailed(example, Policy.legacy).trace)
    const kernel = Trace.lines(detailed(example).trace)
    expect(legacy).not.toEqual(kernel)
    // Table A: w1 waits for w0 to finish (20), w2 for w1 (35); Table B: each starts when the previous sleeps
    expect(legacy.filter((l) => l.endsWith("start"))).toEqual(["0 w0 start", "20 w1 start", "35 w2 start"])
    expect(kernel.filter((l) => l.endsWith("start"))).toEqual(["0 w0 start", "5 w1 start", "10 w2 start"])
    expect(legacy.at(-1)).toBe("50 w2 finish")
    expect(kernel.at(-1)).toBe("25 w2 finish")
  })

  it("keeps the safety invariants", () => {
    Arbitraries.assert(Arbitraries.scenario(), Invariants.safety, { policy: Policy.legacy, seed: 46, numRuns: 1000 })
  })

  it("runs each workqueue's items one after another on each CPU, and differs from the kernel where it does not", () => {
    let kernelConcurrent = 0
    let kernelSerial = 0
    fc.assert(
      fc.property(Arbitraries.scenario(), (scenario) => {
        const legacy = detailed(scenario, Policy.legacy)
        const kernel = detailed(scenario)
        expect(isSerial(legacy)).toBe(true)
        if (!isSerial(kernel)) {
          kernelConcurrent++
          expect(Trace.lines(legacy.trace)).not.toEqual(Trace.lines(kernel.trace))
        } else {
          kernelSerial++
        }
      }),
      { seed: 47, numRuns: 500, includeErrorInReport: true }
    )
    // not vacuous: the seeds give both kinds of scenario
    expect(kernelConcurrent).toBeGreaterThan(100)
    expect(kernelSerial).toBeGreaterThan(100)
  })

  it("gives the kernel's trace where no concurrency is possible (one CPU, one workqueue, no sleeps)", () => {
    const burnsOnly = Arbitraries.scenario({ cpus: 1, workqueues: 1, flags: [], sleep: 0, works: { min: 1, max: 8 } })
      .map((s) => ({ ...s, works: s.works.map((w) => ({ ...w, steps: w.steps.filter((step) => "burn" in step) })) }))
    fc.assert(
      fc.property(burnsOnly, (scenario) => {
        expect(Trace.lines(detailed(scenario, Policy.legacy).trace)).toEqual(Trace.lines(detailed(scenario).trace))
      }),
      { seed: 48, numRuns: 300, includeErrorInReport: true }
    )
  })

  it("fails work conservation: its CPU idles while a dedicated worker sleeps", () => {
    const result = Arbitraries.check(Arbitraries.scenario(), Invariants.concurrencyManagement, {
      policy: Policy.legacy,
      seed: 49,
      numRuns: 200
    })
    expect(result.failed).toBe(true)
    const failure = result.errorInstance as Arbitraries.ScenarioFailure
    expect(failure.reason._tag === "InvariantViolation" && failure.reason.invariant).toBe("workConservation")
    // shrunk to a small readable scenario
    const [counterexample] = result.counterexample!
    expect(counterexample.works.length).toBeLessThanOrEqual(2)
    expect(failure.message).toContain("TIME IN MSECS  EVENT")
  })
})
