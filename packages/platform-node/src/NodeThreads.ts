/**
 * Thread CPUs: the logical CPUs of a `WorkerPool` become `worker_threads`,
 * and Schema-typed tasks (`Task` of `@cmwq/core`) run on them.
 *
 * Each thread loads your handlers module and runs its own `@cmwq/core` pools
 * (one CPU: the thread), so concurrency management works inside it: while a
 * task awaits I/O the thread starts the next one, a task that holds the
 * thread becomes CPU-intensive, HIGHPRI tasks go to its high-priority pool.
 * The front end stays where you queue: pwqs, max_active, inactive lists,
 * flush colors and the pending bit. Bound workqueues run a task on the thread
 * of the CPU it was queued on (`Workqueue.queueOn` names one); a handler that
 * queues tasks queues them on its own thread. UNBOUND workqueues spread tasks
 * over the threads of their affinity-scope pod, least loaded first.
 *
 * Transport: batched `postMessage` (every task dispatched in one event-loop
 * turn travels in one message; results come back the same way). Requests and
 * results cross as their schemas' encoded form, so what was written before a
 * successful queue is visible to the execution by construction: the task
 * carries a copy, made at dispatch.
 *
 * A thread that crashes or exits is reported (a warning log and
 * `onThreadExit`) and replaced; its running tasks fail with `TaskCpuLost`
 * naming the task, and the tasks it had received but not started are sent
 * to the replacement.
 *
 * @since 0.1.0
 */
import { availableParallelism } from "node:os"
import { Task, WorkerPool, type WorkqueueError } from "@cmwq/core"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Schema from "effect/Schema"
import { type ThreadExit, ThreadTransport } from "./internal/threads.js"
import * as NodeTopology from "./NodeTopology.js"

/**
 * The default fairness budget of every thread's own pools, ms (the kernel's
 * `wq_cpu_intensive_thresh_us` default). With the main thread's 2 ms, a
 * thread that runs 2 ms tasks hands its loop back after every task, and a
 * turn of a thread's loop (its result message, timers, Effect's resumption)
 * cost a median 337 to 401 µs between tasks there, against 184 to 208 µs at
 * 10 ms. Measured by `bench/threads-fairness.ts 7 3 2,10` (2 threads on 2
 * cores, medians of 7 runs per budget and round, 3 rounds, 2026-12-03, idle
 * machine): 500 tasks of 2 ms took 620 to 659 ms at 2 ms and 592 to 619 ms
 * at 10 ms; 1000 tasks that burn 1 ms and then await 5 ms took 717 to 812
 * and 689 to 712 ms.
 */
const THREAD_FAIRNESS_BUDGET_MS = 10

/**
 * Bad options for `layer`.
 *
 * @example
 * ```ts
 * import { NodeThreads } from "@cmwq/platform-node"
 *
 * const error = new NodeThreads.InvalidThreadsOptions({ option: "threads", reason: "an integer >= 1" })
 * ```
 *
 * @since 0.1.0
 * @category errors
 */
export class InvalidThreadsOptions extends Schema.TaggedError<InvalidThreadsOptions>("@cmwq/InvalidThreadsOptions")(
  "InvalidThreadsOptions",
  { option: Schema.String, reason: Schema.String }
) {
  override get message(): string {
    return `NodeThreads: invalid option ${this.option}: ${this.reason}`
  }
}

/**
 * What `onThreadExit` reports.
 *
 * @example
 * ```ts
 * import { NodeThreads } from "@cmwq/platform-node"
 *
 * const onThreadExit = (exit: NodeThreads.Exit) => console.log(`thread ${exit.cpu}: ${exit.reason}`)
 * ```
 *
 * @since 0.1.0
 * @category models
 */
export type Exit = ThreadExit

/**
 * Options of `layer`.
 *
 * @example
 * ```ts
 * import { NodeThreads } from "@cmwq/platform-node"
 *
 * const options: NodeThreads.Options = { threads: 2, handlers: new URL("./tasks.js", import.meta.url) }
 * ```
 *
 * @since 0.1.0
 * @category models
 */
export interface Options {
  /** the handlers module every thread loads: a path or a file URL */
  readonly handlers: string | URL
  /** its export holding a `Task.registry(...)` (default `"handlers"`) */
  readonly exportName?: string | undefined
  /** how many threads, i.e. logical CPUs (default `os.availableParallelism()`) */
  readonly threads?: number | undefined
  /**
   * options of the queueing side's pools (`cpus` is set to `threads`; without
   * a `topology` here, the pools get `topology`'s, below)
   */
  readonly pools?: Omit<WorkerPool.Options, "cpus"> | undefined
  /**
   * the machine layout the thread CPUs' affinity scopes follow: thread CPU i
   * stands for the machine's engine CPU i (`NodeTopology.forThreads`).
   * Default: `NodeTopology.machine` (sysfs on Linux, else `os.cpus()`). Node
   * cannot pin a thread to a core, so a scope groups the threads the way the
   * machine groups its CPUs, and the operating system still decides where
   * each thread runs
   */
  readonly topology?: NodeTopology.Topology | undefined
  /**
   * options of each thread's own pools, in milliseconds (copied to the
   * threads). A thread's `fairnessBudget` defaults to 10 ms, not the main
   * thread's 2 ms: a CPU thread's event loop carries only its own messages
   * (new tasks, interrupts, results, which go out once per turn) and its
   * tasks' timers, so it hands the loop back after as long as an item may
   * run before it counts as CPU-intensive (`cpuIntensiveThreshold`'s
   * default). A result then reaches the queueing side up to that long
   * after its task ended when the thread is busy; pass 2 for the shorter
   * wait. Why 10: see `THREAD_FAIRNESS_BUDGET_MS` in this module.
   */
  readonly threadPools?: {
    readonly fairnessBudget?: number | undefined
    readonly cpuIntensiveThreshold?: number | undefined
    readonly idleTimeout?: number | undefined
  } | undefined
  /** called when a thread crashes or exits */
  readonly onThreadExit?: ((exit: Exit) => void) | undefined
  /** node flags for the threads (default: `--import tsx` when running from sources, else the process's) */
  readonly execArgv?: ReadonlyArray<string> | undefined
}

/**
 * Diagnostics of the running threads.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { NodeThreads } from "@cmwq/platform-node"
 *
 * const load = Effect.map(NodeThreads.NodeThreads, (threads) => threads.load())
 * ```
 *
 * @since 0.1.0
 * @category models
 */
export interface Threads {
  /** how many threads */
  readonly size: number
  /** tasks in flight per thread (sent, result not yet back) */
  readonly load: () => ReadonlyArray<number>
  /** terminate thread `cpu` as a crash would (it is reported and replaced); for tests and drills */
  readonly kill: (cpu: number) => Effect.Effect<void>
  /**
   * Each thread's own `Monitor.dump`: its pools, their workers and what each
   * one runs (a thread that is down or silent for a second says so)
   */
  readonly dump: Effect.Effect<ReadonlyArray<{ readonly cpu: number; readonly text: string }>>
}

/**
 * The threads' diagnostics service.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { NodeThreads } from "@cmwq/platform-node"
 *
 * const size = Effect.map(NodeThreads.NodeThreads, (threads) => threads.size)
 * ```
 *
 * @since 0.1.0
 * @category tags
 */
export class NodeThreads extends Context.Tag("@cmwq/platform-node/NodeThreads")<NodeThreads, Threads>() {}

/**
 * Logical CPUs on worker threads: provides the `WorkerPools` (one CPU per
 * thread), the `Task.TaskTransport` that runs tasks on those threads, and
 * `NodeThreads`. The threads are terminated when the layer's scope closes.
 *
 * @example
 * ```ts
 * // handlers.ts, loaded by every thread, exports the Add class and:
 * //   export const handlers = Task.registry(Task.handler(Add, ({ a, b }) => Effect.succeed(a + b)))
 * import { Effect, Schema } from "effect"
 * import { Task, Workqueue } from "@cmwq/core"
 * import { NodeThreads } from "@cmwq/platform-node"
 *
 * class Add extends Schema.TaggedRequest<Add>()("Add", {
 *   payload: { a: Schema.Number, b: Schema.Number },
 *   success: Schema.Number,
 *   failure: Schema.Never
 * }) {}
 *
 * const program = Effect.gen(function*() {
 *   const wq = yield* Workqueue.alloc("math", { flags: ["UNBOUND"] })
 *   return yield* Task.run(wq, new Add({ a: 1, b: 2 }))
 * })
 *
 * Effect.runPromise(program.pipe(
 *   Effect.scoped,
 *   Effect.provide(NodeThreads.layer({ handlers: new URL("./handlers.js", import.meta.url) }))
 * ))
 * ```
 *
 * @since 0.1.0
 * @category layers
 */
export const layer = (
  options: Options
): Layer.Layer<
  WorkerPool.WorkerPools | Task.Transport | NodeThreads,
  InvalidThreadsOptions | WorkqueueError.InvalidPoolOptions
> => {
  const transportLayer = Layer.scopedContext(Effect.gen(function*() {
    const threads = options.threads ?? availableParallelism()
    if (!Number.isInteger(threads) || threads < 1 || threads > 1024) {
      return yield* new InvalidThreadsOptions({ option: "threads", reason: `${threads}: an integer in 1..1024` })
    }
    const handlers = options.handlers instanceof URL ? options.handlers.href : options.handlers
    if (typeof handlers !== "string" || handlers.length === 0) {
      return yield* new InvalidThreadsOptions({ option: "handlers", reason: "a module path or file URL" })
    }
    const tp = options.threadPools ?? {}
    const threadPools: Record<string, unknown> = { fairnessBudget: THREAD_FAIRNESS_BUDGET_MS }
    for (const [k, v] of Object.entries(tp)) if (v !== undefined) threadPools[k] = v
    const transport = yield* Effect.acquireRelease(
      Effect.sync(() =>
        new ThreadTransport({
          threads,
          handlers,
          exportName: options.exportName ?? "handlers",
          threadPools,
          onThreadExit: options.onThreadExit,
          execArgv: options.execArgv
        })
      ),
      (t) => Effect.promise(() => t.close())
    )
    const service: Threads = {
      size: threads,
      load: () => transport.load(),
      kill: (cpu) => Effect.asVoid(Effect.promise(() => transport.kill(cpu))),
      dump: Effect.promise(() => transport.dump(1000))
    }
    return Context.make(Task.TaskTransport, transport as Task.Transport).pipe(Context.add(NodeThreads, service))
  }))
  const threads = options.threads ?? availableParallelism()
  const cpus = Number.isInteger(threads) && threads >= 1 ? threads : 1
  const poolsLayer = Layer.unwrapEffect(
    Effect.map(
      options.topology !== undefined ? Effect.succeed(options.topology) : NodeTopology.machine,
      (topology) =>
        WorkerPool.layer({
          ...options.pools,
          cpus,
          topology: options.pools?.topology ?? NodeTopology.forThreads(topology, cpus)
        })
    )
  )
  return Layer.merge(transportLayer, poolsLayer)
}
