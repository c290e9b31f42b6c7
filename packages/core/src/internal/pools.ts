/**
 * The pools service: everything the kernel keeps in globals. Per-CPU pools
 * (normal and highpri, plus BH), the unbound pool table, the list of
 * workqueues, the runtime worker fibers run on, timers on Effect's `Clock`,
 * the event-loop fairness budget, and the observer.
 *
 * Invariants:
 * - worker fibers run on `workerRuntime`, which carries the blocking detector;
 *   timers run on `runtime`, which does not;
 * - every timer is on one heap (`timers.ts`) with one driver fiber; the
 *   heap is emptied, and the driver and every worker fiber interrupted, when
 *   the service's scope closes (after the workqueues it served have been
 *   destroyed);
 * - the fairness slice is shared by all pools: they share the one JS thread;
 *   it starts once per turn of the event loop (the marker macrotask), and the
 *   fibers that handed the thread back are resumed together in that turn, so
 *   one turn runs about one budget of work however many of them resume.
 *
 * @internal
 */
import * as Cause from "effect/Cause"
import * as Context from "effect/Context"
import * as DefaultServices from "effect/DefaultServices"
import type * as Clock from "effect/Clock"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as LogLevel from "effect/LogLevel"
import * as Fiber from "effect/Fiber"
import * as FiberId from "effect/FiberId"
import * as FiberRef from "effect/FiberRef"
import * as FiberRefs from "effect/FiberRefs"
import * as Runtime from "effect/Runtime"
import * as Tracer from "effect/Tracer"
import * as C from "./constants.js"
import { bhContext, currentFiber, workerOf, workersByFiber } from "./current.js"
import * as Errors from "./errors.js"
import { errorType, PoolEvent } from "./events.js"
import * as Flags from "./flags.js"
import { nativeTracer } from "./item.js"
import type { PolicyImpl } from "./policy.js"
import { deferredKick, WorkerPoolImpl, workerRunning } from "./pool.js"
import { createWorker, type WorkerImpl } from "./worker.js"
import { PoolWorkqueueImpl, putPwq } from "./pwq.js"
import { maydayTimeout } from "./rescuer.js"
import { CallbackTimer, type Timer, TimerQueue } from "./timers.js"
import { startWatchdog } from "./watchdog.js"
import { FairScheduler } from "./scheduler.js"
import type { Options } from "../WorkerPool.js"
import type { UnboundAttrs, WorkqueueImpl } from "./workqueue.js"
import type { RecorderImpl } from "./recorder.js"
import { mutants } from "./mutants.js"

/** @internal symbol tagging the pools service (public `WorkerPool.TypeId`) */
export const WorkerPoolsTypeId: unique symbol = Symbol.for("@cmwq/core/WorkerPools")

/** @internal the pools service tag (public `WorkerPool.WorkerPools`) */
export const WorkerPoolsTag: Context.Tag<PoolsImpl, PoolsImpl> = Context.GenericTag<PoolsImpl>("@cmwq/core/WorkerPools")

/** @internal run `f` with the pools service */
export const poolsImpl = <A, E, R>(
  f: (pools: PoolsImpl) => Effect.Effect<A, E, R>
): Effect.Effect<A, E, R | PoolsImpl> => Effect.flatMap(WorkerPoolsTag, f)

/** @internal resolved configuration (all times in milliseconds) */
export interface PoolsConfig {
  readonly cpus: number
  readonly idleTimeoutMs: number
  readonly maxIdleWorkersRatio: number
  readonly maydayInitialTimeoutMs: number
  readonly maydayIntervalMs: number
  readonly createCooldownMs: number
  readonly cpuIntensiveThresholdMs: number
  readonly watchdogThresholdMs: number
  readonly fairnessBudgetMs: number
  readonly powerEfficient: boolean
  /** lockdep-style dependency checking (lockdep.ts) */
  readonly dependencyChecks: boolean
  readonly bhRestarts: number
  readonly bhBudgetMs: number
  readonly defaultAffinityScope: "cpu" | "smt" | "cache" | "numa" | "system"
  /** CPU groups for the smt, cache and numa affinity scopes */
  readonly topology: {
    readonly smt: ReadonlyArray<ReadonlyArray<number>>
    readonly cache: ReadonlyArray<ReadonlyArray<number>>
    readonly numa: ReadonlyArray<ReadonlyArray<number>>
  }
}

/** @internal what the platform provides: a monotonic clock and a macrotask (public `WorkerPool.Platform`) */
export interface PlatformImpl {
  readonly now: () => number
  readonly macrotask: (callback: () => void) => void
}

/** the host's `setImmediate`, where it has one (Node, Bun; not browsers) */
const setImmediateOf = (globalThis as { readonly setImmediate?: (callback: () => void) => unknown }).setImmediate

/** @internal the default platform: `performance.now()` and `setImmediate` (or `setTimeout(0)`) */
export const defaultPlatform: PlatformImpl = {
  now: () => performance.now(),
  macrotask: setImmediateOf !== undefined
    ? (callback) => {
      setImmediateOf(callback)
    }
    : (callback) => {
      setTimeout(callback, 0)
    }
}

/**
 * @internal the platform pools use when their options give none (public
 * `WorkerPool.currentPlatform`): `VirtualTime` sets it to its virtual clock
 * and scheduler, so the default fairness hand-back works under virtual time
 */
export const currentPlatform: FiberRef.FiberRef<PlatformImpl> = FiberRef.unsafeMake(defaultPlatform)

/** @internal the fiber-local "current CPU" of code that is not a worker (kernel `raw_smp_processor_id`) */
export const currentCpu: FiberRef.FiberRef<number> = FiberRef.unsafeMake(0)

/** @internal creates a worker for a pool; may fail (false) or take time (memory pressure in tests) */
export type WorkerFactory = (pool: WorkerPoolImpl) => Effect.Effect<boolean>

/** @internal a cancellable timer */
export type { Timer } from "./timers.js"

/** @internal the pools service implementation */
export class PoolsImpl {
  readonly [WorkerPoolsTypeId]: typeof WorkerPoolsTypeId = WorkerPoolsTypeId
  readonly cpuPools: Array<ReadonlyArray<WorkerPoolImpl>> = [] // I: per CPU: [normal, highpri, bh, bh-highpri]
  readonly unboundPools = new Map<string, WorkerPoolImpl>() // P: shared by attributes
  readonly dedicatedPools = new Map<WorkqueueImpl, Array<WorkerPoolImpl>>() // P: "dedicated" policies only
  readonly workqueues = new Set<WorkqueueImpl>() // P: live workqueues
  readonly timers: TimerQueue // P: every armed timer (delayed work, idle, mayday, watchdog), one driver fiber
  readonly allCpus: ReadonlyArray<number>
  nextWorkerId = 0 // P
  nextPoolId = 0 // P
  freezing = false // P: kernel workqueue_freezing
  shuttingDown = false // P
  histograms = false // P: record the duration histograms (`WorkqueueMetrics.recordDurations`); queueing then captures the time
  /** I: the worker fibers trace: their Tracer is not Effect's native one and tracing is on, so every run is a span (no fast path without a captured context) */
  readonly tracing: boolean
  sliceStart: number // P: platform millis of the last known event-loop turn
  markerPending = false // P: a macrotask that will refresh sliceStart is scheduled
  /**
   * P: resumptions of the fibers that handed the thread back (`yieldToEventLoop`),
   * run by the marker in its turn: fibers resumed in one turn share one slice, so a
   * turn holds the thread for about one budget however many of them resume at once
   */
  yielded: Array<() => void> = []
  /** I: the scheduler of worker fibers while the fairness budget is on (`scheduler.ts`), else Effect's */
  readonly scheduler: FairScheduler | null
  /** I: `workerRuntime` with `scheduler` as every worker fiber's scheduler from its start */
  readonly workerFiberRuntime: Runtime.Runtime<never>
  readonly warnedFlushDeps = new Set<string>() // P: WARN_ONCE for check_flush_dependency
  readonly warnedPolicies = new Set<string>() // P: once per policy and reason: PolicyMisbehaved
  factory: WorkerFactory // P: kernel create_worker through the worker-creation service
  readonly markerCallback: () => void
  readonly kickWorkers: Array<WorkerImpl> = [] // P: CM1a: workers whose sleep still owes its pool a kick, in sleep order
  readonly kickSeqs: Array<number> = [] // P: the sleepSeq of each of them when it went to sleep
  kickPending = false // P: a macrotask that runs the deferred kicks is scheduled
  readonly kickCallback: () => void
  watchdogTimer: Timer | null = null // P
  readonly touched: Array<number> // P: kernel wq_watchdog_touch stamps, per CPU (clock millis)
  recorder: RecorderImpl | null = null // I after construction: the `recorder` option (kernel workqueue tracepoints)
  touchedGlobal = -Infinity // P: for unbound pools

  constructor(
    readonly config: PoolsConfig,
    readonly policy: PolicyImpl,
    readonly platform: PlatformImpl,
    /** I: the runtime timers run on (the layer's context: its Clock, logger, scheduler) */
    readonly runtime: Runtime.Runtime<never>,
    /** I: the same runtime with the blocking detector installed, for worker fibers */
    readonly workerRuntime: Runtime.Runtime<never>,
    readonly clock: Clock.Clock,
    readonly observer: ((event: PoolEvent) => void) | undefined,
    workerCreation: ((pool: { readonly name: string; readonly cpu: number }) => Effect.Effect<boolean>) | undefined
  ) {
    this.timers = new TimerQueue(runtime, () => clock.unsafeCurrentTimeMillis())
    const services = FiberRefs.getOrDefault(workerRuntime.fiberRefs, DefaultServices.currentServices)
    this.tracing = FiberRefs.getOrDefault(workerRuntime.fiberRefs, FiberRef.currentTracerEnabled) &&
      Context.get(services, Tracer.Tracer) !== nativeTracer
    this.allCpus = Array.from({ length: config.cpus }, (_, i) => i)
    this.touched = this.allCpus.map(() => -Infinity)
    this.sliceStart = platform.now()
    this.factory = workerCreation === undefined
      ? (pool) =>
        Effect.sync(() => {
          createWorker(pool)
          return true
        })
      : (pool) =>
        Effect.map(workerCreation({ name: pool.name, cpu: pool.cpu }), (ok) => {
          if (ok) createWorker(pool)
          return ok
        })
    startWatchdog(this)
    this.scheduler = config.fairnessBudgetMs > 0
      ? new FairScheduler(
        FiberRefs.getOrDefault(workerRuntime.fiberRefs, FiberRef.currentScheduler),
        () => this.fairnessDue(this.platform.now()),
        (callback) => this.deferToNextTurn(callback),
        (fiber) => {
          // CM2 at the wakeup, not when the fiber gets its turn: a worker whose wait has
          // ended runs next, so no other worker is woken or created for it meanwhile
          const worker = workersByFiber.get(fiber)
          if (worker !== undefined && worker.sleeping) workerRunning(worker)
        }
      )
      : null
    // the scheduler is in the runtime each worker fiber starts from, not set by
    // `Effect.withScheduler` inside the fiber: that copies the fiber's FiberRefs and keeps
    // both copies while the worker lives (2.3 kB more per blocked worker, case 4), and the
    // fiber's first run went through Effect's scheduler, past the fairness budget
    this.workerFiberRuntime = this.scheduler === null
      ? workerRuntime
      : Runtime.setFiberRef(workerRuntime, FiberRef.currentScheduler, this.scheduler)
    this.markerCallback = () => {
      this.markerPending = false
      this.sliceStart = this.platform.now()
      // everything that handed the thread back since the last turn goes on now, in
      // one slice: each fiber resumed here checks the same `sliceStart`
      const yielded = this.yielded
      if (yielded.length === 0) return
      this.yielded = []
      for (let i = 0; i < yielded.length; i++) yielded[i]!()
    }
    this.kickCallback = () => {
      this.kickPending = false
      const workers = this.kickWorkers
      const seqs = this.kickSeqs
      // kicks deferred while these run join the arrays and are run in this same pass
      for (let i = 0; i < workers.length; i++) deferredKick(workers[i]!, seqs[i]!)
      workers.length = 0
      seqs.length = 0
    }
    for (let cpu = 0; cpu < config.cpus; cpu++) {
      this.cpuPools.push([
        this.newPool(cpu, false, false, "", [cpu]),
        this.newPool(cpu, true, false, "", [cpu]),
        this.newPool(cpu, false, true, "", [cpu]),
        this.newPool(cpu, true, true, "", [cpu])
      ])
    }
  }

  /** the number of logical CPUs (public `WorkerPools.cpus`) */
  get cpus(): number {
    return this.config.cpus
  }

  /** kernel `init_worker_pool` + the first `create_worker` */
  newPool(cpu: number, highpri: boolean, bh: boolean, key: string, cpumask: ReadonlyArray<number>): WorkerPoolImpl {
    const pool = new WorkerPoolImpl(this, this.nextPoolId++, cpu, highpri, bh, key, cpumask)
    createWorker(pool)
    return pool
  }

  /** the bound pool a per-cpu workqueue uses on `cpu` (or a dedicated one, for "dedicated" policies) */
  cpuPool(cpu: number, highpri: boolean, bh: boolean, wq: WorkqueueImpl): WorkerPoolImpl {
    if (this.policy.pools === "dedicated" && !bh) {
      let own = this.dedicatedPools.get(wq)
      if (own === undefined) {
        own = []
        this.dedicatedPools.set(wq, own)
      }
      const pool = this.newPool(cpu, highpri, false, `dedicated:${wq.name}`, [cpu])
      own.push(pool)
      return pool
    }
    return this.cpuPools[cpu]![(highpri ? 1 : 0) + (bh ? 2 : 0)]!
  }

  /**
   * A1–A2: link an unbound workqueue to its pool (kernel `apply_wqattrs_prepare` /
   * `commit`, with one pod: the whole cpumask). Ordered workqueues share one
   * pwq across CPUs.
   */
  installUnboundPwqs(wq: WorkqueueImpl, attrs: UnboundAttrs): void {
    // kernel apply_wqattrs_prepare: a default pwq over the effective cpumask, and one
    // pwq per pod (the CPU's pod under the affinity scope, within the cpumask)
    const wanted = attrs.cpumask.filter((cpu) => cpu >= 0 && cpu < this.config.cpus)
    const effective = wanted.length > 0 ? [...new Set(wanted)].sort((a, b) => a - b) : [...this.allCpus]
    const scope = attrs.affinityScope === "default" ? this.config.defaultAffinityScope : attrs.affinityScope
    // only the installed pwqs hold a base reference; older ones still draining do not
    const old = [...new Set(wq.dflPwq === null ? wq.cpuPwq : [...wq.cpuPwq, wq.dflPwq])]
    const byPool = new Map<WorkerPoolImpl, PoolWorkqueueImpl>()
    const pwqOver = (podCpus: ReadonlyArray<number>): PoolWorkqueueImpl => {
      const pool = this.getUnboundPool(attrs.highpri, attrs.affinityStrict, podCpus, effective, wq)
      const shared = byPool.get(pool)
      if (shared !== undefined) {
        this.putUnboundPool(pool) // one reference per pwq
        return shared
      }
      const pwq = new PoolWorkqueueImpl(wq, pool)
      // A1, kernel `link_pwq`: a new pwq takes the workqueue's current work color, so
      // what it is given is counted in the color the next flush takes (G13)
      if (!mutants.newPwqColorZero) pwq.workColor = wq.workColor
      byPool.set(pool, pwq)
      return pwq
    }
    const dfl = pwqOver(effective)
    const cpuPwq = this.allCpus.map((cpu) => {
      if (wq.ordered) return dfl // every CPU shares the default pwq: one order
      const pod = this.podOf(cpu, scope).filter((c) => effective.includes(c))
      return pwqOver(pod.length > 0 ? pod : effective)
    })
    // kernel apply_wqattrs_commit: an ordered workqueue's new pwq waits (plugged) until
    // every older pwq has drained, so no item queued later starts before an older one
    if (wq.ordered && old.length > 0) dfl.plugged = true
    wq.pwqs.push(...byPool.values())
    wq.dflPwq = dfl
    wq.cpuPwq = cpuPwq
    wq.unboundAttrs = { ...attrs, cpumask: effective }
    // drop the old pwqs' base references: each goes when its last item does
    for (const pwq of old) putPwq(pwq)
  }

  /** the CPUs of `cpu`'s pod under an affinity scope (kernel `wq_pod_types`) */
  podOf(cpu: number, scope: Exclude<UnboundAttrs["affinityScope"], "default">): ReadonlyArray<number> {
    if (scope === "cpu") return [cpu]
    if (scope === "system") return this.allCpus
    const groups = this.config.topology[scope]
    return groups.find((group) => group.includes(cpu)) ?? [cpu]
  }

  /**
   * kernel `get_unbound_pool`: pools are shared by equal attributes (nice,
   * strictness, pod cpumask, and the whole cpumask when not strict).
   */
  getUnboundPool(
    highpri: boolean,
    strict: boolean,
    podCpus: ReadonlyArray<number>,
    cpumask: ReadonlyArray<number>,
    wq: WorkqueueImpl
  ): WorkerPoolImpl {
    const pod = [...podCpus].sort((a, b) => a - b)
    const dedicated = this.policy.pools === "dedicated" ? `:${wq.name}` : ""
    const key = `${highpri ? -20 : 0}|${strict ? "strict" : cpumask.join(",")}|${pod.join(",")}${dedicated}`
    const existing = this.unboundPools.get(key)
    if (existing !== undefined) {
      existing.refcnt++
      return existing
    }
    const pool = this.newPool(-1, highpri, false, key, pod)
    this.unboundPools.set(key, pool)
    return pool
  }

  /** kernel `put_unbound_pool`: the last user releases the pool and its workers */
  putUnboundPool(pool: WorkerPoolImpl): void {
    if (--pool.refcnt > 0) return
    this.unboundPools.delete(pool.attrsKey)
    this.releasePool(pool)
  }

  /** stop a released pool's workers and timers */
  releasePool(pool: WorkerPoolImpl): void {
    pool.idleTimer?.cancel()
    pool.maydayTimer?.cancel()
    for (const worker of pool.workers) {
      worker.flags |= Flags.WORKER_DIE
      if (worker.fiber !== null) worker.fiber.unsafeInterruptAsFork(FiberId.none)
    }
    pool.workers.clear()
  }

  /** the current CPU of `worker`, or of the calling fiber */
  localCpu(worker: WorkerImpl | null, fiber = currentFiber()): number {
    if (worker !== null && worker.pool.cpu >= 0) return worker.pool.cpu
    if (fiber === undefined) return 0
    const cpu = fiber.getFiberRef(currentCpu)
    return cpu < this.config.cpus ? cpu : 0
  }

  /** the worker the current fiber is, if it is one */
  currentWorker(): WorkerImpl | null {
    const fiber = currentFiber()
    const worker = fiber !== undefined ? (workersByFiber.get(fiber) ?? bhContext.worker) : bhContext.worker
    return worker !== null && worker !== undefined && worker.pool.pools === this ? worker : null
  }

  workerOf(fiber: Fiber.RuntimeFiber<unknown, unknown>): WorkerImpl | null {
    const worker = workerOf(fiber)
    return worker !== undefined && worker.pool.pools === this ? worker : null
  }

  startWorkerFiber(worker: WorkerImpl, main: Effect.Effect<void>): void {
    // not immediate: the fiber must be registered before its first slice runs, and a
    // worker created by a manager must not run inside the manager's own slice
    const fiber = Runtime.runFork(this.workerFiberRuntime)(main, { immediate: false })
    worker.fiber = fiber
    workersByFiber.set(fiber, worker)
  }

  /** milliseconds on the pools' `Clock` (TestClock in tests) */
  clockNow(): number {
    return this.clock.unsafeCurrentTimeMillis()
  }

  /** `Effect.sleep` on the pools' clock */
  sleep(ms: number): Effect.Effect<void> {
    return Effect.sleep(Duration.millis(ms))
  }

  /** run `callback` after `ms` milliseconds of the pools' clock, unless cancelled */
  timer(ms: number, callback: () => void): Timer {
    // armed now, in call order (timers due at the same instant fire in the order they were armed)
    const timer = new CallbackTimer(this.timers, callback)
    this.timers.arm(timer, this.clockNow() + ms)
    return timer
  }

  /**
   * Has the JS thread been ours for longer than the fairness budget? Also makes
   * sure a marker macrotask is scheduled, which refreshes the slice start when
   * the event loop turns on its own.
   */
  fairnessDue(now: number): boolean {
    const budget = this.config.fairnessBudgetMs
    if (budget <= 0) return false
    if (!this.markerPending) {
      this.markerPending = true
      this.platform.macrotask(this.markerCallback)
    }
    return now - this.sliceStart >= budget
  }

  /**
   * CM1a: run the pool kick of a worker that just went to sleep after the current
   * microtask checkpoint (one macrotask for every kick deferred meanwhile)
   */
  deferKick(worker: WorkerImpl): void {
    this.kickWorkers.push(worker)
    this.kickSeqs.push(worker.sleepSeq)
    if (!this.kickPending) {
      this.kickPending = true
      this.platform.macrotask(this.kickCallback)
    }
  }

  /**
   * hand the JS thread back to the event loop; a worker stays running (not a
   * block); `null`: the caller is not a worker (`queueAll` from outside)
   */
  yieldToEventLoop(worker: WorkerImpl | null): Effect.Effect<void> {
    return Effect.async<void>((resume) => {
      if (worker !== null) worker.nonBlocking++
      this.deferToNextTurn(() => {
        if (worker !== null) worker.nonBlocking--
        resume(Effect.void)
      })
    })
  }

  /** run `callback` in the next turn the pools see (the marker's), in that turn's slice */
  deferToNextTurn(callback: () => void): void {
    this.yielded.push(callback)
    if (!this.markerPending) {
      this.markerPending = true
      this.platform.macrotask(this.markerCallback)
    }
  }

  emit(event: PoolEvent): void {
    if (this.observer !== undefined) this.observer(event)
  }

  /**
   * a work item failed: tell the observer, and log it at `level` (the
   * workqueue's `failureLogLevel`, ERROR by default); the caller counted it
   */
  reportFailure(
    workqueue: string,
    work: string,
    cause: Cause.Cause<unknown>,
    level: LogLevel.LogLevel = LogLevel.Error
  ): void {
    if (this.observer !== undefined)
      this.emit(PoolEvent.WorkFailed({ workqueue, work, cause, errorType: errorType(cause) }))
    if (level._tag === "None") return
    const interrupted = Cause.isInterruptedOnly(cause)
    Runtime.runFork(this.runtime)(
      Effect.logWithLevel(
        level,
        `workqueue ${workqueue}: ${work} ${interrupted ? "was interrupted" : "failed"}; its worker carries on`,
        cause
      )
    )
  }

  /** a policy's wrong `selectNext` pick: log the defect once per policy and reason (the pool served on) */
  policyMisbehaved(policy: string, pool: string, reason: string): void {
    const key = `${policy}\u0000${reason}`
    if (this.warnedPolicies.has(key)) return
    this.warnedPolicies.add(key)
    Runtime.runFork(this.runtime)(
      Effect.logError(Cause.die(new Errors.PolicyMisbehaved({ policy, pool, reason })))
    )
  }

  warnFlushDependency(flusher: string, target: string): void {
    const key = `${flusher}\u0000${target}`
    if (this.warnedFlushDeps.has(key)) return
    this.warnedFlushDeps.add(key)
    this.emit(PoolEvent.FlushDependency({ flusher, target }))
    Runtime.runFork(this.runtime)(
      Effect.logWarning(`workqueue: WQ_MEM_RECLAIM ${flusher} is flushing !WQ_MEM_RECLAIM ${target}`)
    )
  }

  /** kernel `pool_mayday_timeout` (see rescuer.ts) */
  maydayTimeout(pool: WorkerPoolImpl): void {
    maydayTimeout(this, pool)
  }

  /** every pool, bound and unbound */
  allPools(): Array<WorkerPoolImpl> {
    const out: Array<WorkerPoolImpl> = []
    for (const pools of this.cpuPools) out.push(...pools)
    for (const pools of this.dedicatedPools.values()) out.push(...pools)
    out.push(...this.unboundPools.values())
    return out
  }

  /** interrupt every worker and timer (the service's scope is closing) */
  shutdown(): Effect.Effect<void> {
    return Effect.suspend(() => {
      this.shuttingDown = true
      const fibers: Array<Fiber.RuntimeFiber<unknown, unknown>> = []
      const driver = this.timers.stop()
      if (driver !== null) fibers.push(driver)
      for (const pool of this.allPools()) {
        for (const worker of pool.workers) if (worker.fiber !== null) fibers.push(worker.fiber)
      }
      for (const wq of this.workqueues) if (wq.rescuer?.fiber) fibers.push(wq.rescuer.fiber)
      return Fiber.interruptAll(fibers)
    })
  }
}

/** @internal resolve user options into a config */
export const resolveConfig = (options: Options): PoolsConfig => {
  // numbers are taken as given so that a negative one reaches validation (Duration clamps it to 0)
  const ms = (input: Duration.DurationInput | undefined, fallback: number): number =>
    input === undefined ? fallback : typeof input === "number" ? input : Duration.toMillis(Duration.decode(input))
  return {
    cpus: options.cpus ?? 1,
    idleTimeoutMs: ms(options.idleTimeout, C.IDLE_WORKER_TIMEOUT_MS),
    maxIdleWorkersRatio: C.MAX_IDLE_WORKERS_RATIO,
    maydayInitialTimeoutMs: ms(options.maydayInitialTimeout, C.MAYDAY_INITIAL_TIMEOUT_MS),
    maydayIntervalMs: ms(options.maydayInterval, C.MAYDAY_INTERVAL_MS),
    createCooldownMs: ms(options.createCooldown, C.CREATE_COOLDOWN_MS),
    cpuIntensiveThresholdMs: ms(options.cpuIntensiveThreshold, C.CPU_INTENSIVE_THRESH_MS),
    watchdogThresholdMs: ms(options.watchdogThreshold, C.WATCHDOG_THRESH_MS),
    fairnessBudgetMs: ms(options.fairnessBudget, C.FAIRNESS_BUDGET_MS),
    powerEfficient: options.powerEfficient ?? false,
    dependencyChecks: options.dependencyChecks ?? false,
    bhRestarts: C.BH_WORKER_RESTARTS,
    bhBudgetMs: C.BH_WORKER_MS,
    // kernel workqueue.default_affinity_scope (cache up to v7.0)
    defaultAffinityScope: options.defaultAffinityScope ?? "cache",
    // one JS thread has no real topology: by default every CPU is its own core and
    // all of them share one cache and one node
    topology: {
      smt: options.topology?.smt ?? Array.from({ length: options.cpus ?? 1 }, (_, i) => [i]),
      cache: options.topology?.cache ?? [Array.from({ length: options.cpus ?? 1 }, (_, i) => i)],
      numa: options.topology?.numa ?? [Array.from({ length: options.cpus ?? 1 }, (_, i) => i)]
    }
  }
}
