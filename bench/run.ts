/**
 * The benchmark suite's entry point: `npm run bench` (full) or
 * `npm run bench -- --quick` (under 2 minutes on a 2-core machine).
 *
 * Runs every case in this one process, each contender side by side with its
 * peers (warm-up, then rounds in rotating order, medians), prints markdown
 * tables, and writes
 * - `bench/results/latest.json`: an array of rows `{ case, ours, peer,
 *   peerValue, unit, ratio, better }` (ratio = ours / peerValue);
 * - `bench/results/latest-meta.json`: machine info, options, the extra tables
 *   and notes.
 *
 * A full run (no `--quick`, no `--only`) then regenerates the README's
 * performance table from those files (`./readme-table.ts`).
 *
 * Options: `--quick`; `--only=1,3` runs a subset of the cases (development
 * aid; the results files are written all the same). `--only=8,9 --merge`
 * instead replaces only those cases' rows and tables in the results files,
 * keeps every other case's, and records the partial run in the meta file's
 * `merged` list (an earlier entry keeps only the cases no later run replaced). BENCH_VERBOSE=1 prints the wall time of every run.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs"
import * as os from "node:os"
import { dirname, join } from "node:path"
import { fileURLToPath } from "node:url"
import { writeReadmeTable } from "./readme-table.js"
import { writeScalingPlot } from "./scaling-plot.js"
import * as blockingMix from "./cases/blocking-mix.js"
import * as cluster from "./cases/cluster.js"
import * as delayed from "./cases/delayed.js"
import * as memory from "./cases/memory.js"
import * as perfWq from "./cases/perf-wq.js"
import * as runAll from "./cases/run-all.js"
import * as scaling from "./cases/scaling.js"
import * as throughputAwait from "./cases/throughput-await.js"
import * as throughputSync from "./cases/throughput-sync.js"
import * as threads from "./cases/threads.js"
import {
  type CaseOptions,
  type CaseResult,
  gc,
  markdownTable,
  now,
  progress,
  type Row,
  rowsTable,
  type Table
} from "./lib.js"

const CASES: ReadonlyArray<readonly [number, string, (options: CaseOptions) => Promise<CaseResult>]> = [
  [1, "throughput, trivial synchronous items", throughputSync.run],
  [2, "throughput, items that await once", throughputAwait.run],
  [3, "blocking mix", blockingMix.run],
  [4, "memory per pending item", memory.run],
  [5, "perf-wq (the 2010 cmwq announcement's load generator) beside a CPU-bound foreground job", perfWq.run],
  [6, "run many effects for their results (runAll vs Effect.forEach)", runAll.run],
  [7, "tasks on worker threads (Piscina, tinypool, raw and batched postMessage, one thread)", threads.run],
  [8, "delayed work: 10^6 timers armed and cancelled", delayed.run],
  [9, "scaling: cost per item across N, workqueues, pending delayed items and CPUs", scaling.run],
  [10, "tasks on a cluster (SQLite, in memory) beside BullMQ on Redis, 1 and 3 runners", cluster.run]
]

/** the case id a row or table belongs to: its leading number ("8. ...", "Case 8: ...") */
const caseIdOf = (label: string): number => Number(/^(?:Case )?(\d+)/.exec(label)?.[1] ?? NaN)

/** --quick: a contender whose measured run takes longer than this is measured once (see lib.compare) */
const QUICK_SLOW_RUN_MS = 250

const main = async () => {
  const quick = process.argv.includes("--quick")
  const onlyArg = process.argv.find((a) => a.startsWith("--only="))
  const only = onlyArg === undefined ? null : new Set(onlyArg.slice("--only=".length).split(",").map(Number))
  gc() // fails early without --expose-gc
  const options: CaseOptions = { quick, reps: quick ? 3 : 5, slowRunMs: quick ? QUICK_SLOW_RUN_MS : Infinity }
  const cpus = os.cpus()
  const machine = {
    cpu: cpus[0]?.model ?? "unknown",
    cores: cpus.length,
    node: process.version,
    platform: `${os.type()} ${os.release()} ${os.arch()}`,
    totalMemoryMB: Math.round(os.totalmem() / 2 ** 20)
  }
  const header = [
    `# cmwq benchmarks (${quick ? "quick" : "full"})`,
    "",
    `- CPU: ${machine.cpu}, ${machine.cores} cores; ${machine.platform}; ${machine.totalMemoryMB} MB`,
    `- Node ${machine.node}; ${options.reps} measured rounds per contender (after one warm-up run), medians reported${
      quick ? `; quick: a contender whose run takes over ${QUICK_SLOW_RUN_MS} ms is measured once` : ""
    }`,
    `- started ${new Date().toISOString()}`
  ].join("\n")
  console.log(`${header}\n`)

  const rows: Array<Row> = []
  const tables: Array<Table> = []
  const notes: Array<string> = []
  const timings: Record<string, number> = {}
  const t0 = now()
  for (const [id, name, runCase] of CASES) {
    if (only !== null && !only.has(id)) continue
    progress(`case ${id}: ${name}`)
    const t = now()
    const result = await runCase(options)
    timings[`case ${id}`] = Math.round(now() - t)
    progress(`case ${id}: done in ${((now() - t) / 1000).toFixed(1)} s`)
    rows.push(...result.rows)
    tables.push(...result.tables)
    notes.push(...result.notes)
  }
  const totalSeconds = (now() - t0) / 1000

  console.log("## Results (ratio = ours / peer)\n")
  console.log(rowsTable(rows))
  for (const table of tables) {
    console.log(`\n## ${table.title}\n`)
    console.log(markdownTable(table.headers, table.rows))
  }
  if (notes.length > 0) console.log(`\n## Notes\n\n${notes.map((n) => `- ${n}`).join("\n")}`)
  console.log(`\nTotal: ${totalSeconds.toFixed(1)} s`)

  const dir = join(dirname(fileURLToPath(import.meta.url)), "results")
  mkdirSync(dir, { recursive: true })
  const rowsPath = join(dir, "latest.json")
  const metaPath = join(dir, "latest-meta.json")
  const merge = only !== null && process.argv.includes("--merge") && existsSync(rowsPath) && existsSync(metaPath)
  if (merge) {
    const ran = (label: string) => only.has(caseIdOf(label))
    const byId = (a: { readonly case: string }, b: { readonly case: string }) => caseIdOf(a.case) - caseIdOf(b.case)
    const oldRows = JSON.parse(readFileSync(rowsPath, "utf8")) as Array<Row>
    const merged = [...oldRows.filter((r) => !ran(r.case)), ...rows].sort(byId)
    writeFileSync(rowsPath, `${JSON.stringify(merged, null, 2)}\n`)
    const meta = JSON.parse(readFileSync(metaPath, "utf8")) as {
      tables: Array<Table>
      notes: Array<string>
      timings: Record<string, number>
      merged?: Array<unknown>
    }
    meta.tables = [...meta.tables.filter((t) => !ran(t.title)), ...tables]
      .map((t, i) => ({ t, i }))
      .sort((a, b) => (caseIdOf(a.t.title) - caseIdOf(b.t.title)) || a.i - b.i)
      .map(({ t }) => t)
    // a note shared by several cases ("Cases 1-2: ...") is kept once
    meta.notes = [...new Set([...meta.notes.filter((n) => !ran(n)), ...notes])]
    meta.timings = { ...meta.timings, ...timings }
    meta.merged = supersede([...((meta.merged ?? []) as Array<MergedRun>), {
      cases: [...only],
      quick,
      reps: options.reps,
      date: new Date().toISOString()
    }])
    writeFileSync(metaPath, `${JSON.stringify(meta, null, 2)}\n`)
    console.log(`merged the rows of cases ${[...only].join(", ")} into ${rowsPath}`)
    if (only.has(9)) console.log(`plot: ${writeScalingPlot(join(dir, "..", ".."))}`)
    return
  }
  writeFileSync(rowsPath, `${JSON.stringify(rows, null, 2)}\n`)
  writeFileSync(
    metaPath,
    `${
      JSON.stringify(
        { machine, quick, reps: options.reps, date: new Date().toISOString(), totalSeconds, timings, tables, notes },
        null,
        2
      )
    }\n`
  )
  if (only === null || only.has(9)) console.log(`plot: ${writeScalingPlot(join(dir, "..", ".."))}`)
  if (!quick && only === null) {
    writeReadmeTable(join(dir, "..", ".."))
    console.log("README.md: performance table regenerated from bench/results/latest.json")
  }
}

/** one partial run merged into the results files */
interface MergedRun {
  readonly cases: ReadonlyArray<number>
  readonly [key: string]: unknown
}

/** the merged runs, each listing only the cases no later run replaced (runs left with none are dropped) */
const supersede = (runs: ReadonlyArray<MergedRun>): Array<MergedRun> => {
  const later = new Set<number>()
  const kept: Array<MergedRun> = []
  for (let i = runs.length - 1; i >= 0; i--) {
    const run = runs[i]!
    const cases = run.cases.filter((id) => !later.has(id))
    for (const id of run.cases) later.add(id)
    if (cases.length > 0) kept.unshift({ ...run, cases })
  }
  return kept
}

main().then(
  () => process.exit(0),
  (error) => {
    console.error(error)
    process.exit(1)
  }
)
