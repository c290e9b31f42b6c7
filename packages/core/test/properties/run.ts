/**
 * Runs a ./model.ts workload under deterministic virtual time and records
 * what every operation returned, every run, the observer's events, worker
 * creations and the state at every quiescent point.
 */
import * as Cause from "effect/Cause"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Fiber from "effect/Fiber"
import * as Option from "effect/Option"
import { DelayedWork, Freezer, Policy, Work, WorkerPool, Workqueue } from "@cmwq/core"
import { runVirtual } from "../helpers.js"
import type { Delay, Op, Step, Workload } from "./model.js"

export interface Call {
  readonly op: Op["_tag"] | Step["_tag"]
  readonly k?: number | undefined
  readonly wq?: number | undefined
  /** the item whose body made the call, or null for the outside */
  readonly from: number | null
  readonly cpu?: number | null | undefined
  /** the delay in ms as the engine sees it (see `seenDelay`) */
  readonly delay?: number | undefined
  /** the delay as the workload gave it */
  readonly delayGiven?: Delay | undefined
  readonly final?: boolean | undefined
  readonly burst?: number | undefined
  /** for a successful queue call: where the item is right after it (`Work.explain`'s tag) */
  whereAfter?: string
  /** for a call made by an item's body: the index of the step that made it */
  readonly step?: number | undefined
  seq0: number
  t0: number
  seq1: number
  t1: number
  /** the returned value (boolean for most calls) */
  result?: unknown
  /** the error's `_tag`, or "defect" */
  error?: string | undefined
  pendingBefore?: boolean
  runningBefore?: boolean
  readonly busyPendingBefore?: boolean
  depthBefore?: number
  depthAfter?: number
  pendingAfter?: boolean
  expiresBefore?: number | null
  expiresAfter?: number | null
  frozen: boolean
  stateAfter?: Workqueue.State
  /**
   * for a flushWq call: the flushers the engine still held on the workqueue
   * when the call began (`Workqueue.unsafeInspect(wq).flushers`), that is
   * the earlier flushes it had not completed yet
   */
  flushersBefore?: number
}

export interface Run {
  readonly k: number
  readonly seq0: number
  readonly t0: number
  seq1: number
  t1: number
  readonly worker: number
  readonly workerName: string
  readonly pool: number
  readonly cpu: number
  outcome?: "success" | "failure" | "defect" | "interrupt"
  defect?: string
  readonly currentOk: boolean
  readonly busyRunning: boolean
  readonly pendingAtStart: boolean
  readonly token: number
  readonly attempt: number
}

export interface Creation {
  readonly pool: string
  readonly seq0: number
  readonly t0: number
  seq1: number
  ok?: boolean
}

export interface Quiescent {
  readonly seq: number
  readonly t: number
  readonly frozen: boolean
  readonly pools: ReadonlyArray<WorkerPool.PoolSnapshot>
  readonly wqs: ReadonlyArray<Workqueue.State>
}

export interface Result {
  readonly wl: Workload
  readonly calls: ReadonlyArray<Call>
  readonly runs: ReadonlyArray<Run>
  readonly events: ReadonlyArray<{ readonly seq: number; readonly t: number; readonly event: WorkerPool.Event }>
  readonly creations: ReadonlyArray<Creation>
  readonly quiescent: ReadonlyArray<Quiescent>
  /** each workqueue's stats at the end of the program (after the settle drains, before the scope closes) */
  readonly stats: ReadonlyArray<Workqueue.Stats>
  /** each workqueue's state at the same moment as `stats` */
  readonly statsState: ReadonlyArray<Workqueue.State>
  readonly finalState: ReadonlyArray<Workqueue.State>
  readonly destroyed: ReadonlyArray<boolean>
  /** "success", or why the run did not complete (a hang, a defect) */
  readonly exit: string
  readonly endSeq: number
  /** Work.current outside any worker was some item */
  readonly outsideCurrent: boolean
}

/** the most self-requeues of one item, and body queue calls overall (keeps chains finite) */
const MAX_SELF = 2
const MAX_BODY_QUEUES = 24
/** virtual ms after the last operation (and the end of creation failures) within which the run must settle */
const SETTLE_MS = 60_000

export const wqName = (i: number) => `wq${i}`
export const workName = (i: number) => `w${i}`

const tagOf = (cause: Cause.Cause<unknown>): string => {
  const f = Cause.failureOption(cause)
  if (Option.isSome(f)) {
    const e = f.value as { _tag?: string }
    return typeof e === "object" && e !== null && typeof e._tag === "string" ? e._tag : "failure"
  }
  return Cause.isInterruptedOnly(cause) ? "interrupt" : "defect"
}

export const runWorkload = (wl: Workload): Result => {
  let seq = 0
  const tick = () => ++seq
  const calls: Array<Call> = []
  const runs: Array<Run> = []
  const events: Array<{ seq: number; t: number; event: WorkerPool.Event }> = []
  const creations: Array<Creation> = []
  const quiescent: Array<Quiescent> = []
  const statsState: Array<Workqueue.State> = []
  const wqs: Array<Workqueue.Workqueue> = []
  let pools: WorkerPool.WorkerPools | undefined
  let frozen = false
  let outsideCurrent = false
  const destroyed = wl.wqs.map(() => false)
  const tokens = wl.items.map(() => 0)
  const attempts = wl.items.map(() => 0)
  const selfQueues = wl.items.map(() => 0)
  let bodyQueues = 0
  const now = Effect.clockWith((c) => c.currentTimeMillis)
  const works: Array<Work.Work> = []
  const running = (k: number) => runs.some((r) => r.k === k && r.seq1 < 0)
  const program = Effect.gen(function*() {
    pools = yield* WorkerPool.WorkerPools
    outsideCurrent = Option.isSome(yield* Work.current)
    for (const [i, spec] of wl.wqs.entries()) {
      const flags: Array<Workqueue.Flag> = []
      if (spec.kind === "bh") flags.push("BH")
      if (spec.kind === "unbound") flags.push("UNBOUND")
      if (spec.highpri) flags.push("HIGHPRI")
      if (spec.cpuIntensive) flags.push("CPU_INTENSIVE")
      if (spec.memReclaim) flags.push("MEM_RECLAIM")
      if (spec.freezable) flags.push("FREEZABLE")
      wqs.push(
        spec.kind === "ordered"
          ? yield* Workqueue.allocOrdered(wqName(i), { flags })
          : yield* Workqueue.alloc(wqName(i), { flags, maxActive: spec.kind === "bh" ? 0 : spec.maxActive })
      )
    }
    const begin = (c: Omit<Call, "seq0" | "t0" | "seq1" | "t1" | "frozen">): Call => {
      const call: Call = { ...c, seq0: tick(), t0: 0, seq1: -1, t1: -1, frozen }
      calls.push(call)
      return call
    }
    const end = (call: Call, exit: Exit.Exit<unknown, unknown>) => {
      call.seq1 = tick()
      if (Exit.isSuccess(exit)) call.result = exit.value
      else call.error = tagOf(exit.cause)
      if ((call.op === "drain" || call.op === "destroy") && call.wq !== undefined)
        call.stateAfter = Workqueue.unsafeInspect(wqs[call.wq]!)
      if (call.k !== undefined) {
        call.depthAfter = Work.disableDepth(works[call.k]!)
        call.pendingAfter = Work.isPending(works[call.k]!)
        const w = works[call.k]!
        if (DelayedWork.isDelayedWork(w)) call.expiresAfter = Option.getOrNull(DelayedWork.expires(w))
        if (call.op === "queue" && call.result === true) call.whereAfter = Effect.runSync(Work.explain(w))._tag
      }
    }
    /** run `eff` as the recorded call `c` */
    const record = <A, E>(c: Omit<Call, "seq0" | "t0" | "seq1" | "t1" | "frozen">, eff: Effect.Effect<A, E>) =>
      Effect.flatMap(now, (t0) => {
        const call = begin(c)
        call.t0 = t0
        if (c.op === "flushWq" && c.wq !== undefined) call.flushersBefore = Workqueue.unsafeInspect(wqs[c.wq]!).flushers
        if (c.k !== undefined) {
          const w = works[c.k]!
          call.pendingBefore = Work.isPending(w)
          call.runningBefore = running(c.k)
          call.depthBefore = Work.disableDepth(w)
          if (DelayedWork.isDelayedWork(w)) call.expiresBefore = Option.getOrNull(DelayedWork.expires(w))
        }
        return Effect.exit(eff).pipe(Effect.tap((exit) =>
          Effect.flatMap(now, (t1) =>
            Effect.sync(() => {
              end(call, exit)
              call.t1 = t1
            }))
        ))
      })
    const toDelay = (d: Delay): Duration.DurationInput =>
      d.form === "duration" ? Duration.millis(d.ms) : d.form === "string" ? `${d.ms} millis` : d.ms
    /**
     * the delay the engine can see: a `Duration` value is never negative (Effect's
     * constructors clamp, `Duration.millis(-1)` is `Duration.zero`), the other forms
     * keep their sign
     */
    const seenDelay = (d: Delay): number => d.form === "duration" ? Duration.toMillis(Duration.millis(d.ms)) : d.ms
    const queueCall = (k: number, cpu: number | null, from: number | null, step?: number) => {
      const wq = wqs[wl.items[k]!.wq]!
      return Effect.suspend(() => {
        tokens[k] = seq + 1
        return record(
          { op: "queue", k, wq: wl.items[k]!.wq, from, cpu, step },
          cpu === null ? Workqueue.queue(wq, works[k]!) : Workqueue.queueOn(wq, cpu, works[k]!)
        )
      })
    }
    for (const [i, spec] of wl.items.entries()) {
      const body = (me: WorkerPool.WorkerInfo) =>
        Effect.gen(function*() {
          for (const [si, step] of spec.steps.entries()) {
            switch (step._tag) {
              case "sleep":
                yield* Effect.sleep(step.ms)
                break
              case "yield":
                for (let n = 0; n < step.n; n++) yield* Effect.yieldNow()
                break
              case "requeue":
                if (selfQueues[i]! < MAX_SELF && bodyQueues < MAX_BODY_QUEUES) {
                  selfQueues[i]!++
                  bodyQueues++
                  yield* queueCall(i, null, i, si)
                }
                break
              case "queue":
                if (bodyQueues < MAX_BODY_QUEUES) {
                  bodyQueues++
                  yield* queueCall(step.k, null, i, si)
                }
                break
              case "cancel":
                yield* record({ op: "cancel", k: step.k, from: i }, Work.cancel(works[step.k]!))
                break
              case "disable":
                yield* record({ op: "disable", k: step.k, from: i }, Work.disable(works[step.k]!))
                break
              case "enable":
                yield* record({ op: "enable", k: step.k, from: i }, Work.enable(works[step.k]!))
                break
              case "cancelSync":
                // only towards later workqueues: a cycle would be the workload's own deadlock
                if (step.k === i || wl.items[step.k]!.wq > spec.wq) {
                  yield* record({ op: "cancelSync", k: step.k, from: i }, Work.cancelSync(works[step.k]!))
                }
                break
              case "flushWork":
                if (step.k === i || wl.items[step.k]!.wq > spec.wq) {
                  yield* record({ op: "flushWork", k: step.k, from: i }, Work.flush(works[step.k]!))
                }
                break
              case "flushSelf":
                yield* record({ op: "flushWork", k: i, from: i }, Work.flush(works[i]!))
                break
              case "flushWq":
                if (step.wq >= spec.wq) {
                  yield* record({ op: "flushWq", wq: step.wq, from: i }, Workqueue.flush(wqs[step.wq]!))
                }
                break
              case "destroyOwn":
                yield* record({ op: "destroy", wq: spec.wq, from: i }, Workqueue.destroy(wqs[spec.wq]!))
                break
              case "fail":
                return yield* Effect.fail("planned failure")
              case "interrupt":
                return yield* Effect.interrupt
            }
          }
          void me
        })
      const effect = Effect.flatMap(Effect.all([WorkerPool.currentWorker, Work.current, now]), ([meO, current, t0]) => {
        const me = Option.getOrThrow(meO)
        const currentOk = Option.isSome(current) && current.value === works[i]
        const pendingAtStart = Work.isPending(works[i]!)
        attempts[i]!++
        const run: Run = {
          k: i,
          seq0: tick(),
          t0,
          seq1: -1,
          t1: -1,
          worker: me.id,
          workerName: me.name,
          pool: me.pool,
          cpu: me.cpu,
          currentOk,
          busyRunning: false,
          pendingAtStart,
          token: tokens[i]!,
          attempt: attempts[i]!
        }
        runs.push(run)
        return Effect.flatMap(Work.busy(works[i]!), (b) => {
          ;(run as { busyRunning: boolean }).busyRunning = b.running
          return body(me)
        }).pipe(Effect.onExit((exit) =>
          Effect.flatMap(now, (t1) =>
            Effect.sync(() => {
              run.seq1 = tick()
              run.t1 = t1
              run.outcome = Exit.isSuccess(exit)
                ? "success"
                : Cause.isFailure(exit.cause)
                ? "failure"
                : Cause.isInterruptedOnly(exit.cause)
                ? "interrupt"
                : "defect"
              if (run.outcome === "defect")
                run.defect = String(Cause.squash((exit as Exit.Failure<unknown, unknown>).cause))
            }))
        ))
      })
      works.push(
        spec.delayed ? DelayedWork.make(effect, { name: workName(i) }) : Work.make(effect, { name: workName(i) })
      )
    }
    const forked: Array<Fiber.RuntimeFiber<unknown, unknown>> = []
    const fork = (eff: Effect.Effect<unknown, unknown>) => Effect.map(Effect.fork(eff), (f) => void forked.push(f))
    const dw = (k: number) => works[k] as DelayedWork.DelayedWork
    const runOp = (op: Op): Effect.Effect<unknown, unknown> => {
      switch (op._tag) {
        case "queue":
          return queueCall(op.k, op.cpu, null)
        case "queueDelayed":
        case "modDelayed": {
          const wq = wqs[wl.items[op.k]!.wq]!
          const f = op._tag === "queueDelayed" ? Workqueue.queueDelayed : Workqueue.modDelayed
          return Effect.suspend(() => {
            tokens[op.k] = seq + 1
            return record(
              {
                op: op._tag,
                k: op.k,
                wq: wl.items[op.k]!.wq,
                from: null,
                delay: seenDelay(op.delay),
                delayGiven: op.delay
              },
              f(wq, dw(op.k), toDelay(op.delay))
            )
          })
        }
        case "cancel":
          return record({ op: "cancel", k: op.k, from: null }, Work.cancel(works[op.k]!))
        case "cancelSync":
          return fork(record({ op: "cancelSync", k: op.k, from: null }, Work.cancelSync(works[op.k]!)))
        case "disable":
          return record({ op: "disable", k: op.k, from: null }, Work.disable(works[op.k]!))
        case "disableSync":
          return fork(record({ op: "disableSync", k: op.k, from: null }, Work.disableSync(works[op.k]!)))
        case "disableMany":
          return record(
            { op: "disableMany", k: op.k, from: null },
            Effect.sync(() => {
              const first = Effect.runSync(Work.disable(works[op.k]!))
              for (let n = 1; n < 65_540; n++) Effect.runSync(Work.disable(works[op.k]!))
              return first
            })
          )
        case "enable":
          return record({ op: "enable", k: op.k, from: null }, Work.enable(works[op.k]!))
        case "enableQueue":
          return Effect.flatMap(
            record({ op: "enable", k: op.k, from: null }, Work.enable(works[op.k]!)),
            () => queueCall(op.k, null, null)
          )
        case "flushWork":
          return fork(
            Effect.flatMap(Work.busy(works[op.k]!), (b) =>
              record(
                { op: "flushWork", k: op.k, from: null, busyPendingBefore: b.pending || b.running },
                Work.flush(works[op.k]!)
              ))
          )
        case "flushDelayed":
          return fork(record({ op: "flushDelayed", k: op.k, from: null }, DelayedWork.flush(dw(op.k))))
        case "flushWq":
          return fork(record({ op: "flushWq", wq: op.wq, from: null }, Workqueue.flush(wqs[op.wq]!)))
        case "flushBurst":
          return Effect.forEach(
            Array.from({ length: op.n }),
            () => fork(record({ op: "flushWq", wq: op.wq, from: null, burst: op.n }, Workqueue.flush(wqs[op.wq]!))),
            { discard: true }
          )
        case "drain":
          return fork(record({ op: "drain", wq: op.wq, from: null }, Workqueue.drain(wqs[op.wq]!)))
        case "destroy":
          destroyed[op.wq] = true
          return fork(record({ op: "destroy", wq: op.wq, from: null }, Workqueue.destroy(wqs[op.wq]!)))
        case "applyAttrs":
          return record(
            { op: "applyAttrs", wq: op.wq, from: null },
            Workqueue.applyAttrs(
              wqs[op.wq]!,
              op.scope === undefined ? { cpumask: op.cpumask } : { cpumask: op.cpumask, affinityScope: op.scope }
            )
          )
        case "setMaxActive":
          return record(
            { op: "setMaxActive", wq: op.wq, from: null, burst: op.n },
            Workqueue.setMaxActive(wqs[op.wq]!, op.n)
          )
        case "freeze":
          return Effect.flatMap(
            record({ op: "freeze", from: null }, Effect.provideService(Freezer.freeze, WorkerPool.WorkerPools, pools!)),
            () => Effect.sync(() => void (frozen = true))
          )
        case "thaw":
          return Effect.flatMap(
            Effect.sync(() => void (frozen = false)),
            () =>
              record({ op: "thaw", from: null }, Effect.provideService(Freezer.thaw, WorkerPool.WorkerPools, pools!))
          )
      }
    }
    let clock = 0
    for (const { at, op } of wl.ops) {
      if (at > clock) {
        yield* Effect.sleep(at - clock)
        clock = at
      }
      yield* runOp(op)
    }
    // settle: thaw, outlast the creation failures, fire armed timers, drain what is left
    if (frozen) yield* runOp({ _tag: "thaw" })
    if (Number.isFinite(wl.creationFailsUntil) && wl.creationFailsUntil > clock)
      yield* Effect.sleep(wl.creationFailsUntil - clock)
    for (const f of forked) yield* Fiber.await(f)
    for (const [k, spec] of wl.items.entries()) {
      const w = works[k]!
      if (spec.delayed && !destroyed[spec.wq] && Option.isSome(DelayedWork.expires(w as DelayedWork.DelayedWork))) {
        yield* record(
          { op: "flushDelayed", k, from: null, final: true },
          DelayedWork.flush(w as DelayedWork.DelayedWork)
        )
      }
    }
    // a timer armed on a workqueue destroyed meanwhile fires into the refusing workqueue,
    // which drops it (QueueRejected, the conservation checks count that): let it fire
    // before the run ends, or the queueing that returned true would be neither run nor
    // dropped in the record (it cannot be flushed: the workqueue is gone)
    let lastExpiry = -1
    for (const [k, spec] of wl.items.entries()) {
      if (!spec.delayed || !destroyed[spec.wq]) continue
      const due = DelayedWork.expires(works[k]! as DelayedWork.DelayedWork)
      if (Option.isSome(due)) lastExpiry = Math.max(lastExpiry, due.value)
    }
    if (lastExpiry >= 0) {
      const t = yield* now
      yield* Effect.sleep(Math.max(0, lastExpiry - t) + 1)
    }
    // items of two workqueues that queue each other are chained work of neither: a drain
    // of one returns while the other queues into it again. Drain round after round until
    // nothing is in flight (body queueing is bounded by MAX_BODY_QUEUES, so this ends), or
    // the stats below would be taken while a run is still to come
    const live = () => wqs.filter((wq, i) => !destroyed[i] && !Workqueue.isDestroyed(wq))
    for (let round = 0; round < 2 + MAX_BODY_QUEUES; round++) {
      if (round >= 2) {
        const inFlight = yield* Effect.forEach(live(), Workqueue.stats)
        if (inFlight.every((s) => s.inFlight === 0)) break
      }
      for (const [i, wq] of wqs.entries()) {
        if (!destroyed[i] && !Workqueue.isDestroyed(wq))
          yield* record({ op: "drain", wq: i, from: null, final: true }, Workqueue.drain(wq))
      }
    }
    const stats = yield* Effect.forEach(wqs, Workqueue.stats)
    statsState.push(...wqs.map((wq) => Workqueue.unsafeInspect(wq)))
    return stats
  })
  const timed = Effect.gen(function*() {
    const fiber = yield* Effect.fork(program)
    const limit = (wl.ops.at(-1)?.at ?? 0) + (Number.isFinite(wl.creationFailsUntil) ? wl.creationFailsUntil : 0) +
      SETTLE_MS
    return yield* Fiber.join(fiber).pipe(
      Effect.timeoutFail({ duration: limit, onTimeout: () => "hang" as const })
    )
  })
  const policy = wl.policy === "priority"
    ? Policy.priority((w) => (w.name?.length ?? 0) % 3)
    : wl.policy === "legacy"
    ? Policy.legacy
    : undefined
  const tracked = Effect.gen(function*() {
    return yield* timed
  })
  const exit = runVirtual(
    Effect.suspend(() => tracked),
    {
      cpus: wl.cpus,
      idleTimeout: wl.idleTimeoutMs,
      watchdogThreshold: wl.watchdogMs,
      ...(policy ? { policy } : {}),
      observer: (event) => void events.push({ seq: tick(), t: 0, event }),
      workerCreation: (pool) =>
        Effect.gen(function*() {
          const c: Creation = { pool: pool.name, seq0: tick(), t0: 0, seq1: -1 }
          creations.push(c)
          if (wl.creationMs > 0) yield* Effect.sleep(wl.creationMs)
          const t = yield* now
          c.ok = t >= wl.creationFailsUntil
          c.seq1 = tick()
          return c.ok
        })
    },
    {
      maxSteps: 1_000_000,
      onQuiescent: (t) => {
        if (pools === undefined) return
        quiescent.push({
          seq: tick(),
          t,
          frozen,
          pools: WorkerPool.unsafeSnapshot(pools),
          wqs: wqs.map((wq) => Workqueue.unsafeInspect(wq))
        })
      }
    }
  )
  // a step's virtual time: that of the first quiescent point after it (timers fire, then everything due runs, then
  // the driver reports quiescence and advances the clock)
  const qs = quiescent.map((q) => q.seq)
  const endT = quiescent.length > 0 ? quiescent[quiescent.length - 1]!.t : 0
  const timeOf = (s: number): number => {
    if (s < 0) return -1
    let lo = 0
    let hi = qs.length
    while (lo < hi) {
      const mid = (lo + hi) >> 1
      if (qs[mid]! > s) hi = mid
      else lo = mid + 1
    }
    return lo < qs.length ? quiescent[lo]!.t : endT
  }
  for (const e of events) e.t = timeOf(e.seq)
  for (const c of creations) (c as { t0: number }).t0 = timeOf(c.seq0)
  return {
    wl,
    calls,
    runs,
    events,
    creations,
    quiescent,
    stats: exit._tag === "Success" ? exit.value : [],
    statsState,
    finalState: wqs.map((wq) => Workqueue.unsafeInspect(wq)),
    destroyed,
    exit: exit._tag === "Success" ? "success" : String(Cause.squash(exit.cause)),
    endSeq: seq,
    outsideCurrent
  }
}
