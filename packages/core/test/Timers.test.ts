/**
 * The pools' timer heap (`internal/timers.ts`): one heap and one driver fiber
 * for every armed timer, driven by the Clock (here VirtualTime).
 */
import { describe, expect, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as fc from "fast-check"
import { DelayedWork, Work, WorkerPool, Workqueue } from "@cmwq/core"
import { VirtualTime } from "@cmwq/testing"
import type { PoolsImpl } from "../src/internal/pools.js"
import { TimerQueue, type TimerNode } from "../src/internal/timers.js"
import { runVirtualSync } from "./helpers.js"

interface Node extends TimerNode {
  readonly id: number
}

type Op =
  | { readonly op: "arm"; readonly id: number; readonly delay: number }
  | { readonly op: "cancel"; readonly id: number }
  | { readonly op: "sleep"; readonly ms: number }

const opArb: fc.Arbitrary<Op> = fc.oneof(
  fc.record({ op: fc.constant("arm" as const), id: fc.nat(7), delay: fc.integer({ min: 0, max: 20 }) }),
  fc.record({ op: fc.constant("cancel" as const), id: fc.nat(7) }),
  fc.record({ op: fc.constant("sleep" as const), ms: fc.integer({ min: 0, max: 15 }) })
)

/** a model: every armed timer fires once, at its deadline, deadlines in order, ties in arming order */
const expected = (ops: ReadonlyArray<Op>): Array<[id: number, at: number]> => {
  let now = 0
  let order = 0
  const armed = new Map<number, { due: number; order: number }>()
  const fired: Array<[number, number]> = []
  const advance = (to: number) => {
    for (;;) {
      const next = [...armed.entries()].filter(([, t]) =>
        t.due <= to
      ).sort((a, b) => a[1].due - b[1].due || a[1].order - b[1].order)[0]
      if (next === undefined)
        break
      armed.delete(next[0])
      fired.push([next[0], next[1].due])
    }
    now = to
  }
  for (const op of ops) {
    if (op.op === "arm") armed.set(op.id, { due: now + op.delay, order: order++ })
    else if (op.op === "cancel") armed.delete(op.id)
    else advance(now + op.ms)
  }
  advance(now + 1000)
  return fired
}

describe("timer heap", () => {
  it("fires every armed timer once, at its deadline, in deadline then arming order; cancel and re-arm take effect at once (property, VirtualTime)", () => {
    fc.assert(
      fc.property(fc.array(opArb, { maxLength: 40 }), (ops) => {
        const fired = VirtualTime.runSync(Effect.gen(function*() {
          const runtime = yield* Effect.runtime<never>()
          const clock = yield* Effect.clock
          const queue = new TimerQueue(runtime, () => clock.unsafeCurrentTimeMillis())
          const out: Array<[number, number]> = []
          const onTimer = (node: Node) => out.push([node.id, clock.unsafeCurrentTimeMillis()])
          const nodes: Array<Node> = Array.from(
            { length: 8 },
            (_, id) => ({ id, timerDue: 0, timerOrder: 0, timerIndex: -1, onTimer })
          )
          for (const op of ops) {
            if (op.op === "arm") queue.arm(nodes[op.id]!, clock.unsafeCurrentTimeMillis() + op.delay)
            else if (op.op === "cancel") queue.cancel(nodes[op.id]!)
            else yield* Effect.sleep(op.ms)
          }
          yield* Effect.sleep(1000)
          expect(queue.size).toBe(0)
          return out
        }))
        expect(fired).toEqual(expected(ops))
      }),
      { numRuns: 300, seed: 1402 }
    )
  })

  it("arming 10^4 delayed items adds 10^4 nodes to the one timer heap, under one driver fiber; cancelling takes them off", () => {
    const result = runVirtualSync(Effect.gen(function*() {
      const pools = (yield* WorkerPool.WorkerPools) as unknown as PoolsImpl
      const wq = yield* Workqueue.alloc("timers")
      const before = pools.timers.size
      let ran = 0
      const items = Array.from({ length: 10_000 }, () => DelayedWork.make(Effect.sync(() => ran++)))
      for (const [i, dwork] of items.entries()) yield* Workqueue.queueDelayed(wq, dwork, 1000 + (i % 97))
      const armed = pools.timers.size - before
      const driver = pools.timers.driver
      for (const dwork of items.slice(0, 5000)) yield* Work.cancel(dwork)
      const afterCancel = pools.timers.size - before
      yield* Effect.sleep(2000)
      yield* Workqueue.flush(wq)
      return { armed, driverIsFiber: driver !== null, afterCancel, ran, left: pools.timers.size - before }
    }))
    expect(result).toEqual({ armed: 10_000, driverIsFiber: true, afterCancel: 5000, ran: 5000, left: 0 })
  })
})
