/**
 * Results and backpressure (PROTOCOLS.md R-prefixed steps `P1`–`P5`):
 * `Workqueue.run` (queue a one-shot item, wait for its Exit), `submit` (the
 * same, as a handle), `runAll` (many items, one waiter, no fiber per item),
 * waiting for room under `maxPending`, and `awaitPendingBelow`.
 *
 * Invariants:
 * - a one-shot item is queued exactly once, by the caller or, when the
 *   workqueue is full, by the release that made room (synchronously, in
 *   FIFO order of the waiters), so nobody overtakes a waiter;
 * - a one-shot item's result is delivered once (`complete`);
 * - an item whose caller was interrupted is either removed while pending
 *   (`cancelWork`) or interrupted while running, and the caller returns only
 *   after it has finished (its finalizers have run).
 *
 * @internal
 */
import * as Cause from "effect/Cause"
import * as Deferred from "effect/Deferred"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import type * as Fiber from "effect/Fiber"
import * as FiberId from "effect/FiberId"
import * as Option from "effect/Option"
import { cancelWork } from "./cancel.js"
import { workerOf } from "./current.js"
import * as Errors from "./errors.js"
import { syncThunkOf } from "./fastpath.js"
import { capture, type Captured } from "./item.js"
import { queueWorkOn, refusalError } from "./queue.js"
import { failureHandedBack, WorkImpl } from "./work.js"
import type { WorkerImpl } from "./worker.js"
import type { WorkqueueImpl } from "./workqueue.js"
import { recordWait } from "./lockdep.js"

type Refused = Errors.WorkqueueDestroyed | Errors.WorkqueueDraining

// -----------------------------------------------------------------------------
// Waiting for room (maxPending) and for the pending count to drop
// -----------------------------------------------------------------------------

/** @internal the waiters of one workqueue */
interface Waiters {
  /** FIFO: each queues its item when called (there is room) */
  readonly room: Array<() => void>
  readonly below: Array<{ readonly n: number; readonly resume: () => void }>
}

const waiters = new WeakMap<WorkqueueImpl, Waiters>()

/** P1: called by `WorkqueueImpl.itemLeft` after every retirement once someone waited */
const release = (wq: WorkqueueImpl, w: Waiters): void => {
  while (w.room.length > 0 && !wq.full) w.room.shift()!()
  if (w.below.length > 0) {
    for (let i = 0; i < w.below.length;) {
      const b = w.below[i]!
      if (wq.nrQueued < b.n) {
        w.below.splice(i, 1)
        b.resume()
      } else i++
    }
  }
}

const waitersOf = (wq: WorkqueueImpl): Waiters => {
  let w = waiters.get(wq)
  if (w === undefined) {
    const created: Waiters = { room: [], below: [] }
    w = created
    waiters.set(wq, created)
    wq.room = () => release(wq, created)
  }
  return w
}

const remove = <A>(array: Array<A>, a: A): void => {
  const i = array.indexOf(a)
  if (i >= 0) array.splice(i, 1)
}

/** @internal public `Workqueue.awaitPendingBelow` */
export const awaitPendingBelow = (wq: WorkqueueImpl, n: number): Effect.Effect<void, Errors.InvalidOperation> => {
  if (!Number.isInteger(n) || n < 1) {
    return Effect.fail(
      new Errors.InvalidOperation({
        operation: "awaitPendingBelow",
        workqueue: wq.name,
        reason: `${n}: the bound is an integer, 1 or more`
      })
    )
  }
  return Effect.async<void>((resume) => {
    if (wq.nrQueued < n) return resume(Effect.void)
    const w = waitersOf(wq)
    const entry = { n, resume: () => resume(Effect.void) }
    w.below.push(entry)
    return Effect.sync(() => remove(w.below, entry))
  })
}

/**
 * P2: queue a fresh item from `fiber`, or, at the bound, wait in line for
 * room; the release queues it. `onQueued` runs right after the item is queued.
 */
const queueWaiting = (
  wq: WorkqueueImpl,
  work: WorkImpl,
  fiber: Fiber.RuntimeFiber<unknown, unknown>,
  ctx: Captured | null,
  onQueued: () => void
): Effect.Effect<void, Refused> => {
  const worker: WorkerImpl | null = workerOf(fiber) ?? null
  const attempt = (): Refused | null => {
    const result = queueWorkOn(-1, wq, work, worker, wq.pools.localCpu(worker, fiber))
    if (result === true) {
      work.ctx = ctx
      onQueued()
      return null
    }
    // a fresh item is never pending nor disabled
    return result === false ? null : refusalError(wq, result)
  }
  if (!wq.full) {
    const refused = attempt()
    return refused === null ? Effect.void : Effect.fail(refused)
  }
  return Effect.async<void, Refused>((resume) => {
    const w = waitersOf(wq)
    const entry = () => {
      const refused = attempt()
      resume(refused === null ? Effect.void : Effect.fail(refused))
    }
    w.room.push(entry)
    return Effect.sync(() => remove(w.room, entry))
  })
}

// -----------------------------------------------------------------------------
// One-shot items: run and submit
// -----------------------------------------------------------------------------

/**
 * @internal the state of a one-shot item (`run`, `submit`). Its result is
 * awaited through `wait`, not a `Deferred`: `Deferred.unsafeMake` copies
 * Effect's commit prototype into every instance, and that copy was the
 * largest single cost of a `Workqueue.run` (15% of the samples of bench
 * case 6's one-run-per-effect contender, `--cpu-prof`).
 */
export class OneShot<A, E> {
  queued = false // P: the item was queued (it will run or be cancelled)
  interrupted = false // P: its caller gave up: do not start the body
  fiber: Fiber.RuntimeFiber<A, E> | null = null // P: the body's fiber while it runs (non-synchronous effects)
  exit: Exit.Exit<A, E> | null = null // P: the result, once
  /** P: who waits for `exit` (`wait`), until it is set */
  private waiters: Array<(exit: Exit.Exit<A, E>) => void> | null = null
  readonly work: WorkImpl
  /** the result, once the item has finished (at once if it has) */
  readonly wait: Effect.Effect<A, E> = Effect.async<A, E>((resume) => {
    if (this.exit !== null) return resume(this.exit)
    ;(this.waiters ??= []).push(resume)
    return Effect.sync(() => {
      if (this.waiters !== null) remove(this.waiters, resume)
    })
  })
  constructor(
    effect: Effect.Effect<A, E, unknown>,
    name: string | undefined
  ) {
    const thunk = syncThunkOf(effect as Effect.Effect<unknown, unknown>)
    const body: Effect.Effect<unknown, unknown> = Effect.suspend(() => {
      if (this.interrupted) {
        this.complete(Exit.interrupt(FiberId.none))
        return Effect.void
      }
      // P3: a synchronous effect cannot be interrupted midway: run it in place;
      // anything else in a fiber of its own, so that interrupting it spares the worker
      if (thunk !== null) {
        return Effect.flatMap(Effect.exit(effect as Effect.Effect<A, E>), (exit) => {
          this.complete(exit)
          return exit
        })
      }
      return Effect.flatMap(Effect.forkDaemon(effect as Effect.Effect<A, E>), (fiber) => {
        this.fiber = fiber
        return Effect.flatMap(fiber.await, (exit) => {
          this.fiber = null
          this.complete(exit)
          return exit
        })
      })
    })
    this.work = new WorkImpl(body, name)
  }
  complete(exit: Exit.Exit<A, E>): void {
    if (this.exit !== null) return
    this.exit = exit
    if (Exit.isFailure(exit)) failureHandedBack.add(this.work)
    const waiters = this.waiters
    this.waiters = null
    if (waiters !== null) { for (const waiter of waiters) waiter(exit) }
  }
  /**
   * P4: the caller gives up: remove the item if still pending, else interrupt
   * it if running; return once it has finished. Returns whether it was pending.
   */
  abort(): Effect.Effect<boolean> {
    return Effect.suspend(() => {
      if (!this.queued || this.exit !== null) return Effect.succeed(false)
      if (cancelWork(this.work, 0)) {
        this.complete(Exit.interrupt(FiberId.none))
        return Effect.succeed(true)
      }
      this.interrupted = true
      const fiber = this.fiber
      const wait = Effect.as(Effect.exit(this.wait), false)
      return fiber === null ? wait : Effect.zipRight(fiber.interruptAsFork(FiberId.none), wait)
    })
  }
}

const checkEffect = (operation: string, effect: unknown): Errors.InvalidWork | null =>
  Effect.isEffect(effect)
    ? null
    : new Errors.InvalidWork({
      operation,
      work: typeof effect === "function" ? "a function" : effect === null ? "null" : typeof effect,
      reason: typeof effect === "function"
        ? "an Effect was expected, not a function returning one (pass the Effect itself)"
        : "an Effect was expected"
    })

/** @internal what `run` and `submit` accept */
export interface OneShotOptions {
  readonly name?: string | undefined
}

const makeOneShot = <A, E, R>(
  wq: WorkqueueImpl,
  operation: string,
  effect: Effect.Effect<A, E, R>,
  options: OneShotOptions | undefined,
  fiber: Fiber.RuntimeFiber<unknown, unknown>,
  created?: (shot: OneShot<A, E>) => void
): Effect.Effect<OneShot<A, E>, Refused | Errors.InvalidWork> => {
  const invalid = checkEffect(operation, effect)
  if (invalid !== null) return Effect.fail(invalid)
  const shot = new OneShot<A, E>(effect, options?.name)
  if (created !== undefined) created(shot)
  const ctx = capture(fiber, syncThunkOf(effect as Effect.Effect<unknown, unknown>) !== null, wq.pools, true)
  return Effect.as(
    queueWaiting(wq, shot.work, fiber, ctx, () => {
      shot.queued = true
    }),
    shot
  )
}

/** @internal public `Workqueue.run`: PROTOCOLS.md P2–P4 */
export const run = <A, E, R>(
  wq: WorkqueueImpl,
  effect: Effect.Effect<A, E, R>,
  options?: OneShotOptions
): Effect.Effect<A, E | Refused | Errors.InvalidWork, R> =>
  Effect.uninterruptibleMask((restore) =>
    Effect.withFiberRuntime((fiber) => {
      // known as soon as it exists: a release can queue it while the caller waits for
      // room, and a caller interrupted before it resumes must still abort it
      let shot: OneShot<A, E> | null = null
      recordWait(wq.pools, wq.pools.workerOf(fiber), wq, "run")
      const queued = makeOneShot(wq, "Workqueue.run", effect, options, fiber, (s) => {
        shot = s
      })
      return Effect.flatMap(restore(queued), (s) => restore(s.wait)).pipe(
        Effect.onInterrupt(() => shot === null ? Effect.void : shot.abort())
      )
    })
  )

/** @internal public `Workqueue.Submitted` */
export interface Submitted<A, E> {
  readonly await: Effect.Effect<Exit.Exit<A, E>>
  readonly join: Effect.Effect<A, E>
  readonly poll: Effect.Effect<Option.Option<Exit.Exit<A, E>>>
  readonly cancel: Effect.Effect<boolean>
}

/** @internal public `Workqueue.submit` */
export const submit = <A, E, R>(
  wq: WorkqueueImpl,
  effect: Effect.Effect<A, E, R>,
  options?: OneShotOptions
): Effect.Effect<Submitted<A, E>, Refused | Errors.InvalidWork, R> =>
  Effect.uninterruptibleMask((restore) =>
    Effect.withFiberRuntime((fiber) => {
      // as in `run`: a release can queue the item while the caller waits for room; a
      // caller interrupted before it resumes gets no handle, so it aborts the item
      let shot: OneShot<A, E> | null = null
      const queued = makeOneShot(wq, "Workqueue.submit", effect, options, fiber, (s) => {
        shot = s
      })
      return Effect.map(
        restore(queued).pipe(Effect.onInterrupt(() => shot === null ? Effect.void : shot.abort())),
        (shot): Submitted<A, E> => ({
          await: Effect.exit(shot.wait),
          join: shot.wait,
          poll: Effect.sync(() => Option.fromNullable(shot.exit)),
          cancel: Effect.uninterruptible(shot.abort())
        })
      )
    })
  )

// -----------------------------------------------------------------------------
// runAll: many items, one waiter, no fiber per item
// -----------------------------------------------------------------------------

/**
 * @internal public `Workqueue.runAll` (P5): one item per effect, queued in
 * order (waiting for room under `maxPending`); results in input order. The
 * first failure cancels the items still pending and fails the call once the
 * running ones have finished; interrupting the caller does the same. Running
 * items are not interrupted (they run on the workers' own fibers).
 */
export const runAll = <A, E, R>(
  wq: WorkqueueImpl,
  effects: Iterable<Effect.Effect<A, E, R>>
): Effect.Effect<Array<A>, E | Refused | Errors.InvalidWork, R> =>
  Effect.uninterruptibleMask((restore) =>
    Effect.withFiberRuntime((fiber) => {
      const input = Array.from(effects)
      const n = input.length
      for (let i = 0; i < n; i++) {
        const invalid = checkEffect("Workqueue.runAll", input[i])
        if (invalid !== null) return Effect.fail(invalid)
      }
      if (n === 0) return Effect.succeed([])
      const results: Array<A> = new Array<A>(n)
      const done = Deferred.unsafeMake<void>(fiber.id())
      const works: Array<WorkImpl> = new Array<WorkImpl>(n)
      let failure: Cause.Cause<E> | null = null
      /** the fibers of the bodies running now (non-synchronous items) */
      const running = new Set<Fiber.RuntimeFiber<A, E>>()
      let queued = 0
      let settled = 0
      const settle = () => {
        if (++settled === queued && (queued === n || failure !== null)) Deferred.unsafeDone(done, Exit.void)
      }
      const fail = (cause: Cause.Cause<E>) => {
        if (failure !== null) return
        failure = cause
        // cancel what has not started; a cancelled item never settles by itself
        for (let i = 0; i < queued; i++) if (cancelWork(works[i]!, 0)) settled++
        if (settled === queued) Deferred.unsafeDone(done, Exit.void)
      }
      for (let i = 0; i < n; i++) {
        const effect = input[i] as Effect.Effect<A, E>
        const thunk: (() => unknown) | null = Exit.isExit(effect)
          ? (Exit.isSuccess(effect) ? () => effect.value : null)
          : syncThunkOf(effect)
        works[i] = thunk !== null
          ? new WorkImpl(() => {
            try {
              results[i] = thunk() as A
            } catch (e) {
              if (failure === null) failureHandedBack.add(works[i]!)
              fail(Cause.die(e))
              throw e
            } finally {
              settle()
            }
          })
          : new WorkImpl(Effect.suspend(() => {
            // the caller gave up between this item's start and its body (a yield of the
            // worker fiber): it does not run
            if (failure !== null) {
              failureHandedBack.add(works[i]!)
              settle()
              return Effect.failCause(Cause.interrupt(FiberId.none))
            }
            // P3: a body that may suspend runs in a fiber of its own, so that the caller's
            // interruption can interrupt it and spare the worker
            return Effect.flatMap(Effect.forkDaemon(effect), (child) => {
              running.add(child)
              return Effect.flatMap(child.await, (exit) => {
                running.delete(child)
                if (Exit.isSuccess(exit)) results[i] = exit.value
                else {
                  // the first failure goes to the caller; so does an interruption it caused
                  if (failure === null || Cause.isInterruptedOnly(exit.cause)) failureHandedBack.add(works[i]!)
                  fail(exit.cause)
                }
                settle()
                return exit
              })
            })
          }))
      }
      // a synchronous item cannot read its Context: it keeps the fast path unless there is
      // a span or an annotation to apply (Q1a)
      const ctxEffect = capture(fiber, false, wq.pools, true)
      const ctxSync = capture(fiber, true, wq.pools, true)
      const ctxOf = (i: number) => typeof works[i]!.effect === "function" ? ctxSync : ctxEffect
      const worker = workerOf(fiber) ?? null
      const localCpu = wq.pools.localCpu(worker, fiber)
      const queueFrom = (start: number): Effect.Effect<void, Refused> => {
        for (let i = start; i < n; i++) {
          if (failure !== null) return Effect.void
          if (wq.full) {
            return Effect.flatMap(
              queueWaiting(wq, works[i]!, fiber, ctxOf(i), () => {
                queued++
                if (failure !== null && cancelWork(works[i]!, 0)) settled++
              }),
              () => queueFrom(i + 1)
            )
          }
          const result = queueWorkOn(-1, wq, works[i]!, worker, localCpu)
          if (result !== true && result !== false) return Effect.fail(refusalError(wq, result))
          works[i]!.ctx = ctxOf(i)
          queued++
        }
        return Effect.void
      }
      // P4 for many: the caller's interruption cancels what is pending, interrupts what
      // runs, and returns once their finalizers have run
      const stop = Effect.suspend(() => {
        if (failure === null) fail(Cause.interrupt(fiber.id()))
        const interrupt = running.size === 0 ? Effect.void : Effect.forEach(
          Array.from(running),
          (child) => child.interruptAsFork(FiberId.none),
          { discard: true }
        )
        return Effect.zipRight(interrupt, Effect.suspend(() => settled === queued ? Effect.void : Deferred.await(done)))
      })
      return restore(queueFrom(0)).pipe(
        Effect.onError(() => stop),
        Effect.zipRight(restore(Deferred.await(done)).pipe(Effect.onInterrupt(() => stop))),
        Effect.flatMap(() => failure === null ? Effect.succeed(results) : Effect.failCause(failure))
      )
    })
  )
