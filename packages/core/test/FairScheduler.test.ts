/**
 * The worker fibers' scheduler (`internal/scheduler.ts`) against its
 * invariants, over generated task trees, with a controlled inner scheduler
 * (its batches are the "microtasks"), a controlled clock (each task costs a
 * generated number of ms) and controlled turns (`deferToNextTurn`: a turn
 * restarts the slice, as the pools' marker does).
 *
 * - every scheduled task runs exactly once, in scheduling order;
 * - a task scheduled while a batch runs runs in a later batch;
 * - a task starts only while the slice lasts, except the first of a
 *   deferred batch (progress: a task longer than the budget still runs);
 * - the run ends (no livelock), whatever the costs.
 */
import { describe, expect, it } from "@effect/vitest"
import * as fc from "fast-check"
import { FairScheduler } from "../src/internal/scheduler.js"

/** a task: its cost in ms, and the tasks it schedules when it runs */
interface Node {
  readonly cost: number
  readonly children: ReadonlyArray<Node>
}

/** a task tree at most `depth` levels deep */
const nodeOf = (depth: number): fc.Arbitrary<Node> =>
  fc.record({
    cost: fc.nat({ max: 4 }),
    children: depth === 0 ? fc.constant([]) : fc.array(nodeOf(depth - 1), { maxLength: 3 })
  })
const node = nodeOf(3)

/** `readCost`: how far the clock moves on each read of it, as a real clock does */
const runScript = (roots: ReadonlyArray<Node>, budget: number, readCost = 0) => {
  let clock = 0
  let sliceStart = 0
  const inner: Array<() => void> = []
  const turn: Array<() => void> = []
  const scheduler = new FairScheduler(
    { shouldYield: () => false, scheduleTask: (task) => void inner.push(task) },
    () => {
      clock += readCost
      return clock - sliceStart >= budget
    },
    (callback) => void turn.push(callback),
    () => {}
  )
  let batch = 0 // the inner callback now running (each is one batch)
  let turns = 0
  const scheduledOrder: Array<number> = []
  const ranOrder: Array<number> = []
  const scheduledIn = new Map<number, number>()
  const violations: Array<string> = []
  let firstOfTurn = false
  let nextId = 0
  const schedule = (n: Node) => {
    const id = nextId++
    scheduledOrder.push(id)
    scheduledIn.set(id, batch)
    scheduler.scheduleTask(() => {
      ranOrder.push(id)
      if (scheduledIn.get(id) === batch) violations.push(`task ${id} ran in the batch that scheduled it`)
      if (!firstOfTurn && clock - sliceStart >= budget) violations.push(`task ${id} started after the slice`)
      firstOfTurn = false
      clock += n.cost
      for (const c of n.children) schedule(c)
    }, 0)
  }
  batch = -1 // scheduled from outside any batch
  for (const r of roots) schedule(r)
  let steps = 0
  while (inner.length > 0 || turn.length > 0) {
    if (++steps > 10_000) return { livelock: true as const }
    if (inner.length > 0) {
      const task = inner.shift()!
      batch = steps
      task()
      continue
    }
    // no batch left: the event loop turns, the slice restarts, deferred work goes on
    turns++
    sliceStart = clock
    const callbacks = turn.splice(0)
    for (const callback of callbacks) {
      batch = steps * 1000 + turns
      firstOfTurn = true
      callback()
      firstOfTurn = false
    }
  }
  return { livelock: false as const, scheduledOrder, ranOrder, violations }
}

describe("FairScheduler (worker fibers' scheduler)", () => {
  it("runs every task once, in order, each in a later batch than its scheduler's, within the slice", () => {
    fc.assert(
      fc.property(
        fc.array(node, { minLength: 1, maxLength: 8 }),
        fc.integer({ min: 1, max: 6 }),
        fc.integer({ min: 0, max: 1 }),
        (roots, budget, readCost) => {
          const result = runScript(roots, budget, readCost)
          expect(result.livelock).toBe(false)
          if (result.livelock) return
          expect(result.ranOrder).toEqual(result.scheduledOrder)
          expect(result.violations).toEqual([])
        }
      ),
      { numRuns: 300, seed: 4401 }
    )
  })

  it("a task longer than the whole budget still runs, one per turn (no livelock), on a clock that moves on every read", () => {
    const result = runScript([{ cost: 10, children: [] }, { cost: 10, children: [] }, { cost: 10, children: [] }], 1, 1)
    expect(result.livelock).toBe(false)
    if (!result.livelock) expect(result.ranOrder).toEqual([0, 1, 2])
  })
})
