/**
 * Properties of `Work.explain` and of flush epochs over generated workloads,
 * under deterministic virtual time:
 * - an explanation predicts what happens next: an item held by max_active
 *   starts only after one of the named active items has left (finished, or
 *   was cancelled while queued); one on a timer until t does not start
 *   before t; a frozen one not before a thaw; a disabled one not before an
 *   enable; one behind its predecessors on an ordered workqueue not before
 *   they have started; a running one finishes;
 * - epochs beyond the 16 flush colors behave as flushers (guarantee 14): an
 *   epoch is done only once every item queued before its mark has finished,
 *   epochs complete in mark order, and every epoch completes.
 */
import { describe, expect, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Fiber from "effect/Fiber"
import fc from "fast-check"
import { DelayedWork, Epoch, type Explanation, Freezer, Work, Workqueue } from "@cmwq/core"
import { runVirtualSync } from "./helpers.js"

// -----------------------------------------------------------------------------
// Explanations predict what happens next
// -----------------------------------------------------------------------------

type Op =
  | { readonly _tag: "queue"; readonly at: number; readonly work: number }
  | { readonly _tag: "cancel"; readonly at: number; readonly work: number }
  | { readonly _tag: "disable"; readonly at: number; readonly work: number }
  | { readonly _tag: "enable"; readonly at: number; readonly work: number }
  | { readonly _tag: "freeze"; readonly at: number }
  | { readonly _tag: "thaw"; readonly at: number }

interface Workload {
  readonly cpus: number
  readonly wqs: ReadonlyArray<{ readonly maxActive: number; readonly ordered: boolean; readonly freezable: boolean }>
  readonly works: ReadonlyArray<
    { readonly wq: number; readonly delay: number | null; readonly sleep: number; readonly cpu: number }
  >
  readonly ops: ReadonlyArray<Op>
}

const workloadArb: fc.Arbitrary<Workload> = fc.integer({ min: 1, max: 2 }).chain((cpus) =>
  fc.array(fc.record({ maxActive: fc.integer({ min: 1, max: 2 }), ordered: fc.boolean(), freezable: fc.boolean() }), {
    minLength: 1,
    maxLength: 2
  }).chain((wqs) =>
    fc.array(
      fc.record({
        wq: fc.integer({ min: 0, max: wqs.length - 1 }),
        delay: fc.option(fc.integer({ min: 0, max: 10 }), { nil: null, freq: 3 }),
        sleep: fc.integer({ min: 0, max: 8 }),
        cpu: fc.integer({ min: 0, max: cpus - 1 })
      }),
      { minLength: 1, maxLength: 6 }
    ).chain((works) => {
      const at = fc.integer({ min: 0, max: 30 })
      const work = fc.integer({ min: 0, max: works.length - 1 })
      const op: fc.Arbitrary<Op> = fc.oneof(
        { weight: 8, arbitrary: fc.record({ _tag: fc.constant("queue" as const), at, work }) },
        { weight: 1, arbitrary: fc.record({ _tag: fc.constant("cancel" as const), at, work }) },
        { weight: 1, arbitrary: fc.record({ _tag: fc.constant("disable" as const), at, work }) },
        { weight: 2, arbitrary: fc.record({ _tag: fc.constant("enable" as const), at, work }) },
        { weight: 1, arbitrary: fc.record({ _tag: fc.constant("freeze" as const), at }) },
        { weight: 1, arbitrary: fc.record({ _tag: fc.constant("thaw" as const), at }) }
      )
      return fc.record({
        cpus: fc.constant(cpus),
        wqs: fc.constant(wqs),
        works: fc.constant(works),
        ops: fc.array(op, { minLength: 1, maxLength: 24 }).map((ops) => [...ops].sort((a, b) => a.at - b.at))
      })
    })
  )
)

type Event =
  | {
    readonly _tag: "start" | "finish" | "queued" | "left" | "enable"
    readonly seq: number
    readonly t: number
    readonly k: number
  }
  | { readonly _tag: "thaw"; readonly seq: number; readonly t: number }

interface Snapshot {
  readonly seq: number
  readonly t: number
  readonly explanations: ReadonlyArray<Explanation.Explanation>
}

const nameOf = (k: number) => `w${k}`
const indexOf = (name: string) => Number(name.slice(1))

const runExplainWorkload = (wl: Workload) => {
  let seq = 0
  const events: Array<Event> = []
  const snapshots: Array<Snapshot> = []
  const program = Effect.gen(function*() {
    const wqs: Array<Workqueue.Workqueue> = []
    for (const [i, w] of wl.wqs.entries()) {
      const flags: Array<Workqueue.Flag> = w.freezable ? ["FREEZABLE"] : []
      wqs.push(
        w.ordered
          ? yield* Workqueue.allocOrdered(`q${i}`, { flags })
          : yield* Workqueue.alloc(`q${i}`, { maxActive: w.maxActive, flags: [...flags, "PERCPU"] })
      )
    }
    const now = () => Effect.clockWith((c) => c.currentTimeMillis)
    const works = wl.works.map((w, k) => {
      const body = Effect.gen(function*() {
        events.push({ _tag: "start", seq: ++seq, t: yield* now(), k })
        if (w.sleep > 0) yield* Effect.sleep(w.sleep)
        events.push({ _tag: "finish", seq: ++seq, t: yield* now(), k })
      })
      return w.delay === null ? Work.make(body, { name: nameOf(k) }) : DelayedWork.make(body, { name: nameOf(k) })
    })
    const snapshot = Effect.gen(function*() {
      const explanations = yield* Effect.forEach(works, Work.explain)
      snapshots.push({ seq: ++seq, t: yield* now(), explanations })
    })
    let t = 0
    for (const op of wl.ops) {
      if (op.at > t) {
        yield* Effect.sleep(op.at - t)
        t = op.at
      }
      switch (op._tag) {
        case "queue": {
          const w = wl.works[op.work]!
          const wq = wqs[w.wq]!
          const queued = w.delay === null
            ? yield* Workqueue.queueOn(wq, wl.wqs[w.wq]!.ordered ? 0 : w.cpu, works[op.work]!)
            : yield* Workqueue.queueDelayed(wq, works[op.work] as unknown as DelayedWork.DelayedWork, w.delay)
          if (queued) events.push({ _tag: "queued", seq: ++seq, t, k: op.work })
          break
        }
        case "cancel":
        case "disable": {
          const was = op._tag === "cancel"
            ? yield* Work.cancel(works[op.work]!)
            : yield* Work.disable(works[op.work]!)
          if (was) events.push({ _tag: "left", seq: ++seq, t, k: op.work })
          break
        }
        case "enable":
          if (Work.disableDepth(works[op.work]!) > 0) {
            yield* Work.enable(works[op.work]!)
            events.push({ _tag: "enable", seq: ++seq, t, k: op.work })
          }
          break
        case "freeze":
          yield* Freezer.freeze
          break
        case "thaw":
          yield* Freezer.thaw
          events.push({ _tag: "thaw", seq: ++seq, t })
          break
      }
      yield* snapshot
    }
    yield* Freezer.thaw
    events.push({ _tag: "thaw", seq: ++seq, t })
    yield* Effect.forEach(wqs, (wq) => Workqueue.flush(wq), { discard: true })
    // let the last timers fire and run
    yield* Effect.sleep(100)
    yield* Effect.forEach(wqs, (wq) => Workqueue.flush(wq), { discard: true })
  })
  runVirtualSync(program, { cpus: wl.cpus })
  return { events, snapshots }
}

/** the first event after `seq` matching `p` */
const firstAfter = (events: ReadonlyArray<Event>, seq: number, p: (e: Event) => boolean, before = Infinity) =>
  events.find((e) => e.seq > seq && e.seq < before && p(e))

const isOf = (tag: Event["_tag"], k?: number) => (e: Event) =>
  e._tag === tag && (k === undefined || ("k" in e && e.k === k))

/** the violated prediction, or null */
export const checkPredictions = (
  r: { readonly events: ReadonlyArray<Event>; readonly snapshots: ReadonlyArray<Snapshot> }
): string | null => {
  const { events } = r
  for (const s of r.snapshots) {
    for (const [k, e] of s.explanations.entries()) {
      const start = firstAfter(events, s.seq, isOf("start", k))
      // the prediction is about this pending instance: stop at a cancel or a new queueing of it
      const reset = firstAfter(
        events,
        s.seq,
        (x) => (x._tag === "left" || x._tag === "queued") && "k" in x && x.k === k
      )
      const next = start !== undefined && (reset === undefined || start.seq < reset.seq) ? start : undefined
      const where = `snapshot at seq ${s.seq} (t=${s.t}): ${e.message}`
      switch (e._tag) {
        case "MaxActive": {
          if (next === undefined) break
          const named = e.active.map(indexOf)
          const left = firstAfter(
            events,
            s.seq,
            (x) => (x._tag === "finish" || x._tag === "left") && named.includes(x.k),
            next.seq
          )
          if (left === undefined) {
            return `${where}; but ${nameOf(k)} started at seq ${next.seq} before any of [${e.active}] left`
          }
          break
        }
        case "OnTimer":
          if (next !== undefined && next.t < e.until) return `${where}; but it started at t=${next.t}`
          break
        case "Frozen":
          if (next !== undefined && firstAfter(events, s.seq, isOf("thaw"), next.seq) === undefined) {
            return `${where}; but it started at seq ${next.seq} with no thaw before`
          }
          break
        case "Disabled":
          if (start !== undefined && firstAfter(events, s.seq, isOf("enable", k), start.seq) === undefined) {
            return `${where}; but it started at seq ${start.seq} with no enable before`
          }
          break
        case "BehindPredecessors": {
          if (next === undefined) break
          for (const name of e.ahead) {
            const j = indexOf(name)
            const started = firstAfter(events, s.seq - 0.5, isOf("start", j), next.seq)
            const runningAtS = (() => {
              const last = [...events].reverse().find((x) => x.seq < s.seq && x._tag === "start" && x.k === j)
              return last !== undefined && firstAfter(events, last.seq, isOf("finish", j), s.seq) === undefined
            })()
            const gone = firstAfter(events, s.seq, isOf("left", j), next.seq)
            if (started === undefined && !runningAtS && gone === undefined) {
              return `${where}; but it started at seq ${next.seq} before ${name}`
            }
          }
          break
        }
        case "Running": {
          const finish = firstAfter(events, s.seq, isOf("finish", k))
          if (finish === undefined) return `${where}; but it never finished`
          break
        }
        case "Worklist":
        case "Assigned":
          if (start === undefined && reset === undefined) return `${where}; but it never started`
          break
        default:
          break
      }
    }
  }
  return null
}

describe("Work.explain predicts what happens next", () => {
  it("max_active, timers, freezing, disabling, ordering, running", () => {
    fc.assert(
      fc.property(workloadArb, (wl) => {
        const v = checkPredictions(runExplainWorkload(wl))
        if (v !== null) throw new Error(v)
      }),
      { seed: Number(process.env.FC_SEED ?? 1515), numRuns: Number(process.env.FC_RUNS ?? 150) }
    )
  })

  it("the check is not vacuous: the workloads produce every kind of explanation", () => {
    const seen = new Set<string>()
    fc.assert(
      fc.property(workloadArb, (wl) => {
        for (const s of runExplainWorkload(wl).snapshots) for (const e of s.explanations) seen.add(e._tag)
      }),
      { seed: 1515, numRuns: 150 }
    )
    for (const tag of ["MaxActive", "OnTimer", "Frozen", "Disabled", "BehindPredecessors", "Running", "Finished"]) {
      expect(seen).toContain(tag)
    }
  })
})

// -----------------------------------------------------------------------------
// Epochs beyond the 16 colors behave as flushers (guarantee 14)
// -----------------------------------------------------------------------------

const epochWorkloadArb = fc.record({
  cpus: fc.integer({ min: 1, max: 2 }),
  maxActive: fc.integer({ min: 1, max: 3 }),
  ops: fc.array(
    fc.oneof(
      {
        weight: 3,
        arbitrary: fc.record({
          _tag: fc.constant("queue" as const),
          at: fc.integer({ min: 0, max: 10 }),
          sleep: fc.integer({ min: 0, max: 30 }),
          cpu: fc.integer({ min: 0, max: 1 })
        })
      },
      {
        weight: 4,
        arbitrary: fc.record({
          _tag: fc.constant("mark" as const),
          at: fc.integer({ min: 0, max: 10 }),
          await: fc.boolean()
        })
      },
      { weight: 1, arbitrary: fc.record({ _tag: fc.constant("flush" as const), at: fc.integer({ min: 0, max: 10 }) }) }
    ),
    { minLength: 20, maxLength: 70, size: "max" }
  ).map((ops) => [...ops].sort((a, b) => a.at - b.at))
})

type EpochWorkload = typeof epochWorkloadArb extends fc.Arbitrary<infer A> ? A : never

/** the most flushers in line (first, queued, overflowed) seen by the last `checkEpochs` run */
let lastMaxInLine = 0

export const checkEpochs = (wl: EpochWorkload): string | null => {
  let seq = 0
  const finished = new Map<number, number>() // item -> finish seq
  const marks: Array<{ readonly seq: number; readonly before: ReadonlyArray<number>; readonly epoch: Epoch.Epoch }> = []
  const flushes: Array<{ readonly seq: number; readonly before: ReadonlyArray<number> }> = []
  const awaited: Array<{ readonly mark: number; readonly seq: number }> = []
  const flushed: Array<{ readonly flush: number; readonly seq: number }> = []
  const polls: Array<{ readonly seq: number; readonly done: ReadonlyArray<boolean> }> = []
  let maxInLine = 0
  let violation: string | null = null
  const unfinished = (n: number) => Array.from({ length: n }, (_, i) => i).filter((i) => !finished.has(i))
  const program = Effect.gen(function*() {
    const wq = yield* Workqueue.alloc("epochs", { maxActive: wl.maxActive, flags: ["PERCPU"] })
    let items = 0
    let t = 0
    const fibers: Array<Fiber.RuntimeFiber<void, unknown>> = []
    const poll = () => {
      const done = marks.map((m) => Epoch.unsafePoll(m.epoch))
      polls.push({ seq: ++seq, done })
    }
    for (const op of wl.ops) {
      if (op.at > t) {
        yield* Effect.sleep(op.at - t)
        t = op.at
      }
      poll()
      switch (op._tag) {
        case "queue": {
          const i = items++
          const body = Effect.zipRight(
            op.sleep > 0 ? Effect.sleep(op.sleep) : Effect.void,
            Effect.sync(() => {
              finished.set(i, ++seq)
            })
          )
          yield* Workqueue.queueOn(wq, Math.min(op.cpu, wl.cpus - 1), Work.make(body))
          break
        }
        case "mark": {
          const before = unfinished(items)
          const epoch = yield* Workqueue.mark(wq)
          const m = marks.push({ seq: ++seq, before, epoch }) - 1
          if (op.await) {
            fibers.push(
              yield* Effect.fork(Effect.zipRight(
                Epoch.await(epoch),
                Effect.sync(() => {
                  awaited.push({ mark: m, seq: ++seq })
                })
              ))
            )
          }
          break
        }
        case "flush": {
          const before = unfinished(items)
          const f = flushes.push({ seq: ++seq, before }) - 1
          fibers.push(
            yield* Effect.fork(Effect.zipRight(
              Workqueue.flush(wq),
              Effect.sync(() => {
                flushed.push({ flush: f, seq: ++seq })
              })
            ))
          )
          break
        }
      }
      maxInLine = Math.max(maxInLine, (yield* Workqueue.inspect(wq)).flushers)
    }
    yield* Effect.forEach(fibers, Fiber.join, { discard: true })
    yield* Workqueue.flush(wq)
    poll()
    if (!marks.every((m) => Epoch.unsafePoll(m.epoch))) violation = "an epoch never completed"
  })
  runVirtualSync(program, { cpus: wl.cpus })
  lastMaxInLine = maxInLine
  if (violation !== null) return violation
  const doneAt = (before: ReadonlyArray<number>, seqDone: number, what: string): string | null => {
    for (const i of before) {
      const f = finished.get(i)
      if (f === undefined || f > seqDone)
        return `${what} was done at seq ${seqDone} but item ${i} queued before it finished at ${f}`
    }
    return null
  }
  for (const a of awaited) {
    const v = doneAt(marks[a.mark]!.before, a.seq, `epoch ${a.mark} (awaited)`)
    if (v !== null) return v
  }
  for (const f of flushed) {
    const v = doneAt(flushes[f.flush]!.before, f.seq, `flush ${f.flush}`)
    if (v !== null) return v
  }
  for (const p of polls) {
    for (const [m, done] of p.done.entries()) {
      if (!done) continue
      const v = doneAt(marks[m]!.before, p.seq, `epoch ${m} (polled)`)
      if (v !== null) return v
      // in mark order: an epoch is done only if every earlier one is
      const earlier = p.done.slice(0, m).findIndex((d) => !d)
      if (earlier >= 0) return `epoch ${m} was done at seq ${p.seq} before epoch ${earlier}`
    }
  }
  return null
}

describe("flush epochs behave as flushers beyond the 16 colors (guarantee 14)", () => {
  it("each epoch is done only after everything queued before its mark, in mark order, and always", () => {
    fc.assert(
      fc.property(epochWorkloadArb, (wl) => {
        const v = checkEpochs(wl)
        if (v !== null) throw new Error(v)
      }),
      { seed: Number(process.env.FC_SEED ?? 1416), numRuns: Number(process.env.FC_RUNS ?? 150) }
    )
  })

  it("the generated workloads overflow the colors, and so does a hand-made one", () => {
    let overflowed = 0
    fc.assert(
      fc.property(epochWorkloadArb, (wl) => {
        checkEpochs(wl)
        if (lastMaxInLine > 15) overflowed++
      }),
      { seed: 1416, numRuns: 150 }
    )
    expect(overflowed).toBeGreaterThan(0)
    // 40 marks with items in flight: more flushers in line than the 15 colors allow
    const wl: EpochWorkload = {
      cpus: 1,
      maxActive: 1,
      ops: Array.from({ length: 40 }, (_, i) => [
        { _tag: "queue" as const, at: 0, sleep: 1 + (i % 3), cpu: 0 },
        { _tag: "mark" as const, at: 0, await: i % 2 === 0 }
      ]).flat()
    }
    expect(checkEpochs(wl)).toBeNull()
    expect(lastMaxInLine).toBeGreaterThan(15)
  })
})
