/**
 * The synchronous-item fast path. Most work items of a busy workqueue are a
 * plain `Effect.sync(thunk)` (or `Effect.succeed`): running one through the
 * fiber's run loop costs several interpreter steps and allocations per item,
 * while calling the thunk directly has the same meaning (a throw is a defect,
 * as `Effect.sync` makes it). A worker therefore runs such items in a plain
 * loop and returns to the run loop only for items that need it. Measured in
 * bench/ (case 1); the private fields read here are checked at load time, and
 * the fast path switches itself off if an Effect upgrade changes them.
 *
 * @internal
 */
import * as Effect from "effect/Effect"

interface Primitive {
  readonly _op: string
  readonly effect_instruction_i0: unknown
}

const noop = (): void => {}

const probe = (): boolean => {
  const thunk = () => 1
  const sync = Effect.sync(thunk) as unknown as Primitive
  const succeed = Effect.succeed(1) as unknown as Primitive
  return sync._op === "Sync" && sync.effect_instruction_i0 === thunk && succeed._op === "Success"
}

/** @internal false if this Effect version's primitives do not look as expected */
export const enabled = probe()

/**
 * @internal the function to call instead of running `effect`, or null if it
 * must go through the run loop
 */
export const syncThunkOf = (effect: Effect.Effect<unknown, unknown> | (() => unknown)): (() => unknown) | null => {
  if (typeof effect === "function") return effect
  if (!enabled) return null
  const op = (effect as unknown as Primitive)._op
  if (op === "Sync") return (effect as unknown as Primitive).effect_instruction_i0 as () => unknown
  if (op === "Success") return noop
  return null
}
