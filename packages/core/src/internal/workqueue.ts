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
import * as Effect from "effect/Effect"
import * as Fiber from "effect/Fiber"
import { WORK_NR_COLORS, WQ_DFL_ACTIVE, WQ_DFL_MIN_ACTIVE, WQ_MAX_ACTIVE } from "./constants.js"
import * as Errors from "./errors.js"
import * as Flags from "./flags.js"
import type { Flusher } from "./color.js"
import * as List from "./list.js"
import { PoolEvent } from "./events.js"
import { findWorkerExecutingWork, kickPool, type WorkerPoolImpl } from "./pool.js"
import type { PoolsImpl } from "./pools.js"
import { initRescuer } from "./rescuer.js"
import {
  getPwq,
  NodeNrActive,
  PwqStats,
  PoolWorkqueueImpl,
  pwqActivateFirstInactive,
  pwqTryincNrActive
} from "./pwq.js"
import {
  disableDepthOf,
  WORK_COLOR_SHIFT,
  WORK_INACTIVE,
  WORK_PENDING,
  WORK_PWQ,
  WORK_RUNNING_MASK,
  type WorkImpl,
  workName
} from "./work.js"
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
  cpuPwq: Array<PoolWorkqueueImpl> = [] // P: per CPU: the pwq queueing on that CPU uses
  dflPwq: PoolWorkqueueImpl | null = null // P: unbound: the default pwq (ordered: the only one)
  readonly pwqs: Array<PoolWorkqueueImpl> = [] // P: all live pwqs, oldest first
  nna: NodeNrActive | null = null // I: unbound only: the shared active count
  // flush state (F: flush.ts only)
  workColor = 0 // F: color given to newly queued items
  flushColor = 0 // F: oldest color still being flushed
  nrPwqsToFlush = 0 // F
  firstFlusher: Flusher | null = null // F
  readonly flusherQueue: Array<Flusher> = [] // F
  readonly flusherOverflow: Array<Flusher> = [] // F
  nrDrainers = 0 // P
  rescuer: WorkerImpl | null = null // I: WQ_MEM_RECLAIM only
  readonly maydays: Array<PoolWorkqueueImpl> = [] // P: pwqs asking the rescuer for help
  destroyed = false // P: released; every later queue attempt fails
  readonly retiredStats = new PwqStats() // P: counters of pwqs already released
  running = 0 // P: items of this workqueue running now
  peakRunning = 0 // P: the most ever running at once
  unboundAttrs: UnboundAttrs | null = null // P: unbound only

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

  /** the pwq queueing on `cpu` uses (kernel `wq->cpu_pwq[cpu]`) */
  pwqFor(cpu: number): PoolWorkqueueImpl {
    return this.cpuPwq[cpu]
  }

  /** the last reference to a pwq went away: unlink it (kernel `pwq_release_workfn`) */
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
    if (pwq.pending && this.nna !== null) {
      const j = this.nna.pendingPwqs.indexOf(pwq)
      if (j >= 0) this.nna.pendingPwqs.splice(j, 1)
      pwq.pending = false
    }
    if (pwq.pool.cpu < 0) this.pools.putUnboundPool(pwq.pool)
    // ordered workqueues: the oldest remaining pwq may now run (kernel unplug_oldest_pwq)
    if (this.ordered && this.pwqs.length > 0) {
      const oldest = this.pwqs[0]
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
  if (ordered && (flags & Flags.WQ_PERCPU) !== 0) return invalid("ordered workqueues are unbound: PERCPU does not apply")
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
// __queue_work
// -----------------------------------------------------------------------------

/** @internal kernel `is_chained_work`: is the caller a worker running an item of `wq`? */
export const isChainedWork = (wq: WorkqueueImpl, caller: WorkerImpl | null): boolean =>
  caller !== null && ((caller.currentPwq !== null && caller.currentPwq.wq === wq) || caller.rescueWq === wq)

/** @internal why a queue attempt was refused, or null if it may go ahead */
export const queueRefusal = (wq: WorkqueueImpl, caller: WorkerImpl | null): "destroyed" | "draining" | null => {
  if (wq.destroyed) return "destroyed"
  if ((wq.flags & (Flags.__WQ_DESTROYING | Flags.__WQ_DRAINING)) !== 0 && !isChainedWork(wq, caller)) {
    return (wq.flags & Flags.__WQ_DESTROYING) !== 0 ? "destroyed" : "draining"
  }
  return null
}

/** @internal the typed error for a refusal */
export const refusalError = (
  wq: WorkqueueImpl,
  reason: "destroyed" | "draining"
): Errors.WorkqueueDestroyed | Errors.WorkqueueDraining =>
  reason === "destroyed"
    ? new Errors.WorkqueueDestroyed({ workqueue: wq.name })
    : new Errors.WorkqueueDraining({ workqueue: wq.name })

/**
 * @internal kernel `__queue_work`: the caller owns PENDING and has checked
 * `queueRefusal`. `cpu` is the requested CPU (or -1: the local one).
 */
export const queueWorkOnPwq = (cpu: number, wq: WorkqueueImpl, work: WorkImpl, localCpu: number): void => {
  // 3. choose the pwq
  // kernel raw_smp_processor_id / wq_select_unbound_cpu: without a CPU, the local one
  // (every CPU is in the unbound cpumask here)
  const target = cpu < 0 ? localCpu : cpu
  let pwq = wq.pwqFor(target)
  let pool = pwq.pool
  // 4. non-reentrancy: if the item is still running on its last pool, queue it there
  const last = work.link as WorkerPoolImpl | null
  if (last !== null && last !== pool && !wq.ordered) {
    const runner = findWorkerExecutingWork(last, work)
    if (runner !== undefined && runner.currentPwq!.wq === wq) {
      pwq = runner.currentPwq!
      pool = pwq.pool
    }
  }
  // 7. color it and count it in flight
  const color = pwq.workColor
  pwq.nrInFlight[color]++
  const data = WORK_PENDING | WORK_PWQ | (color << WORK_COLOR_SHIFT)
  // 8. active if max_active allows and no older item waits, else inactive (FIFO)
  if (List.isEmpty(pwq.inactive) && pwqTryincNrActive(pwq, false)) {
    if (List.isEmpty(pool.worklist)) pool.progress++
    insertWork(pwq, work, pool.worklist, data)
    kickPool(pool)
  } else {
    insertWork(pwq, work, pwq.inactive, data | WORK_INACTIVE)
  }
}

/** @internal kernel `insert_work`: the item now belongs to `pwq` */
export const insertWork = (pwq: PoolWorkqueueImpl, work: WorkImpl, head: List.ListNode, data: number): void => {
  work.data = data | (work.data & WORK_RUNNING_MASK)
  work.link = pwq
  List.addTail(work, head)
  getPwq(pwq)
}

/**
 * @internal kernel `queue_work_on`: grab PENDING; refuse disabled items;
 * queue. Returns whether the item was newly queued, or the refusal.
 */
export const queueWorkOn = (
  cpu: number,
  wq: WorkqueueImpl,
  work: WorkImpl,
  caller: WorkerImpl | null,
  localCpu: number
): boolean | "destroyed" | "draining" => {
  const data = work.data
  if ((data & WORK_PENDING) !== 0) return false
  if (disableDepthOf(data) !== 0) return false
  const refusal = queueRefusal(wq, caller)
  if (refusal !== null) {
    wq.pools.emit(PoolEvent.QueueRejected({ workqueue: wq.name, work: workName(work), reason: refusal }))
    return refusal
  }
  work.data = data | WORK_PENDING
  queueWorkOnPwq(cpu, wq, work, localCpu)
  return true
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
 * @internal kernel `destroy_workqueue` after the drain: stop the rescuer,
 * check that nothing is left (a busy workqueue is leaked with a warning, as
 * the kernel does), release the pwqs and their unbound pools.
 */
export const release = (wq: WorkqueueImpl): Effect.Effect<void> =>
  Effect.suspend(() => {
    const pools = wq.pools
    const stopRescuer = wq.rescuer !== null && wq.rescuer.fiber !== null
      ? Fiber.interrupt(wq.rescuer.fiber)
      : Effect.void
    return Effect.flatMap(stopRescuer, () => {
      wq.rescuer = null
      wq.destroyed = true
      pools.workqueues.delete(wq)
      if (workqueueIsBusy(wq)) {
        pools.emit(PoolEvent.DestroyBusy({ workqueue: wq.name }))
        return Effect.logWarning(`destroy_workqueue: ${wq.name} has the following busy pwq: leaked`)
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
      return Effect.void
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
    for (let c = 0; c < WORK_NR_COLORS; c++) inFlight += pwq.nrInFlight[c]
  }
  return {
    name: wq.name,
    started: started + wq.retiredStats.started,
    completed: completed + wq.retiredStats.completed,
    failed: failed + wq.retiredStats.failed,
    inFlight,
    running: wq.running,
    peakRunning: wq.peakRunning,
    cpuTimeMs: cpuTimeMs + wq.retiredStats.cpuTimeMs,
    cpuIntensive: cpuIntensive + wq.retiredStats.cpuIntensive,
    cmWakeup: cmWakeup + wq.retiredStats.cmWakeup,
    mayday: mayday + wq.retiredStats.mayday,
    rescued: rescued + wq.retiredStats.rescued
  }
}
