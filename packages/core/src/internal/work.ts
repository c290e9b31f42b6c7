/**
 * Work items: the kernel's `work_struct`, `delayed_work` and the flush
 * barrier (`wq_barrier`).
 *
 * A work item is an intrusive list node plus one packed integer (`data`, the
 * kernel's `work->data`) and one reference (`link`):
 *
 * | bit(s)  | meaning                                                          |
 * | ------- | ---------------------------------------------------------------- |
 * | 0       | PENDING: queued, or its timer is armed                           |
 * | 1       | INACTIVE: held back by max_active (or a barrier: never counted)  |
 * | 2       | PWQ: `link` is the pool_workqueue it is queued on                |
 * | 3       | LINKED: the next node on its list must move with it (barriers)   |
 * | 4..7    | flush color, while PWQ                                           |
 * | 8..23   | disable depth, while off queue                                   |
 * | 24..27  | RUNNING: how many workers run it now (normally 0 or 1)            |
 *
 * Invariants:
 * - PWQ is set iff the item is on a list (a pool worklist, a pwq's inactive
 *   list or a worker's scheduled list), and then `link` is that pwq;
 * - off queue, `link` is the pool that last ran or held it (or `null`: never
 *   queued): that is how queueing finds a worker still running it;
 * - PENDING is owned by whoever set it; it is cleared just before the item's
 *   effect starts, so the item may be queued again from inside itself;
 * - the disable depth is only meaningful off queue, and while it is above 0
 *   every queue attempt fails;
 * - the RUNNING count survives every rewrite of the data word (it is the
 *   kernel's busy_hash membership, kept in the item: a hash insert and delete
 *   per item cost more than the rest of dispatch, measured in bench/).
 *
 * @internal
 */
import * as Effect from "effect/Effect"
import { InvalidWork } from "./errors.js"
import type { Captured } from "./item.js"
import * as List from "./list.js"
import type { WorkqueueImpl } from "./workqueue.js"

const noop = (): void => {}

/**
 * @internal a `Work.sync` function returned a thenable: it would never be
 * awaited (flush and destroy would return before it settles), so it is a
 * defect naming the item; its rejection, if any, is absorbed here
 */
export const thenableDefect = (work: WorkImpl, result: unknown): InvalidWork | null => {
  if (
    result === null || (typeof result !== "object" && typeof result !== "function") ||
    typeof (result as { then?: unknown }).then !== "function"
  ) return null
  ;(result as PromiseLike<unknown>).then(undefined, noop)
  return new InvalidWork({
    operation: "Work.sync",
    work: workName(work),
    reason: "the function returned a promise, which a synchronous item never awaits; use Work.promise"
  })
}

/** @internal the item's body as an Effect (a synchronous function is wrapped) */
export const effectOf = (work: WorkImpl): Effect.Effect<unknown, unknown> => {
  const f = work.effect
  if (typeof f !== "function") return f
  if (work instanceof BarrierImpl) return Effect.sync(f)
  return Effect.suspend(() => {
    const result = f()
    const defect = thenableDefect(work, result)
    return defect === null ? Effect.succeed(result) : Effect.die(defect)
  })
}

/** @internal */
export const WORK_PENDING = 1 << 0
/** @internal */
export const WORK_INACTIVE = 1 << 1
/** @internal */
export const WORK_PWQ = 1 << 2
/** @internal */
export const WORK_LINKED = 1 << 3
/** @internal */
export const WORK_COLOR_SHIFT = 4
/** @internal */
export const WORK_COLOR_MASK = 0xf << WORK_COLOR_SHIFT
/** @internal */
export const WORK_DISABLE_SHIFT = 8
/** @internal */
export const WORK_DISABLE_MASK = 0xffff << WORK_DISABLE_SHIFT

/** @internal one unit of the RUNNING count */
export const WORK_RUNNING_ONE = 1 << 24
/** @internal */
export const WORK_RUNNING_MASK = 0xf << 24

/** @internal */
export const colorOf = (data: number): number => (data & WORK_COLOR_MASK) >>> WORK_COLOR_SHIFT
/** @internal */
export const disableDepthOf = (data: number): number => (data & WORK_DISABLE_MASK) >>> WORK_DISABLE_SHIFT

/** @internal symbol tagging work values (public `Work.TypeId`) */
export const WorkTypeId: unique symbol = Symbol.for("@cmwq/core/Work")
/** @internal */
export type WorkTypeId = typeof WorkTypeId

/**
 * @internal The engine's view of a pool and a pwq, as far as a work item needs
 * to know. Declared structurally here so that `work.ts` stays at the bottom of
 * the import graph.
 */
export interface WorkLink {
  readonly kind: "pool" | "pwq"
}

/**
 * @internal labels of the work items that have one. Kept out of the item: a
 * pending item costs as little heap as an Effect `Queue` entry of the same
 * closure (bench/ case 4), and most items have no label.
 */
const names = new WeakMap<WorkImpl, string>()

/**
 * @internal the items whose failure went to a caller waiting for it (`run`,
 * `submit`, `runAll`): counted and reported to the observer like any other,
 * but not logged, since the caller has it. Filled on the failure path only.
 */
export const failureHandedBack = new WeakSet<object>()

/**
 * @internal a work item (kernel `work_struct`): seven fields (two list links,
 * data, link, ctx, finishedAt, effect); the TypeId lives on the prototype
 */
export class WorkImpl extends List.ListNode {
  declare readonly [WorkTypeId]: WorkTypeId
  /** P: packed flags, color and disable depth (see the module header) */
  data = 0
  /** P: the pwq while queued, else the last pool (or null: never queued) */
  link: WorkLink | null = null
  /** P: what the successful queue call captured for the run it causes (Q1a), taken at Q6a */
  ctx: Captured | null = null
  /**
   * P: when its last run finished, in whole platform millis (-1: never), for
   * `Work.explain`. Whole, so that the field stays a small integer: once a
   * fractional time is stored here, V8 keeps the field as a boxed double and
   * every item made after that carries a 16-byte number box from birth
   * (96 bytes instead of 80; `bench/item-size.ts`).
   */
  finishedAt = -1
  /**
   * I: the item runs away from the worker that starts it (a task sent to
   * another thread): see worker.ts `runAway`. False on the prototype; an
   * `AwayWork` sets its own.
   */
  declare readonly runsAway: boolean
  constructor(
    /**
     * I: what the item runs: an Effect, or a synchronous function (`Work.sync`,
     * barriers), which a worker calls directly (set once; a barrier sets its
     * own right after construction)
     */
    public effect: Effect.Effect<unknown, unknown> | (() => unknown),
    name?: string
  ) {
    super()
    if (name !== undefined) names.set(this, name)
  }
  /** I: a label for logs and traces */
  get name(): string | undefined {
    return names.get(this)
  }
  override toString(): string {
    return `Work(${this.name ?? "anonymous"})`
  }
  toJSON(): unknown {
    return { _id: "Work", name: this.name, pending: (this.data & WORK_PENDING) !== 0 }
  }
}

Object.defineProperty(WorkImpl.prototype, WorkTypeId, { value: WorkTypeId })
Object.defineProperty(WorkImpl.prototype, "runsAway", { value: false, writable: true })

/**
 * @internal a work item with a timer (kernel `delayed_work`). While the timer
 * is armed the item is PENDING but on no list; `timer` is then non-null.
 * The item is its own timer-heap node (`timers.ts` `TimerNode`): arming it
 * allocates nothing.
 */
export class DelayedWorkImpl extends WorkImpl {
  /** P: the timer heap it is armed on (kernel `timer_pending(&dwork->timer)`), or null */
  timer: { cancel(node: DelayedWorkImpl): boolean } | null = null
  /** P: timer-heap node fields (see `timers.ts`) */
  timerDue = 0
  timerOrder = 0
  timerIndex = -1
  /** I: what the heap calls when the timer fires (set by `cancel.ts`, kernel `delayed_work_timer_fn`) */
  declare readonly onTimer: (node: DelayedWorkImpl) => void
  /** P: target workqueue and CPU for when the timer fires (kernel `dwork->wq`, `dwork->cpu`) */
  wq: WorkqueueImpl | null = null
  cpu = -1
  /** P: clock millis at which the armed timer fires (for tests and diagnostics) */
  expires = 0
}

/**
 * @internal a flush barrier (kernel `wq_barrier`): a work item whose effect
 * completes the waiting flusher. Always INACTIVE, so it never counts toward
 * max_active, and it cannot be cancelled.
 */
export class BarrierImpl extends WorkImpl {
  done = false // P: the target's instance has finished
  waiter: (() => void) | null = null // P: resumes the flusher, if one still waits
  constructor(readonly target: WorkImpl) {
    super(noop)
    this.effect = () => {
      this.done = true
      const waiter = this.waiter
      this.waiter = null
      if (waiter !== null) waiter()
    }
  }
}

/** @internal a label for logs and failure reports */
export const workName = (work: WorkImpl): string =>
  work instanceof BarrierImpl ? "flush barrier" : (work.name ?? "anonymous work")

/**
 * @internal kernel `move_linked_works`: move `work` and the run of items
 * LINKED behind it to the tail of `head` (a barrier moves with its target).
 */
export const moveLinkedWorks = (work: WorkImpl, head: List.ListNode): void => {
  let node: WorkImpl = work
  for (;;) {
    const next = node.next as WorkImpl
    List.remove(node)
    List.addTail(node, head)
    if ((node.data & WORK_LINKED) === 0) return
    node = next
  }
}
