/**
 * The operations of the public `WorkerPool` module: building the pools
 * service (argument checks, then `PoolsImpl`), the current CPU and worker,
 * and the diagnostic snapshots (kernel `wq_dump.py`, sysfs).
 *
 * @internal
 */
import * as Effect from "effect/Effect"
import * as FiberRef from "effect/FiberRef"
import * as Option from "effect/Option"
import type * as Scope from "effect/Scope"
import * as Supervisor from "effect/Supervisor"
import type { Options } from "../WorkerPool.js"
import { workerOf } from "./current.js"
import { detector } from "./detector.js"
import * as Errors from "./errors.js"
import { WQ_SYSFS } from "./flags.js"
import * as List from "./list.js"
import { workName } from "./work.js"
import { busyWorkers, type WorkerPoolImpl } from "./pool.js"
import { currentCpu, currentPlatform, type PlatformImpl, poolsImpl, PoolsImpl, resolveConfig } from "./pools.js"
import { kernelPolicy, type PolicyImpl } from "./policy.js"
import type { RecorderImpl } from "./recorder.js"

const validate = (options: Options): Errors.InvalidPoolOptions | null => {
  const cpus = options.cpus
  if (cpus !== undefined && (!Number.isInteger(cpus) || cpus < 1 || cpus > 4096)) {
    return new Errors.InvalidPoolOptions({ option: "cpus", value: String(cpus), reason: "an integer in 1..4096" })
  }
  return null
}

/**
 * @internal build the pools (scoped): validate every option first (nothing
 * is built on a typed error), then the per-CPU pools with one idle worker
 * each; the scope's close interrupts every worker and timer.
 */
export const make = (options: Options): Effect.Effect<PoolsImpl, Errors.InvalidPoolOptions, Scope.Scope> =>
  Effect.gen(function*() {
    const invalid = validate(options)
    if (invalid !== null) return yield* invalid
    const config = resolveConfig(options)
    for (
      const [option, value] of [
        ["idleTimeout", config.idleTimeoutMs],
        ["fairnessBudget", config.fairnessBudgetMs],
        ["cpuIntensiveThreshold", config.cpuIntensiveThresholdMs],
        ["maydayInitialTimeout", config.maydayInitialTimeoutMs],
        ["maydayInterval", config.maydayIntervalMs],
        ["createCooldown", config.createCooldownMs],
        ["watchdogThreshold", config.watchdogThresholdMs]
      ] as const
    ) {
      if (!Number.isFinite(value) || value < 0) {
        return yield* new Errors.InvalidPoolOptions({
          option,
          value: String(value),
          reason: "a finite duration, 0 or more"
        })
      }
    }
    const runtime = yield* Effect.runtime<never>()
    // the detector alone when no other supervisor is installed (`Effect.supervised`
    // would wrap it and the no-op `Supervisor.none` in a `Zip`, which every fiber
    // suspension and resumption of every worker then goes through)
    const workerRuntime = yield* Effect.locallyWith(
      Effect.runtime<never>(),
      FiberRef.currentSupervisor,
      (current) => current === Supervisor.none ? detector : current.zip(detector)
    )
    const clock = yield* Effect.clock
    const platform = (options.platform as PlatformImpl | undefined) ?? (yield* FiberRef.get(currentPlatform))
    const policy = options.policy === undefined ? kernelPolicy : (options.policy as unknown as PolicyImpl)
    const pools = new PoolsImpl(
      config,
      policy,
      platform,
      runtime,
      workerRuntime,
      clock,
      options.observer,
      options.workerCreation
    )
    if (options.recorder !== undefined) {
      const recorder = (options.recorder as unknown as { readonly impl: RecorderImpl }).impl
      recorder.cpus = config.cpus
      pools.recorder = recorder
    }
    yield* Effect.addFinalizer(() => pools.shutdown())
    return pools
  })

/** @internal run `effect` as if on logical CPU `cpu` (kernel: the issuing CPU) */
export const withCpu = <A, E, R>(
  effect: Effect.Effect<A, E, R>,
  cpu: number
): Effect.Effect<A, E | Errors.InvalidCpu, R | PoolsImpl> =>
  poolsImpl((pools): Effect.Effect<A, E | Errors.InvalidCpu, R> =>
    Number.isInteger(cpu) && cpu >= 0 && cpu < pools.cpus
      ? Effect.locally(effect, currentCpu, cpu)
      : Effect.fail(new Errors.InvalidCpu({ cpu, cpus: pools.cpus }))
  )

/** @internal the logical CPU of the current fiber */
export const currentCpuNumber: Effect.Effect<number, never, PoolsImpl> = poolsImpl((pools) =>
  Effect.sync(() => pools.localCpu(pools.currentWorker()))
)

/** @internal run `effect` without counting its suspensions as blocking */
export const unsafeRunnable = <A, E, R>(effect: Effect.Effect<A, E, R>): Effect.Effect<A, E, R> =>
  Effect.withFiberRuntime((fiber) => {
    const worker = workerOf(fiber)
    if (worker === undefined) return effect
    worker.nonBlocking++
    return Effect.ensuring(
      effect,
      Effect.sync(() => {
        worker.nonBlocking--
      })
    )
  })

/** @internal one pool's line of `wq_dump.py` */
const snapshotOf = (pool: WorkerPoolImpl) => ({
  id: pool.id,
  name: pool.name,
  cpu: pool.cpu,
  highpri: pool.highpri,
  bh: pool.bh,
  workers: pool.nrWorkers,
  idle: pool.nrIdle,
  running: pool.nrRunning,
  pending: List.size(pool.worklist),
  busy: busyWorkers(pool).length,
  runningWork: busyWorkers(pool).map((worker) => ({
    worker: worker.name,
    workqueue: worker.currentPwq?.wq.name ?? "",
    work: workName(worker.currentWork!)
  }))
})

/** @internal every pool's state */
export const unsafeSnapshot = (pools: PoolsImpl) => pools.allPools().map(snapshotOf)

/** @internal every pool's state, as an Effect */
export const snapshot = poolsImpl((pools) => Effect.sync(() => unsafeSnapshot(pools)))

/** @internal the SYSFS workqueues and their tunables, as an Effect */
export const sysfsEntries = poolsImpl((pools) => Effect.sync(() => sysfs(pools)))

/** @internal the SYSFS workqueues and their tunables */
export const sysfs = (pools: PoolsImpl) =>
  [...pools.workqueues].filter((wq) => (wq.flags & WQ_SYSFS) !== 0).map((wq) => ({
    name: wq.name,
    perCpu: wq.unboundAttrs === null,
    maxActive: wq.savedMaxActive,
    cpumask: wq.unboundAttrs?.cpumask,
    affinityScope: wq.unboundAttrs?.affinityScope,
    affinityStrict: wq.unboundAttrs?.affinityStrict
  }))

/** @internal the worker the current fiber is (kernel `current_wq_worker`) */
export const currentWorker: Effect.Effect<
  Option.Option<{ readonly id: number; readonly name: string; readonly pool: number; readonly cpu: number }>
> = Effect.withFiberRuntime((fiber) => {
  const worker = workerOf(fiber)
  return Effect.succeed(
    worker === undefined
      ? Option.none()
      : Option.some({ id: worker.id, name: worker.name, pool: worker.pool.id, cpu: worker.pool.cpu })
  )
})

/** @internal kernel `wq_watchdog_touch`: one CPU, or (no CPU) every pool */
export const touch = (cpu?: number) =>
  poolsImpl((pools) =>
    Effect.sync(() => {
      const now = pools.clockNow()
      if (cpu === undefined) {
        pools.touchedGlobal = now
        for (let i = 0; i < pools.touched.length; i++) pools.touched[i] = now
      } else if (cpu >= 0 && cpu < pools.touched.length) {
        pools.touched[cpu] = now
      }
    })
  )
