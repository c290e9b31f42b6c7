/**
 * The typed errors of `@cmwq/cluster` (public API: re-exported by
 * `ClusterWorkqueue.ts`, documented here).
 *
 * @internal
 */
import * as Schema from "effect/Schema"

/**
 * An option of a cluster layer or call that is out of range or of the wrong
 * type; names the option, the value and what was expected.
 *
 * @example
 * ```ts
 * import { ClusterWorkqueue } from "@cmwq/cluster"
 *
 * const error = new ClusterWorkqueue.InvalidClusterOption({ option: "lanes", value: "0", reason: "expected an integer in 1..65536" })
 * error.message // "cluster option lanes = 0: expected an integer in 1..65536"
 * ```
 *
 * @since 0.1.0
 * @category errors
 */
export class InvalidClusterOption extends Schema.TaggedError<InvalidClusterOption>("@cmwq/InvalidClusterOption")(
  "InvalidClusterOption",
  { option: Schema.String, value: Schema.String, reason: Schema.String }
) {
  override get message(): string {
    return `cluster option ${this.option} = ${this.value}: ${this.reason}`
  }
}

/**
 * A runner's graceful shutdown did not see its running tasks finish within
 * `shutdownTimeout`: names the runner, the timeout and every task still
 * running (`tag id (queue)`). Those tasks are interrupted on this runner
 * without a stored reply, so the next owner of their shards runs them again.
 *
 * @example
 * ```ts
 * import { ClusterWorkqueue } from "@cmwq/cluster"
 *
 * const error = new ClusterWorkqueue.RunnerShutdownTimeout({ runner: "r1", timeoutMillis: 2000, tasks: ["Resize 42 (images)"] })
 * error.message // "runner r1: 1 task still running after 2000 ms, handed to the next owner: Resize 42 (images)"
 * ```
 *
 * @since 0.1.0
 * @category errors
 */
export class RunnerShutdownTimeout extends Schema.TaggedError<RunnerShutdownTimeout>("@cmwq/RunnerShutdownTimeout")(
  "RunnerShutdownTimeout",
  { runner: Schema.String, timeoutMillis: Schema.Number, tasks: Schema.Array(Schema.String) }
) {
  override get message(): string {
    const n = this.tasks.length
    return `runner ${this.runner}: ${n} task${n === 1 ? "" : "s"} still running after ${this.timeoutMillis} ms, ` +
      `handed to the next owner: ${this.tasks.join(", ")}`
  }
}
