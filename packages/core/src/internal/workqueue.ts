/**
 * Workqueues: the kernel's `workqueue_struct`, `alloc_workqueue`,
 * `__queue_work`, `drain_workqueue`, `destroy_workqueue` and
 * `workqueue_set_max_active`.
 *
 * A workqueue is a front end: it owns no workers. Per-cpu workqueues link to
 * the shared per-CPU pools (one pwq per CPU); unbound workqueues link to an
 * unbound pool shared by every workqueue with equal attributes (one pwq per
 * pod plus a default pwq); ordered workqueues use the default pwq only.
 *
 * Invariants:
 * - `flags` carries the public WQ_* bits plus __WQ_DRAINING/__WQ_DESTROYING
 *   /__WQ_ORDERED/__WQ_LEGACY; while DRAINING or DESTROYING only chained
 *   queueing (from an item of this workqueue) is accepted;
 * - queue attempts on a destroyed workqueue fail with a typed error and
 *   change nothing;
 * - flush state (`workColor`, `flushColor`, flushers) lives in flush.ts and is
 *   only touched there.
 *
 * @internal
 */
import type * as Cause from "effect/Cause"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Fiber from "effect/Fiber"
import * as LogLevel from "effect/LogLevel"
import * as Option from "effect/Option"
import * as Queue from "effect/Queue"
import type * as Scope from "effect/Scope"
import * as Stream from "effect/Stream"
import { workerOf } from "./current.js"
import { WORK_NR_COLORS, WQ_DFL_ACTIVE, WQ_DFL_MIN_ACTIVE, WQ_MAX_ACTIVE } from "./constants.js"
import { publish } from "./counters.js"
import * as Errors from "./errors.js"
import { explain } from "./explain.js"
import { drainWorkqueue } from "./flush.js"
import * as Flags from "./flags.js"
import type { Flusher } from "./color.js"
import * as List from "./list.js"
import { errorType, PoolEvent } from "./events.js"
import { kickPool } from "./pool.js"
import type { PoolsImpl } from "./pools.js"
import { queueRefusal, queueWorkOn, refusalError } from "./queue.js"
import { initRescuer } from "./rescuer.js"
import { modDelayedWorkOn, queueDelayedWorkOn } from "./cancel.js"
import { NodeNrActive, PoolWorkqueueImpl, PwqStats, pwqActivateFirstInactive } from "./pwq.js"
import { DelayedWorkImpl, WORK_PENDING, WorkImpl, workName } from "./work.js"
import { syncThunkOf } from "./fastpath.js"
import { capture, captureTime } from "./item.js"
import type { WorkerImpl } from "./worker.js"

/** @internal symbol tagging workqueue values (public `Workqueue.TypeId`) */
export const WorkqueueTypeId: unique symbol = Symbol.for("@cmwq/core/Workqueue")
/** @internal */
export type WorkqueueTypeId = typeof WorkqueueTypeId

/** @internal kernel `struct workqueue_struct` */
export class WorkqueueImpl {
  readonly [WorkqueueTypeId]: WorkqueueTypeId = WorkqueueTypeId
  flags: number // P: WQ_* and __WQ_* bits
  maxActive: number // P: current max_active (0 while frozen)
  minActive: number // P: unbound: per-node floor
  savedMaxActive: number // P: what the user asked for (restored on thaw)
  savedMinActive: number // P
  cpuPwq: Array<PoolWorkqueueImpl> = [] // P: per CPU: the pwq queueing on that CPU uses (kernel `wq->cpu_pwq[cpu]`)
  dflPwq: PoolWorkqueueImpl | null = null // P: unbound: the default pwq (ordered: the only one)
  readonly pwqs: Array<PoolWorkqueueImpl> = [] // P: all live pwqs, oldest first
  nna: NodeNrActive | null = null // I: unbound only: the shared active count
  // flush state (F: color.ts and flush.ts only)
  workColor = 0 // F: color given to newly queued items
  flushColor = 0 // F: oldest color still being flushed
  nrPwqsToFlush = 0 // F
  firstFlusher: Flusher | null = null // F
  readonly flusherQueue: Array<Flusher> = [] // F
  readonly flusherOverflow: Array<Flusher> = [] // F
  nrDrainers = 0 // P
  nrDestroyers = 0 // P: destroy calls in progress (X1: DESTROYING is set while > 0)
  rescuer: WorkerImpl | null = null // I: WQ_MEM_RECLAIM only
  readonly maydays: Array<PoolWorkqueueImpl> = [] // P: pwqs asking the rescuer for help
  destroyed = false // P: released; every later queue attempt fails
  readonly retiredStats = new PwqStats() // P: counters of pwqs already released
  running = 0 // P: items of this workqueue running now
  peakRunning = 0 // P: the most ever running at once
  unboundAttrs: UnboundAttrs | null = null // P: unbound only
  maxPending = 0 // I: the backpressure bound on items queued or running (0: none)
  nrQueued = 0 // P: items queued or running, barriers excluded (counted at Q3, uncounted after Q8)
  room: (() => void) | null = null // P: set by results.ts once someone waits for room (`run`, `awaitPendingBelow`)
  failureLogLevel: LogLevel.LogLevel = LogLevel.Error // I: the level its items' failures are logged at
  dropped = 0 // P: delayed items whose timer fired while draining/destroying, dropped (stats.dropped)
  lastFailure: FailureRecord | null = null // P: the last item failure (stats.lastFailure)
  failureSinks: Set<FailureSink> | null = null // P: live `failures` subscriptions (null: none)
  failuresByType: Map<string, number> | null = null // P: failed runs by `error.type` (sums to stats.failed)

  constructor(
    readonly pools: PoolsImpl,
    readonly name: string,
    flags: number,
    maxActive: number
  ) {
    this.flags = flags
    this.maxActive = maxActive
    this.savedMaxActive = maxActive
    this.minActive = Math.min(maxActive, WQ_DFL_MIN_ACTIVE)
    this.savedMinActive = this.minActive
  }

  get ordered(): boolean {
    return (this.flags & Flags.__WQ_ORDERED) !== 0
  }
  get unbound(): boolean {
    return (this.flags & Flags.WQ_UNBOUND) !== 0
  }

  /** an item left the workqueue (retired after its run, or stolen by a cancel): wake who waits for room */
  itemLeft(): void {
    this.nrQueued--
    if (this.room !== null) this.room()
  }

  /**
   * an item failed (its worker counted it, before the observer hears of it):
   * keep it for `stats.lastFailure` and hand it to the `failures`
   * subscriptions. Only failed runs pay for the record.
   */
  itemFailed(work: WorkImpl, cause: Cause.Cause<unknown>): void {
    const failure: FailureRecord = { workqueue: this.name, work, name: workName(work), cause }
    this.lastFailure = failure
    const byType = this.failuresByType ??= new Map()
    const type = errorType(cause)
    byType.set(type, (byType.get(type) ?? 0) + 1)
    const sinks = this.failureSinks
    if (sinks !== null) { for (const sink of sinks) sink.failure(failure) }
  }

  /** at the `maxPending` bound */
  get full(): boolean {
    return this.maxPending > 0 && this.nrQueued >= this.maxPending
  }

  /** A3: the last reference to a pwq went away: unlink it (kernel `pwq_release_workfn`) */
  pwqReleased(pwq: PoolWorkqueueImpl): void {
    const i = this.pwqs.indexOf(pwq)
    if (i < 0) return
    this.pwqs.splice(i, 1)
    const r = this.retiredStats
    const s = pwq.stats
    r.started += s.started
    r.completed += s.completed
    r.failed += s.failed
    r.cpuIntensive += s.cpuIntensive
    r.cpuTimeMs += s.cpuTimeMs
    r.cmWakeup += s.cmWakeup
    r.mayday += s.mayday
    r.rescued += s.rescued
    r.repatriated += s.repatriated
    // later counts (a failure reported after the retirement that released the pwq, Q8
    // being the last step of a run) go straight to the retired totals
    pwq.stats = r
    if (pwq.pending && this.nna !== null) {
      const j = this.nna.pendingPwqs.indexOf(pwq)
      if (j >= 0) this.nna.pendingPwqs.splice(j, 1)
      pwq.pending = false
    }
    if (pwq.pool.cpu < 0) this.pools.putUnboundPool(pwq.pool)
    // ordered workqueues: the oldest remaining pwq may now run (kernel unplug_oldest_pwq)
    if (this.ordered && this.pwqs.length > 0) {
      const oldest = this.pwqs[0]!
      if (oldest.plugged) {
        oldest.plugged = false
        if (pwqActivateFirstInactive(oldest, true)) {
          // while plugged, queueing skipped both taking an active slot and joining the
          // node's pending list: the first call activates the first item, the second puts
          // the pwq in line for the rest (the upstream fix of March 2026, "Fix ordered
          // workqueue stall after unplug", which our property test found independently)
          pwqActivateFirstInactive(oldest, false)
          kickPool(oldest.pool)
        }
      }
    }
  }

  toString(): string {
    return `Workqueue(${this.name})`
  }
  toJSON(): unknown {
    return { _id: "Workqueue", name: this.name, flags: Flags.flagNames(this.flags), maxActive: this.savedMaxActive }
  }
}

/** @internal attributes of an unbound workqueue (kernel `workqueue_attrs`) */
export interface UnboundAttrs {
  readonly highpri: boolean
  readonly cpumask: ReadonlyArray<number>
  readonly affinityScope: AffinityScope
  readonly affinityStrict: boolean
}

/** @internal kernel `wq_affn_scope` */
export type AffinityScope = "default" | "cpu" | "smt" | "cache" | "numa" | "system"

// -----------------------------------------------------------------------------
// alloc_workqueue
// -----------------------------------------------------------------------------

/** @internal */
export interface AllocOptions {
  readonly flags: number
  readonly maxActive: number
  readonly ordered: boolean
  readonly legacy: boolean
  readonly attrs: { readonly [K in keyof UnboundAttrs]?: UnboundAttrs[K] | undefined } | undefined
}

/**
 * @internal validate a max_active argument: an integer in 0..WQ_MAX_ACTIVE
 * (0 means the default). The kernel clamps with a warning; we refuse with a
 * typed error so that a bad value never silently changes behaviour.
 */
export const checkMaxActive = (
  name: string,
  maxActive: number,
  zeroAllowed = true
): Effect.Effect<number, Errors.InvalidMaxActive> => {
  if (typeof maxActive !== "number") {
    // from JS: `maxActive: "16"`; the error says what was passed
    const given: unknown = maxActive
    return Effect.fail(
      new Errors.InvalidMaxActive({
        workqueue: name,
        maxActive: typeof given === "string" ? JSON.stringify(given) : String(given),
        reason: `${given === null ? "null" : `a ${typeof given}`}, not a number`
      })
    )
  }
  if (!Number.isInteger(maxActive)) {
    return Effect.fail(new Errors.InvalidMaxActive({ workqueue: name, maxActive, reason: "not an integer" }))
  }
  if (maxActive < 0) {
    return Effect.fail(new Errors.InvalidMaxActive({ workqueue: name, maxActive, reason: "negative" }))
  }
  if (maxActive === 0 && !zeroAllowed) {
    return Effect.fail(
      new Errors.InvalidMaxActive({ workqueue: name, maxActive, reason: "a live workqueue's limit must be 1 or more" })
    )
  }
  if (maxActive > WQ_MAX_ACTIVE) {
    return Effect.fail(
      new Errors.InvalidMaxActive({ workqueue: name, maxActive, reason: `above WQ_MAX_ACTIVE (${WQ_MAX_ACTIVE})` })
    )
  }
  return Effect.succeed(maxActive)
}

/** @internal the flag checks of kernel `__alloc_workqueue` */
export const checkFlags = (
  name: string,
  flags: number,
  maxActive: number,
  ordered: boolean
): Effect.Effect<number, Errors.InvalidFlags> => {
  const invalid = (reason: string) =>
    Effect.fail(new Errors.InvalidFlags({ workqueue: name, flags: Flags.flagNames(flags), reason }))
  if ((flags & Flags.WQ_BH) !== 0) {
    if ((flags & ~Flags.WQ_BH_ALLOWS & 0x1ff) !== 0) return invalid("BH may only be combined with HIGHPRI and PERCPU")
    if (maxActive !== 0) return invalid("BH workqueues must pass maxActive 0")
  }
  if ((flags & Flags.WQ_UNBOUND) !== 0 && (flags & Flags.WQ_PERCPU) !== 0) {
    return invalid("UNBOUND and PERCPU are each other's complement")
  }
  if (ordered && (flags & Flags.WQ_SYSFS) !== 0) return invalid("ordered workqueues cannot be SYSFS")
  if (ordered && (flags & Flags.WQ_PERCPU) !== 0)
    return invalid("ordered workqueues are unbound: PERCPU does not apply")
  if (ordered && (flags & Flags.WQ_BH) !== 0) return invalid("ordered workqueues cannot be BH")
  return Effect.succeed(flags)
}

/**
 * @internal kernel `__alloc_workqueue` (the part after argument checks): build
 * the workqueue and link it to its pools.
 */
export const allocWorkqueue = (pools: PoolsImpl, name: string, options: AllocOptions): WorkqueueImpl => {
  let flags = options.flags
  // kernel: WQ_POWER_EFFICIENT becomes UNBOUND when workqueue.power_efficient is on
  if ((flags & Flags.WQ_POWER_EFFICIENT) !== 0 && pools.config.powerEfficient) {
    flags = (flags | Flags.WQ_UNBOUND) & ~Flags.WQ_PERCPU
  }
  if (options.ordered) flags |= Flags.WQ_UNBOUND | Flags.__WQ_ORDERED
  if (options.legacy) flags |= Flags.__WQ_LEGACY
  // kernel [newest]: neither PERCPU nor UNBOUND means PERCPU
  if ((flags & (Flags.WQ_UNBOUND | Flags.WQ_BH)) === 0) flags |= Flags.WQ_PERCPU
  let maxActive: number
  if ((flags & Flags.WQ_BH) !== 0) maxActive = 0x7fffffff
  else if (options.ordered) maxActive = 1
  else maxActive = options.maxActive === 0 ? WQ_DFL_ACTIVE : options.maxActive
  const wq = new WorkqueueImpl(pools, name, flags, maxActive)
  if ((flags & Flags.WQ_UNBOUND) !== 0) {
    wq.nna = new NodeNrActive(maxActive)
    wq.unboundAttrs = {
      highpri: (flags & Flags.WQ_HIGHPRI) !== 0,
      cpumask: options.attrs?.cpumask ?? pools.allCpus,
      affinityScope: options.attrs?.affinityScope ?? "default",
      affinityStrict: options.attrs?.affinityStrict ?? false
    }
    pools.installUnboundPwqs(wq, wq.unboundAttrs)
  } else {
    const highpri = (flags & Flags.WQ_HIGHPRI) !== 0
    const bh = (flags & Flags.WQ_BH) !== 0
    for (let cpu = 0; cpu < pools.config.cpus; cpu++) {
      const pool = pools.cpuPool(cpu, highpri, bh, wq)
      const pwq = new PoolWorkqueueImpl(wq, pool)
      wq.cpuPwq.push(pwq)
      wq.pwqs.push(pwq)
    }
  }
  wq.maxActive = pools.freezing && (flags & Flags.WQ_FREEZABLE) !== 0 ? 0 : wq.maxActive
  if (wq.nna !== null) updateNodeMaxActive(wq)
  if ((flags & Flags.WQ_MEM_RECLAIM) !== 0) initRescuer(pools, wq)
  pools.workqueues.add(wq)
  return wq
}

/**
 * @internal kernel `wq_update_node_max_active` with one node: the node gets
 * the whole max_active (as the policy applies it), never less than min_active.
 * Unlike per-cpu workqueues, whose limit the policy is asked for at each
 * activation, an unbound one's is read here, when it is (re)computed.
 */
export const updateNodeMaxActive = (wq: WorkqueueImpl): void => {
  if (wq.nna === null) return
  // an ordered workqueue's one-at-a-time is its contract, not a policy decision
  const max = wq.ordered ? wq.maxActive : wq.pools.policy.maxActive(wq)
  wq.nna.max = Math.max(max, Math.min(wq.minActive, max))
}

// -----------------------------------------------------------------------------
// max_active
// -----------------------------------------------------------------------------

/**
 * @internal kernel `wq_adjust_max_active`: apply the saved limits (or 0 while
 * frozen) and activate waiting items at once, up to the new limit, FIFO.
 */
export const adjustMaxActive = (wq: WorkqueueImpl): void => {
  const frozen = wq.pools.freezing && (wq.flags & Flags.WQ_FREEZABLE) !== 0
  wq.maxActive = frozen ? 0 : wq.savedMaxActive
  wq.minActive = frozen ? 0 : wq.savedMinActive
  if (wq.nna !== null) updateNodeMaxActive(wq)
  if (wq.maxActive === 0) return
  // round-robin activation over the pwqs until they are full again (kernel: thaw)
  let activated: boolean
  do {
    activated = false
    for (const pwq of wq.pwqs) {
      if (pwqActivateFirstInactive(pwq, true)) {
        activated = true
        kickPool(pwq.pool)
      }
    }
  } while (activated)
}

/** @internal whether some pwq of `wq` is busy after a drain (kernel `pwq_busy`) */
export const workqueueIsBusy = (wq: WorkqueueImpl): boolean =>
  wq.pwqs.some((pwq) => {
    for (let c = 0; c < WORK_NR_COLORS; c++) if (pwq.nrInFlight[c] !== 0) return true
    return pwq.nrActive !== 0 || !List.isEmpty(pwq.inactive)
  })

/**
 * @internal X3–X4, kernel `destroy_workqueue` after the drain: stop the rescuer,
 * check that nothing is left (a busy workqueue is leaked with a warning, as
 * the kernel does), release the pwqs and their unbound pools.
 */
export const release = (wq: WorkqueueImpl): Effect.Effect<void> =>
  Effect.suspend(() => {
    const pools = wq.pools
    const rescuer = wq.rescuer
    // WORKER_DIE: stopped on purpose, not to be restarted (rescuer.ts rescuerExited)
    if (rescuer !== null) rescuer.flags |= Flags.WORKER_DIE
    const stopRescuer = rescuer !== null && rescuer.fiber !== null ? Fiber.interrupt(rescuer.fiber) : Effect.void
    return Effect.flatMap(stopRescuer, () => {
      // concurrent destroys: the first to get here releases
      if (wq.destroyed) return Effect.void
      wq.rescuer = null
      wq.destroyed = true
      pools.workqueues.delete(wq)
      // the `failures` streams end after the last failure they were given
      const sinks = wq.failureSinks
      wq.failureSinks = null
      if (sinks !== null) { for (const sink of sinks) sink.end() }
      // the final counts: `update` only sees live workqueues, so publish them now
      const final = statsOf(wq)
      const published = publish(wq, wq.name, final, final.inFlight, wq.failuresByType)
      if (workqueueIsBusy(wq)) {
        pools.emit(PoolEvent.DestroyBusy({ workqueue: wq.name }))
        return Effect.zipRight(
          published,
          Effect.logWarning(`destroy_workqueue: ${wq.name} has the following busy pwq: leaked`)
        )
      }
      for (const pwq of [...wq.pwqs]) {
        if (pwq.pool.cpu < 0) {
          // drop the base reference: the pwq goes away, and with the last user its pool
          pwq.refcnt--
          wq.pwqReleased(pwq)
        }
      }
      const dedicated = pools.dedicatedPools.get(wq)
      if (dedicated !== undefined) {
        pools.dedicatedPools.delete(wq)
        for (const pool of dedicated) pools.releasePool(pool)
      }
      return published
    })
  })

/** @internal the counters `Workqueue.stats` reports */
export const statsOf = (wq: WorkqueueImpl) => {
  let started = 0, completed = 0, failed = 0, inFlight = 0, cpuIntensive = 0, cmWakeup = 0, mayday = 0, rescued = 0
  let cpuTimeMs = 0
  for (const pwq of wq.pwqs) {
    const s = pwq.stats
    cpuTimeMs += s.cpuTimeMs
    started += s.started
    completed += s.completed
    failed += s.failed
    cpuIntensive += s.cpuIntensive
    cmWakeup += s.cmWakeup
    mayday += s.mayday
    rescued += s.rescued
    for (let c = 0; c < WORK_NR_COLORS; c++) inFlight += pwq.nrInFlight[c]!
  }
  return {
    name: wq.name,
    started: started + wq.retiredStats.started,
    finished: completed + wq.retiredStats.completed,
    completed: completed + wq.retiredStats.completed,
    failed: failed + wq.retiredStats.failed,
    inFlight,
    running: wq.running,
    peakRunning: wq.peakRunning,
    cpuTimeMs: cpuTimeMs + wq.retiredStats.cpuTimeMs,
    cpuIntensive: cpuIntensive + wq.retiredStats.cpuIntensive,
    cmWakeup: cmWakeup + wq.retiredStats.cmWakeup,
    mayday: mayday + wq.retiredStats.mayday,
    rescued: rescued + wq.retiredStats.rescued,
    dropped: wq.dropped
  }
}

// -----------------------------------------------------------------------------
// The operations of the public `Workqueue` module
// -----------------------------------------------------------------------------

/** @internal public `Workqueue.Attrs` */
export interface AttrsInput {
  readonly cpumask?: ReadonlyArray<number> | undefined
  readonly affinityScope?: AffinityScope | undefined
  readonly affinityStrict?: boolean | undefined
}

/** @internal the typed refusal of a queue attempt */
type Refused = Errors.WorkqueueDestroyed | Errors.WorkqueueDraining

/**
 * @internal `alloc`, `allocOrdered`, `allocLegacy`: check the arguments
 * (nothing is allocated on a typed error), then allocate, as a scoped
 * resource whose release is `destroy`.
 */
export const alloc = (
  pools: PoolsImpl,
  name: string,
  flagNames: ReadonlyArray<Flags.FlagName>,
  maxActive: number,
  ordered: boolean,
  legacy: boolean,
  attrs?: AttrsInput,
  maxPending = 0,
  failureLogLevel?: LogLevel.LogLevel
): Effect.Effect<WorkqueueImpl, Errors.InvalidMaxActive | Errors.InvalidFlags | Errors.InvalidOperation, Scope.Scope> =>
  Effect.suspend((): Effect.Effect<
    WorkqueueImpl,
    Errors.InvalidMaxActive | Errors.InvalidFlags | Errors.InvalidOperation,
    Scope.Scope
  > => {
    if (!Number.isInteger(maxPending) || maxPending < 0) {
      return Effect.fail(
        new Errors.InvalidOperation({
          operation: "alloc",
          workqueue: name,
          reason: `maxPending ${maxPending}: an integer, 1 or more (0 or absent: no bound)`
        })
      )
    }
    if (failureLogLevel !== undefined && !LogLevel.allLevels.includes(failureLogLevel)) {
      return Effect.fail(
        new Errors.InvalidOperation({
          operation: "alloc",
          workqueue: name,
          reason: `failureLogLevel ${
            JSON.stringify(failureLogLevel as unknown) ?? "undefined"
          }: an Effect LogLevel (LogLevel.Error, LogLevel.Debug, ...)`
        })
      )
    }
    let bits = 0
    for (const flag of flagNames) {
      if (!Flags.FLAG_NAMES.includes(flag)) {
        return Effect.fail(
          new Errors.InvalidFlags({ workqueue: name, flags: [...flagNames], reason: `unknown flag ${flag}` })
        )
      }
      bits |= Flags.flagBit(flag)
    }
    if (attrs !== undefined && !ordered && (bits & Flags.WQ_UNBOUND) === 0) {
      return Effect.fail(
        new Errors.InvalidFlags({
          workqueue: name,
          flags: [...flagNames],
          reason: "attributes (cpumask, affinity scope) apply to UNBOUND workqueues"
        })
      )
    }
    return Effect.zipRight(
      Effect.zipRight(checkMaxActive(name, maxActive), checkFlags(name, bits, maxActive, ordered)),
      Effect.acquireRelease(
        Effect.sync(() => {
          const wq = allocWorkqueue(pools, name, { flags: bits, maxActive, ordered, legacy, attrs })
          wq.maxPending = maxPending
          if (failureLogLevel !== undefined) wq.failureLogLevel = failureLogLevel
          return wq
        }),
        (wq) => Effect.orDie(destroy(wq))
      )
    )
  })

const TRUE = Effect.succeed(true)
const FALSE = Effect.succeed(false)

const queueResult = (wq: WorkqueueImpl, result: boolean | "destroyed" | "draining"): Effect.Effect<boolean, Refused> =>
  result === true ? TRUE : result === false ? FALSE : Effect.fail(refusalError(wq, result))

/** @internal a CPU argument outside 0..cpus-1 */
export const checkCpu = (wq: WorkqueueImpl, cpu: number): Errors.InvalidCpu | null =>
  Number.isInteger(cpu) && cpu >= 0 && cpu < wq.pools.config.cpus
    ? null
    : new Errors.InvalidCpu({ cpu, cpus: wq.pools.config.cpus })

/**
 * @internal `queue` / `queueOn`: kernel `queue_work_on` from the calling
 * fiber (its worker, if it is one, and its CPU). PROTOCOLS.md Q1.
 */
export const queue = (
  wq: WorkqueueImpl,
  cpu: number,
  work: WorkImpl
): Effect.Effect<boolean, Refused | Errors.InvalidWork | Errors.WorkqueueFull> =>
  Effect.withFiberRuntime((fiber) => {
    const worker = workerOf(fiber) ?? null
    const result = queueFrom(fiber, "Workqueue.queue", wq, cpu, work, worker, wq.pools.localCpu(worker, fiber))
    return typeof result === "object" ? Effect.fail(result) : queueResult(wq, result)
  })

/**
 * @internal Q1 for one item queued by `fiber` (running on `worker`, if it
 * is one, on `localCpu`): refuse what is not a work item and, at the
 * `maxPending` bound, a new pending item (the typed error is returned, not
 * thrown); else kernel `queue_work_on`. Q1a: only the call that returned
 * true hands its context to the run. Shared by `queue` and `queueAll`.
 */
const queueFrom = (
  fiber: Fiber.RuntimeFiber<unknown, unknown>,
  operation: string,
  wq: WorkqueueImpl,
  cpu: number,
  work: unknown,
  worker: WorkerImpl | null,
  localCpu: number
): boolean | "destroyed" | "draining" | Errors.InvalidWork | Errors.WorkqueueFull => {
  if (!(work instanceof WorkImpl)) return invalidWork(operation, work)
  if (wq.full && (work.data & WORK_PENDING) === 0) return fullError(wq)
  const result = queueWorkOn(cpu, wq, work, worker, localCpu)
  if (result === true) work.ctx = capture(fiber, syncThunkOf(work.effect) !== null, wq.pools, false)
  return result
}

/**
 * @internal `queueAll`: Q1 for each item of `works`, in order, from the
 * calling fiber; every `chunk` items, if the fairness budget is spent, the
 * caller hands the JS thread back (a macrotask) before going on. Between two
 * chunks other fibers may queue; within one chunk nothing else runs. Stops at
 * the first refusal (destroyed, draining, not a work item, full): the items
 * before it stay queued. Returns how many calls returned true.
 */
export const queueAll = (
  wq: WorkqueueImpl,
  works: Iterable<WorkImpl>,
  chunk: number
): Effect.Effect<number, Refused | Errors.InvalidWork | Errors.WorkqueueFull | Errors.InvalidOperation> =>
  Effect.suspend(
    (): Effect.Effect<number, Refused | Errors.InvalidWork | Errors.WorkqueueFull | Errors.InvalidOperation> => {
      if (!Number.isInteger(chunk) || chunk < 1) {
        return Effect.fail(
          new Errors.InvalidOperation({
            operation: "Workqueue.queueAll",
            workqueue: wq.name,
            reason: `chunk must be a positive integer, got ${String(chunk)}`
          })
        )
      }
      const iterator = works[Symbol.iterator]()
      let queued = 0
      const step: Effect.Effect<number, Refused | Errors.InvalidWork | Errors.WorkqueueFull> = Effect.withFiberRuntime(
        (fiber) => {
          const worker = workerOf(fiber) ?? null
          const cpu = wq.pools.localCpu(worker, fiber)
          for (let i = 0; i < chunk; i++) {
            const next = iterator.next()
            if (next.done === true) return Effect.succeed(queued)
            const result = queueFrom(fiber, "Workqueue.queueAll", wq, -1, next.value, worker, cpu)
            if (result === true) queued++
            else if (typeof result === "object") return Effect.fail(result)
            else if (result !== false) return Effect.fail(refusalError(wq, result))
          }
          const pools = wq.pools
          return pools.fairnessDue(pools.platform.now()) ? Effect.zipRight(pools.yieldToEventLoop(worker), step) : step
        }
      )
      return step
    }
  )

/** @internal the typed error for something that is not a work item */
export const invalidWork = (operation: string, u: unknown): Errors.InvalidWork =>
  new Errors.InvalidWork({
    operation,
    work: u === null ? "null" : typeof u === "object" ? "an object" : typeof u,
    reason: "not a work item (make one with Work.make, Work.sync or Work.promise)"
  })

/** @internal the typed error of `queue` at the `maxPending` bound */
export const fullError = (wq: WorkqueueImpl): Errors.WorkqueueFull =>
  new Errors.WorkqueueFull({ workqueue: wq.name, maxPending: wq.maxPending })

/** @internal `queueOn`: `queue` on a CPU that must exist */
export const queueOn = (
  wq: WorkqueueImpl,
  cpu: number,
  work: WorkImpl
): Effect.Effect<boolean, Refused | Errors.InvalidCpu | Errors.InvalidWork | Errors.WorkqueueFull> => {
  const error = checkCpu(wq, cpu)
  return error !== null ? Effect.fail(error) : queue(wq, cpu, work)
}

/** @internal `unsafeQueue`: `queue` outside Effect; throws the typed refusal */
export const unsafeQueue = (wq: WorkqueueImpl, work: WorkImpl): boolean => {
  if (!(work instanceof WorkImpl)) throw invalidWork("Workqueue.unsafeQueue", work)
  if (wq.full && (work.data & WORK_PENDING) === 0) throw fullError(wq)
  const worker = wq.pools.currentWorker()
  const result = queueWorkOn(-1, wq, work, worker, wq.pools.localCpu(worker))
  if (result === true) {
    // Q1a: no calling fiber; a record left by an earlier, cancelled queueing must not apply
    work.ctx = wq.pools.histograms ? captureTime(wq.pools.platform.now()) : null
    return true
  }
  if (result === false) return result
  throw refusalError(wq, result)
}

/**
 * the milliseconds of a negative Duration input, or null if it is not
 * negative. `Duration.decode` clamps negatives to 0, so the input is read
 * before decoding: a string with a minus sign ("-1 millis"), an
 * `[seconds, nanos]` tuple with a negative part, a negative bigint (nanos).
 * A `Duration` value is never negative (its constructors clamp).
 */
const negativeMillis = (delay: Duration.DurationInput): number | null => {
  if (typeof delay === "string") {
    const match = /^\s*-\s*(.*)$/.exec(delay)
    if (match === null) return null
    const magnitude = Duration.toMillis(Duration.decode(match[1]! as Duration.DurationInput))
    return magnitude > 0 ? -magnitude : null
  }
  if (typeof delay === "bigint") return delay < 0n ? Number(delay) / 1e6 : null
  if (Array.isArray(delay)) {
    const [seconds, nanos] = delay as readonly [number, number]
    const ms = seconds * 1000 + nanos / 1e6
    return seconds < 0 || nanos < 0 ? ms : null
  }
  return null
}

const delayMillis = (delay: Duration.DurationInput): number | Errors.InvalidDelay => {
  if (typeof delay !== "number") {
    const negative = negativeMillis(delay)
    if (negative !== null) return new Errors.InvalidDelay({ delay: negative })
  }
  const ms = typeof delay === "number" ? delay : Duration.toMillis(Duration.decode(delay))
  return Number.isFinite(ms) && ms >= 0 ? ms : new Errors.InvalidDelay({ delay: ms })
}

/**
 * @internal `queueDelayed(On)` and `modDelayed(On)`: check the delay and the
 * CPU, refuse as `queue` does, then arm (PROTOCOLS.md T1–T3).
 */
export const queueDelayed = (
  wq: WorkqueueImpl,
  cpu: number,
  dwork: DelayedWorkImpl,
  delay: Duration.DurationInput,
  mod: boolean
): Effect.Effect<boolean, Refused | Errors.InvalidDelay | Errors.InvalidCpu | Errors.InvalidWork> =>
  Effect.withFiberRuntime((fiber) => {
    if (!(dwork instanceof DelayedWorkImpl)) {
      return Effect.fail(invalidWork(mod ? "Workqueue.modDelayed" : "Workqueue.queueDelayed", dwork))
    }
    const ms = delayMillis(delay)
    if (typeof ms !== "number") return Effect.fail(ms)
    if (cpu >= 0) {
      const error = checkCpu(wq, cpu)
      if (error !== null) return Effect.fail(error)
    }
    const worker = workerOf(fiber) ?? null
    const refusal = queueRefusal(wq, worker)
    if (refusal !== null) return Effect.fail(refusalError(wq, refusal))
    const local = wq.pools.localCpu(worker, fiber)
    const result = mod ? modDelayedWorkOn(cpu, wq, dwork, ms, local) : queueDelayedWorkOn(cpu, wq, dwork, ms, local)
    // Q1a: the call that armed (or re-armed) the item hands its context to the run
    if ((mod || result) && (dwork.data & WORK_PENDING) !== 0) {
      dwork.ctx = capture(fiber, syncThunkOf(dwork.effect) !== null, wq.pools, false)
    }
    return Effect.succeed(result)
  })

/** @internal a destroy or drain starts listing what it waits for after this long */
export const DRAIN_REPORT_AFTER_MS = 10_000
/** @internal ... then again after twice as long each time, up to this */
export const DRAIN_REPORT_MAX_MS = 5 * 60_000
/** @internal ... at most this many times */
export const DRAIN_REPORTS = 10

/** @internal the items of `wq` running now, each with its (`Running`) explanation */
export const stragglersOf = (wq: WorkqueueImpl): Array<Errors.Straggler> => {
  const out: Array<Errors.Straggler> = []
  const seen = new Set<WorkImpl>()
  const add = (worker: WorkerImpl) => {
    const work = worker.currentWork
    if (work === null || worker.currentPwq?.wq !== wq || seen.has(work)) return
    seen.add(work)
    out.push({ workqueue: wq.name, work: workName(work), explanation: explain(work) })
  }
  for (const pwq of wq.pwqs) for (const worker of pwq.pool.workers) add(worker)
  // items in flight away from any worker (tasks on other threads)
  for (const pwq of wq.pwqs) for (const carrier of pwq.pool.away) add(carrier)
  if (wq.rescuer !== null) add(wq.rescuer)
  return out
}

const describeStragglers = (list: ReadonlyArray<Errors.Straggler>): string =>
  list.map(Errors.describeStraggler).join(", ")

/**
 * @internal a destroy or drain that takes long says what it waits for: after
 * DRAIN_REPORT_AFTER_MS, then with a doubling backoff (a warning each time)
 */
const reportWhileWaiting = <E>(
  wq: WorkqueueImpl,
  operation: "drain" | "destroy",
  wait: Effect.Effect<void, E>
): Effect.Effect<void, E> => {
  const started = wq.pools.clockNow()
  // at most DRAIN_REPORTS reports (as the kernel's drain warning stops after 1000 tries):
  // a reporter that never ends would keep a virtual clock ticking past a real deadlock
  const report = (delay: number, left = DRAIN_REPORTS): Effect.Effect<void> =>
    left <= 0 ? Effect.void : Effect.flatMap(Effect.sleep(delay), () => {
      const running = stragglersOf(wq)
      const queued = Math.max(0, pendingCount(wq) - running.length)
      const waited = Math.round((wq.pools.clockNow() - started) / 1000)
      return Effect.zipRight(
        Effect.logWarning(
          `workqueue ${wq.name}: ${operation} has waited ${waited} s for ${running.length} running item(s)${
            running.length === 0 ? "" : `: ${describeStragglers(running)}`
          }${queued > 0 ? `; ${queued} more queued` : ""}`
        ),
        report(Math.min(delay * 2, DRAIN_REPORT_MAX_MS), left - 1)
      )
    })
  return Effect.flatMap(
    // interruptible: destroy runs this inside its uninterruptible mask
    Effect.forkDaemon(Effect.interruptible(report(DRAIN_REPORT_AFTER_MS))),
    // interruptFork, not interrupt: awaiting the reporter's exit would suspend the caller after the drain ended
    // (DRAINING already cleared), and other fibers could queue from outside before the drain "returned"
    (reporter) => Effect.ensuring(wait, Fiber.interruptFork(reporter))
  )
}

/**
 * @internal drain `wq` (for `operation`), reporting while it waits; with a
 * timeout, give up when it expires: interrupt the items still running (their
 * workers retire them as failed; a `Work.promise` item's AbortSignal fires)
 * and fail with `DrainTimeout` listing them.
 */
export const drainWithin = (
  wq: WorkqueueImpl,
  operation: "drain" | "destroy",
  timeout: Duration.DurationInput | undefined
): Effect.Effect<void, Errors.FlushDeadlock | Errors.DrainTimeout | Errors.InvalidDelay> =>
  Effect.suspend((): Effect.Effect<void, Errors.FlushDeadlock | Errors.DrainTimeout | Errors.InvalidDelay> => {
    const drain = reportWhileWaiting(wq, operation, drainWorkqueue(wq, operation))
    if (timeout === undefined) return drain
    const ms = delayMillis(timeout)
    if (typeof ms !== "number") return Effect.fail(ms)
    return Effect.flatMap(Effect.timeoutOption(drain, ms), (done) => {
      if (Option.isSome(done)) return Effect.void
      const stragglers = stragglersOf(wq)
      const fibers: Array<Fiber.RuntimeFiber<void>> = []
      for (const pwq of wq.pwqs) {
        for (const worker of pwq.pool.workers) {
          if (worker.currentPwq?.wq === wq && worker.fiber !== null && !fibers.includes(worker.fiber)) {
            fibers.push(worker.fiber)
          }
        }
      }
      return Effect.zipRight(
        Effect.zipRight(
          Fiber.interruptAll(fibers),
          Effect.logWarning(
            `workqueue ${wq.name}: ${operation} timed out after ${ms} ms; interrupting ${stragglers.length} item(s)${
              stragglers.length === 0 ? "" : `: ${describeStragglers(stragglers)}`
            }`
          )
        ),
        Effect.fail(new Errors.DrainTimeout({ workqueue: wq.name, operation, timeoutMillis: ms, stragglers }))
      )
    })
  })

/**
 * @internal kernel `destroy_workqueue`: PROTOCOLS.md X1–X4. Every call drains:
 * a destroy that is already under way does not let a second one return early
 * (G33). A destroy that fails (an item destroying its own workqueue:
 * FlushDeadlock) or is interrupted before the release leaves the workqueue as
 * it was: the last destroyer to give up clears DESTROYING (X1'), so outside
 * queueing is accepted again and a later destroy really drains.
 */
export const destroy = (
  wq: WorkqueueImpl,
  timeout?: Duration.DurationInput
): Effect.Effect<void, Errors.FlushDeadlock | Errors.DrainTimeout | Errors.InvalidDelay> =>
  Effect.uninterruptibleMask((restore) =>
    Effect.suspend(() => {
      if (wq.destroyed) return Effect.void
      wq.nrDestroyers++
      wq.flags |= Flags.__WQ_DESTROYING
      return restore(drainWithin(wq, "destroy", timeout)).pipe(
        Effect.onExit((exit) =>
          Effect.sync(() => {
            if (--wq.nrDestroyers === 0 && exit._tag === "Failure" && !wq.destroyed) {
              wq.flags &= ~Flags.__WQ_DESTROYING
            }
          })
        ),
        Effect.zipRight(Effect.suspend(() => (wq.destroyed ? Effect.void : release(wq))))
      )
    })
  ).pipe(
    // a span, as flush and drain are (whether called directly or by closing the scope)
    Effect.withSpan("Workqueue.destroy", {
      attributes: { "messaging.system": "cmwq", "messaging.destination.name": wq.name }
    })
  )

/** @internal kernel `workqueue_set_max_active` */
export const setMaxActive = (
  wq: WorkqueueImpl,
  n: number
): Effect.Effect<void, Errors.InvalidMaxActive | Errors.InvalidOperation> =>
  Effect.suspend((): Effect.Effect<void, Errors.InvalidMaxActive | Errors.InvalidOperation> => {
    if (wq.ordered || (wq.flags & Flags.WQ_BH) !== 0) {
      return Effect.fail(
        new Errors.InvalidOperation({
          operation: "setMaxActive",
          workqueue: wq.name,
          reason: wq.ordered ? "an ordered workqueue runs one item at a time" : "BH workqueues have no max_active"
        })
      )
    }
    return Effect.map(checkMaxActive(wq.name, n, false), (value) => {
      wq.savedMaxActive = value
      if (wq.unbound) wq.savedMinActive = Math.min(wq.savedMinActive, value)
      adjustMaxActive(wq)
    })
  })

/** @internal kernel `workqueue_set_min_active` */
export const setMinActive = (
  wq: WorkqueueImpl,
  n: number
): Effect.Effect<void, Errors.InvalidMaxActive | Errors.InvalidOperation> =>
  Effect.suspend((): Effect.Effect<void, Errors.InvalidMaxActive | Errors.InvalidOperation> => {
    if (!wq.unbound || wq.ordered) {
      return Effect.fail(
        new Errors.InvalidOperation({
          operation: "setMinActive",
          workqueue: wq.name,
          reason: "only non-ordered unbound workqueues have min_active"
        })
      )
    }
    return Effect.map(checkMaxActive(wq.name, n), (checked) => {
      wq.savedMinActive = Math.min(checked, wq.savedMaxActive)
      adjustMaxActive(wq)
    })
  })

/** @internal kernel `apply_workqueue_attrs`: PROTOCOLS.md A1–A4 */
export const applyAttrs = (wq: WorkqueueImpl, attrs: AttrsInput): Effect.Effect<void, Errors.InvalidOperation> =>
  Effect.suspend(() => {
    const current = wq.unboundAttrs
    if (current === null || wq.destroyed) {
      return Effect.fail(
        new Errors.InvalidOperation({
          operation: "applyAttrs",
          workqueue: wq.name,
          reason: wq.destroyed ? "the workqueue is destroyed" : "attributes apply to UNBOUND workqueues"
        })
      )
    }
    wq.pools.installUnboundPwqs(wq, {
      highpri: current.highpri,
      cpumask: attrs.cpumask ?? current.cpumask,
      affinityScope: attrs.affinityScope ?? current.affinityScope,
      affinityStrict: attrs.affinityStrict ?? current.affinityStrict
    })
    return Effect.void
  })

/** @internal public `Workqueue.attrs` */
export const attrsOf = (
  wq: WorkqueueImpl
): Option.Option<
  { readonly cpumask: ReadonlyArray<number>; readonly affinityScope: AffinityScope; readonly affinityStrict: boolean }
> => {
  const a = wq.unboundAttrs
  return a === null
    ? Option.none()
    : Option.some({ cpumask: a.cpumask, affinityScope: a.affinityScope, affinityStrict: a.affinityStrict })
}

/** @internal public `Workqueue.unsafeInspect`: the flush colors and every pwq */
export const inspect = (wq: WorkqueueImpl) => ({
  workColor: wq.workColor,
  flushColor: wq.flushColor,
  flushers: (wq.firstFlusher === null ? 0 : 1) + wq.flusherQueue.length + wq.flusherOverflow.length,
  maxActive: wq.maxActive,
  links: wq.pwqs.map((pwq) => ({
    poolId: pwq.pool.id,
    pool: pwq.pool.name,
    active: pwq.nrActive,
    inactive: List.size(pwq.inactive),
    inFlight: Array.from(pwq.nrInFlight),
    flushColor: pwq.flushColor
  }))
})

/** @internal public `Workqueue.pendingCount`: queued and running items, barriers excluded */
export const pendingCount = (wq: WorkqueueImpl): number => {
  let n = 0
  for (const pwq of wq.pwqs) n += pwq.nrActive + List.size(pwq.inactive)
  return n
}

/** @internal public `Workqueue.stats`: the counters and the last failure */
export const stats = (wq: WorkqueueImpl) =>
  Effect.sync(() => ({ ...statsOf(wq), lastFailure: Option.fromNullable(wq.lastFailure) }))

/** @internal one failed run of a workqueue's item (public `Workqueue.WorkFailure`) */
export interface FailureRecord {
  readonly workqueue: string
  readonly work: WorkImpl
  readonly name: string
  readonly cause: Cause.Cause<unknown>
}

/** @internal a `failures` subscription */
interface FailureSink {
  failure(failure: FailureRecord): void
  end(): void
}

const END: unique symbol = Symbol("cmwq/failures/end")

/**
 * @internal public `Workqueue.failures`: subscribe now (no failure after
 * this effect is missed), unsubscribe when the scope closes; the stream
 * ends after the last failure once the workqueue is destroyed
 */
export const failures = (
  wq: WorkqueueImpl
): Effect.Effect<Stream.Stream<FailureRecord>, never, Scope.Scope> =>
  Effect.map(
    Effect.acquireRelease(
      Effect.map(Queue.unbounded<FailureRecord | typeof END>(), (queue) => {
        const sink: FailureSink = {
          failure: (failure) => queue.unsafeOffer(failure),
          end: () => queue.unsafeOffer(END)
        }
        if (wq.destroyed) sink.end()
        else (wq.failureSinks ??= new Set()).add(sink)
        return { queue, sink }
      }),
      ({ queue, sink }) =>
        Effect.suspend(() => {
          const sinks = wq.failureSinks
          if (sinks !== null) {
            sinks.delete(sink)
            if (sinks.size === 0) wq.failureSinks = null
          }
          return Queue.shutdown(queue)
        })
    ),
    ({ queue }) => Stream.fromQueue(queue).pipe(Stream.takeWhile((x): x is FailureRecord => x !== END))
  )

/** @internal public `Workqueue.inspect` */
export const inspectEffect = (wq: WorkqueueImpl) => Effect.sync(() => inspect(wq))

/** @internal public `Workqueue.pendingCount` */
export const pendingCountEffect = (wq: WorkqueueImpl): Effect.Effect<number> => Effect.sync(() => pendingCount(wq))
