/**
 * Draws case 9's sweeps (`bench/cases/scaling.ts`) from
 * `bench/results/latest.json` into `docs/public/scaling.svg`, which
 * `docs/src/content/docs/performance.mdx` shows: one panel per sweep, the
 * swept variable on a log axis, CPU ns per item relative to the sweep's
 * first point on a linear axis, with the 1.5x target drawn as a dashed line.
 *
 *   npm run bench:plot
 *
 * `npm run bench` runs it after every run that measured case 9.
 */
import { readFileSync, writeFileSync } from "node:fs"
import { dirname, join } from "node:path"
import { fileURLToPath } from "node:url"
import { fmt, type Row } from "./lib.js"

const LABEL = /^9\. scaling, (.+) = ([0-9.]+)([kMG]?): CPU per item$/
const PEER = /^(.+) = ([0-9.]+)([kMG]?) \(the sweep's first point\)$/
const SCALE: Record<string, number> = { "": 1, k: 1e3, M: 1e6, G: 1e9 }

interface Point {
  readonly x: number
  readonly ns: number
}

/** the sweeps of case 9 in `rows`, each with its points (the first point from the rows' peer) */
export const sweepsOf = (rows: ReadonlyArray<Row>): Map<string, Array<Point>> => {
  const sweeps = new Map<string, Array<Point>>()
  for (const r of rows) {
    const m = LABEL.exec(r.case)
    const p = PEER.exec(r.peer)
    if (m === null || p === null) continue
    let points = sweeps.get(m[1]!)
    if (points === undefined) {
      points = [{ x: Number(p[2]) * SCALE[p[3]!]!, ns: r.peerValue }]
      sweeps.set(m[1]!, points)
    }
    points.push({ x: Number(m[2]) * SCALE[m[3]!]!, ns: r.ours })
  }
  return sweeps
}

const esc = (s: string): string => s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;")

/** the SVG document */
export const renderSvg = (sweeps: Map<string, Array<Point>>): string => {
  const panelW = 300
  const panelH = 220
  const pad = { left: 48, right: 16, top: 36, bottom: 40 }
  const width = panelW * Math.max(1, sweeps.size)
  const height = panelH
  const maxRatio = Math.max(2, ...[...sweeps.values()].flatMap((ps) => ps.map((p) => p.ns / ps[0]!.ns))) * 1.05
  const out: Array<string> = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif" font-size="11">`,
    `<rect width="${width}" height="${height}" fill="white"/>`
  ]
  let k = 0
  for (const [name, points] of sweeps) {
    const x0 = k++ * panelW
    const plotW = panelW - pad.left - pad.right
    const plotH = panelH - pad.top - pad.bottom
    const lo = Math.log10(points[0]!.x)
    const hi = Math.max(lo + 1, Math.log10(points[points.length - 1]!.x))
    const sx = (x: number) => x0 + pad.left + ((Math.log10(x) - lo) / (hi - lo)) * plotW
    const sy = (ratio: number) => pad.top + plotH - (ratio / maxRatio) * plotH
    out.push(`<text x="${x0 + panelW / 2}" y="18" text-anchor="middle" font-weight="bold">${esc(name)}</text>`)
    out.push(
      `<rect x="${x0 + pad.left}" y="${pad.top}" width="${plotW}" height="${plotH}" fill="none" stroke="#999"/>`
    )
    for (let r = 0; r <= maxRatio; r += 0.5) {
      out.push(
        `<text x="${x0 + pad.left - 4}" y="${sy(r) + 4}" text-anchor="end">${r.toFixed(1)}×</text>`,
        `<line x1="${x0 + pad.left}" x2="${x0 + pad.left + plotW}" y1="${sy(r)}" y2="${sy(r)}" stroke="#eee"/>`
      )
    }
    out.push(
      `<line x1="${x0 + pad.left}" x2="${x0 + pad.left + plotW}" y1="${sy(1.5)}" y2="${
        sy(1.5)
      }" stroke="#c33" stroke-dasharray="4 3"/>`
    )
    for (const p of points) {
      out.push(`<text x="${sx(p.x)}" y="${pad.top + plotH + 14}" text-anchor="middle">${fmt(p.x)}</text>`)
    }
    const path = points.map((p, i) =>
      `${i === 0 ? "M" : "L"}${sx(p.x).toFixed(1)},${sy(p.ns / points[0]!.ns).toFixed(1)}`
    )
    out.push(`<path d="${path.join(" ")}" fill="none" stroke="#1f5fa8" stroke-width="2"/>`)
    for (const p of points) {
      const cx = sx(p.x).toFixed(1)
      const cy = sy(p.ns / points[0]!.ns).toFixed(1)
      out.push(
        `<circle cx="${cx}" cy="${cy}" r="3" fill="#1f5fa8"><title>${fmt(p.x)}: ${fmt(p.ns)} ns/item</title></circle>`
      )
    }
    out.push(
      `<text x="${x0 + panelW / 2}" y="${
        panelH - 8
      }" text-anchor="middle" fill="#555">CPU per item vs the first point (${fmt(points[0]!.ns)} ns)</text>`
    )
  }
  out.push("</svg>")
  return `${out.join("\n")}\n`
}

/** read latest.json, write docs/public/scaling.svg; returns the path, or null if latest.json has no case 9 rows */
export const writeScalingPlot = (root: string): string | null => {
  const rows = JSON.parse(readFileSync(join(root, "bench", "results", "latest.json"), "utf8")) as Array<Row>
  const sweeps = sweepsOf(rows)
  if (sweeps.size === 0) return null
  const path = join(root, "docs", "public", "scaling.svg")
  writeFileSync(path, renderSvg(sweeps))
  return path
}

if (process.argv[1] !== undefined && fileURLToPath(import.meta.url) === process.argv[1]) {
  const path = writeScalingPlot(join(dirname(fileURLToPath(import.meta.url)), ".."))
  console.log(path === null ? "no case 9 rows in bench/results/latest.json" : `wrote ${path}`)
}
