/**
 * Generated workloads for property tests: workqueues with random limits and
 * flags, work items whose bodies burn, sleep, yield, requeue themselves, fail
 * or die, and queue attempts at random virtual times. A run records a
 * `@cmwq/testing` trace (every queue attempt, start and finish, in happening
 * order) and the pools' and workqueues' state at every quiescent point, for
 * `@cmwq/testing`'s `Invariants` checkers.
 */
import * as Cause from "effect/Cause"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Option from "effect/Option"
import fc from "fast-check"
import { type Policy, Work, Workqueue, WorkerPool } from "@cmwq/core"
import type { Scenario, Simulation, Trace } from "@cmwq/testing"
import { runVirtual } from "./helpers.js"

export type Step =
  | { readonly _tag: "burn" }
  | { readonly _tag: "sleep"; readonly ms: number }
  | { readonly _tag: "yield" }
  | { readonly _tag: "requeue" }
  | { readonly _tag: "fail" }
  | { readonly _tag: "die" }

export interface WqSpec {
  readonly maxActive: number
  readonly ordered: boolean
  readonly flags: ReadonlyArray<Workqueue.Flag>
}

export interface WorkSpec {
  readonly wq: number
  readonly steps: ReadonlyArray<Step>
}

export interface Op {
  readonly at: number
  readonly work: number
  readonly cpu: number | null
}

export interface Workload {
  readonly cpus: number
  readonly wqs: ReadonlyArray<WqSpec>
  readonly works: ReadonlyArray<WorkSpec>
  readonly ops: ReadonlyArray<Op>
}

export interface Knobs {
  readonly maxCpus?: number
  readonly flags?: ReadonlyArray<Workqueue.Flag>
  readonly steps?: ReadonlyArray<Step["_tag"]>
  readonly ordered?: boolean
  readonly maxWorks?: number
  readonly maxOps?: number
}

export const stepArb = (tags: ReadonlyArray<Step["_tag"]>): fc.Arbitrary<Step> =>
  fc.oneof(
    ...tags.map((tag): fc.WeightedArbitrary<Step> => {
      switch (tag) {
        case "sleep":
          return { weight: 4, arbitrary: fc.integer({ min: 0, max: 6 }).map((ms) => ({ _tag: "sleep", ms })) }
        case "burn":
          return { weight: 4, arbitrary: fc.constant({ _tag: "burn" }) }
        default:
          return { weight: 1, arbitrary: fc.constant({ _tag: tag }) }
      }
    })
  )

export const workloadArb = (knobs: Knobs = {}): fc.Arbitrary<Workload> => {
  const flags = knobs.flags ?? ["HIGHPRI", "CPU_INTENSIVE", "UNBOUND"]
  const tags = knobs.steps ?? ["burn", "sleep", "yield", "requeue", "fail", "die"]
  return fc.integer({ min: 1, max: knobs.maxCpus ?? 3 }).chain((cpus) =>
    fc.array(
      fc.record({
        maxActive: fc.constantFrom(0, 1, 2, 3),
        ordered: knobs.ordered === false ? fc.constant(false) : fc.boolean(),
        flags: fc.subarray([...flags])
      }).map((spec): WqSpec =>
        spec.ordered
          ? { maxActive: 1, ordered: true, flags: spec.flags.filter((f) => f !== "UNBOUND" && f !== "CPU_INTENSIVE") }
          : spec
      ),
      { minLength: 1, maxLength: 3 }
    ).chain((wqs) =>
      fc.array(
        fc.record({
          wq: fc.integer({ min: 0, max: wqs.length - 1 }),
          steps: fc.array(stepArb(tags), { maxLength: 4 })
        }),
        { minLength: 1, maxLength: knobs.maxWorks ?? 6 }
      ).chain((works) =>
        fc.array(
          fc.record({
            at: fc.integer({ min: 0, max: 12 }),
            work: fc.integer({ min: 0, max: works.length - 1 }),
            cpu: fc.option(fc.integer({ min: 0, max: cpus - 1 }), { nil: null })
          }),
          { minLength: 1, maxLength: knobs.maxOps ?? 14 }
        ).map((ops): Workload => ({ cpus, wqs, works, ops: [...ops].sort((a, b) => a.at - b.at) }))
      )
    )
  )
}

export interface RunResult extends Pick<Simulation.Detailed, "trace" | "quiescent" | "scenario"> {
  /** the trace (`@cmwq/testing`'s model): queue attempts (`queue` or `reject`, with the pending bit seen
   * before and the queueing work when an item requeues itself), starts with their pool, finishes with
   * their outcome */
  readonly trace: Trace.Trace
  readonly stats: ReadonlyArray<Workqueue.Stats>
  readonly exit: string
}

/** the most times one item may requeue itself (keeps self-requeueing items finite) */
const MAX_REQUEUES = 2

const workName = (i: number) => `w${i}`
const wqName = (i: number) => `wq${i}`

/**
 * the workload as a `Scenario` for `@cmwq/testing`'s checkers (they read the workqueues' limits and which
 * workqueue each work is on; the steps are this runner's, not the simulation's, so they are left empty)
 */
export const scenarioOf = (wl: Workload): Scenario.Scenario => ({
  cpus: wl.cpus,
  workqueues: wl.wqs.map((spec, i) => ({
    name: wqName(i),
    flags: spec.ordered ? [...spec.flags, "ORDERED" as const] : spec.flags,
    maxActive: spec.maxActive
  })),
  works: wl.works.map((spec, i) => ({ name: workName(i), workqueue: wqName(spec.wq), steps: [] }))
})

const outcomeOf = (exit: Exit.Exit<unknown, unknown>): Trace.Outcome =>
  Exit.isSuccess(exit)
    ? "success"
    : Cause.isFailure(exit.cause)
    ? "failure"
    : Cause.isInterruptedOnly(exit.cause)
    ? "interrupt"
    : "defect"

export const runWorkload = (wl: Workload, policy?: Policy.Policy): RunResult => {
  const trace: Array<Trace.Event> = []
  const quiescent: Array<Simulation.QuiescentRecord> = []
  let pools: WorkerPool.WorkerPools | undefined
  let wqs: Array<Workqueue.Workqueue> = []
  const now = Effect.clockWith((clock) => clock.currentTimeMillis)
  const program = Effect.gen(function*() {
    pools = yield* WorkerPool.WorkerPools
    wqs = []
    for (const [i, spec] of wl.wqs.entries()) {
      wqs.push(
        spec.ordered
          ? yield* Workqueue.allocOrdered(wqName(i), { flags: spec.flags })
          : yield* Workqueue.alloc(wqName(i), { flags: spec.flags, maxActive: spec.maxActive })
      )
    }
    const works: Array<Work.Work> = []
    const requeues = wl.works.map(() => 0)
    const queueAttempt = (i: number, cpu: number | null, fromWork: number | null) =>
      Effect.gen(function*() {
        const wq = wqs[wl.works[i]!.wq]!
        const work = works[i]!
        const pending = Work.isPending(work)
        const result = cpu === null ? yield* Workqueue.queue(wq, work) : yield* Workqueue.queueOn(wq, cpu, work)
        trace.push({
          t: yield* now,
          cpu: cpu ?? -1,
          worker: -1,
          work: workName(i),
          event: result ? "queue" : "reject",
          pending,
          ...(fromWork === null ? {} : { from: workName(fromWork) })
        })
      })
    for (const [i, spec] of wl.works.entries()) {
      let me: WorkerPool.WorkerInfo | undefined
      works.push(Work.make(
        Effect.gen(function*() {
          me = Option.getOrThrow(yield* WorkerPool.currentWorker)
          trace.push({ t: yield* now, cpu: me.cpu, worker: me.id, work: workName(i), event: "start", pool: me.pool })
          for (const step of spec.steps) {
            switch (step._tag) {
              case "burn":
                break
              case "sleep":
                yield* Effect.sleep(step.ms)
                break
              case "yield":
                yield* Effect.yieldNow()
                break
              case "requeue":
                if (requeues[i]! < MAX_REQUEUES) {
                  requeues[i] = requeues[i]! + 1
                  yield* queueAttempt(i, null, i)
                }
                break
              case "fail":
                return yield* Effect.fail("planned failure")
              case "die":
                return yield* Effect.die("planned defect")
            }
          }
        }).pipe(Effect.onExit((exit) =>
          Effect.flatMap(now, (t) =>
            Effect.sync(() => {
              trace.push({
                t,
                cpu: me?.cpu ?? -1,
                worker: me?.id ?? -1,
                work: workName(i),
                event: "finish",
                outcome: outcomeOf(exit)
              })
            }))
        )),
        { name: workName(i) }
      ))
    }
    let clock = 0
    for (const op of wl.ops) {
      if (op.at > clock) {
        yield* Effect.sleep(op.at - clock)
        clock = op.at
      }
      yield* queueAttempt(op.work, op.cpu, null)
    }
    for (const wq of wqs) yield* Workqueue.drain(wq)
    // drain each again: an item of one workqueue may have queued on another (not here, but cheap)
    for (const wq of wqs) yield* Workqueue.drain(wq)
    return yield* Effect.forEach(wqs, Workqueue.stats)
  }).pipe(Effect.orDie)
  const exit = runVirtual(program, { cpus: wl.cpus, ...(policy ? { policy } : {}) }, {
    maxSteps: 2_000_000,
    onQuiescent: (t) => {
      if (pools === undefined) return
      quiescent.push({
        t,
        pools: WorkerPool.unsafeSnapshot(pools),
        workqueues: wqs.map((wq) => ({ name: wq.name, state: Workqueue.unsafeInspect(wq) })),
        // this runner simulates no CPUs: none is ever held across a quiescent point
        cpuBusy: Array.from({ length: wl.cpus }, () => false)
      })
    }
  })
  return {
    trace,
    quiescent,
    scenario: scenarioOf(wl),
    stats: exit._tag === "Success" ? exit.value : [],
    exit: exit._tag === "Success" ? "success" : String(exit.cause)
  }
}

/** the effective max_active of a workqueue spec */
export const effectiveMaxActive = (spec: WqSpec): number =>
  spec.ordered ? 1 : spec.maxActive === 0 ? Workqueue.WQ_DFL_ACTIVE : spec.maxActive
