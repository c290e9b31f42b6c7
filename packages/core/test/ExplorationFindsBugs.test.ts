/**
 * Exploration finds real bugs: each of three invariant bugs that were found
 * and fixed is put back by a test-only switch (`internal/mutants.ts`), and
 * exploration from the generic scenario generator
 * (`Arbitraries.scenario(Arbitraries.everything)`, nothing aimed at a bug)
 * under drawn schedules, checked by `Invariants.operations` (and
 * non-reentrancy), must find it within a fixed budget of runs; with the
 * switch off, the same runs find nothing. The budgets are counts of runs
 * (deterministic for a seed), not time.
 *
 * On the seeds measured, the first failing scenario fails in the default
 * order too (the exploration guide has the numbers): the generator's
 * scenarios find these bugs. The last test keeps, per bug, a scenario that
 * passes in the default order and fails under a PCT schedule.
 */
import { afterEach, describe, expect, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import fc from "fast-check"
import { Arbitraries, Invariants, type Scenario, Simulation } from "@cmwq/testing"
import { mutants } from "../src/internal/mutants.js"
import { foundOnlyByPct } from "./fixtures/foundOnlyByPct.js"

const checker = Invariants.every(Invariants.checkers.nonReentrancy, Invariants.operations)
const maxSteps = 300_000

const explore = (seed: number, numRuns: number) =>
  fc.check(
    Arbitraries.propertyWithSchedules(Arbitraries.scenario(Arbitraries.everything), checker, { maxSteps }),
    { seed, numRuns }
  )

afterEach(() => {
  mutants.newPwqColorZero = false
  mutants.walkFinishedFlush = false
  mutants.stalePendingMark = false
})

// seed and run budget per mutant: the seed's first failure comes at about half
// the budget (see the docs' exploration guide for the measured times)
const cases = [
  { mutant: "newPwqColorZero", seed: 4, numRuns: 40, symptom: "invariant flush violated" },
  { mutant: "walkFinishedFlush", seed: 2, numRuns: 100, symptom: "invariant noFalseFlushDeadlock violated" },
  { mutant: "stalePendingMark", seed: 5, numRuns: 120, symptom: "the simulation failed (Deadlock)" }
] as const

describe("schedule exploration finds the three invariant bugs", () => {
  for (const { mutant, numRuns, seed, symptom } of cases) {
    it(`${mutant}: found within ${numRuns} runs (seed ${seed}), shrunk, replayable; nothing found without it`, () => {
      mutants[mutant] = true
      const found = explore(seed, numRuns)
      mutants[mutant] = false
      expect(found.failed).toBe(true)
      const message = String(found.errorInstance)
      expect(message).toContain(symptom)
      // the shrunk counterexample replays: from its scenario and schedule ...
      const [scenario, schedule] = found.counterexample!
      mutants[mutant] = true
      const again = Effect.runSyncExit(Arbitraries.checkScenario(scenario, checker, { schedule, maxSteps }))
      mutants[mutant] = false
      expect(again._tag).toBe("Failure")
      // ... and the fixed engine keeps every promise on it
      const fixed = Effect.runSyncExit(Arbitraries.checkScenario(scenario, checker, { schedule, maxSteps }))
      expect(fixed._tag).toBe("Success")
      console.log(
        `${mutant}: failed at run ${found.numRuns} of seed ${found.seed}, ${found.numShrinks} shrinks, ` +
          `replay with fc.assert(property, { seed: ${found.seed}, path: "${found.counterexamplePath}" })\n${message}`
      )
      // with the switch off, the same exploration finds nothing
      const clean = explore(seed, numRuns)
      expect(clean.failed).toBe(false)
      expect(clean.numRuns).toBe(numRuns)
    }, 240_000)
  }

  it("the three bugs' own repros, as scenarios: each fails with its switch on and passes with it off", () => {
    const repros = {
      newPwqColorZero: {
        cpus: 1,
        workqueues: [{ name: "q0", flags: ["UNBOUND" as const] }],
        works: [{ name: "w0", workqueue: "q0", at: 1, steps: [{ sleep: 100 }] }],
        operations: [
          { do: "flush" as const, workqueue: "q0" },
          { do: "applyAttrs" as const, workqueue: "q0", affinityScope: "system" as const },
          { do: "flush" as const, workqueue: "q0", at: 1 }
        ]
      },
      walkFinishedFlush: {
        cpus: 1,
        workqueues: [{ name: "A" }, { name: "B", maxActive: 1 }],
        works: [
          { name: "y", workqueue: "B", steps: [{ sleep: 10 }] },
          { name: "x", workqueue: "A", steps: [{ flush: "B" }] },
          { name: "q2", workqueue: "B", at: 1, steps: [{ flush: "A" }] }
        ]
      },
      stalePendingMark: {
        cpus: 1,
        workqueues: [{ name: "q0", flags: ["UNBOUND" as const, "FREEZABLE" as const] }],
        works: [{ name: "a", workqueue: "q0", at: 1, steps: [{ sleep: 10 }] }, {
          name: "b",
          workqueue: "q0",
          at: 16,
          steps: [{ burn: 1 }]
        }],
        operations: [{ do: "freeze" as const }, { do: "thaw" as const, at: 2 }, { do: "freeze" as const, at: 3 }, {
          do: "thaw" as const,
          at: 15
        }]
      }
    }
    const run = (scenario: unknown) =>
      Effect.runSyncExit(Effect.flatMap(Simulation.runDetailed(scenario, { maxSteps }), Invariants.operations))
    for (const [mutant, scenario] of Object.entries(repros)) {
      expect(run(scenario)._tag).toBe("Success")
      mutants[mutant as keyof typeof repros] = true
      const exit = run(scenario)
      mutants[mutant as keyof typeof repros] = false
      expect(exit._tag, mutant).toBe("Failure")
    }
  })

  it("scenarios the default order passes but a PCT schedule breaks, one per bug, stay found", () => {
    const check = (scenario: Scenario.Scenario, schedule?: Simulation.Schedule) =>
      Effect.runSyncExit(
        Arbitraries.checkScenario(scenario, checker, { maxSteps, ...(schedule !== undefined ? { schedule } : {}) })
      )._tag
    for (const { mutant, pctSeed, scenario } of foundOnlyByPct) {
      const schedule = { seed: pctSeed, pct: { depth: 3 } }
      mutants[mutant] = true
      expect(check(scenario), `${mutant}, default order`).toBe("Success")
      expect(check(scenario, schedule), `${mutant}, PCT seed ${pctSeed}`).toBe("Failure")
      mutants[mutant] = false
      expect(check(scenario, schedule), `${mutant}, fixed engine`).toBe("Success")
    }
  })
})
