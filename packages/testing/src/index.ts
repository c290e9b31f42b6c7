/**
 * @cmwq/testing: prove that a queue policy keeps the kernel's guarantees.
 *
 * @since 0.1.0
 */

/**
 * Deterministic virtual time: a controlled scheduler and a virtual clock,
 * driven to quiescence synchronously.
 *
 * @since 0.1.0
 */
export * as VirtualTime from "./VirtualTime.js"
