/**
 * Invariant checkers over simulation runs: the kernel's guarantees (numbered as in
 * `@cmwq/core`'s protocol notes) written as functions of a `Simulation.Detailed` (its trace, its start
 * records, its quiescent snapshots and its scenario).
 *
 * Every checker has the same shape, `Checker`: it succeeds with `void`, or
 * fails with an `InvariantViolation` naming the invariant, the first
 * offending trace event or record, and a message that says what went wrong.
 * "First" means the earliest in the run: checkers scan in happening order.
 *
 * | checker | guarantee | needs | applies to |
 * | --- | --- | --- | --- |
 * | `nonReentrancy` | 4 | trace | every policy |
 * | `orderedOrder` | 8 | trace, scenario | every policy |
 * | `maxActive` | 6, 7 | trace, scenario (quiescent: optional) | every policy |
 * | `forwardProgress` | 2 | trace, scenario | every policy |
 * | `workConservation` | 26 | quiescent, scenario | concurrency-managed policies |
 * | `minimalConcurrency` | 25, 27 | starts, scenario | concurrency-managed policies |
 * | `pendingBit` | | trace (`pending`) | every policy |
 * | `exactlyOnce` | | trace | every policy |
 * | `requeueSamePool` | | trace (`pool`) | every policy |
 * | `oneRunPerPool` | 25, 27 | trace (`pool`) | concurrency-managed policies, items that never block |
 * | `oneWorkerPerPool` | 25, 27 | trace (`pool`) | concurrency-managed policies, never-blocking items queued together |
 * | `strictWorkConservation` | 26 | quiescent, scenario | concurrency-managed policies, runs without simulated CPUs |
 * | `flushColors` | 9 | quiescent | every policy |
 * | `highpriFirst` | | trace, scenario | concurrency-managed policies |
 *
 * The last eight read fields that `Simulation` does not fill (or are
 * stricter than its CPUs allow); they serve runners that drive the pools
 * directly, such as `@cmwq/core`'s own property tests, and are not in the
 * groups below.
 *
 * `safety` runs the first four (the pre-cmwq `Policy.legacy` keeps them),
 * `concurrencyManagement` the last two (what cmwq adds: no idle CPU while
 * work waits, no second worker while one can run), `all` runs all six.
 *
 * How a workqueue maps to the limits (as `@cmwq/core` allocates it): an
 * `ORDERED` workqueue is unbound with maxActive 1; `UNBOUND` workqueues count
 * maxActive across the whole workqueue (kernel v6.9+, one node); the others
 * count it per CPU (per pool); maxActive 0 (or none) means
 * `Workqueue.WQ_DFL_ACTIVE` (1024); `BH` workqueues have no limit and are
 * never concurrency managed.
 *
 * Invariants of this module: checkers are pure (no clock, no randomness), do
 * not mutate their input, and each one can fail (its tests show a failing
 * trace for each).
 *
 * See docs/guides/testing.md.
 *
 * @since 0.1.0
 */
import * as Effect from "effect/Effect"
import * as Schema from "effect/Schema"
import { Workqueue } from "@cmwq/core"
import type * as Scenario from "./Scenario.js"
import type { Detailed, OperationRecord, QuiescentRecord, StartRecord } from "./Simulation.js"
import type { Event } from "./Trace.js"

/**
 * What a violation points at: a trace event, a start record, a quiescent
 * record, or (when a work was never queued at all) the work's spec.
 *
 * @since 0.1.0
 * @category models
 */
export type Offender = Event | StartRecord | QuiescentRecord | OperationRecord | typeof Scenario.WorkSpec.Type

/**
 * The schema of `Offender` (checked as "an object"; the type is the union).
 *
 * @example
 * ```ts
 * import { Schema } from "effect"
 * import { Invariants } from "@cmwq/testing"
 *
 * // the event an InvariantViolation points at, as a schema (so the error encodes)
 * const isOffender = Schema.is(Invariants.Offender)
 * ```
 *
 * @since 0.1.0
 * @category schemas
 */
export const Offender: Schema.Schema<Offender> = Schema.declare(
  (u: unknown): u is Offender => typeof u === "object" && u !== null,
  { identifier: "Offender" }
)

/**
 * An invariant does not hold: `invariant` names it, `event` is the first
 * offending trace event or record, `message` says what happened in words.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { Invariants } from "@cmwq/testing"
 *
 * const trace = [
 *   { t: 0, cpu: 0, worker: 1, work: "w0", event: "start" as const },
 *   { t: 1, cpu: 1, worker: 2, work: "w0", event: "start" as const }
 * ]
 * const program = Invariants.nonReentrancy({ trace }).pipe(
 *   Effect.catchTag("InvariantViolation", (v) => Effect.logError(`${v.invariant}: ${v.message}`))
 * )
 * ```
 *
 * @since 0.1.0
 * @category errors
 */
export class InvariantViolation extends Schema.TaggedError<InvariantViolation>(
  "@cmwq/testing/InvariantViolation"
)("InvariantViolation", {
  invariant: Schema.String,
  event: Offender,
  message: Schema.String
}) {}

/**
 * A checker: succeeds, or fails with the first violation.
 *
 * @since 0.1.0
 * @category models
 */
export type Checker = (detailed: Detailed) => Effect.Effect<void, InvariantViolation>

// -----------------------------------------------------------------------------
// helpers
// -----------------------------------------------------------------------------

/** what a checker needs to know of one workqueue of the scenario */
interface WorkqueueInfo {
  readonly name: string
  readonly ordered: boolean
  /** maxActive counts across the whole workqueue (unbound or ordered) */
  readonly unbound: boolean
  readonly cpuIntensive: boolean
  readonly bh: boolean
  /** the maxActive applied to it */
  readonly limit: number
}

const workqueueInfo = (scenario: Scenario.Scenario): Map<string, WorkqueueInfo> => {
  const out = new Map<string, WorkqueueInfo>()
  for (const spec of scenario.workqueues) {
    const flags = spec.flags ?? []
    const ordered = flags.includes("ORDERED")
    const bh = flags.includes("BH")
    const limit = bh
      ? Infinity
      : ordered
      ? 1
      : spec.maxActive === undefined || spec.maxActive === 0
      ? Workqueue.WQ_DFL_ACTIVE
      : spec.maxActive
    out.set(spec.name, {
      name: spec.name,
      ordered,
      unbound: ordered || flags.includes("UNBOUND"),
      cpuIntensive: flags.includes("CPU_INTENSIVE"),
      bh,
      limit
    })
  }
  return out
}

const workqueueOfWork = (scenario: Scenario.Scenario): Map<string, string> =>
  new Map(scenario.works.map((w) => [w.name, w.workqueue]))

const fail = (invariant: string, event: Offender, message: string): Effect.Effect<never, InvariantViolation> =>
  Effect.fail(new InvariantViolation({ invariant, event, message }))

const ordinal = (n: number): string => {
  const tens = n % 100
  if (tens >= 11 && tens <= 13) return `${n}th`
  return `${n}${["th", "st", "nd", "rd"][n % 10] ?? "th"}`
}

const ok: Effect.Effect<void, InvariantViolation> = Effect.void

// -----------------------------------------------------------------------------
// the checkers
// -----------------------------------------------------------------------------

/**
 * Non-reentrancy (guarantee 4): the runs of a work never overlap. A work
 * never starts while a previous run of it (on any worker, any CPU) has not
 * finished.
 *
 * Offender: the `start` event of the overlapping run.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { Invariants } from "@cmwq/testing"
 *
 * const trace = [
 *   { t: 0, cpu: 0, worker: 1, work: "w0", event: "start" as const },
 *   { t: 1, cpu: 1, worker: 2, work: "w0", event: "start" as const }
 * ]
 * const exit = Effect.runSyncExit(Invariants.nonReentrancy({ trace }))
 * // exit fails with InvariantViolation { invariant: "nonReentrancy", event: trace[1] }
 * ```
 *
 * @since 0.1.0
 * @category testing
 */
export const nonReentrancy = (input: Pick<Detailed, "trace">): Effect.Effect<void, InvariantViolation> =>
  Effect.suspend(() => {
    const running = new Map<string, Event>() // work -> the start of its unfinished run
    for (const e of input.trace) {
      if (e.event === "start") {
        const previous = running.get(e.work)
        if (previous !== undefined) {
          return fail(
            "nonReentrancy",
            e,
            `${e.work} starts at ${e.t} on worker ${e.worker} (cpu ${e.cpu}) while its run started at ${previous.t} ` +
              `on worker ${previous.worker} (cpu ${previous.cpu}) has not finished`
          )
        }
        running.set(e.work, e)
      } else if (e.event === "finish") {
        running.delete(e.work)
      }
    }
    return ok
  })

/**
 * Ordered workqueues (guarantee 8): for every workqueue with the
 * `ORDERED` flag, items start in exactly the order they were queued, and
 * never two at once (each one starts after the previous one finished).
 *
 * Offender: the `start` event that comes out of order or overlaps.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { Invariants, Simulation } from "@cmwq/testing"
 *
 * const program = Effect.gen(function*() {
 *   const detailed = yield* Simulation.runDetailed({
 *     cpus: 2,
 *     workqueues: [{ name: "log", flags: ["ORDERED"] }],
 *     works: ["a", "b", "c"].map((name, i) => ({ name, workqueue: "log", cpu: i % 2, steps: [{ sleep: 3 }] }))
 *   })
 *   yield* Invariants.orderedOrder(detailed) // started one at a time, in queue order
 * })
 * ```
 *
 * @since 0.1.0
 * @category testing
 */
export const orderedOrder = (input: Pick<Detailed, "trace" | "scenario">): Effect.Effect<void, InvariantViolation> =>
  Effect.suspend(() => {
    const info = workqueueInfo(input.scenario)
    const wqOf = workqueueOfWork(input.scenario)
    const queued = new Map<string, Array<string>>() // ordered wq -> works in queue order
    const started = new Map<string, number>() // ordered wq -> how many have started
    const running = new Map<string, Event>() // ordered wq -> the start of its running item
    for (const e of input.trace) {
      const wq = wqOf.get(e.work)
      if (wq === undefined || info.get(wq)?.ordered !== true) continue
      if (e.event === "queue") {
        const list = queued.get(wq) ?? []
        list.push(e.work)
        queued.set(wq, list)
      } else if (e.event === "start") {
        const k = started.get(wq) ?? 0
        const expected = (queued.get(wq) ?? [])[k]
        if (expected !== e.work) {
          return fail(
            "orderedOrder",
            e,
            expected === undefined
              ? `${e.work} starts at ${e.t} on ordered workqueue ${wq}, but it is not the next queued item ` +
                `(${k} item(s) of ${wq} have started and no other is queued)`
              : `${e.work} starts ${ordinal(k + 1)} at ${e.t} on ordered workqueue ${wq}, but ${expected} was ` +
                `queued ${ordinal(k + 1)}`
          )
        }
        const busy = running.get(wq)
        if (busy !== undefined) {
          return fail(
            "orderedOrder",
            e,
            `${e.work} starts at ${e.t} on ordered workqueue ${wq} while ${busy.work} (started at ${busy.t}) ` +
              `has not finished`
          )
        }
        started.set(wq, k + 1)
        running.set(wq, e)
      } else if (e.event === "finish" && running.get(wq)?.work === e.work) {
        running.delete(wq)
      }
    }
    return ok
  })

/**
 * maxActive (guarantees 6, 7): the items of a workqueue running at once
 * never exceed its maxActive, counted per pool (per CPU) for a per-cpu
 * workqueue, and across the whole workqueue for `UNBOUND` and `ORDERED` ones
 * (ordered: 1). maxActive 0 means 1024.
 *
 * From the trace, an item runs from its `start` to its `finish`. When
 * quiescent records are given, the engine's own count is checked too: a
 * link's `active` (items on the worklist, assigned or running) never exceeds
 * the limit (summed over links for unbound workqueues).
 *
 * Offender: the `start` event that goes over the limit, or the quiescent
 * record where a count is over it.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { Invariants, Simulation } from "@cmwq/testing"
 *
 * const program = Effect.gen(function*() {
 *   const detailed = yield* Simulation.runDetailed({
 *     cpus: 1,
 *     workqueues: [{ name: "q0", maxActive: 2 }],
 *     works: ["w0", "w1", "w2"].map((name) => ({ name, workqueue: "q0", steps: [{ sleep: 5 }] }))
 *   })
 *   yield* Invariants.maxActive(detailed) // never more than 2 of q0's items at once
 * })
 * ```
 *
 * @since 0.1.0
 * @category testing
 */
export const maxActive = (
  input: Pick<Detailed, "trace" | "scenario"> & { readonly quiescent?: Detailed["quiescent"] | undefined }
): Effect.Effect<void, InvariantViolation> =>
  Effect.suspend(() => {
    const info = workqueueInfo(input.scenario)
    const wqOf = workqueueOfWork(input.scenario)
    const running = new Map<string, Set<string>>() // wq or wq@cpu -> works running
    const keyOf = (wq: WorkqueueInfo, e: Event) => (wq.unbound ? wq.name : `${wq.name}@${e.cpu}`)
    for (const e of input.trace) {
      const wqName = wqOf.get(e.work)
      const wq = wqName === undefined ? undefined : info.get(wqName)
      if (wq === undefined || (e.event !== "start" && e.event !== "finish")) continue
      const key = keyOf(wq, e)
      const set = running.get(key) ?? new Set<string>()
      running.set(key, set)
      if (e.event === "finish") {
        set.delete(e.work)
        continue
      }
      set.add(e.work)
      if (set.size > wq.limit) {
        const scope = wq.unbound ? `workqueue ${wq.name}` : `workqueue ${wq.name} on cpu ${e.cpu}`
        return fail(
          "maxActive",
          e,
          `${e.work} starts at ${e.t}: ${set.size} items of ${scope} run at once (${[...set].join(", ")}), ` +
            `above its maxActive ${wq.limit}`
        )
      }
    }
    for (const q of input.quiescent ?? []) {
      for (const { name, state } of q.workqueues) {
        const wq = info.get(name)
        if (wq === undefined) continue
        if (wq.unbound) {
          const active = state.links.reduce((n, l) => n + l.active, 0)
          if (active > wq.limit) {
            return fail(
              "maxActive",
              q,
              `at ${q.t} workqueue ${name} has ${active} active items, above its maxActive ${wq.limit}`
            )
          }
        } else {
          for (const link of state.links) {
            if (link.active > wq.limit) {
              return fail(
                "maxActive",
                q,
                `at ${q.t} workqueue ${name} has ${link.active} active items on pool ${link.pool}, ` +
                  `above its maxActive ${wq.limit}`
              )
            }
          }
        }
      }
    }
    return ok
  })

/**
 * Forward progress and conservation (guarantee 2): every work of the
 * scenario is queued, starts after it was queued, and finishes; and none runs
 * more often than it was queued.
 *
 * Offender: the earliest of: the `start` that has no `finish`, the `queue`
 * that has no `start` after it, an extra `start`, or (never queued) the
 * work's spec.
 *
 * A run that never completes does not produce a `Detailed` at all: the
 * simulation fails with `VirtualTime.Deadlock` or `StepLimit` instead, which
 * `Arbitraries.property` reports as a failure too.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { Invariants, Simulation } from "@cmwq/testing"
 *
 * const program = Effect.flatMap(
 *   Simulation.runDetailed({
 *     cpus: 1,
 *     workqueues: [{ name: "reclaim", flags: ["MEM_RECLAIM"] }],
 *     works: [{ name: "w0", workqueue: "reclaim", steps: [{ burn: 1 }] }]
 *   }),
 *   Invariants.forwardProgress
 * )
 * ```
 *
 * @since 0.1.0
 * @category testing
 */
export const forwardProgress = (
  input: Pick<Detailed, "trace" | "scenario">
): Effect.Effect<void, InvariantViolation> =>
  Effect.suspend(() => {
    let worst: { readonly t: number; readonly event: Offender; readonly message: string } | null = null
    const note = (t: number, event: Offender, message: string) => {
      if (worst === null || t < worst.t) worst = { t, event, message }
    }
    const byWork = new Map<string, Array<Event>>()
    for (const e of input.trace) {
      const list = byWork.get(e.work) ?? []
      list.push(e)
      byWork.set(e.work, list)
    }
    for (const spec of input.scenario.works) {
      let queues = 0
      let starts = 0
      let lastQueue: Event | null = null
      let openStart: Event | null = null
      let problem = false
      for (const e of byWork.get(spec.name) ?? []) {
        if (e.event === "queue") {
          queues++
          lastQueue = e
        } else if (e.event === "start") {
          starts++
          if (starts > queues) {
            note(e.t, e, `${spec.name} starts at ${e.t} but was queued only ${queues} time(s) before`)
            problem = true
            break
          }
          openStart = e
        } else if (e.event === "finish") {
          openStart = null
        }
      }
      if (problem) continue
      if (queues === 0) {
        const at = spec.at ?? 0
        note(at, spec, `${spec.name} was never queued (it should have been at ${at})`)
      } else if (openStart !== null) {
        note(
          openStart.t,
          openStart,
          `${spec.name} started at ${openStart.t} on worker ${openStart.worker} and never finished`
        )
      } else if (starts < queues && lastQueue !== null) {
        note(lastQueue.t, lastQueue, `${spec.name} was queued at ${lastQueue.t} and never started`)
      }
    }
    const found = worst as { readonly event: Offender; readonly message: string } | null
    return found === null ? ok : fail("forwardProgress", found.event, found.message)
  })

/**
 * Work conservation (guarantee 26, and the kernel's wake-up rule): at every quiescent point
 * (nothing can happen until virtual time advances), no work waits that could
 * run:
 * - a bound, concurrency-managed pool with items on its worklist has a
 *   worker counted as running (one burning on, or queued for, its CPU): the
 *   kernel's "worklist not empty and nr_running == 0 wakes a worker";
 * - an unbound pool has nothing on its worklist (its workers are never
 *   counted as running, so any pending item must have been taken);
 * - a workqueue holds items back (`inactive > 0`) only while its active
 *   items are at maxActive (per link for per-cpu workqueues, summed over
 *   links for unbound and ordered ones).
 *
 * Not "no pool has pending items": a pool whose one worker burns the CPU
 * keeps the others pending on purpose (that is concurrency management), and
 * the CPU is busy.
 *
 * Offender: the first quiescent record where it fails (the message names the
 * pool or workqueue).
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { Invariants, Simulation } from "@cmwq/testing"
 *
 * const program = Effect.flatMap(
 *   Simulation.runDetailed({
 *     cpus: 1,
 *     workqueues: [{ name: "q0" }],
 *     works: ["w0", "w1"].map((name) => ({ name, workqueue: "q0", steps: [{ sleep: 5 }, { burn: 1 }] }))
 *   }),
 *   Invariants.workConservation // at quiescence, no pool sits idle with runnable work
 * )
 * ```
 *
 * @since 0.1.0
 * @category testing
 */
export const workConservation = (
  input: Pick<Detailed, "quiescent" | "scenario">
): Effect.Effect<void, InvariantViolation> =>
  Effect.suspend(() => {
    const info = workqueueInfo(input.scenario)
    for (const q of input.quiescent) {
      for (const pool of q.pools) {
        if (pool.pending === 0 || pool.bh) continue
        if (pool.cpu < 0) {
          return fail(
            "workConservation",
            q,
            `at ${q.t} unbound pool ${pool.name} has ${pool.pending} pending item(s) that no worker took ` +
              `(${pool.workers} workers, ${pool.idle} idle)`
          )
        }
        if (pool.running === 0) {
          return fail(
            "workConservation",
            q,
            `at ${q.t} pool ${pool.name} has ${pool.pending} pending item(s) and no running worker ` +
              `(${pool.workers} workers, ${pool.idle} idle, cpu ${pool.cpu} ${q.cpuBusy[pool.cpu] ? "busy" : "idle"})`
          )
        }
      }
      for (const { name, state } of q.workqueues) {
        const wq = info.get(name)
        if (wq === undefined || wq.bh) continue
        if (wq.unbound) {
          const inactive = state.links.reduce((n, l) => n + l.inactive, 0)
          const active = state.links.reduce((n, l) => n + l.active, 0)
          if (inactive > 0 && active < wq.limit) {
            return fail(
              "workConservation",
              q,
              `at ${q.t} workqueue ${name} holds back ${inactive} item(s) with only ${active} active ` +
                `(maxActive ${wq.limit})`
            )
          }
        } else {
          for (const link of state.links) {
            if (link.inactive > 0 && link.active < wq.limit) {
              return fail(
                "workConservation",
                q,
                `at ${q.t} workqueue ${name} holds back ${link.inactive} item(s) on pool ${link.pool} with only ` +
                  `${link.active} active (maxActive ${wq.limit})`
              )
            }
          }
        }
      }
    }
    return ok
  })

/**
 * Minimal concurrency (guarantees 25, 27): a bound pool starts a new
 * item only when no other worker of the pool is counted as running. The
 * kernel starts a new item in two ways, both under the pool lock:
 * - a woken worker, which runs only if `nr_running == 0` (then counts itself:
 *   1);
 * - a worker that just finished an item, while `nr_running <= 1` (itself).
 *
 * So at every pickup the pool's running count is exactly the picking worker
 * itself: 1, or 0 when the item's workqueue is `CPU_INTENSIVE` (such a worker
 * leaves the count as it takes the item). A count above that means the pool
 * started a second concurrent item while one of its workers could run.
 * `continued` in the message tells which path did it (`keepWorking` or
 * `needMoreWorker`).
 *
 * Unbound and BH pools are not concurrency managed and are skipped.
 *
 * Offender: the first start record with another worker running.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { Invariants, Simulation } from "@cmwq/testing"
 *
 * const program = Effect.flatMap(
 *   Simulation.runDetailed({
 *     cpus: 1,
 *     workqueues: [{ name: "q0", maxActive: 4 }],
 *     works: ["w0", "w1", "w2"].map((name) => ({ name, workqueue: "q0", steps: [{ burn: 5 }] }))
 *   }),
 *   Invariants.minimalConcurrency // a second item starts only while the running one sleeps
 * )
 * ```
 *
 * @since 0.1.0
 * @category testing
 */
export const minimalConcurrency = (
  input: Pick<Detailed, "starts" | "scenario">
): Effect.Effect<void, InvariantViolation> =>
  Effect.suspend(() => {
    const info = workqueueInfo(input.scenario)
    for (const s of input.starts) {
      const wq = info.get(s.workqueue)
      if (s.cpu < 0 || wq === undefined || wq.bh) continue
      const self = wq.cpuIntensive ? 0 : 1
      const others = s.running - self
      if (others > 0) {
        const how = s.continued
          ? "it took the item after finishing one (keep_working allows that only while nr_running <= 1)"
          : "it was woken for it (need_more_worker allows that only while nr_running == 0)"
        return fail(
          "minimalConcurrency",
          s,
          `${s.work} starts at ${s.t} on worker ${s.worker} of the cpu ${s.cpu} pool ${s.pool} while ${others} ` +
            `other worker(s) of the pool are running: ${how}`
        )
      }
    }
    return ok
  })

/**
 * The pending bit: a queue attempt succeeds exactly when the
 * work was not pending. Every `queue` event that records `pending` must have
 * seen it clear, and every `reject` event (an attempt that returned false)
 * must have seen it set; a `reject` must record `pending`.
 *
 * Offender: the first queue attempt whose result disagrees with the bit.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { Invariants } from "@cmwq/testing"
 *
 * const trace = [
 *   { t: 0, cpu: 0, worker: -1, work: "w0", event: "queue" as const, pending: false },
 *   { t: 0, cpu: 0, worker: -1, work: "w0", event: "queue" as const, pending: true }
 * ]
 * const exit = Effect.runSyncExit(Invariants.pendingBit({ trace }))
 * // exit fails with InvariantViolation { invariant: "pendingBit", event: trace[1] }
 * ```
 *
 * @since 0.1.0
 * @category testing
 */
export const pendingBit = (input: Pick<Detailed, "trace">): Effect.Effect<void, InvariantViolation> =>
  Effect.suspend(() => {
    for (const e of input.trace) {
      if (e.event === "queue" && e.pending === true) {
        return fail("pendingBit", e, `${e.work} was queued at ${e.t} although it was already pending`)
      }
      if (e.event === "reject" && e.pending !== false && e.pending !== true) {
        return fail(
          "pendingBit",
          e,
          `a queue attempt of ${e.work} at ${e.t} was refused without a recorded pending bit`
        )
      }
      if (e.event === "reject" && !e.pending) {
        return fail("pendingBit", e, `a queue attempt of ${e.work} at ${e.t} was refused although it was not pending`)
      }
    }
    return ok
  })

/**
 * No loss, no duplicate: every successful queue runs the
 * work exactly once. Per work, in trace order, a `start` never outnumbers
 * the `queue`s before it and a `finish` never outnumbers the `start`s; at the
 * end of the trace the three counts are equal. Unlike `forwardProgress`, it
 * needs no scenario, and a work that was never queued (nor run) is fine.
 *
 * Offender: the extra `start` or `finish`, else the first `queue` that never
 * ran or the `start` that never finished.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { Invariants } from "@cmwq/testing"
 *
 * const trace = [
 *   { t: 0, cpu: 0, worker: -1, work: "w0", event: "queue" as const },
 *   { t: 1, cpu: 0, worker: 1, work: "w0", event: "start" as const },
 *   { t: 2, cpu: 0, worker: 1, work: "w0", event: "finish" as const },
 *   { t: 3, cpu: 0, worker: 1, work: "w0", event: "start" as const }
 * ]
 * const exit = Effect.runSyncExit(Invariants.exactlyOnce({ trace }))
 * // exit fails: w0 starts a second time after one queue
 * ```
 *
 * @since 0.1.0
 * @category testing
 */
export const exactlyOnce = (input: Pick<Detailed, "trace">): Effect.Effect<void, InvariantViolation> =>
  Effect.suspend(() => {
    const count = new Map<string, { queues: Array<Event>; starts: Array<Event>; finishes: number }>()
    for (const e of input.trace) {
      if (e.event !== "queue" && e.event !== "start" && e.event !== "finish") continue
      const c = count.get(e.work) ?? { queues: [], starts: [], finishes: 0 }
      count.set(e.work, c)
      if (e.event === "queue") c.queues.push(e)
      else if (e.event === "start") {
        c.starts.push(e)
        if (c.starts.length > c.queues.length) {
          return fail(
            "exactlyOnce",
            e,
            `${e.work} starts at ${e.t} for the ${ordinal(c.starts.length)} time but was queued only ` +
              `${c.queues.length} time(s) before`
          )
        }
      } else {
        c.finishes++
        if (c.finishes > c.starts.length) {
          return fail(
            "exactlyOnce",
            e,
            `${e.work} finishes at ${e.t} for the ${ordinal(c.finishes)} time but started only ` +
              `${c.starts.length} time(s)`
          )
        }
      }
    }
    let worst: { readonly e: Event; readonly message: string } | null = null
    for (const [work, c] of count) {
      const unstarted = c.queues[c.starts.length]
      const unfinished = c.starts[c.finishes]
      const found = unstarted !== undefined
        ? { e: unstarted, message: `${work} was queued at ${unstarted.t} and never ran` }
        : unfinished !== undefined
        ? {
          e: unfinished,
          message: `${work} started at ${unfinished.t} on worker ${unfinished.worker} and never finished`
        }
        : null
      if (found !== null && (worst === null || input.trace.indexOf(found.e) < input.trace.indexOf(worst.e))) {
        worst = found
      }
    }
    return worst === null ? ok : fail("exactlyOnce", worst.e, worst.message)
  })

const poolKey = (e: Event): string => (e.pool !== undefined ? `pool ${e.pool}` : `the cpu ${e.cpu} pool`)

/**
 * Queued while it runs: a work queued again while it runs
 * runs next in the pool that runs it, after the current run: its next
 * `start` exists and is in the same pool (`pool` of the `start` events;
 * without it, the CPU).
 *
 * Offender: the `queue` event whose next run is missing or elsewhere.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { Invariants } from "@cmwq/testing"
 *
 * const trace = [
 *   { t: 0, cpu: 0, worker: 1, work: "w0", event: "start" as const, pool: 0 },
 *   { t: 1, cpu: -1, worker: -1, work: "w0", event: "queue" as const, from: "w0" },
 *   { t: 2, cpu: 0, worker: 1, work: "w0", event: "finish" as const },
 *   { t: 2, cpu: 1, worker: 2, work: "w0", event: "start" as const, pool: 2 }
 * ]
 * const exit = Effect.runSyncExit(Invariants.requeueSamePool({ trace }))
 * // exit fails: w0 was queued while running in pool 0 and ran next in pool 2
 * ```
 *
 * @since 0.1.0
 * @category testing
 */
export const requeueSamePool = (input: Pick<Detailed, "trace">): Effect.Effect<void, InvariantViolation> =>
  Effect.suspend(() => {
    const running = new Map<string, Event>() // work -> the start of its current run
    const trace = input.trace
    for (let i = 0; i < trace.length; i++) {
      const e = trace[i]!
      if (e.event === "start") running.set(e.work, e)
      else if (e.event === "finish") running.delete(e.work)
      else if (e.event === "queue") {
        const current = running.get(e.work)
        if (current === undefined) continue
        const next = trace.slice(i + 1).find((s) => s.event === "start" && s.work === e.work)
        if (next === undefined) {
          return fail("requeueSamePool", e, `${e.work} was queued at ${e.t} while it ran and never ran again`)
        }
        if (poolKey(next) !== poolKey(current)) {
          return fail(
            "requeueSamePool",
            e,
            `${e.work} was queued at ${e.t} while it ran in ${poolKey(current)}, and ran next in ${poolKey(next)} ` +
              `at ${next.t}`
          )
        }
      }
    }
    return ok
  })

/**
 * One run at a time per pool (guarantees 25, 27, for workloads whose items never
 * block): in a bound, concurrency-managed pool whose items only burn the
 * CPU, no two runs overlap. Pools are told apart by the `pool` of the
 * `start` events (without it, the CPU). Check only traces where that
 * precondition holds: an item that sleeps lets the pool start another.
 *
 * Offender: the `start` of the second concurrent run.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { Invariants } from "@cmwq/testing"
 *
 * const trace = [
 *   { t: 0, cpu: 0, worker: 1, work: "w0", event: "start" as const, pool: 0 },
 *   { t: 0, cpu: 0, worker: 2, work: "w1", event: "start" as const, pool: 0 }
 * ]
 * const exit = Effect.runSyncExit(Invariants.oneRunPerPool({ trace }))
 * // exit fails: w1 starts in pool 0 while w0 runs there
 * ```
 *
 * @since 0.1.0
 * @category testing
 */
export const oneRunPerPool = (input: Pick<Detailed, "trace">): Effect.Effect<void, InvariantViolation> =>
  Effect.suspend(() => {
    const poolOf = new Map<string, string>() // running work -> its pool
    const busy = new Map<string, Array<Event>>() // pool -> the starts of its unfinished runs
    for (const e of input.trace) {
      if (e.event === "start") {
        const key = poolKey(e)
        const runs = busy.get(key) ?? []
        busy.set(key, runs)
        runs.push(e)
        poolOf.set(e.work, key)
        if (runs.length > 1) {
          return fail(
            "oneRunPerPool",
            e,
            `${e.work} starts at ${e.t} in ${key} while ${runs.slice(0, -1).map((r) => r.work).join(", ")} ` +
              `run there`
          )
        }
      } else if (e.event === "finish") {
        const key = poolOf.get(e.work)
        const runs = key === undefined ? undefined : busy.get(key)
        const at = runs?.findIndex((r) => r.work === e.work) ?? -1
        if (runs !== undefined && at >= 0) runs.splice(at, 1)
      }
    }
    return ok
  })

/**
 * One worker per pool (guarantees 25, 27, for CPU-bound items queued together):
 * when items that never block are all queued before any runs, each pool
 * runs them one after another on a single worker: every `start` in a pool
 * (its `pool`, or the CPU) is by the same worker.
 *
 * Offender: the first `start` by a second worker of a pool.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { Invariants } from "@cmwq/testing"
 *
 * const trace = [
 *   { t: 0, cpu: 0, worker: 1, work: "w0", event: "start" as const, pool: 0 },
 *   { t: 0, cpu: 0, worker: 1, work: "w0", event: "finish" as const },
 *   { t: 0, cpu: 0, worker: 2, work: "w1", event: "start" as const, pool: 0 }
 * ]
 * const exit = Effect.runSyncExit(Invariants.oneWorkerPerPool({ trace }))
 * // exit fails: pool 0 used a second worker
 * ```
 *
 * @since 0.1.0
 * @category testing
 */
export const oneWorkerPerPool = (input: Pick<Detailed, "trace">): Effect.Effect<void, InvariantViolation> =>
  Effect.suspend(() => {
    const first = new Map<string, Event>() // pool -> its first start
    for (const e of input.trace) {
      if (e.event !== "start") continue
      const key = poolKey(e)
      const seen = first.get(key)
      if (seen === undefined) first.set(key, e)
      else if (seen.worker !== e.worker) {
        return fail(
          "oneWorkerPerPool",
          e,
          `${e.work} starts at ${e.t} on worker ${e.worker} of ${key}, a second worker (${seen.work} ran on worker ` +
            `${seen.worker})`
        )
      }
    }
    return ok
  })

/**
 * Strict work conservation (guarantee 26, for runs without simulated CPUs):
 * when nothing holds a CPU across a quiescent point, nothing may wait at it.
 * At every quiescent record no pool has a pending item, and no workqueue
 * holds an item back (`inactive > 0`) while its active items are below its
 * maxActive, by the scenario's limit and by the engine's own
 * `state.maxActive` (per link for per-cpu workqueues, summed over links for
 * unbound and ordered ones). Stronger than `workConservation`, which lets a
 * pool keep items pending while one of its workers burns a simulated CPU:
 * use it for runners that drive the pools without `Simulation`'s CPUs.
 *
 * Offender: the first quiescent record where something waits.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { Invariants, Simulation } from "@cmwq/testing"
 *
 * // Simulation burns simulated CPUs, so use a scenario without burns here
 * const program = Simulation.runDetailed({
 *   cpus: 1,
 *   workqueues: [{ name: "q0", maxActive: 2 }],
 *   works: ["w0", "w1", "w2"].map((name) => ({ name, workqueue: "q0", steps: [{ sleep: 10 }] }))
 * }).pipe(Effect.flatMap(Invariants.strictWorkConservation))
 * ```
 *
 * @since 0.1.0
 * @category testing
 */
export const strictWorkConservation = (
  input: Pick<Detailed, "quiescent" | "scenario">
): Effect.Effect<void, InvariantViolation> =>
  Effect.suspend(() => {
    const info = workqueueInfo(input.scenario)
    for (const q of input.quiescent) {
      for (const pool of q.pools) {
        if (pool.pending > 0) {
          return fail(
            "strictWorkConservation",
            q,
            `at ${q.t} pool ${pool.name} has ${pool.pending} pending item(s) ` +
              `(${pool.workers} workers, ${pool.idle} idle, ${pool.running} running)`
          )
        }
      }
      for (const { name, state } of q.workqueues) {
        const wq = info.get(name)
        const limit = wq === undefined || wq.bh ? state.maxActive : Math.max(wq.limit, state.maxActive)
        const unbound = wq?.unbound ?? false
        const total = state.links.reduce((n, l) => n + l.active, 0)
        for (const link of state.links) {
          if (link.inactive === 0) continue
          const active = unbound ? total : link.active
          if (active < limit) {
            return fail(
              "strictWorkConservation",
              q,
              `at ${q.t} workqueue ${name} holds back ${link.inactive} item(s) on pool ${link.pool} with only ` +
                `${active} active (maxActive ${limit})`
            )
          }
        }
      }
    }
    return ok
  })

/**
 * Flush colors never go negative (guarantee 9): at every quiescent record,
 * every in-flight counter of every link of every workqueue is at least zero.
 *
 * Offender: the first quiescent record with a negative counter.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { Invariants, Simulation } from "@cmwq/testing"
 *
 * const program = Simulation.runDetailed({
 *   cpus: 1,
 *   workqueues: [{ name: "q0" }],
 *   works: [{ name: "w0", workqueue: "q0", steps: [{ sleep: 1 }] }]
 * }).pipe(Effect.flatMap(Invariants.flushColors))
 * ```
 *
 * @since 0.1.0
 * @category testing
 */
export const flushColors = (input: Pick<Detailed, "quiescent">): Effect.Effect<void, InvariantViolation> =>
  Effect.suspend(() => {
    for (const q of input.quiescent) {
      for (const { name, state } of q.workqueues) {
        for (const link of state.links) {
          if (link.inFlight.some((n) => n < 0)) {
            return fail(
              "flushColors",
              q,
              `at ${q.t} workqueue ${name} has a negative in-flight count on pool ${link.pool}: ` +
                `[${link.inFlight.join(", ")}]`
            )
          }
        }
      }
    }
    return ok
  })

/**
 * High priority first (the `HIGHPRI` pools): once a work of a `HIGHPRI`
 * workqueue is queued on a CPU, at most one more item of a normal workqueue
 * starts on that CPU before it (the one a worker of the normal pool may
 * already be taking), and it does start. The CPU of a `queue` event is the
 * CPU it was queued on; of a `start`, the worker's.
 *
 * Offender: the `queue` event of the high-priority work that was overtaken
 * twice or never started.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { Invariants } from "@cmwq/testing"
 *
 * const scenario = {
 *   cpus: 1,
 *   workqueues: [{ name: "normal" }, { name: "urgent", flags: ["HIGHPRI" as const] }],
 *   works: [
 *     { name: "n0", workqueue: "normal", steps: [] },
 *     { name: "n1", workqueue: "normal", steps: [] },
 *     { name: "h0", workqueue: "urgent", steps: [] }
 *   ]
 * }
 * const trace = [
 *   { t: 0, cpu: 0, worker: -1, work: "h0", event: "queue" as const },
 *   { t: 0, cpu: 0, worker: 1, work: "n0", event: "start" as const },
 *   { t: 0, cpu: 0, worker: 1, work: "n1", event: "start" as const },
 *   { t: 0, cpu: 0, worker: 2, work: "h0", event: "start" as const }
 * ]
 * const exit = Effect.runSyncExit(Invariants.highpriFirst({ trace, scenario }))
 * // exit fails: two normal items started on cpu 0 after h0 was queued
 * ```
 *
 * @since 0.1.0
 * @category testing
 */
export const highpriFirst = (input: Pick<Detailed, "trace" | "scenario">): Effect.Effect<void, InvariantViolation> =>
  Effect.suspend(() => {
    const highpri = new Set(
      input.scenario.workqueues.filter((wq) => (wq.flags ?? []).includes("HIGHPRI")).map((wq) => wq.name)
    )
    const wqOf = workqueueOfWork(input.scenario)
    const isHigh = (e: Event) => highpri.has(wqOf.get(e.work) ?? "")
    const trace = input.trace
    for (let i = 0; i < trace.length; i++) {
      const q = trace[i]!
      if (q.event !== "queue" || !isHigh(q)) continue
      let overtaken = 0
      let started = false
      for (let j = i + 1; j < trace.length; j++) {
        const e = trace[j]!
        if (e.event !== "start") continue
        if (e.work === q.work) {
          started = true
          break
        }
        if (e.cpu === q.cpu && wqOf.has(e.work) && !isHigh(e)) overtaken++
      }
      if (!started) return fail("highpriFirst", q, `${q.work} was queued at ${q.t} on cpu ${q.cpu} and never started`)
      if (overtaken > 1) {
        return fail(
          "highpriFirst",
          q,
          `${q.work} was queued at ${q.t} on cpu ${q.cpu}, and ${overtaken} normal items started there before it`
        )
      }
    }
    return ok
  })

// -----------------------------------------------------------------------------
// groups
// -----------------------------------------------------------------------------

/**
 * Run checkers one after another; fail with the first violation.
 *
 * @example
 * ```ts
 * import { Invariants } from "@cmwq/testing"
 *
 * const ordering = Invariants.every(Invariants.nonReentrancy, Invariants.orderedOrder, Invariants.pendingBit)
 * ```
 *
 * @since 0.1.0
 * @category combinators
 */
export const every = (...checkers: ReadonlyArray<Checker>): Checker => (detailed) =>
  Effect.forEach(checkers, (check) => check(detailed), { discard: true })

/**
 * The guarantees every policy must keep, the pre-cmwq `Policy.legacy`
 * included: `nonReentrancy`, `orderedOrder`, `maxActive` (with the quiescent
 * counts), `forwardProgress`.
 *
 * @example
 * ```ts
 * import { Policy } from "@cmwq/core"
 * import { Arbitraries, Invariants } from "@cmwq/testing"
 *
 * // what any policy must keep, concurrency management or not
 * Arbitraries.assert(Arbitraries.scenario(), Invariants.safety, { policy: Policy.legacy, seed: 1, numRuns: 50 })
 * ```
 *
 * @since 0.1.0
 * @category testing
 */
export const safety: Checker = every(nonReentrancy, orderedOrder, maxActive, forwardProgress)

/**
 * What concurrency management adds: `workConservation` and
 * `minimalConcurrency`. `Policy.legacy` fails it by design (a dedicated
 * worker runs its items one after another, leaving the CPU idle while one
 * sleeps).
 *
 * @example
 * ```ts
 * import { Policy } from "@cmwq/core"
 * import { Arbitraries, Invariants } from "@cmwq/testing"
 *
 * Arbitraries.assert(Arbitraries.scenario({ cpus: 1 }), Invariants.concurrencyManagement, {
 *   policy: Policy.kernel,
 *   seed: 7,
 *   numRuns: 100
 * })
 * ```
 *
 * @since 0.1.0
 * @category testing
 */
export const concurrencyManagement: Checker = every(workConservation, minimalConcurrency)

/**
 * Every checker: `safety`, then `concurrencyManagement`.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { Invariants, Simulation } from "@cmwq/testing"
 *
 * const program = Simulation.runDetailed({
 *   cpus: 1,
 *   workqueues: [{ name: "q0", maxActive: 2 }],
 *   works: ["w0", "w1", "w2"].map((name) => ({ name, workqueue: "q0", steps: [{ burn: 5 }, { sleep: 10 }] }))
 * }).pipe(Effect.flatMap(Invariants.all))
 *
 * Effect.runSync(program) // succeeds: the kernel policy keeps every invariant
 * ```
 *
 * @since 0.1.0
 * @category testing
 */
export const all: Checker = every(safety, concurrencyManagement)

/**
 * The checkers by name (for reports and for picking a subset).
 *
 * @example
 * ```ts
 * import { Arbitraries, Invariants } from "@cmwq/testing"
 *
 * // one property per invariant, so a failure names it
 * for (const [name, checker] of Object.entries(Invariants.checkers)) {
 *   const details = Arbitraries.check(Arbitraries.scenario(), checker, { seed: 1, numRuns: 20 })
 *   if (details.failed) console.log(`${name} failed`)
 * }
 * ```
 *
 * @since 0.1.0
 * @category testing
 */
export const checkers: {
  readonly nonReentrancy: Checker
  readonly orderedOrder: Checker
  readonly maxActive: Checker
  readonly forwardProgress: Checker
  readonly workConservation: Checker
  readonly minimalConcurrency: Checker
} = { nonReentrancy, orderedOrder, maxActive, forwardProgress, workConservation, minimalConcurrency }

/**
 * What a scenario's operations and `flush` steps promise (`Detailed.operations`
 * with the trace, in their common order):
 *
 * - a flush returns only after every item of its workqueue queued before it
 *   was called has finished or was cancelled (kernel `__flush_workqueue`);
 * - a `FlushDeadlock` is real: the flushed workqueue holds, among the items
 *   queued before the call and not yet done, the caller itself or an item
 *   that waits (transitively) for it. An item waits for what its own flush
 *   still has to wait for (a flush whose items are all done waits for
 *   nothing, even before its caller resumes); an item not started yet is
 *   counted as waiting for every running item (an over-approximation, so
 *   that only a deadlock that cannot be real is reported);
 * - a `cancel` that took a pending instance keeps the item from starting;
 * - every queued item that was not cancelled finishes.
 *
 * Scenarios without operations or `flush` steps pass trivially (except the
 * last point).
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { Invariants, Simulation } from "@cmwq/testing"
 *
 * const program = Effect.gen(function*() {
 *   const detailed = yield* Simulation.runDetailed({
 *     cpus: 1,
 *     workqueues: [{ name: "q0", flags: ["UNBOUND"] }],
 *     works: [{ name: "w0", workqueue: "q0", at: 1, steps: [{ sleep: 100 }] }],
 *     operations: [{ do: "flush", workqueue: "q0" }, { do: "applyAttrs", workqueue: "q0", affinityScope: "system" }, {
 *       do: "flush",
 *       workqueue: "q0",
 *       at: 1
 *     }]
 *   })
 *   yield* Invariants.operations(detailed)
 * })
 * ```
 *
 * @since 0.1.0
 * @category testing
 */
export const operations: Checker = (detailed) =>
  Effect.suspend(() => {
    const ops = detailed.operations ?? []
    const trace = detailed.trace
    // one order for trace events and records: a record with seq s comes after
    // trace event s - 1 and before trace event s (records in their own order)
    const traceKey = (i: number) => 2 * i + 1
    const recordKey = (i: number) => 2 * ops[i]!.seq + (i + 1) / (ops.length + 2)
    const first = (kind: Event["event"]) => {
      const at = new Map<string, number>()
      trace.forEach((e, i) => {
        if (e.event === kind && !at.has(e.work)) at.set(e.work, traceKey(i))
      })
      return at
    }
    const queued = first("queue")
    const started = first("start")
    const finished = first("finish")
    const cancelled = new Map<string, number>()
    ops.forEach((op, i) => {
      if (op.kind === "cancel" && op.result === true && !cancelled.has(op.work!)) cancelled.set(op.work!, recordKey(i))
    })
    const wqOf = new Map(detailed.scenario.works.map((w) => [w.name, w.workqueue]))
    const never = Number.POSITIVE_INFINITY
    const done = (w: string, key: number) => (finished.get(w) ?? never) < key || (cancelled.get(w) ?? never) < key
    // the items of `wq` queued before `from` and not done at `now`
    const owed = (wq: string, from: number, now: number) =>
      [...queued].filter(([w, q]) => wqOf.get(w) === wq && q < from && !done(w, now)).map(([w]) => w)
    const callOf = new Map<number, number>() // flush id -> index of its "flush" record
    const endOf = new Map<number, number>() // flush id -> key of its end
    ops.forEach((op, i) => {
      if (op.kind === "flush") callOf.set(op.id!, i)
      else if (op.kind === "flushed" || op.kind === "flushDeadlock") endOf.set(op.id!, recordKey(i))
    })
    const fail = (invariant: string, event: Offender, message: string) =>
      Effect.fail(new InvariantViolation({ invariant, event, message }))
    const who = (by: string) => (by === "" ? "the scenario" : by)
    for (let i = 0; i < ops.length; i++) {
      const op = ops[i]!
      if (op.kind === "flushed") {
        const call = callOf.get(op.id!)!
        const late = owed(op.workqueue!, recordKey(call), recordKey(i))
        if (late.length > 0) {
          return fail(
            "flush",
            op,
            `the flush of ${op.workqueue} by ${who(op.by)} (called at ${ops[call]!.t}) returned at ${op.t}, ` +
              `before ${late.join(", ")} (queued before it) finished`
          )
        }
      } else if (op.kind === "flushDeadlock") {
        const now = recordKey(i)
        const call = callOf.get(op.id!)!
        // what `w` waits for at `now`
        const waitsOf = (w: string): ReadonlyArray<string> => {
          if (done(w, now)) return []
          if ((started.get(w) ?? never) > now) {
            return [...started].filter(([y, k]) => k < now && !done(y, now)).map(([y]) => y)
          }
          let own: number | undefined
          ops.forEach((o, j) => {
            if (o.kind === "flush" && o.by === w && recordKey(j) < now && (endOf.get(o.id!) ?? never) > now) own = j
          })
          return own === undefined ? [] : owed(ops[own]!.workqueue!, recordKey(own), now)
        }
        const seen = new Set<string>()
        const stack = [...owed(op.workqueue!, recordKey(call), now)]
        let real = false
        while (stack.length > 0 && !real) {
          const w = stack.pop()!
          if (w === op.by) real = true
          else if (!seen.has(w)) {
            seen.add(w)
            stack.push(...waitsOf(w))
          }
        }
        if (!real) {
          return fail(
            "noFalseFlushDeadlock",
            op,
            `the flush of ${op.workqueue} by ${who(op.by)} at ${op.t} failed with FlushDeadlock, ` +
              `but nothing it waits for waits for ${op.by === "" ? "the scenario" : op.by}`
          )
        }
      } else if (op.kind === "cancel" && op.result === true && (started.get(op.work!) ?? never) > recordKey(i)) {
        if (started.has(op.work!)) {
          return fail("cancel", op, `${op.work} was cancelled at ${op.t} (a pending instance taken) and started later`)
        }
      }
    }
    for (const [w] of queued) {
      if (!finished.has(w) && !cancelled.has(w)) {
        return fail(
          "everyItemRuns",
          detailed.scenario.works.find((s) => s.name === w)!,
          `${w} was queued and never finished`
        )
      }
    }
    return Effect.void
  })
