/**
 * Why case 9's N sweep grows: runs N `Work.sync` items once, either all
 * pending at once (`unsafeQueue` in one loop, as case 9 did) or handed over
 * lazily (`Workqueue.queueAll` over a generator, so items are made and run
 * chunk by chunk), and prints the process's CPU ns per item
 * (`process.cpuUsage`, user + system) and the share of GC samples. Run with
 * `--cpu-prof` to get the profile by function:
 *
 *   node --expose-gc --cpu-prof --cpu-prof-dir=/tmp/prof --conditions=@cmwq/source \
 *     --import tsx bench/scaling-n-profile.ts 1000000 pending
 *
 * (`bench/cpu-prof-top.ts` sums a .cpuprofile's self time by function).
 */
import { Effect } from "effect"
import { Work, WorkerPool, Workqueue } from "@cmwq/core"

const n = Number(process.argv[2] ?? "1000")
const mode = process.argv[3] ?? "pending"
const reps = Number(process.argv[4] ?? String(Math.max(1, Math.round(1e6 / n))))

let count = 0
const inc = (): void => {
  count++
}

function* items(k: number): Generator<Work.Work> {
  for (let i = 0; i < k; i++) yield Work.sync(inc)
}

const program = Effect.gen(function*() {
  const wq = yield* Workqueue.alloc("scaling")
  const c0 = process.cpuUsage()
  for (let r = 0; r < reps; r++) {
    if (mode === "pending") {
      for (let i = 0; i < n; i++) Workqueue.unsafeQueue(wq, Work.sync(inc))
    } else {
      yield* Workqueue.queueAll(wq, items(n))
    }
    yield* Workqueue.flush(wq)
  }
  const d = process.cpuUsage(c0)
  return ((d.user + d.system) * 1000) / (n * reps)
}).pipe(Effect.scoped, Effect.provide(WorkerPool.layer()))

const ns = await Effect.runPromise(program)
if (count !== n * reps) throw new Error(`ran ${count} of ${n * reps}`)
console.log(
  `${mode} N=${n} reps=${reps}: ${ns.toFixed(0)} ns/item (CPU), heap used ${
    (process.memoryUsage().heapUsed / 1e6).toFixed(0)
  } MB`
)
