/**
 * Rows (the shape of `bench/results/latest.json`) of instructions per item,
 * counted by callgrind: `bench/instructions.ts` bundled once with esbuild,
 * then run under `valgrind --tool=callgrind` with `node --single-threaded`
 * (no concurrent compiler or GC threads, whose share of the count varies from
 * run to run) for N = 0 and N = 100000 items; (count(N) - count(0)) / N is
 * one item's cost. Written to `bench/results/instructions.json`.
 *
 *   npx tsx bench/instructions-rows.ts
 *
 * Rows: Effect-bodied items (`Effect.promise`) and synchronous items
 * (`Effect.sync`) with no tracer installed (Effect's native tracer, which
 * exports nothing) against the same items with tracing off
 * (`Effect.withTracerEnabled(false)`): the cost of tracing when no tracer is
 * installed. Lower is better. Slow: about a minute of CPU per run.
 */
import { execFileSync } from "node:child_process"
import { readFileSync, writeFileSync } from "node:fs"
import type { Row } from "./lib.js"

const bundle = "/tmp/cmwq-instructions.mjs"
execFileSync("npx", [
  "esbuild",
  "bench/instructions.ts",
  "--bundle",
  "--platform=node",
  "--format=esm",
  "--conditions=@cmwq/source",
  `--outfile=${bundle}`,
  "--log-level=warning"
], { stdio: "inherit" })

const count = (n: number, mode: string, tracing: string): number => {
  const out = `/tmp/cmwq-instructions-${n}-${mode}-${tracing}.out`
  const log = execFileSync("valgrind", [
    "--tool=callgrind",
    `--callgrind-out-file=${out}`,
    "node",
    "--single-threaded",
    bundle,
    String(n),
    mode,
    tracing
  ], { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] })
  void log
  const m = /summary: (\d+)/.exec(readFileSync(out, "utf8"))
  if (m === null) throw new Error(`no instruction count in ${out}`)
  return Number(m[1])
}

const n = 100_000
const perItem = (mode: string, tracing: string): number => (count(n, mode, tracing) - count(0, mode, tracing)) / n

const rows: Array<Row> = []
for (const mode of ["promise", "sync"]) {
  const ours = perItem(mode, "default")
  const off = perItem(mode, "off")
  rows.push({
    case: `1t. ${mode} items, no tracer installed vs tracing off, N=1e5`,
    ours,
    peer: "tracing off (Effect.withTracerEnabled(false))",
    peerValue: off,
    unit: "instructions/item (callgrind)",
    ratio: ours / off,
    better: "lower"
  })
}
writeFileSync("bench/results/instructions.json", JSON.stringify(rows, null, 2) + "\n")
console.log(JSON.stringify(rows, null, 2))
