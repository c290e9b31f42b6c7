import { describe, expect, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import { Invariants, Simulation } from "@cmwq/testing"
import { mutants } from "../src/internal/mutants.js"

const bug1 = {
  cpus: 1,
  workqueues: [{ name: "q0", flags: ["UNBOUND" as const] }],
  works: [{ name: "w0", workqueue: "q0", at: 1, steps: [{ sleep: 100 }] }],
  operations: [
    { do: "flush" as const, workqueue: "q0" },
    { do: "applyAttrs" as const, workqueue: "q0", affinityScope: "system" as const },
    { do: "flush" as const, workqueue: "q0", at: 1 }
  ]
}
const bug2 = {
  cpus: 1,
  workqueues: [{ name: "A" }, { name: "B", maxActive: 1 }],
  works: [
    { name: "y", workqueue: "B", steps: [{ sleep: 10 }] },
    { name: "x", workqueue: "A", steps: [{ flush: "B" }] },
    { name: "q2", workqueue: "B", at: 1, steps: [{ flush: "A" }] }
  ]
}
const bug3 = {
  cpus: 1,
  workqueues: [{ name: "q0", flags: ["UNBOUND" as const, "FREEZABLE" as const] }],
  works: [{ name: "a", workqueue: "q0", at: 1, steps: [{ sleep: 10 }] }, {
    name: "b",
    workqueue: "q0",
    at: 16,
    steps: [{ burn: 1 }]
  }],
  operations: [{ do: "freeze" as const }, { do: "thaw" as const, at: 2 }, { do: "freeze" as const, at: 3 }, {
    do: "thaw" as const,
    at: 15
  }]
}
const check = (s: unknown) =>
  Effect.runSyncExit(Effect.flatMap(Simulation.runDetailed(s, { maxSteps: 200_000 }), Invariants.operations))

describe("scratch", () => {
  for (
    const [name, s, key] of [["bug1", bug1, "newPwqColorZero"], ["bug2", bug2, "walkFinishedFlush"], [
      "bug3",
      bug3,
      "stalePendingMark"
    ]] as const
  ) {
    it(name, () => {
      const off = check(s)
      mutants[key] = true
      const on = check(s)
      mutants[key] = false
      console.log(
        name,
        "off:",
        String(off._tag === "Failure" ? off.cause : "ok"),
        "\non:",
        String(on._tag === "Failure" ? on.cause : "ok")
      )
      expect(off._tag).toBe("Success")
    })
  }
})
