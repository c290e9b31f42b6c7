/**
 * Soak the guarantee properties (packages/core/test/properties): run every
 * catalog entry, known-bug ones included, with random seeds until the time is
 * up, then report scenarios run, items executed and every violation found
 * (property, seed, the violation, the shrunk workload).
 *
 *   npm run soak -- --minutes 5            (random seeds, all entries)
 *   npm run soak -- --once                 (each entry once, with its CI seed and runs)
 *   npm run soak -- --only G13,G2 --runs 50
 *   npm run soak -- --histogram 500        (how often the generators produce each feature)
 *   npm run soak -- --once --noshrink      (stop at the first counterexample, unshrunk: for mutant runs)
 */
import fc from "fast-check"
import { PROPERTIES, type Property } from "../packages/core/test/properties/catalog.js"
import { histogram } from "../packages/core/test/properties/histogram.js"
import { KNOWN_BUG } from "../packages/core/test/properties/known.js"
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
const hist = flag("histogram")
// stop at the first counterexample, unshrunk (for mutant runs)
const noShrink = args.includes("--noshrink")

if (hist !== undefined) {
  console.log(histogram(Number(hist || 300)))
  process.exit(0)
}

const selected = PROPERTIES.filter((p) => only === undefined || only.includes(p.id) || only.includes(`G${p.guarantee}`))
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

const runOne = (p: Property, seed: number, numRuns: number) => {
  const result = fc.check(
    fc.property(p.arb, (wl) => {
      const r = runWorkload(wl)
      scenarios++
      items += r.runs.length
      const v = p.check(r)
      if (v !== null) throw new Error(v)
    }),
    { seed, numRuns, endOnFailure: noShrink }
  )
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
  for (const p of selected) {
    const t0 = Date.now()
    runOne(p, p.seed, p.runs)
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
    const p = selected[i++ % selected.length]
    // an entry that already failed keeps being soaked, with fewer runs (its shrinking is the slow part)
    runOne(p, (Math.random() * 2 ** 31) | 0, failedIds.has(p.id) ? Math.max(2, runsPer >> 2) : runsPer)
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
