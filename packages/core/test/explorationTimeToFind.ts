/**
 * Time to find each of the three re-introduced invariant bugs by schedule
 * exploration (the exploration guide's table): for each seed, exploration
 * from `Arbitraries.scenario(Arbitraries.everything)` under drawn schedules,
 * checked as `ExplorationFindsBugs.test.ts` checks it, until the first
 * failing run or 60 s. Prints the runs and the seconds per seed.
 *
 *   npx tsx --conditions=@cmwq/source packages/core/test/explorationTimeToFind.ts stalePendingMark 8
 *   npx tsx --conditions=@cmwq/source packages/core/test/explorationTimeToFind.ts stalePendingMark 8 pct:3
 *   npx tsx --conditions=@cmwq/source packages/core/test/explorationTimeToFind.ts stalePendingMark 8 fifo
 */
import * as Cause from "effect/Cause"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import fc from "fast-check"
import { Arbitraries, Invariants } from "@cmwq/testing"
import { mutants } from "../src/internal/mutants.js"

const checker = Invariants.every(Invariants.checkers.nonReentrancy, Invariants.operations)
const names = Object.keys(mutants) as Array<keyof typeof mutants>
const mutant = process.argv[2] as keyof typeof mutants
if (!names.includes(mutant)) {
  console.error(`usage: explorationTimeToFind.ts <${names.join("|")}> [seeds]`)
  process.exit(1)
}
const seeds = Number(process.argv[3] ?? 5)
// a third argument "pct" or "pct:<depth>" explores with PCT schedules instead of choice lists; "fifo"
// runs every scenario in the default order only (no exploration: what the scenarios find on their own)
const mode = process.argv[4] ?? "choices"
const pct = mode.startsWith("pct") ? { depth: Number(mode.split(":")[1] ?? 3) } : undefined
const property: fc.IProperty<Array<unknown>> = mode === "fifo"
  ? fc.property(Arbitraries.scenario(Arbitraries.everything), (s) => {
    const exit = Effect.runSyncExit(Arbitraries.checkScenario(s, checker, { maxSteps: 300_000 }))
    if (Exit.isFailure(exit)) throw new Error(String(Cause.squash(exit.cause)))
  })
  : Arbitraries.propertyWithSchedules(Arbitraries.scenario(Arbitraries.everything), checker, {
    maxSteps: 300_000,
    pct
  })
for (let seed = 1; seed <= seeds; seed++) {
  mutants[mutant] = true
  const t0 = performance.now()
  const r = fc.check(
    property,
    { seed, numRuns: 1_000_000, endOnFailure: true, interruptAfterTimeLimit: 60_000 }
  )
  mutants[mutant] = false
  const s = ((performance.now() - t0) / 1000).toFixed(1)
  console.log(
    `${mutant} seed ${seed}: ${r.failed ? `found at run ${r.numRuns}` : `not found in ${r.numRuns} runs`}, ${s} s`
  )
}
