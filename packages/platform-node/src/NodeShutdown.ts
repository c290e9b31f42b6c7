/**
 * Graceful shutdown of a Node.js process that runs workqueues, on
 * `NodeRuntime.runMain` from `@effect/platform-node`.
 *
 * On SIGINT or SIGTERM, `runMain` interrupts the main fiber; this module's
 * `runMain` catches that interruption and, before the program's scope closes:
 *
 * 1. stops accepting work: `queue` fails with `ShuttingDown` for callers
 *    outside workqueue items (an item already accepted may still queue its
 *    follow-up, as the kernel's drain allows chained work);
 * 2. freezes the `FREEZABLE` workqueues (`Freezer.freeze`): what they hold
 *    stays queued and is not started; what they run finishes;
 * 3. drains the other registered workqueues (`Workqueue.drain`), all within
 *    `drainTimeout` (default 10 s);
 * 4. reports: what drained, what was frozen, and every straggler, by name:
 *    items still running, still queued, or held by the freeze (the items
 *    queued through `queue` are tracked by name; items queued on a registered
 *    workqueue some other way are counted from `Workqueue.stats` and
 *    `Workqueue.pendingCount`);
 * 5. stops: with no straggler the program's scope closes (workqueues are
 *    destroyed, the pools stop) and the process exits 0; with stragglers it
 *    exits `ExitCode.stragglers` (3) at once, without waiting for them.
 *
 * A second signal while this runs exits at once with 128 + the signal's
 * number (130 for SIGINT, 143 for SIGTERM), after reporting what was still
 * unfinished. That needs a `process` listener of its own: `runMain` removes
 * its listeners after the first signal (Node's default action would then
 * kill the process with no report), and Effect has no hook for a second
 * signal.
 *
 * A program that finishes by itself is not affected: its scope closes as
 * usual, and `runMain`'s exit codes apply (0, or 1 on failure).
 *
 * @since 0.1.0
 */
import { Freezer, Work, WorkerPool, Workqueue } from "@cmwq/core"
import type { WorkqueueError } from "@cmwq/core"
import * as NodeRuntime from "@effect/platform-node/NodeRuntime"
import { defaultTeardown } from "@effect/platform/Runtime"
import * as Context from "effect/Context"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Fiber from "effect/Fiber"
import * as Option from "effect/Option"
import * as Schedule from "effect/Schedule"
import * as Schema from "effect/Schema"
import type * as Scope from "effect/Scope"
import { constants } from "node:os"

/**
 * The process's exit codes: `clean` after a drain that left nothing behind
 * (and for a program that finished), `failure` when the program failed (as
 * `NodeRuntime.runMain`), `stragglers` when items were left unfinished,
 * `forced` (plus the signal's number) after a second signal.
 *
 * @example
 * ```ts
 * import { NodeShutdown } from "@cmwq/platform-node"
 *
 * NodeShutdown.ExitCode.stragglers // 3
 * ```
 *
 * @since 0.1.0
 * @category constants
 */
export const ExitCode = { clean: 0, failure: 1, stragglers: 3, forced: 128 } as const

/**
 * A queue attempt refused because the process is shutting down.
 *
 * @example
 * ```ts
 * import { NodeShutdown } from "@cmwq/platform-node"
 * import { Work, type Workqueue } from "@cmwq/core"
 * import { Effect } from "effect"
 *
 * const tryQueue = (wq: Workqueue.Workqueue) =>
 *   NodeShutdown.queue(wq, Work.make(Effect.log("job"))).pipe(
 *     Effect.catchTag("ShuttingDown", () => Effect.succeed(false))
 *   )
 * ```
 *
 * @since 0.1.0
 * @category errors
 */
export class ShuttingDown extends Schema.TaggedError<ShuttingDown>("@cmwq/ShuttingDown")(
  "ShuttingDown",
  { workqueue: Schema.String, work: Schema.String }
) {
  override get message(): string {
    return `workqueue ${this.workqueue}: ${this.work} refused: the process is shutting down`
  }
}

/**
 * Bad options of `runMain` or `shutdown`.
 *
 * @example
 * ```ts
 * import { NodeShutdown } from "@cmwq/platform-node"
 *
 * new NodeShutdown.InvalidShutdownOptions({ option: "drainTimeout", value: "-1", reason: "0 or more" }).message
 * ```
 *
 * @since 0.1.0
 * @category errors
 */
export class InvalidShutdownOptions extends Schema.TaggedError<InvalidShutdownOptions>("@cmwq/InvalidShutdownOptions")(
  "InvalidShutdownOptions",
  { option: Schema.String, value: Schema.String, reason: Schema.String }
) {
  override get message(): string {
    return `NodeShutdown: option ${this.option} = ${this.value} is invalid: ${this.reason}`
  }
}

/**
 * An item left unfinished by the shutdown: `running` (a worker runs it),
 * `queued` (waiting for a worker or `maxActive`), or `held` (queued on a
 * frozen workqueue). `work` is the item's name (`"<unnamed>"` without one).
 *
 * @example
 * ```ts
 * import type { NodeShutdown } from "@cmwq/platform-node"
 *
 * const stuck: NodeShutdown.Straggler = { workqueue: "io", work: "upload-7", state: "running" }
 * ```
 *
 * @since 0.1.0
 * @category models
 */
export interface Straggler {
  readonly workqueue: string
  readonly work: string
  readonly state: "running" | "queued" | "held"
}

/**
 * What the shutdown did.
 *
 * @example
 * ```ts
 * import { NodeShutdown } from "@cmwq/platform-node"
 * import { Effect } from "effect"
 *
 * const onReport = (report: NodeShutdown.Report) =>
 *   Effect.log(`${report.stragglers.length} stragglers, exit ${report.exitCode}`)
 * ```
 *
 * @since 0.1.0
 * @category models
 */
export interface Report {
  /** the signal that started it, or `"shutdown"` when `shutdown` was called */
  readonly reason: "SIGINT" | "SIGTERM" | "shutdown"
  /** the drain did not finish within `drainTimeout` */
  readonly timedOut: boolean
  /** a second signal cut it short */
  readonly forced: boolean
  readonly elapsedMs: number
  /** the workqueues drained empty */
  readonly drained: ReadonlyArray<string>
  /** the freezable workqueues frozen */
  readonly frozen: ReadonlyArray<string>
  /** unfinished items queued through `queue`, by name */
  readonly stragglers: ReadonlyArray<Straggler>
  /** unfinished items queued on a registered workqueue by other means: counts only */
  readonly untracked: ReadonlyArray<{ readonly workqueue: string; readonly running: number; readonly queued: number }>
  /** the exit code chosen */
  readonly exitCode: number
}

/**
 * Options of `runMain` and `shutdown`.
 *
 * @example
 * ```ts
 * import type { NodeShutdown } from "@cmwq/platform-node"
 *
 * const options: NodeShutdown.Options = { drainTimeout: "5 seconds" }
 * ```
 *
 * @since 0.1.0
 * @category models
 */
export interface Options {
  /** how long the drain may take (default 10 seconds) */
  readonly drainTimeout?: Duration.DurationInput | undefined
  /** called with the report (default: `Effect.log` of `formatReport`, a warning when something was left over) */
  readonly onReport?: ((report: Report) => Effect.Effect<void>) | undefined
  /** called synchronously with the report when a second signal forces the exit (default: `formatReport` to stderr) */
  readonly onForcedReport?: ((report: Report) => void) | undefined
  /** as `NodeRuntime.runMain` */
  readonly disableErrorReporting?: boolean | undefined
  /** as `NodeRuntime.runMain` */
  readonly disablePrettyLogger?: boolean | undefined
}

/**
 * The shutdown service: which workqueues to drain and freeze, whether work
 * is still accepted. `runMain` provides it; `make` builds one for a program
 * that starts `shutdown` itself.
 *
 * @example
 * ```ts
 * import { NodeShutdown } from "@cmwq/platform-node"
 * import { Effect } from "effect"
 *
 * const stillAccepting = Effect.map(NodeShutdown.Shutdown, (s) => s.accepting)
 * ```
 *
 * @since 0.1.0
 * @category models
 */
export interface Shutdown {
  readonly [TypeId]: TypeId
  /** false once the shutdown has begun */
  readonly accepting: boolean
}

/**
 * @example
 * ```ts
 * import { NodeShutdown } from "@cmwq/platform-node"
 *
 * NodeShutdown.TypeId in NodeShutdown.make() // true
 * ```
 *
 * @since 0.1.0
 * @category symbols
 */
export const TypeId: unique symbol = Symbol.for("@cmwq/platform-node/NodeShutdown")

/**
 * @example
 * ```ts
 * import type { NodeShutdown } from "@cmwq/platform-node"
 *
 * declare const id: NodeShutdown.TypeId
 * ```
 *
 * @since 0.1.0
 * @category symbols
 */
export type TypeId = typeof TypeId

interface Registered {
  readonly wq: Workqueue.Workqueue
  readonly pools: WorkerPool.WorkerPools
  readonly tracked: Set<Work.Work>
  pruneAt: number
}

class ShutdownImpl implements Shutdown {
  readonly [TypeId]: TypeId = TypeId
  accepting = true
  readonly registered = new Map<Workqueue.Workqueue, Registered>()
  report: Report | undefined = undefined
  running: Report["reason"] | undefined = undefined
}

const impl = (s: Shutdown): ShutdownImpl => s as ShutdownImpl

/**
 * The shutdown service tag.
 *
 * @example
 * ```ts
 * import { NodeShutdown } from "@cmwq/platform-node"
 * import { Effect } from "effect"
 *
 * const program = Effect.provideService(Effect.map(NodeShutdown.Shutdown, (s) => s.accepting), NodeShutdown.Shutdown, NodeShutdown.make())
 * ```
 *
 * @since 0.1.0
 * @category tags
 */
export const Shutdown: Context.Tag<Shutdown, Shutdown> = Context.GenericTag<Shutdown>("@cmwq/platform-node/Shutdown")

/**
 * A new shutdown service (what `runMain` provides), for tests and programs
 * that call `shutdown` themselves.
 *
 * @example
 * ```ts
 * import { NodeShutdown } from "@cmwq/platform-node"
 * import { Effect } from "effect"
 *
 * const program = Effect.flatMap(NodeShutdown.shutdown(), (report) => Effect.log(report.exitCode))
 * Effect.runPromise(Effect.provideService(program, NodeShutdown.Shutdown, NodeShutdown.make()))
 * ```
 *
 * @since 0.1.0
 * @category constructors
 */
export const make = (): Shutdown => new ShutdownImpl()

/**
 * Drain (or, if `FREEZABLE`, freeze) `wq` on shutdown.
 *
 * @example
 * ```ts
 * import { NodeShutdown } from "@cmwq/platform-node"
 * import { Workqueue } from "@cmwq/core"
 * import { Effect } from "effect"
 *
 * const wq = Effect.tap(Workqueue.alloc("io"), NodeShutdown.register)
 * ```
 *
 * @since 0.1.0
 * @category combinators
 */
export const register = (wq: Workqueue.Workqueue): Effect.Effect<void, never, Shutdown | WorkerPool.WorkerPools> =>
  Effect.gen(function*() {
    const state = impl(yield* Shutdown)
    const pools = yield* WorkerPool.WorkerPools
    if (!state.registered.has(wq)) state.registered.set(wq, { wq, pools, tracked: new Set(), pruneAt: 64 })
  })

/**
 * `Workqueue.alloc`, registered for shutdown.
 *
 * @example
 * ```ts
 * import { NodeShutdown } from "@cmwq/platform-node"
 *
 * const batch = NodeShutdown.alloc("batch", { flags: ["FREEZABLE"], maxActive: 4 })
 * ```
 *
 * @since 0.1.0
 * @category constructors
 */
export const alloc = (
  name: string,
  options?: Workqueue.Options
): Effect.Effect<
  Workqueue.Workqueue,
  WorkqueueError.InvalidMaxActive | WorkqueueError.InvalidFlags | WorkqueueError.InvalidOperation,
  Shutdown | WorkerPool.WorkerPools | Scope.Scope
> => Effect.tap(Workqueue.alloc(name, options), register)

/**
 * `Workqueue.allocOrdered`, registered for shutdown.
 *
 * @example
 * ```ts
 * import { NodeShutdown } from "@cmwq/platform-node"
 *
 * const log = NodeShutdown.allocOrdered("log")
 * ```
 *
 * @since 0.1.0
 * @category constructors
 */
export const allocOrdered = (
  name: string,
  options?: { readonly flags?: ReadonlyArray<Workqueue.Flag> | undefined }
): Effect.Effect<
  Workqueue.Workqueue,
  WorkqueueError.InvalidMaxActive | WorkqueueError.InvalidFlags,
  Shutdown | WorkerPool.WorkerPools | Scope.Scope
> => Effect.tap(Workqueue.allocOrdered(name, options), register)

const nameOf = (work: Work.Work) => work.name ?? "<unnamed>"

/**
 * `Workqueue.queue`, refused with `ShuttingDown` once the shutdown has begun
 * (except from inside a workqueue item: accepted work may queue its
 * follow-up). The item is tracked by name until it finishes, so that the
 * shutdown report can name it if it does not. `wq` is registered if it was
 * not.
 *
 * @example
 * ```ts
 * import { NodeShutdown } from "@cmwq/platform-node"
 * import { Work, Workqueue } from "@cmwq/core"
 * import { Effect } from "effect"
 *
 * const producer = Effect.gen(function*() {
 *   const wq = yield* Workqueue.alloc("io")
 *   for (let i = 0; ; i++) {
 *     yield* NodeShutdown.queue(wq, Work.make(Effect.sleep("10 millis"), { name: `job-${i}` }))
 *   }
 * }).pipe(Effect.catchTag("ShuttingDown", () => Effect.void))
 * ```
 *
 * @since 0.1.0
 * @category combinators
 */
export const queue = (
  wq: Workqueue.Workqueue,
  work: Work.Work
): Effect.Effect<
  boolean,
  ShuttingDown | Workqueue.QueueError,
  Shutdown | WorkerPool.WorkerPools
> =>
  Effect.gen(function*() {
    const state = impl(yield* Shutdown)
    if (!state.accepting && Option.isNone(yield* Work.current)) {
      return yield* new ShuttingDown({ workqueue: wq.name, work: nameOf(work) })
    }
    yield* register(wq)
    const entry = state.registered.get(wq)!
    const queued = yield* Workqueue.queue(wq, work)
    if (queued) {
      entry.tracked.add(work)
      if (entry.tracked.size >= entry.pruneAt) {
        // amortized O(1): forget finished items when the set has doubled
        for (const w of entry.tracked) {
          const busy = yield* Work.busy(w)
          if (!busy.pending && !busy.running) entry.tracked.delete(w)
        }
        entry.pruneAt = Math.max(64, entry.tracked.size * 2)
      }
    }
    return queued
  })

const isFreezable = (wq: Workqueue.Workqueue) => Workqueue.flags(wq).includes("FREEZABLE")

/**
 * The stragglers now: the one place that decides what was left unfinished,
 * used by the drain's report and by the second signal's listener (so it is
 * synchronous underneath). Everything else in this module sees only its
 * result, so a drain in core that names its own stragglers (a typed error
 * listing them) can replace the body of this function alone.
 */
const stragglersOf = (state: ShutdownImpl): Effect.Effect<{
  readonly stragglers: ReadonlyArray<Straggler>
  readonly untracked: ReadonlyArray<{ readonly workqueue: string; readonly running: number; readonly queued: number }>
}> =>
  Effect.gen(function*() {
    const stragglers: Array<Straggler> = []
    const untracked: Array<{ workqueue: string; running: number; queued: number }> = []
    for (const entry of state.registered.values()) {
      const frozen = isFreezable(entry.wq)
      let running = 0
      let queued = 0
      for (const work of entry.tracked) {
        const busy = yield* Work.busy(work)
        if (busy.running) {
          running++
          stragglers.push({ workqueue: entry.wq.name, work: nameOf(work), state: "running" })
        } else if (busy.pending) {
          queued++
          stragglers.push({ workqueue: entry.wq.name, work: nameOf(work), state: frozen ? "held" : "queued" })
        } else {
          entry.tracked.delete(work)
        }
      }
      if (Workqueue.isDestroyed(entry.wq)) continue
      const stats = yield* Workqueue.stats(entry.wq)
      const pending = yield* Workqueue.pendingCount(entry.wq)
      const otherRunning = Math.max(0, stats.running - running)
      const otherQueued = Math.max(0, pending - stats.running - queued)
      if (otherRunning + otherQueued > 0) {
        untracked.push({ workqueue: entry.wq.name, running: otherRunning, queued: otherQueued })
      }
    }
    return { stragglers, untracked }
  })

const resolveTimeout = (options: Options): number => {
  const input = options.drainTimeout ?? "10 seconds"
  const ms = Duration.toMillis(Duration.decode(input))
  if (!Number.isFinite(ms) || ms < 0 || (typeof input === "number" && !(input >= 0))) {
    throw new InvalidShutdownOptions({
      option: "drainTimeout",
      value: String(input),
      reason: "a finite duration, 0 or more"
    })
  }
  return ms
}

/**
 * Render a report for a terminal or a log.
 *
 * @example
 * ```ts
 * import { NodeShutdown } from "@cmwq/platform-node"
 * import { Effect } from "effect"
 *
 * const logged = Effect.flatMap(NodeShutdown.shutdown(), (r) => Effect.log(NodeShutdown.formatReport(r)))
 * ```
 *
 * @since 0.1.0
 * @category formatting
 */
export const formatReport = (report: Report): string => {
  const lines = [
    `shutdown (${report.reason}) ${report.forced ? "forced" : report.timedOut ? "timed out" : "done"} after ${
      report.elapsedMs.toFixed(0)
    } ms: exit ${report.exitCode}`,
    `  drained: ${report.drained.join(", ") || "-"}`,
    `  frozen: ${report.frozen.join(", ") || "-"}`
  ]
  for (const s of report.stragglers) lines.push(`  straggler: ${s.workqueue}: ${s.work} (${s.state})`)
  for (const u of report.untracked) {
    lines.push(
      `  straggler: ${u.workqueue}: ${u.running} running, ${u.queued} queued (not queued through NodeShutdown.queue)`
    )
  }
  return lines.join("\n")
}

const exitCodeOf = (stragglers: number, forced: number | undefined) =>
  forced !== undefined ? ExitCode.forced + forced : stragglers > 0 ? ExitCode.stragglers : ExitCode.clean

/**
 * Shut down now: stop accepting work, freeze the freezable workqueues, drain
 * the others within `drainTimeout`, and report (the steps of the module
 * documentation, without exiting). Running it twice returns the first
 * report. Fails with `InvalidShutdownOptions` for a bad `drainTimeout`.
 *
 * @example
 * ```ts
 * import { NodeShutdown } from "@cmwq/platform-node"
 * import { Effect } from "effect"
 *
 * const report = NodeShutdown.shutdown({ drainTimeout: "2 seconds" })
 * ```
 *
 * @since 0.1.0
 * @category combinators
 */
export const shutdown = (options: Options = {}): Effect.Effect<Report, InvalidShutdownOptions, Shutdown> =>
  Effect.flatMap(Shutdown, (s) => run(impl(s), options, "shutdown"))

const run = (
  state: ShutdownImpl,
  options: Options,
  reason: Report["reason"]
): Effect.Effect<Report, InvalidShutdownOptions> =>
  Effect.gen(function*() {
    if (state.report !== undefined) return state.report
    const timeoutMs = yield* Effect.try({
      try: () => resolveTimeout(options),
      catch: (e) => e as InvalidShutdownOptions
    })
    const started = performance.now()
    state.accepting = false
    state.running = reason
    const entries = [...state.registered.values()].filter((e) => !Workqueue.isDestroyed(e.wq))
    const frozen = entries.filter((e) => isFreezable(e.wq))
    const others = entries.filter((e) => !isFreezable(e.wq))
    const allPools = new Set(entries.map((e) => e.pools))
    for (const pools of allPools) yield* Effect.provideService(Freezer.freeze, WorkerPool.WorkerPools, pools)
    const drained: Array<string> = []
    const settleFrozen = Effect.forEach(allPools, (pools) => {
      const busy = Effect.provideService(Freezer.isBusy, WorkerPool.WorkerPools, pools)
      return Effect.repeat(busy, { while: (b) => b, schedule: Schedule.spaced("10 millis") })
    }, { discard: true })
    const drainAll = Effect.forEach(
      others,
      (e) => Effect.tap(Effect.ignore(Workqueue.drain(e.wq)), () => Effect.sync(() => drained.push(e.wq.name))),
      { concurrency: "unbounded", discard: true }
    )
    // runMain's interruption brings us here inside an uninterruptible region (an
    // onInterrupt finalizer): the wait must be interruptible for the timeout to
    // stop it, and disconnected so as not to wait for the drains to wind down
    const waitAll = Effect.interruptible(
      Effect.disconnect(Effect.all([drainAll, settleFrozen], { concurrency: 2, discard: true }))
    )
    const done = yield* Effect.timeout(waitAll, timeoutMs)
      .pipe(Effect.as(true), Effect.catchTag("TimeoutException", () => Effect.succeed(false)))
    const { stragglers, untracked } = yield* stragglersOf(state)
    const count = stragglers.length + untracked.reduce((n, u) => n + u.running + u.queued, 0)
    const report: Report = {
      reason,
      timedOut: !done,
      forced: false,
      elapsedMs: performance.now() - started,
      drained,
      frozen: frozen.map((e) => e.wq.name),
      stragglers,
      untracked,
      exitCode: exitCodeOf(count, undefined)
    }
    state.report = report
    yield* (options.onReport ?? defaultReport)(report)
    return report
  })

const defaultReport = (report: Report): Effect.Effect<void> =>
  report.exitCode === ExitCode.clean ? Effect.log(formatReport(report)) : Effect.logWarning(formatReport(report))

/** the second signal: report what is unfinished, synchronously, and exit */
const forceExit = (state: ShutdownImpl, options: Options, signal: NodeJS.Signals) => {
  // if the engine cannot be read synchronously now, the report still goes out, with nothing listed
  let left: Effect.Effect.Success<ReturnType<typeof stragglersOf>> = { stragglers: [], untracked: [] }
  try {
    left = Effect.runSync(stragglersOf(state))
  } catch {
    // keep the empty lists
  }
  const report: Report = {
    reason: state.running ?? "shutdown",
    timedOut: false,
    forced: true,
    elapsedMs: 0,
    drained: [],
    frozen: [],
    stragglers: left.stragglers,
    untracked: left.untracked,
    exitCode: exitCodeOf(0, constants.signals[signal])
  }
  try {
    ;(options.onForcedReport ?? ((r) => process.stderr.write(`${formatReport(r)}\n`)))(report)
  } finally {
    process.exit(report.exitCode)
  }
}

/**
 * Run `main` as the process's main program (`NodeRuntime.runMain`), with a
 * graceful shutdown on SIGINT and SIGTERM (see the module documentation).
 * `main` gets the `Shutdown` service. It runs in a fiber of its own that the
 * signal does not interrupt: its scopes (its workqueues, its pools) stay open
 * while the drain runs, and close after it when nothing is left over. Give
 * it its pools and scope as the module's example does (`Effect.scoped`
 * inside `Effect.provide(WorkerPool.layer())`), so that the workqueues close
 * before the pools.
 *
 * @example
 * ```ts
 * import { NodeShutdown } from "@cmwq/platform-node"
 * import { Work, WorkerPool } from "@cmwq/core"
 * import { Effect } from "effect"
 *
 * const main = Effect.gen(function*() {
 *   const io = yield* NodeShutdown.alloc("io", { maxActive: 16 })
 *   for (let i = 0; ; i++) {
 *     yield* NodeShutdown.queue(io, Work.make(Effect.sleep("50 millis"), { name: `request-${i}` }))
 *     yield* Effect.sleep("5 millis")
 *   }
 * }).pipe(Effect.catchTag("ShuttingDown", () => Effect.never), Effect.scoped, Effect.provide(WorkerPool.layer()))
 *
 * NodeShutdown.runMain(main, { drainTimeout: "5 seconds" })
 * ```
 *
 * @since 0.1.0
 * @category running
 */
export const runMain = <A, E>(main: Effect.Effect<A, E, Shutdown>, options: Options = {}): void => {
  resolveTimeout(options) // throws InvalidShutdownOptions before anything starts
  const state = new ShutdownImpl()
  let stragglerExit: number | undefined
  let signal: "SIGINT" | "SIGTERM" = "SIGINT"
  const onSignal = (s: NodeJS.Signals) => {
    if (s === "SIGTERM") signal = "SIGTERM"
  }
  // which signal it was (runMain does not say); this listener never acts on its own
  process.once("SIGINT", onSignal)
  process.once("SIGTERM", onSignal)
  const program = Effect.gen(function*() {
    const fiber = yield* Effect.forkDaemon(Effect.provideService(main, Shutdown, state))
    return yield* Fiber.join(fiber).pipe(
      Effect.onInterrupt(() =>
        Effect.gen(function*() {
          const force = (s: NodeJS.Signals) => forceExit(state, options, s)
          process.once("SIGINT", force)
          process.once("SIGTERM", force)
          const report = yield* Effect.orDie(run(state, options, signal))
          if (report.exitCode === ExitCode.clean) {
            // nothing left: close the program's scope (destroy the workqueues, stop the pools)
            yield* Effect.timeout(
              Effect.interruptible(Effect.disconnect(Fiber.interrupt(fiber))),
              Math.max(1000, resolveTimeout(options))
            )
              .pipe(Effect.ignore)
          } else {
            stragglerExit = report.exitCode
            yield* Fiber.interruptFork(fiber)
          }
          process.removeListener("SIGINT", force)
          process.removeListener("SIGTERM", force)
        })
      ),
      Effect.ensuring(Effect.sync(() => {
        process.removeListener("SIGINT", onSignal)
        process.removeListener("SIGTERM", onSignal)
      }))
    )
  })
  NodeRuntime.runMain(program, {
    disableErrorReporting: options.disableErrorReporting,
    disablePrettyLogger: options.disablePrettyLogger,
    teardown: (exit, onExit) => {
      if (stragglerExit !== undefined) onExit(stragglerExit)
      else defaultTeardown(exit, onExit)
    }
  })
}
