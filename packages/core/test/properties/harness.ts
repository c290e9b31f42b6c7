/**
 * Runs catalog entries as vitest tests: fast-check with a fixed seed per
 * entry (`FC_SEED`, `FC_RUNS` override), the shrunk workload and the
 * violation in the failure message. Entries listed in ./known.ts are skipped.
 */
import { it } from "@effect/vitest"
import fc from "fast-check"
import { type Property, PROPERTIES } from "./catalog.js"
import { KNOWN_BUG } from "./known.js"
import { runWorkload } from "./run.js"

export const params = (p: Property) => ({
  seed: Number(process.env.FC_SEED ?? p.seed),
  numRuns: Number(process.env.FC_RUNS ?? p.runs)
})

export const assertProperty = (p: Property, options: { seed: number; numRuns: number }): void => {
  fc.assert(
    fc.property(p.arb, (wl) => {
      const v = p.check(runWorkload(wl))
      if (v !== null) throw new Error(v)
    }),
    options
  )
}

/** one `it` per catalog entry of these guarantees */
export const properties = (guarantees: ReadonlyArray<number>): void => {
  for (const p of PROPERTIES) {
    if (!guarantees.includes(p.guarantee)) continue
    const name = `${p.id} (guarantee ${p.guarantee}): ${p.title}`
    const known = KNOWN_BUG[p.id]
    if (known !== undefined) it.skip(`${name} [KNOWN_BUG: ${known}]`, () => {})
    else it(name, () => assertProperty(p, params(p)))
  }
}
