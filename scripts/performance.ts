/**
 * Renders the latest benchmark results (`bench/results/latest-meta.json`,
 * written by `npm run bench`) into `docs/performance.md`, between the
 * `<!-- bench:begin -->` and `<!-- bench:end -->` markers.
 *
 *   npx tsx scripts/performance.ts
 */
import * as fs from "node:fs"
import * as path from "node:path"
import { fileURLToPath } from "node:url"

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..")
const metaPath = path.join(root, "bench", "results", "latest-meta.json")
const pagePath = path.join(root, "docs", "performance.md")

interface Meta {
  readonly machine: { readonly cpu: string; readonly cores: number; readonly node: string; readonly platform: string }
  readonly quick: boolean
  readonly reps: number
  readonly date: string
  readonly tables: ReadonlyArray<{ readonly title: string; readonly headers: ReadonlyArray<string>; readonly rows: ReadonlyArray<ReadonlyArray<string>> }>
  readonly notes: ReadonlyArray<string>
}

const cell = (s: string): string => s.replace(/\|/g, "\\|")

const render = (meta: Meta): string => {
  const out: Array<string> = [
    `Run of ${meta.date} (${meta.quick ? "quick" : "full"}, ${meta.reps} measured rounds per contender): ` +
    `${meta.machine.cpu}, ${meta.machine.cores} cores, ${meta.machine.platform}, Node ${meta.machine.node}.`,
    ""
  ]
  for (const table of meta.tables) {
    out.push(`### ${table.title}`, "")
    out.push(`| ${table.headers.map(cell).join(" | ")} |`, `| ${table.headers.map(() => "---").join(" | ")} |`)
    for (const row of table.rows) {
      const cells = table.headers.map((_, i) => cell(row[i] ?? ""))
      out.push(`| ${cells.join(" | ")} |`)
    }
    out.push("")
  }
  if (meta.notes.length > 0) {
    out.push("Notes:", "")
    for (const note of meta.notes) out.push(`- ${note}`)
  }
  return out.join("\n").trimEnd()
}

const BEGIN = "<!-- bench:begin -->"
const END = "<!-- bench:end -->"

if (!fs.existsSync(metaPath)) {
  console.error(`performance: ${path.relative(root, metaPath)} not found; run \`npm run bench\` first`)
  process.exit(1)
}
const meta = JSON.parse(fs.readFileSync(metaPath, "utf8")) as Meta
const page = fs.readFileSync(pagePath, "utf8")
const begin = page.indexOf(BEGIN)
const end = page.indexOf(END)
if (begin < 0 || end < begin) {
  console.error(`performance: ${path.relative(root, pagePath)} lacks the ${BEGIN} ... ${END} markers`)
  process.exit(1)
}
fs.writeFileSync(pagePath, `${page.slice(0, begin + BEGIN.length)}\n${render(meta)}\n${page.slice(end)}`)
console.log(`performance: ${meta.tables.length} tables from ${path.relative(root, metaPath)} -> ${path.relative(root, pagePath)}`)
