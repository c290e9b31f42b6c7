/**
 * The `cmwq` command line: replay a recording (or a scenario) in the
 * simulation of `@cmwq/testing` and print the what-if report.
 *
 * ```
 * npx cmwq replay trace.json --max-active io=32 --cpus 4
 * npx cmwq replay trace.json --flags io=CPU_INTENSIVE,PERCPU --policy legacy
 * ```
 *
 * `trace.json` holds a `Recorder.Recording` (JSON of `recorder.snapshot`) or
 * a `Scenario`. The report shows the run as recorded and with the overrides
 * side by side; for a recording, it first says whether the replay started
 * each workqueue's items in the recorded order. A file that cannot be read
 * or parsed fails with `TraceFileError`, a bad flag value with
 * `InvalidReplayFlag`, an override naming an unknown workqueue with
 * `InvalidOverride`; each prints one line and exits with status 1.
 *
 * See the guide "Record, replay, what-if" on the documentation site.
 *
 * @since 0.1.0
 */
import * as Args from "@effect/cli/Args"
import * as Command from "@effect/cli/Command"
import * as Options from "@effect/cli/Options"
import * as ValidationError from "@effect/cli/ValidationError"
import * as FileSystem from "@effect/platform/FileSystem"
import * as Console from "effect/Console"
import * as Effect from "effect/Effect"
import * as HashMap from "effect/HashMap"
import * as Option from "effect/Option"
import * as Schema from "effect/Schema"
import { Policy, Workqueue } from "@cmwq/core"
import { Replay, Scenario, Simulation } from "@cmwq/testing"

/**
 * The simulation could not finish the replay: it deadlocked (nothing can
 * run and something still waits) or ran past its step limit. `reason` is
 * the simulation's own message.
 *
 * @example
 * ```ts
 * import { ReplayCli } from "@cmwq/platform-node"
 *
 * const e = new ReplayCli.ReplayFailed({ reason: "deadlock at t=40 ms" })
 * console.log(e.message) // the replay did not finish: deadlock at t=40 ms
 * ```
 *
 * @since 0.1.0
 * @category errors
 */
export class ReplayFailed extends Schema.TaggedError<ReplayFailed>("@cmwq/ReplayFailed")(
  "ReplayFailed",
  { reason: Schema.String }
) {
  override get message(): string {
    return `the replay did not finish: ${this.reason}`
  }
}

/**
 * The trace file could not be read, or is not JSON.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { ReplayCli } from "@cmwq/platform-node"
 *
 * const e = new ReplayCli.TraceFileError({ path: "trace.json", reason: "no such file" })
 * console.log(e.message) // cannot read trace.json: no such file
 * ```
 *
 * @since 0.1.0
 * @category errors
 */
export class TraceFileError extends Schema.TaggedError<TraceFileError>("@cmwq/TraceFileError")(
  "TraceFileError",
  { path: Schema.String, reason: Schema.String }
) {
  override get message(): string {
    return `cannot read ${this.path}: ${this.reason}`
  }
}

/**
 * A command-line flag whose value does not parse (`--max-active io=lots`,
 * `--flags io=NOPE`, `--policy fastest`).
 *
 * @example
 * ```ts
 * import { ReplayCli } from "@cmwq/platform-node"
 *
 * const e = new ReplayCli.InvalidReplayFlag({ flag: "--max-active", value: "io=lots", reason: "a whole number" })
 * console.log(e.message) // --max-active io=lots: expected a whole number
 * ```
 *
 * @since 0.1.0
 * @category errors
 */
export class InvalidReplayFlag extends Schema.TaggedError<InvalidReplayFlag>("@cmwq/InvalidReplayFlag")(
  "InvalidReplayFlag",
  { flag: Schema.String, value: Schema.String, reason: Schema.String }
) {
  override get message(): string {
    return `${this.flag} ${this.value}: expected ${this.reason}`
  }
}

const policies = { kernel: Policy.kernel, legacy: Policy.legacy } as const

const isFlag = Schema.is(Scenario.Flag)

/** parse the raw flag values into overrides */
const toOverrides = (raw: {
  readonly maxActive: Option.Option<HashMap.HashMap<string, string>>
  readonly flags: Option.Option<HashMap.HashMap<string, string>>
  readonly cpus: Option.Option<number>
  readonly policy: Option.Option<string>
}): Effect.Effect<Replay.Overrides, InvalidReplayFlag> =>
  Effect.gen(function*() {
    const maxActive: Record<string, number> = {}
    for (const [wq, value] of Option.match(raw.maxActive, { onNone: () => [], onSome: HashMap.toEntries })) {
      const n = Number(value)
      if (value.trim() === "" || !Number.isInteger(n)) {
        return yield* new InvalidReplayFlag({ flag: "--max-active", value: `${wq}=${value}`, reason: "a whole number" })
      }
      maxActive[wq] = n
    }
    const flags: Record<string, Array<typeof Scenario.Flag.Type>> = {}
    for (const [wq, value] of Option.match(raw.flags, { onNone: () => [], onSome: HashMap.toEntries })) {
      const names = value.split(",").map((s) => s.trim()).filter((s) => s !== "")
      const bad = names.find((n) => !isFlag(n))
      if (bad !== undefined) {
        return yield* new InvalidReplayFlag({
          flag: "--flags",
          value: `${wq}=${value}`,
          reason: `flag names from ${[...Workqueue.FLAGS, "ORDERED"].join(", ")} (${bad} is not one)`
        })
      }
      flags[wq] = names.filter(isFlag)
    }
    let policy: Policy.Policy | undefined
    if (Option.isSome(raw.policy)) {
      const name = raw.policy.value
      if (!(name in policies)) {
        return yield* new InvalidReplayFlag({ flag: "--policy", value: name, reason: "kernel or legacy" })
      }
      policy = policies[name as keyof typeof policies]
    }
    return {
      ...(Object.keys(maxActive).length > 0 ? { maxActive } : {}),
      ...(Object.keys(flags).length > 0 ? { flags } : {}),
      ...(Option.isSome(raw.cpus) ? { cpus: raw.cpus.value } : {}),
      ...(policy !== undefined ? { policy, policyName: raw.policy.pipe(Option.getOrUndefined) } : {})
    }
  })

/**
 * `cmwq replay <file> [--max-active wq=N]... [--flags wq=F,G]... [--cpus N] [--policy kernel|legacy]`.
 *
 * @example
 * ```ts
 * import { Command } from "@effect/cli"
 * import { NodeContext, NodeRuntime } from "@effect/platform-node"
 * import { Effect } from "effect"
 * import { ReplayCli } from "@cmwq/platform-node"
 *
 * const cli = Command.run(ReplayCli.command, { name: "cmwq", version: "0.1.0" })
 * cli(process.argv).pipe(Effect.provide(NodeContext.layer), NodeRuntime.runMain)
 * ```
 *
 * @since 0.1.0
 * @category commands
 */
export const replay = Command.make("replay", {
  file: Args.text({ name: "trace.json" }).pipe(
    Args.withDescription("a recording (JSON of Recorder's snapshot) or a scenario")
  ),
  maxActive: Options.keyValueMap("max-active").pipe(
    Options.withDescription("max_active of a workqueue, as wq=N (repeatable)"),
    Options.optional
  ),
  flags: Options.keyValueMap("flags").pipe(
    Options.withDescription("the flags of a workqueue, as wq=FLAG,FLAG (repeatable; replaces its flags)"),
    Options.optional
  ),
  cpus: Options.integer("cpus").pipe(Options.withDescription("the number of CPUs"), Options.optional),
  policy: Options.text("policy").pipe(
    Options.withDescription("the queueing policy: kernel or legacy"),
    Options.optional
  )
}, (input) =>
  Effect.gen(function*() {
    const fs = yield* FileSystem.FileSystem
    const text = yield* fs.readFileString(input.file).pipe(
      Effect.mapError((e) => new TraceFileError({ path: input.file, reason: e.message }))
    )
    const json = yield* Effect.try({
      try: (): unknown => JSON.parse(text),
      catch: (e) => new TraceFileError({ path: input.file, reason: `not JSON (${String(e)})` })
    })
    const overrides = yield* toOverrides(input)
    const isRecording = typeof json === "object" && json !== null && "events" in json
    const lines: Array<string> = []
    let scenario: unknown = json
    if (isRecording) {
      const recording = yield* Replay.decodeRecording(json)
      const converted = Replay.toScenario(recording)
      scenario = converted.scenario
      const trace = yield* Simulation.run(converted.scenario)
      const cmp = Replay.compare(converted, trace)
      lines.push(
        `replay of ${input.file}: ${converted.scenario.works.length} items on ${converted.scenario.workqueues.length} workqueues, ${converted.scenario.cpus} CPU(s)` +
          (converted.skipped.truncated + converted.skipped.unfinished > 0
            ? ` (left out: ${converted.skipped.truncated} truncated by the ring buffer, ${converted.skipped.unfinished} unfinished)`
            : "")
      )
      for (const wq of cmp.workqueues) {
        lines.push(`  ${wq.name}: start order ${wq.sameOrder ? "as recorded" : "differs from the recording"}`)
      }
      lines.push(
        `  start time vs recording: mean ${cmp.startDelta.mean.toFixed(2)} ms, max |d| ${
          cmp.startDelta.maxAbs.toFixed(2)
        } ms`
      )
    }
    const report = yield* Replay.whatIf(scenario, overrides)
    lines.push(Replay.format(report))
    yield* Console.log(lines.join("\n"))
  }).pipe(
    // the simulation's own errors become this module's, so the command's type names only public modules
    Effect.catchTags({
      Deadlock: (e) => Effect.fail(new ReplayFailed({ reason: e.message })),
      StepLimit: (e) => Effect.fail(new ReplayFailed({ reason: e.message }))
    })
  )).pipe(Command.withDescription("replay a recording in the simulation and compare it with what-if overrides"))

/**
 * The `cmwq` command (its subcommands: `replay`).
 *
 * @example
 * ```ts
 * import { Command } from "@effect/cli"
 * import { ReplayCli } from "@cmwq/platform-node"
 *
 * const cli = Command.run(ReplayCli.command, { name: "cmwq", version: "0.1.0" })
 * ```
 *
 * @since 0.1.0
 * @category commands
 */
export const command = Command.make("cmwq").pipe(Command.withSubcommands([replay]))

/**
 * Run the command line on `argv` (as `process.argv`: node, script, then the
 * arguments). A typed error prints its message on stderr and fails.
 *
 * @example
 * ```ts
 * import { NodeContext, NodeRuntime } from "@effect/platform-node"
 * import { Effect } from "effect"
 * import { ReplayCli } from "@cmwq/platform-node"
 *
 * ReplayCli.main(process.argv).pipe(Effect.provide(NodeContext.layer), NodeRuntime.runMain({ disableErrorReporting: true }))
 * ```
 *
 * @since 0.1.0
 * @category running
 */
export const main = (argv: ReadonlyArray<string>) =>
  Command.run(command, { name: "cmwq", version: "0.1.0" })(argv).pipe(
    Effect.tapError((e) => ValidationError.isValidationError(e) ? Effect.void : Console.error(`cmwq: ${e.message}`))
  )
