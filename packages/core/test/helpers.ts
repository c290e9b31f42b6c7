/**
 * Test helpers: run a program on fresh pools under deterministic virtual time.
 */
import * as Effect from "effect/Effect"
import type * as Exit from "effect/Exit"
import * as Logger from "effect/Logger"
import * as LogLevel from "effect/LogLevel"
import type * as Scope from "effect/Scope"
import { WorkerPool } from "@cmwq/core"
import { VirtualTime } from "@cmwq/testing"

/**
 * pools for tests: virtual time needs the fairness hand-back off, and the
 * CPU-intensive auto-detection off (it measures real time, which would make
 * runs depend on the machine's speed); the watchdog is off too (its periodic
 * timer would keep a stuck program's virtual clock ticking); tests of those
 * turn them on
 */
export const testPools = (options: WorkerPool.Options = {}) =>
  WorkerPool.layer({ fairnessBudget: 0, cpuIntensiveThreshold: 0, watchdogThreshold: 0, ...options })

/** run `program` with fresh pools under virtual time; returns its exit */
export const runVirtual = <A, E>(
  program: Effect.Effect<A, E, WorkerPool.WorkerPools | Scope.Scope>,
  options: WorkerPool.Options = {},
  runOptions: VirtualTime.RunOptions = {}
): Exit.Exit<A, unknown> =>
  VirtualTime.runExit(quiet(program.pipe(Effect.scoped, Effect.provide(testPools(options)))), runOptions)

/**
 * planned failures are logged by the pools; tests that check logging install
 * their own logger, the others run without log output
 */
export const quiet = <A, E, R>(effect: Effect.Effect<A, E, R>): Effect.Effect<A, E, R> =>
  Logger.withMinimumLogLevel(effect, LogLevel.None)

/** run `program` with fresh pools under virtual time; returns its value or throws */
export const runVirtualSync = <A, E>(
  program: Effect.Effect<A, E, WorkerPool.WorkerPools | Scope.Scope>,
  options: WorkerPool.Options = {},
  runOptions: VirtualTime.RunOptions = {}
): A => VirtualTime.runSync(quiet(program.pipe(Effect.scoped, Effect.provide(testPools(options)))), runOptions)
