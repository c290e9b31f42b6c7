/**
 * The entry point of a CPU thread. Loads the handlers module, builds its own
 * `@cmwq/core` pools (one logical CPU: this thread), and runs every task it
 * receives as a work item of those pools, so blocking detection, idle
 * workers, CPU_INTENSIVE and HIGHPRI apply inside the thread: while a task
 * awaits I/O, the thread starts the next one.
 *
 * Protocol (all plain data, batched per event-loop turn on both sides):
 * - in:  JSON of `[id, tag, payload, flags, ...]`, `{ k: "int", id }`, or
 *   `{ k: "dump", id }`; a batch (`Task.runAll`) is one quad with tag `null`
 *   and payload `[tag, payload, ...]` (a `null` tag: a task that did not
 *   encode, answered with `null`)
 * - out: JSON of `[[id, WireResult, ...], [started ids]]` (a batch's result:
 *   the array of its tasks' WireResults, in order); results go once per turn,
 *   starts at the end of the microtask checkpoint they happened in (then
 *   with no results: `[[], [started ids]]`), `{ k: "ready" }`,
 *   `{ k: "fatal", reason }`, `{ k: "dump", id, reason: text }`
 *
 * Every task of a batch is its own item of this thread's pools (blocking
 * detection and the rest apply to each); the batch is started when its first
 * task is, and answered when its last ends.
 *
 * `flags`: bit 0 HIGHPRI, bit 1 CPU_INTENSIVE.
 *
 * @internal
 */
import { parentPort, workerData } from "node:worker_threads"
import { pathToFileURL } from "node:url"
import { Task, Work, WorkerPool, Workqueue } from "@cmwq/core"
import * as Effect from "effect/Effect"
import * as Fiber from "effect/Fiber"
import * as Option from "effect/Option"
import * as FiberId from "effect/FiberId"
import * as Layer from "effect/Layer"
import { poolsDump } from "./dump.js"

interface Data {
  readonly handlers: string
  readonly exportName: string
  readonly cpu: number
  readonly pools: WorkerPool.Options
}

interface Entry {
  /** the task's id, or its batch's */
  readonly id: number
  readonly tag: string
  readonly payload: unknown
  reply: (result: Task.WireResult) => void
  readonly work: Work.Work
  fiber: Fiber.RuntimeFiber<unknown, unknown> | null
  interrupted: boolean
  done: boolean
  /** the batch it belongs to, or null */
  readonly batch: Batch | null
}

interface Batch {
  readonly id: number
  readonly entries: Array<Entry>
  readonly results: Array<Task.WireResult | null>
  left: number
  started: boolean
}

const data = workerData as Data
const port = parentPort!

const main = async (): Promise<void> => {
  const url = data.handlers.startsWith("file:") ? data.handlers : pathToFileURL(data.handlers).href
  const mod = (await import(url)) as Record<string, unknown>
  const registry = mod[data.exportName]
  if (!Task.isRegistry(registry)) {
    throw new Error(`${data.handlers}: export "${data.exportName}" is not a Task.registry(...)`)
  }

  const entries = new Map<number, Entry>()
  const batches = new Map<number, Batch>()
  let done: Array<unknown> = []
  let started: Array<number> = []
  let scheduled = false
  /** started and not yet answered: a start is reported only while its task (or batch) runs */
  const stillRunning = (id: number): boolean => {
    const e = entries.get(id)
    return e !== undefined ? !e.done : batches.has(id)
  }
  const flush = (): void => {
    scheduled = false
    const s = started.filter(stillRunning)
    port.postMessage(JSON.stringify([done, s]))
    done = []
    started = []
  }
  const schedule = (): void => {
    if (!scheduled) {
      scheduled = true
      setImmediate(flush)
    }
  }
  // starts go out at the end of the current microtask checkpoint, before any timer of the
  // task can fire: a task that kills its thread soon after it starts is then known to have
  // started, and is failed rather than resent to the replacement (where it would run again)
  let startedScheduled = false
  const flushStarted = (): void => {
    startedScheduled = false
    const s = started.filter(stillRunning)
    started = []
    if (s.length > 0) port.postMessage(JSON.stringify([[], s]))
  }
  const reportStarted = (id: number): void => {
    started.push(id)
    if (!startedScheduled) {
      startedScheduled = true
      queueMicrotask(flushStarted)
    }
  }

  const program = Effect.gen(function*() {
    const context = yield* Effect.context<WorkerPool.WorkerPools | Task.Transport>()
    const wqs = [
      yield* Workqueue.alloc("tasks", { maxActive: Workqueue.WQ_MAX_ACTIVE }),
      yield* Workqueue.alloc("tasks_highpri", { flags: ["HIGHPRI"], maxActive: Workqueue.WQ_MAX_ACTIVE }),
      yield* Workqueue.alloc("tasks_cpu_intensive", { flags: ["CPU_INTENSIVE"], maxActive: Workqueue.WQ_MAX_ACTIVE }),
      yield* Workqueue.alloc("tasks_highpri_cpu_intensive", {
        flags: ["HIGHPRI", "CPU_INTENSIVE"],
        maxActive: Workqueue.WQ_MAX_ACTIVE
      })
    ] as const

    const reply = (entry: Entry) => (result: Task.WireResult): void => {
      entry.done = true
      entries.delete(entry.id)
      done.push(entry.id, result)
      schedule()
    }
    const replyInBatch = (entry: Entry, batch: Batch, i: number) => (result: Task.WireResult): void => {
      if (entry.done) return
      entry.done = true
      batch.results[i] = result
      if (--batch.left === 0) {
        batches.delete(batch.id)
        done.push(batch.id, batch.results)
        schedule()
      }
    }

    // one body for every task (no Effect is built per task): the running item names its entry
    const byWork = new WeakMap<Work.Work, Entry>()
    const body = Effect.provide(
      Effect.flatMap(Work.current, (current) => {
        const entry = current._tag === "Some" ? byWork.get(current.value) : undefined
        if (entry === undefined) return Effect.void
        entry.fiber = Option.getOrNull(Fiber.getCurrentFiber())
        const batch = entry.batch
        if (batch === null || !batch.started) {
          if (batch !== null) batch.started = true
          reportStarted(entry.id)
        }
        return Task.serve(
          registry as Task.Registry<WorkerPool.WorkerPools | Task.Transport>,
          entry.tag,
          entry.payload,
          entry.reply
        )
      }),
      context
    )

    const queueOne = (id: number, tag: string, payload: unknown, flags: number): void => {
      const work = Work.make(body, { name: tag })
      const entry: Entry = {
        id,
        tag,
        payload,
        work,
        fiber: null,
        interrupted: false,
        done: false,
        reply: null!,
        batch: null
      }
      entry.reply = reply(entry)
      byWork.set(work, entry)
      entries.set(id, entry)
      Workqueue.unsafeQueue(wqs[flags & 3]!, work)
    }

    const queueBatch = (id: number, tasks: Array<unknown>, flags: number): void => {
      const n = tasks.length / 2
      const batch: Batch = {
        id,
        entries: [],
        results: new Array<Task.WireResult | null>(n).fill(null),
        left: n,
        started: false
      }
      batches.set(id, batch)
      const wq = wqs[flags & 3]!
      for (let i = 0; i < n; i++) {
        const tag = tasks[2 * i] as string | null
        if (tag === null) {
          // did not encode on the queueing side: it answers for it
          batch.left--
          continue
        }
        const work = Work.make(body, { name: tag })
        const entry: Entry = {
          id,
          tag,
          payload: tasks[2 * i + 1],
          work,
          fiber: null,
          interrupted: false,
          done: false,
          reply: null!,
          batch
        }
        entry.reply = replyInBatch(entry, batch, i)
        batch.entries.push(entry)
        byWork.set(work, entry)
        Workqueue.unsafeQueue(wq, work)
      }
      if (batch.left === 0) {
        batches.delete(id)
        done.push(id, batch.results)
        schedule()
      }
    }

    const interrupt = (entry: Entry): void => {
      if (entry.done || entry.interrupted) return
      entry.interrupted = true
      if (entry.fiber === null) {
        // not started: drop it from the thread's queue and report the interruption
        Effect.runSync(Work.cancel(entry.work))
        entry.reply(Task.interruptedResult)
      } else {
        // running on a worker fiber of this thread's pools: interrupt it there
        // (the reply is the serve's onExit finalizer; the pool replaces the worker)
        entry.fiber.unsafeInterruptAsFork(FiberId.none)
      }
    }

    port.on("message", (msg: string | { k: string; id?: number }) => {
      if (typeof msg === "string") {
        const b = JSON.parse(msg) as Array<unknown>
        for (let i = 0; i < b.length; i += 4) {
          const tag = b[i + 1] as string | null
          if (tag === null) queueBatch(b[i] as number, b[i + 2] as Array<unknown>, b[i + 3] as number)
          else queueOne(b[i] as number, tag, b[i + 2], b[i + 3] as number)
        }
      } else if (msg.k === "dump") {
        // this thread's pools, workers and what each runs (Monitor.dump of its own pools)
        const id = msg.id
        Effect.runPromise(Effect.provide(poolsDump, context)).then(
          (text) => port.postMessage({ k: "dump", id, reason: text }),
          (e: unknown) => port.postMessage({ k: "dump", id, reason: `(dump failed: ${String(e)})` })
        )
      } else if (msg.k === "int") {
        const entry = entries.get(msg.id!)
        if (entry !== undefined) interrupt(entry)
        else {
          const batch = batches.get(msg.id!)
          if (batch !== undefined) { for (const e of batch.entries) interrupt(e) }
        }
      }
    })
    port.postMessage({ k: "ready", cpu: data.cpu })
    return yield* Effect.never
  })

  const live = Task.layerInProcess.pipe(
    Layer.provide(Task.handlers(registry)),
    Layer.provideMerge(WorkerPool.layer({ ...data.pools, cpus: 1 }))
  )
  Effect.runFork(program.pipe(Effect.scoped, Effect.provide(live)))
}

main().catch((e: unknown) => {
  // an unusable handlers module: report it and exit (the main side reports the exit)
  port.postMessage({ k: "fatal", reason: e instanceof Error ? e.message : String(e) })
  process.exit(1)
})
