/**
 * Regenerates the README's performance table from `bench/results/latest.json`
 * and `latest-meta.json`: the part of README.md between the two
 * `<!-- perf-table -->` markers is replaced, nothing else is touched.
 *
 * One line per measured case (each case label of latest.json): our value, and
 * our ratio against every peer of that case, the peers we are behind listed
 * first. A peer marked `limit: true` (a plain loop doing the same work with no
 * queue) is shown apart, as the floor, and never counts as being behind.
 *
 * Run by `npm run bench` after a full run (not after `--quick` or `--only`,
 * whose rows are partial or noisier); by hand: `npm run bench:readme`.
 */
import { readFileSync, writeFileSync } from "node:fs"
import { dirname, join } from "node:path"
import { fileURLToPath } from "node:url"
import { fmt, type Row } from "./lib.js"

const START = "<!-- perf-table:start -->"
const END = "<!-- perf-table:end -->"

interface Meta {
  readonly machine: { readonly cpu: string; readonly cores: number; readonly node: string; readonly platform: string }
  readonly quick: boolean
  readonly reps: number
  readonly date: string
  /** cases re-run later and merged into the rows (`npm run bench -- --only=N --merge`) */
  readonly merged?: ReadonlyArray<
    { readonly cases: ReadonlyArray<number>; readonly quick: boolean; readonly date: string }
  >
}

/** is `ours` at least as good as the peer? */
const ahead = (r: Row): boolean => r.better === "higher" ? r.ratio >= 1 : r.ratio <= 1

const ratio = (r: Row): string => `${r.peer} ${r.ratio >= 10 ? r.ratio.toFixed(1) : r.ratio.toFixed(2)}×`

/** the markdown that goes between the markers */
export const renderTable = (rows: ReadonlyArray<Row>, meta: Meta): string => {
  const byCase = new Map<string, Array<Row>>()
  for (const r of rows) {
    const list = byCase.get(r.case) ?? []
    list.push(r)
    byCase.set(r.case, list)
  }
  const lines = [
    `Generated from \`bench/results/latest.json\` (${
      meta.quick ? "quick" : "full"
    } run, ${meta.reps} rounds, medians; ${meta.machine.cpu}, ${meta.machine.cores} cores, Node ${meta.machine.node}; ${
      meta.date.slice(0, 10)
    }${
      (meta.merged ?? []).map((m) =>
        `; case${m.cases.length > 1 ? "s" : ""} ${m.cases.join(", ")} re-run ${m.date.slice(0, 10)}${
          m.quick ? " (quick)" : ""
        }`
      ).join("")
    }). Ratio = ours / peer; the "better" column says which direction wins.`,
    "",
    "| case | ours | better | behind | ahead of | limit (no queue) |",
    "| --- | --- | --- | --- | --- | --- |"
  ]
  for (const [name, list] of byCase) {
    const peers = list.filter((r) => r.limit !== true)
    const limits = list.filter((r) => r.limit === true)
    const first = list[0]!
    const behind = peers.filter((r) => !ahead(r))
    const aheadOf = peers.filter(ahead)
    lines.push(
      `| ${name} | ${fmt(first.ours)} ${first.unit} | ${first.better} | ${behind.map(ratio).join(", ") || "—"} | ${
        aheadOf.map(ratio).join(", ") || "—"
      } | ${limits.map(ratio).join(", ") || "—"} |`
    )
  }
  return lines.join("\n")
}

/** replace the README's generated section; fails if the markers are missing */
export const writeReadmeTable = (root: string): void => {
  const results = join(root, "bench", "results")
  const rows = JSON.parse(readFileSync(join(results, "latest.json"), "utf8")) as ReadonlyArray<Row>
  const meta = JSON.parse(readFileSync(join(results, "latest-meta.json"), "utf8")) as Meta
  const readmePath = join(root, "README.md")
  const readme = readFileSync(readmePath, "utf8")
  const start = readme.indexOf(START)
  const end = readme.indexOf(END)
  if (start < 0 || end < start) throw new Error(`README.md: the markers ${START} … ${END} are missing`)
  const next = `${readme.slice(0, start + START.length)}\n${renderTable(rows, meta)}\n${readme.slice(end)}`
  writeFileSync(readmePath, next)
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  writeReadmeTable(join(dirname(fileURLToPath(import.meta.url)), ".."))
  console.log("README.md: performance table regenerated from bench/results/latest.json")
}
