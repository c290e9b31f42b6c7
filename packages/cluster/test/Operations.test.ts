/**
 * Operations on the in-process test runner (memory storage, TestClock):
 * cluster-wide stats from the stats board, and `cancel` of a stored task
 * (not yet delivered: removed; running: interrupted), graceful shutdown of a
 * runner within its timeout.
 */
import { Task, Workqueue } from "@cmwq/core"
import { describe, expect, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Fiber from "effect/Fiber"
import * as Layer from "effect/Layer"
import { ClusterWorkqueue } from "@cmwq/cluster"
import { adjust, cluster, drive, log, resetLog, Step } from "./fixtures/tasks.js"

describe("cluster operations (in-memory test runner, TestClock)", () => {
  it.effect("clusterStats: per runner and per workqueue, from the runners' reports", () =>
    drive(
      Effect.gen(function*() {
        resetLog()
        const wq = yield* Workqueue.alloc("stats", { flags: ["UNBOUND"], maxActive: 8 })
        yield* Effect.forEach([1, 2, 3], (n) => Task.run(wq, new Step({ key: "ok", n, ms: 5 })), { discard: true })
        expect(yield* Effect.exit(Task.run(wq, new Step({ key: "bad", n: -1, ms: 0 })))).toStrictEqual(
          Exit.fail("step -1 failed")
        )
        // a long one, running while the board is read (closing the runner's layer waits for it: driven)
        yield* ClusterWorkqueue.send(new Step({ key: "long", n: 9, ms: 5_000 }))
        while (!log.some((r) => r.key === "long")) yield* adjust(10)
        yield* adjust(1_500)
        const stats = yield* ClusterWorkqueue.clusterStats()
        const local = yield* ClusterWorkqueue.stats
        expect(stats.runners.map((r) => r.name)).toStrictEqual([local.name])
        const expected = { received: 5, inFlight: 1, succeeded: 3, failed: 1, interrupted: 0 }
        const [runner] = stats.runners
        expect({
          received: runner!.received,
          inFlight: runner!.inFlight,
          succeeded: runner!.succeeded,
          failed: runner!.failed,
          interrupted: runner!.interrupted
        }).toStrictEqual(expected)
        expect(runner!.age).toBeLessThanOrEqual(1_000)
        expect(stats.total).toStrictEqual(expected)
        expect(stats.queues).toStrictEqual({ cluster: expected })
        expect(local.perQueue).toStrictEqual({ cluster: expected })
        // the board as a table: a row per runner, per workqueue, and the total
        const table = ClusterWorkqueue.formatClusterStats(stats).split("\n").map((l) => l.split(/\s{2,}/))
        expect(table.map((cells) => cells[0])).toStrictEqual(["", `runner ${local.name}`, "queue cluster", "total"])
        expect(table[0]).toStrictEqual([
          "",
          "received",
          "inFlight",
          "succeeded",
          "failed",
          "interrupted",
          "share",
          "report age ms"
        ])
        expect(table[1]!.slice(1, 7)).toStrictEqual(["5", "1", "3", "1", "0", String(runner!.share)])
        expect(table[2]).toStrictEqual(["queue cluster", "5", "1", "3", "1", "0"])
        expect(table[3]).toStrictEqual(["total", "5", "1", "3", "1", "0"])
        // a report older than maxAge is left out
        expect((yield* ClusterWorkqueue.clusterStats({ maxAge: 0 })).runners.length).toBeLessThanOrEqual(1)
        const bad = yield* Effect.flip(ClusterWorkqueue.clusterStats({ maxAge: -1 }))
        expect(bad._tag === "InvalidClusterOption" && bad.option).toBe("maxAge")
      }).pipe(Effect.scoped, Effect.provide(cluster({ runner: { maxActive: 8 } })))
    ))

  it.effect("cancel a stored task: not yet delivered, it never runs; running, it is interrupted", () =>
    drive(
      Effect.gen(function*() {
        resetLog()
        // delayed by 1 minute: stored, not yet delivered
        const later = new Step({ key: "later", n: 1, ms: 5 })
        yield* ClusterWorkqueue.send(later, { key: "later-1", delay: "1 minute" })
        expect(yield* ClusterWorkqueue.cancel(later, "later-1")).toBe(true)
        // running
        const long = new Step({ key: "long", n: 2, ms: 60_000 })
        yield* ClusterWorkqueue.send(long, { key: "long-1" })
        while (!log.some((r) => r.key === "long")) yield* adjust(10)
        expect(yield* ClusterWorkqueue.cancel(long, "long-1")).toBe(true)
        // not stored, and a second cancel of a cancelled one
        expect(yield* ClusterWorkqueue.cancel(later, "never-sent")).toBe(false)
        // past the delay: the cancelled message is not delivered
        for (let i = 0; i < 3; i++) yield* adjust(30_000)
        expect(yield* ClusterWorkqueue.cancel(later, "later-1")).toBe(false)
        expect(log.map((r) => [r.key, r.interrupted, r.end !== undefined])).toStrictEqual([["long", true, false]])
        const stats = yield* ClusterWorkqueue.stats
        expect({ received: stats.received, interrupted: stats.interrupted, inFlight: stats.inFlight }).toStrictEqual({
          received: 1,
          interrupted: 1,
          inFlight: 0
        })
        // a finished one cannot be cancelled
        yield* ClusterWorkqueue.send(new Step({ key: "quick", n: 3, ms: 1 }), { key: "quick-1" })
        while (!log.some((r) => r.key === "quick" && r.end !== undefined)) yield* adjust(10)
        yield* adjust(1_000)
        expect(yield* ClusterWorkqueue.cancel(new Step({ key: "quick", n: 3, ms: 1 }), "quick-1")).toBe(false)
        const empty = yield* Effect.flip(ClusterWorkqueue.cancel(later, ""))
        expect(empty._tag === "InvalidClusterOption" && empty.option).toBe("key")
      }).pipe(Effect.scoped, Effect.provide(cluster()))
    ))

  it.effect("shutdown: what finishes within shutdownTimeout finishes; the stragglers are named and get no reply", () =>
    drive(
      Effect.gen(function*() {
        resetLog()
        yield* ClusterWorkqueue.send(new Step({ key: "short", n: 1, ms: 500 }), { key: "short-1" })
        yield* ClusterWorkqueue.send(new Step({ key: "long", n: 2, ms: 60_000 }), { key: "long-1" })
        while (log.length < 2) yield* adjust(10)
        // a first caller interrupted mid-wait ends only its own wait: the shutdown goes on
        const first = yield* Effect.fork(ClusterWorkqueue.shutdown)
        yield* adjust(10)
        yield* Fiber.interrupt(first)
        const fiber = yield* Effect.fork(Effect.flip(ClusterWorkqueue.shutdown))
        // sent while the runner shuts down: stored, not started here
        yield* ClusterWorkqueue.send(new Step({ key: "late", n: 3, ms: 1 }), { key: "late-1" })
        for (let i = 0; i < 30; i++) yield* adjust(100)
        const error = yield* Fiber.join(fiber)
        expect(error._tag).toBe("RunnerShutdownTimeout")
        expect(error.tasks).toStrictEqual(["Step long-1 (cluster)"])
        expect(error.timeoutMillis).toBe(2_000)
        expect(error.message).toContain("1 task still running after 2000 ms")
        expect(log.map((r) => [r.key, r.interrupted, r.end !== undefined])).toStrictEqual([
          ["short", false, true],
          ["long", true, false]
        ])
        // a second call returns the first one's outcome
        expect((yield* Effect.flip(ClusterWorkqueue.shutdown)).tasks).toStrictEqual(["Step long-1 (cluster)"])
        // the straggler got no reply: it is still stored, so cancel finds it
        expect(yield* ClusterWorkqueue.cancel(new Step({ key: "long", n: 2, ms: 60_000 }), "long-1")).toBe(true)
        const bad = yield* Effect.flip(
          Layer.build(cluster({ runner: { shutdownTimeout: -1 } })).pipe(Effect.scoped)
        )
        expect(bad._tag === "InvalidClusterOption" && bad.option).toBe("shutdownTimeout")
      }).pipe(Effect.scoped, Effect.provide(cluster({ runner: { shutdownTimeout: "2 seconds" } })))
    ))
})
