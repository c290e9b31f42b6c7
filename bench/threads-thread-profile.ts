/**
 * A CPU profile of the thread side of `Task.runAll` on tiny tasks: every CPU
 * thread runs with `--cpu-prof` (one `.cpuprofile` per thread in the
 * directory given), the main thread queues `N` `a + b` tasks in batches of
 * 1024, `REPS` times. Summarise a profile with `bench/cpuprofile-top.ts`. Run:
 *   node --conditions=@cmwq/source --import tsx bench/threads-thread-profile.ts <dir> [tasks] [reps]
 */
import { Effect } from "effect"
import { Task, Workqueue } from "@cmwq/core"
import { NodeThreads } from "@cmwq/platform-node"
import { Add } from "./cases/threads/tasks.js"

const DIR = process.argv[2] ?? "."
const N = Number(process.argv[3] ?? 20_000)
const REPS = Number(process.argv[4] ?? 5)

const main = Effect.gen(function*() {
  const wq = yield* Workqueue.alloc("profiled", { flags: ["UNBOUND"], maxActive: 512 })
  for (let r = 0; r < REPS; r++) {
    yield* Task.runAll(wq, Array.from({ length: N }, (_, i) => new Add({ a: i, b: 1 }, true)))
  }
}).pipe(
  Effect.scoped,
  Effect.provide(NodeThreads.layer({
    threads: 2,
    handlers: new URL("./cases/threads/tasks.ts", import.meta.url),
    execArgv: ["--conditions=@cmwq/source", "--cpu-prof", `--cpu-prof-dir=${DIR}`]
  }))
)

Effect.runPromise(main).then(() => process.exit(0), (e: unknown) => {
  console.error(e)
  process.exit(1)
})
