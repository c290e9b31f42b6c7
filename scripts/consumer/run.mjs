// The consumer check's runtime program: plain Node.js ESM, run in a scratch
// project that installed the packed tarballs. Exits non-zero on any failure.
import { Effect } from "effect"
import { Work, WorkerPool, Workqueue } from "@cmwq/core"
import { EventLoopMonitor, Monitor } from "@cmwq/platform-node"
import { Simulation, Trace, VirtualTime } from "@cmwq/testing"

const fail = (message) => {
  console.error(`run.mjs: FAIL: ${message}`)
  process.exit(1)
}

// @cmwq/core: a workqueue under WorkerPool.layer(), five items, one flush
const ran = []
const program = Effect.gen(function*() {
  const wq = yield* Workqueue.alloc("consumer", { maxActive: 4 })
  const works = [0, 1, 2, 3, 4].map((i) => Work.make(Effect.sync(() => ran.push(i)), { name: `item-${i}` }))
  const queued = []
  for (const work of works) queued.push(yield* Workqueue.queue(wq, work))
  queued.push(yield* Workqueue.queue(wq, works[0])) // already pending, or already ran: queued again only if it ran
  yield* Workqueue.flush(wq)
  const stats = yield* Workqueue.stats(wq)
  const table = yield* Monitor.snapshot([wq])
  return { queued, stats, table }
})
// @cmwq/platform-node: the same program under the event-loop monitor
const [{ queued, stats, table }, delay] = await Effect.runPromise(
  EventLoopMonitor.measure(program.pipe(Effect.scoped, Effect.provide(WorkerPool.layer())))
)
if (!queued.slice(0, 5).every((q) => q === true)) fail(`the first five queue calls returned ${JSON.stringify(queued)}`)
const distinct = [...new Set(ran)].sort()
if (JSON.stringify(distinct) !== "[0,1,2,3,4]") fail(`items that ran: ${JSON.stringify(ran)}`)
if (ran.length !== stats.completed) fail(`${ran.length} runs but stats.completed = ${stats.completed}`)
if (!table.includes("consumer")) fail(`Monitor.snapshot has no line for the workqueue:\n${table}`)
if (!(delay.max >= 0 && delay.p99 >= 0)) fail(`EventLoopMonitor.measure returned ${JSON.stringify(delay)}`)

// @cmwq/testing: a scenario on simulated CPUs, and VirtualTime
const trace = Effect.runSync(Simulation.run({
  cpus: 1,
  workqueues: [{ name: "q0", maxActive: 2 }],
  works: [
    { name: "w0", workqueue: "q0", steps: [{ burn: 1 }, { sleep: 10 }] },
    { name: "w1", workqueue: "q0", steps: [{ burn: 1 }] }
  ]
}))
const finished = Trace.lines(trace).filter((line) => line.endsWith(" finish"))
if (finished.length !== 2) fail(`the simulation finished ${finished.length} works:\n${Trace.format(trace)}`)
const slept = VirtualTime.runSync(Effect.as(Effect.sleep("1 hour"), "woke"))
if (slept !== "woke") fail(`VirtualTime.runSync returned ${slept}`)

console.log(
  `run.mjs: OK: ${ran.length} items ran and were flushed (${stats.completed} completed), ` +
    `simulation finished ${finished.length} works, event-loop max delay ${delay.max.toFixed(1)} ms`
)
