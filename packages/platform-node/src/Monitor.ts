/**
 * A terminal monitor in the style of the kernel's `tools/workqueue/wq_monitor.py`:
 * one line per workqueue with `total`, `infl`, `CPUitsv`, `CMW`, `mayday` and
 * `rescued` columns, plus `failed`. As in `wq_monitor.py`, `infl` is started
 * minus completed (items running), not `Stats.inFlight` (which also counts
 * queued items).
 *
 * @since 0.1.0
 */
import * as Effect from "effect/Effect"
import type { Workqueue } from "@cmwq/core"
import { Workqueue as Wq } from "@cmwq/core"

/**
 * Render workqueue stats as `wq_monitor.py` does.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { Workqueue } from "@cmwq/core"
 * import { Monitor } from "@cmwq/platform-node"
 *
 * const table = (wqs: ReadonlyArray<Workqueue.Workqueue>) =>
 *   Effect.map(Effect.forEach(wqs, Workqueue.stats), Monitor.format)
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
 * import { Effect } from "effect"
 * import { Workqueue } from "@cmwq/core"
 * import { Monitor } from "@cmwq/platform-node"
 *
 * const program = Effect.gen(function*() {
 *   const events = yield* Workqueue.alloc("events")
 *   console.log(yield* Monitor.snapshot([events])) // wq_monitor-style table
 * })
 * ```
 *
 * @since 0.1.0
 * @category combinators
 */
export const snapshot = (workqueues: ReadonlyArray<Workqueue.Workqueue>): Effect.Effect<string> =>
  Effect.map(Effect.forEach(workqueues, Wq.stats), format)
