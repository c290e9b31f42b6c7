/**
 * Flush colors, flush_work barriers, cancel, disable and delayed work as
 * properties over generated interleavings (guarantees 2, 12–14,
 * 17–21, 23, 24), under deterministic virtual time.
 */
import { describe, expect, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Fiber from "effect/Fiber"
import fc from "fast-check"
import { DelayedWork, Work, Workqueue, WorkqueueError } from "@cmwq/core"
import { runVirtual, runVirtualSync } from "./helpers.js"

type Op =
  | { readonly _tag: "queue"; readonly at: number; readonly work: number; readonly cpu: number | null }
  | { readonly _tag: "delayed"; readonly at: number; readonly work: number; readonly delay: number }
  | { readonly _tag: "mod"; readonly at: number; readonly work: number; readonly delay: number }
  | { readonly _tag: "flush"; readonly at: number; readonly wq: number }
  | { readonly _tag: "flushWork"; readonly at: number; readonly work: number }
  | { readonly _tag: "cancel"; readonly at: number; readonly work: number }
  | { readonly _tag: "cancelSync"; readonly at: number; readonly work: number }
  | { readonly _tag: "disable"; readonly at: number; readonly work: number }
  | { readonly _tag: "enable"; readonly at: number; readonly work: number }

interface Scenario {
  readonly cpus: number
  readonly wqs: ReadonlyArray<{ readonly maxActive: number; readonly ordered: boolean }>
  /** work i: its workqueue, whether it is delayed, how long it sleeps, whether it requeues itself once */
  readonly works: ReadonlyArray<
    { readonly wq: number; readonly delayed: boolean; readonly sleep: number; readonly requeue: boolean }
  >
  readonly ops: ReadonlyArray<Op>
}

const scenarioArb: fc.Arbitrary<Scenario> = fc.integer({ min: 1, max: 2 }).chain((cpus) =>
  fc.array(fc.record({ maxActive: fc.constantFrom(0, 1, 2), ordered: fc.boolean() }), { minLength: 1, maxLength: 2 })
    .chain((wqs) =>
      fc.array(
        fc.record({
          wq: fc.integer({ min: 0, max: wqs.length - 1 }),
          delayed: fc.boolean(),
          sleep: fc.integer({ min: 0, max: 6 }),
          requeue: fc.boolean()
        }),
        { minLength: 1, maxLength: 4 }
      ).chain((works) => {
        const at = fc.integer({ min: 0, max: 20 })
        const work = fc.integer({ min: 0, max: works.length - 1 })
        const delay = fc.integer({ min: 0, max: 8 })
        const op: fc.Arbitrary<Op> = fc.oneof(
          {
            weight: 5,
            arbitrary: fc.record({
              _tag: fc.constant("queue" as const),
              at,
              work,
              cpu: fc.option(fc.integer({ min: 0, max: cpus - 1 }), { nil: null })
            })
          },
          { weight: 3, arbitrary: fc.record({ _tag: fc.constant("delayed" as const), at, work, delay }) },
          { weight: 2, arbitrary: fc.record({ _tag: fc.constant("mod" as const), at, work, delay }) },
          {
            weight: 3,
            arbitrary: fc.record({
              _tag: fc.constant("flush" as const),
              at,
              wq: fc.integer({ min: 0, max: wqs.length - 1 })
            })
          },
          { weight: 2, arbitrary: fc.record({ _tag: fc.constant("flushWork" as const), at, work }) },
          { weight: 1, arbitrary: fc.record({ _tag: fc.constant("cancel" as const), at, work }) },
          { weight: 1, arbitrary: fc.record({ _tag: fc.constant("cancelSync" as const), at, work }) },
          { weight: 1, arbitrary: fc.record({ _tag: fc.constant("disable" as const), at, work }) },
          { weight: 1, arbitrary: fc.record({ _tag: fc.constant("enable" as const), at, work }) }
        )
        return fc.array(op, { minLength: 1, maxLength: 16 }).map((ops): Scenario => ({
          cpus,
          wqs,
          works,
          ops: [...ops].sort((a, b) => a.at - b.at)
        }))
      })
    )
)

interface Run {
  readonly t: number
  readonly seq: number
}
interface Instance {
  readonly queuedAt: Run
  /** seq of the last (re)arm: a modDelayed on a pending item re-queues it */
  armSeq: number
  deadline: number
  start: Run | null
  end: Run | null
  cancelled: boolean
}
interface Outcome {
  readonly flushes: Array<{ wq: number; call: Run; ret: Run; covered: Array<Instance> }>
  readonly flushWorks: Array<{ work: number; call: Run; ret: Run; result: boolean; target: Instance | null }>
  readonly cancelSyncs: Array<{ work: number; call: Run; ret: Run; pending: boolean; running: boolean }>
  /** seqs at which the ops queued, re-armed or enabled each work (racing enqueues for cancelSync) */
  readonly enqueues: Array<Array<number>>
  readonly instances: Array<Array<Instance>>
  readonly starts: Array<{ work: number; run: Run; instance: Instance | undefined }>
  readonly inFlight: Array<number>
  readonly counts: Array<{ queued: number; cancelled: number; ran: number }>
  readonly exit: string
}

const run = (sc: Scenario): Outcome => {
  let seq = 0
  const instances: Array<Array<Instance>> = sc.works.map(() => [])
  const starts: Outcome["starts"] = []
  const flushes: Outcome["flushes"] = []
  const flushWorks: Outcome["flushWorks"] = []
  const cancelSyncs: Outcome["cancelSyncs"] = []
  const counts = sc.works.map(() => ({ queued: 0, cancelled: 0, ran: 0 }))
  const enqueues: Array<Array<number>> = sc.works.map(() => [])
  const running = sc.works.map(() => null as Instance | null)
  let now = 0
  const mark = (): Run => ({ t: now, seq: seq++ })
  const program = Effect.gen(function*() {
    const clock = yield* Effect.clock
    const tick = () => {
      now = clock.unsafeCurrentTimeMillis()
    }
    const wqs = yield* Effect.forEach(
      sc.wqs,
      (spec, i) =>
        spec.ordered ? Workqueue.allocOrdered(`wq${i}`) : Workqueue.alloc(`wq${i}`, { maxActive: spec.maxActive })
    )
    const works: Array<Work.Work> = []
    const requeued = sc.works.map(() => false)
    /** the pending instance of work i (queued, or its timer armed), if any */
    const pendingInstance = (i: number) => instances[i]!.find((x) => x.start === null && !x.cancelled)
    const newInstance = (i: number, deadline: number) => {
      const queuedAt = mark()
      instances[i]!.push({ queuedAt, armSeq: queuedAt.seq, deadline, start: null, end: null, cancelled: false })
      counts[i]!.queued++
    }
    const cancelled = (i: number) => {
      const inst = pendingInstance(i)
      if (inst !== undefined) {
        inst.cancelled = true
        counts[i]!.cancelled++
      }
    }
    sc.works.forEach((spec, i) => {
      const body = Effect.gen(function*() {
        tick()
        const inst = pendingInstance(i)
        if (inst !== undefined) inst.start = mark()
        running[i] = inst ?? null
        starts.push({ work: i, run: { t: now, seq: seq++ }, instance: inst })
        counts[i]!.ran++
        if (spec.sleep > 0) yield* Effect.sleep(spec.sleep)
        if (spec.requeue && !requeued[i]) {
          requeued[i] = true
          tick()
          if (yield* Workqueue.queue(wqs[spec.wq]!, works[i]!)) newInstance(i, now)
        }
      }).pipe(Effect.ensuring(Effect.sync(() => {
        tick()
        const inst = running[i]
        running[i] = null
        if (inst !== null && inst !== undefined) inst.end = mark()
      })))
      works.push(spec.delayed ? DelayedWork.make(body, { name: `w${i}` }) : Work.make(body, { name: `w${i}` }))
    })
    const fibers: Array<Fiber.RuntimeFiber<unknown, unknown>> = []
    let clockAt = 0
    for (const op of sc.ops) {
      if (op.at > clockAt) {
        yield* Effect.sleep(op.at - clockAt)
        clockAt = op.at
      }
      tick()
      if (op._tag === "queue" || op._tag === "delayed" || op._tag === "mod" || op._tag === "enable") {
        enqueues[op.work]!.push(seq++)
      }
      switch (op._tag) {
        case "queue": {
          const wq = wqs[sc.works[op.work]!.wq]!
          const ok = op.cpu === null
            ? yield* Workqueue.queue(wq, works[op.work]!)
            : yield* Workqueue.queueOn(wq, op.cpu, works[op.work]!)
          if (ok) newInstance(op.work, now)
          break
        }
        case "delayed": {
          const w = works[op.work]!
          if (!DelayedWork.isDelayedWork(w)) break
          if (yield* Workqueue.queueDelayed(wqs[sc.works[op.work]!.wq]!, w, op.delay))
            newInstance(op.work, now + op.delay)
          break
        }
        case "mod": {
          const w = works[op.work]!
          if (!DelayedWork.isDelayedWork(w)) break
          const disabled = Work.disableDepth(w) > 0
          const inst = pendingInstance(op.work)
          const wasPending = yield* Workqueue.modDelayed(wqs[sc.works[op.work]!.wq]!, w, op.delay)
          expect(wasPending).toBe(inst !== undefined)
          if (wasPending) {
            inst!.deadline = now + op.delay
            inst!.armSeq = seq++
          } else if (!disabled) newInstance(op.work, now + op.delay)
          break
        }
        case "flush": {
          const wq = op.wq
          // the model is read in the forked fiber, right before the call (a fork starts later)
          fibers.push(
            yield* Effect.fork(Effect.gen(function*() {
              tick()
              const call = mark()
              const covered = instances.flatMap((list, i) =>
                sc.works[i]!.wq === wq ? list.filter((x) => !x.cancelled && x.end === null && x.deadline <= now) : []
              )
              yield* Workqueue.flush(wqs[wq]!)
              tick()
              flushes.push({ wq, call, ret: mark(), covered })
            }))
          )
          break
        }
        case "flushWork": {
          const work = op.work
          fibers.push(
            yield* Effect.fork(Effect.gen(function*() {
              tick()
              const call = mark()
              const queued = pendingInstance(work)
              // a delayed item whose timer is still armed is not on a queue: flush_work does not wait for it
              const target = queued !== undefined && queued.deadline <= now ? queued : running[work]
              const result = yield* Work.flush(works[work]!)
              tick()
              flushWorks.push({ work, call, ret: mark(), result, target: target ?? null })
            }))
          )
          break
        }
        case "cancel": {
          const inst = pendingInstance(op.work)
          const was = yield* Work.cancel(works[op.work]!)
          expect(was).toBe(inst !== undefined)
          if (was) cancelled(op.work)
          break
        }
        case "cancelSync": {
          const work = op.work
          fibers.push(
            yield* Effect.fork(Effect.gen(function*() {
              // the cancel part is synchronous at the call: update the model at the same instant
              const call = mark()
              const predicted = pendingInstance(work) !== undefined
              cancelled(work)
              const was = yield* Work.cancelSync(works[work]!)
              tick()
              expect(was).toBe(predicted)
              cancelSyncs.push({
                work,
                call,
                ret: mark(),
                pending: Work.isPending(works[work]!),
                running: running[work] !== null
              })
            }))
          )
          break
        }
        case "disable": {
          const inst = pendingInstance(op.work)
          const was = yield* Work.disable(works[op.work]!)
          expect(was).toBe(inst !== undefined)
          if (was) cancelled(op.work)
          break
        }
        case "enable":
          yield* Work.enable(works[op.work]!)
          break
      }
    }
    yield* Fiber.joinAll(fibers)
    // let delayed timers fire, then drain everything
    yield* Effect.sleep(20)
    for (const wq of wqs) yield* Workqueue.drain(wq)
    return yield* Effect.forEach(wqs, (wq) => Effect.map(Workqueue.stats(wq), (s) => s.inFlight))
  })
  const exit = runVirtual(Effect.orDie(program), { cpus: sc.cpus }, { maxSteps: 2_000_000 })
  return {
    flushes,
    flushWorks,
    cancelSyncs,
    enqueues,
    instances,
    starts,
    counts,
    inFlight: Exit.isSuccess(exit) ? exit.value : [],
    exit: Exit.isSuccess(exit) ? "success" : String(exit.cause)
  }
}

const params = (seed: number) => ({
  seed: Number(process.env.FC_SEED ?? seed),
  numRuns: Number(process.env.FC_RUNS ?? 250)
})

describe("flush, cancel and delayed work over generated interleavings", () => {
  it("every run completes and the color counters return to zero", () => {
    fc.assert(
      fc.property(scenarioArb, (sc) => {
        const out = run(sc)
        expect(out.exit).toBe("success")
        for (const n of out.inFlight) expect(n).toBe(0)
      }),
      params(11)
    )
  })

  it("no item is lost or run twice: runs = queued - cancelled, each run matches one queueing", () => {
    fc.assert(
      fc.property(scenarioArb, (sc) => {
        const out = run(sc)
        out.counts.forEach((c, i) => expect({ work: i, ran: c.ran }).toEqual({ work: i, ran: c.queued - c.cancelled }))
        for (const s of out.starts) expect(s.instance, `w${s.work} ran with nothing pending`).toBeDefined()
      }),
      params(12)
    )
  })

  it("flush(wq) returns when everything queued before it has finished, and waits for nothing later", () => {
    fc.assert(
      fc.property(scenarioArb, (sc) => {
        const out = run(sc)
        for (const f of out.flushes) {
          // everything queued (or whose timer fired) before the call has finished; an item
          // re-queued by modDelayed after the call is a later queueing, not waited for
          const ran = f.covered.filter((x) => x.end !== null && x.armSeq < f.call.seq)
          for (const x of ran) expect(x.end!.seq).toBeLessThan(f.ret.seq)
          // ...and the flush returned at the moment the last of them finished (or at once)
          const last = Math.max(f.call.t, ...ran.map((x) => x.end!.t))
          expect(f.ret.t).toBe(last)
        }
      }),
      params(13)
    )
  })

  it("flushWork waits for the item's last queueing only, and says whether it waited", () => {
    fc.assert(
      fc.property(scenarioArb, (sc) => {
        const out = run(sc)
        for (const f of out.flushWorks) {
          expect(f.result).toBe(f.target !== null)
          if (f.target === null) {
            expect(f.ret.t).toBe(f.call.t)
          } else if (!f.target.cancelled && f.target.end !== null && f.target.armSeq < f.call.seq) {
            expect(f.target.end.seq).toBeLessThan(f.ret.seq)
            expect(f.ret.t).toBe(f.target.end.t)
          }
        }
      }),
      params(14)
    )
  })

  it("after cancelSync the item is neither pending nor running", () => {
    fc.assert(
      fc.property(scenarioArb, (sc) => {
        const out = run(sc)
        for (const c of out.cancelSyncs) {
          // the guarantee holds without racing enqueues (kernel: "as long as there aren't racing enqueues")
          if (out.enqueues[c.work]!.some((at) => at > c.call.seq && at < c.ret.seq)) continue
          expect({ pending: c.pending, running: c.running }).toEqual({ pending: false, running: false })
        }
      }),
      params(15)
    )
  })

  it("a delayed item never starts before its deadline, and modDelayed moves the deadline", () => {
    fc.assert(
      fc.property(scenarioArb, (sc) => {
        const out = run(sc)
        for (const list of out.instances) {
          for (const x of list) if (x.start !== null) expect(x.start.t).toBeGreaterThanOrEqual(x.deadline)
        }
      }),
      params(16)
    )
  })
})

describe("flush examples", () => {
  it("concurrent flushers each wait for exactly their own predecessors, and return in order", () => {
    const log = runVirtualSync(Effect.gen(function*() {
      const wq = yield* Workqueue.alloc("flushers")
      const log: Array<string> = []
      const t = Effect.clockWith((c) => c.currentTimeMillis)
      const item = (name: string, ms: number) =>
        Work.make(
          Effect.zipRight(Effect.sleep(ms), Effect.flatMap(t, (now) => Effect.sync(() => log.push(`${name}@${now}`))))
        )
      const flusher = (name: string) =>
        Effect.fork(
          Effect.zipRight(
            Workqueue.flush(wq),
            Effect.flatMap(t, (now) => Effect.sync(() => log.push(`${name}@${now}`)))
          )
        )
      yield* Workqueue.queue(wq, item("a", 10))
      // a forked fiber starts when its parent yields: yield so that each flush is called in place
      const f1 = yield* flusher("flush1")
      yield* Effect.yieldNow()
      yield* Workqueue.queue(wq, item("b", 5))
      const f2 = yield* flusher("flush2")
      yield* Effect.yieldNow()
      yield* Workqueue.queue(wq, item("c", 100))
      yield* Fiber.join(f1)
      yield* Fiber.join(f2)
      yield* Workqueue.flush(wq)
      return log
    }))
    // flush1 waits for a only; flush2 for a and b, not for c (queued after it)
    expect(log).toEqual(["b@5", "a@10", "flush1@10", "flush2@10", "c@100"])
  })

  it("more concurrent flushers than colors all return (overflow list)", () => {
    const returned = runVirtualSync(Effect.gen(function*() {
      const wq = yield* Workqueue.alloc("overflow")
      const fibers: Array<Fiber.RuntimeFiber<void, unknown>> = []
      let returned = 0
      for (let i = 0; i < 40; i++) {
        yield* Workqueue.queue(wq, Work.make(Effect.sleep(1 + (i % 7))))
        fibers.push(
          yield* Effect.fork(Effect.asVoid(Effect.tap(Workqueue.flush(wq), () => Effect.sync(() => returned++))))
        )
        yield* Effect.yieldNow()
      }
      const state = yield* Workqueue.inspect(wq)
      expect(state.flushers).toBe(40)
      yield* Fiber.joinAll(fibers)
      const after = yield* Workqueue.inspect(wq)
      expect(after.flushers).toBe(0)
      expect(after.flushColor).toBe(after.workColor)
      return returned
    }))
    expect(returned).toBe(40)
  })

  it("an item that flushes or drains its own workqueue, or flushes itself, gets FlushDeadlock", () => {
    const errors = runVirtualSync(Effect.gen(function*() {
      const wq = yield* Workqueue.alloc("self")
      const errors: Array<unknown> = []
      const record = <A, E>(effect: Effect.Effect<A, E>) =>
        Effect.flatMap(Effect.exit(effect), (exit) =>
          Effect.sync(() => {
            errors.push(Exit.isFailure(exit) && exit.cause._tag === "Fail" ? exit.cause.error : "no error")
          }))
      const work: Work.Work = Work.make(Effect.gen(function*() {
        yield* record(Workqueue.flush(wq))
        yield* record(Workqueue.drain(wq))
        yield* record(Work.flush(work))
        yield* record(Work.cancelSync(work))
      }))
      yield* Workqueue.queue(wq, work)
      yield* Workqueue.flush(wq)
      return errors
    }))
    expect(errors).toHaveLength(4)
    for (const error of errors) expect(error).toBeInstanceOf(WorkqueueError.FlushDeadlock)
  })

  it("a flush that waits, through another item's flush, for its own caller is detected", () => {
    const result = runVirtualSync(Effect.gen(function*() {
      const a = yield* Workqueue.alloc("a")
      const b = yield* Workqueue.alloc("b")
      let outcome: unknown = "none"
      // x (on a) flushes b; y (on b) is already waiting in a flush of a, which waits for x
      const y = Work.make(Effect.ignore(Workqueue.flush(a)))
      const x = Work.make(Effect.gen(function*() {
        yield* Effect.sleep(1)
        const exit = yield* Effect.exit(Workqueue.flush(b))
        outcome = Exit.isFailure(exit) && exit.cause._tag === "Fail" ? exit.cause.error : "returned"
      }))
      yield* Workqueue.queue(a, x)
      yield* Workqueue.queue(b, y)
      yield* Workqueue.flush(b)
      return outcome
    }))
    expect(result).toBeInstanceOf(WorkqueueError.FlushDeadlock)
  })

  it("an item of an ordered workqueue flushing an item queued behind it is detected", () => {
    const result = runVirtualSync(Effect.gen(function*() {
      const wq = yield* Workqueue.allocOrdered("ordered")
      let outcome: unknown = "none"
      const later = Work.make(Effect.void)
      const first = Work.make(Effect.gen(function*() {
        yield* Workqueue.queue(wq, later)
        const exit = yield* Effect.exit(Work.flush(later))
        outcome = Exit.isFailure(exit) && exit.cause._tag === "Fail" ? exit.cause.error : "returned"
      }))
      yield* Workqueue.queue(wq, first)
      yield* Workqueue.flush(wq)
      yield* Workqueue.flush(wq)
      return outcome
    }))
    expect(result).toBeInstanceOf(WorkqueueError.FlushDeadlock)
  })

  it("flushing a delayed item fires its timer now and waits for it", () => {
    const result = runVirtualSync(Effect.gen(function*() {
      const wq = yield* Workqueue.alloc("dflush")
      let ranAt = -1
      const dwork = DelayedWork.make(
        Effect.flatMap(Effect.clockWith((c) => c.currentTimeMillis), (t) =>
          Effect.sync(() => {
            ranAt = t
          }))
      )
      yield* Workqueue.queueDelayed(wq, dwork, 1000)
      yield* Effect.sleep(10)
      const waited = yield* DelayedWork.flush(dwork)
      return { waited, ranAt, pending: Work.isPending(dwork) }
    }))
    expect(result).toEqual({ waited: true, ranAt: 10, pending: false })
  })
})
