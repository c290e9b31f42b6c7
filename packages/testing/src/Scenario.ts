/**
 * Simulation scenarios: plain JSON-like data, validated by a `Schema`.
 *
 * ```
 * { cpus: 1,
 *   workqueues: [{ name: "q0", maxActive: 2 }],
 *   works: [{ name: "w0", workqueue: "q0", steps: [{ burn: 5 }, { sleep: 10 }, { burn: 5 }] }] }
 * ```
 *
 * - `flags` use the kernel's names without `WQ_` (`"CPU_INTENSIVE"`,
 *   `"HIGHPRI"`, `"UNBOUND"`, ...); `"ORDERED"` asks for an ordered workqueue;
 * - a work's `cpu` defaults to 0 and `at` (its queue time, in ms) to 0; works
 *   with the same `at` are queued in array order;
 * - `burn` holds the work's CPU for that many ms, `sleep` blocks without it.
 *
 * A bad scenario fails with `InvalidScenario`, whose message names the bad
 * field.
 *
 * @since 0.1.0
 */
import * as Effect from "effect/Effect"
import * as ParseResult from "effect/ParseResult"
import * as Schema from "effect/Schema"
import { Workqueue } from "@cmwq/core"

const Millis = Schema.Number.pipe(
  Schema.finite(),
  Schema.nonNegative({ message: () => "a duration in ms must be a finite number, 0 or more" })
)

/**
 * One step of a work item: hold the CPU (`burn`) or block without it
 * (`sleep`), for that many milliseconds of virtual time.
 *
 * @since 0.1.0
 * @category schemas
 */
export const Step = Schema.Union(
  Schema.Struct({ burn: Millis }),
  Schema.Struct({ sleep: Millis })
)

/**
 * @since 0.1.0
 * @category models
 */
export type Step = typeof Step.Type

/**
 * A flag of a simulated workqueue: a kernel flag name, or `"ORDERED"`.
 *
 * @since 0.1.0
 * @category schemas
 */
export const Flag = Schema.Literal(...Workqueue.FLAGS, "ORDERED")

/**
 * @since 0.1.0
 * @category schemas
 */
export const WorkqueueSpec = Schema.Struct({
  name: Schema.String.pipe(Schema.minLength(1)),
  flags: Schema.optional(Schema.Array(Flag)),
  maxActive: Schema.optional(
    Schema.Number.pipe(Schema.int(), Schema.between(0, Workqueue.WQ_MAX_ACTIVE))
  )
})

/**
 * @since 0.1.0
 * @category schemas
 */
export const WorkSpec = Schema.Struct({
  name: Schema.String.pipe(Schema.minLength(1)),
  workqueue: Schema.String,
  cpu: Schema.optional(Schema.Number.pipe(Schema.int(), Schema.nonNegative())),
  at: Schema.optional(Millis),
  steps: Schema.Array(Step)
})

/**
 * The scenario schema, with the cross-field checks: unique names, known
 * workqueues, CPUs in range.
 *
 * @since 0.1.0
 * @category schemas
 */
export const Scenario = Schema.Struct({
  cpus: Schema.Number.pipe(Schema.int(), Schema.between(1, 64)),
  workqueues: Schema.Array(WorkqueueSpec),
  works: Schema.Array(WorkSpec)
}).pipe(Schema.filter((s) => {
  const issues: Array<Schema.FilterIssue> = []
  const wqNames = new Set<string>()
  s.workqueues.forEach((wq, i) => {
    if (wqNames.has(wq.name))
      issues.push({ path: ["workqueues", i, "name"], message: `duplicate workqueue "${wq.name}"` })
    wqNames.add(wq.name)
  })
  const workNames = new Set<string>()
  s.works.forEach((work, i) => {
    if (workNames.has(work.name)) issues.push({ path: ["works", i, "name"], message: `duplicate work "${work.name}"` })
    workNames.add(work.name)
    if (!wqNames.has(work.workqueue)) {
      issues.push({ path: ["works", i, "workqueue"], message: `no workqueue named "${work.workqueue}"` })
    }
    if ((work.cpu ?? 0) >= s.cpus) {
      issues.push({ path: ["works", i, "cpu"], message: `cpu ${work.cpu} is out of range 0..${s.cpus - 1}` })
    }
  })
  return issues
}))

/**
 * A scenario (the decoded form).
 *
 * @since 0.1.0
 * @category models
 */
export type Scenario = typeof Scenario.Type

/**
 * A scenario that does not fit the schema; `message` names the bad field.
 *
 * @since 0.1.0
 * @category errors
 */
export class InvalidScenario extends Schema.TaggedError<InvalidScenario>("@cmwq/testing/InvalidScenario")(
  "InvalidScenario",
  { message: Schema.String }
) {}

/**
 * Validate unknown input as a scenario.
 *
 * @since 0.1.0
 * @category decoding
 */
export const decode = (input: unknown): Effect.Effect<Scenario, InvalidScenario> =>
  Schema.decodeUnknown(Scenario, { errors: "all" })(input).pipe(
    Effect.mapError((error) =>
      new InvalidScenario({ message: `invalid scenario: ${ParseResult.TreeFormatter.formatErrorSync(error)}` })
    )
  )
