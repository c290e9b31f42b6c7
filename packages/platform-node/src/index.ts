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
 * Logical CPUs on worker threads, running Schema-typed tasks.
 *
 * @since 0.1.0
 */
export * as NodeThreads from "./NodeThreads.js"
