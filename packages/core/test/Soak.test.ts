/**
 * Settling a fault soak's report (non-reentrancy broken, cancelSync returning
 * while the item ran, Work.flush returning early, all under a priority
 * policy that ranks anonymous items first): a small property over requeues,
 * cancels and flushes, under several policies.
 */
import { describe, expect, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import fc from "fast-check"
import { Policy, Work, Workqueue } from "@cmwq/core"
import { runVirtualSync } from "./helpers.js"

type Op =
  | { readonly _tag: "queue"; readonly item: number; readonly cpu: number }
  | { readonly _tag: "cancel"; readonly item: number }
  | { readonly _tag: "cancelSync"; readonly item: number }
  | { readonly _tag: "flush"; readonly item: number }
  | { readonly _tag: "sleep"; readonly ms: number }

const ITEMS = 4

const op: fc.Arbitrary<Op> = fc.oneof(
  fc.record({ _tag: fc.constant("queue" as const), item: fc.nat(ITEMS - 1), cpu: fc.nat(1) }),
  fc.record({ _tag: fc.constant("cancel" as const), item: fc.nat(ITEMS - 1) }),
  fc.record({ _tag: fc.constant("cancelSync" as const), item: fc.nat(ITEMS - 1) }),
  fc.record({ _tag: fc.constant("flush" as const), item: fc.nat(ITEMS - 1) }),
  fc.record({ _tag: fc.constant("sleep" as const), ms: fc.integer({ min: 0, max: 4 }) })
)

const policies = {
  kernel: Policy.kernel,
  anonymousFirst: Policy.priority((work) => (work.name === undefined ? 1 : 0)),
  lastFirst: Policy.make({ name: "last-first", selectNext: (pool) => [...pool.pending()].at(-1) ?? null }),
  legacy: Policy.legacy
}

const kinds = ["percpu", "unbound", "ordered"] as const

describe("soak: requeue, cancel and flush under policies", () => {
  for (const [policyName, policy] of Object.entries(policies)) {
    it(`non-reentrancy (G4), cancelSync (G17) and Work.flush (G12) hold under ${policyName}`, () => {
      fc.assert(
        fc.property(
          fc.constantFrom(...kinds),
          fc.array(fc.record({ sleep: fc.integer({ min: 0, max: 3 }), requeues: fc.nat(2), named: fc.boolean() }), {
            minLength: ITEMS,
            maxLength: ITEMS
          }),
          fc.array(op, { minLength: 1, maxLength: 25 }),
          (kind, specs, ops) => {
            const violations = runVirtualSync(
              Effect.gen(function*() {
                const wq = kind === "percpu"
                  ? yield* Workqueue.alloc("wq", { maxActive: 2 })
                  : kind === "unbound"
                  ? yield* Workqueue.alloc("wq", { flags: ["UNBOUND"], maxActive: 2 })
                  : yield* Workqueue.allocOrdered("wq")
                const violations: Array<string> = []
                const running = specs.map(() => 0)
                const starts = specs.map(() => 0)
                const ends = specs.map(() => 0)
                const requeuesLeft = specs.map((s) => s.requeues)
                const items: Array<Work.Work> = specs.map((spec, i) =>
                  Work.make(
                    Effect.gen(function*() {
                      if (running[i]! > 0) violations.push(`item ${i}: runs overlap`)
                      running[i]!++
                      starts[i]!++
                      if (requeuesLeft[i]! > 0) {
                        requeuesLeft[i]!--
                        yield* Workqueue.queue(wq, items[i]!)
                      }
                      yield* Effect.sleep(spec.sleep)
                      running[i]!--
                      ends[i]!++
                    }),
                    { name: spec.named ? `item${i}` : undefined }
                  )
                )
                for (const o of ops) {
                  switch (o._tag) {
                    case "queue":
                      yield* Workqueue.queueOn(wq, o.cpu, items[o.item]!)
                      break
                    case "cancel":
                      yield* Work.cancel(items[o.item]!)
                      break
                    case "cancelSync": {
                      yield* Work.cancelSync(items[o.item]!)
                      if (running[o.item]! > 0) violations.push(`item ${o.item}: cancelSync returned while it ran`)
                      if (Work.isPending(items[o.item]!)) violations.push(`item ${o.item}: pending after cancelSync`)
                      break
                    }
                    case "flush": {
                      const work = items[o.item]!
                      // the run going on (if any) and the queued one (if any) must have ended
                      const owed = starts[o.item]! + (Work.isPending(work) ? 1 : 0)
                      const waited = yield* Work.flush(work)
                      if (waited && ends[o.item]! < owed) violations.push(`item ${o.item}: Work.flush returned early`)
                      break
                    }
                    case "sleep":
                      yield* Effect.sleep(o.ms)
                      break
                  }
                }
                yield* Workqueue.drain(wq)
                return violations
              }),
              { policy, cpus: 2 }
            )
            expect(violations).toEqual([])
          }
        ),
        { numRuns: 150, seed: 7 }
      )
    })
  }
})
