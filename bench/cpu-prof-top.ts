/**
 * Sums a V8 `.cpuprofile` (node --cpu-prof) by function: self samples per
 * function name and source file, the top entries with their share of all
 * samples, and the same share among busy samples (all but `(idle)`).
 * Usage: `npx tsx bench/cpu-prof-top.ts <file.cpuprofile> [top]`.
 */
import { readFileSync } from "node:fs"

interface Node {
  readonly id: number
  readonly callFrame: { readonly functionName: string; readonly url: string; readonly lineNumber: number }
}
const file = process.argv[2]
if (file === undefined) throw new Error("usage: cpu-prof-top.ts <file.cpuprofile> [top]")
const top = Number(process.argv[3] ?? "15")
const profile = JSON.parse(readFileSync(file, "utf8")) as { nodes: Array<Node>; samples: Array<number> }
const byId = new Map(profile.nodes.map((node) => [node.id, node]))
const self = new Map<string, number>()
for (const id of profile.samples) {
  const f = byId.get(id)!.callFrame
  const key = `${f.functionName || "(anonymous)"} ${f.url.split("/").slice(-2).join("/")}:${f.lineNumber + 1}`
  self.set(key, (self.get(key) ?? 0) + 1)
}
const total = profile.samples.length
const busy = total - [...self.entries()].filter(([key]) => key.startsWith("(idle)")).reduce((a, [, k]) => a + k, 0)
console.log(`samples: ${total}, busy: ${busy}; columns: share of all, share of busy`)
for (const [key, k] of [...self.entries()].sort((a, b) => b[1] - a[1]).slice(0, top)) {
  const ofBusy = key.startsWith("(idle)") ? "" : `${((100 * k) / busy).toFixed(1).padStart(5)}%`
  console.log(`${((100 * k) / total).toFixed(1).padStart(5)}%  ${ofBusy.padStart(6)}  ${key}`)
}
