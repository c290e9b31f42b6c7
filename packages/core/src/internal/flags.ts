/**
 * Workqueue, worker and pool flag bits, named as in `kernel/workqueue.c`.
 *
 * Also the codec of the `Kernel` facade, which takes the kernel's numeric
 * flag words (`WQ_HIGHPRI | WQ_UNBOUND`) and names every bad bit.
 *
 * @internal
 */
import * as Effect from "effect/Effect"
import { InvalidFlags } from "./errors.js"

/** @internal public `WQ_*` flags, at the kernel's bit positions */
export const WQ_BH = 1 << 0
/** @internal */
export const WQ_UNBOUND = 1 << 1
/** @internal */
export const WQ_FREEZABLE = 1 << 2
/** @internal */
export const WQ_MEM_RECLAIM = 1 << 3
/** @internal */
export const WQ_HIGHPRI = 1 << 4
/** @internal */
export const WQ_CPU_INTENSIVE = 1 << 5
/** @internal */
export const WQ_SYSFS = 1 << 6
/** @internal */
export const WQ_POWER_EFFICIENT = 1 << 7
/** @internal */
export const WQ_PERCPU = 1 << 8

/** @internal internal `__WQ_*` flags */
export const __WQ_DESTROYING = 1 << 15
/** @internal */
export const __WQ_DRAINING = 1 << 16
/** @internal */
export const __WQ_ORDERED = 1 << 17
/** @internal */
export const __WQ_LEGACY = 1 << 18

/** @internal the public flag names (kernel names without `WQ_`), in bit order */
export const FLAG_NAMES = [
  "BH",
  "UNBOUND",
  "FREEZABLE",
  "MEM_RECLAIM",
  "HIGHPRI",
  "CPU_INTENSIVE",
  "SYSFS",
  "POWER_EFFICIENT",
  "PERCPU"
] as const

/** @internal */
export type FlagName = typeof FLAG_NAMES[number]

/** @internal */
export const flagBit = (name: FlagName): number => 1 << FLAG_NAMES.indexOf(name)

/** @internal the names of the public bits set in `bits` */
export const flagNames = (bits: number): Array<FlagName> => FLAG_NAMES.filter((_, i) => (bits & (1 << i)) !== 0)

/** @internal kernel `__WQ_BH_ALLOWS`: the only flags a BH workqueue may add */
export const WQ_BH_ALLOWS = WQ_BH | WQ_HIGHPRI | WQ_PERCPU

/** @internal worker flags */
export const WORKER_DIE = 1 << 1
/** @internal */
export const WORKER_IDLE = 1 << 2
/** @internal */
export const WORKER_PREP = 1 << 3
/** @internal */
export const WORKER_CPU_INTENSIVE = 1 << 6
/** @internal */
export const WORKER_UNBOUND = 1 << 7
/** @internal */
export const WORKER_REBOUND = 1 << 8
/** @internal a worker with any of these does not count in `nrRunning` */
export const WORKER_NOT_RUNNING = WORKER_PREP | WORKER_CPU_INTENSIVE | WORKER_UNBOUND | WORKER_REBOUND

/** @internal cancel flags */
export const WORK_CANCEL_DELAYED = 1 << 0
/** @internal */
export const WORK_CANCEL_DISABLE = 1 << 1

// -----------------------------------------------------------------------------
// The Kernel facade's numeric flag words
// -----------------------------------------------------------------------------

/** the caller-visible flags, at their bits (kernel `enum wq_flags`, public part) */
const FLAG_TABLE: ReadonlyArray<readonly [bit: number, name: FlagName, kernelName: string]> = [
  [WQ_BH, "BH", "WQ_BH"],
  [WQ_UNBOUND, "UNBOUND", "WQ_UNBOUND"],
  [WQ_FREEZABLE, "FREEZABLE", "WQ_FREEZABLE"],
  [WQ_MEM_RECLAIM, "MEM_RECLAIM", "WQ_MEM_RECLAIM"],
  [WQ_HIGHPRI, "HIGHPRI", "WQ_HIGHPRI"],
  [WQ_CPU_INTENSIVE, "CPU_INTENSIVE", "WQ_CPU_INTENSIVE"],
  [WQ_SYSFS, "SYSFS", "WQ_SYSFS"],
  [WQ_POWER_EFFICIENT, "POWER_EFFICIENT", "WQ_POWER_EFFICIENT"],
  [WQ_PERCPU, "PERCPU", "WQ_PERCPU"]
]

const KNOWN_BITS = FLAG_TABLE.reduce((bits, [bit]) => bits | bit, 0)

/** the kernel's internal `__WQ_*` bits: named in errors, never accepted from callers */
const INTERNAL_BITS: Readonly<Record<number, string>> = {
  15: "__WQ_DESTROYING",
  16: "__WQ_DRAINING",
  17: "__WQ_ORDERED",
  18: "__WQ_LEGACY",
  19: "__WQ_DEPRECATED"
}

/** the kernel name of one bit, e.g. `WQ_HIGHPRI`, `__WQ_ORDERED`, `1<<9` */
const bitName = (i: number): string => FLAG_TABLE.find(([bit]) => bit === 1 << i)?.[2] ?? INTERNAL_BITS[i] ?? `1<<${i}`

const bitNames = (bits: number): Array<string> => {
  const names: Array<string> = []
  for (let i = 0; i < 32; i++) if ((bits & (1 << i)) !== 0) names.push(bitName(i))
  return names
}

/**
 * @internal the `Kernel` facade's flag codec: decode a flag word into flag names. Fails with `InvalidFlags`
 * naming every bit outside `WQ_BH`..`WQ_PERCPU`.
 */
export const decodeFlags = (
  name: string,
  flags: number,
  operation: string
): Effect.Effect<ReadonlyArray<FlagName>, InvalidFlags> =>
  Effect.suspend(() => {
    // a 32-bit word, as the kernel's `unsigned int`; `1 << 31` is negative in JS, so accept that too
    if (!Number.isInteger(flags) || flags < -0x8000_0000 || flags > 0xffff_ffff) {
      return Effect.fail(
        new InvalidFlags({
          workqueue: name,
          flags: [String(flags)],
          reason: `${operation}: flags must be a bit mask of WQ_* constants (a 32-bit integer)`
        })
      )
    }
    const bits = flags >>> 0
    const unknown = (bits & ~KNOWN_BITS) >>> 0
    if (unknown !== 0) {
      const names = bitNames(unknown)
      const internal = names.some((n) => n.startsWith("__WQ_"))
      return Effect.fail(
        new InvalidFlags({
          workqueue: name,
          flags: bitNames(bits),
          reason: `${operation}: unknown flag bit${names.length > 1 ? "s" : ""} ${names.join(" | ")} (0x${
            unknown.toString(16)
          }); only WQ_BH..WQ_PERCPU (bits 0..8) are accepted${
            internal ? "; __WQ_* bits are the kernel's own (use alloc_ordered_workqueue or create_*workqueue)" : ""
          }`
        })
      )
    }
    return Effect.succeed(FLAG_TABLE.filter(([bit]) => (bits & bit) !== 0).map(([, flag]) => flag))
  })
