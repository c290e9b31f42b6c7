/**
 * The deterministic simulation: runs a scenario on the real `@cmwq/core`
 * pools (not a model of them) under virtual time, with simulated CPUs.
 *
 * Semantics:
 * - virtual time in milliseconds (`VirtualTime`); identical input gives an
 *   identical trace;
 * - each logical CPU runs one burning worker at a time, first come first
 *   served, no preemption (a high-priority pool's worker goes ahead of normal
 *   ones in the CPU's queue, as nice -20 would);
 * - `burn` holds the CPU for that long; a worker keeps its CPU across
 *   consecutive burns and gives it up when it sleeps or its item finishes;
 * - `sleep` blocks without the CPU: the pools' blocking detector sees it, as
 *   it sees any async wait, and the pool may start another worker; when the
 *   sleep ends the worker runs again (it counts as running at once) and
 *   queues for its CPU; `wake` is when it gets it;
 * - waiting for a CPU or holding it is not blocking (`WorkerPool.unsafeRunnable`).
 *
 * With these rules the kernel documentation's example execution scenarios
 * come out event for event (see the tests).
 *
 * @since 0.1.0
 */
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Fiber from "effect/Fiber"
import * as Option from "effect/Option"
import * as Logger from "effect/Logger"
import * as LogLevel from "effect/LogLevel"
import * as Schema from "effect/Schema"
import { Freezer, type Policy, type Recorder, Work, WorkerPool, Workqueue } from "@cmwq/core"
import * as ScenarioModule from "./Scenario.js"
import type { Event, Trace } from "./Trace.js"
import { seeded } from "./internal/random.js"
import * as VirtualTime from "./VirtualTime.js"

/**
 * Options of a simulation run.
 *
 * @since 0.1.0
 * @category models
 */
export interface Options {
  /** the queueing policy of the pools (default: the kernel's) */
  readonly policy?: Policy.Policy | undefined
  /** give up after this many scheduler steps (default 2 million) */
  readonly maxSteps?: number | undefined
  /**
   * schedule exploration: the order of things that happen at one virtual
   * instant (see `Schedule`; default: first in, first out)
   */
  readonly schedule?: Schedule | undefined
  /**
   * record the run into this recorder (`Recorder.make` of `@cmwq/core`), as
   * a real run would be recorded: under virtual time, a recorded sleep is
   * the item's sleep step, and a recorded burn its burn step plus the time
   * it waited for its simulated CPU
   */
  readonly recorder?: Recorder.Recorder | undefined
}

/**
 * A schedule: how to order the things that could happen next at one virtual
 * instant: which ready fiber runs first (which CPU's worker, which woken
 * worker, whether the queueing fiber's next call, a cancel or a
 * `setMaxActive`, lands before or after them), and which of the timers due
 * together fires first. Each such moment with n > 1 candidates is a choice
 * point: the i-th takes `choices[i] % n`. Past the end of `choices`:
 *
 * 1. with `pct`, a PCT scheduler (`VirtualTime.pct`: probabilistic concurrency testing, as in
 *    AWS's shuttle), seeded by `seed` (default 0): every fiber gets a random
 *    priority when first seen, and the ready fiber with the highest one
 *    runs. At `depth - 1` choice points drawn among the first `horizon`,
 *    the fiber about to run drops below every other, once each. A bug that
 *    needs `d` ordering constraints is found by one run with probability at
 *    least 1/(n·k^(d-1)) for n fibers and k choice points. Timers due
 *    together are chosen at random;
 * 2. else with a `seed`, seeded random choices (a random walk);
 * 3. else the first candidate (first in, first out, the default order).
 *
 * `Detailed.choicePoints` lists the choice points of a run (n and the index
 * taken); `{ choices: detailed.choicePoints.map((c) => c.k) }` replays it,
 * whatever chose. See docs/guides/exploration.md.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { Simulation } from "@cmwq/testing"
 *
 * const scenario = { cpus: 2, workqueues: [{ name: "q0" }], works: [{ name: "a", workqueue: "q0", steps: [{ burn: 1 }] }] }
 * const program = Effect.gen(function*() {
 *   const walk = yield* Simulation.runDetailed(scenario, { schedule: { seed: 7 } })
 *   // the same run again, from its recorded choices
 *   yield* Simulation.run(scenario, { schedule: { choices: (walk.choicePoints ?? []).map((c) => c.k) } })
 *   // a PCT run: 3 priority changes among the first 100 choice points
 *   yield* Simulation.run(scenario, { schedule: { seed: 7, pct: { depth: 3, horizon: 100 } } })
 * })
 * ```
 *
 * @since 0.1.0
 * @category models
 */
export interface Schedule {
  readonly choices?: ReadonlyArray<number> | undefined
  readonly seed?: number | undefined
  readonly pct?: VirtualTime.PctOptions | undefined
}

/**
 * A schedule that does not fit `Schedule`; `message` names the bad field.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { Simulation } from "@cmwq/testing"
 *
 * const scenario = { cpus: 1, workqueues: [{ name: "q0" }], works: [] }
 * const program = Simulation.run(scenario, { schedule: { pct: { depth: 0 } } }).pipe(
 *   Effect.catchTag("InvalidSchedule", (e) => Effect.logError(e.message))
 * )
 * ```
 *
 * @since 0.1.0
 * @category errors
 */
export class InvalidSchedule extends Schema.TaggedError<InvalidSchedule>("@cmwq/testing/InvalidSchedule")(
  "InvalidSchedule",
  { message: Schema.String }
) {}

/** the problem with a schedule, or null */
const scheduleProblem = (schedule: Schedule): string | null => {
  const whole = (x: unknown) => typeof x === "number" && Number.isSafeInteger(x)
  for (const [i, c] of (schedule.choices ?? []).entries()) {
    if (!whole(c)) return `schedule.choices[${i}] is ${c}, not a whole number`
  }
  if (schedule.seed !== undefined && !whole(schedule.seed))
    return `schedule.seed is ${schedule.seed}, not a whole number`
  const pct = schedule.pct
  if (pct !== undefined) {
    for (const key of ["depth", "horizon"] as const) {
      const v = pct[key]
      if (v !== undefined && !(whole(v) && v >= 1)) return `schedule.pct.${key} is ${v}, not a whole number, 1 or more`
    }
  }
  return null
}

const chooser = (schedule: Schedule, points: Array<{ readonly n: number; readonly k: number }>) => {
  const choices = schedule.choices ?? []
  const random = schedule.seed !== undefined || schedule.pct !== undefined ? seeded(schedule.seed ?? 0) : undefined
  const pct = schedule.pct !== undefined ? VirtualTime.pct({ ...schedule.pct, random: random! }) : undefined
  return (n: number, fibers?: ReadonlyArray<number>): number => {
    const i = points.length
    const k = i < choices.length
      ? Math.abs(Math.trunc(choices[i]!)) % n
      : pct !== undefined
      ? pct(n, fibers)
      : random !== undefined
      ? Math.floor(random() * n)
      : 0
    points.push({ n, k })
    return k
  }
}

/**
 * A worker picked an item up: what the pool looked like at that moment.
 *
 * @since 0.1.0
 * @category models
 */
export interface StartRecord {
  readonly t: number
  readonly work: string
  readonly workqueue: string
  readonly worker: number
  readonly pool: number
  readonly cpu: number
  /** workers of the pool counted as running, this one included */
  readonly running: number
  /** the same worker finished an item at this very moment and took the next one itself */
  readonly continued: boolean
}

/**
 * The state at a quiescent point (nothing can run until time advances).
 *
 * @since 0.1.0
 * @category models
 */
export interface QuiescentRecord {
  readonly t: number
  readonly pools: ReadonlyArray<WorkerPool.PoolSnapshot>
  readonly workqueues: ReadonlyArray<{ readonly name: string; readonly state: Workqueue.State }>
  /** per CPU: is some worker holding it */
  readonly cpuBusy: ReadonlyArray<boolean>
}

/**
 * What a scenario's operations and `flush` steps did, in order with the
 * trace: `seq` is the number of trace events recorded before it.
 *
 * - `flush` when a flush is called (by an item, or `""` for the scenario's
 *   own operations), then `flushed` when it returned or `flushDeadlock` when
 *   it failed with `FlushDeadlock`; the three share an `id`;
 * - `freeze`, `thaw`, `applyAttrs`, `setMaxActive` (`result` false when
 *   refused) and `cancel` (`result`: whether a pending instance was taken).
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { Simulation } from "@cmwq/testing"
 *
 * const program = Effect.gen(function*() {
 *   const detailed = yield* Simulation.runDetailed({
 *     cpus: 1,
 *     workqueues: [{ name: "q0" }],
 *     works: [{ name: "w0", workqueue: "q0", steps: [{ sleep: 5 }] }],
 *     operations: [{ do: "flush", workqueue: "q0", at: 1 }]
 *   })
 *   const flushed = (detailed.operations ?? []).find((r) => r.kind === "flushed") // at t = 5
 * })
 * ```
 *
 * @since 0.1.0
 * @category models
 */
export interface OperationRecord {
  readonly seq: number
  readonly t: number
  readonly by: string
  readonly kind:
    | "flush"
    | "flushed"
    | "flushDeadlock"
    | "freeze"
    | "thaw"
    | "applyAttrs"
    | "cancel"
    | "setMaxActive"
  readonly workqueue?: string | undefined
  readonly work?: string | undefined
  readonly id?: number | undefined
  readonly result?: boolean | undefined
}

/**
 * A possible circular dependency that the engine's lockdep-style checking
 * reported during a simulation (the pools' `DependencyCycle` event; the
 * checking is always on under simulation): `chain[i]` waited for
 * `chain[i + 1]`, through `operations[i]`. A workqueue appears by its
 * name, an item as `item <name>`. `afterOperation` is the number of
 * `Detailed.operations` records made before the report: the wait that
 * closed the cycle is the last flush record before it.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { Simulation } from "@cmwq/testing"
 *
 * const program = Effect.gen(function*() {
 *   const detailed = yield* Simulation.runDetailed({
 *     cpus: 1,
 *     workqueues: [{ name: "a" }, { name: "b" }],
 *     works: [
 *       { name: "x", workqueue: "a", steps: [{ flush: "b" }] },
 *       { name: "y", workqueue: "b", at: 5, steps: [{ flush: "a" }] }
 *     ]
 *   })
 *   // one report: b -[flush]-> a -[flush]-> b, though nothing deadlocked
 *   yield* Effect.log((detailed.dependencyCycles ?? []).map((c) => c.chain.join(" -> ")))
 * })
 * ```
 *
 * @since 0.1.0
 * @category models
 */
export interface DependencyCycleRecord {
  readonly t: number
  readonly afterOperation: number
  readonly chain: ReadonlyArray<string>
  readonly operations: ReadonlyArray<string>
}

/**
 * A trace plus the engine's own log, for checks a trace cannot answer.
 *
 * @since 0.1.0
 * @category models
 */
export interface Detailed {
  readonly trace: Trace
  readonly starts: ReadonlyArray<StartRecord>
  readonly quiescent: ReadonlyArray<QuiescentRecord>
  /** the simulation's scenario, decoded */
  readonly scenario: ScenarioModule.Scenario
  /** what the scenario's operations and `flush` steps did (empty without them) */
  readonly operations?: ReadonlyArray<OperationRecord> | undefined
  /** with a `schedule`: every choice point of the run, its candidates `n` and the index `k` taken */
  readonly choicePoints?: ReadonlyArray<{ readonly n: number; readonly k: number }> | undefined
  /** every possible circular dependency the engine reported, in order (empty if none) */
  readonly dependencyCycles?: ReadonlyArray<DependencyCycleRecord> | undefined
}

/** a simulated CPU: who holds it, and who waits (highpri first, then FIFO) */
class Cpu {
  holder: number | null = null
  readonly waiting: Array<{ readonly worker: number; readonly highpri: boolean; readonly resume: () => void }> = []

  acquire(worker: number, highpri: boolean): Effect.Effect<void> {
    return Effect.async<void>((resume) => {
      if (this.holder === null) {
        this.holder = worker
        resume(Effect.void)
        return
      }
      const entry = { worker, highpri, resume: () => resume(Effect.void) }
      if (highpri) {
        const firstNormal = this.waiting.findIndex((w) => !w.highpri)
        if (firstNormal < 0) this.waiting.push(entry)
        else this.waiting.splice(firstNormal, 0, entry)
      } else {
        this.waiting.push(entry)
      }
    })
  }

  release(): void {
    const next = this.waiting.shift()
    if (next === undefined) {
      this.holder = null
      return
    }
    this.holder = next.worker
    next.resume()
  }
}

const scenarioProgram = (scenario: ScenarioModule.Scenario, log: {
  readonly trace: Array<Event>
  readonly starts: Array<StartRecord>
  pools: WorkerPool.WorkerPools | undefined
  wqs: Array<Workqueue.Workqueue>
  cpus: Array<Cpu>
  readonly operations: Array<OperationRecord>
  now: () => number
}) =>
  Effect.gen(function*() {
    const pools = yield* WorkerPool.WorkerPools
    log.pools = pools
    const clock = yield* Effect.clock
    const now = () => clock.unsafeCurrentTimeMillis()
    log.now = now
    const cpus = Array.from({ length: scenario.cpus }, () => new Cpu())
    log.cpus = cpus
    const wqByName = new Map<string, Workqueue.Workqueue>()
    for (const spec of scenario.workqueues) {
      const flags = (spec.flags ?? []).filter((f): f is Workqueue.Flag => f !== "ORDERED")
      const wq = (spec.flags ?? []).includes("ORDERED")
        ? yield* Workqueue.allocOrdered(spec.name, { flags })
        : yield* Workqueue.alloc(spec.name, { flags, maxActive: spec.maxActive ?? 0 })
      wqByName.set(spec.name, wq)
      log.wqs.push(wq)
    }
    let flushIds = 0
    const record = (r: Omit<OperationRecord, "seq" | "t">) => {
      log.operations.push({ seq: log.trace.length, t: now(), ...r })
    }
    // a flush from an item (by its name) or from the scenario (""): recorded when
    // called and when it returns; a FlushDeadlock is recorded, not fatal
    const flushFrom = (by: string, name: string) =>
      Effect.suspend(() => {
        const id = flushIds++
        record({ by, kind: "flush", workqueue: name, id })
        return Workqueue.flush(wqByName.get(name)!).pipe(
          Effect.either,
          Effect.map((result) =>
            record({ by, kind: result._tag === "Right" ? "flushed" : "flushDeadlock", workqueue: name, id })
          )
        )
      })
    const lastFinish = new Map<number, number>() // worker -> t of its last finish
    const works = scenario.works.map((spec) => {
      const homeCpu = spec.cpu ?? 0
      const body = Effect.gen(function*() {
        const me = Option.getOrThrow(yield* WorkerPool.currentWorker)
        // a bound worker burns on its pool's CPU; an unbound one on the CPU the work was queued from
        const cpuIndex = me.cpu >= 0 ? me.cpu : homeCpu
        const cpu = cpus[cpuIndex]!
        const snapshot = WorkerPool.unsafeSnapshot(pools).find((p) => p.id === me.pool)!
        const emit = (event: Event["event"]) => {
          log.trace.push({ t: now(), cpu: cpuIndex, worker: me.id, work: spec.name, event })
        }
        const t0 = now()
        emit("start")
        log.starts.push({
          t: t0,
          work: spec.name,
          workqueue: spec.workqueue,
          worker: me.id,
          pool: me.pool,
          cpu: me.cpu,
          running: snapshot.running,
          continued: lastFinish.get(me.id) === t0
        })
        let holding = false
        const release = () => {
          if (holding) {
            holding = false
            cpu.release()
          }
        }
        try {
          for (const step of spec.steps) {
            if ("burn" in step) {
              if (!holding) {
                yield* WorkerPool.unsafeRunnable(cpu.acquire(me.id, snapshot.highpri))
                holding = true
              }
              if (step.burn > 0) yield* WorkerPool.unsafeRunnable(Effect.sleep(step.burn))
            } else if ("flush" in step) {
              // a flush from inside the item blocks without the CPU, as a sleep does
              release()
              emit("sleep")
              yield* flushFrom(spec.name, step.flush)
              yield* WorkerPool.unsafeRunnable(cpu.acquire(me.id, snapshot.highpri))
              holding = true
              emit("wake")
            } else {
              release()
              emit("sleep")
              yield* Effect.sleep(step.sleep)
              yield* WorkerPool.unsafeRunnable(cpu.acquire(me.id, snapshot.highpri))
              holding = true
              emit("wake")
            }
          }
          emit("finish")
          lastFinish.set(me.id, now())
        } finally {
          release()
        }
      })
      return { spec, work: Work.make(body, { name: spec.name }) }
    })
    // each operation in a fiber of its own, at its time: where it lands among what
    // else happens at that instant is the schedule's choice
    const workByName = new Map(works.map((w) => [w.spec.name, w.work]))
    const operation = (op: ScenarioModule.Operation): Effect.Effect<void, never, WorkerPool.WorkerPools> => {
      switch (op.do) {
        case "flush":
          return flushFrom("", op.workqueue)
        case "freeze":
          return Effect.map(Freezer.freeze, () => record({ by: "", kind: "freeze" }))
        case "thaw":
          return Effect.map(Freezer.thaw, () => record({ by: "", kind: "thaw" }))
        case "applyAttrs":
          return Effect.map(
            Effect.either(Workqueue.applyAttrs(wqByName.get(op.workqueue)!, { affinityScope: op.affinityScope })),
            (r) => record({ by: "", kind: "applyAttrs", workqueue: op.workqueue, result: r._tag === "Right" })
          )
        case "cancel":
          return Effect.map(
            Work.cancel(workByName.get(op.work)!),
            (result) => record({ by: "", kind: "cancel", work: op.work, result })
          )
        case "setMaxActive":
          return Effect.map(
            Effect.either(Workqueue.setMaxActive(wqByName.get(op.workqueue)!, op.maxActive)),
            (r) => record({ by: "", kind: "setMaxActive", workqueue: op.workqueue, result: r._tag === "Right" })
          )
      }
    }
    const freezer: Array<Fiber.Fiber<void>> = []
    const others: Array<Fiber.Fiber<void>> = []
    for (const op of scenario.operations ?? []) {
      const at = op.at ?? 0
      const fiber = yield* Effect.fork(
        Effect.zipRight(at > now() ? Effect.sleep(at - now()) : Effect.void, operation(op))
      )
      ;(op.do === "freeze" || op.do === "thaw" ? freezer : others).push(fiber)
    }
    // queue each work at its time, in array order within one time
    const order = works.map((w, i) => ({ ...w, i })).sort((a, b) => (a.spec.at ?? 0) - (b.spec.at ?? 0) || a.i - b.i)
    for (const { spec, work } of order) {
      const at = spec.at ?? 0
      if (at > now()) yield* Effect.sleep(at - now())
      const cpu = spec.cpu ?? 0
      yield* Workqueue.queueOn(wqByName.get(spec.workqueue)!, cpu, work)
      log.trace.push({ t: now(), cpu, worker: -1, work: spec.name, event: "queue" })
    }
    // the freezer's operations never block; once they are done, thaw what the last
    // one left frozen, so that the flushes and the drain can complete
    if (freezer.length > 0) {
      yield* Fiber.joinAll(freezer)
      if (yield* Freezer.isFrozen) yield* Effect.map(Freezer.thaw, () => record({ by: "", kind: "thaw" }))
    }
    if (others.length > 0) yield* Fiber.joinAll(others)
    for (const wq of log.wqs) yield* Workqueue.drain(wq)
    // with operations: is every workqueue still alive? A probe item queued on
    // each after the drain must run (an operation that left a workqueue
    // wedged hangs here, and the run fails with a Deadlock)
    if (scenario.operations !== undefined && scenario.operations.length > 0) {
      for (const wq of log.wqs) {
        const name = `probe:${wq.name}`
        yield* Workqueue.queueOn(
          wq,
          0,
          Work.make(
            Effect.sync(() => {
              log.trace.push({ t: now(), cpu: 0, worker: -1, work: name, event: "start" })
              log.trace.push({ t: now(), cpu: 0, worker: -1, work: name, event: "finish" })
            }),
            { name }
          )
        )
        log.trace.push({ t: now(), cpu: 0, worker: -1, work: name, event: "queue" })
        yield* Workqueue.drain(wq)
      }
    }
  })

/**
 * Run a scenario and return its trace plus the engine's log.
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
 *     works: ["w0", "w1"].map((name) => ({ name, workqueue: "q0", steps: [{ burn: 5 }] }))
 *   })
 *   yield* Invariants.all(detailed) // trace, start records and quiescent states checked together
 * })
 * ```
 *
 * @since 0.1.0
 * @category runners
 */
export const runDetailed = (
  input: ScenarioModule.Scenario | unknown,
  options: Options = {}
): Effect.Effect<
  Detailed,
  ScenarioModule.InvalidScenario | InvalidSchedule | VirtualTime.Deadlock | VirtualTime.StepLimit
> =>
  Effect.flatMap(
    ScenarioModule.decode(input),
    (scenario) =>
      Effect.suspend((): Effect.Effect<Detailed, InvalidSchedule | VirtualTime.Deadlock | VirtualTime.StepLimit> => {
        const problem = options.schedule !== undefined ? scheduleProblem(options.schedule) : null
        if (problem !== null) return Effect.fail(new InvalidSchedule({ message: problem }))
        const log = {
          trace: [] as Array<Event>,
          starts: [] as Array<StartRecord>,
          pools: undefined as WorkerPool.WorkerPools | undefined,
          wqs: [] as Array<Workqueue.Workqueue>,
          cpus: [] as Array<Cpu>,
          operations: [] as Array<OperationRecord>,
          now: () => 0
        }
        const dependencyCycles: Array<DependencyCycleRecord> = []
        const quiescent: Array<QuiescentRecord> = []
        const program = scenarioProgram(scenario, log).pipe(
          Effect.scoped,
          Effect.provide(WorkerPool.layer({
            cpus: scenario.cpus,
            fairnessBudget: 0,
            cpuIntensiveThreshold: 0,
            watchdogThreshold: 0,
            // lockdep-style dependency checking is always on under simulation
            dependencyChecks: true,
            observer: (event) => {
              if (event._tag !== "DependencyCycle") return
              dependencyCycles.push({
                t: log.now(),
                afterOperation: log.operations.length,
                chain: event.chain,
                operations: event.operations
              })
            },
            ...(options.policy !== undefined ? { policy: options.policy } : {}),
            ...(options.recorder !== undefined ? { recorder: options.recorder } : {})
          })),
          Logger.withMinimumLogLevel(LogLevel.None),
          Effect.orDie
        )
        const points: Array<{ readonly n: number; readonly k: number }> = []
        const exit = VirtualTime.runExit(program, {
          maxSteps: options.maxSteps ?? 2_000_000,
          choose: options.schedule !== undefined ? chooser(options.schedule, points) : undefined,
          onQuiescent: (t) => {
            if (log.pools === undefined) return
            quiescent.push({
              t,
              pools: WorkerPool.unsafeSnapshot(log.pools),
              workqueues: log.wqs.map((wq) => ({ name: wq.name, state: Workqueue.unsafeInspect(wq) })),
              cpuBusy: log.cpus.map((c) => c.holder !== null)
            })
          }
        })
        if (Exit.isFailure(exit)) return exit as Exit.Exit<never, VirtualTime.Deadlock | VirtualTime.StepLimit>
        return Effect.succeed({
          trace: log.trace,
          starts: log.starts,
          quiescent,
          scenario,
          ...(log.operations.length > 0 ? { operations: log.operations } : {}),
          ...(options.schedule !== undefined ? { choicePoints: points } : {}),
          dependencyCycles
        })
      })
  )

/**
 * Run a scenario and return its trace.
 *
 * @example
 * ```ts
 * import { Simulation, Trace } from "@cmwq/testing"
 *
 * const trace = await Simulation.runPromise({
 *   cpus: 1,
 *   workqueues: [{ name: "q0", maxActive: 3 }],
 *   works: ["w0", "w1", "w2"].map((name) => ({ name, workqueue: "q0", steps: [{ burn: 5 }, { sleep: 10 }] }))
 * })
 * console.log(Trace.format(trace))
 * ```
 *
 * @since 0.1.0
 * @category runners
 */
export const run = (
  input: ScenarioModule.Scenario | unknown,
  options: Options = {}
): Effect.Effect<
  Trace,
  ScenarioModule.InvalidScenario | InvalidSchedule | VirtualTime.Deadlock | VirtualTime.StepLimit
> => Effect.map(runDetailed(input, options), (d) => d.trace)

/**
 * `run` as a Promise.
 *
 * @example
 * ```ts
 * import { Simulation, Trace } from "@cmwq/testing"
 *
 * const trace = await Simulation.runPromise({
 *   cpus: 2,
 *   workqueues: [{ name: "q0" }],
 *   works: [{ name: "w0", workqueue: "q0", cpu: 1, steps: [{ burn: 3 }] }]
 * })
 * console.log(Trace.format(trace))
 * ```
 *
 * @since 0.1.0
 * @category runners
 */
export const runPromise = (input: ScenarioModule.Scenario | unknown, options: Options = {}): Promise<Trace> =>
  Effect.runPromise(run(input, options))
