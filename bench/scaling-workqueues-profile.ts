/**
 * Why case 9's workqueues sweep is not flat: queues `n` `Work.sync` items
 * round-robin over `w` workqueues (`Workqueue.unsafeQueue`, as case 9
 * does), waits until they have run, `reps` times, and prints the process's
 * CPU ns per item (`process.cpuUsage`, user + system) for each rep and
 * their median. Run with `--cpu-prof` to get the profile by function:
 *
 *   node --expose-gc --cpu-prof --cpu-prof-dir=/tmp/prof-wq --conditions=@cmwq/source \
 *     --import tsx bench/scaling-workqueues-profile.ts 10000 100000 20
 *
 * (`bench/cpu-prof-top.ts` sums a .cpuprofile's self time by function).
 */
import { Effect } from "effect"
import { Work, WorkerPool, Workqueue } from "@cmwq/core"
import { expectRuns, inc, waitForAll } from "./cases/scaling.js"

const w = Number(process.argv[2] ?? "1")
const n = Number(process.argv[3] ?? "100000")
const reps = Number(process.argv[4] ?? "10")

const program = Effect.gen(function*() {
  const wqs: Array<Workqueue.Workqueue> = []
  for (let i = 0; i < w; i++) wqs.push(yield* Workqueue.alloc(`scaling-${i}`))
  const perRep: Array<number> = []
  for (let r = 0; r < reps; r++) {
    const c0 = process.cpuUsage()
    expectRuns(n)
    for (let i = 0; i < n; i++) Workqueue.unsafeQueue(wqs[i % w]!, Work.sync(inc))
    yield* waitForAll
    const d = process.cpuUsage(c0)
    perRep.push(((d.user + d.system) * 1000) / n)
  }
  return perRep
}).pipe(Effect.scoped, Effect.provide(WorkerPool.layer()))

const perRep = await Effect.runPromise(program)
const sorted = [...perRep].sort((a, b) => a - b)
console.log(
  `W=${w} n=${n} reps=${reps}: median ${sorted[Math.floor(sorted.length / 2)]!.toFixed(0)} ns/item (CPU); per rep ${
    perRep.map((x) => x.toFixed(0)).join(" ")
  }`
)
