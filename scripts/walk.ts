/**
 * The walk: how many of the engine's own functions one work item passes
 * through, and how often the path jumps between files. A maintainer tool, not
 * part of `npm test`.
 *
 *   npx tsx scripts/walk.ts                          # measure packages/core/src
 *   npx tsx scripts/walk.ts --src <dir>              # measure another checkout's packages/core/src
 *   npx tsx scripts/walk.ts --list                   # also print every call, in order
 *   npx tsx scripts/walk.ts --runs 5 --top 10        # measured repetitions, file pairs shown
 *   npx tsx scripts/walk.ts --gap 0                  # idle gap before each run, ms (default 5)
 *
 * It copies the source directory to `scripts/.walk/` (inside the repo, so that
 * `effect` resolves through the workspace's node_modules), inserts
 * `globalThis.__walk?.("<file>:<function>@<line>")` as the first statement of
 * every function-like body there (function declarations and expressions,
 * arrow functions, whose expression bodies become blocks, methods, getters,
 * setters, constructors; a generator records when its body first runs, not
 * when it is called), and imports the copy's `index.ts`. The scenario:
 * `WorkerPool.layer({ cpus: 1 })` (kernel policy), one `Workqueue.alloc("walk")`,
 * one warm-up round (queue an item, flush) so that the workers exist and are
 * idle; then, for each measured run, the script waits `--gap` ms (5) and a few
 * event-loop turns (the worker is idle, and, the gap being longer than the
 * pools' 2 ms fairness budget, the worker deterministically hands the thread
 * back to the event loop after the item: `pauseAfterWork` → `yieldToEventLoop`;
 * with `--gap 0` it usually goes idle inside the window instead, but that
 * depends on timing),
 * a fresh `Work.make(Effect.sync(() => {}))` is made (not recorded), recording starts immediately before
 * `Workqueue.queue(wq, work)` is called, the queue effect runs, then
 * `Workqueue.flush(wq)` runs, and recording stops when the flushing fiber
 * resumes after it (its first instruction after `yield* Workqueue.flush(wq)`).
 * Every call into the copy's functions between those two points is recorded,
 * from any fiber, in order (the item's own `Effect.sync` body lives in this
 * script and is not counted; neither is Effect's own code). It prints the
 * number of calls, of distinct functions and files, the switches (consecutive
 * calls in different files), the file pairs with the most switches, and the
 * walk collapsed into runs per file. The runs must record the same sequence;
 * the tool says so when they do not. The copy is deleted afterwards.
 */
import * as fs from "node:fs"
import * as path from "node:path"
import { fileURLToPath, pathToFileURL } from "node:url"
import * as Effect from "effect/Effect"
import ts from "typescript"
import type * as Core from "@cmwq/core"

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..")

// -----------------------------------------------------------------------------
// Arguments
// -----------------------------------------------------------------------------

const argv = process.argv.slice(2)
const option = (name: string): string | undefined => {
  const i = argv.indexOf(name)
  return i >= 0 ? argv[i + 1] : undefined
}
const srcDir = path.resolve(option("--src") ?? path.join(root, "packages", "core", "src"))
const runs = Number(option("--runs") ?? "3")
const top = Number(option("--top") ?? "8")
const gap = Number(option("--gap") ?? "5")
const list = argv.includes("--list")
if (!fs.existsSync(path.join(srcDir, "index.ts"))) {
  console.error(`walk: ${srcDir} has no index.ts`)
  process.exit(2)
}

// -----------------------------------------------------------------------------
// Instrumentation
// -----------------------------------------------------------------------------

type FunctionLike =
  | ts.FunctionDeclaration
  | ts.FunctionExpression
  | ts.ArrowFunction
  | ts.MethodDeclaration
  | ts.GetAccessorDeclaration
  | ts.SetAccessorDeclaration
  | ts.ConstructorDeclaration

const isFunctionLike = (node: ts.Node): node is FunctionLike =>
  ts.isFunctionDeclaration(node) || ts.isFunctionExpression(node) || ts.isArrowFunction(node) ||
  ts.isMethodDeclaration(node) || ts.isGetAccessorDeclaration(node) || ts.isSetAccessorDeclaration(node) ||
  ts.isConstructorDeclaration(node)

const propertyName = (name: ts.PropertyName | ts.BindingName, sf: ts.SourceFile): string =>
  ts.isIdentifier(name) || ts.isPrivateIdentifier(name) || ts.isStringLiteral(name) || ts.isNumericLiteral(name)
    ? name.text
    : name.getText(sf)

const className = (node: ts.Node): string =>
  (ts.isClassDeclaration(node) || ts.isClassExpression(node)) && node.name !== undefined ? node.name.text : "class"

/**
 * The name of a function: its own (declarations, methods, accessors,
 * constructors), else the name it is bound to (`const f = () => ...`,
 * `{ f: () => ... }`, `f: dual(2, () => ...)`). An anonymous function inside a
 * call (`Effect.map(() => ...)`) or inside another function is `<outer>/λ`.
 */
const nameOf = (fn: FunctionLike, sf: ts.SourceFile): string => {
  if (ts.isConstructorDeclaration(fn)) return `new ${className(fn.parent)}`
  if (ts.isMethodDeclaration(fn) || ts.isGetAccessorDeclaration(fn) || ts.isSetAccessorDeclaration(fn)) {
    const prefix = ts.isGetAccessorDeclaration(fn) ? "get " : ts.isSetAccessorDeclaration(fn) ? "set " : ""
    const owner = ts.isClassLike(fn.parent) ? `${className(fn.parent)}.` : ""
    return `${prefix}${owner}${propertyName(fn.name, sf)}`
  }
  if ((ts.isFunctionDeclaration(fn) || ts.isFunctionExpression(fn)) && fn.name !== undefined) return fn.name.text
  // anonymous: walk up to the binding, through transparent expressions
  let anonymous = false
  let node: ts.Node = fn
  for (;;) {
    const parent: ts.Node = node.parent
    if (
      ts.isParenthesizedExpression(parent) || ts.isAsExpression(parent) || ts.isSatisfiesExpression(parent) ||
      ts.isTypeAssertionExpression(parent) || ts.isNonNullExpression(parent)
    ) {
      node = parent
      continue
    }
    if (ts.isConditionalExpression(parent) && parent.condition !== node) {
      node = parent
      continue
    }
    if (ts.isCallExpression(parent) && parent.arguments.includes(node as ts.Expression)) {
      // `dual(n, impl)` is the function itself; any other call makes it a callback
      if (!(ts.isIdentifier(parent.expression) && parent.expression.text === "dual")) anonymous = true
      node = parent
      continue
    }
    let bound: string | undefined
    if (ts.isVariableDeclaration(parent) && parent.initializer === node) bound = propertyName(parent.name, sf)
    else if (ts.isPropertyAssignment(parent) && parent.initializer === node) {
      const object = parent.parent
      const holder = object.parent
      const objectName = ts.isVariableDeclaration(holder) && holder.initializer === object
        ? `${propertyName(holder.name, sf)}.`
        : ""
      bound = `${objectName}${propertyName(parent.name, sf)}`
    } else if (ts.isPropertyDeclaration(parent) && parent.initializer === node) {
      bound = `${ts.isClassLike(parent.parent) ? `${className(parent.parent)}.` : ""}${propertyName(parent.name, sf)}`
    } else if (
      ts.isBinaryExpression(parent) && parent.operatorToken.kind === ts.SyntaxKind.EqualsToken && parent.right === node
    ) bound = parent.left.getText(sf)
    if (bound !== undefined) return anonymous ? `${bound}/λ` : bound
    // inside another function (or some other expression): name it after the enclosing function
    let outer: ts.Node | undefined = parent
    while (outer !== undefined && !isFunctionLike(outer)) outer = outer.parent
    return outer !== undefined ? `${nameOf(outer, sf)}/λ` : "λ"
  }
}

interface Insertion {
  readonly pos: number
  /** closings before openings at one position; among closings the deeper first */
  readonly order: number
  readonly text: string
}

const instrumentFile = (file: string, text: string): { readonly text: string; readonly functions: number } => {
  const sf = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true, ts.ScriptKind.TS)
  const insertions: Array<Insertion> = []
  let functions = 0
  const visit = (node: ts.Node, depth: number): void => {
    if (isFunctionLike(node) && node.body !== undefined) {
      functions++
      const line = sf.getLineAndCharacterOfPosition(node.getStart(sf)).line + 1
      const id = JSON.stringify(`${file}:${nameOf(node, sf)}@${line}`)
      const call = `globalThis.__walk?.(${id});`
      const body = node.body
      if (ts.isBlock(body)) {
        insertions.push({ pos: body.getStart(sf) + 1, order: 1_000_000 + depth, text: ` ${call}` })
      } else {
        insertions.push({ pos: body.getStart(sf), order: 1_000_000 + depth, text: `{ ${call} return (` })
        insertions.push({ pos: body.getEnd(), order: -depth, text: `) }` })
      }
    }
    ts.forEachChild(node, (child) => visit(child, depth + 1))
  }
  visit(sf, 0)
  insertions.sort((a, b) => a.pos - b.pos || a.order - b.order)
  let out = ""
  let at = 0
  for (const insertion of insertions) {
    out += text.slice(at, insertion.pos) + insertion.text
    at = insertion.pos
  }
  return { text: out + text.slice(at), functions }
}

const walkDir = (dir: string): Array<string> =>
  fs.readdirSync(dir, { withFileTypes: true }).flatMap((entry) =>
    entry.isDirectory()
      ? walkDir(path.join(dir, entry.name)).map((f) => path.join(entry.name, f))
      : [entry.name]
  )

const workDir = path.join(root, "scripts", ".walk")
const copyDir = path.join(workDir, "src")
fs.rmSync(workDir, { recursive: true, force: true })
let files = 0
let functions = 0
for (const file of walkDir(srcDir)) {
  const target = path.join(copyDir, file)
  fs.mkdirSync(path.dirname(target), { recursive: true })
  const text = fs.readFileSync(path.join(srcDir, file), "utf8")
  const rel = file.split(path.sep).join("/")
  if (rel.endsWith(".ts") && !rel.endsWith(".d.ts")) {
    const result = instrumentFile(rel, text)
    fs.writeFileSync(target, result.text)
    files++
    functions += result.functions
  } else {
    fs.writeFileSync(target, text)
  }
}

// -----------------------------------------------------------------------------
// The scenario
// -----------------------------------------------------------------------------

const recorder = { on: false, calls: [] as Array<string> }
;(globalThis as { __walk?: (id: string) => void }).__walk = (id) => {
  if (recorder.on) recorder.calls.push(id)
}

const measure = async (): Promise<ReadonlyArray<ReadonlyArray<string>>> => {
  const core = (await import(pathToFileURL(path.join(copyDir, "index.ts")).href)) as typeof Core
  const { Work, WorkerPool, Workqueue } = core
  const sequences: Array<ReadonlyArray<string>> = []
  // a few event-loop turns: the worker finishes its last item and goes idle,
  // the pools' fairness marker fires (a fresh time slice)
  const settle = Effect.promise(() =>
    new Promise<void>((resolve) => setTimeout(() => setImmediate(() => setImmediate(resolve)), gap))
  )
  const program = Effect.gen(function*() {
    const wq = yield* Workqueue.alloc("walk")
    // warm-up: the workers exist and are idle afterwards
    yield* Workqueue.queue(wq, Work.make(Effect.sync(() => {})))
    yield* Workqueue.flush(wq)
    for (let i = 0; i < runs; i++) {
      yield* settle
      const work = Work.make(Effect.sync(() => {}))
      yield* Effect.suspend(() => {
        recorder.calls = []
        recorder.on = true
        return Workqueue.queue(wq, work)
      })
      yield* Workqueue.flush(wq)
      recorder.on = false
      sequences.push(recorder.calls)
    }
  })
  await Effect.runPromise(program.pipe(Effect.scoped, Effect.provide(WorkerPool.layer({ cpus: 1 }))))
  return sequences
}

let sequences: ReadonlyArray<ReadonlyArray<string>>
try {
  sequences = await measure()
} finally {
  fs.rmSync(workDir, { recursive: true, force: true })
}

// -----------------------------------------------------------------------------
// The report
// -----------------------------------------------------------------------------

const calls = sequences[0] ?? []
const fileOf = (id: string): string => id.slice(0, id.indexOf(":"))
const functionOf = (id: string): string => {
  const name = id.slice(id.indexOf(":") + 1)
  // named functions print bare; anonymous ones keep their line
  return name.includes("λ") ? name : name.slice(0, name.lastIndexOf("@"))
}

console.log(`walk: ${srcDir}`)
console.log(`instrumented: ${functions} functions in ${files} files`)
console.log(
  "measured: from the call Workqueue.queue(wq, work) to the flusher's resumption after Workqueue.flush(wq),\n" +
    `  WorkerPool.layer({ cpus: 1 }), one workqueue, warmed up, idle gap ${gap} ms before each run,\n` +
    "  work = Work.make(Effect.sync(() => {}))"
)
const identical = sequences.every((s) => s.length === calls.length && s.every((id, i) => id === calls[i]))
console.log(
  identical
    ? `runs: ${sequences.length}, all recorded the same sequence`
    : `runs: ${sequences.length}, sequences DIFFER (lengths ${
      sequences.map((s) => s.length).join(", ")
    }); the first is reported`
)

const distinctFiles = new Set(calls.map(fileOf))
const distinctFunctions = new Set(calls)
const pairs = new Map<string, number>()
let switches = 0
for (let i = 1; i < calls.length; i++) {
  const a = fileOf(calls[i - 1])
  const b = fileOf(calls[i])
  if (a !== b) {
    switches++
    const key = [a, b].sort().join(" ↔ ")
    pairs.set(key, (pairs.get(key) ?? 0) + 1)
  }
}
console.log(`calls: ${calls.length}`)
console.log(`distinct functions: ${distinctFunctions.size}`)
console.log(`distinct files: ${distinctFiles.size}`)
console.log(`switches: ${switches}`)

console.log(`\ncalls per file:`)
const perFile = new Map<string, number>()
for (const id of calls) perFile.set(fileOf(id), (perFile.get(fileOf(id)) ?? 0) + 1)
for (const [file, n] of [...perFile].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))) {
  console.log(`  ${String(n).padStart(4)}  ${file}`)
}

console.log(`\ntop file pairs by switches:`)
for (const [pair, n] of [...pairs].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0])).slice(0, top)) {
  console.log(`  ${String(n).padStart(4)}  ${pair}`)
}

// runs per file; within a run, repeats of one function collapse to `f ×n`
const runsPerFile: Array<{ file: string; steps: Array<{ name: string; count: number }> }> = []
for (const id of calls) {
  const file = fileOf(id)
  const name = functionOf(id)
  let last = runsPerFile[runsPerFile.length - 1]
  if (last === undefined || last.file !== file) {
    last = { file, steps: [] }
    runsPerFile.push(last)
  }
  const step = last.steps[last.steps.length - 1]
  if (step !== undefined && step.name === name) step.count++
  else last.steps.push({ name, count: 1 })
}
console.log(`\nthe walk, ${runsPerFile.length} runs of one file:`)
runsPerFile.forEach((run, i) => {
  const steps = run.steps.map((s) => (s.count > 1 ? `${s.name} ×${s.count}` : s.name)).join(", ")
  console.log(`  ${String(i + 1).padStart(3)}. ${run.file}: ${steps}`)
})

if (list) {
  console.log(`\nevery call:`)
  calls.forEach((id, i) => console.log(`  ${String(i + 1).padStart(4)}  ${id}`))
}
