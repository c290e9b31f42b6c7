/**
 * Event-loop delay, measured with `perf_hooks.monitorEventLoopDelay`: how
 * long timers and I/O had to wait while an effect ran. This is what the
 * pools' fairness budget bounds.
 *
 * @since 0.1.0
 */
import * as Effect from "effect/Effect"
import { monitorEventLoopDelay } from "node:perf_hooks"

/**
 * What the monitor saw, in milliseconds.
 *
 * @example
 * ```ts
 * import type { EventLoopMonitor } from "@cmwq/platform-node"
 *
 * const withinBudget = (delay: EventLoopMonitor.Delay) => delay.p99 < 5
 * ```
 *
 * @since 0.1.0
 * @category models
 */
export interface Delay {
  readonly max: number
  readonly p99: number
  readonly mean: number
}

/**
 * Run `effect` while sampling the event loop's delay (resolution `resolutionMs`,
 * default 1 ms); return its result and the delays seen.
 *
 * @example
 * ```ts
 * import { EventLoopMonitor } from "@cmwq/platform-node"
 * import { Effect } from "effect"
 *
 * const program = Effect.flatMap(
 *   EventLoopMonitor.measure(Effect.sleep("100 millis")),
 *   ([, delay]) => Effect.log(`max ${delay.max.toFixed(1)} ms, p99 ${delay.p99.toFixed(1)} ms`)
 * )
 * ```
 *
 * @since 0.1.0
 * @category combinators
 */
export const measure = <A, E, R>(
  effect: Effect.Effect<A, E, R>,
  resolutionMs = 1
): Effect.Effect<readonly [A, Delay], E, R> =>
  Effect.acquireUseRelease(
    Effect.sync(() => {
      const histogram = monitorEventLoopDelay({ resolution: resolutionMs })
      histogram.enable()
      return histogram
    }),
    (histogram) =>
      Effect.map(effect, (a) => {
        histogram.disable()
        const ns = 1e6
        return [a, {
          max: histogram.max / ns,
          p99: histogram.percentile(99) / ns,
          mean: Number.isNaN(histogram.mean) ? 0 : histogram.mean / ns
        }] as const
      }),
    (histogram) => Effect.sync(() => histogram.disable())
  )
