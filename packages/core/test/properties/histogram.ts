/**
 * How often the generators produce the situations the properties need
 * (sampled from every catalog entry's generator, equally).
 */
import fc from "fast-check"
import { PROPERTIES } from "./catalog.js"
import { type Workload, workloadArb } from "./model.js"

const situations: ReadonlyArray<readonly [string, (wl: Workload) => boolean]> = [
  ["applyAttrs between two flushes of the workqueue", (wl) =>
    wl.ops.some((a, i) =>
      a.op._tag === "applyAttrs" &&
      wl.ops.slice(0, i).some((f) => f.op._tag === "flushWq" && f.op.wq === (a.op as { wq: number }).wq) &&
      wl.ops.slice(i + 1).some((f) => f.op._tag === "flushWq" && f.op.wq === (a.op as { wq: number }).wq)
    )],
  [
    "≥2 freeze/thaw cycles, per-cpu freezable workqueue",
    (wl) => cycles(wl) && wl.wqs.some((w) => w.freezable && w.kind === "percpu")
  ],
  [
    "≥2 freeze/thaw cycles, unbound freezable workqueue",
    (wl) => cycles(wl) && wl.wqs.some((w) => w.freezable && w.kind === "unbound")
  ],
  [
    "≥2 freeze/thaw cycles, ordered freezable workqueue",
    (wl) => cycles(wl) && wl.wqs.some((w) => w.freezable && w.kind === "ordered")
  ],
  [
    "flush from inside an item",
    (wl) =>
      wl.items.some((it) =>
        it.steps.some((s) => s._tag === "flushWq" || s._tag === "flushWork" || s._tag === "flushSelf")
      )
  ],
  [
    "cancel from inside an item",
    (wl) => wl.items.some((it) => it.steps.some((s) => s._tag === "cancel" || s._tag === "cancelSync"))
  ],
  [
    "disable/enable from inside an item",
    (wl) => wl.items.some((it) => it.steps.some((s) => s._tag === "disable" || s._tag === "enable"))
  ],
  [
    "worker creation failing for a while, with a MEM_RECLAIM workqueue",
    (wl) => wl.creationFailsUntil > 0 && wl.wqs.some((w) => w.memReclaim)
  ],
  ["an item requeues itself", (wl) => wl.items.some((it) => it.steps.some((s) => s._tag === "requeue"))],
  ["items queue each other", (wl) => wl.items.some((it, i) => it.steps.some((s) => s._tag === "queue" && s.k !== i))],
  ["more than 15 concurrent flushers", (wl) => wl.ops.some((o) => o.op._tag === "flushBurst" && o.op.n > 15)],
  [
    "drain with chained requeues",
    (wl) =>
      wl.ops.some((o) =>
        o.op._tag === "drain" &&
        wl.items.some((it) =>
          it.wq === (o.op as { wq: number }).wq && it.steps.some((s) => s._tag === "requeue" || s._tag === "queue")
        )
      )
  ],
  [
    "destroy while items are in flight",
    (wl) =>
      wl.ops.some((o, i) =>
        o.op._tag === "destroy" &&
        wl.ops.slice(0, i).some((q) =>
          q.op._tag === "queue" && wl.items[q.op.k]!.wq === (o.op as { wq: number }).wq && o.at - q.at <= 6
        )
      )
  ],
  ["live setMaxActive up and down on one workqueue", (wl) => {
    const by = new Map<number, Array<number>>()
    for (const o of wl.ops) if (o.op._tag === "setMaxActive") by.set(o.op.wq, [...(by.get(o.op.wq) ?? []), o.op.n])
    return [...by.values()].some((ns) =>
      ns.some((n, i) => i > 0 && n > ns[i - 1]!) && ns.some((n, i) => i > 0 && n < ns[i - 1]!)
    )
  }],
  ["delayed items", (wl) => wl.ops.some((o) => o.op._tag === "queueDelayed" || o.op._tag === "modDelayed")],
  ["non-kernel policy", (wl) => wl.policy !== "kernel"]
]

const cycles = (wl: Workload) => {
  let n = 0
  let frozen = false
  for (const o of wl.ops) {
    if (o.op._tag === "freeze") frozen = true
    if (o.op._tag === "thaw" && frozen) {
      frozen = false
      n++
    }
  }
  return n >= 2 || (n >= 1 && frozen)
}

/** the share of sampled workloads showing each situation, as a printable table */
export const histogram = (perEntry: number): string => {
  const entries = PROPERTIES.filter((p) => !p.id.endsWith(".ci"))
  const counts = situations.map(() => 0)
  let total = 0
  for (const p of entries) {
    for (const wl of fc.sample(p.arb, { numRuns: perEntry, seed: 7 })) {
      total++
      situations.forEach(([, f], i) => {
        if (f(wl)) counts[i]!++
      })
    }
  }
  const full = fc.sample(workloadArb(), { numRuns: perEntry * 4, seed: 7 })
  const fullCounts = situations.map(([, f]) => full.filter(f).length)
  const pct = (n: number, of: number) => `${((100 * n) / of).toFixed(1).padStart(5)}%`
  const rows = situations.map(([name], i) =>
    `${name.padEnd(66)} ${pct(counts[i]!, total)}  ${pct(fullCounts[i]!, full.length)}`
  )
  return [
    `share of generated workloads: all ${entries.length} entries (${total} workloads) | the full generator, every feature on (${full.length})`,
    ...rows
  ].join("\n")
}
