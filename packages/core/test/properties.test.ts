/**
 * The kernel's guarantees as properties over generated workloads, under
 * deterministic virtual time (KERNEL.md §7 invariants 1–6, 8, 9, 25, 26).
 */
import { describe, expect, it } from "@effect/vitest"
import fc from "fast-check"
import { effectiveMaxActive, type Event, runWorkload, type Workload, workloadArb } from "./workload.js"

const RUNS = 150
const params = (seed: number) => ({ seed: Number(process.env.FC_SEED ?? seed), numRuns: Number(process.env.FC_RUNS ?? RUNS) })

const starts = (events: ReadonlyArray<Event>) => events.filter((e) => e._tag === "start")

describe("kernel guarantees over generated workloads", () => {
  it("pending bit: a queue attempt succeeds iff the item was not pending, and queues it once", () => {
    fc.assert(
      fc.property(workloadArb(), (wl) => {
        const { events, exit } = runWorkload(wl)
        expect(exit).toBe("success")
        for (const e of events) {
          if (e._tag === "queue") expect(e.result).toBe(!e.pendingBefore)
        }
      }),
      params(1)
    )
  })

  it("no loss, no duplicate: every successful queue runs the item exactly once", () => {
    fc.assert(
      fc.property(workloadArb(), (wl) => {
        const { events, exit } = runWorkload(wl)
        expect(exit).toBe("success")
        wl.works.forEach((_, i) => {
          const queued = events.filter((e) => e._tag === "queue" && e.work === i && e.result).length
          const ran = events.filter((e) => e._tag === "start" && e.work === i).length
          const ended = events.filter((e) => e._tag === "end" && e.work === i).length
          expect({ work: i, ran, ended }).toEqual({ work: i, ran: queued, ended: queued })
        })
      }),
      params(2)
    )
  })

  it("non-reentrancy: an item's runs never overlap, even when queued from several CPUs", () => {
    fc.assert(
      fc.property(workloadArb(), (wl) => {
        const { events } = runWorkload(wl)
        const running = new Set<number>()
        for (const e of events) {
          if (e._tag === "start") {
            expect(running.has(e.work), `w${e.work} started at seq ${e.seq} while running`).toBe(false)
            running.add(e.work)
          } else if (e._tag === "end") running.delete(e.work)
        }
      }),
      params(3)
    )
  })

  it("queued while it runs, an item runs next in the pool running it, after the current run", () => {
    fc.assert(
      fc.property(workloadArb({ steps: ["burn", "sleep", "requeue", "yield"] }), (wl) => {
        const { events } = runWorkload(wl)
        const runningIn = new Map<number, number>()
        for (const e of events) {
          if (e._tag === "start") runningIn.set(e.work, e.pool)
          else if (e._tag === "end") runningIn.delete(e.work)
          else if (e._tag === "queue" && e.result && runningIn.has(e.work)) {
            const next = events.find((s) => s._tag === "start" && s.work === e.work && s.seq > e.seq)
            expect(next?._tag === "start" ? next.pool : undefined).toBe(runningIn.get(e.work))
          }
        }
      }),
      params(4)
    )
  })

  it("maxActive is never exceeded (per CPU, per workqueue for unbound ones)", () => {
    fc.assert(
      fc.property(workloadArb(), (wl) => {
        const { events } = runWorkload(wl)
        const running = new Map<string, number>()
        const keyOf = (work: number, pool: number) => {
          const wq = wl.works[work]!.wq
          return wl.wqs[wq]!.flags.includes("UNBOUND") || wl.wqs[wq]!.ordered ? `${wq}` : `${wq}@${pool}`
        }
        const poolOf = new Map<number, number>()
        for (const e of events) {
          if (e._tag === "start") {
            const key = keyOf(e.work, e.pool)
            poolOf.set(e.work, e.pool)
            const n = (running.get(key) ?? 0) + 1
            running.set(key, n)
            expect(n).toBeLessThanOrEqual(effectiveMaxActive(wl.wqs[wl.works[e.work]!.wq]!))
          } else if (e._tag === "end") {
            const key = keyOf(e.work, poolOf.get(e.work)!)
            running.set(key, running.get(key)! - 1)
          }
        }
      }),
      params(5)
    )
  })

  it("ordered workqueues run one item at a time, in the order of successful queue calls", () => {
    fc.assert(
      fc.property(workloadArb(), (wl) => {
        const { events } = runWorkload(wl)
        wl.wqs.forEach((spec, q) => {
          if (!spec.ordered) return
          const mine = (e: Event) => wl.works[e.work]!.wq === q
          const queued = events.filter((e) => e._tag === "queue" && e.result && mine(e)).map((e) => e.work)
          const started = starts(events).filter(mine).map((e) => e.work)
          expect(started).toEqual(queued)
          let busy = false
          for (const e of events) {
            if (!mine(e)) continue
            if (e._tag === "start") {
              expect(busy).toBe(false)
              busy = true
            } else if (e._tag === "end") busy = false
          }
        })
      }),
      params(6)
    )
  })

  const cpuBound = workloadArb({ steps: ["burn", "yield", "requeue", "fail"], flags: ["HIGHPRI"], ordered: false })

  it("CPU-bound items of a bound pool never run two at a time", () => {
    fc.assert(
      fc.property(cpuBound, (wl) => {
        const { events } = runWorkload(wl)
        const busy = new Map<number, number>()
        const poolOf = new Map<number, number>()
        for (const e of events) {
          if (e._tag === "start") {
            poolOf.set(e.work, e.pool)
            busy.set(e.pool, (busy.get(e.pool) ?? 0) + 1)
            expect(busy.get(e.pool), `pool ${e.pool} at seq ${e.seq}`).toBe(1)
          } else if (e._tag === "end") busy.set(poolOf.get(e.work)!, busy.get(poolOf.get(e.work)!)! - 1)
        }
      }),
      params(7)
    )
  })

  it("CPU-bound items queued together run one after another on one worker", () => {
    fc.assert(
      fc.property(cpuBound.map((wl) => ({ ...wl, ops: wl.ops.map((op) => ({ ...op, at: 0 })) })), (wl) => {
        const { events } = runWorkload(wl)
        const workerOfPool = new Map<number, number>()
        for (const e of starts(events)) {
          if (e._tag !== "start") continue
          const seen = workerOfPool.get(e.pool)
          if (seen === undefined) workerOfPool.set(e.pool, e.worker)
          else expect(e.worker, `pool ${e.pool} used a second worker`).toBe(seen)
        }
      }),
      params(10)
    )
  })

  it("work conservation: at every quiescent point no pool has an item that could start but did not", () => {
    fc.assert(
      fc.property(workloadArb(), (wl: Workload) => {
        const { quiescent, exit } = runWorkload(wl)
        expect(exit).toBe("success")
        for (const q of quiescent) {
          for (const pool of q.pools) expect(pool.pending, `${pool.name} at ${q.t} ms`).toBe(0)
          q.wqs.forEach((state, i) => {
            const spec = wl.wqs[i]!
            const unbound = spec.ordered || spec.flags.includes("UNBOUND")
            const active = state.links.reduce((n, l) => n + l.active, 0)
            for (const link of state.links) {
              if (link.inactive === 0) continue
              // held back only while the limit is reached
              expect(unbound ? active : link.active).toBeGreaterThanOrEqual(state.maxActive)
            }
          })
        }
      }),
      params(8)
    )
  })

  it("the flush color counters return to zero when the workqueues are idle", () => {
    fc.assert(
      fc.property(workloadArb(), (wl) => {
        const { quiescent, stats } = runWorkload(wl)
        for (const s of stats) expect(s.inFlight).toBe(0)
        const last = quiescent[quiescent.length - 1]
        if (last !== undefined) {
          for (const state of last.wqs) {
            for (const link of state.links) expect(link.inFlight.every((n) => n >= 0)).toBe(true)
          }
        }
      }),
      params(9)
    )
  })
})
