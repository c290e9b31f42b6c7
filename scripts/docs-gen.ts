/**
 * Writes the generated parts of the documentation site, before `astro build`
 * (and `astro dev`) reads them. Nothing it writes is committed.
 *
 *   npx tsx scripts/docs-gen.ts
 *
 * 1. The API reference: `scripts/reference.ts` (every public export of the
 *    three packages, from the sources) -> `docs/src/content/docs/reference/`;
 *    an export without `@since`, `@category` or (values) `@example` fails
 *    the run.
 * 2. The execution scenarios: each scenario of `scripts/scenarios.ts` run by
 *    `Simulation.run`, as its `Trace.format` table and its `Trace.toSvg`
 *    diagram -> `docs/src/generated/scenarios.json` (the `Timeline`
 *    component shows them).
 * 3. The examples a page shows (`<Example file="…" />` in
 *    `docs/src/content/docs`): each run with tsx from the repository root;
 *    a non-zero exit or a timeout fails the run. Their output ->
 *    `docs/src/generated/examples.json` (the `Example` component shows the
 *    file and its output). Every file of `docs/examples/` is type-checked by
 *    `scripts/docs-check.ts`; one no page shows is not run here (the HTTP
 *    server runs until stopped; its own test starts and stops it).
 *
 * It also empties Astro's content cache (`docs/node_modules/.astro`): the
 * cache keys pages by their text, so without this a change to the code-block
 * configuration (`docs/ec.config.mjs`) would not reach unchanged pages.
 *
 * The benchmark tables are not generated here: the `BenchTables` component
 * reads `bench/results/latest.json` and `latest-meta.json` during the build.
 */
import { execFileSync, spawnSync } from "node:child_process"
import * as fs from "node:fs"
import * as path from "node:path"
import { fileURLToPath } from "node:url"
import { Trace } from "@cmwq/testing"
import { scenarios, traceOf } from "./scenarios.js"

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..")
const generated = path.join(root, "docs", "src", "generated")
const examplesDir = path.join(root, "docs", "examples")
const tsx = path.join(root, "node_modules", "tsx", "dist", "cli.mjs")

fs.mkdirSync(generated, { recursive: true })
fs.rmSync(path.join(root, "docs", "node_modules", ".astro"), { recursive: true, force: true })

// 1. the API reference
// fails (and lists them) if an export lacks @since, @category or, for a value, an @example
execFileSync(process.execPath, [tsx, path.join(root, "scripts", "reference.ts")], {
  cwd: root,
  stdio: ["ignore", "inherit", "inherit"]
})
console.log("docs-gen: reference written")

// 2. the scenarios
const timelines = scenarios.map((s) => {
  const trace = traceOf(s)
  return {
    id: s.id,
    title: s.title,
    timeline: Trace.format(trace),
    svg: Trace.toSvg(trace, { title: s.title, width: 610 })
  }
})
fs.writeFileSync(path.join(generated, "scenarios.json"), `${JSON.stringify(timelines, null, 2)}\n`)
console.log(`docs-gen: ${timelines.length} scenario timelines and diagrams`)

// 3. the examples
const examples: Record<string, { readonly output: string }> = {}
let failed = 0
const pagesDir = path.join(root, "docs", "src", "content", "docs")
const shown = new Set<string>()
for (const page of fs.readdirSync(pagesDir, { recursive: true, encoding: "utf8" })) {
  if (!/\.mdx?$/.test(page)) continue
  for (const m of fs.readFileSync(path.join(pagesDir, page), "utf8").matchAll(/<Example file="([^"]+)"/g)) {
    shown.add(m[1])
  }
}
for (const file of [...shown].sort()) {
  if (!fs.existsSync(path.join(examplesDir, file))) {
    console.error(`docs-gen: a page shows docs/examples/${file}, which does not exist`)
    failed++
    continue
  }
  const started = Date.now()
  const run = spawnSync(process.execPath, [tsx, path.join(examplesDir, file)], {
    cwd: root,
    encoding: "utf8",
    timeout: 120_000,
    env: { ...process.env, NO_COLOR: "1", FORCE_COLOR: "0" }
  })
  const output = `${run.stdout ?? ""}${run.stderr ?? ""}`.trimEnd()
  if (run.status !== 0) {
    console.error(`docs-gen: docs/examples/${file} failed (exit ${run.status}, signal ${run.signal}):\n${output}`)
    failed++
    continue
  }
  examples[file] = { output }
  console.log(`docs-gen: docs/examples/${file} ran in ${Date.now() - started} ms`)
}
fs.writeFileSync(path.join(generated, "examples.json"), `${JSON.stringify(examples, null, 2)}\n`)
if (failed > 0) process.exit(1)
