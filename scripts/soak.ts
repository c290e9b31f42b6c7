/**
 * Soak the guarantee properties (packages/core/test/properties): run every
 * catalog entry, known-bug ones included, and the results properties
 * (runAll, run and submit: properties/results.ts), with random seeds until the time is
 * up, then report scenarios run, items executed and every violation found
 * (property, seed, the violation, the shrunk workload).
 *
 *   npm run soak -- --minutes 5            (random seeds, all entries)
 *   npm run soak -- --once                 (each entry once, with its CI seed and runs)
 *   npm run soak -- --only G13,G2 --runs 50
 *   npm run soak -- --once --only R1          (the results property: runAll, run and submit)
 *   npm run soak -- --histogram 500        (how often the generators produce each feature)
 *   npm run soak -- --once --noshrink      (stop at the first counterexample, unshrunk: for mutant runs)
 *   npm run soak -- --once --only G15 --seed 874404849   (replay a soak seed: its runs, default 10, as the soak ran it)
 */
import fc from "fast-check"
import { PROPERTIES, type Property } from "../packages/core/test/properties/catalog.js"
import { histogram } from "../packages/core/test/properties/histogram.js"
import { KNOWN_BUG } from "../packages/core/test/properties/known.js"
import { RESULTS_PROPERTIES, type ResultsProperty } from "../packages/core/test/properties/results.js"
import { runWorkload } from "../packages/core/test/properties/run.js"

const args = process.argv.slice(2)
const flag = (name: string) => {
  const i = args.indexOf(`--${name}`)
  return i < 0 ? undefined : args[i + 1] ?? ""
}
const minutes = Number(flag("minutes") ?? 1)
const once = args.includes("--once")
const only = flag("only")?.split(",")
const runsPer = Number(flag("runs") ?? 10)
// replay one seed (a soak report's), with the soak's runs per seed unless --runs says otherwise
const seedFlag = flag("seed")
const hist = flag("histogram")
// stop at the first counterexample, unshrunk (for mutant runs)
const noShrink = args.includes("--noshrink")

if (hist !== undefined) {
  console.log(histogram(Number(hist || 300)))
  process.exit(0)
}

/** a soakable property: a guarantee catalog entry, or a results property (no guarantee number) */
type Soaked = { readonly kind: "guarantee"; readonly p: Property } | {
  readonly kind: "results"
  readonly p: ResultsProperty
}
const selected: Array<Soaked> = [
  ...PROPERTIES.filter((p) => only === undefined || only.includes(p.id) || only.includes(`G${p.guarantee}`)).map((
    p
  ) => ({ kind: "guarantee" as const, p })),
  ...RESULTS_PROPERTIES.filter((p) => only === undefined || only.includes(p.id)).map((p) => ({
    kind: "results" as const,
    p
  }))
]
let scenarios = 0
let items = 0
interface Found {
  readonly id: string
  readonly seed: number
  readonly message: string
  readonly counterexample: string
}
const found: Array<Found> = []
const failedIds = new Set<string>()

const checkOnce = (s: Soaked, seed: number, numRuns: number) =>
  s.kind === "guarantee"
    ? fc.check(
      fc.property(s.p.arb, (wl) => {
        const r = runWorkload(wl)
        scenarios++
        items += r.runs.length
        const v = s.p.check(r)
        if (v !== null) throw new Error(v)
      }),
      { seed, numRuns, endOnFailure: noShrink }
    )
    : fc.check(
      fc.property(s.p.arb, (scenario) => {
        scenarios++
        items += scenario.items.length
        const v = s.p.check(scenario)
        if (v !== null) throw new Error(v)
      }),
      { seed, numRuns, endOnFailure: noShrink }
    )

const runOne = (s: Soaked, seed: number, numRuns: number) => {
  const p = s.p
  const result = checkOnce(s, seed, numRuns)
  if (result.failed) {
    failedIds.add(p.id)
    const message = result.errorInstance instanceof Error ? result.errorInstance.message : String(result.errorInstance)
    found.push({
      id: p.id,
      seed,
      message: message.split("\n")[0].slice(0, 400),
      counterexample: JSON.stringify(result.counterexample?.[0])
    })
  }
}

const started = Date.now()
if (once) {
  for (const s of selected) {
    const p = s.p
    const t0 = Date.now()
    if (seedFlag === undefined) runOne(s, p.seed, p.runs)
    else runOne(s, Number(seedFlag), runsPer)
    console.log(
      `${p.id.padEnd(7)} ${failedIds.has(p.id) ? "FAIL" : "ok  "} ${Date.now() - t0}ms${
        KNOWN_BUG[p.id] ? " [known]" : ""
      }`
    )
  }
} else {
  const deadline = started + minutes * 60_000
  let i = 0
  while (Date.now() < deadline) {
    const s = selected[i++ % selected.length]
    // an entry that already failed keeps being soaked, with fewer runs (its shrinking is the slow part)
    runOne(s, (Math.random() * 2 ** 31) | 0, failedIds.has(s.p.id) ? Math.max(2, runsPer >> 2) : runsPer)
  }
}
const secs = ((Date.now() - started) / 1000).toFixed(0)
console.log(
  `\nsoak: ${secs}s, ${selected.length} properties, ${scenarios} scenarios run, ${items} items executed, ${found.length} violations`
)
const byId = new Map<string, Array<Found>>()
for (const f of found) byId.set(f.id, [...(byId.get(f.id) ?? []), f])
for (const [id, fs] of byId) {
  console.log(
    `\n${id}${KNOWN_BUG[id] ? ` [KNOWN_BUG: ${KNOWN_BUG[id]}]` : ""}: ${fs.length} violation(s), seeds ${
      fs.map((f) => f.seed).join(", ")
    }`
  )
  console.log(`  ${fs[0].message}`)
  console.log(`  shrunk: ${fs[0].counterexample}`)
}
