/**
 * One checker per guarantee (G1–G40 of packages/core/src/internal/PROTOCOLS.md)
 * over a ./run.ts result. A checker returns null, or the violation: what was
 * wrong, naming the call or run at fault. Times are virtual milliseconds;
 * `seq` numbers order every recorded step.
 */
import { Workqueue } from "@cmwq/core"
import type { Call, Result, Run } from "./run.js"
import { workName, wqName } from "./run.js"
import type { WqSpec } from "./model.js"

export type Violation = string | null
export type Check = (r: Result) => Violation

const CANCELS = new Set(["cancel", "cancelSync", "disable", "disableSync", "disableMany"])

const show = (c: Call) =>
  `call#${c.seq0} ${c.op}(${c.k !== undefined ? workName(c.k) : ""}${c.wq !== undefined ? wqName(c.wq) : ""}) from ${
    c.from === null ? "outside" : workName(c.from)
  }${c.delayGiven !== undefined ? ` delay ${JSON.stringify(c.delayGiven)}` : ""} at ${c.t0}ms → ${
    c.error ?? JSON.stringify(c.result)
  }${c.seq1 < 0 ? " (never returned)" : ` (returned at ${c.t1}ms, #${c.seq1})`}`
const showRun = (r: Run) =>
  `run#${r.seq0} of ${workName(r.k)} on ${r.workerName} (pool ${r.pool}) at ${r.t0}..${r.t1}ms ${
    r.outcome ?? "unfinished"
  }`

export const maxEff = (s: WqSpec) =>
  s.kind === "ordered" ? 1 : s.maxActive === 0 ? Workqueue.WQ_DFL_ACTIVE : s.maxActive

const ok = (c: Call) => c.seq1 >= 0 && c.error === undefined
const wqOf = (r: Result, k: number) => r.wl.items[k]!.wq

/** a cancel-like call that took PENDING away (mod takes it too, and re-arms) */
const grabbed = (c: Call) =>
  ok(c) && ((CANCELS.has(c.op) && c.result === true) || (c.op === "modDelayed" && c.result === true))

/** the run a successful immediate queue call caused: the next run of the item, unless a grab came first */
export const causedRun = (r: Result, c: Call): Run | null => {
  const k = c.k!
  const run = r.runs.find((x) => x.k === k && x.seq0 > c.seq0)
  const grab = r.calls.find((x) =>
    x.k === k && x.seq0 > c.seq0 && grabbed(x) && (run === undefined || x.seq0 < run.seq0)
  )
  if (grab !== undefined) return null
  return run ?? null
}

const queued = (c: Call) => c.op === "queue" && ok(c) && c.result === true

/** settled: the run completed (no hang, no step limit) */
export const settled: Check = (r) => r.exit === "success" ? null : `the workload did not settle: ${r.exit}`

/** every call returned */
export const allReturned: Check = (r) => {
  const c = r.calls.find((c) => c.seq1 < 0)
  return c ? `never returned: ${show(c)}` : null
}

const first = (...checks: ReadonlyArray<Check>): Check => (r) => {
  for (const c of checks) {
    const v = c(r)
    if (v !== null) return v
  }
  return null
}
export const all = first

// G1
export const pendingIdempotence: Check = (r) => {
  for (const c of r.calls) {
    if ((c.op === "queue" || c.op === "queueDelayed") && c.seq1 >= 0 && c.error === undefined) {
      if (c.pendingBefore && c.result !== false) return `G1: queued while pending returned ${c.result}: ${show(c)}`
      if (
        !c.pendingBefore && c.depthBefore === 0 && c.result !== true && !(c.op === "queueDelayed" && (c.delay ?? 0) < 0)
      ) {
        return `G1: queued while idle and enabled returned ${c.result}: ${show(c)}`
      }
    }
  }
  return null
}

// G2 (and stats.failed)
export const conservation: Check = (r) => {
  if (r.exit !== "success") return `G2: did not settle: ${r.exit}`
  for (let k = 0; k < r.wl.items.length; k++) {
    let expected = 0
    for (const c of r.calls) {
      if (c.k !== k || c.seq1 < 0) continue
      if (c.error !== undefined) {
        if (
          c.op === "flushDelayed" && c.expiresBefore !== null && c.expiresBefore !== undefined &&
          c.error !== "FlushDeadlock"
        ) expected--
        continue
      }
      if ((c.op === "queue" || c.op === "queueDelayed") && c.result === true) expected++
      if (c.op === "modDelayed") expected += (c.depthBefore === 0 ? 1 : 0) - (c.result === true ? 1 : 0)
      if (CANCELS.has(c.op) && c.result === true) expected--
    }
    // a timer that fired into a refusing workqueue dropped its queueing (a refused call is no queueing already)
    for (const e of r.events) {
      if (e.event._tag !== "QueueRejected" || e.event.work !== workName(k)) continue
      if (r.calls.some((c) => c.k === k && c.error !== undefined && c.seq0 < e.seq && c.seq1 > e.seq)) continue
      expected--
    }
    const runs = r.runs.filter((x) => x.k === k).length
    if (runs !== expected)
      return `G2: ${workName(k)} ran ${runs} times, expected ${expected} (successful queues − grabs − refused timers)`
  }
  for (const [i, s] of r.stats.entries()) {
    const failed = r.runs.filter((x) => wqOf(r, x.k) === i && x.outcome !== "success").length
    if (s.failed !== failed) return `G2: stats.failed of ${wqName(i)} is ${s.failed}, ${failed} runs failed`
  }
  return null
}

// G3
export const pendingClearsFirst: Check = (r) => {
  for (const run of r.runs)
    if (run.pendingAtStart) return `G3: PENDING still set when the body started: ${showRun(run)}`
  for (const c of r.calls) {
    if (c.op !== "queue" || c.from !== c.k || c.seq1 < 0 || c.error !== undefined) continue
    if (c.depthBefore === 0 && !c.pendingBefore && c.result !== true)
      return `G3: self-requeue from the body returned ${c.result}: ${show(c)}`
    if (c.result !== true) continue
    const mine = r.runs.find((x) => x.k === c.k && x.seq0 < c.seq0 && (x.seq1 < 0 || x.seq1 > c.seq0))!
    const next = causedRun(r, c)
    if (next === null) {
      if (r.calls.some((x) => x.k === c.k && x.seq0 > c.seq0 && grabbed(x))) continue
      return `G3: self-requeue returned true and caused no run: ${show(c)}`
    }
    if (mine && next.seq0 < mine.seq1)
      return `G3: the requeued run started before the current one finished: ${showRun(next)}`
  }
  return null
}

// G4
export const nonReentrancy: Check = (r) => {
  for (let k = 0; k < r.wl.items.length; k++) {
    const runs = r.runs.filter((x) => x.k === k)
    for (let i = 1; i < runs.length; i++) {
      const prev = runs[i - 1]!
      if (prev.seq1 < 0 || prev.seq1 > runs[i]!.seq0) return `G4: ${showRun(runs[i]!)} overlaps ${showRun(prev)}`
    }
  }
  return null
}

// G5
export const requeueFollowsRunner: Check = (r) => {
  for (const c of r.calls) {
    if (!queued(c) || !c.runningBefore) continue
    if (r.wl.wqs[wqOf(r, c.k!)]!.kind === "ordered") continue
    const cur = r.runs.find((x) => x.k === c.k && x.seq0 < c.seq0 && (x.seq1 < 0 || x.seq1 > c.seq0))
    if (!cur || cur.workerName.includes("/R-")) continue
    const next = causedRun(r, c)
    if (next === null) continue
    if (next.seq0 < cur.seq1)
      return `G5: queued while running, the next run started before the current finished: ${showRun(next)}`
    if (next.pool !== cur.pool && !next.workerName.includes("/R-")) {
      return `G5: queued while running on pool ${cur.pool}, the next run was on pool ${next.pool}: ${show(c)} → ${
        showRun(next)
      }`
    }
  }
  return null
}

/** the limits a workqueue had up to seq `s`: the largest (lowering lets activated items still start) */
const limitUpTo = (r: Result, wq: number, s: number) => {
  let m = maxEff(r.wl.wqs[wq]!)
  for (const c of r.calls) if (c.op === "setMaxActive" && c.wq === wq && c.seq0 < s && ok(c)) m = Math.max(m, c.burst!)
  return m
}

const inProgress = (r: Result, s: number) => r.runs.filter((x) => x.seq0 <= s && (x.seq1 < 0 || x.seq1 > s))

// G6
export const maxActivePerCpu: Check = (r) => {
  for (const run of r.runs) {
    const wq = wqOf(r, run.k)
    if (r.wl.wqs[wq]!.kind !== "percpu") continue
    const n = inProgress(r, run.seq0).filter((x) => wqOf(r, x.k) === wq && x.pool === run.pool).length
    const limit = limitUpTo(r, wq, run.seq0)
    if (n > limit)
      return `G6: ${n} items of ${wqName(wq)} running on pool ${run.pool}, max_active ${limit}, at ${showRun(run)}`
  }
  return null
}

// G7
export const maxActiveUnbound: Check = (r) => {
  for (const run of r.runs) {
    const wq = wqOf(r, run.k)
    if (r.wl.wqs[wq]!.kind !== "unbound") continue
    const n = inProgress(r, run.seq0).filter((x) => wqOf(r, x.k) === wq).length
    const limit = limitUpTo(r, wq, run.seq0)
    if (n > limit) return `G7: ${n} items of unbound ${wqName(wq)} running, max_active ${limit}, at ${showRun(run)}`
  }
  return null
}

/** pairs of successful immediate queue calls on `wq` with the runs they caused, in call order */
const queuedRuns = (r: Result, pred: (c: Call) => boolean) =>
  r.calls.filter((c) => queued(c) && pred(c)).map((c) => ({ c, run: causedRun(r, c) })).filter((
    x
  ): x is { c: Call; run: Run } => x.run !== null)

// G8
export const ordered: Check = (r) => {
  for (const [wq, spec] of r.wl.wqs.entries()) {
    if (spec.kind !== "ordered") continue
    const runs = r.runs.filter((x) => wqOf(r, x.k) === wq)
    for (let i = 1; i < runs.length; i++) {
      if (runs[i - 1]!.seq1 < 0 || runs[i - 1]!.seq1 > runs[i]!.seq0)
        return `G8: two items of ordered ${wqName(wq)} at once: ${showRun(runs[i - 1]!)} and ${showRun(runs[i]!)}`
    }
    const q = queuedRuns(r, (c) => wqOf(r, c.k!) === wq)
    for (let i = 1; i < q.length; i++) {
      if (q[i]!.run.seq0 < q[i - 1]!.run.seq0)
        return `G8: ordered ${wqName(wq)} started ${showRun(q[i]!.run)} (${show(q[i]!.c)}) before ${
          showRun(q[i - 1]!.run)
        } (${show(q[i - 1]!.c)})`
    }
  }
  return null
}

// G9
export const fifoActivation: Check = (r) => {
  if (r.wl.policy !== "kernel") return null
  for (const [wq, spec] of r.wl.wqs.entries()) {
    if (spec.kind !== "percpu") continue
    for (let cpu = 0; cpu < r.wl.cpus; cpu++) {
      // the pwq a call queues on: its CPU, else the caller's (the outside's is CPU 0); a
      // queue call while the item runs follows the runner (G5), so it is left out
      const q = queuedRuns(r, (c) => wqOf(r, c.k!) === wq && cpuOf(r, c) === cpu && !c.runningBefore)
      for (let i = 1; i < q.length; i++) {
        if (q[i]!.run.seq0 < q[i - 1]!.run.seq0) {
          return `G9: on ${wqName(wq)} cpu ${cpu}, ${show(q[i]!.c)} started (${showRun(q[i]!.run)}) before the older ${
            show(q[i - 1]!.c)
          } (${showRun(q[i - 1]!.run)})`
        }
      }
    }
  }
  return null
}

/** at quiescent points: a link (or, unbound, the workqueue) holding items back has every slot taken */
const eagerActivation = (r: Result, which: (spec: WqSpec, frozen: boolean) => boolean, g: string): Violation => {
  for (const q of r.quiescent) {
    for (const [wq, spec] of r.wl.wqs.entries()) {
      const st = q.wqs[wq]
      if (!st || spec.kind === "ordered" || spec.kind === "bh" || !which(spec, q.frozen) || r.destroyed[wq]) continue
      if (spec.kind === "unbound") {
        const inactive = st.links.reduce((a, l) => a + l.inactive, 0)
        const active = st.links.reduce((a, l) => a + l.active, 0)
        if (inactive > 0 && active < st.maxActive)
          return `${g}: at ${q.t}ms unbound ${wqName(wq)} holds ${inactive} back with ${active}/${st.maxActive} active`
      } else {
        for (const l of st.links) {
          if (l.inactive > 0 && l.active < st.maxActive)
            return `${g}: at ${q.t}ms ${
              wqName(wq)
            } on ${l.pool} holds ${l.inactive} back with ${l.active}/${st.maxActive} active`
        }
      }
    }
  }
  return null
}

// G10
export const raisingMaxActive: Check = (r) => {
  const v = eagerActivation(r, (spec, frozen) => !(frozen && spec.freezable), "G10")
  if (v) return v
  for (const c of r.calls)
    if (c.op === "setMaxActive" && c.error !== undefined) return `G10: setMaxActive refused: ${show(c)}`
  for (const run of r.runs) {
    if (run.outcome === "interrupt" && !r.wl.items[run.k]!.steps.some((s) => s._tag === "interrupt"))
      return `G10: a running item was stopped: ${showRun(run)}`
  }
  return null
}

// G11
export const barriersFree: Check = (r) => {
  const v = first(settled, allReturned)(r)
  if (v) return `G11: ${v}`
  for (const q of r.quiescent) {
    for (const [wq, spec] of r.wl.wqs.entries()) {
      if (spec.kind !== "percpu" || !q.wqs[wq]) continue
      const limit = limitUpTo(r, wq, q.seq)
      for (const l of q.wqs[wq].links)
        if (l.active > limit)
          return `G11: at ${q.t}ms ${
            wqName(wq)
          } on ${l.pool} has ${l.active} active, max_active ${limit} (a barrier took a slot?)`
    }
  }
  return null
}

const finishedBy = (r: Result, k: number, from: number, by: number): Violation => {
  // every run of k in progress at `from` finished by `by`
  for (const run of r.runs) {
    if (run.k === k && run.seq0 < from && (run.seq1 < 0 || run.seq1 > from) && (run.seq1 < 0 || run.seq1 > by))
      return showRun(run)
  }
  return null
}

// G12
export const flushWork: Check = (r) => {
  for (const c of r.calls) {
    if (c.op !== "flushWork") continue
    if (c.seq1 < 0) return `G12: Work.flush never returned: ${show(c)}`
    if (c.error !== undefined) {
      if (c.error === "FlushDeadlock" && c.from !== null) continue
      return `G12: Work.flush failed: ${show(c)}`
    }
    // an armed timer is pending but not queued: Work.flush has nothing to wait for (DelayedWork.flush fires it)
    const armed = c.expiresBefore !== null && c.expiresBefore !== undefined
    const busy = armed ? c.runningBefore : c.busyPendingBefore ?? (c.pendingBefore || c.runningBefore)
    if (c.from === null && c.result !== busy)
      return `G12: Work.flush returned ${c.result}, the item was ${busy ? "busy" : "idle"}: ${show(c)}`
    if (c.result !== true) continue
    const late = finishedBy(r, c.k!, c.seq0, c.seq1)
    if (late) return `G12: Work.flush returned before ${late} finished: ${show(c)}`
    if (c.pendingBefore && !armed) {
      const run = r.runs.find((x) => x.k === c.k && x.seq0 > c.seq0)
      const grab = r.calls.find((x) => x.k === c.k && x.seq0 > c.seq0 && grabbed(x) && (!run || x.seq0 < run.seq0))
      if (!grab && (!run || run.seq0 > c.seq1 || run.seq1 < 0 || run.seq1 > c.seq1)) {
        return `G12: Work.flush returned before the instance queued at the call ran${
          run ? ` (${showRun(run)})` : ""
        }: ${show(c)}`
      }
    }
  }
  return null
}

/** every successful immediate queue on `wq` that returned before `c` was called ran to the end before `c` returned */
const waitedFor = (r: Result, c: Call, wq: number): Violation => {
  for (const q of r.calls) {
    if (!queued(q) || wqOf(r, q.k!) !== wq || q.seq1 > c.seq0) continue
    const run = causedRun(r, q)
    if (run && c.from !== null && run.k === c.from && run.seq0 < c.seq0) continue
    if (run && (run.seq1 < 0 || run.seq1 > c.seq1)) return `${show(q)} → ${showRun(run)}`
  }
  // and every run of the workqueue started before the call (but the caller's own: it cannot wait for itself)
  for (const run of r.runs) {
    if (c.from !== null && run.k === c.from && run.seq1 > c.seq1) continue
    if (wqOf(r, run.k) === wq && run.seq0 < c.seq0 && (run.seq1 < 0 || run.seq1 > c.seq1)) return showRun(run)
  }
  return null
}

// G13
export const flushWq: Check = (r) => {
  for (const c of r.calls) {
    if (c.op !== "flushWq") continue
    if (c.seq1 < 0) return `G13: flush never returned: ${show(c)}`
    if (c.error !== undefined) {
      if (c.error === "FlushDeadlock" && c.from !== null && wqOf(r, c.from) === c.wq) continue
      return `G13: flush failed: ${show(c)}`
    }
    const late = waitedFor(r, c, c.wq!)
    if (late) return `G13: flush returned before ${late} finished: ${show(c)}`
  }
  return null
}

// G14
export const concurrentFlushes: Check = (r) => {
  for (let wq = 0; wq < r.wl.wqs.length; wq++) {
    const fl = r.calls.filter((c) => c.op === "flushWq" && c.wq === wq)
    for (const c of fl) if (c.seq1 < 0) return `G14: a flush of ${fl.length} never returned: ${show(c)}`
    const done = fl.filter((c) => c.error === undefined)
    // Order is the engine's completion order. A call's end (seq1) is recorded when its fiber resumes, which can be
    // well after the engine completed its flusher: a worker that keeps running synchronous items delays every
    // resumption it scheduled. A flush that begins when the engine holds no flusher (flushersBefore 0) comes after
    // every earlier flush completed, even the ones whose fibers have not resumed yet, so it may return before
    // them (the kernel's `complete()` of a flusher likewise only wakes its thread). Such a call starts a new
    // epoch: it is compared only with the flushes begun after it.
    let latest: Call | undefined
    for (const c of done) {
      if (c.flushersBefore === 0) latest = undefined
      if (latest !== undefined && c.seq1 < latest.seq1)
        return `G14: ${show(c)} returned before the earlier ${show(latest)}`
      if (latest === undefined || c.seq1 > latest.seq1) latest = c
    }
  }
  return null
}

// G15
export const colorAccounting: Check = (r) => {
  for (const q of r.quiescent) {
    for (const [wq, st] of q.wqs.entries()) {
      if (st.flushers === 0 && st.flushColor !== st.workColor)
        return `G15: at ${q.t}ms ${
          wqName(wq)
        } has no flusher but flushColor ${st.flushColor} ≠ workColor ${st.workColor}`
      const running = inProgress(r, q.seq).filter((x) => wqOf(r, x.k) === wq).length
      let active = 0
      for (const l of st.links) {
        if (l.inFlight.some((n) => n < 0))
          return `G15: at ${q.t}ms ${wqName(wq)} on ${l.pool} has a negative in-flight count [${l.inFlight}]`
        const infl = l.inFlight.reduce((a, b) => a + b, 0)
        if (infl < l.active + l.inactive)
          return `G15: at ${q.t}ms ${
            wqName(wq)
          } on ${l.pool}: in flight ${infl} < active ${l.active} + inactive ${l.inactive}`
        active += l.active
      }
      if (r.wl.wqs[wq]!.kind !== "bh" && running > active)
        return `G15: at ${q.t}ms ${wqName(wq)} runs ${running} items but counts ${active} active`
    }
  }
  if (r.exit !== "success") return `G15: did not settle: ${r.exit}`
  for (const [wq, st] of r.finalState.entries()) {
    if (r.destroyed[wq]) continue
    for (const l of st.links) {
      if (l.active !== 0 || l.inactive !== 0 || l.inFlight.some((n) => n !== 0))
        return `G15: idle ${
          wqName(wq)
        } still counts active ${l.active}, inactive ${l.inactive}, in flight [${l.inFlight}] on ${l.pool}`
    }
    // `stats` are taken at the end of the program, `finalState` after the scope closed:
    // items of two workqueues that queue each other can outlast the two settle rounds
    // of drains (the last drain of one lets an item queue on the other), so the
    // workqueue may still be busy when its stats are taken, and drained only by the
    // scope's destroy. Compare the stats with the links at that same moment instead
    const atStats = r.statsState[wq]
    if (r.stats[wq] && atStats) {
      const links = atStats.links.reduce((a, l) => a + l.inFlight.reduce((x, y) => x + y, 0), 0)
      if (r.stats[wq].inFlight !== links)
        return `G15: ${wqName(wq)} reports inFlight ${r.stats[wq].inFlight}, its links count ${links}`
    }
  }
  return null
}

const idleState = (st: Workqueue.State | undefined) =>
  st !== undefined && st.links.every((l) => l.active === 0 && l.inactive === 0 && l.inFlight.every((n) => n === 0))

const outsideOf = (r: Result, c: Call, wq: number) => c.from === null || wqOf(r, c.from) !== wq

// G16
export const drain: Check = (r) => {
  for (const d of r.calls) {
    if (d.op !== "drain") continue
    if (d.seq1 < 0) return `G16: drain never returned: ${show(d)}`
    if (d.error !== undefined) return `G16: drain failed: ${show(d)}`
    if (!idleState(d.stateAfter))
      return `G16: after drain ${wqName(d.wq!)} is not empty: ${JSON.stringify(d.stateAfter?.links)}`
    const late = waitedFor(r, d, d.wq!)
    if (late) return `G16: drain returned before ${late} finished`
    for (const c of r.calls) {
      if (c.op !== "queue" || c.wq !== d.wq || c.seq0 < d.seq0 || c.seq0 > d.seq1) continue
      if (outsideOf(r, c, d.wq!) && c.result === true) return `G16: queued from outside while draining: ${show(c)}`
      if (!outsideOf(r, c, d.wq!) && c.error === "WorkqueueDraining")
        return `G16: chained queueing refused while draining: ${show(c)}`
    }
  }
  return null
}

const depthOpsBetween = (r: Result, c: Call) =>
  r.calls.some((x) =>
    x !== c && x.k === c.k && ["disable", "disableSync", "enable", "cancelSync", "disableMany"].includes(x.op) &&
    x.seq0 < c.seq1 && (x.seq1 < 0 || x.seq1 > c.seq0)
  )

const notRunningAt = (r: Result, k: number, s: number) =>
  r.runs.find((x) => x.k === k && x.seq0 < s && (x.seq1 < 0 || x.seq1 > s))

/**
 * A run of the item of cancelSync/disableSync `c` still going when `c` returned, not counting an instance queued
 * after `c` began while an enable (or another depth operation) on the item overlapped `c`: that enable lifted the
 * call's disable, so the queue was a concurrent queuer's, which guarantees 17 and 21 exclude. Such an instance can
 * start right when the engine's wait ends, before the caller's fiber resumes and `c`'s end is recorded.
 */
const runningAfterCancel = (r: Result, c: Call) => {
  const run = notRunningAt(r, c.k!, c.seq1)
  if (run === undefined || run.token < c.seq0 || !depthOpsBetween(r, c)) return run
  return r.runs.find((x) => x.k === c.k && x.seq0 < c.seq1 && (x.seq1 < 0 || x.seq1 > c.seq1) && x.token < c.seq0)
}

// G17
export const cancelSync: Check = (r) => {
  for (const c of r.calls) {
    if (c.op !== "cancelSync") continue
    if (c.seq1 < 0) return `G17: cancelSync never returned: ${show(c)}`
    if (c.error !== undefined) {
      if (c.depthAfter !== c.depthBefore || c.pendingAfter !== c.pendingBefore)
        return `G17: a failed cancelSync changed the item (depth ${c.depthBefore}→${c.depthAfter}, pending ${c.pendingBefore}→${c.pendingAfter}): ${
          show(c)
        }`
      continue
    }
    if (c.result !== c.pendingBefore)
      return `G17: cancelSync returned ${c.result}, was pending ${c.pendingBefore}: ${show(c)}`
    if (c.pendingAfter && !depthOpsBetween(r, c)) return `G17: pending after cancelSync: ${show(c)}`
    const run = runningAfterCancel(r, c)
    if (run) return `G17: still running after cancelSync: ${showRun(run)}: ${show(c)}`
    if (!depthOpsBetween(r, c) && c.depthAfter !== c.depthBefore)
      return `G17: cancelSync changed the disable depth ${c.depthBefore}→${c.depthAfter}: ${show(c)}`
  }
  return null
}

// G18
export const cancel: Check = (r) => {
  for (const c of r.calls) {
    if (c.op !== "cancel" || !ok(c)) continue
    if (c.result !== c.pendingBefore)
      return `G18: cancel returned ${c.result}, was pending ${c.pendingBefore}: ${show(c)}`
    if (c.pendingAfter) return `G18: pending after cancel: ${show(c)}`
  }
  return null
}

const requeuedBetween = (r: Result, k: number, a: number, b: number) =>
  r.calls.some((x) =>
    x.k === k && x.seq0 > a && x.seq0 < b && ok(x) &&
    (((x.op === "queue" || x.op === "queueDelayed") && x.result === true) ||
      (x.op === "modDelayed" && x.depthBefore === 0))
  )

// G19
export const cancelDelayed: Check = (r) => {
  for (const c of r.calls) {
    if (!CANCELS.has(c.op) || c.seq1 < 0 || c.error !== undefined || !r.wl.items[c.k!]!.delayed) continue
    const next = r.runs.find((x) => x.k === c.k && x.seq0 > c.seq0)
    if (next && !requeuedBetween(r, c.k!, c.seq0, next.seq0))
      return `G19: ${showRun(next)} after ${show(c)} with no queueing in between`
  }
  for (const run of r.runs) {
    if (run.outcome === "interrupt" && !r.wl.items[run.k]!.steps.some((s) => s._tag === "interrupt"))
      return `G19: a cancel stopped a running item: ${showRun(run)}`
  }
  return null
}

// G20
export const disableCounting: Check = (r) => {
  for (const c of r.calls) {
    if (c.seq1 < 0 || c.error !== undefined || c.k === undefined) continue
    const d = c.depthBefore!
    switch (c.op) {
      case "disable":
        if (c.depthAfter !== Math.min(65_535, d + 1))
          return `G20: disable took depth ${d} to ${c.depthAfter}: ${show(c)}`
        if (c.result !== c.pendingBefore)
          return `G20: disable returned ${c.result}, was pending ${c.pendingBefore}: ${show(c)}`
        break
      case "disableMany":
        if (c.depthAfter !== 65_535)
          return `G20: 65540 disables left depth ${c.depthAfter} (saturates at 65535): ${show(c)}`
        break
      case "enable":
        if (c.depthAfter !== Math.max(0, d - 1)) return `G20: enable took depth ${d} to ${c.depthAfter}: ${show(c)}`
        if (c.result !== (c.depthAfter === 0))
          return `G20: enable returned ${c.result} at depth ${c.depthAfter}: ${show(c)}`
        break
      case "queue":
      case "queueDelayed":
        if (d > 0 && c.result !== false) return `G20: queued while disabled (depth ${d}): ${show(c)}`
        break
      case "cancelSync":
      case "disableSync":
        if (!depthOpsBetween(r, c) && c.depthAfter !== Math.min(65_535, d + (c.op === "disableSync" ? 1 : 0))) {
          return `G20: ${c.op} took depth ${d} to ${c.depthAfter}: ${show(c)}`
        }
    }
  }
  return null
}

// G21
export const disableSync: Check = (r) => {
  for (const c of r.calls) {
    if (c.op !== "disableSync") continue
    if (c.seq1 < 0) return `G21: disableSync never returned: ${show(c)}`
    if (c.error !== undefined) {
      if (c.depthAfter !== c.depthBefore || c.pendingAfter !== c.pendingBefore)
        return `G21: a failed disableSync changed the item: ${show(c)}`
      continue
    }
    if (c.result !== c.pendingBefore)
      return `G21: disableSync returned ${c.result}, was pending ${c.pendingBefore}: ${show(c)}`
    if (c.pendingAfter) return `G21: pending after disableSync: ${show(c)}`
    const run = runningAfterCancel(r, c)
    if (run) return `G21: still running after disableSync: ${showRun(run)}`
    // an enable overlapping the call may lift its disable
    if (c.depthAfter! < 1 && !depthOpsBetween(r, c)) return `G21: not disabled after disableSync: ${show(c)}`
  }
  return null
}

// G22
export const enableAndQueue: Check = (r) => {
  for (let i = 0; i + 1 < r.calls.length; i++) {
    const e = r.calls[i]!
    if (e.op !== "enable" || e.from !== null || !ok(e)) continue
    const q = r.calls.find((x) => x.seq0 > e.seq1 && x.from === null)
    if (!q || q.op !== "queue" || q.k !== e.k || !ok(q) || q.pendingBefore) continue
    // the pair holds only if nothing else touched the item in between: an item's body (a
    // `disable` step) may disable it again after the enable returned, and the queue
    // then rightly fails
    if (
      r.calls.some((x) =>
        x !== e && x.k === e.k && x.seq0 < q.seq0 && (x.seq1 < 0 || x.seq1 > e.seq0) && x.op !== "queue"
      )
    ) {
      continue
    }
    if (q.result !== e.result)
      return `G22: enable returned ${e.result} but the queue after it returned ${q.result}: ${show(e)}; ${show(q)}`
  }
  return null
}

// G23 (`delay` is what the engine sees: a `Duration` value given a negative length
// is Duration.zero, so it must queue at once; negative numbers and strings must be
// refused)
export const delays: Check = (r) => {
  for (const c of r.calls) {
    if ((c.op !== "queueDelayed" && c.op !== "modDelayed") || c.seq1 < 0) continue
    const ms = c.delay!
    if (ms < 0) {
      if (c.error !== "InvalidDelay") return `G23: a negative delay ${ms} was accepted: ${show(c)}`
      if (c.pendingAfter !== c.pendingBefore || c.expiresAfter !== c.expiresBefore)
        return `G23: a refused delay changed the item: ${show(c)}`
      continue
    }
    if (c.error !== undefined) continue
    if (c.op === "queueDelayed" && c.pendingBefore) {
      if (c.expiresAfter !== c.expiresBefore)
        return `G23: queueDelayed on a pending item moved its expiry ${c.expiresBefore}→${c.expiresAfter}: ${show(c)}`
      continue
    }
    if (c.depthBefore !== 0) continue
    if (c.op === "queueDelayed" && c.result !== true) continue
    if (!c.pendingAfter) return `G23: not pending after ${c.op}: ${show(c)}`
    if (ms === 0 && c.expiresAfter !== null) return `G23: delay 0 armed a timer: ${show(c)}`
    if (ms > 0 && c.expiresAfter !== c.t0 + ms)
      return `G23: expiry ${c.expiresAfter}, expected ${c.t0 + ms}: ${show(c)}`
    if (ms > 0) {
      const run = r.runs.find((x) => x.k === c.k && x.seq0 > c.seq0)
      const touched = r.calls.some((x) =>
        x.k === c.k && x.seq0 > c.seq0 && (!run || x.seq0 < run.seq0) && x.op !== "enable" && x.op !== "flushWork" &&
        x !== c
      )
      if (run && !touched && run.t0 < c.t0 + ms) return `G23: ${showRun(run)} before its delay ${ms} from ${c.t0}ms`
    }
  }
  return null
}

// G24
export const flushDelayed: Check = (r) => {
  for (const c of r.calls) {
    if (c.op !== "flushDelayed") continue
    if (c.seq1 < 0) return `G24: DelayedWork.flush never returned: ${show(c)}`
    if (c.error !== undefined) {
      if (c.error === "WorkqueueDestroyed" || c.error === "WorkqueueDraining") continue
      return `G24: DelayedWork.flush failed: ${show(c)}`
    }
    const armed = c.expiresBefore !== null && c.expiresBefore !== undefined
    if (armed) {
      if (c.result !== true) return `G24: an armed timer's flush returned ${c.result}: ${show(c)}`
      const run = r.runs.find((x) => x.k === c.k && x.seq0 > c.seq0)
      const grab = r.calls.find((x) => x.k === c.k && x.seq0 > c.seq0 && grabbed(x) && (!run || x.seq0 < run.seq0))
      if (!grab && (!run || run.seq1 < 0 || run.seq1 > c.seq1))
        return `G24: returned before the fired run finished${run ? ` (${showRun(run)})` : ""}: ${show(c)}`
    } else if (c.result === true) {
      const late = finishedBy(r, c.k!, c.seq0, c.seq1)
      if (late) return `G24: returned before ${late} finished`
    }
  }
  return null
}

// G25: CPU-bound items (no sleep, no blocking call) of one bound pool run one at a time
export const concurrencyManagement: Check = (r) => {
  const cpuBound = (k: number) =>
    r.wl.items[k]!.steps.every((s) =>
      s._tag === "yield" || s._tag === "requeue" || s._tag === "queue" || s._tag === "fail" || s._tag === "cancel"
    )
  for (const run of r.runs) {
    const spec = r.wl.wqs[wqOf(r, run.k)]!
    if (
      run.cpu < 0 || spec.kind !== "percpu" || spec.cpuIntensive || !cpuBound(run.k) || run.workerName.includes("/R-")
    ) continue
    const other = inProgress(r, run.seq0).find((x) =>
      x !== run && x.pool === run.pool && cpuBound(x.k) && !r.wl.wqs[wqOf(r, x.k)]!.cpuIntensive &&
      !x.workerName.includes("/R-")
    )
    if (other) return `G25: ${showRun(run)} started while the CPU-bound ${showRun(other)} runs in the same pool`
  }
  return null
}

// G26: at every quiescent point a pool with pending work has an idle worker woken, a worker being created, or a rescuer
export const workConservation: Check = (r) => {
  // Policy.legacy keeps one worker per workqueue per CPU: its pending work waits for
  // that worker, even while it blocks, by design
  if (r.wl.policy === "legacy") return null
  for (const q of r.quiescent) {
    for (const p of q.pools) {
      if (p.pending === 0 || p.bh) continue
      if (p.running > 0) continue
      const creating = r.creations.some((c) => c.pool === p.name && c.seq0 < q.seq && (c.seq1 < 0 || c.seq1 > q.seq))
      // a failed creation rests for CREATE_COOLDOWN (1 s) before the manager retries (only
      // when creation fails at all: otherwise the first second of every workload would be
      // exempt)
      const failing = r.wl.creationFailsUntil > 0 && q.t < r.wl.creationFailsUntil + 1_000
      if (p.idle > 0 && !failing)
        return `G26: at ${q.t}ms pool ${p.name} has ${p.pending} pending, ${p.idle} idle and none running`
      if (p.idle === 0 && !creating && !failing)
        return `G26: at ${q.t}ms pool ${p.name} has ${p.pending} pending, no idle worker, none running, none being created`
    }
  }
  return null
}

/** the CPU a queue call targets: its own, else the caller's (the outside runs on CPU 0) */
const cpuOf = (r: Result, c: Call): number => {
  if (c.cpu !== null && c.cpu !== undefined) return c.cpu
  if (c.from === null) return 0
  return r.runs.find((x) => x.k === c.from && x.seq0 < c.seq0 && (x.seq1 < 0 || x.seq1 > c.seq0))?.cpu ?? -1
}

// G27: an item queued while a CPU-intensive item hogs the CPU starts before it finishes
export const cpuIntensive: Check = (r) => {
  for (const run of r.runs) {
    const spec = r.wl.wqs[wqOf(r, run.k)]!
    if (!spec.cpuIntensive || spec.kind !== "percpu" || run.seq1 < 0) continue
    for (const c of r.calls) {
      if (!queued(c) || c.seq0 < run.seq0 || c.seq0 > run.seq1 || cpuOf(r, c) !== run.cpu) continue
      const other = r.wl.wqs[wqOf(r, c.k!)]!
      if (other.kind !== "percpu" || other.highpri !== spec.highpri || other.cpuIntensive) continue
      if (inProgress(r, c.seq0).some((x) => x.pool === run.pool && x !== run)) continue
      // held back by its own workqueue's max_active (or a freeze): it waits for other items
      // of a workqueue that is not CPU-intensive, not for this one
      if (c.whereAfter === "MaxActive" || c.whereAfter === "Frozen") continue
      // when the intensive item finished, a concurrency-managed item (started after the
      // call, ahead of it on the worklist) held the pool's CPU: the queued item waits for
      // that one, as concurrency management wants, not for the intensive one
      if (
        inProgress(r, run.seq1).some((x) =>
          x.pool === run.pool && x !== run && !r.wl.wqs[wqOf(r, x.k)]!.cpuIntensive && x.seq0 > c.seq0
        )
      ) continue
      // queued by the intensive item itself: it must keep the CPU (yield) after this very
      // call for the other to overtake it (a yield after an earlier queue step does not
      // count: the item may return right after this call, and its worker then takes the
      // queued item itself before the woken one gets the CPU)
      const steps = r.wl.items[run.k]!.steps
      if (c.from === run.k && !steps.slice((c.step ?? -1) + 1).some((st) => st._tag === "yield")) continue
      const next = causedRun(r, c)
      // items queued on this pool before the call (ahead of it on the worklist) that workers took after the
      // call and before the queued item: it waited its turn behind them (FIFO), intensive or not, not for the
      // intensive item's CPU (several intensive items queued at once, each queueing a plain one)
      if (
        next &&
        r.runs.some((x) =>
          x.pool === run.pool && x !== run && x !== next && x.token < c.seq0 && x.seq0 > c.seq0 && x.seq0 < next.seq0
        )
      ) continue
      if (next && next.seq0 > run.seq1)
        return `G27: ${show(c)} waited for the CPU-intensive ${showRun(run)}: ${showRun(next)}`
    }
  }
  return null
}

// G28
export const idleRetention: Check = (r) => {
  const T = r.wl.idleTimeoutMs
  for (let i = 1; i < r.quiescent.length; i++) {
    const a = r.quiescent[i - 1]!
    const b = r.quiescent[i]!
    for (const pb of b.pools) {
      const pa = a.pools.find((p) => p.id === pb.id)
      if (!pa || pb.workers >= pa.workers || pb.bh) continue
      const reaped = pa.workers - pb.workers
      if (pb.idle < 2) return `G28: at ${b.t}ms pool ${pb.name} reaped down to ${pb.idle} idle workers`
      // a reaped worker ran nothing in the idleTimeout before the reap (kernel `idle_cull_fn`
      // reaps only workers whose last_active is IDLE_WORKER_TIMEOUT old): the workers of the
      // pool that started a run before the reap and were still in it, or ended it, less than
      // idleTimeout before b cannot be among the reaped
      const recent = new Set(
        r.runs.filter((x) =>
          x.pool === pb.id && !x.workerName.includes("/R-") && x.seq0 < a.seq && (x.seq1 < 0 || x.t1 > b.t - T)
        ).map((x) => x.workerName)
      )
      if (pa.workers - recent.size < reaped) {
        return `G28: at ${b.t}ms pool ${pb.name} reaped ${reaped} of ${pa.workers} workers, but ${recent.size} of them ran an item after ${
          b.t - T
        }ms (within idleTimeout ${T})`
      }
      const window = r.quiescent.filter((q) => q.t > b.t - T && q.seq < b.seq)
      for (const q of window) {
        const p = q.pools.find((x) => x.id === pb.id)
        if (p && p.idle < reaped)
          return `G28: at ${b.t}ms pool ${pb.name} reaped ${reaped} workers, but at ${q.t}ms (within idleTimeout ${T}) only ${p.idle} were idle`
      }
    }
  }
  return null
}

// G29
export const singleManager: Check = (r) => {
  for (const c of r.creations) {
    const other = r.creations.find((x) =>
      x !== c && x.pool === c.pool && x.seq0 > c.seq0 && (c.seq1 < 0 || x.seq0 < c.seq1)
    )
    if (other) return `G29: pool ${c.pool} creates two workers at once (at ${c.t0}ms and ${other.t0}ms)`
  }
  return null
}

// G30
export const rescuerProgress: Check = (r) => {
  const v = conservation(r)
  return v ? `G30 (worker creation failing for good): ${v}` : null
}

/** RESCUER_BATCH of the kernel */
export const RESCUER_BATCH = 16

// G31
export const rescuerFairness: Check = (r) => {
  const rescued = r.runs.filter((x) => x.workerName.includes("/R-"))
  let streak = 0
  for (let i = 0; i < rescued.length; i++) {
    const run = rescued[i]!
    streak = i > 0 && rescued[i - 1]!.pool === run.pool && wqOf(r, rescued[i - 1]!.k) === wqOf(r, run.k)
      ? streak + 1
      : 1
    // kernel `rescuer_thread`: the batch check comes after each item, `++count > RESCUER_BATCH`
    if (streak <= RESCUER_BATCH + 1) continue
    const wq = wqOf(r, run.k)
    // another pwq of this workqueue had an item waiting (queued, not yet started) on another CPU
    const waiting = r.calls.some((c) => {
      if (!queued(c) || wqOf(r, c.k!) !== wq || c.seq0 > run.seq0 || c.cpu === null || c.cpu === run.cpu) return false
      const cr = causedRun(r, c)
      return cr !== null && cr.seq0 > run.seq0
    })
    if (waiting)
      return `G31: the rescuer ran ${streak} items of pool ${run.pool} in a row (at most ${
        RESCUER_BATCH + 1
      }) while another pwq of ${wqName(wq)} waited`
  }
  return null
}

// G32
export const freezing: Check = (r) => {
  const v = settled(r) ?? allReturned(r)
  if (v) return `G32: ${v}`
  for (const c of r.calls) {
    if (!queued(c) || !c.frozen || !r.wl.wqs[wqOf(r, c.k!)]!.freezable) continue
    const run = causedRun(r, c)
    const thaw = r.calls.find((x) => x.op === "thaw" && x.seq0 > c.seq0)
    if (run && (!thaw || run.seq0 < thaw.seq0))
      return `G32: queued while frozen, ${showRun(run)} started before the thaw: ${show(c)}`
  }
  for (const q of r.quiescent) {
    for (const [wq, spec] of r.wl.wqs.entries()) {
      const st = q.wqs[wq]
      if (!st || spec.kind === "bh" || r.destroyed[wq]) continue
      if (q.frozen && spec.freezable && st.maxActive !== 0)
        return `G32: at ${q.t}ms frozen, freezable ${wqName(wq)} has max_active ${st.maxActive}`
      if (q.frozen && !spec.freezable && st.maxActive === 0)
        return `G32: at ${q.t}ms frozen, non-freezable ${wqName(wq)} has max_active 0`
    }
  }
  const e = eagerActivation(r, (spec, frozen) => !(frozen && spec.freezable), "G32 (other workqueues unaffected)")
  if (e) return e
  return conservation(r) && `G32: ${conservation(r)}`
}

// G33
export const destroy: Check = (r) => {
  for (const d of r.calls) {
    if (d.op !== "destroy") continue
    if (d.seq1 < 0) return `G33: destroy never returned: ${show(d)}`
    const wq = d.wq!
    if (d.error !== undefined) {
      if (r.calls.some((x) => x.op === "destroy" && x.wq === wq && x !== d)) continue
      const later = r.calls.find((c) =>
        c.op === "queue" && c.wq === wq && c.from === null && c.seq0 > d.seq1 && !c.pendingBefore &&
        c.depthBefore === 0 && c.result !== true
      )
      if (later) return `G33: after a failed destroy (${show(d)}) the workqueue refuses ${show(later)}`
      continue
    }
    // a second destroy is a no-op: it returns at once
    const again = r.calls.some((x) => x.op === "destroy" && x.wq === wq && x.seq0 < d.seq0)
    if (again) continue
    const late = waitedFor(r, d, wq)
    if (late) return `G33: destroy returned before ${late} finished`
    for (const c of r.calls) {
      if (c.op !== "queue" || c.wq !== wq) continue
      if (c.seq0 > d.seq1 && (c.result === true || c.error === undefined))
        return `G33: queued after destroy: ${show(c)}`
      if (c.seq0 > d.seq0 && c.seq0 < d.seq1 && outsideOf(r, c, wq) && c.result === true)
        return `G33: queued from outside during destroy: ${show(c)}`
      if (c.seq0 > d.seq0 && c.seq0 < d.seq1 && !outsideOf(r, c, wq) && c.result === true) {
        const run = causedRun(r, c)
        if (run && (run.seq1 < 0 || run.seq1 > d.seq1))
          return `G33: destroy returned before the chained ${showRun(run)} finished`
      }
    }
  }
  return null
}

// G34
export const flushDependency: Check = (r) => {
  const reclaim = (wq: number) => r.wl.wqs[wq]!.memReclaim
  const expected = new Set<string>()
  const possible = new Set<string>()
  for (const c of r.calls) {
    if (c.from === null || c.seq1 < 0) continue
    const from = wqOf(r, c.from)
    const target = c.op === "flushWq"
      ? c.wq!
      : c.k !== undefined && (c.op === "flushWork" || c.op === "cancelSync")
      ? wqOf(r, c.k)
      : -1
    if (target < 0 || !reclaim(from) || reclaim(target)) continue
    possible.add(`${wqName(from)}→${wqName(target)}`)
    if (c.op === "flushWq") expected.add(`${wqName(from)}→${wqName(target)}`)
  }
  const seen = new Map<string, number>()
  for (const e of r.events) {
    if (e.event._tag !== "FlushDependency") continue
    const key = `${e.event.flusher}→${e.event.target}`
    seen.set(key, (seen.get(key) ?? 0) + 1)
  }
  for (const [key, n] of seen) {
    if (n > 1) return `G34: ${n} warnings for ${key} (one per pair)`
    if (!possible.has(key)) return `G34: a warning for ${key}, which no MEM_RECLAIM item flushed`
  }
  for (const key of expected) if (!seen.has(key)) return `G34: no warning for ${key}`
  return null
}

// G35
export const currentAndBusy: Check = (r) => {
  if (r.outsideCurrent) return "G35: Work.current outside any worker is some item"
  for (const run of r.runs) {
    if (!run.currentOk) return `G35: Work.current inside ${showRun(run)} is not the item`
    if (!run.busyRunning) return `G35: busy inside ${showRun(run)} does not report it running`
  }
  return null
}

// G36
export const bh: Check = (r) => {
  const v = settled(r)
  if (v) return `G36: ${v}`
  const blocking = (k: number) => r.wl.items[k]!.steps.some((s) => s._tag === "sleep" && s.ms > 0)
  for (const run of r.runs) {
    const blocks = blocking(run.k)
    // a BH item that blocks is failed with a defect and left behind: it no longer holds its pool
    const other = inProgress(r, run.seq0).find((x) => x !== run && x.pool === run.pool && !blocking(x.k))
    if (other) return `G36: ${showRun(run)} overlaps ${showRun(other)} in one BH pool`
    if (
      blocks && run.outcome !== "defect" &&
      r.wl.items[run.k]!.steps.findIndex((s) => s._tag === "sleep" && s.ms > 0) <
        r.wl.items[run.k]!.steps.findIndex((s) => s._tag === "fail" || s._tag === "interrupt")
    ) continue
    if (blocks && run.outcome === "success") return `G36: a BH item that sleeps completed: ${showRun(run)}`
  }
  for (const [k] of r.wl.items.entries()) {
    const sleepAt = r.wl.items[k]!.steps.findIndex((s) => s._tag === "sleep" && s.ms > 0)
    const stopAt = r.wl.items[k]!.steps.findIndex((s) => s._tag === "fail" || s._tag === "interrupt")
    if (sleepAt < 0 || (stopAt >= 0 && stopAt < sleepAt)) continue
    const runs = r.runs.filter((x) => x.k === k).length
    const reported = r.events.filter((e) => e.event._tag === "WorkFailed" && e.event.work === workName(k)).length
    if (reported < runs) return `G36: ${workName(k)} blocked in ${runs} BH runs, ${reported} reported as failed`
  }
  for (const [wq] of r.wl.wqs.entries()) {
    for (let cpu = 0; cpu < r.wl.cpus; cpu++) {
      const q = queuedRuns(r, (c) => wqOf(r, c.k!) === wq && c.from === null && (c.cpu ?? 0) === cpu)
      for (const { c, run } of q)
        if (run.cpu !== cpu) return `G36: queued on cpu ${cpu}, ${showRun(run)} ran on cpu ${run.cpu}: ${show(c)}`
      for (let i = 1; i < q.length; i++)
        if (q[i]!.run.seq0 < q[i - 1]!.run.seq0)
          return `G36: BH ${showRun(q[i]!.run)} started before the earlier queued ${showRun(q[i - 1]!.run)}`
    }
  }
  return conservation(r) && `G36: ${conservation(r)}`
}

// G37
export const watchdog: Check = (r) => {
  const T = r.wl.watchdogMs
  const stalls = r.events.filter((e) => e.event._tag === "WatchdogStall")
  for (const [i, e] of stalls.entries()) {
    const ev = e.event as Extract<typeof e.event, { _tag: "WatchdogStall" }>
    const before = [...r.quiescent].reverse().find((q) => q.seq < e.seq)
    const p = before?.pools.find((x) => x.name === ev.pool)
    if (p && p.pending === 0) return `G37: stall reported for ${ev.pool} at ${e.t}ms with an empty worklist`
    if (ev.stuckMillis <= T) return `G37: stall reported for ${ev.pool} after ${ev.stuckMillis}ms (threshold ${T})`
    const prev = stalls.slice(0, i).reverse().find((x) => (x.event as typeof ev).pool === ev.pool)
    if (prev && e.t - prev.t < T) return `G37: ${ev.pool} reported twice within ${e.t - prev.t}ms (period ${T})`
  }
  // liveness: pending work with no start for 3 thresholds is reported
  const byPool = new Map<string, number>()
  for (const q of r.quiescent) {
    for (const p of q.pools) {
      if (p.bh) continue
      if (p.pending === 0) {
        byPool.delete(p.name)
        continue
      }
      const since = byPool.get(p.name) ?? q.t
      byPool.set(p.name, since)
      const started = r.runs.some((x) => x.pool === p.id && x.t0 >= since && x.t0 <= q.t)
      if (started) byPool.set(p.name, q.t)
      else if (
        q.t - since > 3 * T &&
        !stalls.some((e) => (e.event as { pool: string }).pool === p.name && e.t >= since && e.t <= q.t)
      ) {
        return `G37: pool ${p.name} had pending work and no progress from ${since}ms to ${q.t}ms, never reported`
      }
    }
  }
  return null
}

// G38
export const visibility: Check = (r) => {
  for (const c of r.calls) {
    if (!queued(c)) continue
    const run = causedRun(r, c)
    if (run === null) {
      if (!r.calls.some((x) => x.k === c.k && x.seq0 > c.seq0 && grabbed(x)) && r.exit === "success")
        return `G38: ${show(c)} caused no run`
      continue
    }
    if (run.token < c.seq0) return `G38: ${showRun(run)} did not see what was written before ${show(c)}`
  }
  return null
}

// G39
export const orderedPlug: Check = (r) => {
  for (const a of r.calls) {
    if (a.op !== "applyAttrs" || !ok(a) || r.wl.wqs[a.wq!]!.kind !== "ordered") continue
    const before = queuedRuns(r, (c) => wqOf(r, c.k!) === a.wq && c.seq1 < a.seq0)
    const after = queuedRuns(r, (c) => wqOf(r, c.k!) === a.wq && c.seq0 > a.seq1)
    for (const x of after) {
      for (const y of before) {
        if (y.run.seq1 < 0 || x.run.seq0 < y.run.seq1)
          return `G39: after ${show(a)}, ${showRun(x.run)} started before the earlier ${showRun(y.run)} finished`
      }
    }
  }
  return null
}

// G40
export const queueAcrossReconfiguration: Check = (r) => {
  const v = conservation(r)
  if (v) return `G40: ${v}`
  const used = new Set<Run>()
  for (const c of r.calls) {
    if (!queued(c)) continue
    const run = causedRun(r, c)
    if (run === null) {
      if (!r.calls.some((x) => x.k === c.k && x.seq0 > c.seq0 && grabbed(x))) return `G40: ${show(c)} caused no run`
      continue
    }
    if (used.has(run)) return `G40: ${showRun(run)} answers two queue calls`
    used.add(run)
  }
  for (const c of r.calls)
    if (c.op === "applyAttrs" && c.error !== undefined) return `G40: applyAttrs refused: ${show(c)}`
  return null
}
