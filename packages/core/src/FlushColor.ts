/**
 * Flush colors (the kernel's work colors): a 4-bit tag every queued item
 * carries, so that `flush` can wait for "everything queued before me" without
 * scanning queues.
 *
 * Each workqueue hands out colors in a ring of 16 (`WORK_NR_COLORS`). A
 * flush takes the current color and advances it; items queued afterwards get
 * the next color, and the flush waits only until no item of its color (or an
 * older one) is in flight. At most 15 colors can be in flight at once: a
 * flush that finds the ring full waits in an overflow list until a color is
 * freed. `noColor` (-1) is what an idle worker's "current color" reads; it is
 * never given to an item (current kernels color barriers too, so flushes wait
 * for them).
 *
 * See docs/concepts/flushing.md.
 *
 * @since 0.1.0
 */
import type * as Brand from "effect/Brand"
import { WORK_NR_COLORS } from "./internal/constants.js"

/**
 * A work color: an integer in 0..15.
 *
 * @since 0.1.0
 * @category models
 */
export type FlushColor = number & Brand.Brand<"@cmwq/core/FlushColor">

/**
 * The number of colors (kernel `WORK_NR_COLORS`).
 *
 * @example
 * ```ts
 * import { FlushColor } from "@cmwq/core"
 *
 * const colors = FlushColor.NR_COLORS // 16: the kernel's WORK_NR_COLORS
 * ```
 *
 * @since 0.1.0
 * @category constants
 */
export const NR_COLORS: number = WORK_NR_COLORS

/**
 * "No color": an idle worker's current color.
 *
 * @example
 * ```ts
 * import { FlushColor, Workqueue } from "@cmwq/core"
 *
 * const flushing = (wq: Workqueue.Workqueue) => Workqueue.unsafeInspect(wq).flushColor !== FlushColor.noColor
 * ```
 *
 * @since 0.1.0
 * @category constants
 */
export const noColor: FlushColor = -1 as FlushColor

/**
 * @example
 * ```ts
 * import { FlushColor } from "@cmwq/core"
 *
 * FlushColor.isFlushColor(3) // true
 * FlushColor.isFlushColor(FlushColor.NR_COLORS) // false
 * ```
 *
 * @since 0.1.0
 * @category guards
 */
export const isFlushColor = (u: unknown): u is FlushColor =>
  typeof u === "number" && Number.isInteger(u) && u >= 0 && u < WORK_NR_COLORS

/**
 * The color after `color` in the ring (kernel `work_next_color`).
 *
 * @example
 * ```ts
 * import { FlushColor, Workqueue } from "@cmwq/core"
 *
 * const nextColor = (wq: Workqueue.Workqueue) => FlushColor.next(Workqueue.unsafeInspect(wq).workColor)
 * ```
 *
 * @since 0.1.0
 * @category combinators
 */
export const next = (color: FlushColor): FlushColor => ((color + 1) % WORK_NR_COLORS) as FlushColor
