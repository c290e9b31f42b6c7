/**
 * The Effect `Scheduler` of worker fibers while the event-loop fairness
 * budget is on: the nearest JS gets to the kernel's preemption.
 *
 * Effect's default scheduler runs every fiber that became ready in one
 * microtask run. When hundreds of workers resume together (their timers
 * expired in one pass of the event loop, or their promises settled in one
 * microtask checkpoint), each runs its item on to its next suspension before
 * any of them reaches the fairness check between items, so one turn of the
 * loop holds the thread for all of them.
 *
 * This scheduler wraps the one the workers would otherwise have (Effect's
 * default, or VirtualTime's) and hands it one batch at a time. A batch runs
 * its ready fibers in the order they became ready while the pools' fairness
 * slice lasts. Once the slice is spent, the rest wait for the pools' next
 * turn (the marker macrotask, `deferToNextTurn`) and go on in that turn's
 * slice. A worker woken from a block counts as running again from the
 * moment its resumption is scheduled (`ready`: the pools run their
 * `wq_worker_running` there), not when it gets its turn: otherwise every
 * kick while it waits would see no running worker and wake or create
 * another (measured: 1024 workers for 10^5 items that await a promise,
 * against 8 with Effect's scheduler).
 *
 * Invariants:
 * - every scheduled task runs exactly once, in scheduling order;
 * - tasks scheduled while a batch runs run in a later batch of the inner
 *   scheduler (a later microtask with Effect's), so promise callbacks
 *   interleave;
 * - at most one batch (of the inner scheduler) or one deferred turn is
 *   pending at a time;
 * - a deferred batch runs at least its first task in its turn, whatever the
 *   clock says (a clock that moves on every read cannot stall it).
 *
 * What it changed in the benchmarks (docs/performance.mdx, "The event
 * loop's longest delay"): the main thread's longest delay while
 * `Task.runAll` offloads 10^5 tasks (case 7) fell from 426 to 21 ms; case
 * 3's did not move.
 *
 * @internal
 */
import type * as Fiber from "effect/Fiber"
import type * as Scheduler from "effect/Scheduler"

/** @internal */
export class FairScheduler implements Scheduler.Scheduler {
  private tasks: Array<Scheduler.Task> = []
  private pending = false
  constructor(
    /** the scheduler the worker fibers would otherwise have (Effect's, or VirtualTime's): it runs the batches */
    private readonly inner: Scheduler.Scheduler,
    /** has the current slice been spent? */
    private readonly due: () => boolean,
    /** run `callback` in the next turn of the pools' event loop */
    private readonly deferToNextTurn: (callback: () => void) => void,
    /** a fiber became ready to run (its task is scheduled): a blocked worker's wait has ended */
    private readonly ready: (fiber: Fiber.RuntimeFiber<unknown, unknown>) => void
  ) {}

  shouldYield(fiber: Fiber.RuntimeFiber<unknown, unknown>): number | false {
    return this.inner.shouldYield(fiber)
  }

  scheduleTask(task: Scheduler.Task, priority: number, fiber?: Fiber.RuntimeFiber<unknown, unknown>): void {
    if (fiber !== undefined) this.ready(fiber)
    this.tasks.push(task)
    if (!this.pending) {
      this.pending = true
      this.inner.scheduleTask(this.run, priority)
    }
  }

  /** run the ready tasks while the slice lasts; the rest in a later batch or turn */
  private readonly run = (): void => this.runBatch(false)
  /** in a turn of its own, the first task runs whatever the clock says: progress */
  private readonly runDeferred = (): void => this.runBatch(true)

  private runBatch(deferred: boolean): void {
    const batch = this.tasks
    this.tasks = []
    for (let i = 0; i < batch.length; i++) {
      if ((i > 0 || !deferred) && this.due()) {
        // the slice is spent: the rest of this batch, then what came meanwhile, next turn
        this.tasks = i === 0 ? batch.concat(this.tasks) : batch.slice(i).concat(this.tasks)
        this.deferToNextTurn(this.runDeferred)
        return
      }
      batch[i]!()
    }
    if (this.tasks.length === 0) this.pending = false
    else this.inner.scheduleTask(this.run, 0)
  }
}
