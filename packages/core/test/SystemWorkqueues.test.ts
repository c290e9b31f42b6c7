import { describe, expect, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import { DelayedWork, SystemWorkqueues, Work, WorkerPool, Workqueue } from "@cmwq/core"
import { VirtualTime } from "@cmwq/testing"
import { quiet } from "./helpers.js"

const live = SystemWorkqueues.layer.pipe(
  Layer.provideMerge(WorkerPool.layer({ fairnessBudget: 0, cpuIntensiveThreshold: 0, watchdogThreshold: 0 }))
)

describe("SystemWorkqueues", () => {
  it("provides the kernel's system workqueues with their names and flags", () => {
    const result = VirtualTime.runSync(quiet(
      Effect.gen(function*() {
        const system = yield* SystemWorkqueues.SystemWorkqueues
        return Object.fromEntries(
          Object.entries(system).map(([key, wq]) => [key, { name: wq.name, flags: Workqueue.flags(wq) }])
        )
      }).pipe(Effect.provide(live))
    ))
    expect(result).toEqual({
      system_wq: { name: "events", flags: ["PERCPU"] },
      system_percpu_wq: { name: "events", flags: ["PERCPU"] },
      system_highpri_wq: { name: "events_highpri", flags: ["HIGHPRI", "PERCPU"] },
      system_long_wq: { name: "events_long", flags: ["PERCPU"] },
      system_unbound_wq: { name: "events_unbound", flags: ["UNBOUND"] },
      system_dfl_wq: { name: "events_unbound", flags: ["UNBOUND"] },
      system_freezable_wq: { name: "events_freezable", flags: ["FREEZABLE", "PERCPU"] },
      system_power_efficient_wq: { name: "events_power_efficient", flags: ["POWER_EFFICIENT", "PERCPU"] },
      system_freezable_power_efficient_wq: {
        name: "events_freezable_pwr_efficient",
        flags: ["FREEZABLE", "POWER_EFFICIENT", "PERCPU"]
      },
      system_bh_wq: { name: "events_bh", flags: ["BH", "PERCPU"] },
      system_bh_highpri_wq: { name: "events_bh_highpri", flags: ["BH", "HIGHPRI", "PERCPU"] }
    })
  })

  it("schedule and scheduleDelayed queue on system_wq", () => {
    const log = VirtualTime.runSync(quiet(
      Effect.gen(function*() {
        const log: Array<string> = []
        const t = Effect.clockWith((c) => c.currentTimeMillis)
        yield* SystemWorkqueues.schedule(
          Work.make(Effect.flatMap(t, (now) => Effect.sync(() => log.push(`now@${now}`))))
        )
        yield* SystemWorkqueues.scheduleDelayed(
          DelayedWork.make(Effect.flatMap(t, (now) => Effect.sync(() => log.push(`later@${now}`)))),
          50
        )
        yield* Effect.sleep(60)
        yield* SystemWorkqueues.flushScheduled
        return log
      }).pipe(Effect.provide(live))
    ))
    expect(log).toEqual(["now@0", "later@50"])
  })
})
