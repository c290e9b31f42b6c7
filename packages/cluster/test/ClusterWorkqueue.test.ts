import { Task, Work, Workqueue } from "@cmwq/core"
import { describe, expect, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import { ClusterWorkqueue } from "@cmwq/cluster"
import { adjust, cluster, drive, log, resetLog, Step } from "./fixtures/tasks.js"

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

  it.effect("Work.explain of a task waiting on a runner names the entity, its shard and the message", () =>
    drive(Effect.gen(function*() {
      resetLog()
      const wq = yield* Workqueue.alloc("explained")
      const make = yield* Task.maker
      const work = make(new Step({ key: "slow", n: 1, ms: 500 }), { name: "slow step" })
      yield* Workqueue.queue(wq, work)
      // until the runner has started it
      while (!log.some((r) => r.key === "slow")) yield* adjust(10)
      const waiting = yield* Work.explain(work)
      yield* Workqueue.flush(wq)
      const finished = yield* Work.explain(work)
      expect(waiting).toMatchObject({ _tag: "Running", work: "slow step", workqueue: "explained" })
      if (waiting._tag !== "Running") throw new Error("not running")
      expect(waiting.where).toMatch(
        /^cluster entity cmwq\/Task\/lane-\d+ \(shard default\/\d+\), message -?\d+, awaiting its reply$/
      )
      expect(waiting.message).toContain("blocked on async")
      expect(waiting.message).toContain("the task runs at cluster entity cmwq/Task/lane-")
      expect(finished._tag).toBe("Finished")
    })).pipe(Effect.scoped, Effect.provide(cluster())))
})
