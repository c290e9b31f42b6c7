/**
 * Schema-typed tasks: work items whose body is a `Schema.TaggedRequest`
 * value, run by a registered handler wherever the `TaskTransport` puts it
 * (this thread, a worker thread, later another machine).
 *
 * A task item is a `Work`: queueing it while pending returns `false`, it
 * never runs twice at once, `flush` waits for it, `cancel` removes a pending
 * instance, and `Task.cancel`/`Task.cancelSync` also interrupt a running one
 * where it runs. On the queueing side its worker sends the request through
 * the transport and waits for the `Exit`: it blocks on async, so concurrency
 * management dispatches the next item while the task runs elsewhere.
 *
 * Handlers live in a module every CPU loads, as a `Task.Registry`
 * (`Task.registry(Task.handler(Add, ...))`).
 *
 * Memory visibility: what was written before a successful queue is visible to
 * the execution by construction. The task carries no reference to the
 * queueing side's memory: its request value is encoded with its schema when
 * it is dispatched and decoded where it runs, and its result comes back the
 * same way.
 *
 * @since 0.1.0
 */
import type * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import type * as Exit from "effect/Exit"
import * as Layer from "effect/Layer"
import type * as Option from "effect/Option"
import * as internal from "./internal/task.js"
import type { WorkqueueImpl } from "./internal/workqueue.js"
import * as WorkApi from "./internal/workApi.js"
import type { Work } from "./Work.js"
import type { Workqueue } from "./Workqueue.js"
import { InvalidOperation } from "./WorkqueueError.js"
import type {
  FlushDeadlock,
  InvalidCpu,
  WorkqueueDestroyed,
  WorkqueueDraining,
  WorkqueueFull
} from "./WorkqueueError.js"

export {
  /**
   * The CPU running the task went away (a worker thread crashed or exited)
   * while the task ran on it; names the task.
   *
   * @example
   * ```ts
   * import { Task } from "@cmwq/core"
   *
   * const error = new Task.TaskCpuLost({ task: "Add", cpu: 1, reason: "exit code 1" })
   * ```
   *
   * @since 0.1.0
   * @category errors
   */
  TaskCpuLost,
  /**
   * A request or result that did not pass its schema.
   *
   * @example
   * ```ts
   * import { Task } from "@cmwq/core"
   *
   * const error = new Task.TaskCodecError({ task: "Add", stage: "decode-request", reason: "expected a number" })
   * ```
   *
   * @since 0.1.0
   * @category errors
   */
  TaskCodecError,
  /**
   * No handler for the task's tag where it was sent.
   *
   * @example
   * ```ts
   * import { Task } from "@cmwq/core"
   *
   * const error = new Task.TaskHandlerMissing({ task: "Add", known: [] })
   * ```
   *
   * @since 0.1.0
   * @category errors
   */
  TaskHandlerMissing
} from "./internal/task.js"

/**
 * The errors a task can fail with besides its own failure schema.
 *
 * @example
 * ```ts
 * import { Task } from "@cmwq/core"
 *
 * declare const error: Task.TaskError
 * const tag = error._tag // "TaskHandlerMissing" | "TaskCodecError" | "TaskCpuLost"
 * ```
 *
 * @since 0.1.0
 * @category errors
 */
export type TaskError = internal.TaskError

/**
 * Any `Schema.TaggedRequest` value.
 *
 * @example
 * ```ts
 * import { Task } from "@cmwq/core"
 *
 * declare const request: Task.Request
 * const tag: string = request._tag
 * ```
 *
 * @since 0.1.0
 * @category models
 */
export type Request = internal.AnyRequest

/**
 * A `Schema.TaggedRequest` class (the schema of its requests).
 *
 * @example
 * ```ts
 * import { Task } from "@cmwq/core"
 *
 * declare const Ctor: Task.RequestClass<Task.Request>
 * const tag: string = Ctor._tag
 * ```
 *
 * @since 0.1.0
 * @category models
 */
export type RequestClass<Req extends Request> = internal.RequestClass<Req>

/**
 * The success type of a request.
 *
 * @example
 * ```ts
 * import { Task } from "@cmwq/core"
 *
 * type N = Task.Success<Task.Request> // the success type of a request
 * ```
 *
 * @since 0.1.0
 * @category models
 */
export type Success<Req> = internal.Success<Req>

/**
 * The failure type of a request.
 *
 * @example
 * ```ts
 * import { Task } from "@cmwq/core"
 *
 * type E = Task.Failure<Task.Request> // the failure type of a request
 * ```
 *
 * @since 0.1.0
 * @category models
 */
export type Failure<Req> = internal.Failure<Req>

/**
 * One registered handler.
 *
 * @example
 * ```ts
 * import { Task } from "@cmwq/core"
 *
 * declare const handler: Task.Handler<never>
 * const handlers = Task.registry(handler)
 * ```
 *
 * @since 0.1.0
 * @category models
 */
export type Handler<R> = internal.Handler<R>

/**
 * The handlers of a module every CPU loads. `R` is what the handlers need:
 * at most `WorkerPools` and `TaskTransport`, which every CPU provides (its
 * own pools, and a transport that keeps queued tasks on that CPU).
 *
 * @example
 * ```ts
 * import { Task } from "@cmwq/core"
 *
 * declare const handlers: Task.Registry
 * const layer = Task.handlers(handlers)
 * ```
 *
 * @since 0.1.0
 * @category models
 */
export interface Registry<R = never> {
  readonly [internal.RegistryTypeId]: typeof internal.RegistryTypeId
  readonly byTag: ReadonlyMap<string, Handler<R>>
}

/**
 * A handler for the requests of `schema`. Its success and failure are
 * checked against the request's schemas.
 *
 * @example
 * ```ts
 * import { Effect, Schema } from "effect"
 * import { Task } from "@cmwq/core"
 *
 * class Add extends Schema.TaggedRequest<Add>()("Add", {
 *   payload: { a: Schema.Number, b: Schema.Number },
 *   success: Schema.Number,
 *   failure: Schema.Never
 * }) {}
 *
 * const add = Task.handler(Add, ({ a, b }) => Effect.succeed(a + b))
 * ```
 *
 * @since 0.1.0
 * @category constructors
 */
export const handler: <Req extends Request, R = never>(
  schema: RequestClass<Req>,
  handle: (request: Req) => Effect.Effect<Success<Req>, Failure<Req>, R>
) => Handler<R> = internal.handler

/**
 * A registry of handlers (export it from the module your threads load).
 *
 * @example
 * ```ts
 * import { Effect, Schema } from "effect"
 * import { Task } from "@cmwq/core"
 *
 * class Add extends Schema.TaggedRequest<Add>()("Add", {
 *   payload: { a: Schema.Number, b: Schema.Number },
 *   success: Schema.Number,
 *   failure: Schema.Never
 * }) {}
 *
 * export const handlers = Task.registry(Task.handler(Add, ({ a, b }) => Effect.succeed(a + b)))
 * ```
 *
 * @since 0.1.0
 * @category constructors
 */
export const registry = <R>(...handlers: ReadonlyArray<Handler<R>>): Registry<R> => new internal.RegistryImpl(handlers)

/**
 * Is `u` a registry?
 *
 * @example
 * ```ts
 * import { Task } from "@cmwq/core"
 *
 * Task.isRegistry(Task.registry()) // true
 * ```
 *
 * @since 0.1.0
 * @category guards
 */
export const isRegistry = (u: unknown): u is Registry<unknown> =>
  typeof u === "object" && u !== null && internal.RegistryTypeId in u

/**
 * The handlers service (what the in-process transport runs).
 *
 * @example
 * ```ts
 * import { Layer } from "effect"
 * import { Task } from "@cmwq/core"
 *
 * declare const handlers: Task.Registry
 * const layer = Task.layerInProcess.pipe(Layer.provide(Task.handlers(handlers)))
 * ```
 *
 * @since 0.1.0
 * @category tags
 */
export const TaskHandlers: Context.Tag<Registry<unknown>, Registry<unknown>> = internal
  .TaskHandlersTag as unknown as Context.Tag<
    Registry<unknown>,
    Registry<unknown>
  >

/**
 * Provide handlers as the `TaskHandlers` service.
 *
 * @example
 * ```ts
 * import { Effect, Schema } from "effect"
 * import { Task } from "@cmwq/core"
 *
 * class Add extends Schema.TaggedRequest<Add>()("Add", {
 *   payload: { a: Schema.Number, b: Schema.Number },
 *   success: Schema.Number,
 *   failure: Schema.Never
 * }) {}
 *
 * const layer = Task.handlers(Task.handler(Add, ({ a, b }) => Effect.succeed(a + b)))
 * ```
 *
 * @since 0.1.0
 * @category layers
 */
export const handlers = <R>(...hs: ReadonlyArray<Handler<R> | Registry<R>>): Layer.Layer<Registry<unknown>> =>
  Layer.succeed(
    TaskHandlers,
    registry(...hs.flatMap((h) => (isRegistry(h) ? Array.from(h.byTag.values()) : [h]))) as Registry<unknown>
  )

/**
 * Where the running worker wants a task to run: the CPU of a bound pool
 * (`cpu >= 0`), or the CPUs of an unbound pool's affinity-scope pod
 * (`cpu === -1`, pick among `cpus`, least loaded first), and the workqueue
 * attributes the CPU's own pools should honour.
 *
 * @example
 * ```ts
 * import { Task } from "@cmwq/core"
 *
 * declare const target: Task.Target
 * const unbound = target.cpu === -1
 * ```
 *
 * @since 0.1.0
 * @category models
 */
export type Target = internal.Target

/**
 * One run of a task: the transport sets `interrupt` while the task is in
 * flight (`Task.cancel` calls it), and may set `where`: where the task runs,
 * in words (a thread CPU, a cluster entity), which `Work.explain` reports.
 *
 * @example
 * ```ts
 * import { Task } from "@cmwq/core"
 *
 * declare const handle: Task.RunHandle
 * handle.interrupt = () => {} // set by a transport while the task is in flight
 * handle.where = "thread CPU 1" // shown by Work.explain while it runs
 * ```
 *
 * @since 0.1.0
 * @category models
 */
export type RunHandle = internal.RunHandle

/**
 * What a serving side returns for one task: its `Exit` encoded with the
 * request's schemas, or a transport error.
 *
 * @example
 * ```ts
 * import { Task } from "@cmwq/core"
 *
 * const ok: Task.WireResult = { ok: true, exit: { _tag: "Success", value: 3 } }
 * ```
 *
 * @since 0.1.0
 * @category models
 */
export type WireResult = internal.WireResult

/**
 * The result of a task interrupted before its handler started (a serving
 * side that drops a task on an interrupt request replies with it).
 *
 * @example
 * ```ts
 * import { Task } from "@cmwq/core"
 *
 * const reply = (result: Task.WireResult) => result
 * reply(Task.interruptedResult)
 * ```
 *
 * @since 0.1.0
 * @category transport
 */
export const interruptedResult: WireResult = internal.interruptedResult

/**
 * A transport: sends a request to a CPU, resumes with the task's result (its
 * success, its typed failure, or a `TaskError`). Implementations encode with
 * `encodeRequest`, serve with `serve`, and decode with `decodeResult`.
 *
 * @example
 * ```ts
 * import { Layer } from "effect"
 * import { Task } from "@cmwq/core"
 *
 * declare const transport: Task.Transport
 * const layer = Layer.succeed(Task.TaskTransport, transport)
 * ```
 *
 * @since 0.1.0
 * @category models
 */
export interface Transport {
  readonly run: (request: Request, target: Target, handle: RunHandle) => Effect.Effect<unknown, unknown>
  /**
   * Optional: hand the task on and return at once, calling `done` with its
   * Exit exactly once when it ends (inside `send` if it cannot be sent). With
   * `send`, a task item stays running (pending bit, non-reentrancy, flush
   * colors, max_active, cancel through `handle`) while no queueing-side
   * worker waits for it: the worker that started it takes the next item.
   */
  readonly send?: (
    request: Request,
    target: Target,
    handle: RunHandle,
    done: (exit: Exit.Exit<unknown, unknown>) => void
  ) => void
  /**
   * Optional: hand a batch of tasks (`runAll`) on as one unit and return at
   * once, calling `done` with their Exits, in order, exactly once.
   * `handle.interrupt` stops every task of the batch still running. Without
   * it, a batch goes through `send`, or `run`, per task.
   */
  readonly sendAll?: (
    requests: ReadonlyArray<Request>,
    target: Target,
    handle: RunHandle,
    done: (exits: ReadonlyArray<Exit.Exit<unknown, unknown>>) => void
  ) => void
}

/**
 * The transport service tag.
 *
 * @example
 * ```ts
 * import { Layer } from "effect"
 * import { Task } from "@cmwq/core"
 *
 * declare const transport: Task.Transport
 * const layer = Layer.succeed(Task.TaskTransport, transport)
 * ```
 *
 * @since 0.1.0
 * @category tags
 */
export const TaskTransport: Context.Tag<Transport, Transport> = internal.TaskTransportTag

/**
 * The in-process transport: runs each task's handler on this thread, through
 * the same encode and decode as a thread or network transport. Handlers get
 * the layer's context (e.g. `WorkerPools`) and this transport.
 *
 * @example
 * ```ts
 * import { Effect, Layer, Schema } from "effect"
 * import { Task, Workqueue, WorkerPool } from "@cmwq/core"
 *
 * class Add extends Schema.TaggedRequest<Add>()("Add", {
 *   payload: { a: Schema.Number, b: Schema.Number },
 *   success: Schema.Number,
 *   failure: Schema.Never
 * }) {}
 *
 * const live = Task.layerInProcess.pipe(
 *   Layer.provide(Task.handlers(Task.handler(Add, ({ a, b }) => Effect.succeed(a + b)))),
 *   Layer.provideMerge(WorkerPool.layer())
 * )
 *
 * const program = Effect.gen(function*() {
 *   const wq = yield* Workqueue.alloc("math")
 *   return yield* Task.run(wq, new Add({ a: 1, b: 2 }))
 * })
 *
 * Effect.runPromise(program.pipe(Effect.scoped, Effect.provide(live)))
 * ```
 *
 * @since 0.1.0
 * @category layers
 */
export const layerInProcess: Layer.Layer<Transport, never, Registry<unknown>> = internal
  .layerInProcess

/**
 * A task item: a `Work` that runs one request.
 *
 * @example
 * ```ts
 * import { Task } from "@cmwq/core"
 *
 * declare const work: Task.TaskWork
 * const isTask = Task.isTaskWork(work) // true
 * ```
 *
 * @since 0.1.0
 * @category models
 */
export interface TaskWork<Req extends Request = Request> extends Work {
  readonly request: Req
}

/**
 * Make a task item for `request` (reusable: queue it as often as you like;
 * each run sends the same request). `onExit` sees each run's result; without
 * it a failure is reported as any failing item's is.
 *
 * @example
 * ```ts
 * import { Effect, Schema } from "effect"
 * import { Task, Workqueue } from "@cmwq/core"
 *
 * class Add extends Schema.TaggedRequest<Add>()("Add", {
 *   payload: { a: Schema.Number, b: Schema.Number },
 *   success: Schema.Number,
 *   failure: Schema.Never
 * }) {}
 *
 * const program = (wq: Workqueue.Workqueue) =>
 *   Effect.gen(function*() {
 *     const work = yield* Task.make(new Add({ a: 1, b: 2 }), { onExit: (exit) => console.log(exit) })
 *     yield* Workqueue.queue(wq, work)
 *   })
 * ```
 *
 * @since 0.1.0
 * @category constructors
 */
export const make = <Req extends Request>(
  request: Req,
  options?: {
    readonly name?: string | undefined
    readonly onExit?: ((exit: Exit.Exit<Success<Req>, Failure<Req> | TaskError>) => void) | undefined
  }
): Effect.Effect<TaskWork<Req>, never, Transport> =>
  internal.make(request, options as never) as unknown as Effect.Effect<TaskWork<Req>, never, Transport>

/**
 * A synchronous task-item constructor bound to the current transport: for
 * making many items in a loop without running an Effect per item.
 *
 * @example
 * ```ts
 * import { Effect, Schema } from "effect"
 * import { Task, Workqueue } from "@cmwq/core"
 *
 * class Add extends Schema.TaggedRequest<Add>()("Add", {
 *   payload: { a: Schema.Number, b: Schema.Number },
 *   success: Schema.Number,
 *   failure: Schema.Never
 * }) {}
 *
 * const queueMany = (wq: Workqueue.Workqueue) =>
 *   Effect.gen(function*() {
 *     const make = yield* Task.maker
 *     for (let i = 0; i < 1000; i++) Workqueue.unsafeQueue(wq, make(new Add({ a: i, b: 1 })))
 *   })
 * ```
 *
 * @since 0.1.0
 * @category constructors
 */
export const maker: Effect.Effect<
  <Req extends Request>(
    request: Req,
    options?: {
      readonly name?: string | undefined
      readonly onExit?: ((exit: Exit.Exit<Success<Req>, Failure<Req> | TaskError>) => void) | undefined
    }
  ) => TaskWork<Req>,
  never,
  Transport
> = Effect.map(
  internal.TaskTransportTag,
  (transport) => (request, options) =>
    new internal.TaskWorkImpl(request, transport, options?.onExit as never, options?.name) as unknown as TaskWork<
      typeof request
    >
)

/**
 * Is `u` a task item?
 *
 * @example
 * ```ts
 * import { Task, Work } from "@cmwq/core"
 *
 * Task.isTaskWork(Work.sync(() => {})) // false
 * ```
 *
 * @since 0.1.0
 * @category guards
 */
export const isTaskWork = (u: unknown): u is TaskWork => u instanceof internal.TaskWorkImpl

/**
 * The last finished run's result, if any.
 *
 * @example
 * ```ts
 * import { Task } from "@cmwq/core"
 *
 * declare const work: Task.TaskWork
 * const last = Task.lastExit(work)
 * ```
 *
 * @since 0.1.0
 * @category getters
 */
export const lastExit = <Req extends Request>(
  work: TaskWork<Req>
): Option.Option<Exit.Exit<Success<Req>, Failure<Req> | TaskError>> => {
  const last = (work as unknown as internal.TaskWorkImpl).last
  return (last === undefined ? { _tag: "None" } : { _tag: "Some", value: last }) as never
}

/**
 * Queue `request` as a fresh task item on the current CPU (bound
 * workqueues) and wait for its result. Interrupting the caller cancels the
 * task: a pending one is dropped by its queue, a running one is interrupted
 * where it runs.
 *
 * @example
 * ```ts
 * import { Effect, Schema } from "effect"
 * import { Task, Workqueue } from "@cmwq/core"
 *
 * class Add extends Schema.TaggedRequest<Add>()("Add", {
 *   payload: { a: Schema.Number, b: Schema.Number },
 *   success: Schema.Number,
 *   failure: Schema.Never
 * }) {}
 *
 * const three = (wq: Workqueue.Workqueue) => Task.run(wq, new Add({ a: 1, b: 2 }))
 * ```
 *
 * @since 0.1.0
 * @category combinators
 */
export const run = <Req extends Request>(
  wq: Workqueue,
  request: Req
): Effect.Effect<
  Success<Req>,
  Failure<Req> | TaskError | WorkqueueDestroyed | WorkqueueDraining | WorkqueueFull,
  Transport
> => internal.run(wq as unknown as WorkqueueImpl, undefined, request) as never

/**
 * `run` on CPU `cpu` (`Workqueue.queueOn`).
 *
 * @example
 * ```ts
 * import { Effect, Schema } from "effect"
 * import { Task, Workqueue } from "@cmwq/core"
 *
 * class Add extends Schema.TaggedRequest<Add>()("Add", {
 *   payload: { a: Schema.Number, b: Schema.Number },
 *   success: Schema.Number,
 *   failure: Schema.Never
 * }) {}
 *
 * const onCpu1 = (wq: Workqueue.Workqueue) => Task.runOn(wq, 1, new Add({ a: 1, b: 2 }))
 * ```
 *
 * @since 0.1.0
 * @category combinators
 */
export const runOn = <Req extends Request>(
  wq: Workqueue,
  cpu: number,
  request: Req
): Effect.Effect<
  Success<Req>,
  Failure<Req> | TaskError | WorkqueueDestroyed | WorkqueueDraining | WorkqueueFull | InvalidCpu,
  Transport
> => internal.run(wq as unknown as WorkqueueImpl, cpu, request) as never

/**
 * Run many tasks as batch items of `size` tasks each (default 1024) and wait
 * for every task's Exit, in the order of `requests`. A batch is one work
 * item: one pending bit, one `max_active` slot, one flush color, and one
 * unit on the transport (with `NodeThreads`, one message to the thread the
 * batch's worker picked, where every task of it still runs as its own item
 * of the thread's pools). This is the path for many tiny tasks, whose cost
 * per item would otherwise dominate. Interrupting the caller cancels the
 * batches: pending ones are removed, running ones interrupted where they
 * run. `size` that is not a whole number, 1 or more, fails with
 * `InvalidOperation`.
 *
 * @example
 * ```ts
 * import { Effect, Exit, Schema } from "effect"
 * import { Task, Workqueue } from "@cmwq/core"
 *
 * class Add extends Schema.TaggedRequest<Add>()("Add", {
 *   payload: { a: Schema.Number, b: Schema.Number },
 *   success: Schema.Number,
 *   failure: Schema.Never
 * }) {}
 *
 * const sums = (wq: Workqueue.Workqueue) =>
 *   Task.runAll(wq, Array.from({ length: 10_000 }, (_, i) => new Add({ a: i, b: 1 }))).pipe(
 *     Effect.map((exits) => exits.filter(Exit.isSuccess).length)
 *   )
 * ```
 *
 * @since 0.1.0
 * @category combinators
 */
export const runAll = <Req extends Request>(
  wq: Workqueue,
  requests: ReadonlyArray<Req>,
  options?: { readonly size?: number | undefined }
): Effect.Effect<
  Array<Exit.Exit<Success<Req>, Failure<Req> | TaskError>>,
  WorkqueueDestroyed | WorkqueueDraining | WorkqueueFull | InvalidOperation,
  Transport
> => runAllImpl(wq, undefined, requests, options) as never

/**
 * `runAll` on CPU `cpu` (`Workqueue.queueOn`): every batch goes to it.
 *
 * @example
 * ```ts
 * import { Schema } from "effect"
 * import { Task, Workqueue } from "@cmwq/core"
 *
 * class Add extends Schema.TaggedRequest<Add>()("Add", {
 *   payload: { a: Schema.Number, b: Schema.Number },
 *   success: Schema.Number,
 *   failure: Schema.Never
 * }) {}
 *
 * const onCpu1 = (wq: Workqueue.Workqueue) => Task.runAllOn(wq, 1, [new Add({ a: 1, b: 2 }), new Add({ a: 3, b: 4 })])
 * ```
 *
 * @since 0.1.0
 * @category combinators
 */
export const runAllOn = <Req extends Request>(
  wq: Workqueue,
  cpu: number,
  requests: ReadonlyArray<Req>,
  options?: { readonly size?: number | undefined }
): Effect.Effect<
  Array<Exit.Exit<Success<Req>, Failure<Req> | TaskError>>,
  WorkqueueDestroyed | WorkqueueDraining | WorkqueueFull | InvalidCpu | InvalidOperation,
  Transport
> => runAllImpl(wq, cpu, requests, options) as never

const runAllImpl = (
  wq: Workqueue,
  cpu: number | undefined,
  requests: ReadonlyArray<Request>,
  options: { readonly size?: number | undefined } | undefined
) => {
  const size = options?.size ?? internal.BATCH_DEFAULT
  const impl = wq as unknown as WorkqueueImpl
  if (!Number.isSafeInteger(size) || size < 1) {
    return Effect.fail(
      new InvalidOperation({
        operation: cpu === undefined ? "Task.runAll" : "Task.runAllOn",
        workqueue: impl.name,
        reason: `batch size must be a whole number, 1 or more (got ${size})`
      })
    )
  }
  return internal.runAll(impl, cpu, requests, size)
}

/**
 * Cancel a task item: remove a pending instance and interrupt a running one
 * where it runs (does not wait for it to stop). Returns whether it was
 * pending. An interruption caused by a cancel is not reported as a failure.
 *
 * @example
 * ```ts
 * import { Task } from "@cmwq/core"
 *
 * declare const work: Task.TaskWork
 * const cancelled = Task.cancel(work)
 * ```
 *
 * @since 0.1.0
 * @category combinators
 */
export const cancel = (work: TaskWork): Effect.Effect<boolean> =>
  Effect.flatMap(WorkApi.cancel(work as never), (pending) =>
    Effect.sync(() => {
      internal.interruptRunning(work as unknown as internal.TaskWorkImpl)
      return pending
    }))

/**
 * `cancel`, then wait until the running instance has stopped (its
 * interruption acknowledged by the CPU that ran it). `Work.cancelSync`.
 *
 * @example
 * ```ts
 * import { Task } from "@cmwq/core"
 *
 * declare const work: Task.TaskWork
 * const cancelled = Task.cancelSync(work)
 * ```
 *
 * @since 0.1.0
 * @category combinators
 */
export const cancelSync = (work: TaskWork): Effect.Effect<boolean, FlushDeadlock> =>
  Effect.flatMap(cancel(work), (pending) => Effect.as(WorkApi.cancelSync(work as never, false), pending))

/**
 * Encode a request for the wire (transport implementations). Throws
 * `TaskCodecError`.
 *
 * @example
 * ```ts
 * import { Effect, Schema } from "effect"
 * import { Task } from "@cmwq/core"
 *
 * class Add extends Schema.TaggedRequest<Add>()("Add", {
 *   payload: { a: Schema.Number, b: Schema.Number },
 *   success: Schema.Number,
 *   failure: Schema.Never
 * }) {}
 *
 * const wire = Task.encodeRequest(new Add({ a: 1, b: 2 })) // { _tag: "Add", a: 1, b: 2 }
 * ```
 *
 * @since 0.1.0
 * @category transport
 */
export const encodeRequest: (request: Request) => unknown = internal.encodeRequest

/**
 * Decode a serving side's result into the task's `Exit` (transport
 * implementations).
 *
 * @example
 * ```ts
 * import { Task } from "@cmwq/core"
 *
 * declare const request: Task.Request
 * const exit = Task.decodeResult(request, { ok: true, exit: { _tag: "Success", value: 3 } })
 * ```
 *
 * @since 0.1.0
 * @category transport
 */
export const decodeResult: <A, E>(request: Request, wire: WireResult) => Exit.Exit<A, E | TaskError> =
  internal.decodeResult

/**
 * Serve one encoded task where it runs: decode it with its handler's schema,
 * run the handler, and hand the encoded `Exit` to `reply` (also when the
 * serving fiber is interrupted from outside). Transport implementations run
 * this effect as a work item of the serving CPU's own pools.
 *
 * With `run`, the decoded request goes to `run` instead of its handler: a
 * serving side that hands the task on (to its own thread CPUs, say) with
 * `Task.run`. A `TaskError` that `run` fails with (a lost CPU, say) is
 * replied as such, so the caller gets it typed; every other outcome is
 * encoded with the request's schemas, as a handler's is.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { Task, type Workqueue } from "@cmwq/core"
 *
 * declare const handlers: Task.Registry
 * declare const wq: Workqueue.Workqueue
 * declare const threads: Task.Transport
 * const served = Task.serve(handlers, "Add", { _tag: "Add", a: 1, b: 2 }, (result) => console.log(result))
 * // decoded here, run on the CPUs behind `threads`
 * const handedOn = Task.serve(handlers, "Add", { _tag: "Add", a: 1, b: 2 }, (result) => console.log(result), {
 *   run: (request) => Task.run(wq, request).pipe(Effect.provideService(Task.TaskTransport, threads))
 * })
 * ```
 *
 * @since 0.1.0
 * @category transport
 */
export const serve = <R>(
  registry: Registry<R>,
  tag: string,
  payload: unknown,
  reply: (result: WireResult) => void,
  options?: {
    /** run the decoded request with this instead of its handler */
    readonly run?: ((request: Request) => Effect.Effect<unknown, unknown, R>) | undefined
  }
): Effect.Effect<void, never, R> =>
  internal.serve(registry as unknown as internal.RegistryImpl<R>, tag, payload, reply, options?.run)
