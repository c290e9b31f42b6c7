import { describe, expect, it } from "@effect/vitest"
import { Work, WorkerPool } from "@cmwq/core"
import { NodeShutdown } from "@cmwq/platform-node"
import * as Effect from "effect/Effect"
import * as Schedule from "effect/Schedule"
import type * as Scope from "effect/Scope"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { fileURLToPath } from "node:url"
import { afterAll } from "vitest"
import { awaitExit, killAll, spawnScoped } from "./helpers/child.js"

const here = path.dirname(fileURLToPath(import.meta.url))
const root = path.resolve(here, "../../..")
const child = path.join(here, "fixtures", "shutdown-child.ts")

interface Outcome {
  readonly code: number | null
  readonly signal: NodeJS.Signals | null
  readonly accepted: ReadonlyArray<string>
  readonly done: ReadonlyArray<string>
  readonly report: NodeShutdown.Report | undefined
  readonly forced: NodeShutdown.Report | undefined
  readonly stderr: string
}

/**
 * Run the child in `mode`, send `signals` once the burst is under way
 * (`gapMs` apart), and collect what it recorded. The child is killed (its
 * whole process group) when the scope closes, whatever happened; waiting for
 * "ready" and for the exit are both bounded.
 */
const runChild = (
  mode: string,
  signals: ReadonlyArray<NodeJS.Signals>,
  gapMs = 500
): Effect.Effect<Outcome, Error, Scope.Scope> =>
  Effect.gen(function*() {
    const log = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "cmwq-shutdown-")), "events.log")
    fs.writeFileSync(log, "")
    const proc = yield* spawnScoped(process.execPath, ["--conditions=@cmwq/source", "--import", "tsx", child], {
      cwd: root,
      env: { ...process.env, LOG: log, MODE: mode, NODE_OPTIONS: "" }
    })
    const ready = Effect.suspend(() =>
      fs.readFileSync(log, "utf8").includes("ready\n") || proc.proc.exitCode !== null
        ? Effect.succeed(true)
        : Effect.fail(new Error("not yet"))
    )
    yield* Effect.retry(ready, Schedule.spaced("20 millis")).pipe(
      Effect.timeoutFail({
        duration: "40 seconds",
        onTimeout: () => new Error(`${mode}: never ready\n${proc.stderr()}`)
      })
    )
    for (const [i, s] of signals.entries()) {
      if (i > 0) yield* Effect.sleep(gapMs)
      proc.proc.kill(s)
    }
    const { code, signal } = yield* awaitExit(proc, "40 seconds", `shutdown child (${mode})`)
    const lines = fs.readFileSync(log, "utf8").split("\n")
    const json = (prefix: string) => {
      const line = lines.find((l) => l.startsWith(prefix))
      return line === undefined ? undefined : JSON.parse(line.slice(prefix.length)) as NodeShutdown.Report
    }
    return {
      code,
      signal,
      accepted: lines.filter((l) => l.startsWith("accepted ")).map((l) => l.slice(9)),
      done: lines.filter((l) => l.startsWith("done ")).map((l) => l.slice(5)),
      report: json("report "),
      forced: json("forced "),
      stderr: proc.stderr()
    }
  })

/** every accepted item finished or is named in the report, and nothing is both */
const accountedFor = (o: Outcome, report: NodeShutdown.Report) => {
  const done = new Set(o.done)
  const reported = new Set(report.stragglers.map((s) => s.work))
  expect(report.untracked).toEqual([])
  for (const name of o.accepted) expect(done.has(name) || reported.has(name), name).toBe(true)
  for (const name of reported) expect(done.has(name), name).toBe(false)
  expect(new Set(o.done).size).toBe(o.done.length) // nothing ran twice
  for (const name of o.done) expect(o.accepted.includes(name), name).toBe(true)
}

/** each child-process test: its own bound, above the helper's (ready 40 s + exit 40 s) */
const childTimeout = 90_000

describe("NodeShutdown", () => {
  afterAll(killAll)

  it.scopedLive("SIGINT mid-burst: everything accepted finishes, the process exits 0", () =>
    Effect.gen(function*() {
      const o = yield* runChild("clean", ["SIGINT"])
      expect(o.stderr).not.toContain("Error")
      expect(o.signal).toBe(null)
      expect(o.code).toBe(0)
      expect(o.report?.reason).toBe("SIGINT")
      expect(o.report?.timedOut).toBe(false)
      expect([...(o.report?.drained ?? [])].sort()).toEqual(["cpu", "io"])
      expect(o.report?.frozen).toEqual(["batch"])
      expect(o.report?.stragglers).toEqual([])
      expect(o.accepted.length).toBeGreaterThan(300)
      expect([...o.done].sort()).toEqual([...o.accepted].sort())
      accountedFor(o, o.report!)
    }), childTimeout)

  it.scopedLive(
    "SIGTERM with a stuck item and a frozen backlog: stragglers named, exit 3",
    () =>
      Effect.gen(function*() {
        const o = yield* runChild("stragglers", ["SIGTERM"])
        expect(o.signal).toBe(null)
        expect(o.code).toBe(NodeShutdown.ExitCode.stragglers)
        const report = o.report!
        expect(report.reason).toBe("SIGTERM")
        expect(report.timedOut).toBe(true)
        expect(report.exitCode).toBe(3)
        expect(report.stragglers).toContainEqual({ workqueue: "io", work: "stuck-0", state: "running" })
        const held = report.stragglers.filter((s) => s.state === "held")
        expect(held.length).toBeGreaterThan(0)
        expect(held.every((s) => s.workqueue === "batch")).toBe(true)
        accountedFor(o, report)
      }),
    childTimeout
  )

  it.scopedLive("a second SIGINT forces the exit at once: 130, with what was unfinished", () =>
    Effect.gen(function*() {
      // the drain timeout is a minute; runChild allows 40 s for the exit after the signals
      const o = yield* runChild("stuck", ["SIGINT", "SIGINT"])
      expect(o.signal).toBe(null)
      expect(o.code).toBe(130)
      expect(o.report).toBeUndefined()
      const forced = o.forced!
      expect(forced.forced).toBe(true)
      expect(forced.exitCode).toBe(130)
      expect(forced.stragglers).toContainEqual({ workqueue: "io", work: "stuck-0", state: "running" })
      accountedFor(o, forced)
    }), childTimeout)

  it.effect("shutdown in-process: queue refused with ShuttingDown afterwards; a bad drainTimeout is a typed error", () =>
    Effect.gen(function*() {
      const wq = yield* NodeShutdown.alloc("in-process")
      let ran = 0
      for (let i = 0; i < 20; i++) yield* NodeShutdown.queue(wq, Work.make(Effect.sync(() => ran++), { name: `w${i}` }))
      const bad = yield* Effect.flip(NodeShutdown.shutdown({ drainTimeout: -5 }))
      expect(bad._tag).toBe("InvalidShutdownOptions")
      const report = yield* NodeShutdown.shutdown({ drainTimeout: "1 second", onReport: () => Effect.void })
      expect(ran).toBe(20)
      expect(report).toMatchObject({ reason: "shutdown", exitCode: 0, drained: ["in-process"], stragglers: [] })
      const refused = yield* Effect.flip(NodeShutdown.queue(wq, Work.make(Effect.void, { name: "late" })))
      expect(refused).toMatchObject({ _tag: "ShuttingDown", workqueue: "in-process", work: "late" })
    }).pipe(
      Effect.scoped,
      Effect.provide(WorkerPool.layer()),
      Effect.provideService(NodeShutdown.Shutdown, NodeShutdown.make())
    ))
})
