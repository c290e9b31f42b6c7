/**
 * `Trace.toSvg`: the bars and marks of the SVG match the trace.
 */
import { describe, expect, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import { Simulation, Trace } from "@cmwq/testing"

const w0 = [{ burn: 5 }, { sleep: 10 }, { burn: 5 }]
const w1 = [{ burn: 5 }, { sleep: 10 }]

const example = (intensive: boolean) => ({
  cpus: 1,
  workqueues: [{ name: "q0", maxActive: 3 }, { name: "q1", flags: ["CPU_INTENSIVE" as const] }],
  works: [
    { name: "w0", workqueue: "q0", steps: w0 },
    { name: "w1", workqueue: intensive ? "q1" : "q0", steps: w1 },
    { name: "w2", workqueue: intensive ? "q1" : "q0", steps: w1 }
  ]
})

interface Rect {
  readonly kind: string
  readonly work: string | undefined
  readonly worker: number
  readonly x: number
  readonly width: number
  readonly from: number
  readonly to: number
}

/** every bar of an SVG, parsed from its attributes */
const rects = (svg: string): Array<Rect> =>
  [...svg.matchAll(/<rect class="(running|sleeping|waiting)" ([^>]*)>/g)].map(([, kind = "", attrs = ""]) => {
    const attr = (name: string) => {
      const m = new RegExp(`\\b${name}="([^"]*)"`).exec(attrs)
      if (m === null) throw new Error(`no ${name} in ${attrs}`)
      return m[1]
    }
    return {
      kind,
      work: attr("data-work"),
      worker: Number(attr("data-worker")),
      x: Number(attr("x")),
      width: Number(attr("width")),
      from: Number(attr("data-from")),
      to: Number(attr("data-to"))
    }
  })

const LABEL = 130 // the left margin the renderer reserves for row labels

describe("Trace.toSvg", () => {
  const traceB = Effect.runSync(Simulation.run(example(false)))
  const svg = Trace.toSvg(traceB, { pxPerMs: 10, title: "scenario B" })

  it("is one svg element with its title", () => {
    expect(svg.startsWith("<svg xmlns=\"http://www.w3.org/2000/svg\"")).toBe(true)
    expect(svg.endsWith("</svg>")).toBe(true)
    expect(svg).toContain("<title>scenario B</title>")
  })

  it("draws one bar per run interval, at the right x and width (scenario B)", () => {
    const running = rects(svg).filter((r) => r.kind === "running")
    // w0 burns 0-5 and 15-20; w1 5-10 and its final wake at 20 finishes at once; w2 10-15
    expect(running.map((r) => [r.work, r.from, r.to])).toEqual([
      ["w0", 0, 5],
      ["w1", 5, 10],
      ["w2", 10, 15],
      ["w0", 15, 20]
    ])
    for (const r of running) {
      expect(r.x).toBe(LABEL + r.from * 10)
      expect(r.width).toBe((r.to - r.from) * 10)
    }
  })

  it("draws the sleeps between sleep and wake", () => {
    const sleeping = rects(svg).filter((r) => r.kind === "sleeping")
    expect(sleeping.map((r) => [r.work, r.from, r.to])).toEqual([
      ["w0", 5, 15],
      ["w1", 10, 20],
      ["w2", 15, 25]
    ])
  })

  it("puts each worker on a row of its own", () => {
    const rows = [...svg.matchAll(/<text class="row-label"[^>]*>([^<]*)<\/text>/g)].map((m) => m[1])
    const workers = [...new Set(traceB.filter((e) => e.worker >= 0).map((e) => e.worker))]
    expect(rows).toEqual(["cpu 0 queue", ...workers.map((w) => `cpu 0 worker ${w}`)])
    // the bars of one worker share one y, and different workers differ
    const ys = new Map<number, Set<string>>()
    for (
      const m of svg.matchAll(/<rect class="(?:running|sleeping|waiting)" [^>]*data-worker="(\d+)"[^>]* y="([\d.]+)"/g)
    ) {
      ys.set(Number(m[1]), (ys.get(Number(m[1])) ?? new Set()).add(m[2]!))
    }
    expect([...ys.values()].every((s) => s.size === 1)).toBe(true)
    expect(new Set([...ys.values()].map((s) => [...s][0])).size).toBe(workers.length)
  })

  it("marks every start and finish at its time", () => {
    const marks = [
      ...svg.matchAll(
        /<line class="mark-(start|finish)" data-work="(\w+)" data-worker="\d+" data-t="([\d.]+)" x1="([\d.]+)"/g
      )
    ]
      .map(([, kind, work, t, x1]) => ({ kind, work, t: Number(t), x1: Number(x1) }))
    const expected = traceB.filter((e) => e.event === "start" || e.event === "finish")
    expect(marks.map((m) => `${m.t} ${m.work} ${m.kind}`)).toEqual(expected.map((e) => `${e.t} ${e.work} ${e.event}`))
    for (const m of marks) expect(m.x1).toBe(LABEL + m.t * 10)
  })

  it("shows a started worker waiting for its CPU (scenario D: w2 starts at 5, burns from 10)", () => {
    const d = Trace.toSvg(Effect.runSync(Simulation.run(example(true))), { pxPerMs: 10 })
    const w2 = rects(d).filter((r) => r.work === "w2").map((r) => [r.kind, r.from, r.to])
    expect(w2).toEqual([
      ["waiting", 5, 10],
      ["running", 10, 15],
      ["sleeping", 15, 25]
    ])
  })

  it("escapes names", () => {
    const out = Trace.toSvg([
      { t: 0, cpu: 0, worker: 1, work: "a<b>&\"c", event: "start" },
      { t: 4, cpu: 0, worker: 1, work: "a<b>&\"c", event: "finish" }
    ])
    expect(out).toContain("a&lt;b&gt;&amp;&quot;c")
    expect(out).not.toContain("a<b>")
  })
})
