/**
 * Durability on the embedded default: `SqlMessageStorage` over SQLite in a
 * temporary file. Each phase builds the cluster layers afresh on the same
 * file, as a restarted process would.
 */
import { WorkerPool } from "@cmwq/core"
import { describe, expect, it } from "@effect/vitest"
import * as SqlClient from "@effect/sql/SqlClient"
import * as Effect from "effect/Effect"
import * as Fiber from "effect/Fiber"
import * as Layer from "effect/Layer"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { ClusterStorage, ClusterWorkqueue } from "@cmwq/cluster"
import { adjust, drive, handlers, log, resetLog, Step } from "./fixtures/tasks.js"

const tempDb = () => path.join(fs.mkdtempSync(path.join(os.tmpdir(), "cmwq-cluster-")), "cmwq.db")

const sqlite = (filename: string) => ClusterStorage.layerSqlite({ filename })
const sender = (filename: string) => ClusterWorkqueue.layerTransport().pipe(Layer.provideMerge(sqlite(filename)))
const runner = (filename: string, options: Omit<ClusterWorkqueue.RunnerOptions<never>, "handlers"> = {}) =>
  Layer.mergeAll(
    ClusterWorkqueue.layerTransport(),
    ClusterWorkqueue.layerRunner({ handlers, maxActive: 8, ...options })
  ).pipe(
    Layer.provideMerge(WorkerPool.layer()),
    Layer.provideMerge(sqlite(filename))
  )

const finished = (key: string) => log.filter((r) => r.key === key && r.end !== undefined)

describe("ClusterStorage.layerSqlite", () => {
  it.effect("tasks sent while no runner is up run when one starts on the same file", () =>
    Effect.gen(function*() {
      resetLog()
      const file = tempDb()
      // phase 1: a process with no runner stores 5 tasks and exits
      yield* drive(Effect.forEach([0, 1, 2, 3, 4], (n) => ClusterWorkqueue.send(new Step({ key: "stored", n, ms: 5 }))))
        .pipe(
          Effect.provide(sender(file))
        )
      expect(log).toStrictEqual([])
      // phase 2: a runner starts on the same file and runs them
      yield* drive(Effect.gen(function*() {
        while (finished("stored").length < 5) yield* adjust(100)
        expect((yield* ClusterWorkqueue.stats).succeeded).toBe(5)
      })).pipe(Effect.provide(runner(file)))
      expect(finished("stored").map((r) => r.n).sort()).toStrictEqual([0, 1, 2, 3, 4])
    }))

  it.effect("closing a runner lets its running task finish; the restarted runner does not run it again", () =>
    Effect.gen(function*() {
      resetLog()
      const file = tempDb()
      // phase 1: the runner starts a 10 s task, and its layer is closed 1 s in (driven: the close waits for it)
      yield* drive(
        Effect.gen(function*() {
          yield* ClusterWorkqueue.send(new Step({ key: "long", n: 1, ms: 10_000 }))
          while (log.length === 0) yield* adjust(100)
          yield* adjust(1000)
        }).pipe(Effect.provide(runner(file)))
      )
      expect(finished("long").length).toBe(1)
      // phase 2: its reply is stored, so the restarted runner has nothing to run
      yield* drive(adjust(30_000)).pipe(Effect.provide(runner(file)))
      expect(log.filter((r) => r.key === "long").length).toBe(1)
    }))

  it.effect("a shutdown past its timeout hands its straggler and the work sent meanwhile to the next owner", () =>
    Effect.gen(function*() {
      resetLog()
      const file = tempDb()
      // phase 1: a 1 s shutdownTimeout, a 10 s task running; a task sent during the shutdown is not started
      const error = yield* drive(
        Effect.gen(function*() {
          yield* ClusterWorkqueue.send(new Step({ key: "long", n: 1, ms: 10_000 }), { key: "long-1" })
          while (log.length === 0) yield* adjust(100)
          const fiber = yield* Effect.fork(Effect.flip(ClusterWorkqueue.shutdown))
          yield* ClusterWorkqueue.send(new Step({ key: "late", n: 2, ms: 5 }), { key: "late-1" })
          return yield* Fiber.join(fiber)
        }).pipe(Effect.provide(runner(file, { shutdownTimeout: "1 second" })))
      )
      expect(error.tasks).toStrictEqual(["Step long-1 (cluster)"])
      expect(log.map((r) => [r.key, r.interrupted])).toStrictEqual([["long", true]])
      // phase 2: the next owner of the shards runs both: nothing accepted is lost
      yield* drive(Effect.gen(function*() {
        while (finished("long").length + finished("late").length < 2) yield* adjust(100)
      })).pipe(Effect.provide(runner(file)))
      expect([finished("long").length, finished("late").length]).toStrictEqual([1, 1])
    }))

  it.effect("a second send with the same key is a duplicate: stored and run once", () =>
    Effect.gen(function*() {
      resetLog()
      const file = tempDb()
      yield* drive(Effect.gen(function*() {
        for (let i = 0; i < 3; i++)
          yield* ClusterWorkqueue.send(new Step({ key: "idem", n: i, ms: 1 }), { key: "invoice-7" })
        while (finished("idem").length < 1)
          yield* adjust(100)
        yield* adjust(30_000)
        // after the first has run, the key still names it: a later send is a duplicate too
        yield* ClusterWorkqueue.send(new Step({ key: "idem", n: 9, ms: 1 }), { key: "invoice-7" })
        yield* adjust(30_000)
      })).pipe(Effect.provide(runner(file)))
      expect(log.filter((r) => r.key === "idem").map((r) => r.n)).toStrictEqual([0])
    }))

  it.effect("every open sets synchronous: full unless asked for normal, on a new file and on a reopened one", () =>
    Effect.gen(function*() {
      const file = tempDb()
      const level = (layer: Layer.Layer<SqlClient.SqlClient, unknown>) =>
        Effect.flatMap(SqlClient.SqlClient, (sql) => sql<{ synchronous: number }>`PRAGMA synchronous`).pipe(
          Effect.map((rows) => rows[0]!.synchronous),
          Effect.provide(layer),
          Effect.orDie
        )
      // 2 is FULL, 1 is NORMAL; left alone, better-sqlite3 runs a database in WAL mode with NORMAL
      const opens = [
        yield* level(sqlite(file)),
        yield* level(sqlite(file)),
        yield* level(ClusterStorage.layerSqlite({ filename: file, synchronous: "normal" })),
        yield* level(ClusterStorage.layerSqlite({ filename: file, synchronous: "full" }))
      ]
      expect(opens).toStrictEqual([2, 2, 1, 2])
      const bad = yield* Effect.flip(
        Layer.build(ClusterStorage.layerSqlite({ filename: file, synchronous: "off" as "full" }))
      ).pipe(Effect.scoped)
      expect(bad.message).toBe("cluster option synchronous = off: expected one of \"full\", \"normal\"")
    }))

  it.effect("bad options name the option", () =>
    Effect.gen(function*() {
      const file = tempDb()
      const bad = yield* Effect.flip(drive(ClusterWorkqueue.send(new Step({ key: "x", n: 0, ms: 0 }), { delay: -5 })))
        .pipe(
          Effect.provide(sender(file))
        )
      expect(bad._tag === "InvalidClusterOption" && bad.option).toBe("delay")
      const lanes = yield* Effect.flip(Layer.build(ClusterWorkqueue.layerTransport({ lanes: 0 }))).pipe(
        Effect.scoped,
        Effect.provide(sqlite(file))
      )
      expect(lanes.message).toBe("cluster option lanes = 0: expected an integer in 1..65536")
      const cpus = yield* Effect.flip(Layer.build(ClusterWorkqueue.layerRunner({ handlers, cpus: 4, clusterCpus: 2 })))
        .pipe(
          Effect.scoped,
          Effect.provide(Layer.merge(sqlite(file), WorkerPool.layer()))
        )
      expect(cpus._tag === "InvalidClusterOption" && cpus.option).toBe("clusterCpus")
    }))
})
