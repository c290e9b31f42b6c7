import { Task, Workqueue } from "@cmwq/core"
import { describe, expect, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import { ClusterWorkqueue } from "@cmwq/cluster"
import { cluster, drive, resetLog, Step } from "./fixtures/tasks.js"

describe("ClusterWorkqueue (in-memory test runner)", () => {
  it.effect("a task run on the cluster returns its typed result and failure", () =>
    drive(Effect.gen(function*() {
      resetLog()
      const wq = yield* Workqueue.alloc("basic")
      expect(yield* Task.run(wq, new Step({ key: "a", n: 7, ms: 5 }))).toBe(7)
      const failed = yield* Effect.exit(Task.run(wq, new Step({ key: "b", n: -1, ms: 0 })))
      expect(failed).toStrictEqual(Exit.fail("step -1 failed"))
      const stats = yield* ClusterWorkqueue.stats
      expect({ received: stats.received, succeeded: stats.succeeded, failed: stats.failed, inFlight: stats.inFlight })
        .toStrictEqual({ received: 2, succeeded: 1, failed: 1, inFlight: 0 })
      expect(stats.queues).toStrictEqual(["cluster"])
    })).pipe(Effect.scoped, Effect.provide(cluster())))
})
