/**
 * A tour of @cmwq/core: a workqueue, the pending bit, delayed work, flush and
 * the workqueue's counters. Run it with `npx tsx docs/examples/tour.ts`.
 */
import { Console, Effect } from "effect"
import { DelayedWork, Work, WorkerPool, Workqueue } from "@cmwq/core"

const program = Effect.gen(function*() {
  // a workqueue: a front end to the shared pools, destroyed (drained) with its scope
  const wq = yield* Workqueue.alloc("disk-io", { maxActive: 16 })

  // a work item: an identity and an Effect
  const work = Work.make(Console.log("flushing a buffer"), { name: "flush-buffer" })
  yield* Console.log(`first queue: ${yield* Workqueue.queue(wq, work)}`)
  yield* Console.log(`second queue while pending: ${yield* Workqueue.queue(wq, work)}`)

  // delayed work on Effect's Clock; modDelayed moves the deadline
  const poll = DelayedWork.make(Console.log("poll"), { name: "poll" })
  yield* Workqueue.queueDelayed(wq, poll, "100 millis")
  yield* Workqueue.modDelayed(wq, poll, "10 millis")
  yield* Effect.sleep("20 millis")

  yield* Workqueue.flush(wq) // everything queued before this call has run
  const stats = yield* Workqueue.stats(wq)
  yield* Console.log(`started ${stats.started}, completed ${stats.completed}, failed ${stats.failed}`)
})

await Effect.runPromise(program.pipe(Effect.scoped, Effect.provide(WorkerPool.layer())))
