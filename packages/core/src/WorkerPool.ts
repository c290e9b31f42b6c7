/**
 * The shared worker pools: for each logical CPU a normal pool and a
 * high-priority pool (plus unbound pools keyed by attributes), served by
 * worker fibers that the pools own. Every bound workqueue on a CPU shares
 * that CPU's pools; none has threads of its own.
 *
 * Concurrency management: a pool counts its running workers. As long as one
 * runs, it starts no other; when the last running worker blocks on async and
 * work is pending, it wakes (or creates) another by the next macrotask
 * (unless the blocked one is running again by then), so the CPU never sits
 * idle while work waits. A worker that finishes an item without
 * blocking takes the next one itself, so CPU-bound items run one after
 * another on one worker. Idle workers are kept, then reaped after
 * `idleTimeout` (kernel `too_many_workers`: 2 idle plus a quarter of the busy
 * ones always stay).
 *
 * Event-loop fairness: on one JS thread nothing preempts a worker. A worker
 * that has kept the thread for `fairnessBudget` hands it back to the event
 * loop (a macrotask) before its next item, so timers and I/O keep turning
 * under any load; that hand-back does not count as blocking.
 *
 * See docs/concepts/concurrency-management.md.
 *
 * @since 0.1.0
 */
import type * as Context from "effect/Context"
import type * as Duration from "effect/Duration"
import type * as Effect from "effect/Effect"
import type * as FiberRef from "effect/FiberRef"
import { dual } from "effect/Function"
import * as Layer from "effect/Layer"
import type * as Option from "effect/Option"
import type * as Scope from "effect/Scope"
import type { PoolEvent } from "./internal/events.js"
import {
  currentPlatform as currentPlatformRef,
  type PoolsImpl,
  WorkerPoolsTag,
  WorkerPoolsTypeId
} from "./internal/pools.js"
import * as internal from "./internal/workerPool.js"
import type { Policy } from "./Policy.js"
import type { Recorder } from "./Recorder.js"
import type { InvalidCpu, InvalidPoolOptions } from "./WorkqueueError.js"

/**
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { WorkerPool } from "@cmwq/core"
 *
 * const branded = Effect.map(WorkerPool.WorkerPools, (pools) => WorkerPool.TypeId in pools) // true
 * ```
 *
 * @since 0.1.0
 * @category symbols
 */
export const TypeId: typeof WorkerPoolsTypeId = WorkerPoolsTypeId

/**
 * @since 0.1.0
 * @category symbols
 */
export type TypeId = typeof TypeId

/**
 * The pools service: what `Workqueue.alloc` needs.
 *
 * @since 0.1.0
 * @category models
 */
export interface WorkerPools {
  readonly [TypeId]: TypeId
  /** the number of logical CPUs (each has a normal and a high-priority pool) */
  readonly cpus: number
}

/**
 * The pools service tag.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { WorkerPool } from "@cmwq/core"
 *
 * const program = Effect.gen(function*() {
 *   const pools = yield* WorkerPool.WorkerPools
 *   yield* Effect.log(WorkerPool.unsafeSnapshot(pools).length)
 * }).pipe(Effect.provide(WorkerPool.layer({ cpus: 2 })))
 * ```
 *
 * @since 0.1.0
 * @category tags
 */
export const WorkerPools: Context.Tag<WorkerPools, WorkerPools> = WorkerPoolsTag as unknown as Context.Tag<
  WorkerPools,
  WorkerPools
>

/**
 * What the engine reports to an observer: a failed work item, a refused queue
 * attempt, a mayday, a CPU hog, a watchdog stall, a flush dependency warning.
 * Switch on `_tag`.
 *
 * @since 0.1.0
 * @category models
 */
export type Event = PoolEvent

/**
 * A clock and a macrotask: how the engine measures the fairness budget and
 * hands the JS thread back to the event loop. The default uses
 * `performance.now()` and `setImmediate` (or `setTimeout(0)` where there is
 * no `setImmediate`). The simulation in `@cmwq/testing` replaces it.
 *
 * @since 0.1.0
 * @category models
 */
export interface Platform {
  readonly now: () => number
  readonly macrotask: (callback: () => void) => void
}

/**
 * The platform pools are built with when their options give none (default:
 * `performance.now()` and `setImmediate`). `VirtualTime.run` of
 * `@cmwq/testing` sets it to its virtual clock and scheduler, so pools built
 * under virtual time with default options hand the thread back in virtual
 * time instead of waiting for an event loop that never turns.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { WorkerPool } from "@cmwq/core"
 *
 * let ticks = 0
 * const manual: WorkerPool.Platform = { now: () => ticks, macrotask: (f) => queueMicrotask(f) }
 * const pools = WorkerPool.make().pipe(Effect.locally(WorkerPool.currentPlatform, manual))
 * ```
 *
 * @since 0.1.0
 * @category platform
 */
export const currentPlatform: FiberRef.FiberRef<Platform> = currentPlatformRef

/**
 * Options of `layer`. Every tunable defaults to the kernel's value.
 *
 * @since 0.1.0
 * @category models
 */
export interface Options {
  /** logical CPUs; each gets a normal and a high-priority pool, and two BH pools (default 1: one JS thread is one CPU) */
  readonly cpus?: number | undefined
  /** kernel IDLE_WORKER_TIMEOUT: idle workers above the floor are reaped after this (default 5 minutes) */
  readonly idleTimeout?: Duration.DurationInput | undefined
  /** hand the JS thread back to the event loop after this much continuous running (default 2 ms; 0 disables) */
  readonly fairnessBudget?: Duration.DurationInput | undefined
  /** kernel wq_cpu_intensive_thresh_us: an item holding the thread this long is CPU-intensive for the rest of its run (default 10 ms; 0 disables) */
  readonly cpuIntensiveThreshold?: Duration.DurationInput | undefined
  /** kernel MAYDAY_INITIAL_TIMEOUT (default 10 ms) */
  readonly maydayInitialTimeout?: Duration.DurationInput | undefined
  /** kernel MAYDAY_INTERVAL (default 100 ms) */
  readonly maydayInterval?: Duration.DurationInput | undefined
  /** kernel CREATE_COOLDOWN: the manager's rest after a failed worker creation (default 1 s) */
  readonly createCooldown?: Duration.DurationInput | undefined
  /** kernel wq_watchdog_thresh (default 30 s; 0 disables) */
  readonly watchdogThreshold?: Duration.DurationInput | undefined
  /** kernel workqueue.power_efficient: POWER_EFFICIENT workqueues become unbound (default false) */
  readonly powerEfficient?: boolean | undefined
  /**
   * lockdep-style dependency checking: record "a running item W of workqueue A
   * waits for B" edges from A and from W (B a workqueue: flush, drain, epoch
   * await, `run`; B an item: `Work.flush`, `cancelSync`, `disableSync`; and
   * the item's workqueue where the kernel annotates it), and report the first
   * cycle as a `DependencyCycle` event and a warning, even if no deadlock
   * happened (default false; `@cmwq/testing`'s Simulation turns it on). The
   * graph keeps every item it has seen: for tests and debugging, not for
   * long runs
   */
  readonly dependencyChecks?: boolean | undefined
  /** kernel workqueue.default_affinity_scope: how unbound workqueues with scope "default" split their pools (default "cache") */
  readonly defaultAffinityScope?: "cpu" | "smt" | "cache" | "numa" | "system" | undefined
  /**
   * The logical CPUs' topology, for unbound affinity scopes: groups of CPUs
   * that share an SMT core, a cache, a NUMA node. By default each CPU is its
   * own core and all CPUs share one cache and one node.
   */
  readonly topology?: {
    readonly smt?: ReadonlyArray<ReadonlyArray<number>> | undefined
    readonly cache?: ReadonlyArray<ReadonlyArray<number>> | undefined
    readonly numa?: ReadonlyArray<ReadonlyArray<number>> | undefined
  } | undefined
  /** called synchronously for every engine event (keep it cheap) */
  readonly observer?: ((event: Event) => void) | undefined
  /**
   * record every item's queue, start, sleep, wake and finish (and its
   * CPU-intensive mark) into this bounded recorder (`Recorder.make`); export
   * the recording and replay it under `@cmwq/testing` (default: none)
   */
  readonly recorder?: Recorder | undefined
  /** the queueing policy (default: the kernel's) */
  readonly policy?: Policy | undefined
  /** the clock and macrotask used for event-loop fairness and CPU time (default: `currentPlatform`, which is performance.now and setImmediate outside virtual time) */
  readonly platform?: Platform | undefined
  /**
   * The worker-creation service (kernel `create_worker`): asked each time a
   * pool's manager needs a worker; `false` means creation failed (the manager
   * retries after `createCooldown`), and the effect may take time (a stall).
   * Tests make memory pressure with it; the default always succeeds at once.
   * Each pool's first worker is created without it, as at boot (for an
   * unbound pool: when its attributes first appear). See
   * docs/concepts/forward-progress.md.
   */
  readonly workerCreation?:
    | ((pool: { readonly name: string; readonly cpu: number }) => Effect.Effect<boolean>)
    | undefined
}

/**
 * Build the pools (scoped): the per-CPU pools with one idle worker each. When
 * the scope closes, every worker and timer is interrupted; close workqueues
 * first (a `Workqueue.alloc` in the same scope does, as finalizers run in
 * reverse order).
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { WorkerPool, Workqueue } from "@cmwq/core"
 *
 * const program = Effect.gen(function*() {
 *   const pools = yield* WorkerPool.make({ cpus: 2 }) // shut down with the scope
 *   const wq = yield* Workqueue.alloc("events").pipe(Effect.provideService(WorkerPool.WorkerPools, pools))
 * }).pipe(Effect.scoped)
 * ```
 *
 * @since 0.1.0
 * @category constructors
 */
export const make = (options: Options = {}): Effect.Effect<WorkerPools, InvalidPoolOptions, Scope.Scope> =>
  internal.make(options)

/**
 * The pools as a layer.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { Work, Workqueue, WorkerPool } from "@cmwq/core"
 *
 * const program = Effect.gen(function*() {
 *   const wq = yield* Workqueue.alloc("example")
 *   yield* Workqueue.queue(wq, Work.make(Effect.log("hello from a worker")))
 *   yield* Workqueue.flush(wq)
 * })
 *
 * Effect.runPromise(program.pipe(Effect.scoped, Effect.provide(WorkerPool.layer({ cpus: 2 }))))
 * ```
 *
 * @since 0.1.0
 * @category layers
 */
export const layer = (options: Options = {}): Layer.Layer<WorkerPools, InvalidPoolOptions> =>
  Layer.scoped(WorkerPools, make(options))

/**
 * Run `effect` as if on logical CPU `cpu`: work it queues without naming a
 * CPU goes to that CPU's pools (kernel: the issuing CPU). Inside a worker the
 * worker's own CPU wins, as in the kernel.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { Work, Workqueue, WorkerPool } from "@cmwq/core"
 *
 * const onCpu1 = (wq: Workqueue.Workqueue) =>
 *   Workqueue.queue(wq, Work.make(Effect.log("goes to CPU 1's pool"))).pipe(WorkerPool.withCpu(1))
 * ```
 *
 * @since 0.1.0
 * @category combinators
 */
export const withCpu: {
  (cpu: number): <A, E, R>(effect: Effect.Effect<A, E, R>) => Effect.Effect<A, E | InvalidCpu, R | WorkerPools>
  <A, E, R>(effect: Effect.Effect<A, E, R>, cpu: number): Effect.Effect<A, E | InvalidCpu, R | WorkerPools>
} = dual(
  2,
  <A, E, R>(effect: Effect.Effect<A, E, R>, cpu: number): Effect.Effect<A, E | InvalidCpu, R | WorkerPools> =>
    internal.withCpu(effect, cpu) as Effect.Effect<A, E | InvalidCpu, R | WorkerPools>
)

/**
 * The logical CPU the current fiber runs on: a worker's pool CPU, else the
 * CPU set by `withCpu` (default 0).
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { Work, WorkerPool } from "@cmwq/core"
 *
 * const whereAmI = Work.make(Effect.flatMap(WorkerPool.currentCpuNumber, (cpu) => Effect.log(`on CPU ${cpu}`)))
 * ```
 *
 * @since 0.1.0
 * @category getters
 */
export const currentCpuNumber: Effect.Effect<number, never, WorkerPools> = internal.currentCpuNumber

/**
 * Run `effect` on the current worker without counting its suspensions as
 * blocking: the worker stays in the pool's running count, as a task waiting
 * for its CPU does. The simulation uses it for `burn`; production code has
 * little reason to. Outside a worker it just runs `effect`.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { Work, WorkerPool } from "@cmwq/core"
 *
 * // a simulated CPU burst: the worker keeps counting as running while it waits
 * const burn = Work.make(WorkerPool.unsafeRunnable(Effect.sleep("5 millis")), { name: "burn" })
 * ```
 *
 * @since 0.1.0
 * @category unsafe
 */
export const unsafeRunnable: <A, E, R>(effect: Effect.Effect<A, E, R>) => Effect.Effect<A, E, R> =
  internal.unsafeRunnable

/**
 * A pool's state at one moment (kernel `wq_dump.py`'s pool lines).
 *
 * @since 0.1.0
 * @category models
 */
export interface PoolSnapshot {
  readonly id: number
  readonly name: string
  /** the CPU, or -1 for an unbound pool */
  readonly cpu: number
  readonly highpri: boolean
  readonly bh: boolean
  readonly workers: number
  readonly idle: number
  readonly running: number
  /** items on the worklist (active, not yet started) */
  readonly pending: number
  /** items being run */
  readonly busy: number
  /**
   * what each busy worker runs (kernel `wq_dump.py`'s busy workers): its name,
   * the workqueue, the item's name. `snapshot` always sets it; optional so
   * that snapshots made by hand (tests) need not.
   */
  readonly runningWork?: ReadonlyArray<{ readonly worker: string; readonly workqueue: string; readonly work: string }>
}

/**
 * Every pool's state (diagnostics; O(pending items)).
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { WorkerPool } from "@cmwq/core"
 *
 * const busiest = Effect.map(WorkerPool.snapshot, (pools) => [...pools].sort((a, b) => b.pending - a.pending)[0])
 * ```
 *
 * @since 0.1.0
 * @category getters
 */
export const snapshot: Effect.Effect<ReadonlyArray<PoolSnapshot>, never, WorkerPools> = internal
  .snapshot

/**
 * `snapshot` without an Effect (for invariant checks from outside a run).
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { WorkerPool } from "@cmwq/core"
 *
 * const workers = Effect.map(
 *   WorkerPool.WorkerPools,
 *   (pools) => WorkerPool.unsafeSnapshot(pools).reduce((n, pool) => n + pool.workers, 0)
 * )
 * ```
 *
 * @since 0.1.0
 * @category unsafe
 */
export const unsafeSnapshot = (pools: WorkerPools): ReadonlyArray<PoolSnapshot> =>
  internal.unsafeSnapshot(pools as unknown as PoolsImpl)

/**
 * A workqueue as the kernel's `/sys/bus/workqueue/devices/<name>` shows it.
 *
 * @since 0.1.0
 * @category models
 */
export interface SysfsEntry {
  readonly name: string
  readonly perCpu: boolean
  readonly maxActive: number
  readonly cpumask: ReadonlyArray<number> | undefined
  readonly affinityScope: string | undefined
  readonly affinityStrict: boolean | undefined
}

/**
 * The workqueues allocated with `SYSFS` (kernel `workqueue_sysfs_register`),
 * with their tunables; change them with `Workqueue.setMaxActive` and
 * `Workqueue.applyAttrs`.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { WorkerPool } from "@cmwq/core"
 *
 * const listing = Effect.map(WorkerPool.sysfs, (entries) => entries.map((e) => `${e.name} max_active=${e.maxActive}`))
 * ```
 *
 * @since 0.1.0
 * @category getters
 */
export const sysfs: Effect.Effect<ReadonlyArray<SysfsEntry>, never, WorkerPools> = internal
  .sysfsEntries

/**
 * Who a worker is (kernel `kworker/<cpu>:<id>[H]`, `kworker/u<pool>:<id>`).
 *
 * @since 0.1.0
 * @category models
 */
export interface WorkerInfo {
  /** unique among the workers of one `WorkerPools` */
  readonly id: number
  /** the kernel-style name, e.g. `kworker/0:1H` */
  readonly name: string
  /** the pool's id (as in `snapshot`) */
  readonly pool: number
  /** the pool's CPU, or -1 for an unbound pool */
  readonly cpu: number
}

/**
 * The worker the current fiber is (kernel `current_wq_worker`), or none
 * outside workers. Fibers a work item forks are not workers.
 *
 * @example
 * ```ts
 * import { Effect, Option } from "effect"
 * import { Work, WorkerPool } from "@cmwq/core"
 *
 * const tagged = Work.make(
 *   Effect.gen(function*() {
 *     const worker = yield* WorkerPool.currentWorker
 *     yield* Effect.log(Option.match(worker, { onNone: () => "no worker", onSome: (w) => `worker ${w.name}` }))
 *   })
 * )
 * ```
 *
 * @since 0.1.0
 * @category getters
 */
export const currentWorker: Effect.Effect<Option.Option<WorkerInfo>> = internal.currentWorker
