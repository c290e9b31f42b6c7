/**
 * The kernel documentation's "Example Execution Scenarios"
 * (Documentation/core-api/workqueue.rst), run on the simulation of
 * `@cmwq/testing` and printed as timelines. The scenarios are built exactly
 * as `packages/testing/test/Simulation.test.ts` builds them; the output is
 * pasted into `docs/scenarios.md`.
 *
 *   npx tsx scripts/scenarios.ts           # print the four timelines
 *   npx tsx scripts/scenarios.ts --check   # exit 1 unless docs/scenarios.md holds each one verbatim
 */
import * as fs from "node:fs"
import * as path from "node:path"
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

const scenarios: ReadonlyArray<readonly [title: string, scenario: unknown, policy: Policy.Policy | undefined]> = [
  ["A. the original workqueue (Policy.legacy), q0 with maxActive 3", example({ maxActive: 3 }), Policy.legacy],
  ["B. cmwq, q0 with maxActive 3", example({ maxActive: 3 }), undefined],
  ["C. cmwq, q0 with maxActive 2", example({ maxActive: 2 }), undefined],
  ["D. cmwq, w1 and w2 on q1 (CPU_INTENSIVE)", example({ maxActive: 3 }, true), undefined]
]

const timelines = scenarios.map(([title, scenario, policy]) => {
  const trace = Effect.runSync(Simulation.run(scenario, policy !== undefined ? { policy } : {}))
  return [title, Trace.format(trace)] as const
})

if (process.argv.includes("--check")) {
  const page = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..", "docs", "scenarios.md")
  const text = fs.readFileSync(page, "utf8")
  const stale = timelines.filter(([, timeline]) => !text.includes(`\`\`\`\n${timeline}\n\`\`\``))
  for (const [title] of stale) console.error(`scenarios: docs/scenarios.md does not hold the current timeline of ${title}`)
  if (stale.length > 0) process.exit(1)
  console.log(`scenarios: docs/scenarios.md holds all ${timelines.length} timelines`)
} else {
  for (const [title, timeline] of timelines) console.log(`${title}\n\n${timeline}\n`)
}
