/**
 * The entry point of a CPU thread. Loads the handlers module, builds its own
 * `@cmwq/core` pools (one logical CPU: this thread), and runs every task it
 * receives as a work item of those pools, so blocking detection, idle
 * workers, CPU_INTENSIVE and HIGHPRI apply inside the thread: while a task
 * awaits I/O, the thread starts the next one.
 *
 * Protocol (all plain data, batched per event-loop turn on both sides):
 * - in:  `{ k: "run", b: [id, tag, payload, flags, ...] }`, `{ k: "int", id }`
 * - out: `{ k: "done", b: [id, WireResult, ...], s: [started ids] }`
 *
 * `flags`: bit 0 HIGHPRI, bit 1 CPU_INTENSIVE.
 *
 * @internal
 */
import { parentPort, workerData } from "node:worker_threads"
import { pathToFileURL } from "node:url"
import { Task, Work, WorkerPool, Workqueue } from "@cmwq/core"
import * as Effect from "effect/Effect"
import type * as Fiber from "effect/Fiber"
import * as FiberId from "effect/FiberId"
import * as Layer from "effect/Layer"

interface Data {
  readonly handlers: string
  readonly exportName: string
  readonly cpu: number
  readonly pools: WorkerPool.Options
}

interface Entry {
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
    port.postMessage({ k: "done", b: done, s })
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

    const reply = (id: number, entry: Entry) => (result: Task.WireResult): void => {
      entry.done = true
      entries.delete(id)
      done.push(id, result)
      schedule()
    }

    const queueOne = (id: number, tag: string, payload: unknown, flags: number): void => {
      const entry: Entry = { work: undefined as unknown as Work.Work, fiber: null, interrupted: false, done: false }
      const body = Effect.withFiberRuntime<void, never, WorkerPool.WorkerPools | Task.Transport>((fiber) => {
        entry.fiber = fiber
        started.push(id)
        schedule()
        return Task.serve(
          registry as Task.Registry<WorkerPool.WorkerPools | Task.Transport>,
          tag,
          payload,
          reply(id, entry)
        )
      })
      ;(entry as { work: Work.Work }).work = Work.make(Effect.provide(body, context), { name: tag })
      entries.set(id, entry)
      Workqueue.unsafeQueue(wqs[flags & 3]!, entry.work)
    }

    port.on("message", (msg: { k: string; b?: Array<unknown>; id?: number }) => {
      if (msg.k === "run") {
        const b = msg.b!
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
          reply(msg.id!, entry)(Task.interruptedResult)
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
