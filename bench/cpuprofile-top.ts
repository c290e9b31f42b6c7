/**
 * The top functions of a `.cpuprofile` by self time, and by module (file),
 * as percentages of the samples. Run:
 *   npx tsx bench/cpuprofile-top.ts <file.cpuprofile> [top]
 */
import { readFileSync } from "node:fs"

interface Node {
  readonly id: number
  readonly callFrame: { readonly functionName: string; readonly url: string; readonly lineNumber: number }
}

const file = process.argv[2]!
const top = Number(process.argv[3] ?? 25)
const profile = JSON.parse(readFileSync(file, "utf8")) as { nodes: Array<Node>; samples: Array<number> }
const byId = new Map(profile.nodes.map((n) => [n.id, n]))
const self = new Map<string, number>()
const byFile = new Map<string, number>()
for (const id of profile.samples) {
  const f = byId.get(id)!.callFrame
  const where = f.url.replace(/^.*node_modules\//, "").replace(/^file:\/\/.*\/packages\//, "")
  const key = `${f.functionName || "(anonymous)"} ${where}:${f.lineNumber + 1}`
  self.set(key, (self.get(key) ?? 0) + 1)
  const mod = where === "" ? f.functionName : where.replace(/\/[^/]*$/, "/") + where.split("/").pop()
  byFile.set(mod, (byFile.get(mod) ?? 0) + 1)
}
const total = profile.samples.length
const print = (title: string, m: Map<string, number>) => {
  console.log(`${title} (${total} samples)`)
  for (const [k, v] of [...m].sort((a, b) => b[1] - a[1]).slice(0, top)) {
    console.log(`  ${((100 * v) / total).toFixed(1).padStart(5)}%  ${k}`)
  }
}
print("self time by function", self)
print("self time by file", byFile)
