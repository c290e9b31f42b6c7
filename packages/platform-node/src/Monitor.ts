/**
 * A terminal monitor in the style of the kernel's `tools/workqueue/wq_monitor.py`:
 * one line per workqueue with `total`, `infl`, `CPUitsv`, `CMW`, `mayday` and
 * `rescued` columns, plus `failed`. As in `wq_monitor.py`, `infl` is started
 * minus completed (items running), not `Stats.inFlight` (which also counts
 * queued items).
 *
 * `live` redraws the table, as rates per second, in place on a terminal
 * (`wq_monitor.py`'s interval mode); `dump` prints the pools, their workers
 * and what each one runs, as `wq_dump.py` does.
 *
 * @since 0.1.0
 */
import * as Clock from "effect/Clock"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Schema from "effect/Schema"
import type { Workqueue } from "@cmwq/core"
import { type WorkerPool, Workqueue as Wq } from "@cmwq/core"
import * as Option from "effect/Option"
import { poolsDump } from "./internal/dump.js"
import { formatThreadRows } from "./internal/threadRows.js"
import { NodeThreads } from "./NodeThreads.js"

/**
 * Render workqueue stats as `wq_monitor.py` does.
 *
 * @example
 * ```ts
 * import { Monitor } from "@cmwq/platform-node"
 * import { Workqueue } from "@cmwq/core"
 * import { Effect } from "effect"
 *
 * const table = Effect.map(Workqueue.alloc("io"), Workqueue.stats)
 * const text = Effect.map(Effect.flatten(table), (s) => Monitor.format([s]))
 * ```
 *
 * @since 0.1.0
 * @category formatting
 */
export const format = (stats: ReadonlyArray<Workqueue.Stats>): string => {
  const pad = (s: string | number, n: number) => String(s).padStart(n)
  const header = `${"".padEnd(24)} ${pad("total", 10)} ${pad("infl", 6)} ${pad("CPUitsv", 8)} ${pad("CMW", 8)} ${
    pad("mayday", 7)
  } ${pad("rescued", 8)} ${pad("failed", 7)}`
  const lines = stats.map((s) =>
    `${s.name.slice(-24).padEnd(24)} ${pad(s.started, 10)} ${pad(Math.max(s.started - s.completed, 0), 6)} ${
      pad(s.cpuIntensive, 8)
    } ${pad(s.cmWakeup, 8)} ${pad(s.mayday, 7)} ${pad(s.rescued, 8)} ${pad(s.failed, 7)}`
  )
  return [header, ...lines].join("\n")
}

/**
 * The stats of `workqueues`, rendered.
 *
 * @example
 * ```ts
 * import { Monitor } from "@cmwq/platform-node"
 * import { Workqueue } from "@cmwq/core"
 * import { Effect } from "effect"
 *
 * const printed = Effect.gen(function*() {
 *   const io = yield* Workqueue.alloc("io")
 *   yield* Effect.log(yield* Monitor.snapshot([io]))
 * })
 * ```
 *
 * @since 0.1.0
 * @category combinators
 */
export const snapshot = (workqueues: ReadonlyArray<Workqueue.Workqueue>): Effect.Effect<string> =>
  Effect.map(Effect.forEach(workqueues, Wq.stats), format)

/**
 * One workqueue's line of the live view: `infl` and `running` are levels,
 * the other counters are rates per second over the last interval.
 *
 * @example
 * ```ts
 * import type { Monitor } from "@cmwq/platform-node"
 *
 * const row: Monitor.Rates = { name: "io", total: 120, infl: 3, cpuIntensive: 0, cmWakeup: 40, mayday: 0, rescued: 0, failed: 0 }
 * ```
 *
 * @since 0.1.0
 * @category models
 */
export interface Rates {
  readonly name: string
  /** items started per second (`total`) */
  readonly total: number
  /** items running now (started minus completed) */
  readonly infl: number
  readonly cpuIntensive: number
  readonly cmWakeup: number
  readonly mayday: number
  readonly rescued: number
  readonly failed: number
}

/**
 * The rates between two samples of the same workqueues taken `seconds` apart
 * (matched by position; a counter that went down, as after a restart, counts
 * from 0).
 *
 * @example
 * ```ts
 * import { Monitor } from "@cmwq/platform-node"
 * import type { Workqueue } from "@cmwq/core"
 *
 * declare const before: ReadonlyArray<Workqueue.Stats>
 * declare const after: ReadonlyArray<Workqueue.Stats>
 * const perSecond = Monitor.rates(before, after, 0.5)
 * ```
 *
 * @since 0.1.0
 * @category combinators
 */
export const rates = (
  before: ReadonlyArray<Workqueue.Stats>,
  after: ReadonlyArray<Workqueue.Stats>,
  seconds: number
): ReadonlyArray<Rates> => {
  const dt = seconds > 0 ? seconds : 1
  return after.map((s, i) => {
    const b = before[i]
    const per = (key: "started" | "cpuIntensive" | "cmWakeup" | "mayday" | "rescued" | "failed") => {
      const d = s[key] - (b === undefined || b.name !== s.name ? 0 : b[key])
      return (d < 0 ? s[key] : d) / dt
    }
    return {
      name: s.name,
      total: per("started"),
      infl: Math.max(s.started - s.completed, 0),
      cpuIntensive: per("cpuIntensive"),
      cmWakeup: per("cmWakeup"),
      mayday: per("mayday"),
      rescued: per("rescued"),
      failed: per("failed")
    }
  })
}

/**
 * Render rates as `wq_monitor.py` does in its interval mode, with per-second
 * columns (`total/s`, `CPUitsv/s`, ...) and `infl` as a level.
 *
 * @example
 * ```ts
 * import { Monitor } from "@cmwq/platform-node"
 *
 * Monitor.formatRates([{ name: "io", total: 120, infl: 3, cpuIntensive: 0, cmWakeup: 40, mayday: 0, rescued: 0, failed: 0 }])
 * ```
 *
 * @since 0.1.0
 * @category formatting
 */
export const formatRates = (rows: ReadonlyArray<Rates>): string => {
  const pad = (s: string | number, n: number) => String(s).padStart(n)
  const rate = (v: number, n: number) => pad(v >= 100 ? v.toFixed(0) : v.toFixed(1), n)
  const header = `${"".padEnd(24)} ${pad("total/s", 10)} ${pad("infl", 6)} ${pad("CPUitsv/s", 10)} ${pad("CMW/s", 8)} ${
    pad("mayday/s", 9)
  } ${pad("rescued/s", 10)} ${pad("failed/s", 9)}`
  const lines = rows.map((r) =>
    `${r.name.slice(-24).padEnd(24)} ${rate(r.total, 10)} ${pad(r.infl, 6)} ${rate(r.cpuIntensive, 10)} ${
      rate(r.cmWakeup, 8)
    } ${rate(r.mayday, 9)} ${rate(r.rescued, 10)} ${rate(r.failed, 9)}`
  )
  return [header, ...lines].join("\n")
}

/**
 * Where the live view writes: a stream with `write` and, on a terminal,
 * `isTTY` (so `process.stdout` fits).
 *
 * @example
 * ```ts
 * import type { Monitor } from "@cmwq/platform-node"
 *
 * const frames: Array<string> = []
 * const output: Monitor.Output = { isTTY: false, write: (text) => frames.push(text) }
 * ```
 *
 * @since 0.1.0
 * @category models
 */
export interface Output {
  readonly write: (text: string) => unknown
  readonly isTTY?: boolean | undefined
}

/**
 * Bad options of `live`.
 *
 * @example
 * ```ts
 * import { Monitor } from "@cmwq/platform-node"
 *
 * new Monitor.InvalidMonitorOptions({ option: "interval", value: "0", reason: "more than 0" }).message
 * ```
 *
 * @since 0.1.0
 * @category errors
 */
export class InvalidMonitorOptions extends Schema.TaggedError<InvalidMonitorOptions>("@cmwq/InvalidMonitorOptions")(
  "InvalidMonitorOptions",
  { option: Schema.String, value: Schema.String, reason: Schema.String }
) {
  override get message(): string {
    return `Monitor.live: option ${this.option} = ${this.value} is invalid: ${this.reason}`
  }
}

/**
 * A live view of `workqueues` (a function, to follow workqueues allocated
 * later): every `interval` (default 1 second) their rates, as `formatRates`
 * renders them, under a clock line. On a TTY each frame is redrawn in place
 * (the cursor goes back up over the previous frame); elsewhere (a pipe, a
 * log file) each frame is appended as plain lines. With `threads: true` and
 * thread CPUs (`NodeThreads.layer`), every frame also has a row per thread
 * CPU under the table: tasks in flight on it, its workers, idle ones,
 * running ones (not blocked: a worker whose task awaits is busy but not
 * running), and how many of each task its busy workers run now (read from that
 * thread's own dump, as `dump` prints it). Runs until interrupted;
 * fails with `InvalidMonitorOptions` for an interval that is not positive.
 *
 * @example
 * ```ts
 * import { Monitor } from "@cmwq/platform-node"
 * import { Workqueue } from "@cmwq/core"
 * import { Effect } from "effect"
 *
 * const program = Effect.gen(function*() {
 *   const io = yield* Workqueue.alloc("io")
 *   yield* Effect.fork(Monitor.live([io], { interval: "500 millis", threads: true }))
 *   // ... queue work on io
 * })
 * ```
 *
 * @since 0.1.0
 * @category combinators
 */
export const live = (
  workqueues: ReadonlyArray<Workqueue.Workqueue> | (() => ReadonlyArray<Workqueue.Workqueue>),
  options: {
    readonly interval?: Duration.DurationInput | undefined
    readonly output?: Output | undefined
    readonly threads?: boolean | undefined
  } = {}
): Effect.Effect<never, InvalidMonitorOptions> =>
  Effect.suspend(() => {
    const input = options.interval ?? "1 second"
    const ms = Duration.toMillis(Duration.decode(input))
    if (!Number.isFinite(ms) || ms <= 0) {
      return Effect.fail(
        new InvalidMonitorOptions({
          option: "interval",
          value: String(input),
          reason: "a finite duration, more than 0"
        })
      )
    }
    const out: Output = options.output ?? process.stdout
    const list = typeof workqueues === "function" ? workqueues : () => workqueues
    let before: ReadonlyArray<Workqueue.Stats> = []
    let at = 0
    let drawn = 0
    // the time comes from Effect's Clock, so that a TestClock drives the rates
    const frame = Effect.gen(function*() {
      const after = yield* Effect.forEach(list(), Wq.stats)
      const now = yield* Clock.currentTimeMillis
      const threads = options.threads === true ? yield* Effect.serviceOption(NodeThreads) : Option.none()
      const below = Option.isSome(threads)
        ? `\n${formatThreadRows(yield* threads.value.dump, threads.value.load())}\n`
        : ""
      const text = `cmwq ${new Date(now).toISOString().slice(11, 19)} every ${(ms / 1000).toFixed(1)} s\n${
        formatRates(rates(before, after, (now - at) / 1000))
      }\n${below}`
      before = after
      at = now
      if (out.isTTY === true) {
        // back to the first line of the previous frame (CPL), then each line
        // over the old one, cleared to its end (EL), and what is left of the
        // old frame below cleared (ED). Not ED from the top: a terminal may
        // take a clear from the first line for a clear screen, and tmux
        // (scroll-on-clear) then pushes every frame into the scrollback.
        const rows = text.split("\n").slice(0, -1)
        out.write(`${drawn > 0 ? `\x1b[${drawn}F` : ""}${rows.map((r) => `${r}\x1b[K\n`).join("")}\x1b[J`)
        drawn = rows.length
      } else {
        out.write(`${text}\n`)
      }
    })
    const first = Effect.gen(function*() {
      before = yield* Effect.forEach(list(), Wq.stats)
      at = yield* Clock.currentTimeMillis
    })
    return Effect.zipRight(first, Effect.forever(Effect.zipRight(Effect.sleep(ms), frame)))
  })

/**
 * A dump in the style of the kernel's `tools/workqueue/wq_dump.py`: every
 * pool (`WorkerPool.snapshot`) with its workers, idle, running and pending
 * counts and what each busy worker runs, then the `SYSFS` workqueues
 * (`WorkerPool.sysfs`) with their tunables. With thread CPUs
 * (`NodeThreads.layer`), every thread's own pools follow, each under a
 * `Thread CPU <n>` heading (tasks in flight show on the queueing side as
 * `away/...` entries, and on their thread as the worker that runs them).
 *
 * @example
 * ```ts
 * import { Monitor } from "@cmwq/platform-node"
 * import { WorkerPool } from "@cmwq/core"
 * import { Effect } from "effect"
 *
 * const text = Monitor.dump.pipe(Effect.provide(WorkerPool.layer()))
 * ```
 *
 * @since 0.1.0
 * @category combinators
 */
export const dump: Effect.Effect<string, never, WorkerPool.WorkerPools> = Effect.gen(function*() {
  const lines = [yield* poolsDump]
  const threads = yield* Effect.serviceOption(NodeThreads)
  if (Option.isSome(threads)) {
    for (const t of yield* threads.value.dump) {
      const heading = `Thread CPU ${t.cpu}`
      // the thread's own pools (its dump without the "Worker Pools" heading and the SYSFS section)
      const own = t.text.split("\n\nWorkqueue CPU -> pool")[0]!.split("\n")
      lines.push("", heading, "=".repeat(heading.length), ...(own[0] === "Worker Pools" ? own.slice(2) : own))
    }
  }
  return lines.join("\n")
})
