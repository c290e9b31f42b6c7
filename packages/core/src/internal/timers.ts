/**
 * The pools' timers: one binary min-heap of armed timers and one driver
 * fiber, sleeping on Effect's `Clock` until the earliest deadline (the
 * kernel's `timer_list` wheel, `__mod_timer`, `timer_delete` and
 * `__run_timers`, without the wheel's loss of precision). Arming or
 * cancelling a timer is a heap operation; no fiber is created per timer.
 *
 * Invariants:
 * - a node is armed iff `timerIndex >= 0`, and then `heap[timerIndex]` is it;
 * - the heap is ordered by (`timerDue`, `timerOrder`): timers due at the same
 *   instant fire in the order they were armed;
 * - when the heap is not empty, a driver fiber sleeps until a deadline no
 *   later than the earliest one (`driverDue <= heap[0].timerDue`). A cancel
 *   leaves the driver as it is: waking up early finds nothing due and sleeps
 *   again;
 * - a timer armed while due timers fire (a callback re-arming itself) fires
 *   on the driver's next wake-up, never in the same pass.
 *
 * Because the driver sleeps with `Effect.sleep`, TestClock and the testing
 * package's VirtualTime drive these timers as they drive any sleep.
 *
 * @internal
 */
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import type * as Fiber from "effect/Fiber"
import * as FiberId from "effect/FiberId"
import * as Runtime from "effect/Runtime"

/**
 * @internal a heap node. Delayed work items are nodes themselves (no
 * allocation per arm); other timers use `CallbackTimer`.
 */
export interface TimerNode {
  /** P: clock millis at which it fires */
  timerDue: number
  /** P: arming order, the tie-break between equal deadlines */
  timerOrder: number
  /** P: index in the heap, -1 when not armed */
  timerIndex: number
  /**
   * I: what firing does (a shared function, not a closure per node); method
   * syntax, so that a node type may declare it on its own type
   */
  onTimer(node: TimerNode): void
}

/** @internal a cancellable timer */
export interface Timer {
  readonly cancel: () => void
}

const before = (a: TimerNode, b: TimerNode): boolean =>
  a.timerDue < b.timerDue || (a.timerDue === b.timerDue && a.timerOrder < b.timerOrder)

const runCallback = (node: CallbackTimer): void => node.callback()

/** @internal a timer with a callback (idle, mayday and watchdog timers) */
export class CallbackTimer implements TimerNode, Timer {
  timerDue = 0
  timerOrder = 0
  timerIndex = -1
  readonly onTimer = runCallback
  constructor(readonly queue: TimerQueue, readonly callback: () => void) {}
  cancel(): void {
    this.queue.cancel(this)
  }
}

/** @internal the heap and its driver fiber */
export class TimerQueue {
  readonly heap: Array<TimerNode> = [] // P
  order = 0 // P: next arming order
  driver: Fiber.RuntimeFiber<void> | null = null // P: the fiber sleeping until driverDue
  driverDue = Infinity // P
  generation = 0 // P: bumped per driver; only the current driver re-arms
  stopped = false // P: the service's scope closed

  constructor(
    /** I: the runtime the driver runs on (its Clock) */
    readonly runtime: Runtime.Runtime<never>,
    /** I: the clock's current time in millis */
    readonly now: () => number
  ) {}

  /** kernel `__mod_timer`: (re-)arm `node` to fire at `due` */
  arm(node: TimerNode, due: number): void {
    if (node.timerIndex >= 0) this.remove(node)
    node.timerDue = due
    node.timerOrder = this.order++
    const heap = this.heap
    node.timerIndex = heap.length
    heap.push(node)
    this.up(node.timerIndex)
    if (due < this.driverDue) this.startDriver(due)
  }

  /** kernel `timer_delete`: returns whether it was armed */
  cancel(node: TimerNode): boolean {
    if (node.timerIndex < 0) return false
    this.remove(node)
    return true
  }

  get size(): number {
    return this.heap.length
  }

  /** the scope is closing: nothing fires any more; returns the driver to interrupt */
  stop(): Fiber.RuntimeFiber<void> | null {
    this.stopped = true
    for (const node of this.heap) node.timerIndex = -1
    this.heap.length = 0
    const driver = this.driver
    this.driver = null
    this.driverDue = Infinity
    return driver
  }

  private startDriver(due: number): void {
    if (this.stopped) return
    const old = this.driver
    this.driverDue = due
    const fiber = Runtime.runFork(this.runtime)(this.wait(due, ++this.generation))
    this.driver = fiber
    if (old !== null) old.unsafeInterruptAsFork(FiberId.none)
  }

  private wait(due: number, generation: number): Effect.Effect<void> {
    return Effect.suspend(() =>
      Effect.flatMap(
        Effect.sleep(Duration.millis(Math.max(0, due - this.now()))),
        () => Effect.sync(() => this.expire(generation))
      )
    )
  }

  /**
   * kernel `__run_timers`: fire every timer due now, in deadline then arming
   * order, then sleep until the next deadline
   */
  private expire(generation: number): void {
    if (this.stopped) return
    // the current driver ends here (a stale one, interrupted too late, only fires what is due)
    if (generation === this.generation) {
      this.driver = null
      this.driverDue = Infinity
    }
    const limit = this.order
    const heap = this.heap
    let now = this.now()
    while (heap.length > 0) {
      const top = heap[0]!
      if (top.timerDue > now || top.timerOrder >= limit) break
      this.remove(top)
      top.onTimer(top)
      if (this.stopped) return
      now = this.now()
    }
    if (heap.length > 0 && heap[0]!.timerDue < this.driverDue) this.startDriver(heap[0]!.timerDue)
  }

  private remove(node: TimerNode): void {
    const heap = this.heap
    const i = node.timerIndex
    node.timerIndex = -1
    const last = heap.pop()!
    if (last === node) return
    heap[i] = last
    last.timerIndex = i
    if (i > 0 && before(last, heap[(i - 1) >> 1]!)) this.up(i)
    else this.down(i)
  }

  private up(i: number): void {
    const heap = this.heap
    const node = heap[i]!
    while (i > 0) {
      const p = (i - 1) >> 1
      const parent = heap[p]!
      if (!before(node, parent)) break
      heap[i] = parent
      parent.timerIndex = i
      i = p
    }
    heap[i] = node
    node.timerIndex = i
  }

  private down(i: number): void {
    const heap = this.heap
    const n = heap.length
    const node = heap[i]!
    for (;;) {
      const l = 2 * i + 1
      if (l >= n) break
      const r = l + 1
      const c = r < n && before(heap[r]!, heap[l]!) ? r : l
      const child = heap[c]!
      if (!before(child, node)) break
      heap[i] = child
      child.timerIndex = i
      i = c
    }
    heap[i] = node
    node.timerIndex = i
  }
}
