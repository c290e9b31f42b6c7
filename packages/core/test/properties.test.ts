/**
 * The kernel's guarantees as properties over generated workloads, under
 * deterministic virtual time (guarantees 1–6, 8, 9, 25, 26). Each property
 * runs a workload (./workload.ts records a `@cmwq/testing` trace and the
 * quiescent states) and checks it with `@cmwq/testing`'s pure `Invariants`
 * checkers.
 */
import { describe, expect, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import fc from "fast-check"
import { Invariants, Trace } from "@cmwq/testing"
import { runWorkload, workloadArb } from "./workload.js"

const RUNS = 150
const params = (seed: number) => ({
  seed: Number(process.env.FC_SEED ?? seed),
  numRuns: Number(process.env.FC_RUNS ?? RUNS)
})

/** throw the first violation, with the trace (queue attempts included) */
const holds = (
  run: { readonly trace: Trace.Trace },
  check: Effect.Effect<void, Invariants.InvariantViolation>
): void => {
  const exit = Effect.runSyncExit(check)
  if (Exit.isSuccess(exit)) return
  const reason = exit.cause._tag === "Fail"
    ? `${exit.cause.error.invariant}: ${exit.cause.error.message}`
    : String(exit.cause)
  throw new Error(`${reason}\n${Trace.format(run.trace, { queues: true })}`)
}

describe("kernel guarantees over generated workloads", () => {
  it("pending bit: a queue attempt succeeds iff the item was not pending, and queues it once", () => {
    fc.assert(
      fc.property(workloadArb(), (wl) => {
        const run = runWorkload(wl)
        expect(run.exit).toBe("success")
        holds(run, Invariants.pendingBit(run))
      }),
      params(1)
    )
  })

  it("no loss, no duplicate: every successful queue runs the item exactly once", () => {
    fc.assert(
      fc.property(workloadArb(), (wl) => {
        const run = runWorkload(wl)
        expect(run.exit).toBe("success")
        holds(run, Invariants.exactlyOnce(run))
      }),
      params(2)
    )
  })

  it("non-reentrancy: an item's runs never overlap, even when queued from several CPUs", () => {
    fc.assert(
      fc.property(workloadArb(), (wl) => {
        const run = runWorkload(wl)
        holds(run, Invariants.nonReentrancy(run))
      }),
      params(3)
    )
  })

  it("queued while it runs, an item runs next in the pool running it, after the current run", () => {
    fc.assert(
      fc.property(workloadArb({ steps: ["burn", "sleep", "requeue", "yield"] }), (wl) => {
        const run = runWorkload(wl)
        holds(run, Invariants.requeueSamePool(run))
      }),
      params(4)
    )
  })

  it("maxActive is never exceeded (per CPU, per workqueue for unbound ones)", () => {
    fc.assert(
      fc.property(workloadArb(), (wl) => {
        const run = runWorkload(wl)
        // maxActive counts distinct running items: with non-reentrancy, that is every run
        holds(run, Effect.zipRight(Invariants.nonReentrancy(run), Invariants.maxActive(run)))
      }),
      params(5)
    )
  })

  it("ordered workqueues run one item at a time, in the order of successful queue calls", () => {
    fc.assert(
      fc.property(workloadArb(), (wl) => {
        const run = runWorkload(wl)
        // orderedOrder: starts follow the queue order, one at a time; exactlyOnce: every queued item starts
        holds(run, Effect.zipRight(Invariants.orderedOrder(run), Invariants.exactlyOnce(run)))
      }),
      params(6)
    )
  })

  const cpuBound = workloadArb({ steps: ["burn", "yield", "requeue", "fail"], flags: ["HIGHPRI"], ordered: false })

  it("CPU-bound items of a bound pool never run two at a time", () => {
    fc.assert(
      fc.property(cpuBound, (wl) => {
        const run = runWorkload(wl)
        holds(run, Invariants.oneRunPerPool(run))
      }),
      params(7)
    )
  })

  it("CPU-bound items queued together run one after another on one worker", () => {
    fc.assert(
      fc.property(cpuBound.map((wl) => ({ ...wl, ops: wl.ops.map((op) => ({ ...op, at: 0 })) })), (wl) => {
        const run = runWorkload(wl)
        holds(run, Invariants.oneWorkerPerPool(run))
      }),
      params(10)
    )
  })

  it("work conservation: at every quiescent point no pool has an item that could start but did not", () => {
    fc.assert(
      fc.property(workloadArb(), (wl) => {
        const run = runWorkload(wl)
        expect(run.exit).toBe("success")
        holds(run, Effect.zipRight(Invariants.workConservation(run), Invariants.strictWorkConservation(run)))
      }),
      params(8)
    )
  })

  it("the flush color counters return to zero when the workqueues are idle", () => {
    fc.assert(
      fc.property(workloadArb(), (wl) => {
        const run = runWorkload(wl)
        for (const s of run.stats) expect(s.inFlight).toBe(0)
        holds(run, Invariants.flushColors(run))
      }),
      params(9)
    )
  })
})
