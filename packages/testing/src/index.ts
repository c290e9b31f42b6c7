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

/**
 * Simulation scenarios and their schema.
 *
 * @since 0.1.0
 */
export * as Scenario from "./Scenario.js"

/**
 * The deterministic simulation of @cmwq/core's pools on virtual CPUs.
 *
 * @since 0.1.0
 */
export * as Simulation from "./Simulation.js"

/**
 * Simulation traces, their timeline format and their SVG diagrams.
 *
 * @since 0.1.0
 */
export * as Trace from "./Trace.js"

/**
 * Invariant checkers over simulation runs: non-reentrancy, ordered order,
 * maxActive, forward progress, work conservation, minimal concurrency.
 *
 * @since 0.1.0
 */
export * as Invariants from "./Invariants.js"

/**
 * fast-check arbitraries for scenarios, and properties whose failures print
 * the failing scenario's timeline.
 *
 * @since 0.1.0
 */
export * as Arbitraries from "./Arbitraries.js"

/**
 * Replay a `Recorder` recording in the simulation, compare it with the
 * recording, and ask what-if (max_active, flags, CPUs, policy).
 *
 * @since 0.1.0
 */
export * as Replay from "./Replay.js"
