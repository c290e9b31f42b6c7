/** The results properties (./results.ts): runAll, run and submit over generated effects. */
import { describe, it } from "@effect/vitest"
import fc from "fast-check"
import { RESULTS_PROPERTIES } from "./results.js"

describe("results: runAll, run and submit", () => {
  for (const p of RESULTS_PROPERTIES) {
    it(`${p.id}: ${p.title}`, () => {
      fc.assert(
        fc.property(p.arb, (s) => {
          const v = p.check(s)
          if (v !== null) throw new Error(v)
        }),
        { seed: Number(process.env.FC_SEED ?? p.seed), numRuns: Number(process.env.FC_RUNS ?? p.runs) }
      )
    })
  }
})
