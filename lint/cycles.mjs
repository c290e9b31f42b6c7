/**
 * The import-cycle check over every package's `src/` (dependency graph by
 * dpdm).
 *
 *   node lint/cycles.mjs           run-time imports only; exits 1 on any cycle
 *   node lint/cycles.mjs --types   type-only imports too; informational, exits 0
 *
 * Run-time mode transpiles each module first (dpdm's `transform`, i.e.
 * TypeScript's `transpileModule`), so exactly the imports that survive
 * compilation count: `import type`, `import { type A }` and imports used
 * only as types are erased, as tsc, tsx and esbuild erase them.
 *
 * It prints every group of files that import each other (a strongly
 * connected component: one knot to untie) and every elementary cycle in it
 * (each file once per cycle). dpdm's own list, by contrast, shows only the
 * cycles its depth-first walk happens to close.
 */
import { parseDependencyTree } from "dpdm"
import * as path from "node:path"

const root = path.resolve(import.meta.dirname, "..")
const withTypes = process.argv.includes("--types")
const MAX_CYCLES = 500

const tree = await parseDependencyTree(["packages/*/src/**/*.ts"], {
  cwd: root,
  context: root,
  transform: !withTypes,
  onProgress: () => {}
})

/** dpdm names files relative to `context` (built-ins by their specifier, e.g. `node:fs`) */
const rel = (file) => path.relative(root, path.resolve(root, file)).split(path.sep).join("/")
const isOurs = (file) => /^packages\/[^/]+\/src\//.test(rel(file)) && !rel(file).includes("/node_modules/")

/** file -> the files it imports (inside the workspace) */
const graph = new Map()
const unresolved = []
for (const [file, deps] of Object.entries(tree)) {
  if (deps === null || !isOurs(file)) continue
  const targets = new Set()
  for (const dep of deps) {
    if (dep.id === null) {
      if (dep.request.startsWith(".")) unresolved.push(`${rel(file)}: "${dep.request}"`)
    } else if (isOurs(dep.id) && tree[dep.id] !== null) {
      targets.add(dep.id)
    }
  }
  graph.set(file, [...targets].sort())
}

/** Tarjan's strongly connected components with more than one file (or a self-import) */
const components = () => {
  const index = new Map()
  const low = new Map()
  const stack = []
  const onStack = new Set()
  const result = []
  let next = 0
  const visit = (v) => {
    index.set(v, next)
    low.set(v, next)
    next++
    stack.push(v)
    onStack.add(v)
    for (const w of graph.get(v) ?? []) {
      if (!index.has(w)) {
        visit(w)
        low.set(v, Math.min(low.get(v), low.get(w)))
      } else if (onStack.has(w)) {
        low.set(v, Math.min(low.get(v), index.get(w)))
      }
    }
    if (low.get(v) === index.get(v)) {
      const component = []
      let w
      do {
        w = stack.pop()
        onStack.delete(w)
        component.push(w)
      } while (w !== v)
      if (component.length > 1 || (graph.get(v) ?? []).includes(v)) result.push(component.sort())
    }
  }
  for (const v of [...graph.keys()].sort()) if (!index.has(v)) visit(v)
  return result
}

/** the elementary cycles inside one component, each starting at its smallest file */
const cyclesOf = (component) => {
  const members = new Set(component)
  const cycles = []
  const walk = (start, v, trail, seen) => {
    for (const w of graph.get(v) ?? []) {
      if (cycles.length >= MAX_CYCLES || !members.has(w)) continue
      if (w === start) cycles.push([...trail, start])
      else if (w > start && !seen.has(w)) {
        seen.add(w)
        walk(start, w, [...trail, w], seen)
        seen.delete(w)
      }
    }
  }
  for (const start of component) walk(start, start, [start], new Set([start]))
  return cycles.sort((a, b) => a.length - b.length || a.join().localeCompare(b.join()))
}

const what = withTypes ? "import cycles, type-only imports included" : "run-time import cycles"
const found = components()
for (const line of unresolved) console.error(`warning: unresolved import ${line}`)
if (found.length === 0) {
  console.log(`${what}: none in packages/*/src (${graph.size} files)`)
  process.exit(0)
}
let total = 0
for (const [i, component] of found.entries()) {
  const cycles = cyclesOf(component)
  total += cycles.length
  console.log(`${what}, group ${i + 1}: ${component.length} files, ${cycles.length} cycle(s)`)
  for (const file of component) console.log(`  ${rel(file)}`)
  for (const cycle of cycles) console.log(`    ${cycle.map(rel).join(" -> ")}`)
  if (cycles.length >= MAX_CYCLES) console.log(`    ... (stopped at ${MAX_CYCLES})`)
}
console.log(`${what}: ${total} cycle(s) in ${found.length} group(s) (${graph.size} files)`)
process.exit(withTypes ? 0 : 1)
