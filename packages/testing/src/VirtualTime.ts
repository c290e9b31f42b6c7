/**
 * Deterministic virtual time for Effect programs: a controlled scheduler and
 * a virtual `Clock`, driven to quiescence synchronously.
 *
 * `run(effect)` runs `effect` and every fiber it starts (including worker
 * fibers of pools built inside it) on one controlled scheduler. The driver
 * runs every ready task until none is left (quiescence), then advances the
 * virtual clock to the earliest timer and fires it, and repeats, until
 * `effect` completes. Timers with the same deadline fire in the order they
 * were armed (first come, first served). No real timer or microtask is
 * involved, so a run is fast and the same input always gives the same run.
 *
 * Why not `TestClock`: `TestClock.adjust` waits for fibers to settle by
 * polling the real event loop (`setTimeout(0)`) between timers, about a
 * millisecond per timer, and fires timers that share a deadline newest first.
 * Property tests over thousands of workloads need the former to be free and
 * the simulation's first-come-first-served CPUs need the latter to be FIFO.
 *
 * Contract for code under virtual time: do not wait on real I/O, real timers
 * or promises (they never resolve while the driver runs). Pools built inside
 * the run with default options work: the run sets
 * `WorkerPool.currentPlatform` to a virtual platform (the virtual clock, and
 * "macrotasks" queued on the controlled scheduler), so the fairness
 * hand-back and CPU time are measured in virtual time. Pools given an
 * explicit `platform` whose macrotask is a real one (`setImmediate`) hang
 * at their first hand-back: pass `fairnessBudget: 0` with such a platform.
 *
 * @since 0.1.0
 */
import * as Cause from "effect/Cause"
import * as Clock from "effect/Clock"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import type * as Fiber from "effect/Fiber"
import * as Scheduler from "effect/Scheduler"
import * as Schema from "effect/Schema"
import { WorkerPool } from "@cmwq/core"

/**
 * The program never completes: no fiber can run and no timer is armed.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { VirtualTime } from "@cmwq/testing"
 *
 * // no callback and no timer can ever resume it: the run fails with Deadlock instead of hanging
 * const exit = VirtualTime.runExit(Effect.async<never>(() => {}))
 * ```
 *
 * @since 0.1.0
 * @category errors
 */
export class Deadlock extends Schema.TaggedError<Deadlock>("@cmwq/testing/Deadlock")("Deadlock", {
  at: Schema.Number
}) {
  override get message(): string {
    return `virtual time: at ${this.at} ms no fiber can run and no timer is armed: the program can never complete ` +
      `(it waits on something outside virtual time: a promise, real I/O, a real timer, or a pools platform ` +
      `whose macrotask is real; such pools need WorkerPool.layer({ fairnessBudget: 0 }))`
  }
}

/**
 * The run went past its step budget (a livelock, or a workload larger than
 * expected).
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { VirtualTime } from "@cmwq/testing"
 *
 * const spin = Effect.forever(Effect.yieldNow())
 * const exit = VirtualTime.runExit(spin, { maxSteps: 10_000 }) // fails with StepLimit
 * ```
 *
 * @since 0.1.0
 * @category errors
 */
export class StepLimit extends Schema.TaggedError<StepLimit>("@cmwq/testing/StepLimit")("StepLimit", {
  at: Schema.Number,
  steps: Schema.Number
}) {
  override get message(): string {
    return `virtual time: gave up after ${this.steps} scheduler steps at ${this.at} ms`
  }
}

interface Timer {
  readonly deadline: number
  readonly seq: number
  fire: (() => void) | null
}

/**
 * A virtual clock: `sleep` arms a timer that fires only when the driver
 * advances time to its deadline.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { VirtualTime } from "@cmwq/testing"
 *
 * const clock = new VirtualTime.VirtualClock()
 * const program = Effect.withClock(Effect.sleep("1 second"), clock) // fires only when a driver advances clock.now
 * ```
 *
 * @since 0.1.0
 * @category models
 */
export class VirtualClock implements Clock.Clock {
  readonly [Clock.ClockTypeId]: Clock.ClockTypeId = Clock.ClockTypeId
  /** milliseconds since the start of the run */
  now = 0
  private seq = 0
  private readonly heap: Array<Timer> = []

  unsafeCurrentTimeMillis(): number {
    return this.now
  }
  unsafeCurrentTimeNanos(): bigint {
    return BigInt(Math.round(this.now * 1_000_000))
  }
  get currentTimeMillis(): Effect.Effect<number> {
    return Effect.sync(() => this.now)
  }
  get currentTimeNanos(): Effect.Effect<bigint> {
    return Effect.sync(() => this.unsafeCurrentTimeNanos())
  }
  sleep(duration: Duration.Duration): Effect.Effect<void> {
    const ms = Duration.toMillis(duration)
    if (!(ms > 0)) return Effect.yieldNow()
    return Effect.async<void>((resume) => {
      const timer: Timer = { deadline: this.now + ms, seq: this.seq++, fire: () => resume(Effect.void) }
      this.push(timer)
      return Effect.sync(() => {
        timer.fire = null
      })
    })
  }

  /** true iff some timer is armed */
  get hasTimers(): boolean {
    this.dropCancelled()
    return this.heap.length > 0
  }

  /**
   * advance to the earliest timer and fire one timer due then: the first
   * armed, or the one `choose` picks among those due at that instant
   */
  advance(choose?: (n: number) => number): void {
    this.dropCancelled()
    const first = this.heap[0]
    if (first === undefined) return
    this.now = Math.max(this.now, first.deadline)
    let timer = this.pop()!
    if (choose !== undefined) {
      const due = [timer]
      for (;;) {
        this.dropCancelled()
        const next = this.heap[0]
        if (next === undefined || next.deadline !== timer.deadline) break
        due.push(this.pop()!)
      }
      if (due.length > 1) {
        const k = choose(due.length)
        timer = due[k]!
        for (let i = 0; i < due.length; i++) if (i !== k) this.push(due[i]!)
      }
    }
    const fire = timer.fire
    timer.fire = null
    if (fire !== null) fire()
  }

  private dropCancelled(): void {
    while (this.heap.length > 0 && this.heap[0]!.fire === null) this.pop()
  }

  private before(a: Timer, b: Timer): boolean {
    return a.deadline < b.deadline || (a.deadline === b.deadline && a.seq < b.seq)
  }

  private push(timer: Timer): void {
    const heap = this.heap
    heap.push(timer)
    let i = heap.length - 1
    while (i > 0) {
      const parent = (i - 1) >> 1
      if (!this.before(heap[i]!, heap[parent]!)) break
      ;[heap[i], heap[parent]] = [heap[parent]!, heap[i]!]
      i = parent
    }
  }

  private pop(): Timer | undefined {
    const heap = this.heap
    const top = heap[0]
    const last = heap.pop()
    if (heap.length > 0 && last !== undefined) {
      heap[0] = last
      let i = 0
      for (;;) {
        const l = 2 * i + 1
        const r = l + 1
        let m = i
        if (l < heap.length && this.before(heap[l]!, heap[m]!)) m = l
        if (r < heap.length && this.before(heap[r]!, heap[m]!)) m = r
        if (m === i) break
        ;[heap[i], heap[m]] = [heap[m]!, heap[i]!]
        i = m
      }
    }
    return top
  }
}

/**
 * A scheduler that only queues tasks; the driver runs them.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { VirtualTime } from "@cmwq/testing"
 *
 * const scheduler = new VirtualTime.VirtualScheduler()
 * const program = Effect.withScheduler(Effect.log("queued on the scheduler"), scheduler)
 * // a driver calls scheduler.drain(limit) to run the ready tasks
 * ```
 *
 * @since 0.1.0
 * @category models
 */
export class VirtualScheduler implements Scheduler.Scheduler {
  private tasks: Array<Scheduler.Task> = []
  /** with `choose` set: per task, the id of the fiber it runs (-1 when Effect does not say) */
  private fibers: Array<number> = []
  steps = 0
  /**
   * when set, which of the `n` ready tasks runs next (schedule exploration),
   * given the id of the fiber each one runs; unset: first in, first out
   */
  choose: ((n: number, fibers?: ReadonlyArray<number>) => number) | undefined = undefined
  scheduleTask(task: Scheduler.Task, _priority: number, fiber?: Fiber.RuntimeFiber<unknown, unknown>): void {
    this.tasks.push(task)
    if (this.choose !== undefined) this.fibers.push(fiber !== undefined ? fiber.id().id : -1)
  }
  shouldYield(fiber: Fiber.RuntimeFiber<unknown, unknown>): number | false {
    return Scheduler.defaultShouldYield(fiber)
  }
  /** run tasks until none is left; returns false if `limit` steps were exceeded */
  drain(limit: number): boolean {
    const choose = this.choose
    if (choose !== undefined) {
      while (this.tasks.length > 0) {
        const k = this.tasks.length > 1 ? choose(this.tasks.length, this.fibers) : 0
        this.fibers.splice(k, 1)
        const task = this.tasks.splice(k, 1)[0]!
        task()
        if (++this.steps > limit) return false
      }
      return true
    }
    while (this.tasks.length > 0) {
      const tasks = this.tasks
      this.tasks = []
      for (let i = 0; i < tasks.length; i++) {
        tasks[i]!()
        if (++this.steps > limit) {
          this.tasks = tasks.slice(i + 1).concat(this.tasks)
          return false
        }
      }
    }
    return true
  }
}

/**
 * The knobs of a PCT chooser (`pct`, and `Simulation.Schedule.pct`).
 *
 * @example
 * ```ts
 * import type { VirtualTime } from "@cmwq/testing"
 *
 * const options: VirtualTime.PctOptions = { depth: 2, horizon: 64 }
 * ```
 *
 * @since 0.1.0
 * @category models
 */
export interface PctOptions {
  /** the bug depth aimed at: `depth - 1` priority change points (a whole number, 1 or more; default 3) */
  readonly depth?: number | undefined
  /** the change points are drawn among the first `horizon` choice points (a whole number, 1 or more; default 100) */
  readonly horizon?: number | undefined
}

/**
 * A PCT chooser for `RunOptions.choose` (probabilistic concurrency testing:
 * Burckhardt, Kothari, Musuvathi and Nagarakatte, "A randomized scheduler
 * with probabilistic guarantees of finding bugs", 2010; the scheduler of
 * AWS's shuttle of that name), over the fibers of ready tasks:
 *
 * 1. a fiber seen for the first time gets a random priority in
 *    (depth, depth + 1); a task whose fiber Effect does not name (-1) is a
 *    fiber of its own, seen once;
 * 2. at each choice point among ready tasks, the one whose fiber has the
 *    highest priority runs;
 * 3. the j-th of `depth - 1` change points, drawn among the first `horizon`
 *    choice points, first sets the priority of the fiber that would run to
 *    j (below every initial one), then picks again;
 * 4. timers due together (no fibers given) are picked at random.
 *
 * A bug that needs `d` ordering constraints is found by one run of depth
 * `d` with probability at least 1/(n·k^(d-1)), for n fibers and k choice
 * points. `random` gives numbers in [0, 1): pass a seeded one to make runs
 * reproducible.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { VirtualTime } from "@cmwq/testing"
 *
 * let state = 7
 * const random = () => (state = (state * 16807) % 2147483647) / 2147483647
 * const three = Effect.all([Effect.yieldNow(), Effect.yieldNow(), Effect.yieldNow()], { concurrency: "unbounded" })
 * const exit = VirtualTime.runExit(three, { choose: VirtualTime.pct({ depth: 2, random }) })
 * ```
 *
 * @since 0.1.0
 * @category exploration
 */
export const pct = (
  options: PctOptions & { readonly random: () => number }
): (n: number, fibers?: ReadonlyArray<number>) => number => {
  const { random } = options
  const depth = options.depth ?? 3
  const horizon = options.horizon ?? 100
  const changes = new Map<number, number>() // choice point -> the priority its fiber drops to
  for (let j = 1; j < depth; j++) {
    const at = Math.floor(random() * horizon)
    if (!changes.has(at)) changes.set(at, j)
  }
  const priorities = new Map<number, number>()
  const priorityOf = (fiber: number) => {
    if (fiber < 0) return depth + random()
    let p = priorities.get(fiber)
    if (p === undefined) priorities.set(fiber, p = depth + random())
    return p
  }
  const highest = (n: number, fibers: ReadonlyArray<number>) => {
    let k = 0
    let best = Number.NEGATIVE_INFINITY
    for (let i = 0; i < n; i++) {
      const p = priorityOf(fibers[i]!)
      if (p > best) {
        best = p
        k = i
      }
    }
    return k
  }
  let step = 0
  return (n, fibers) => {
    if (fibers === undefined) return Math.floor(random() * n)
    let k = highest(n, fibers)
    const lowered = changes.get(step++)
    if (lowered !== undefined && fibers[k]! >= 0) {
      priorities.set(fibers[k]!, lowered)
      k = highest(n, fibers)
    }
    return k
  }
}

/**
 * Options of `run`.
 *
 * @since 0.1.0
 * @category models
 */
export interface RunOptions {
  /** give up (with `StepLimit`) after this many scheduler steps (default 10 million) */
  readonly maxSteps?: number | undefined
  /** called at every quiescent point, before time advances (for invariant checks) */
  readonly onQuiescent?: ((now: number) => void) | undefined
  /**
   * schedule exploration: given `n` > 1 things that could happen next at the
   * same virtual instant (ready fibers, or timers due together), return the
   * index, 0..n-1, of the one that goes first (default: first in, first out).
   * For ready fibers, `fibers` holds the id of each one's fiber (-1 where
   * Effect does not name it); for timers it is absent.
   */
  readonly choose?: ((n: number, fibers?: ReadonlyArray<number>) => number) | undefined
}

/**
 * Run `effect` under virtual time and return its exit. See the module header.
 *
 * @example
 * ```ts
 * import { Effect, Exit } from "effect"
 * import { VirtualTime } from "@cmwq/testing"
 *
 * const exit = VirtualTime.runExit(Effect.as(Effect.sleep("1 hour"), "done")) // no real hour passes
 * Exit.isSuccess(exit) // true
 * ```
 *
 * @since 0.1.0
 * @category runners
 */
export const runExit = <A, E>(
  effect: Effect.Effect<A, E>,
  options: RunOptions = {}
): Exit.Exit<A, E | Deadlock | StepLimit> => {
  const clock = new VirtualClock()
  const scheduler = new VirtualScheduler()
  const limit = options.maxSteps ?? 10_000_000
  scheduler.choose = options.choose
  // pools built in the run with no platform of their own measure time and hand the
  // thread back in virtual time (a "macrotask" is a task of the controlled scheduler)
  const platform: WorkerPool.Platform = {
    now: () => clock.now,
    macrotask: (callback) => scheduler.scheduleTask(callback, 0)
  }
  const fiber = Effect.runFork(
    effect.pipe(
      Effect.locally(WorkerPool.currentPlatform, platform),
      Effect.withClock(clock),
      Effect.withScheduler(scheduler)
    ),
    { scheduler, immediate: false }
  )
  for (;;) {
    if (!scheduler.drain(limit)) {
      fiber.unsafeInterruptAsFork(fiber.id())
      scheduler.drain(Infinity)
      return Exit.fail(new StepLimit({ at: clock.now, steps: scheduler.steps }))
    }
    const exit = fiber.unsafePoll()
    if (exit !== null) return exit
    options.onQuiescent?.(clock.now)
    if (!clock.hasTimers) {
      fiber.unsafeInterruptAsFork(fiber.id())
      scheduler.drain(Infinity)
      return Exit.fail(new Deadlock({ at: clock.now }))
    }
    clock.advance(options.choose)
  }
}

/**
 * Run `effect` under virtual time as an Effect (the run itself is
 * synchronous: it never waits on the real clock).
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { VirtualTime } from "@cmwq/testing"
 *
 * const program = Effect.gen(function*() {
 *   const elapsed = yield* VirtualTime.run(Effect.zipRight(Effect.sleep("10 minutes"), Effect.clockWith((c) => c.currentTimeMillis)))
 *   // elapsed === 600_000, computed without waiting
 * })
 * ```
 *
 * @since 0.1.0
 * @category runners
 */
export const run = <A, E>(
  effect: Effect.Effect<A, E>,
  options?: RunOptions
): Effect.Effect<A, E | Deadlock | StepLimit> => Effect.suspend(() => runExit(effect, options))

/**
 * Run `effect` under virtual time and return its value, or throw its failure
 * (a `FiberFailure`, as `Effect.runSync` does).
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { VirtualTime } from "@cmwq/testing"
 *
 * const at = VirtualTime.runSync(Effect.zipRight(Effect.sleep("250 millis"), Effect.clockWith((c) => c.currentTimeMillis)))
 * // 250
 * ```
 *
 * @since 0.1.0
 * @category runners
 */
export const runSync = <A, E>(effect: Effect.Effect<A, E>, options?: RunOptions): A => {
  const exit = runExit(effect, options)
  if (Exit.isSuccess(exit)) return exit.value
  throw Cause.squash(exit.cause)
}
