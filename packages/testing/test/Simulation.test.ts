/**
 * The kernel documentation's "Example Execution Scenarios"
 * (Documentation/core-api/workqueue.rst), event for event.
 */
import { describe, expect, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import { Policy } from "@cmwq/core"
import { Scenario, Simulation, Trace } from "@cmwq/testing"

// w0 burns 5 ms, sleeps 10 ms, burns 5 ms; w1 and w2 burn 5 ms then sleep 10 ms
const w0 = [{ burn: 5 }, { sleep: 10 }, { burn: 5 }]
const w1 = [{ burn: 5 }, { sleep: 10 }]

const example = (q0: { maxActive?: number; flags?: Array<"CPU_INTENSIVE"> }, w12OnQ1 = false) => ({
  cpus: 1,
  workqueues: [{ name: "q0", ...q0 }, { name: "q1", flags: ["CPU_INTENSIVE" as const] }],
  works: [
    { name: "w0", workqueue: "q0", steps: w0 },
    { name: "w1", workqueue: w12OnQ1 ? "q1" : "q0", steps: w1 },
    { name: "w2", workqueue: w12OnQ1 ? "q1" : "q0", steps: w1 }
  ]
})

const run = (scenario: unknown, policy?: Policy.Policy) =>
  Trace.lines(Effect.runSync(Simulation.run(scenario, policy ? { policy } : {})))

describe("the kernel documentation's example execution scenarios", () => {
  it("the original workqueue (legacy policy): one item after another", () => {
    expect(run(example({ maxActive: 3 }), Policy.legacy)).toEqual([
      "0 w0 start",
      "5 w0 sleep",
      "15 w0 wake",
      "20 w0 finish",
      "20 w1 start",
      "25 w1 sleep",
      "35 w1 wake",
      "35 w1 finish",
      "35 w2 start",
      "40 w2 sleep",
      "50 w2 wake",
      "50 w2 finish"
    ])
  })

  it("cmwq with max_active >= 3", () => {
    expect(run(example({ maxActive: 3 }))).toEqual([
      "0 w0 start",
      "5 w0 sleep",
      "5 w1 start",
      "10 w1 sleep",
      "10 w2 start",
      "15 w2 sleep",
      "15 w0 wake",
      "20 w0 finish",
      "20 w1 wake",
      "20 w1 finish",
      "25 w2 wake",
      "25 w2 finish"
    ])
  })

  it("cmwq with max_active == 2", () => {
    expect(run(example({ maxActive: 2 }))).toEqual([
      "0 w0 start",
      "5 w0 sleep",
      "5 w1 start",
      "10 w1 sleep",
      "15 w0 wake",
      "20 w0 finish",
      "20 w1 wake",
      "20 w1 finish",
      "20 w2 start",
      "25 w2 sleep",
      "35 w2 wake",
      "35 w2 finish"
    ])
  })

  it("w1 and w2 on a CPU_INTENSIVE workqueue q1", () => {
    expect(run(example({ maxActive: 3 }, true))).toEqual([
      "0 w0 start",
      "5 w0 sleep",
      "5 w1 start",
      "5 w2 start",
      "10 w1 sleep",
      "15 w2 sleep",
      "15 w0 wake",
      "20 w0 finish",
      "20 w1 wake",
      "20 w1 finish",
      "25 w2 wake",
      "25 w2 finish"
    ])
  })

  it("formats a timeline like the documentation's tables", () => {
    const text = Trace.format(Effect.runSync(Simulation.run(example({ maxActive: 3 }))))
    expect(text.split("\n")[0]).toBe(" TIME IN MSECS  EVENT")
    expect(text).toContain("w1 wakes up and finishes")
  })

  it("gives identical traces for identical input", () => {
    const scenario = example({ maxActive: 2 }, true)
    expect(Effect.runSync(Simulation.run(scenario))).toEqual(Effect.runSync(Simulation.run(scenario)))
  })

  it("rejects a bad scenario with an error naming the field", () => {
    const bad = {
      cpus: 1,
      workqueues: [{ name: "q0" }],
      works: [{ name: "w0", workqueue: "nope", cpu: 3, steps: [{ burn: -1 }] }]
    }
    const exit = Effect.runSyncExit(Simulation.run(bad))
    expect(exit._tag).toBe("Failure")
    const message = exit._tag === "Failure" && exit.cause._tag === "Fail" ? exit.cause.error.message : ""
    expect(message).toContain("burn")
    const exit2 = Effect.runSyncExit(
      Scenario.decode({ ...bad, works: [{ name: "w0", workqueue: "nope", cpu: 3, steps: [] }] })
    )
    const message2 = exit2._tag === "Failure" && exit2.cause._tag === "Fail" ? exit2.cause.error.message : ""
    expect(message2).toContain("no workqueue named \"nope\"")
    expect(message2).toContain("cpu 3 is out of range")
  })

  it("runPromise gives the same trace", async () => {
    const trace = await Simulation.runPromise(example({ maxActive: 3 }))
    expect(Trace.lines(trace)[0]).toBe("0 w0 start")
  })
})
