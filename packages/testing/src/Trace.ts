/**
 * Simulation traces: what happened, when, on which CPU and worker.
 *
 * A trace is an array of events sorted by `t` (virtual milliseconds), in the
 * order things happened within one `t`. Identical input gives an identical
 * trace.
 *
 * - `queue`: the work was queued (`worker` is -1: no worker yet);
 * - `start`: a worker picked it up (it may still wait for its CPU);
 * - `sleep`: it blocked (released its CPU);
 * - `wake`: it got its CPU back after a sleep;
 * - `finish`: its effect completed (`outcome` says how, when recorded);
 * - `reject`: a queue attempt returned false (the work was already
 *   pending); nothing was queued.
 *
 * Runners other than `Simulation` (such as a property test driving the pools
 * directly) may record the optional fields: `pending` on `queue` and
 * `reject`, `from` on a queue attempt made from inside a running work,
 * `pool` on `start`, `outcome` on `finish`.
 *
 * @since 0.1.0
 */
import * as Svg from "./internal/svg.js"

/**
 * @since 0.1.0
 * @category models
 */
export type EventKind = "queue" | "start" | "sleep" | "wake" | "finish" | "reject"

/**
 * How a run ended: its effect succeeded, failed, died with a defect, or was
 * interrupted.
 *
 * @since 0.1.0
 * @category models
 */
export type Outcome = "success" | "failure" | "defect" | "interrupt"

/**
 * @since 0.1.0
 * @category models
 */
export interface Event {
  readonly t: number
  readonly cpu: number
  readonly worker: number
  readonly work: string
  readonly event: EventKind
  /**
   * `queue` and `reject`: the work's pending bit just before the attempt
   * (`Work.isPending`), when the runner recorded it.
   *
   * @since 0.1.0
   */
  readonly pending?: boolean | undefined
  /**
   * `queue` and `reject`: the work whose run made the attempt (a work queueing
   * itself, or another one, from its body); absent when queued from outside.
   *
   * @since 0.1.0
   */
  readonly from?: string | undefined
  /**
   * `start`: the id of the worker pool whose worker picked the work up, when
   * the runner recorded it.
   *
   * @since 0.1.0
   */
  readonly pool?: number | undefined
  /**
   * `finish`: how the run ended, when the runner recorded it (absent: it
   * succeeded, or the runner does not know).
   *
   * @since 0.1.0
   */
  readonly outcome?: Outcome | undefined
}

/**
 * @since 0.1.0
 * @category models
 */
export type Trace = ReadonlyArray<Event>

const phrase: Record<EventKind, string> = {
  queue: "is queued",
  start: "starts",
  sleep: "sleeps",
  wake: "wakes up",
  finish: "finishes",
  reject: "is already pending (not queued)"
}

const finishPhrase: Record<Outcome, string> = {
  success: "finishes",
  failure: "fails",
  defect: "dies",
  interrupt: "is interrupted"
}

/** `queue` and `reject` events: shown only with the `queues` option */
const isQueueAttempt = (e: Event): boolean => e.event === "queue" || e.event === "reject"

/**
 * Render a trace as a timeline table like the kernel documentation's
 * execution scenarios (`TIME IN MSECS  EVENT`). A wake and a finish of the
 * same work at the same time read "wakes up and finishes", as in the
 * documentation. `queue` (and `reject`) events are left out unless `queues` is set; a
 * `finish` with an `outcome` other than success reads "fails", "dies" or "is
 * interrupted".
 *
 * @since 0.1.0
 * @category formatting
 */
export const format = (trace: Trace, options: { readonly queues?: boolean } = {}): string => {
  const lines: Array<string> = [" TIME IN MSECS  EVENT"]
  const events = options.queues === true ? trace : trace.filter((e) => !isQueueAttempt(e))
  for (let i = 0; i < events.length; i++) {
    const e = events[i]!
    const next = events[i + 1]
    let text = `${e.work} ${
      e.event === "finish" && e.outcome !== undefined ? finishPhrase[e.outcome] : phrase[e.event]
    }`
    if (e.event === "wake" && next !== undefined && next.event === "finish" && next.work === e.work && next.t === e.t) {
      text = `${e.work} wakes up and finishes`
      i++
    }
    const where = e.worker >= 0 ? `  (cpu ${e.cpu}, worker ${e.worker})` : `  (cpu ${e.cpu})`
    lines.push(`${String(e.t).padStart(14)}  ${text}${where}`)
  }
  return lines.join("\n")
}

/**
 * The events of one work, in order.
 *
 * @since 0.1.0
 * @category getters
 */
export const ofWork = (trace: Trace, work: string): Trace => trace.filter((e) => e.work === work)

/**
 * A compact one-line-per-event form (`t work event`), handy in assertions.
 *
 * @since 0.1.0
 * @category formatting
 */
export const lines = (trace: Trace, options: { readonly queues?: boolean } = {}): Array<string> =>
  (options.queues === true ? trace : trace.filter((e) => !isQueueAttempt(e))).map((e) => `${e.t} ${e.work} ${e.event}`)

/**
 * Options of `toSvg`.
 *
 * @since 0.1.0
 * @category models
 */
export interface SvgOptions {
  /** the diagram's accessible title (default "Timeline") */
  readonly title?: string | undefined
  /** horizontal scale in pixels per virtual millisecond (default: fit `width`) */
  readonly pxPerMs?: number | undefined
  /** the width to fit when `pxPerMs` is not given (default 720) */
  readonly width?: number | undefined
}

/**
 * Render a trace as an SVG timeline: one row per worker (grouped by CPU,
 * with a row of queue marks per CPU), a bar per interval in which the worker
 * was running, sleeping or waiting for its CPU, and marks where work was
 * queued, started and finished. A self-contained `<svg>` element as a
 * string; its text takes `currentColor`, so it reads on light and dark
 * backgrounds.
 *
 * The trace records when a worker slept, woke and finished, not when a
 * started worker got its CPU: that is inferred under the simulation's rules
 * (one worker per CPU at a time, first come first served, held until it
 * sleeps or finishes). A `sleeping` bar ends at `wake`, so it includes any
 * wait for the CPU after the sleep itself ended.
 *
 * Every bar is a `<rect>` with the class `running`, `sleeping` or `waiting`
 * and `data-work`, `data-worker`, `data-cpu`, `data-from` and `data-to`
 * attributes (milliseconds), so the output can be checked and styled.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import * as fs from "node:fs"
 * import { Simulation, Trace } from "@cmwq/testing"
 *
 * const trace = Effect.runSync(Simulation.run({
 *   cpus: 1,
 *   workqueues: [{ name: "q0" }],
 *   works: [
 *     { name: "w0", workqueue: "q0", steps: [{ burn: 5 }, { sleep: 10 }, { burn: 5 }] },
 *     { name: "w1", workqueue: "q0", steps: [{ burn: 5 }] }
 *   ]
 * }))
 * fs.writeFileSync("timeline.svg", Trace.toSvg(trace, { title: "w0 and w1 on q0" }))
 * ```
 *
 * @since 0.1.0
 * @category formatting
 */
export const toSvg = (trace: Trace, options: SvgOptions = {}): string => Svg.render(trace, options)
