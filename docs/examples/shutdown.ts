/**
 * Shutdown: closing a workqueue's scope drains it, then releases it. Items
 * already queued still run; a delayed item whose timer has not fired is not
 * waited for; queueing afterwards is a typed error. Run it with
 * `npx tsx docs/examples/shutdown.ts`.
 */
import { Console, Effect, Exit, Scope } from "effect"
import { DelayedWork, Work, WorkerPool, Workqueue } from "@cmwq/core"

const program = Effect.gen(function*() {
  const scope = yield* Scope.make()
  const wq = yield* Workqueue.alloc("uploads").pipe(Scope.extend(scope))

  for (const name of ["a", "b", "c"]) {
    yield* Workqueue.queue(
      wq,
      Work.make(
        Effect.sleep("10 millis").pipe(Effect.zipRight(Console.log(`upload ${name} done`))),
        { name: `upload-${name}` }
      )
    )
  }
  const retry = DelayedWork.make(Console.log("retry ran"), { name: "retry" })
  yield* Workqueue.queueDelayed(wq, retry, "1 hour")

  // cancel delayed items first: a timer that has not fired is not waited for
  yield* Console.log(`retry cancelled: ${yield* Work.cancelSync(retry)}`)

  yield* Console.log("closing the scope")
  yield* Scope.close(scope, Exit.void) // destroy: drain, then release
  yield* Console.log(`destroyed: ${Workqueue.isDestroyed(wq)}`)

  const late = yield* Workqueue.queue(wq, Work.make(Effect.void)).pipe(Effect.either)
  yield* Console.log(`queue after destroy: ${late._tag === "Left" ? late.left._tag : "accepted"}`)
})

await Effect.runPromise(program.pipe(Effect.provide(WorkerPool.layer())))
