/**
 * @cmwq/cluster: workqueues across machines, on @effect/cluster.
 *
 * @since 0.1.0
 */

/**
 * Tasks delivered as entity messages to runners: the transport, the runner,
 * durable `send`, runner stats.
 *
 * @since 0.1.0
 */
export * as ClusterWorkqueue from "./ClusterWorkqueue.js"

/**
 * Cluster layers: embedded SQLite (durable) and in-memory (tests).
 *
 * @since 0.1.0
 */
export * as ClusterStorage from "./ClusterStorage.js"
