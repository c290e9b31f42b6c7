/**
 * The recorder: a bounded ring buffer of the engine's item events (queue,
 * start, sleep, wake, finish, CPU-intensive mark), in the spirit of the
 * kernel's workqueue tracepoints (`trace_workqueue_queue_work`,
 * `trace_workqueue_execute_start`, `trace_workqueue_execute_end`) read with
 * a bounded trace buffer (ftrace's ring buffer).
 *
 * The engine calls `RecorderImpl.record` at five points (queue.ts, worker.ts,
 * detector.ts, pool.ts), each behind one `pools.recorder !== null` test, so a
 * pool set built without a recorder pays one field read per event.
 *
 * Memory is bounded: `capacity` events; when full, the oldest is overwritten
 * and `dropped` counts it. Workqueues are described once (name, flags,
 * max_active) when one of their items is first queued.
 *
 * @internal
 */
import * as Flags from "./flags.js"
import type { WorkImpl } from "./work.js"
import { workName } from "./work.js"
import type { WorkerImpl } from "./worker.js"
import type { WorkqueueImpl } from "./workqueue.js"

/** @internal the kinds of recorded events */
export type RecordedKind = "queue" | "start" | "sleep" | "wake" | "finish" | "cpuIntensive"

/** @internal one recorded event */
export interface RecordedEvent {
  /** platform millis */
  readonly t: number
  readonly event: RecordedKind
  /** the item's name */
  readonly work: string
  /** the queueing this event belongs to: one id per successful queue call */
  readonly id: number
  readonly workqueue: string
  /** queue: the CPU asked for (the local one when none was named); others: the worker's pool CPU (-1 unbound) */
  readonly cpu: number
  /** the worker (-1 for queue events) */
  readonly worker: number
  /** the pool (queue: the pool the item went to) */
  readonly pool: number
}

/** @internal a workqueue as the recording describes it */
export interface RecordedWorkqueue {
  readonly name: string
  readonly flags: ReadonlyArray<Flags.FlagName>
  readonly ordered: boolean
  readonly maxActive: number
}

/** @internal what `snapshot` returns */
export interface RecordingData {
  readonly capacity: number
  readonly dropped: number
  readonly cpus: number
  readonly workqueues: ReadonlyArray<RecordedWorkqueue>
  readonly events: ReadonlyArray<RecordedEvent>
}

/** @internal */
export class RecorderImpl {
  private readonly ring: Array<RecordedEvent | undefined>
  private next = 0 // P: the slot the next event goes to
  private size = 0 // P: events held
  dropped = 0 // P: events overwritten
  cpus = 0 // P: the CPU count of the last pool set attached
  private nextId = 0 // P
  private readonly ids = new WeakMap<WorkImpl, number>() // P: the item's current queueing
  private readonly wqs = new Map<string, RecordedWorkqueue>() // P: described workqueues

  constructor(readonly capacity: number) {
    this.ring = new Array<RecordedEvent | undefined>(capacity)
  }

  private push(event: RecordedEvent): void {
    if (this.size === this.capacity) this.dropped++
    else this.size++
    this.ring[this.next] = event
    this.next = (this.next + 1) % this.capacity
  }

  /** kernel `trace_workqueue_queue_work`: a queueing succeeded */
  queued(t: number, wq: WorkqueueImpl, work: WorkImpl, cpu: number, pool: number): void {
    if (!this.wqs.has(wq.name)) {
      this.wqs.set(wq.name, {
        name: wq.name,
        flags: Flags.flagNames(wq.flags),
        ordered: wq.ordered,
        maxActive: wq.savedMaxActive
      })
    }
    const id = this.nextId++
    this.ids.set(work, id)
    this.push({ t, event: "queue", work: workName(work), id, workqueue: wq.name, cpu, worker: -1, pool })
  }

  /** start, sleep, wake, finish and CPU-intensive marks: events of the worker's current item */
  worker(t: number, event: RecordedKind, worker: WorkerImpl): void {
    const work = worker.currentWork
    const pwq = worker.currentPwq
    if (work === null || pwq === null) return
    this.push({
      t,
      event,
      work: workName(work),
      id: this.ids.get(work) ?? -1,
      workqueue: pwq.wq.name,
      cpu: worker.pool.cpu,
      worker: worker.id,
      pool: worker.pool.id
    })
  }

  /** the events held, oldest first */
  snapshot(): RecordingData {
    const events: Array<RecordedEvent> = []
    const start = this.size === this.capacity ? this.next : 0
    for (let i = 0; i < this.size; i++) events.push(this.ring[(start + i) % this.capacity]!)
    return {
      capacity: this.capacity,
      dropped: this.dropped,
      cpus: this.cpus,
      workqueues: [...this.wqs.values()],
      events
    }
  }

  clear(): void {
    this.ring.fill(undefined)
    this.next = 0
    this.size = 0
    this.dropped = 0
  }
}
