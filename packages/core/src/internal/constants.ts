/**
 * The kernel's constants, with where each value comes from.
 *
 * Times are milliseconds of Effect's `Clock` (so `TestClock` drives them);
 * every tunable here is a default that `WorkerPool.layer` options override.
 *
 * @internal
 */

/** @internal kernel `WQ_MAX_ACTIVE` (current kernels; 512 up to ~v6.16) */
export const WQ_MAX_ACTIVE = 2048
/** @internal kernel `WQ_DFL_ACTIVE` = WQ_MAX_ACTIVE / 2 */
export const WQ_DFL_ACTIVE = WQ_MAX_ACTIVE / 2
/** @internal kernel `WQ_UNBOUND_MAX_ACTIVE` = WQ_MAX_ACTIVE */
export const WQ_UNBOUND_MAX_ACTIVE = WQ_MAX_ACTIVE
/** @internal kernel `WQ_DFL_MIN_ACTIVE`: per-node floor of unbound max_active */
export const WQ_DFL_MIN_ACTIVE = 8

/** @internal kernel `WORK_NR_COLORS` (16 in current kernels; one of them is never handed out, see flush) */
export const WORK_NR_COLORS = 16
/** @internal kernel `WORK_OFFQ_DISABLE_BITS`: the disable depth saturates at 2^16 - 1 */
export const WORK_OFFQ_DISABLE_MAX = (1 << 16) - 1

/** @internal kernel `MAX_IDLE_WORKERS_RATIO`: up to 1/4 of busy workers may stay idle (plus 2) */
export const MAX_IDLE_WORKERS_RATIO = 4
/** @internal kernel `IDLE_WORKER_TIMEOUT` = 300 * HZ: idle workers above the floor are reaped after 5 min */
export const IDLE_WORKER_TIMEOUT_MS = 300_000
/** @internal kernel `MAYDAY_INITIAL_TIMEOUT` = HZ / 100 (two ticks at least): call the rescuer after 10 ms */
export const MAYDAY_INITIAL_TIMEOUT_MS = 10
/** @internal kernel `MAYDAY_INTERVAL` = HZ / 10 */
export const MAYDAY_INTERVAL_MS = 100
/**
 * @internal kernel `RESCUER_BATCH`: past this many items of one pwq in a turn,
 * the rescuer serves the other pwqs waiting in mayday first
 */
export const RESCUER_BATCH = 16
/** @internal kernel `CREATE_COOLDOWN` = HZ: the manager rests 1 s after a failed worker creation */
export const CREATE_COOLDOWN_MS = 1_000
/** @internal kernel `BH_WORKER_JIFFIES` (2 ms) and `BH_WORKER_RESTARTS` (10): one softirq round's budget */
export const BH_WORKER_MS = 2
/** @internal */
export const BH_WORKER_RESTARTS = 10
/** @internal kernel `wq_cpu_intensive_thresh_us` default: 10 000 us */
export const CPU_INTENSIVE_THRESH_MS = 10
/** @internal kernel `wq_watchdog_thresh` default: 30 s */
export const WATCHDOG_THRESH_MS = 30_000

/**
 * @internal The event-loop fairness budget: a worker that has kept the JS
 * thread for this long hands it back to the event loop (a macrotask). Picked
 * to match the kernel's BH budget (`BH_WORKER_JIFFIES` = 2 ms); the benchmark
 * measures the event loop's longest delay against it.
 */
export const FAIRNESS_BUDGET_MS = 2
