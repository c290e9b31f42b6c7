/**
 * What a forced collection before each run costs the next run's code. The
 * suite's harness builds a fresh pools layer for many runs and calls
 * `global.gc()` before each measured one. This script does the same with
 * case 3's queueing loop: each rep builds `WorkerPool.layer()`, a workqueue
 * with `maxActive`, and `n` `Work.make` items, then times the synchronous
 * `unsafeQueue` loop over them, and flushes. It prints every rep's loop
 * time in ms.
 *
 *   npx esbuild bench/gc-deopt.ts --bundle --platform=node --format=esm \
 *     --conditions=@cmwq/source --outfile=/tmp/gc-deopt.mjs
 *   node --expose-gc /tmp/gc-deopt.mjs [maxActive=16] [n=5000] [reps=10] [gc|nogc] [keep]
 *
 * `gc` (the default) collects before every rep, `nogc` does not. `keep`
 * keeps every rep's workqueue, pools service and items reachable; `anchor`
 * instead keeps one other pools service alive from before the first rep to
 * the end (with a workqueue and 100 items that ran once), which no rep
 * uses: its objects are not the reps' objects, but they are instances of
 * the same classes. Add
 * `--trace-deopt` to node to see V8 mark optimized functions for
 * deoptimization ("weak objects", "code dependencies") at each collection.
 */
import { Effect, Exit, Layer, Scope } from "effect"
import { Work, WorkerPool, Workqueue } from "@cmwq/core"
import { gc } from "./lib.js"

const maxActive = Number(process.argv[2] ?? "16")
const n = Number(process.argv[3] ?? "5000")
const reps = Number(process.argv[4] ?? "10")
const collect = (process.argv[5] ?? "gc") === "gc"
const keep = process.argv[6] === "keep"
const anchor = process.argv[6] === "anchor"

const effect = Effect.sleep("1 millis")
const loops: Array<string> = []
/** with `keep`: everything each rep built */
const kept: Array<unknown> = []

// with `anchor`: one other pools service, built before the reps and alive until the
// end, with a workqueue and items that ran once; no rep uses it
const anchorScope = anchor ? Effect.runSync(Scope.make()) : null
if (anchorScope !== null) {
  const scope = anchorScope
  const context = await Effect.runPromise(Layer.buildWithScope(WorkerPool.layer(), scope))
  await Effect.gen(function*() {
    const wq = yield* Workqueue.alloc("anchor", { maxActive })
    const works = Array.from({ length: 100 }, () => Work.make(effect))
    for (const work of works) Workqueue.unsafeQueue(wq, work)
    yield* Workqueue.flush(wq)
    kept.push(scope, context, wq, works)
  }).pipe(Effect.provide(context), Scope.extend(scope), Effect.runPromise)
}

for (let r = 0; r < reps; r++) {
  if (collect) gc()
  await Effect.gen(function*() {
    const wq = yield* Workqueue.alloc("bench", { maxActive })
    const works = Array.from({ length: n }, () => Work.make(effect))
    if (keep) kept.push(wq, yield* WorkerPool.WorkerPools, works)
    const t0 = performance.now()
    for (const work of works) Workqueue.unsafeQueue(wq, work)
    loops.push((performance.now() - t0).toFixed(2))
    yield* Workqueue.flush(wq)
  }).pipe(Effect.scoped, Effect.provide(WorkerPool.layer()), Effect.runPromise)
}
console.log(
  `maxActive ${maxActive}, ${n} items, ${collect ? "gc() before each rep" : "no forced gc"}${
    keep ? ", every rep kept" : anchor ? ", another pools service kept alive" : ""
  }: queueing loop ms ${loops.join(" ")}`
)
if (anchorScope !== null) await Effect.runPromise(Scope.close(anchorScope, Exit.void))
