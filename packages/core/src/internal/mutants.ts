/**
 * Test-only switches that put back three engine bugs that were found and
 * fixed, so that a test can show that schedule exploration (the Simulation
 * of `@cmwq/testing`, fed by its generic scenario generator) finds each of
 * them on its own. Production code never sets them: no public module
 * re-exports this one, and every switch is `false` unless a test flips it.
 * Each is read at one site, off the hot path (pwq creation on an attributes
 * change, the deadlock walk before a flush waits, and two branches of the
 * unbound slot accounting that are taken only when a pwq is marked pending).
 *
 * - `newPwqColorZero`: a pwq made by `applyAttrs` starts at work color 0
 *   instead of the workqueue's current color (the fix follows the kernel's
 *   `link_pwq`); a flush after the change can return before its items end.
 * - `walkFinishedFlush`: the deadlock walk follows a worker's flush after
 *   that flush completed but before its fiber resumed (a false FlushDeadlock).
 * - `stalePendingMark`: a pwq filled by a thaw stays marked pending, and the
 *   mark is obeyed even with nothing held back (an item queued after thaw,
 *   freeze, thaw never runs).
 *
 * @internal
 */
export const mutants: {
  newPwqColorZero: boolean
  walkFinishedFlush: boolean
  stalePendingMark: boolean
} = {
  newPwqColorZero: false,
  walkFinishedFlush: false,
  stalePendingMark: false
}
