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
 * keeps every rep's workqueue, pools service and items reachable. Add
 * `--trace-deopt` to node to see V8 mark optimized functions for
 * deoptimization ("weak objects", "code dependencies") at each collection.
 */
import { Effect } from "effect"
import { Work, WorkerPool, Workqueue } from "@cmwq/core"
import { gc } from "./lib.js"

const maxActive = Number(process.argv[2] ?? "16")
const n = Number(process.argv[3] ?? "5000")
const reps = Number(process.argv[4] ?? "10")
const collect = (process.argv[5] ?? "gc") === "gc"
const keep = process.argv[6] === "keep"

const effect = Effect.sleep("1 millis")
const loops: Array<string> = []
/** with `keep`: everything each rep built */
const kept: Array<unknown> = []

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
    keep ? ", every rep kept" : ""
  }: queueing loop ms ${loops.join(" ")}`
)
