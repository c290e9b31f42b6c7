/**
 * Replay a recording (`Recorder` of `@cmwq/core`) in the simulation and ask
 * "what if": other max_active, flags, CPU count or policy.
 *
 * - `toScenario` turns a recording into a `Scenario`: one work per recorded
 *   queueing whose queue, start and finish are all in the recording (the
 *   others are counted in `skipped`); its steps are inferred from the
 *   timings: start → sleep is a `burn`, sleep → wake a `sleep`, wake → next
 *   sleep or finish a `burn`;
 * - `compare` checks a replay against its recording: the order of starts per
 *   workqueue, and the start-time differences;
 * - `whatIf` runs the scenario as recorded and with overrides, and `format`
 *   prints the two side by side: completion, queue-to-start latency p50/p99,
 *   peak workers, CPU-intensive marks.
 *
 * A recorded burn includes any time the item waited for the JS thread
 * between its wakeup and its next block; the replay waits for its simulated
 * CPU on top of that, so replayed times run later than recorded ones. The
 * order of starts is what a replay reproduces; the time differences are
 * reported, not hidden.
 *
 * @since 0.1.0
 */
import * as Effect from "effect/Effect"
import * as ParseResult from "effect/ParseResult"
import * as Schema from "effect/Schema"
import { type Policy, Recorder } from "@cmwq/core"
import * as ScenarioModule from "./Scenario.js"
import * as Simulation from "./Simulation.js"
import type { Trace } from "./Trace.js"
import type * as VirtualTime from "./VirtualTime.js"

/**
 * A recording that does not fit `Recorder.Recording`; `message` names the bad field.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { Replay } from "@cmwq/testing"
 *
 * const program = Replay.decodeRecording({ events: 3 }).pipe(
 *   Effect.catchTag("InvalidRecording", (e) => Effect.logError(e.message))
 * )
 * ```
 *
 * @since 0.1.0
 * @category errors
 */
export class InvalidRecording extends Schema.TaggedError<InvalidRecording>("@cmwq/testing/InvalidRecording")(
  "InvalidRecording",
  { message: Schema.String }
) {}

/**
 * A what-if override that does not fit the scenario (an unknown workqueue,
 * a max_active or CPU count out of range); `message` says which.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { Replay } from "@cmwq/testing"
 *
 * const scenario = { cpus: 1, workqueues: [{ name: "q0" }], works: [] }
 * const program = Replay.whatIf(scenario, { maxActive: { nope: 2 } }).pipe(
 *   Effect.catchTag("InvalidOverride", (e) => Effect.logError(e.message)) // no workqueue named "nope"
 * )
 * ```
 *
 * @since 0.1.0
 * @category errors
 */
export class InvalidOverride extends Schema.TaggedError<InvalidOverride>("@cmwq/testing/InvalidOverride")(
  "InvalidOverride",
  { message: Schema.String }
) {}

/**
 * Validate unknown input (parsed JSON) as a recording.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { Replay } from "@cmwq/testing"
 *
 * const program = Effect.gen(function*() {
 *   const recording = yield* Replay.decodeRecording(JSON.parse('{"capacity":1,"dropped":0,"cpus":1,"workqueues":[],"events":[]}'))
 *   const { scenario } = Replay.toScenario(recording)
 * })
 * ```
 *
 * @since 0.1.0
 * @category decoding
 */
export const decodeRecording = (input: unknown): Effect.Effect<Recorder.Recording, InvalidRecording> =>
  Schema.decodeUnknown(Recorder.Recording, { errors: "all" })(input).pipe(
    Effect.mapError((error) =>
      new InvalidRecording({ message: `invalid recording: ${ParseResult.TreeFormatter.formatErrorSync(error)}` })
    )
  )

/**
 * What `toScenario` returns: the scenario, and how many recorded queueings it
 * left out because the ring buffer had dropped their queue or start, or they
 * had not finished when the recording was taken.
 *
 * @since 0.1.0
 * @category models
 */
export interface Converted {
  readonly scenario: ScenarioModule.Scenario
  /** per work of the scenario: the recording's times (relative to the first queue), for `compare` */
  readonly recorded: ReadonlyArray<RecordedItem>
  readonly skipped: { readonly truncated: number; readonly unfinished: number }
}

/**
 * One recorded queueing as the scenario names it.
 *
 * @since 0.1.0
 * @category models
 */
export interface RecordedItem {
  readonly name: string
  readonly workqueue: string
  readonly queued: number
  readonly started: number
  readonly finished: number
}

const isFlag = Schema.is(ScenarioModule.Flag)

/**
 * Turn a recording into a scenario (see the module's description for the
 * step inference).
 *
 * @example
 * ```ts
 * import { Replay } from "@cmwq/testing"
 *
 * const { scenario } = Replay.toScenario({
 *   capacity: 10, dropped: 0, cpus: 1,
 *   workqueues: [{ name: "io", flags: [], ordered: false, maxActive: 0 }],
 *   events: [
 *     { t: 100, event: "queue", work: "nap", id: 0, workqueue: "io", cpu: 0, worker: -1, pool: 0 },
 *     { t: 101, event: "start", work: "nap", id: 0, workqueue: "io", cpu: 0, worker: 0, pool: 0 },
 *     { t: 102, event: "sleep", work: "nap", id: 0, workqueue: "io", cpu: 0, worker: 0, pool: 0 },
 *     { t: 112, event: "wake", work: "nap", id: 0, workqueue: "io", cpu: 0, worker: 0, pool: 0 },
 *     { t: 113, event: "finish", work: "nap", id: 0, workqueue: "io", cpu: 0, worker: 0, pool: 0 }
 *   ]
 * })
 * // scenario.works[0].steps: [{ burn: 1 }, { sleep: 10 }, { burn: 1 }]
 * ```
 *
 * @since 0.1.0
 * @category conversion
 */
export const toScenario = (recording: Recorder.Recording): Converted => {
  const cpus = Math.min(64, Math.max(1, recording.cpus))
  const byId = new Map<number, Array<Recorder.RecordedEvent>>()
  for (const e of recording.events) {
    if (e.id < 0) continue
    let list = byId.get(e.id)
    if (list === undefined) byId.set(e.id, list = [])
    list.push(e)
  }
  let truncated = 0
  let unfinished = 0
  const complete: Array<ReadonlyArray<Recorder.RecordedEvent>> = []
  for (const events of byId.values()) {
    const q = events[0]!
    if (q.event !== "queue" || events[1]?.event !== "start") truncated++
    else if (events.at(-1)!.event !== "finish") unfinished++
    else complete.push(events)
  }
  complete.sort((a, b) => a[0]!.t - b[0]!.t || a[0]!.id - b[0]!.id)
  const t0 = complete[0]?.[0]!.t ?? 0
  const round = (x: number) => Math.max(0, Math.round(x * 1000) / 1000)
  const counts = new Map<string, number>()
  for (const events of complete) counts.set(events[0]!.work, (counts.get(events[0]!.work) ?? 0) + 1)
  const used = new Set<string>()
  const recorded: Array<RecordedItem> = []
  const works = complete.map((events) => {
    const q = events[0]!
    let name = counts.get(q.work)! > 1 ? `${q.work}#${q.id}` : q.work
    while (used.has(name)) name = `${name}'`
    used.add(name)
    const steps: Array<ScenarioModule.Step> = []
    let last = events[1]!.t
    for (const e of events.slice(2)) {
      if (e.event === "sleep" || e.event === "finish") {
        const burn = round(e.t - last)
        if (burn > 0) steps.push({ burn })
        last = e.t
      } else if (e.event === "wake") {
        steps.push({ sleep: round(e.t - last) })
        last = e.t
      }
    }
    recorded.push({
      name,
      workqueue: q.workqueue,
      queued: round(q.t - t0),
      started: round(events[1]!.t - t0),
      finished: round(events.at(-1)!.t - t0)
    })
    return {
      name,
      workqueue: q.workqueue,
      cpu: q.cpu >= 0 && q.cpu < cpus ? q.cpu : 0,
      at: round(q.t - t0),
      steps
    }
  })
  const wqNames = new Set(works.map((w) => w.workqueue))
  const workqueues = recording.workqueues.filter((wq) => wqNames.has(wq.name)).map((wq) => {
    const flags: Array<typeof ScenarioModule.Flag.Type> = wq.flags.filter(isFlag)
    if (wq.ordered) flags.push("ORDERED")
    return { name: wq.name, flags, ...(wq.ordered || wq.maxActive === 0 ? {} : { maxActive: wq.maxActive }) }
  })
  // an item whose workqueue was never described (its queue event was dropped before the description): default flags
  for (const name of wqNames) if (!workqueues.some((wq) => wq.name === name)) workqueues.push({ name, flags: [] })
  return { scenario: { cpus, workqueues, works }, recorded, skipped: { truncated, unfinished } }
}

/**
 * How a replay compares with its recording, per workqueue: the order in which
 * its items started, recorded and replayed, and the start-time differences
 * (replayed minus recorded, ms).
 *
 * @since 0.1.0
 * @category models
 */
export interface Comparison {
  readonly workqueues: ReadonlyArray<{
    readonly name: string
    readonly recorded: ReadonlyArray<string>
    readonly replayed: ReadonlyArray<string>
    readonly sameOrder: boolean
  }>
  readonly sameOrder: boolean
  readonly startDelta: { readonly mean: number; readonly maxAbs: number }
  readonly finishDelta: { readonly mean: number; readonly maxAbs: number }
}

const firstTimes = (trace: Trace, event: "queue" | "start" | "finish"): Map<string, number> => {
  const m = new Map<string, number>()
  for (const e of trace) if (e.event === event && !m.has(e.work)) m.set(e.work, e.t)
  return m
}

const deltas = (xs: ReadonlyArray<number>) => ({
  mean: xs.length === 0 ? 0 : xs.reduce((a, b) => a + b, 0) / xs.length,
  maxAbs: xs.reduce((a, b) => Math.max(a, Math.abs(b)), 0)
})

/**
 * Compare a replay's trace with the recording it came from.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import type { Recorder } from "@cmwq/core"
 * import { Replay, Simulation } from "@cmwq/testing"
 *
 * const check = (recording: Recorder.Recording) =>
 *   Effect.gen(function*() {
 *     const converted = Replay.toScenario(recording)
 *     const trace = yield* Simulation.run(converted.scenario)
 *     const comparison = Replay.compare(converted, trace)
 *     console.log(comparison.sameOrder, comparison.startDelta)
 *   })
 * ```
 *
 * @since 0.1.0
 * @category comparison
 */
export const compare = (converted: Converted, trace: Trace): Comparison => {
  const starts = firstTimes(trace, "start")
  const finishes = firstTimes(trace, "finish")
  const names = converted.scenario.workqueues.map((wq) => wq.name)
  const workqueues = names.map((name) => {
    const items = converted.recorded.filter((r) => r.workqueue === name)
    const recorded = [...items].sort((a, b) => a.started - b.started).map((r) => r.name)
    const replayed = items
      .filter((r) => starts.has(r.name))
      .sort((a, b) => starts.get(a.name)! - starts.get(b.name)!)
      .map((r) => r.name)
    return { name, recorded, replayed, sameOrder: recorded.join("\n") === replayed.join("\n") }
  })
  return {
    workqueues,
    sameOrder: workqueues.every((w) => w.sameOrder),
    startDelta: deltas(
      converted.recorded.filter((r) => starts.has(r.name)).map((r) => starts.get(r.name)! - r.started)
    ),
    finishDelta: deltas(
      converted.recorded.filter((r) => finishes.has(r.name)).map((r) => finishes.get(r.name)! - r.finished)
    )
  }
}

/**
 * What-if overrides: max_active and flags per workqueue, the CPU count, the
 * policy. Works on CPUs beyond a smaller `cpus` move to CPU `cpu % cpus`.
 *
 * @since 0.1.0
 * @category models
 */
export interface Overrides {
  readonly maxActive?: Readonly<Record<string, number>> | undefined
  readonly flags?: Readonly<Record<string, ReadonlyArray<typeof ScenarioModule.Flag.Type>>> | undefined
  readonly cpus?: number | undefined
  readonly policy?: Policy.Policy | undefined
  /** a name for the policy in the report (default "custom" when `policy` is set) */
  readonly policyName?: string | undefined
}

/**
 * Apply overrides to a scenario (fails with `InvalidOverride` naming an
 * unknown workqueue or an out-of-range value).
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { Replay } from "@cmwq/testing"
 *
 * const scenario = { cpus: 1, workqueues: [{ name: "q0" }], works: [] }
 * const program = Replay.applyOverrides(scenario, { maxActive: { q0: 1 }, cpus: 4 })
 * ```
 *
 * @since 0.1.0
 * @category what-if
 */
export const applyOverrides = (
  scenario: ScenarioModule.Scenario,
  overrides: Overrides
): Effect.Effect<ScenarioModule.Scenario, InvalidOverride> =>
  Effect.suspend(() => {
    const names = new Set(scenario.workqueues.map((wq) => wq.name))
    for (const [kind, table] of [["maxActive", overrides.maxActive], ["flags", overrides.flags]] as const) {
      for (const name of Object.keys(table ?? {})) {
        if (!names.has(name)) {
          return Effect.fail(
            new InvalidOverride({
              message: `${kind} override: no workqueue named "${name}" (the scenario has ${
                [...names].map((n) => `"${n}"`).join(", ") || "none"
              })`
            })
          )
        }
      }
    }
    for (const [name, value] of Object.entries(overrides.maxActive ?? {})) {
      if (!Number.isInteger(value) || value < 1 || value > 2048) {
        return Effect.fail(
          new InvalidOverride({
            message: `maxActive override for "${name}": ${value} is not a whole number in 1..2048`
          })
        )
      }
    }
    const cpus = overrides.cpus ?? scenario.cpus
    if (!Number.isInteger(cpus) || cpus < 1 || cpus > 64) {
      return Effect.fail(new InvalidOverride({ message: `cpus override: ${cpus} is not a whole number in 1..64` }))
    }
    return Effect.succeed({
      cpus,
      workqueues: scenario.workqueues.map((wq) => {
        const flags = overrides.flags?.[wq.name] ?? wq.flags
        const maxActive = overrides.maxActive?.[wq.name] ?? wq.maxActive
        return {
          name: wq.name,
          ...(flags !== undefined ? { flags } : {}),
          ...(maxActive !== undefined ? { maxActive } : {})
        }
      }),
      works: scenario.works.map((w) => ({ ...w, cpu: (w.cpu ?? 0) % cpus }))
    })
  })

/**
 * The figures of one run: completion (the last finish, ms), queue-to-start
 * latency p50/p99 (nearest rank, ms), the most workers the pools had, and
 * how many items held their CPU past the CPU-intensive threshold in one
 * stretch (kernel `wq_cpu_intensive_thresh_us`: 10 ms), on a workqueue
 * without `CPU_INTENSIVE`.
 *
 * @since 0.1.0
 * @category models
 */
export interface Summary {
  readonly items: number
  readonly completion: number
  readonly latencyP50: number
  readonly latencyP99: number
  readonly peakWorkers: number
  readonly cpuIntensive: number
  readonly workqueues: ReadonlyArray<{
    readonly name: string
    readonly completion: number
    readonly latencyP50: number
    readonly latencyP99: number
  }>
}

/**
 * The side-by-side report of `whatIf`.
 *
 * @since 0.1.0
 * @category models
 */
export interface Report {
  readonly asRecorded: Summary
  readonly whatIf: Summary
  /** the overrides, in words */
  readonly changes: ReadonlyArray<string>
}

const percentile = (sorted: ReadonlyArray<number>, p: number): number =>
  sorted.length === 0 ? 0 : sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(p * sorted.length) - 1))]!

const CPU_INTENSIVE_THRESHOLD_MS = 10

/**
 * Summarize a detailed simulation run.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { Replay, Simulation } from "@cmwq/testing"
 *
 * const program = Effect.map(
 *   Simulation.runDetailed({ cpus: 1, workqueues: [{ name: "q0" }], works: [{ name: "w0", workqueue: "q0", steps: [{ burn: 5 }] }] }),
 *   Replay.summarize
 * )
 * ```
 *
 * @since 0.1.0
 * @category what-if
 */
export const summarize = (detailed: Simulation.Detailed): Summary => {
  const { scenario, trace } = detailed
  const queued = firstTimes(trace, "queue")
  const started = firstTimes(trace, "start")
  const finished = firstTimes(trace, "finish")
  const latencyOf = (works: ReadonlyArray<{ readonly name: string }>) =>
    works.filter((w) => started.has(w.name)).map((w) => started.get(w.name)! - (queued.get(w.name) ?? 0)).sort((
      a,
      b
    ) => a - b)
  const completionOf = (works: ReadonlyArray<{ readonly name: string }>) =>
    works.reduce((m, w) => Math.max(m, finished.get(w.name) ?? 0), 0)
  const all = latencyOf(scenario.works)
  // CPU-intensive: one stretch on the CPU (start or wake to sleep or finish) of the threshold or more
  const intensiveWqs = new Set(
    scenario.workqueues.filter((wq) => (wq.flags ?? []).includes("CPU_INTENSIVE")).map((wq) => wq.name)
  )
  const wqOf = new Map(scenario.works.map((w) => [w.name, w.workqueue]))
  const onCpuSince = new Map<string, number>()
  const marked = new Set<string>()
  for (const e of trace) {
    if (e.event === "start" || e.event === "wake") onCpuSince.set(e.work, e.t)
    else if (e.event === "sleep" || e.event === "finish") {
      const since = onCpuSince.get(e.work)
      if (since !== undefined && e.t - since >= CPU_INTENSIVE_THRESHOLD_MS && !intensiveWqs.has(wqOf.get(e.work)!)) {
        marked.add(e.work)
      }
      onCpuSince.delete(e.work)
    }
  }
  const peakWorkers = detailed.quiescent.reduce(
    (m, q) => Math.max(m, q.pools.reduce((s, p) => s + (p.bh ? 0 : p.workers), 0)),
    0
  )
  return {
    items: scenario.works.length,
    completion: completionOf(scenario.works),
    latencyP50: percentile(all, 0.5),
    latencyP99: percentile(all, 0.99),
    peakWorkers,
    cpuIntensive: marked.size,
    workqueues: scenario.workqueues.map((wq) => {
      const works = scenario.works.filter((w) => w.workqueue === wq.name)
      const lat = latencyOf(works)
      return {
        name: wq.name,
        completion: completionOf(works),
        latencyP50: percentile(lat, 0.5),
        latencyP99: percentile(lat, 0.99)
      }
    })
  }
}

const describeChanges = (scenario: ScenarioModule.Scenario, overrides: Overrides): Array<string> => {
  const out: Array<string> = []
  for (const [name, v] of Object.entries(overrides.maxActive ?? {})) {
    const before = scenario.workqueues.find((wq) => wq.name === name)?.maxActive
    out.push(`max_active ${name}: ${before ?? "default"} -> ${v}`)
  }
  for (const [name, v] of Object.entries(overrides.flags ?? {})) out.push(`flags ${name}: [${v.join(", ")}]`)
  if (overrides.cpus !== undefined) out.push(`cpus: ${scenario.cpus} -> ${overrides.cpus}`)
  if (overrides.policy !== undefined) out.push(`policy: ${overrides.policyName ?? "custom"}`)
  return out
}

/**
 * Run a scenario as it is and with overrides; report both side by side.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { Replay } from "@cmwq/testing"
 *
 * const scenario = {
 *   cpus: 1,
 *   workqueues: [{ name: "io", maxActive: 8 }],
 *   works: Array.from({ length: 8 }, (_, i) => ({ name: `w${i}`, workqueue: "io", steps: [{ burn: 1 }, { sleep: 10 }] }))
 * }
 * const program = Effect.gen(function*() {
 *   const report = yield* Replay.whatIf(scenario, { maxActive: { io: 1 } })
 *   console.log(Replay.format(report)) // completion and latency go up
 * })
 * ```
 *
 * @since 0.1.0
 * @category what-if
 */
export const whatIf = (
  input: ScenarioModule.Scenario | unknown,
  overrides: Overrides,
  options: Simulation.Options = {}
): Effect.Effect<
  Report,
  | ScenarioModule.InvalidScenario
  | InvalidOverride
  | Simulation.InvalidSchedule
  | VirtualTime.Deadlock
  | VirtualTime.StepLimit
> =>
  Effect.gen(function*() {
    const scenario = yield* ScenarioModule.decode(input)
    const changed = yield* applyOverrides(scenario, overrides)
    const base = yield* Simulation.runDetailed(scenario, options)
    const other = yield* Simulation.runDetailed(changed, {
      ...options,
      ...(overrides.policy !== undefined ? { policy: overrides.policy } : {})
    })
    return { asRecorded: summarize(base), whatIf: summarize(other), changes: describeChanges(scenario, overrides) }
  })

const fmt = (x: number) => (Number.isInteger(x) ? String(x) : x.toFixed(2))

/**
 * The report as a table: one line per figure, as recorded, what-if, and the
 * change; then the same per workqueue.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { Replay } from "@cmwq/testing"
 *
 * const program = Effect.map(
 *   Replay.whatIf({ cpus: 1, workqueues: [{ name: "q0" }], works: [] }, { cpus: 2 }),
 *   (report) => console.log(Replay.format(report))
 * )
 * ```
 *
 * @since 0.1.0
 * @category what-if
 */
export const format = (report: Report): string => {
  const rows: Array<[string, number, number]> = [
    ["items", report.asRecorded.items, report.whatIf.items],
    ["completion (ms)", report.asRecorded.completion, report.whatIf.completion],
    ["latency p50 (ms)", report.asRecorded.latencyP50, report.whatIf.latencyP50],
    ["latency p99 (ms)", report.asRecorded.latencyP99, report.whatIf.latencyP99],
    ["peak workers", report.asRecorded.peakWorkers, report.whatIf.peakWorkers],
    ["cpu-intensive marks", report.asRecorded.cpuIntensive, report.whatIf.cpuIntensive]
  ]
  for (const wq of report.asRecorded.workqueues) {
    const other = report.whatIf.workqueues.find((w) => w.name === wq.name)
    if (other === undefined) continue
    rows.push([`${wq.name}: completion (ms)`, wq.completion, other.completion])
    rows.push([`${wq.name}: latency p50 (ms)`, wq.latencyP50, other.latencyP50])
    rows.push([`${wq.name}: latency p99 (ms)`, wq.latencyP99, other.latencyP99])
  }
  const head: [string, string, string, string] = ["", "as recorded", "what-if", "change"]
  const body = rows.map(([label, a, b]): [string, string, string, string] => {
    const d = b - a
    return [label, fmt(a), fmt(b), d === 0 ? "=" : `${d > 0 ? "+" : ""}${fmt(d)}`]
  })
  const widths = [0, 1, 2, 3].map((i) => Math.max(head[i]!.length, ...body.map((r) => r[i]!.length)))
  const line = (r: ReadonlyArray<string>) =>
    r.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join("  ").trimEnd()
  const changes = report.changes.length === 0 ? ["what-if: no overrides"] : [`what-if: ${report.changes.join("; ")}`]
  return [...changes, line(head), ...body.map(line)].join("\n")
}
