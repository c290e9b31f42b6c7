/**
 * How many generated scenarios a re-introduced bug makes fail, in the
 * default order and under schedules (the exploration guide's second table):
 * a fixed sample of `Arbitraries.scenario(Arbitraries.everything)` (seed 99),
 * each scenario checked as `ExplorationFindsBugs.test.ts` checks it, in the
 * default order, under PCT schedules of depth 3 (seeds 1 to 4) and under
 * random walks (seeds 1 to 4). Prints one JSON line.
 *
 *   npx tsx --conditions=@cmwq/source packages/core/test/explorationShare.ts stalePendingMark 1500
 */
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import fc from "fast-check"
import { Arbitraries, Invariants, type Simulation } from "@cmwq/testing"
import { mutants } from "../src/internal/mutants.js"
const checker = Invariants.every(Invariants.checkers.nonReentrancy, Invariants.operations)
const mutant = process.argv[2] as keyof typeof mutants
const n = Number(process.argv[3] ?? 1000)
const scenarios = fc.sample(Arbitraries.scenario(Arbitraries.everything), { seed: 99, numRuns: n })
mutants[mutant] = true
const fails = (s: unknown, schedule?: Simulation.Schedule) =>
  Exit.isFailure(
    Effect.runSyncExit(Arbitraries.checkScenario(s, checker, { maxSteps: 300_000, ...(schedule ? { schedule } : {}) }))
  )
let fifo = 0
let pctAny = 0
let pctOnly = 0
let fifoOnly = 0
let walkAny = 0
let walkOnly = 0
const t0 = performance.now()
for (const s of scenarios) {
  const f = fails(s)
  const p = [1, 2, 3, 4].some((seed) => fails(s, { seed, pct: { depth: 3 } }))
  const w = [1, 2, 3, 4].some((seed) => fails(s, { seed }))
  if (f) fifo++
  if (p) pctAny++
  if (w) walkAny++
  if (p && !f) pctOnly++
  if (w && !f) walkOnly++
  if (f && !p && !w) fifoOnly++
}
console.log(
  JSON.stringify({
    mutant,
    scenarios: n,
    fifo,
    pctAny4: pctAny,
    pctOnly,
    randomWalkAny4: walkAny,
    walkOnly,
    fifoOnlyNotOthers: fifoOnly,
    s: ((performance.now() - t0) / 1000).toFixed(0)
  })
)
