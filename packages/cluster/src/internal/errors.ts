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
