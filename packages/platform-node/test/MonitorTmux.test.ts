/**
 * The monitor demo as a person sees it: `examples/monitor.ts` in a detached
 * tmux session of 120×40, its screen read with `tmux capture-pane`. The
 * session runs on a tmux server of its own (`-L`), which the scope's
 * finalizer kills, whatever happened. With `MONITOR_THREADS=2` the same demo
 * runs on two thread CPUs, and the screen shows a row per thread CPU.
 */
import { describe, expect, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Schedule from "effect/Schedule"
import { spawnSync } from "node:child_process"
import * as fs from "node:fs"
import * as path from "node:path"
import { fileURLToPath } from "node:url"

const here = path.dirname(fileURLToPath(import.meta.url))
const root = path.resolve(here, "../../..")
const demo = path.join(root, "packages", "platform-node", "examples", "monitor.ts")

const hasTmux = spawnSync("tmux", ["-V"], { encoding: "utf8" }).status === 0
const socket = `cmwq-monitor-test-${process.pid}`

const tmux = (...args: ReadonlyArray<string>) => {
  const r = spawnSync("tmux", ["-L", socket, ...args], { encoding: "utf8", timeout: 10_000 })
  if (r.status !== 0) throw new Error(`tmux ${args.join(" ")}: ${r.stderr || r.error?.message}`)
  return r.stdout
}

/** the demo in a tmux session (`env`: more of its variables); the finalizer kills the session's server */
const session = (env = "") =>
  Effect.acquireRelease(
    Effect.sync(() => {
      const command = [
        `cd ${JSON.stringify(root)}`,
        `exec env MONITOR_INTERVAL=500 ${env} ${
          JSON.stringify(process.execPath)
        } --conditions=@cmwq/source --import tsx ${JSON.stringify(demo)}`
      ].join(" && ")
      tmux("new-session", "-d", "-s", "monitor", "-x", "120", "-y", "40", command)
      return "monitor"
    }),
    () =>
      Effect.sync(() => {
        spawnSync("tmux", ["-L", socket, "kill-server"], { timeout: 10_000 })
        // the server leaves its socket file behind
        const dir = path.join(process.env["TMUX_TMPDIR"] ?? "/tmp", `tmux-${process.getuid?.() ?? 0}`)
        fs.rmSync(path.join(dir, socket), { force: true })
      })
  )

/** the screen, or everything the pane has shown (`history`: the scrollback too) */
const capture = (name: string, history = false) =>
  tmux("capture-pane", "-p", "-t", name, ...(history ? ["-S", "-"] : []))

/** the cells of the row of `name` on the screen */
const row = (screen: string, name: string) =>
  screen.split("\n").find((l) => l.startsWith(name.padEnd(24)))?.slice(24).trim().split(/\s+/)

const clock = (screen: string) => screen.split("\n").find((l) => l.startsWith("cmwq "))

describe("the monitor demo in tmux", () => {
  if (!hasTmux && process.env["CI"] === undefined) {
    it.skip("skipped: tmux is not installed (apt-get install -y tmux); CI installs it and runs this test", () => {})
    return
  }

  it.scopedLive("shows one table, redrawn in place, with live rates", () =>
    Effect.gen(function*() {
      const name = yield* session()
      // wait for the table, then for two redraws after it (the clock line changes)
      const table = Effect.suspend(() => {
        const screen = capture(name)
        return screen.includes("total/s") && clock(screen) !== undefined
          ? Effect.succeed(screen)
          : Effect.fail(new Error(`no table yet:\n${screen}`))
      })
      const retry = Schedule.intersect(Schedule.spaced("200 millis"), Schedule.recurs(300))
      const first = yield* Effect.retry(table, retry)
      const later = (after: string) =>
        Effect.retry(
          Effect.flatMap(table, (screen) =>
            clock(screen) !== clock(after) && row(screen, "io") !== undefined
              ? Effect.succeed(screen)
              : Effect.fail(new Error(`not redrawn yet:\n${screen}`))),
          retry
        )
      const second = yield* later(first)
      const screen = yield* later(second)

      const lines = screen.split("\n")
      // the headers, once
      const headers = lines.filter((l) => l.includes("total/s"))
      expect(headers).toHaveLength(1)
      expect(headers[0]!.trim().split(/\s+/)).toEqual([
        "total/s",
        "infl",
        "CPUitsv/s",
        "CMW/s",
        "mayday/s",
        "rescued/s",
        "failed/s"
      ])
      // one table: one clock line, one row per workqueue, at the top of the screen
      expect(lines.filter((l) => l.startsWith("cmwq "))).toHaveLength(1)
      expect(lines[0]).toMatch(/^cmwq \d\d:\d\d:\d\d every 0\.5 s$/)
      for (const wq of ["io", "crunch", "flaky", "ordered"]) {
        expect(lines.filter((l) => l.startsWith(wq.padEnd(24))), wq).toHaveLength(1)
      }
      // non-zero rates: io items start and wake workers, flaky fails, crunch is CPU-intensive
      const num = (cells: ReadonlyArray<string> | undefined, i: number) => Number(cells?.[i])
      expect(num(row(screen, "io"), 0)).toBeGreaterThan(0) // total/s
      expect(num(row(screen, "io"), 3)).toBeGreaterThan(0) // CMW/s
      expect(num(row(screen, "flaky"), 6)).toBeGreaterThan(0) // failed/s
      // redrawn in place: nothing scrolled off into the history either
      const history = capture(name, true)
      expect(history.split("\n").filter((l) => l.includes("total/s"))).toHaveLength(1)
      expect(history.split("\n").filter((l) => l.startsWith("cmwq "))).toHaveLength(1)
    }), 120_000)

  it.scopedLive(
    "with thread CPUs: a row per thread CPU under the table, its workers and the tasks they run",
    () =>
      Effect.gen(function*() {
        const name = yield* session("MONITOR_THREADS=2")
        // both threads up and running Fetch tasks in one frame (a start under load can take
        // seconds, and a frame can catch a thread between tasks, its next batch still on the way)
        const cellsOf = (screen: string, cpu: number) => row(screen, `thread ${cpu}`)
        const up = (screen: string) =>
          [0, 1].every((cpu) => {
            const cells = cellsOf(screen, cpu)
            return cells !== undefined && Number(cells[1]) - Number(cells[2]) > 0 &&
              /\bFetch \d+/.test(cells.slice(4).join(" "))
          })
        const ready = Effect.suspend(() => {
          const screen = capture(name)
          return screen.includes("thread CPUs") && up(screen) && Number(row(screen, "tasks")?.[0]) > 0
            ? Effect.succeed(screen)
            : Effect.fail(new Error(`no thread rows yet:\n${screen}`))
        })
        const screen = yield* Effect.retry(
          ready,
          Schedule.intersect(Schedule.spaced("200 millis"), Schedule.recurs(450))
        )
        const lines = screen.split("\n")
        // one table, one thread header, its columns, one row per thread CPU
        expect(lines.filter((l) => l.includes("total/s")), screen).toHaveLength(1)
        const headers = lines.filter((l) => l.startsWith("thread CPUs"))
        expect(headers, screen).toHaveLength(1)
        expect(headers[0]!.trim().split(/\s+/)).toEqual([
          "thread",
          "CPUs",
          "infl",
          "workers",
          "idle",
          "running",
          "tasks"
        ])
        for (const cpu of [0, 1]) {
          expect(lines.filter((l) => l.startsWith(`thread ${cpu}`.padEnd(24))), screen).toHaveLength(1)
          const [infl, workers, idle, running, ...tasks] = cellsOf(screen, cpu)!
          // tasks in flight on the thread; its pools have workers, some of them busy with a task now.
          // `running` counts the pools' running (not blocked) workers: a worker whose Fetch awaits is
          // busy but blocked, so `running` is often 0 in a frame while `workers - idle` is not
          expect(Number(infl), screen).toBeGreaterThan(0)
          expect(Number(workers), screen).toBeGreaterThanOrEqual(Number(idle) + Number(running))
          expect(Number(workers) - Number(idle), screen).toBeGreaterThan(0)
          // what the busy workers run, by task name
          expect(tasks.join(" "), screen).toMatch(/\bFetch \d+/)
        }
        // the tasks workqueue queues on the thread CPUs: its rates count them
        expect(Number(row(screen, "tasks")?.[0]), screen).toBeGreaterThan(0)
        // redrawn in place: nothing scrolled off into the history
        const history = capture(name, true)
        expect(history.split("\n").filter((l) => l.startsWith("thread CPUs"))).toHaveLength(1)
      }),
    150_000
  )
})
