/**
 * A simulation: the kernel documentation's scenario B (three items on one
 * CPU, each burning and sleeping) on the real pools under virtual time,
 * printed as a timeline and checked against the invariants. Run it with
 * `npx tsx docs/examples/scenario.ts`.
 */
import { Effect } from "effect"
import { Invariants, Simulation, Trace } from "@cmwq/testing"

const scenario = {
  cpus: 1,
  workqueues: [{ name: "q0", maxActive: 3 }],
  works: [
    { name: "w0", workqueue: "q0", steps: [{ burn: 5 }, { sleep: 10 }, { burn: 5 }] },
    { name: "w1", workqueue: "q0", steps: [{ burn: 5 }, { sleep: 10 }] },
    { name: "w2", workqueue: "q0", steps: [{ burn: 5 }, { sleep: 10 }] }
  ]
}

const program = Effect.gen(function*() {
  const run = yield* Simulation.runDetailed(scenario)
  console.log(Trace.format(run.trace))
  // every invariant the kernel guarantees; fails with an InvariantViolation otherwise
  yield* Invariants.all(run)
  console.log("all invariants hold")
})

Effect.runSync(program)
