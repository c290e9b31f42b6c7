/**
 * Bursts of tiny tasks on a one-runner cluster, for profiling case 10's
 * throughput rows: `node --conditions=@cmwq/source --import tsx
 * bench/cluster-bursts.ts [storage] [n] [rounds] [pools]` with `storage` one
 * of `full` (SQLite, `synchronous: "full"`, the default), `normal` (SQLite,
 * `synchronous: "normal"`) or `memory`, and `pools` one of `shared` (the
 * queueing side and the runner on one `WorkerPool.layer()`, as in case 10
 * and the package's README; the default) or `separate` (the runner on pools
 * of its own); add `--cpu-prof` to node for a
 * profile (read it with `bench/cpu-prof-top.ts`). Prints each round's
 * tasks/s and when its first task finished, then the median over every round
 * but the first (warm-up). The producer is set up as in case 10: every task
 * of a burst in flight at once, 48 at once on the runner.
 */
import { mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { ClusterStorage, ClusterWorkqueue } from "@cmwq/cluster"
import { Task, WorkerPool, Workqueue } from "@cmwq/core"
import { Effect, Exit, Layer, ManagedRuntime, Scope } from "effect"
import { handlers, Tiny } from "./cases/cluster/tasks.js"

const storage = process.argv[2] ?? "full"
const n = Number(process.argv[3] ?? 300)
const rounds = Number(process.argv[4] ?? 10)
const pools = process.argv[5] ?? "shared"
if (storage !== "full" && storage !== "normal" && storage !== "memory") {
  throw new Error(`storage: expected full, normal or memory, got ${storage}`)
}
if (pools !== "shared" && pools !== "separate") throw new Error(`pools: expected shared or separate, got ${pools}`)
if (!Number.isInteger(n) || n < 1 || !Number.isInteger(rounds) || rounds < 2) {
  throw new Error("n: an integer of 1 or more; rounds: an integer of 2 or more")
}

const dir = mkdtempSync(join(tmpdir(), "cmwq-cluster-bursts-"))
const cluster = storage === "memory"
  ? ClusterStorage.layerMemory
  : ClusterStorage.layerSqlite({ filename: join(dir, "bursts.db"), synchronous: storage })
const live = pools === "shared"
  ? Layer.mergeAll(
    ClusterWorkqueue.layerTransport(),
    ClusterWorkqueue.layerRunner({ handlers, maxActive: 48 })
  ).pipe(Layer.provideMerge(WorkerPool.layer()), Layer.provideMerge(cluster))
  : Layer.mergeAll(
    ClusterWorkqueue.layerTransport().pipe(Layer.provideMerge(WorkerPool.layer())),
    ClusterWorkqueue.layerRunner({ handlers, maxActive: 48 }).pipe(Layer.provide(WorkerPool.layer()))
  ).pipe(Layer.provideMerge(cluster))
const runtime = ManagedRuntime.make(Layer.orDie(live))
const { make, wq } = await runtime.runPromise(Effect.gen(function*() {
  const scope = yield* Scope.make()
  const wq = yield* Workqueue.alloc("bursts", { flags: ["UNBOUND"], maxActive: Workqueue.WQ_MAX_ACTIVE }).pipe(
    Scope.extend(scope),
    Effect.orDie
  )
  return { make: yield* Task.maker, wq }
}))

const rates: Array<number> = []
for (let r = 0; r < rounds; r++) {
  const t0 = performance.now()
  let first = 0
  let failed = 0
  await new Promise<void>((resolve) => {
    let left = n
    for (let i = 0; i < n; i++) {
      Workqueue.unsafeQueue(
        wq,
        make(new Tiny({ sentAt: 0 }, true), {
          onExit: (exit) => {
            if (!Exit.isSuccess(exit)) failed++
            if (first === 0) first = performance.now() - t0
            if (--left === 0) resolve()
          }
        })
      )
    }
  })
  if (failed > 0) throw new Error(`round ${r}: ${failed} of ${n} tasks failed`)
  const rate = (n * 1000) / (performance.now() - t0)
  if (r > 0) rates.push(rate)
  console.log(`round ${r}: ${rate.toFixed(0)} tasks/s, first task done after ${first.toFixed(0)} ms`)
}
rates.sort((a, b) => a - b)
console.log(
  `${storage}, ${pools} pools: median ${rates[Math.floor(rates.length / 2)]!.toFixed(0)} tasks/s over rounds 1..${
    rounds - 1
  }`
)
await runtime.dispose()
rmSync(dir, { recursive: true, force: true })
