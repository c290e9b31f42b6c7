/**
 * The entry point of a CPU thread. Loads the handlers module, builds its own
 * `@cmwq/core` pools (one logical CPU: this thread), and runs every task it
 * receives as a work item of those pools, so blocking detection, idle
 * workers, CPU_INTENSIVE and HIGHPRI apply inside the thread: while a task
 * awaits I/O, the thread starts the next one.
 *
 * Protocol (all plain data, batched per event-loop turn on both sides):
 * - in:  JSON of `[id, tag, payload, flags, ...]`, or `{ k: "int", id }`
 * - out: JSON of `[[id, WireResult, ...], [started ids]]`, `{ k: "ready" }`,
 *   `{ k: "fatal", reason }`
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

interface Data {
  readonly handlers: string
  readonly exportName: string
  readonly cpu: number
  readonly pools: WorkerPool.Options
}

interface Entry {
  readonly id: number
  readonly tag: string
  readonly payload: unknown
  reply: (result: Task.WireResult) => void
  readonly work: Work.Work
  fiber: Fiber.RuntimeFiber<unknown, unknown> | null
  interrupted: boolean
  done: boolean
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
  let done: Array<unknown> = []
  let started: Array<number> = []
  let scheduled = false
  const flush = (): void => {
    scheduled = false
    const s = started.filter((id) => {
      const e = entries.get(id)
      return e !== undefined && !e.done
    })
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

    // one body for every task (no Effect is built per task): the running item names its entry
    const byWork = new WeakMap<Work.Work, Entry>()
    const body = Effect.provide(
      Effect.flatMap(Work.current, (current) => {
        const entry = current._tag === "Some" ? byWork.get(current.value) : undefined
        if (entry === undefined) return Effect.void
        entry.fiber = Option.getOrNull(Fiber.getCurrentFiber())
        started.push(entry.id)
        schedule()
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
      const entry: Entry = { id, tag, payload, work, fiber: null, interrupted: false, done: false, reply: null! }
      entry.reply = reply(entry)
      byWork.set(work, entry)
      entries.set(id, entry)
      Workqueue.unsafeQueue(wqs[flags & 3]!, work)
    }

    port.on("message", (msg: string | { k: string; id?: number }) => {
      if (typeof msg === "string") {
        const b = JSON.parse(msg) as Array<unknown>
        for (let i = 0; i < b.length; i += 4) {
          queueOne(b[i] as number, b[i + 1] as string, b[i + 2], b[i + 3] as number)
        }
      } else if (msg.k === "int") {
        const entry = entries.get(msg.id!)
        if (entry === undefined || entry.interrupted) return
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
