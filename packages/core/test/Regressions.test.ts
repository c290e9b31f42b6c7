/**
 * Regression tests: each one is the counterexample of an engine bug, kept
 * so that the bug stays fixed. The test name says what went wrong.
 */
import { describe, expect, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import { Work, Workqueue } from "@cmwq/core"
import { runVirtual, runVirtualSync } from "./helpers.js"

const now = Effect.clockWith((clock) => clock.currentTimeMillis)

describe("regressions", () => {
  describe("flush(wq) after applyAttrs (G13, G8, G39)", () => {
    for (const kind of ["unbound", "ordered"] as const) {
      it(`waits for an item queued on the new pwq (${kind})`, () => {
        const result = runVirtualSync(Effect.gen(function*() {
          const wq = kind === "unbound"
            ? yield* Workqueue.alloc("u", { flags: ["UNBOUND"] })
            : yield* Workqueue.allocOrdered("o")
          yield* Workqueue.flush(wq) // the work color moves to 1
          yield* Workqueue.applyAttrs(wq, { affinityScope: "system" })
          let finished = -1
          yield* Workqueue.queue(wq, Work.make(Effect.flatMap(Effect.sleep(100), () =>
            Effect.map(now, (t) => {
              finished = t
            }))))
          yield* Workqueue.flush(wq)
          const returned = yield* now
          // drain must not cycle through colors either
          yield* Workqueue.queue(wq, Work.make(Effect.sleep(10)))
          yield* Workqueue.drain(wq)
          return { finished, returned }
        }))
        expect(result.finished).toBe(100)
        expect(result.returned).toBe(100)
      })
    }
  })
})
