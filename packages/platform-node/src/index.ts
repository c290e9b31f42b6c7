/**
 * @cmwq/platform-node: Node.js tools for @cmwq/core.
 *
 * @since 0.1.0
 */

/**
 * Event-loop delay while an effect runs.
 *
 * @since 0.1.0
 */
export * as EventLoopMonitor from "./EventLoopMonitor.js"

/**
 * A `wq_monitor.py`-style stats table.
 *
 * @since 0.1.0
 */
export * as Monitor from "./Monitor.js"

/**
 * The machine's CPUs, SMT cores, caches and NUMA nodes (sysfs, or `os.cpus()`),
 * as `WorkerPool.layer` options.
 *
 * @since 0.1.0
 */
export * as NodeTopology from "./NodeTopology.js"

/**
 * Graceful shutdown on SIGINT/SIGTERM: stop accepting work, freeze, drain
 * within a timeout, report stragglers, exit with a meaningful code.
 *
 * @since 0.1.0
 */
export * as NodeShutdown from "./NodeShutdown.js"

/**
 * Logical CPUs on worker threads, running Schema-typed tasks.
 *
 * @since 0.1.0
 */
export * as NodeThreads from "./NodeThreads.js"

/**
 * The `cmwq` command line: `cmwq replay trace.json --max-active wq=32 --cpus 4`
 * replays a recording in the simulation and prints the what-if report.
 *
 * @since 0.1.0
 */
export * as ReplayCli from "./ReplayCli.js"
