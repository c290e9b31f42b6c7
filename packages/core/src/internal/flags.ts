/**
 * Workqueue, worker and pool flag bits, named as in `kernel/workqueue.c`.
 *
 * @internal
 */

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
