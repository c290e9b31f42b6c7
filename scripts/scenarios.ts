/**
 * The kernel documentation's "Example Execution Scenarios"
 * (Documentation/core-api/workqueue.rst), run on the simulation of
 * `@cmwq/testing`. The scenarios are built exactly as
 * `packages/testing/test/Simulation.test.ts` builds them (that test asserts
 * each timeline event for event); `scripts/docs-gen.ts` renders them into the
 * site's scenarios page (timeline tables and SVG diagrams) on every build.
 *
 *   npx tsx scripts/scenarios.ts           # print the four timelines
 */
import { fileURLToPath } from "node:url"
import * as Effect from "effect/Effect"
import { Policy } from "@cmwq/core"
import { Simulation, Trace } from "@cmwq/testing"

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

export interface Scenario {
  readonly id: string
  readonly title: string
  readonly scenario: unknown
  readonly policy: Policy.Policy | undefined
}

export const scenarios: ReadonlyArray<Scenario> = [
  {
    id: "A",
    title: "A. the original workqueue (Policy.legacy), q0 with maxActive 3",
    scenario: example({ maxActive: 3 }),
    policy: Policy.legacy
  },
  { id: "B", title: "B. cmwq, q0 with maxActive 3", scenario: example({ maxActive: 3 }), policy: undefined },
  { id: "C", title: "C. cmwq, q0 with maxActive 2", scenario: example({ maxActive: 2 }), policy: undefined },
  {
    id: "D",
    title: "D. cmwq, w1 and w2 on q1 (CPU_INTENSIVE)",
    scenario: example({ maxActive: 3 }, true),
    policy: undefined
  }
]

/** the trace of one scenario, as `Simulation.run` returns it */
export const traceOf = (s: Scenario): Trace.Trace =>
  Effect.runSync(Simulation.run(s.scenario, s.policy !== undefined ? { policy: s.policy } : {}))

if (process.argv[1] !== undefined && fileURLToPath(import.meta.url) === process.argv[1]) {
  for (const s of scenarios) console.log(`${s.title}\n\n${Trace.format(traceOf(s))}\n`)
}
