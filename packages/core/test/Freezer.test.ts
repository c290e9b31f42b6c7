/**
 * The freezer and live max_active changes (guarantees 10, 32).
 */
import { describe, expect, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import fc from "fast-check"
import { Freezer, Work, Workqueue } from "@cmwq/core"
import { runVirtualSync } from "./helpers.js"

describe("freezer", () => {
  it("frozen workqueues start nothing until thawed, lose nothing and keep order; others are unaffected", () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.record({
            freezable: fc.boolean(),
            at: fc.integer({ min: 0, max: 20 }),
            sleep: fc.integer({ min: 0, max: 5 })
          }),
          { minLength: 1, maxLength: 20 }
        ),
        fc.integer({ min: 0, max: 10 }),
        fc.integer({ min: 1, max: 30 }),
        fc.constantFrom(0, 1, 2),
        (items, freezeAt, frozenFor, maxActive) => {
          const result = runVirtualSync(Effect.gen(function*() {
            const freezable = yield* Workqueue.alloc("freezable", { flags: ["FREEZABLE"], maxActive })
            const plain = yield* Workqueue.alloc("plain", { maxActive })
            const starts: Array<{ i: number; t: number; freezable: boolean; queuedFrozen: boolean }> = []
            let frozen = false
            const sorted = items.map((item, i) => ({ ...item, i })).sort((a, b) => a.at - b.at || a.i - b.i)
            const thawAt = freezeAt + frozenFor
            const events = [
              ...sorted.map((item) => ({ t: item.at, run: () => queueItem(item) })),
              { t: freezeAt, run: () => Effect.zipRight(Freezer.freeze, Effect.sync(() => (frozen = true))) },
              { t: thawAt, run: () => Effect.zipRight(Freezer.thaw, Effect.sync(() => (frozen = false))) }
            ].sort((a, b) => a.t - b.t)
            const now = Effect.clockWith((c) => c.currentTimeMillis)
            const queueItem = (item: typeof sorted[number]) =>
              Effect.suspend(() => {
                const queuedFrozen = frozen
                return Workqueue.queue(
                  item.freezable ? freezable : plain,
                  Work.make(Effect.gen(function*() {
                    starts.push({ i: item.i, t: yield* now, freezable: item.freezable, queuedFrozen })
                    yield* Effect.sleep(item.sleep)
                  }))
                )
              })
            let clock = 0
            for (const e of events) {
              if (e.t > clock) {
                yield* Effect.sleep(e.t - clock)
                clock = e.t
              }
              yield* e.run() as Effect.Effect<unknown>
            }
            yield* Workqueue.drain(freezable)
            yield* Workqueue.drain(plain)
            return { starts, thawAt }
          }))
          // nothing lost
          expect(result.starts.length).toBe(items.length)
          // an item queued while frozen does not start before the thaw (items already active
          // when the freeze began may still start: the freezer waits for them with isBusy)
          for (const s of result.starts) {
            if (s.freezable && s.queuedFrozen) expect(s.t, `item ${s.i}`).toBeGreaterThanOrEqual(result.thawAt)
          }
          // order kept within the freezable workqueue (one CPU, one pool link)
          const order = result.starts.filter((s) => s.freezable).map((s) => s.i)
          const queued = items.map((item, i) => ({ ...item, i })).filter((x) => x.freezable)
            .sort((a, b) => a.at - b.at || a.i - b.i).map((x) => x.i)
          if (maxActive === 1) expect(order).toEqual(queued)
        }
      ),
      { seed: 51, numRuns: 150 }
    )
  })

  it("isBusy reports items that started before the freeze until they finish", () => {
    const result = runVirtualSync(Effect.gen(function*() {
      const wq = yield* Workqueue.alloc("freezable", { flags: ["FREEZABLE"] })
      yield* Workqueue.queue(wq, Work.make(Effect.sleep(10)))
      yield* Effect.sleep(1)
      yield* Freezer.freeze
      const busy = yield* Freezer.isBusy
      yield* Effect.sleep(10)
      const quiet = yield* Freezer.isBusy
      const frozen = yield* Freezer.isFrozen
      yield* Freezer.thaw
      return { busy, quiet, frozen }
    }))
    expect(result).toEqual({ busy: true, quiet: false, frozen: true })
  })
})

describe("live max_active", () => {
  it("after a change, running items exceed the new limit only until those above it finish", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 4 }),
        fc.array(fc.record({ at: fc.integer({ min: 0, max: 30 }), sleep: fc.integer({ min: 1, max: 8 }) }), {
          minLength: 1,
          maxLength: 25
        }),
        fc.array(fc.record({ at: fc.integer({ min: 0, max: 30 }), limit: fc.integer({ min: 1, max: 4 }) }), {
          maxLength: 4
        }),
        (initial, items, changes) => {
          const violations = runVirtualSync(Effect.gen(function*() {
            const wq = yield* Workqueue.alloc("live", { maxActive: initial })
            let running = 0
            let limit = initial
            let excess = 0 // items started under an older, higher limit still running
            const violations: Array<string> = []
            const events = [
              ...items.map((item) => ({ t: item.at, kind: "item" as const, item })),
              ...changes.map((change) => ({ t: change.at, kind: "limit" as const, change }))
            ].sort((a, b) => a.t - b.t)
            let clock = 0
            for (const e of events) {
              if (e.t > clock) {
                yield* Effect.sleep(e.t - clock)
                clock = e.t
              }
              if (e.kind === "limit") {
                limit = e.change.limit
                yield* Workqueue.setMaxActive(wq, limit)
                // items activated under an older limit (running, or about to start) may still run
                const active = (yield* Workqueue.inspect(wq)).links.reduce((n, l) => n + l.active, 0)
                excess = Math.max(0, active - limit)
              } else {
                const sleep = e.item.sleep
                yield* Workqueue.queue(
                  wq,
                  Work.make(Effect.gen(function*() {
                    running++
                    if (running > limit + excess) violations.push(`${running} running with limit ${limit}`)
                    yield* Effect.sleep(sleep)
                    running--
                    if (excess > 0) excess--
                  }))
                )
              }
            }
            yield* Workqueue.drain(wq)
            return violations
          }))
          expect(violations).toEqual([])
        }
      ),
      { seed: 61, numRuns: 200 }
    )
  })
})
