/**
 * The SVG timeline behind `Trace.toSvg`. Internal: the public entry point and
 * its options live in `Trace.ts`.
 *
 * Reading a trace into bars, per worker:
 * - `sleeping` from `sleep` to the next `wake` of the same work (this
 *   includes any wait for the CPU after the sleep ended: the trace records
 *   only when the worker got its CPU back);
 * - `running` while the worker holds its CPU;
 * - `waiting` from `start` until the worker first holds its CPU.
 *
 * Who holds a CPU is inferred from the trace under the simulation's rules:
 * one worker per CPU at a time, first come first served, held until `sleep`
 * or `finish`; a worker that started while its CPU was taken waits for it,
 * and a `wake` at the moment the CPU is released goes ahead of a started
 * worker granted the CPU at that same moment.
 */
import type { Event, Trace } from "../Trace.js"

/** one bar of the timeline */
export interface Segment {
  readonly kind: "running" | "sleeping" | "waiting"
  readonly work: string
  readonly cpu: number
  readonly worker: number
  readonly from: number
  readonly to: number
}

/** a queue, start or finish mark */
export interface Mark {
  readonly kind: "queue" | "start" | "finish"
  readonly work: string
  readonly cpu: number
  /** -1 for queue marks (no worker yet) */
  readonly worker: number
  readonly t: number
}

interface Open {
  kind: Segment["kind"]
  work: string
  cpu: number
  from: number
}

/** the bars and marks of a trace */
export const segments = (trace: Trace): { readonly segments: Array<Segment>; readonly marks: Array<Mark> } => {
  const out: Array<Segment> = []
  const marks: Array<Mark> = []
  const open = new Map<number, Open>() // worker -> its current bar
  const holder = new Map<number, { worker: number; since: number; granted: boolean }>() // cpu -> holder
  const waiting = new Map<number, Array<number>>() // cpu -> workers waiting for it after `start`
  const queueOf = (cpu: number) => {
    let q = waiting.get(cpu)
    if (q === undefined) waiting.set(cpu, q = [])
    return q
  }
  const close = (worker: number, t: number) => {
    const bar = open.get(worker)
    if (bar === undefined) return
    open.delete(worker)
    if (t > bar.from) out.push({ kind: bar.kind, work: bar.work, cpu: bar.cpu, worker, from: bar.from, to: t })
  }
  const begin = (worker: number, kind: Segment["kind"], e: Event, t: number) => {
    close(worker, t)
    open.set(worker, { kind, work: e.work, cpu: e.cpu, from: t })
  }
  const release = (cpu: number, t: number) => {
    holder.delete(cpu)
    const next = queueOf(cpu).shift()
    if (next === undefined) return
    const bar = open.get(next)
    holder.set(cpu, { worker: next, since: t, granted: true })
    if (bar !== undefined) {
      close(next, t)
      open.set(next, { kind: "running", work: bar.work, cpu, from: t })
    }
  }
  for (const e of trace) {
    switch (e.event) {
      case "queue":
        marks.push({ kind: "queue", work: e.work, cpu: e.cpu, worker: -1, t: e.t })
        break
      case "start": {
        marks.push({ kind: "start", work: e.work, cpu: e.cpu, worker: e.worker, t: e.t })
        if (holder.has(e.cpu)) {
          queueOf(e.cpu).push(e.worker)
          begin(e.worker, "waiting", e, e.t)
        } else {
          holder.set(e.cpu, { worker: e.worker, since: e.t, granted: false })
          begin(e.worker, "running", e, e.t)
        }
        break
      }
      case "sleep": {
        const q = queueOf(e.cpu)
        const i = q.indexOf(e.worker)
        if (i >= 0) q.splice(i, 1) // slept before it ever held the CPU
        begin(e.worker, "sleeping", e, e.t)
        if (holder.get(e.cpu)?.worker === e.worker) release(e.cpu, e.t)
        break
      }
      case "wake": {
        const current = holder.get(e.cpu)
        if (current !== undefined && current.worker !== e.worker && current.granted && current.since === e.t) {
          // the release at this very moment went to the waker, not to the started worker
          queueOf(e.cpu).unshift(current.worker)
          const bar = open.get(current.worker)
          if (bar !== undefined) bar.kind = "waiting"
        }
        holder.set(e.cpu, { worker: e.worker, since: e.t, granted: false })
        begin(e.worker, "running", e, e.t)
        break
      }
      case "finish": {
        marks.push({ kind: "finish", work: e.work, cpu: e.cpu, worker: e.worker, t: e.t })
        const q = queueOf(e.cpu)
        const i = q.indexOf(e.worker)
        if (i >= 0) q.splice(i, 1)
        close(e.worker, e.t)
        if (holder.get(e.cpu)?.worker === e.worker) release(e.cpu, e.t)
        break
      }
    }
  }
  const end = trace.length === 0 ? 0 : trace[trace.length - 1]!.t
  for (const worker of [...open.keys()]) close(worker, end)
  return { segments: out, marks }
}

const escape = (s: string): string =>
  s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;")

const num = (n: number): string => String(Math.round(n * 100) / 100)

/** a "nice" tick step for an axis of `span` ms: 1, 2 or 5 times a power of ten, about 10 ticks */
const tickStep = (span: number): number => {
  if (span <= 0) return 1
  const raw = span / 10
  const p = 10 ** Math.floor(Math.log10(raw))
  return [1, 2, 5, 10].map((m) => m * p).find((s) => s >= raw) ?? 10 * p
}

export interface RenderOptions {
  readonly title?: string | undefined
  readonly pxPerMs?: number | undefined
  readonly width?: number | undefined
}

/** layout constants, in px */
const LABEL = 130
const ROW = 28
const BAR = 16
const TOP = 30
const PAD = 12

export const render = (trace: Trace, options: RenderOptions = {}): string => {
  const { marks, segments: bars } = segments(trace)
  const end = trace.length === 0 ? 0 : Math.max(...trace.map((e) => e.t))
  const pxPerMs = options.pxPerMs ?? Math.max(1, ((options.width ?? 720) - LABEL - 2 * PAD) / Math.max(end, 1))
  const x = (t: number) => LABEL + t * pxPerMs
  // rows: one queue row per CPU that has queue marks, then one row per worker, by CPU then worker
  const cpus = [...new Set(trace.map((e) => e.cpu))].sort((a, b) => a - b)
  const workers = [...new Map(trace.filter((e) => e.worker >= 0).map((e) => [e.worker, e.cpu] as const)).entries()]
    .sort(([wa, ca], [wb, cb]) => ca - cb || wa - wb)
  type Row = { readonly label: string; readonly cpu: number; readonly worker: number }
  const rows: Array<Row> = []
  for (const cpu of cpus) {
    if (marks.some((m) => m.kind === "queue" && m.cpu === cpu))
      rows.push({ label: `cpu ${cpu} queue`, cpu, worker: -1 })
    for (const [worker, c] of workers) if (c === cpu) rows.push({ label: `cpu ${cpu} worker ${worker}`, cpu, worker })
  }
  const rowY = (cpu: number, worker: number) => {
    const i = rows.findIndex((r) => r.cpu === cpu && r.worker === worker)
    return TOP + Math.max(i, 0) * ROW
  }
  const axisY = TOP + rows.length * ROW + 4
  const legendY = axisY + 34
  const height = legendY + 16
  // the legend's entries: [class, text, x]; the svg is as wide as the axis (and its "ms") or the legend
  const legend: Array<readonly [string, string, number]> = []
  let lx = LABEL
  for (
    const [cls, text] of [["running", "running"], ["sleeping", "sleeping"], ["waiting", "waiting for its CPU"], [
      "mark-queue",
      "queued"
    ], ["mark-start", "start / finish"]] as const
  ) {
    legend.push([cls, text, lx])
    lx += 18 + 7 * text.length + 16
  }
  const width = Math.ceil(Math.max(x(end) + 30, lx) + PAD)
  const out: Array<string> = []
  const title = options.title ?? "Timeline"
  out.push(
    `<svg xmlns="http://www.w3.org/2000/svg" class="cmwq-timeline" role="img" viewBox="0 0 ${width} ${height}" ` +
      `width="${width}" height="${height}" font-family="system-ui, sans-serif" font-size="12" aria-label="${
        escape(title)
      }">`,
    `<title>${escape(title)}</title>`,
    "<style>",
    ".cmwq-timeline text{fill:currentColor}",
    ".cmwq-timeline .grid{stroke:currentColor;stroke-opacity:.15}",
    ".cmwq-timeline .axis{stroke:currentColor;stroke-opacity:.6}",
    ".cmwq-timeline .running{fill:#2f7fd8}",
    ".cmwq-timeline .sleeping{fill:#8c96a5;fill-opacity:.45}",
    ".cmwq-timeline .waiting{fill:none;stroke:#e0a020;stroke-width:1.5;stroke-dasharray:3 2}",
    ".cmwq-timeline .mark-queue{fill:#e0a020}",
    ".cmwq-timeline .mark-start,.cmwq-timeline .mark-finish{stroke:currentColor;stroke-width:2}",
    ".cmwq-timeline .bar-label{fill:#fff;font-size:11px}",
    "</style>"
  )
  // grid and axis
  const step = tickStep(end)
  for (let t = 0; t <= end + 1e-9; t += step) {
    out.push(`<line class="grid" x1="${num(x(t))}" y1="${TOP - 4}" x2="${num(x(t))}" y2="${axisY}"/>`)
    out.push(`<text class="tick" x="${num(x(t))}" y="${axisY + 14}" text-anchor="middle">${num(t)}</text>`)
  }
  out.push(`<line class="axis" x1="${LABEL}" y1="${axisY}" x2="${num(x(end))}" y2="${axisY}"/>`)
  out.push(`<text class="unit" x="${num(x(end) + 12)}" y="${axisY + 14}">ms</text>`)
  // row labels
  rows.forEach((r, i) => {
    out.push(`<text class="row-label" x="${PAD}" y="${TOP + i * ROW + BAR / 2 + 4}">${escape(r.label)}</text>`)
  })
  // bars
  for (const s of bars) {
    const y = rowY(s.cpu, s.worker)
    const w = (s.to - s.from) * pxPerMs
    const attrs = `data-work="${escape(s.work)}" data-worker="${s.worker}" data-cpu="${s.cpu}" data-from="${
      num(s.from)
    }" data-to="${num(s.to)}"`
    out.push(
      `<rect class="${s.kind}" ${attrs} x="${num(x(s.from))}" y="${y}" width="${num(w)}" height="${BAR}" rx="2">` +
        `<title>${
          escape(`${s.work} ${s.kind} ${num(s.from)}–${num(s.to)} ms (cpu ${s.cpu}, worker ${s.worker})`)
        }</title></rect>`
    )
    if (s.kind === "running" && w >= 8 * s.work.length) {
      out.push(`<text class="bar-label" x="${num(x(s.from) + 3)}" y="${y + BAR - 4}">${escape(s.work)}</text>`)
    } else if (s.kind !== "running" && w >= 8 * s.work.length) {
      out.push(
        `<text class="bar-label-muted" x="${num(x(s.from) + 3)}" y="${y + BAR - 4}" font-size="11">${
          escape(s.work)
        }</text>`
      )
    }
  }
  // marks: queue marks as triangles on the CPU's queue row (names of simultaneous ones joined)
  const queued = new Map<string, Array<string>>()
  for (const m of marks) {
    if (m.kind !== "queue") continue
    const key = `${m.cpu}:${m.t}`
    queued.set(key, [...(queued.get(key) ?? []), m.work])
  }
  for (const [key, works] of queued) {
    const [cpu, t] = key.split(":").map(Number) as [number, number]
    const y = rowY(cpu, -1)
    const cx = x(t)
    out.push(
      `<path class="mark-queue" data-work="${escape(works.join(","))}" data-t="${num(t)}" ` +
        `d="M${num(cx - 5)} ${y} L${num(cx + 5)} ${y} L${num(cx)} ${y + 8} Z"><title>${
          escape(`${works.join(", ")} queued at ${num(t)} ms`)
        }</title></path>`
    )
    out.push(`<text class="mark-label" x="${num(cx + 7)}" y="${y + BAR - 4}">${escape(works.join(" "))}</text>`)
  }
  for (const m of marks) {
    if (m.kind === "queue") continue
    const y = rowY(m.cpu, m.worker)
    const cx = num(x(m.t))
    out.push(
      `<line class="mark-${m.kind}" data-work="${escape(m.work)}" data-worker="${m.worker}" data-t="${num(m.t)}" ` +
        `x1="${cx}" y1="${m.kind === "start" ? y - 3 : y}" x2="${cx}" y2="${
          m.kind === "start" ? y + BAR : y + BAR + 3
        }">` +
        `<title>${escape(`${m.work} ${m.kind === "start" ? "starts" : "finishes"} at ${num(m.t)} ms`)}</title></line>`
    )
  }
  // legend
  for (const [cls, text, at] of legend) {
    if (cls === "mark-queue") {
      out.push(
        `<path class="mark-queue legend" d="M${at} ${legendY - 10} L${at + 10} ${legendY - 10} L${at + 5} ${
          legendY - 2
        } Z"/>`
      )
    } else if (cls === "mark-start") {
      out.push(`<line class="mark-start legend" x1="${at + 5}" y1="${legendY - 12}" x2="${at + 5}" y2="${legendY}"/>`)
    } else {
      out.push(`<rect class="${cls} legend" x="${at}" y="${legendY - 10}" width="14" height="10"/>`)
    }
    out.push(`<text x="${at + 18}" y="${legendY}">${text}</text>`)
  }
  out.push("</svg>")
  return out.join("\n")
}
