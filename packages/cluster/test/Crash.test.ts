/**
 * A runner that dies: at least once on the embedded default. A runner
 * process (`fixtures/sqlite-runner.ts`) stores a 60 s task in a SQLite file
 * and starts it; the test kills the process with SIGKILL (no finalizer runs,
 * no reply is stored) and starts a runner on the same file, which runs the
 * task again: it ran twice, and it was not lost.
 */
import { WorkerPool } from "@cmwq/core"
import { afterAll, describe, expect, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { fileURLToPath } from "node:url"
import { ClusterStorage, ClusterWorkqueue } from "@cmwq/cluster"
import { awaitExit, killAll, spawnScoped } from "./fixtures/child.js"
import { adjust, drive, handlers, log, resetLog } from "./fixtures/tasks.js"

const here = path.dirname(fileURLToPath(import.meta.url))
afterAll(killAll)

describe("a runner killed with SIGKILL (SQLite)", () => {
  it.effect(
    "the task it had started runs again on the next runner: at least once, not lost",
    () =>
      Effect.gen(function*() {
        resetLog()
        const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "cmwq-crash-")), "cmwq.db")
        const child = yield* spawnScoped(
          process.execPath,
          ["--conditions=@cmwq/source", "--import", "tsx", path.join(here, "fixtures", "sqlite-runner.ts")],
          { cwd: path.resolve(here, "..", "..", ".."), env: { ...process.env, CMWQ_SQLITE_FILE: file } }
        )
        const deadline = Date.now() + 40_000
        while (!child.stdout().includes("started crash")) {
          if (Date.now() > deadline)
            return yield* Effect.dieMessage(`the runner did not start the task\n${child.stderr()}`)
          // wall-clock: the child runs in real time (the test's own clock is the TestClock)
          yield* Effect.promise(() => new Promise((resolve) => setTimeout(resolve, 50)))
        }
        process.kill(-child.proc.pid!, "SIGKILL")
        expect((yield* awaitExit(child, "10 seconds", "sqlite-runner after SIGKILL")).signal).toBe("SIGKILL")
        // the next runner on the same file: the message has no reply, so it is delivered again
        const runner = Layer.mergeAll(ClusterWorkqueue.layerTransport(), ClusterWorkqueue.layerRunner({ handlers }))
          .pipe(
            Layer.provideMerge(WorkerPool.layer()),
            Layer.provideMerge(ClusterStorage.layerSqlite({ filename: file }))
          )
        yield* drive(
          Effect.gen(function*() {
            while (!log.some((r) => r.key === "crash" && r.end !== undefined))
              yield* adjust(1_000)
          }).pipe(Effect.provide(runner))
        )
        const executions = child.stdout().split("\n").filter((l) => l === "started crash").length +
          log.filter((r) => r.key === "crash").length
        console.log(`SQLite crash test: the killed task ran ${executions} times (1 killed, 1 finished)`)
        expect(executions).toBe(2)
      }).pipe(Effect.scoped),
    { timeout: 90_000 }
  )
})
