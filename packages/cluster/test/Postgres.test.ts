/**
 * The multi-process crash test, over a real PostgreSQL server on loopback
 * (`$CMWQ_PG_URL`; `.ci/run` installs, starts and creates it).
 *
 * Three runner processes (`fixtures/pg-runner.ts`: a `SocketRunner` each,
 * `SqlMessageStorage` and `SqlRunnerStorage` in PostgreSQL) and this process
 * as a client-only queueing side. A burst of `Charge` tasks is queued; one
 * runner is killed with SIGKILL while the burst runs and is restarted; then:
 *
 * - no accepted task is lost: every task's effect row is committed;
 * - the executions that ran twice are counted and printed (at least once);
 * - with the idempotency key, no key has two committed effects, and a task
 *   sent twice with one `send` key is stored once (one row in the cluster's
 *   message table);
 * - a flush issued after the burst returns only when everything queued
 *   before it has finished.
 *
 * Outside CI with no `$CMWQ_PG_URL` the test is skipped; in CI (`$CI` set) a
 * missing URL fails it.
 */
import { Task, Workqueue } from "@cmwq/core"
import { afterAll, describe, expect, it } from "@effect/vitest"
import * as SqlClient from "@effect/sql/SqlClient"
import * as Effect from "effect/Effect"
import * as path from "node:path"
import { fileURLToPath } from "node:url"
import { ClusterWorkqueue } from "@cmwq/cluster"
import { awaitExit, type Child, killAll, spawnScoped } from "./fixtures/child.js"
import { Charge, clientLayer, pg, resetTables } from "./fixtures/pg.js"

const url = process.env.CMWQ_PG_URL
const inCI = (process.env.CI ?? "") !== "" && process.env.CI !== "false"
const runnerScript = path.join(path.dirname(fileURLToPath(import.meta.url)), "fixtures", "pg-runner.ts")
const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..", "..", "..")

/** tasks queued through a workqueue (covered by the flush) and tasks stored with `send` and a key */
const QUEUED = 240
const SENT = 40
const TASK_MS = 150
const basePort = 34_400 + (process.pid % 500) * 3

afterAll(killAll)

const spawnRunner = (index: number) =>
  Effect.gen(function*() {
    const child = yield* spawnScoped(process.execPath, ["--conditions=@cmwq/source", "--import", "tsx", runnerScript], {
      cwd: repoRoot,
      env: {
        ...process.env,
        CMWQ_PG_URL: url,
        CMWQ_RUNNER_PORT: String(basePort + index),
        CMWQ_RUNNER_NAME: `runner-${index}`
      }
    })
    return child
  })

/** poll `check` every 100 ms until it holds, or fail naming `what` after `ms` */
const until = <E, R>(what: string, ms: number, check: Effect.Effect<boolean, E, R>) =>
  Effect.gen(function*() {
    const deadline = Date.now() + ms
    while (!(yield* check)) {
      if (Date.now() > deadline) return yield* Effect.dieMessage(`${what}: not within ${ms} ms`)
      yield* Effect.sleep(100)
    }
  })

const count = (table: string) =>
  Effect.flatMap(
    SqlClient.SqlClient,
    (sql) => Effect.map(sql<{ readonly n: number }>`SELECT count(*)::int AS n FROM ${sql(table)}`, (rows) => rows[0]!.n)
  )

describe.skipIf(url === undefined && !inCI)("cluster over PostgreSQL, 3 runner processes", () => {
  it.live(
    "a runner killed with SIGKILL mid-burst: nothing lost, duplicates counted, effects once, flush waits",
    () =>
      Effect.gen(function*() {
        if (url === undefined) {
          return yield* Effect.dieMessage("CI is set but CMWQ_PG_URL is not: the crash test needs PostgreSQL (.ci/run)")
        }
        yield* resetTables.pipe(Effect.provide(pg(url)))
        // the queueing side's layers are built first: they create the cluster's tables, which three
        // runners starting at once would race to create
        yield* Effect.gen(function*() {
          const runners: Array<Child> = []
          for (let i = 0; i < 3; i++) runners.push(yield* spawnRunner(i))
          const out = (c: Child) => `--- stdout\n${c.stdout()}\n--- stderr\n${c.stderr()}`
          yield* Effect.forEach(
            runners,
            (c, i) => until(`runner-${i} ready\n${out(c)}`, 30_000, Effect.sync(() => c.stdout().includes("ready")))
          )

          const make = yield* Task.maker
          const wq = yield* Workqueue.alloc("burst", { flags: ["UNBOUND"], maxActive: 512 })
          for (let i = 0; i < QUEUED; i++) {
            expect(yield* Workqueue.queue(wq, make(new Charge({ key: `q-${i}`, ms: TASK_MS })))).toBe(true)
          }
          // stored tasks with an idempotency key, each sent twice: the second is a duplicate
          for (let i = 0; i < SENT; i++) {
            for (let twice = 0; twice < 2; twice++) {
              yield* ClusterWorkqueue.send(new Charge({ key: `s-${i}`, ms: TASK_MS }), { key: `s-${i}` })
            }
          }
          // a task sent twice with one key is stored once: one message row per sent key (the runners may
          // already be running them, but a stored message stays until its reply is stored, and after)
          const sql = yield* SqlClient.SqlClient
          const storedSent = yield* sql<{ readonly n: number }>`
          SELECT count(*)::int AS n FROM cluster_messages WHERE payload LIKE ${"%\"key\":\"s-%"}`
          expect(storedSent[0]!.n).toBe(SENT)
          // mid-burst: once a third of the queued tasks have started, kill runner-1 with SIGKILL
          yield* until("a third of the burst started", 45_000, Effect.map(count("cmwq_start"), (n) => n >= QUEUED / 3))
          const victim = runners[1]!
          process.kill(-victim.proc.pid!, "SIGKILL")
          const killed = yield* awaitExit(victim, "10 seconds", "runner-1 after SIGKILL")
          expect(killed.signal).toBe("SIGKILL")
          const doneAtKill = yield* count("cmwq_done")
          yield* Effect.sleep(1000)
          runners[1] = yield* spawnRunner(1)
          // the flush, issued after the burst: when it returns, every task queued before it has finished
          const doneAtFlush = yield* count("cmwq_done")
          yield* Workqueue.flush(wq)
          const committed = yield* sql<{ readonly key: string }>`SELECT key FROM cmwq_effect WHERE key LIKE 'q-%'`
          expect(committed.length).toBe(QUEUED)
          // the stored tasks: every key runs (they are not covered by this process's flush)
          yield* until(
            "every sent task committed",
            45_000,
            Effect.map(count("cmwq_effect"), (n) => n >= QUEUED + SENT)
          )

          const effects = yield* sql<{ readonly key: string; readonly n: number }>`
          SELECT key, count(*)::int AS n FROM cmwq_effect GROUP BY key`
          const starts = yield* sql<{ readonly key: string; readonly n: number; readonly runners: string }>`
          SELECT key, count(*)::int AS n, string_agg(runner, ',') AS runners FROM cmwq_start GROUP BY key`
          const dones = yield* sql<{ readonly key: string; readonly n: number }>`
          SELECT key, count(*)::int AS n FROM cmwq_done GROUP BY key`
          const startedTwice = starts.filter((r) => r.n > 1)
          const doneTwice = dones.filter((r) => r.n > 1)
          const perRunner = yield* sql<{ readonly runner: string; readonly n: number }>`
          SELECT runner, count(*)::int AS n FROM cmwq_done GROUP BY runner ORDER BY runner`
          console.log(
            [
              `crash test: ${QUEUED} queued + ${SENT} sent (each twice, one key) tasks on 3 runners; runner-1 SIGKILLed`,
              `  finished executions at the kill: ${doneAtKill}; at the flush call: ${doneAtFlush} (of ${
                QUEUED + SENT
              })`,
              `  executions started more than once: ${startedTwice.length} keys ${
                JSON.stringify(startedTwice.slice(0, 8).map((r) => `${r.key}:${r.runners}`))
              }`,
              `  executions finished more than once: ${doneTwice.length} keys`,
              `  committed effects: ${effects.length} keys, duplicates ${effects.filter((r) => r.n > 1).length}`,
              `  finished per runner: ${perRunner.map((r) => `${r.runner}=${r.n}`).join(" ")}`
            ].join("\n")
          )
          // the cluster-wide stats: the surviving runners on the board. The board is an entity; when its
          // shard moves (runner-1 died or came back) the new owner's board fills again within one report
          // interval (1 s), so poll it rather than read it once.
          const onBoard = Effect.map(
            ClusterWorkqueue.clusterStats(),
            (b) => ["runner-0", "runner-2"].every((name) => b.runners.some((r) => r.name === name))
          )
          yield* until("runner-0 and runner-2 on the stats board", 20_000, onBoard)
          const board = yield* ClusterWorkqueue.clusterStats()
          console.log(`  clusterStats: ${board.runners.map((r) => `${r.name} ${r.succeeded} ok`).join(", ")}`)
          expect(board.runners.map((r) => r.name)).toEqual(expect.arrayContaining(["runner-0", "runner-2"]))
          // no accepted task is lost; each key's effect is committed once
          expect(effects.length).toBe(QUEUED + SENT)
          expect(effects.every((r) => r.n === 1)).toBe(true)
          expect(starts.length).toBe(QUEUED + SENT)
          // the flush had something to wait for
          expect(doneAtFlush).toBeLessThan(QUEUED + SENT)
          // the `send` duplicates were dropped: a sent key ran twice only if it was redelivered after the crash
          for (const r of dones.filter((d) => d.key.startsWith("s-"))) {
            expect(r.n === 1 || startedTwice.some((s) => s.key === r.key)).toBe(true)
          }
        }).pipe(Effect.scoped, Effect.provide(clientLayer(url)))
      }).pipe(Effect.scoped),
    { timeout: 120_000 }
  )
})
