/**
 * How to property-test a queue policy of your own, written as a user would:
 * generate scenarios with `Arbitraries`, simulate them under the policy,
 * check them with `Invariants` (and with invariants of your own), and make
 * sure that the checks catch a policy that is broken on purpose.
 */
import { describe, expect, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import { Policy, type Work } from "@cmwq/core"
import { Arbitraries, Invariants, type Simulation } from "@cmwq/testing"

// The policy under test: start the most urgent pending item first. Here the
// urgency is read from the item's name (w0, w1, ... → 0, 1, 2, 0, 1, 2, ...).
const urgencyOf = (name: string | undefined): number => Number(name?.slice(1) ?? 0) % 3
const urgentFirst = Policy.priority((work: Work.Work) => urgencyOf(work.name))

// An invariant of our own, in the same shape as the built-in checkers: when
// every item is queued at once on one pool, each start takes the most urgent
// item not yet started (ties: the one queued first).
const mostUrgentFirst: Invariants.Checker = (run: Simulation.Detailed) =>
  Effect.suspend(() => {
    const waiting = run.trace.filter((e) => e.event === "queue").map((e) => e.work)
    for (const e of run.trace) {
      if (e.event !== "start") continue
      const best = waiting.reduce((a, b) => (urgencyOf(b) > urgencyOf(a) ? b : a))
      if (e.work !== best) {
        return Effect.fail(
          new Invariants.InvariantViolation({
            invariant: "mostUrgentFirst",
            event: e,
            message: `${e.work} (urgency ${urgencyOf(e.work)}) starts at ${e.t} while ${best} ` +
              `(urgency ${urgencyOf(best)}) waits`
          })
        )
      }
      waiting.splice(waiting.indexOf(e.work), 1)
    }
    return Effect.void
  })

// one CPU, one plain workqueue, everything queued at 0
const onePool = Arbitraries.scenario({
  cpus: 1,
  workqueues: 1,
  flags: [],
  maxActive: 0,
  at: 0,
  works: { min: 2, max: 8 }
})

describe("property-testing a custom policy", () => {
  it("the urgent-first policy keeps every kernel guarantee", () => {
    Arbitraries.assert(Arbitraries.scenario(), Invariants.all, { policy: urgentFirst, seed: 1, numRuns: 500 })
  })

  it("the urgent-first policy starts the most urgent item first", () => {
    Arbitraries.assert(onePool, mostUrgentFirst, { policy: urgentFirst, seed: 2, numRuns: 300 })
  })

  it("the kernel's policy is not urgent-first (so the check above can fail)", () => {
    const result = Arbitraries.check(onePool, mostUrgentFirst, { seed: 3, numRuns: 100 })
    expect(result.failed).toBe(true)
  })
})

describe("the invariants catch a broken policy", () => {
  /** check a policy and return what failed, with the report fast-check prints */
  const failureOf = (policy: Policy.Policy, checker: Invariants.Checker = Invariants.all) => {
    const result = Arbitraries.check(Arbitraries.scenario(), checker, {
      policy,
      seed: 7,
      numRuns: 500,
      maxSteps: 200_000
    })
    expect(result.failed).toBe(true)
    const failure = result.errorInstance as Arbitraries.ScenarioFailure
    return { failure, counterexample: result.counterexample![0] }
  }

  it("a worker that keeps taking items while another runs fails minimal concurrency", () => {
    // keep_working without the `nr_running <= 1` condition
    const greedy = Policy.make({ name: "greedy", keepWorking: () => true })
    const { failure, counterexample } = failureOf(greedy)
    expect(failure.reason._tag === "InvariantViolation" && failure.reason.invariant).toBe("minimalConcurrency")
    expect(counterexample.cpus).toBe(1)
    // the report holds the violation, the scenario and its timeline
    expect(failure.message).toContain("invariant minimalConcurrency violated")
    expect(failure.message).toContain(JSON.stringify(counterexample))
    expect(failure.message).toContain(" TIME IN MSECS  EVENT")
  })

  it("a pool that wakes a worker for every pending item fails minimal concurrency", () => {
    // need_more_worker without the `nr_running == 0` condition
    const eager = Policy.make({ name: "eager", needMoreWorker: (pool) => pool.hasPending })
    const { failure } = failureOf(eager)
    expect(failure.reason._tag === "InvariantViolation" && failure.reason.invariant).toBe("minimalConcurrency")
    expect(failure.message).toContain("it was woken for it")
  })

  it("a pool that does not wake a worker when its last running worker blocks fails work conservation", () => {
    // counts a blocked worker as busy: wakes a worker only while no other one is busy
    const blind = Policy.make({
      name: "blind",
      needMoreWorker: (pool) => pool.nrRunning === 0 && pool.nrWorkers - pool.nrIdle <= 1
    })
    // it keeps every safety invariant: it is only slower
    expect(
      Arbitraries.check(Arbitraries.scenario(), Invariants.safety, { policy: blind, seed: 7, numRuns: 300 }).failed
    )
      .toBe(false)
    const { failure } = failureOf(blind)
    expect(failure.reason._tag === "InvariantViolation" && failure.reason.invariant).toBe("workConservation")
    expect(failure.message).toMatch(/pending item\(s\) and no running worker/)
  })

  it("a pool that never keeps a spare idle worker fails work conservation", () => {
    // may_start_working always true: no manager ever creates the worker the next block needs
    const thrifty = Policy.make({ name: "thrifty", mayStartWorking: () => true })
    const { failure } = failureOf(thrifty)
    expect(failure.reason._tag === "InvariantViolation" && failure.reason.invariant).toBe("workConservation")
  })

  it("a policy that caps maxActive below the workqueue's fails work conservation", () => {
    const stingy = Policy.make({ name: "stingy", maxActive: () => 1 })
    const { failure } = failureOf(stingy)
    expect(failure.reason._tag === "InvariantViolation" && failure.reason.invariant).toBe("workConservation")
    expect(failure.message).toMatch(/holds back \d+ item\(s\) on pool cpu\d with only 1 active/)
  })

  it("a policy that raises maxActive above the workqueue's fails maxActive", () => {
    const lavish = Policy.make({ name: "lavish", maxActive: () => 100 })
    const { failure } = failureOf(lavish, Invariants.safety)
    expect(failure.reason._tag === "InvariantViolation" && failure.reason.invariant).toBe("maxActive")
  })

  it("a pool that never wakes a worker fails forward progress: the run cannot complete", () => {
    const asleep = Policy.make({ name: "asleep", needMoreWorker: () => false })
    const { failure, counterexample } = failureOf(asleep)
    expect(failure.reason._tag).toBe("Deadlock")
    expect(counterexample.works.length).toBe(1)
    expect(failure.message).toContain("the simulation failed (Deadlock)")
  })

  it("Arbitraries.assert puts the whole report in the thrown error's message", () => {
    const greedy = Policy.make({ name: "greedy", keepWorking: () => true })
    expect(() => Arbitraries.assert(Arbitraries.scenario(), Invariants.all, { policy: greedy, seed: 7, numRuns: 500 }))
      .toThrow(/Counterexample:[\s\S]*invariant minimalConcurrency violated[\s\S]*policy: greedy[\s\S]*TIME IN MSECS/)
  })
})
