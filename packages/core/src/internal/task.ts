/**
 * Schema-typed tasks: a work item whose body is a `Schema.TaggedRequest`
 * value, run by a handler that may live on another thread (or machine).
 *
 * The queueing side is a plain work item (`TaskWorkImpl extends WorkImpl`):
 * pending bit, non-reentrancy, flush colors and cancel are the engine's own.
 * Its effect hands the request to the `TaskTransport` service with the CPU
 * the running worker belongs to (bound pools) or the CPUs of its pool's
 * affinity scope (unbound pools), and suspends until the transport resumes it
 * with the task's `Exit`: the queueing worker blocks on async, so concurrency
 * management dispatches the next item.
 *
 * The serving side (`serve`) decodes the request with its own schema, runs the
 * registered handler and encodes the `Exit` with the request's success and
 * failure schemas. What crosses is the encoded form only: anything written
 * before a successful queue is part of the request value, encoded at dispatch,
 * so it is visible to the execution by construction (there is no shared
 * memory to order).
 *
 * @internal
 */
import * as Cause from "effect/Cause"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Fiber from "effect/Fiber"
import * as FiberId from "effect/FiberId"
import * as Layer from "effect/Layer"
import * as Schema from "effect/Schema"
import * as SchemaAST from "effect/SchemaAST"
import { cancelWork } from "./cancel.js"
import { currentFiber, workerOf } from "./current.js"
import * as Flags from "./flags.js"
import { WorkImpl } from "./work.js"
import { type AwayWork, finishAway, type WorkerImpl } from "./worker.js"
import { queue as queueInternal, queueOn as queueOnInternal, type WorkqueueImpl } from "./workqueue.js"
import type * as Errors from "./errors.js"

// -----------------------------------------------------------------------------
// errors (public API: re-exported by Task.ts, documented here)
// -----------------------------------------------------------------------------

/**
 * No handler is registered for the task's tag on the CPU that received it.
 *
 * @example
 * ```ts
 * import { Task } from "@cmwq/core"
 *
 * const error = new Task.TaskHandlerMissing({ task: "Add", known: [] })
 * error.message // "task Add: no handler registered (known: none)"
 * ```
 *
 * @since 0.1.0
 * @category errors
 */
export class TaskHandlerMissing extends Schema.TaggedError<TaskHandlerMissing>("@cmwq/TaskHandlerMissing")(
  "TaskHandlerMissing",
  { task: Schema.String, known: Schema.Array(Schema.String) }
) {
  override get message(): string {
    return `task ${this.task}: no handler registered (known: ${this.known.join(", ") || "none"})`
  }
}

/**
 * The task's request or result did not pass its schema (encode on one side,
 * decode on the other).
 *
 * @example
 * ```ts
 * import { Task } from "@cmwq/core"
 *
 * const error = new Task.TaskCodecError({ task: "Add", stage: "decode-request", reason: "expected a number" })
 * error.stage // "decode-request"
 * ```
 *
 * @since 0.1.0
 * @category errors
 */
export class TaskCodecError extends Schema.TaggedError<TaskCodecError>("@cmwq/TaskCodecError")(
  "TaskCodecError",
  {
    task: Schema.String,
    stage: Schema.Literal("encode-request", "decode-request", "encode-result", "decode-result"),
    reason: Schema.String
  }
) {
  override get message(): string {
    return `task ${this.task}: ${this.stage} failed: ${this.reason}`
  }
}

/**
 * The CPU running the task went away (a worker thread crashed or exited)
 * while the task ran on it. Tasks it had received but not started are sent
 * again elsewhere; only started ones fail with this.
 *
 * @example
 * ```ts
 * import { Task } from "@cmwq/core"
 *
 * const error = new Task.TaskCpuLost({ task: "Add", cpu: 1, reason: "exit code 1" })
 * error.message // "task Add: CPU 1 was lost while running it (exit code 1)"
 * ```
 *
 * @since 0.1.0
 * @category errors
 */
export class TaskCpuLost extends Schema.TaggedError<TaskCpuLost>("@cmwq/TaskCpuLost")(
  "TaskCpuLost",
  { task: Schema.String, cpu: Schema.Number, reason: Schema.String }
) {
  override get message(): string {
    return `task ${this.task}: CPU ${this.cpu} was lost while running it (${this.reason})`
  }
}

/** @internal */
export type TaskError = TaskHandlerMissing | TaskCodecError | TaskCpuLost

// -----------------------------------------------------------------------------
// handler registry
// -----------------------------------------------------------------------------

/** @internal any tagged request */
export type AnyRequest = Schema.TaggedRequest.All

/** @internal a request class: the schema that decodes a request with the tag */
export interface RequestClass<Req extends AnyRequest> {
  readonly _tag: Req["_tag"]
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  new(...args: any): Req
}

/** @internal the success type of a request */
export type Success<Req> = Req extends Schema.WithResult<infer A, infer _I, infer _E, infer _EI, infer _R> ? A : never
/** @internal the failure type of a request */
export type Failure<Req> = Req extends Schema.WithResult<infer _A, infer _I, infer E, infer _EI, infer _R> ? E : never

/** @internal one handler */
export interface Handler<R> {
  readonly tag: string
  readonly schema: Schema.Schema<AnyRequest, unknown>
  readonly handle: (request: AnyRequest) => Effect.Effect<unknown, unknown, R>
}

/** @internal symbol tagging registries */
export const RegistryTypeId: unique symbol = Symbol.for("@cmwq/core/Task/Registry")

/** @internal a handler registry */
export class RegistryImpl<R> {
  readonly [RegistryTypeId]: typeof RegistryTypeId = RegistryTypeId
  readonly byTag = new Map<string, Handler<R>>()
  readonly decoders = new Map<string, (u: unknown) => AnyRequest>()
  constructor(handlers: ReadonlyArray<Handler<R>>) {
    for (const h of handlers) {
      this.byTag.set(h.tag, h)
      this.decoders.set(h.tag, requestDecoder(h.schema))
    }
  }
}

/** @internal */
export const handler = <Req extends AnyRequest, R>(
  schema: RequestClass<Req>,
  handle: (request: Req) => Effect.Effect<Success<Req>, Failure<Req>, R>
): Handler<R> => ({
  tag: schema._tag,
  schema: schema as unknown as Schema.Schema<AnyRequest, unknown>,
  handle: handle as unknown as Handler<R>["handle"]
})

/** @internal the handlers service, for in-process transports */
export const TaskHandlersTag: Context.Tag<RegistryImpl<unknown>, RegistryImpl<unknown>> = Context.GenericTag<
  RegistryImpl<unknown>
>("@cmwq/core/TaskHandlers")

// -----------------------------------------------------------------------------
// the wire contract
// -----------------------------------------------------------------------------

/**
 * @internal what a serving side returns for one task: the Exit encoded with
 * the request's schemas, or a serving-side TaskError encoded with its own
 * schema. Plain data either way (structured clone and JSON carry it).
 */
export type WireResult =
  | { readonly ok: true; readonly exit: unknown }
  | { readonly ok: false; readonly error: unknown }

const ServeError = Schema.Union(TaskHandlerMissing, TaskCodecError, TaskCpuLost)
const encodeServeError = Schema.encodeSync(ServeError)
const decodeServeError = Schema.decodeUnknownSync(ServeError)
const isTaskError = (u: unknown): u is TaskError =>
  u instanceof TaskHandlerMissing || u instanceof TaskCodecError || u instanceof TaskCpuLost
const failWire = (error: TaskError): WireResult => ({
  ok: false,
  error: encodeServeError(error)
})

const interruptedExit = Schema.encodeSync(
  Schema.Exit({ success: Schema.Never, failure: Schema.Never, defect: Schema.Defect })
)(
  Exit.interrupt(FiberId.none)
)

/** @internal the result of a task interrupted before its handler started */
export const interruptedResult: WireResult = { ok: true, exit: interruptedExit }

/** @internal cached codecs per request class */
interface Codec {
  readonly encodeRequest: (a: AnyRequest) => unknown
  readonly encodeExit: (exit: Exit.Exit<unknown, unknown>) => unknown
  readonly decodeExit: (u: unknown) => Exit.Exit<unknown, unknown>
}

const codecs = new WeakMap<object, Codec>()

/**
 * Is the schema's encoded form its type (no transformation anywhere: numbers,
 * strings, booleans, literals, structs and arrays of those)? Then encoding is
 * a check (`Schema.is`) and a copy, and decoding a check: the fast paths
 * below produce exactly what the full codec would, for a fraction of its cost
 * (the full encode/decode of a class builds a ParseResult tree per task).
 */
const isIdentity = (schema: Schema.Schema.Any): boolean => SchemaAST.encodedAST(schema.ast) === schema.ast

/** the fields struct of a request class, if its encoding is the identity */
const identityFields = (ctor: unknown): Schema.Schema.Any | undefined => {
  const fields = (ctor as { readonly fields?: Schema.Struct.Fields }).fields
  if (fields === undefined) return undefined
  const struct = Schema.Struct(fields)
  return isIdentity(struct) ? struct : undefined
}

/** @internal decode a request with its class: fast when the encoding is the identity */
const requestDecoder = (schema: Schema.Schema<AnyRequest, unknown>): (u: unknown) => AnyRequest => {
  const full = Schema.decodeUnknownSync(schema)
  const struct = identityFields(schema)
  if (struct === undefined) return full
  const is = Schema.is(struct)
  const Ctor = schema as unknown as new(props: object, disableValidation: boolean) => AnyRequest
  return (u) => {
    // checked here, so the constructor's own check is skipped; anything else takes the full path (its error)
    if (!is(u)) return full(u)
    const { _tag: _, ...props } = u as { readonly _tag: string }
    return new Ctor(props, true)
  }
}

const codecOf = (request: AnyRequest): Codec => {
  const ctor = request.constructor
  let codec = codecs.get(ctor)
  if (codec === undefined) {
    const exitSchema = Schema.exitSchema(request as Schema.TaggedRequest.Any) as unknown as Schema.Schema<
      Exit.Exit<unknown, unknown>,
      unknown
    >
    const fullEncodeRequest = Schema.encodeSync(
      Schema.serializableSchema(request) as Schema.Schema<AnyRequest, unknown>
    )
    const fullEncodeExit = Schema.encodeSync(exitSchema)
    const fullDecodeExit = Schema.decodeUnknownSync(exitSchema)
    const struct = identityFields(ctor)
    const success = Schema.successSchema(request as Schema.TaggedRequest.Any) as Schema.Schema.Any
    const isSuccess: ((u: unknown) => boolean) | undefined = isIdentity(success) ? Schema.is(success) : undefined
    const isFields = struct === undefined ? undefined : Schema.is(struct)
    codec = {
      encodeRequest: isFields === undefined ? fullEncodeRequest : (a) => {
        if (!isFields(a)) return fullEncodeRequest(a)
        // the encoded form of an identity-encoded class: its own fields, as plain data
        return { ...a }
      },
      // only successes take a fast path (failures and defects carry causes: the full codec)
      encodeExit: isSuccess === undefined ? fullEncodeExit : (exit) =>
        Exit.isSuccess(exit) && isSuccess(exit.value)
          ? { _tag: "Success", value: exit.value }
          : fullEncodeExit(exit),
      decodeExit: isSuccess === undefined ? fullDecodeExit : (u) => {
        const wire = u as { readonly _tag?: unknown; readonly value?: unknown }
        return wire._tag === "Success" && isSuccess(wire.value) ? Exit.succeed(wire.value) : fullDecodeExit(u)
      }
    }
    codecs.set(ctor, codec)
  }
  return codec
}

const reasonOf = (u: unknown): string => (u instanceof Error ? u.message : String(u))

/** @internal encode a request for the wire (throws TaskCodecError) */
export const encodeRequest = (request: AnyRequest): unknown => {
  try {
    return codecOf(request).encodeRequest(request)
  } catch (e) {
    throw new TaskCodecError({ task: request._tag, stage: "encode-request", reason: reasonOf(e) })
  }
}

/** @internal decode a wire result into the task's Exit */
export const decodeResult = <A, E>(request: AnyRequest, wire: WireResult): Exit.Exit<A, E | TaskError> => {
  try {
    if (!wire.ok) return Exit.fail(decodeServeError(wire.error))
    return codecOf(request).decodeExit(wire.exit) as Exit.Exit<A, E>
  } catch (e) {
    return Exit.fail(new TaskCodecError({ task: request._tag, stage: "decode-result", reason: reasonOf(e) }))
  }
}

/**
 * @internal serve one task: decode, run the handler (or `run`, which gets
 * the decoded request), encode its Exit, and hand it to `reply` (also when
 * the fiber is interrupted from outside: the reply is an `onExit`
 * finalizer). A `TaskError` that `run` fails with is sent as a serving-side
 * error, so it reaches the caller typed.
 */
export const serve = <R>(
  registry: RegistryImpl<R>,
  tag: string,
  payload: unknown,
  reply: (result: WireResult) => void,
  run?: (request: AnyRequest) => Effect.Effect<unknown, unknown, R>
): Effect.Effect<void, never, R> => {
  const h = registry.byTag.get(tag)
  if (h === undefined) {
    return Effect.sync(() =>
      reply(failWire(new TaskHandlerMissing({ task: tag, known: Array.from(registry.byTag.keys()) })))
    )
  }
  let request: AnyRequest
  try {
    request = registry.decoders.get(tag)!(payload)
  } catch (e) {
    return Effect.sync(() =>
      reply(failWire(new TaskCodecError({ task: tag, stage: "decode-request", reason: reasonOf(e) })))
    )
  }
  const body = run === undefined ? () => h.handle(request) : () => run(request)
  return Effect.asVoid(Effect.exit(Effect.onExit(Effect.suspend(body), (exit) =>
    Effect.sync(() => {
      if (run !== undefined && Exit.isFailure(exit)) {
        const failure = Cause.failureOption(exit.cause)
        if (failure._tag === "Some" && isTaskError(failure.value)) return reply(failWire(failure.value))
      }
      let encoded: unknown
      try {
        encoded = codecOf(request).encodeExit(exit)
      } catch (e) {
        reply(failWire(new TaskCodecError({ task: tag, stage: "encode-result", reason: reasonOf(e) })))
        return
      }
      reply({ ok: true, exit: encoded })
    }))))
}

// -----------------------------------------------------------------------------
// transport
// -----------------------------------------------------------------------------

/** @internal where the running worker wants the task to run */
export interface Target {
  /** the CPU of a bound pool, or -1 (unbound: pick among `cpus`) */
  readonly cpu: number
  /** the CPUs the task may run on (a bound pool: its CPU; unbound: its affinity scope's pod) */
  readonly cpus: ReadonlyArray<number>
  readonly highpri: boolean
  readonly cpuIntensive: boolean
}

/**
 * @internal the handle of one run: while the task is in flight the transport
 * sets `interrupt`, and may set `where` (where the task runs, in words, for
 * `Work.explain`)
 */
export interface RunHandle {
  interrupt: (() => void) | null
  where?: string | null | undefined
}

/** @internal the transport service */
export interface TransportImpl {
  readonly run: (request: AnyRequest, target: Target, handle: RunHandle) => Effect.Effect<unknown, unknown>
  /**
   * Optional: hand the task on and return at once; `done` gets its Exit
   * exactly once, later (or inside `send`, e.g. when the request does not
   * encode). A transport with `send` runs task items away from the queueing
   * side's workers: no worker fiber waits while a task is in flight.
   */
  readonly send?: (
    request: AnyRequest,
    target: Target,
    handle: RunHandle,
    done: (exit: Exit.Exit<unknown, unknown>) => void
  ) => void
  /**
   * Optional: hand a batch of tasks on as one unit (one message where the
   * transport has messages) and return at once; `done` gets their Exits, in
   * the order of `requests`, exactly once, later (or inside `sendAll`).
   * `handle.interrupt` stops every task of the batch still running.
   * Without it, a batch (`runAll`) goes through `send`, or `run`, per task.
   */
  readonly sendAll?: (
    requests: ReadonlyArray<AnyRequest>,
    target: Target,
    handle: RunHandle,
    done: (exits: ReadonlyArray<Exit.Exit<unknown, unknown>>) => void
  ) => void
}

/** @internal */
export const TaskTransportTag: Context.Tag<TransportImpl, TransportImpl> = Context.GenericTag<TransportImpl>(
  "@cmwq/core/TaskTransport"
)

const outside: Target = { cpu: 0, cpus: [0], highpri: false, cpuIntensive: false }

/** targets per pool, [plain, CPU-intensive]: dispatch allocates none */
const targets = new WeakMap<object, readonly [Target, Target]>()

/** @internal the target of the running worker (CPU 0 outside workers) */
export const currentTarget = (): Target => {
  const fiber = currentFiber()
  const worker = fiber === undefined ? undefined : workerOf(fiber)
  return worker === undefined ? outside : targetOf(worker)
}

const targetOf = (worker: WorkerImpl): Target => {
  const pool = worker.pool
  let pair = targets.get(pool)
  if (pair === undefined) {
    const cpus = pool.cpu >= 0 ? [pool.cpu] : pool.cpumask
    pair = [
      { cpu: pool.cpu, cpus, highpri: pool.highpri, cpuIntensive: false },
      { cpu: pool.cpu, cpus, highpri: pool.highpri, cpuIntensive: true }
    ]
    targets.set(pool, pair)
  }
  const wq = worker.currentPwq?.wq
  return pair[wq !== undefined && (wq.flags & Flags.WQ_CPU_INTENSIVE) !== 0 ? 1 : 0]
}

/** @internal symbol tagging task items */
export const TaskWorkTypeId: unique symbol = Symbol.for("@cmwq/core/TaskWork")

/** a run's end: record the Exit, hand it on, and decide what the item itself reports */
const finish = (work: TaskWorkImpl, exit: Exit.Exit<unknown, unknown>): Effect.Effect<void, unknown> => {
  work.interrupt = null
  work.where = null
  work.last = exit
  if (work.onExit !== undefined) work.onExit(exit)
  if (Exit.isSuccess(exit) || work.delivered) return Effect.void
  return work.cancelling && Cause.isInterruptedOnly(exit.cause) ? Effect.void : exit
}

/**
 * The body every task item shares (one Effect for all of them: an item costs
 * no Effect allocation). The running worker's current item is the task.
 */
const taskBody: Effect.Effect<void, unknown> = Effect.withFiberRuntime((fiber) => {
  const worker = workerOf(fiber)!
  const work = worker.currentWork as TaskWorkImpl
  work.cancelling = false
  return Effect.flatMap(
    Effect.exit(work.transport.run(work.request, targetOf(worker), work)),
    (exit) => finish(work, exit)
  )
})

/** @internal a task item */
export class TaskWorkImpl extends WorkImpl implements RunHandle, AwayWork {
  declare readonly [TaskWorkTypeId]: typeof TaskWorkTypeId
  /** P: set by the transport while the task is in flight */
  interrupt: (() => void) | null = null
  /** P: may be set by the transport while the task is in flight: where it runs */
  where: string | null | undefined = null
  /** P: a cancel interrupted the current run (its interruption is not a failure) */
  cancelling = false
  /** P: the last run's Exit */
  last: Exit.Exit<unknown, unknown> | undefined = undefined
  constructor(
    readonly request: AnyRequest,
    readonly transport: TransportImpl,
    readonly onExit: ((exit: Exit.Exit<unknown, unknown>) => void) | undefined,
    name: string | undefined,
    /** I: the result goes to a waiting caller (`run`), so the item itself never fails */
    readonly delivered = false
  ) {
    super(taskBody, name)
    this.runsAway = transport.send !== undefined
  }
  override readonly runsAway: boolean
  /** P: the carrier while the task runs away (see `sendAway`) */
  carrier: WorkerImpl | null = null
  /** the run ends: as `finish`, then the carrier's retirement */
  readonly done = (exit: Exit.Exit<unknown, unknown>): void => {
    const carrier = this.carrier
    if (carrier === null) return
    this.carrier = null
    this.interrupt = null
    this.where = null
    this.last = exit
    if (this.onExit !== undefined) this.onExit(exit)
    const failed = Exit.isFailure(exit) && !this.delivered &&
      !(this.cancelling && Cause.isInterruptedOnly(exit.cause))
    finishAway(carrier, failed ? exit.cause : null)
  }
  /** started on `carrier` by a worker that goes straight on (worker.ts `runAway`) */
  sendAway(carrier: WorkerImpl): void {
    this.cancelling = false
    this.carrier = carrier
    this.transport.send!(this.request, targetOf(carrier), this, this.done)
  }
  override get name(): string | undefined {
    return super.name ?? this.request._tag
  }
}

Object.defineProperty(TaskWorkImpl.prototype, TaskWorkTypeId, { value: TaskWorkTypeId })

/** @internal */
export const make = (
  request: AnyRequest,
  options?: {
    readonly name?: string | undefined
    readonly onExit?: ((exit: Exit.Exit<unknown, unknown>) => void) | undefined
  }
): Effect.Effect<TaskWorkImpl, never, TransportImpl> =>
  Effect.map(TaskTransportTag, (transport) => new TaskWorkImpl(request, transport, options?.onExit, options?.name))

/** @internal interrupt the running instance, if any (does not wait) */
export const interruptRunning = (work: TaskWorkImpl): boolean => {
  const interrupt = work.interrupt
  if (interrupt === null) return false
  work.cancelling = true
  work.interrupt = null
  interrupt()
  return true
}

/**
 * @internal queue a fresh task item and wait for its Exit; interrupting the
 * caller cancels the task (pending: removed; running: interrupted where it
 * runs, and the caller's interruption ends once that run has)
 */
export const run = (
  wq: WorkqueueImpl,
  cpu: number | undefined,
  request: AnyRequest
): Effect.Effect<unknown, unknown, TransportImpl> =>
  Effect.flatMap(TaskTransportTag, (transport) => {
    let resume: ((exit: Exit.Exit<unknown, unknown>) => void) | null = null
    let result: Exit.Exit<unknown, unknown> | null = null
    // set while an interrupted caller waits for the interrupted run to end
    let ended: (() => void) | null = null
    const work = new TaskWorkImpl(
      request,
      transport,
      (exit) => {
        if (resume !== null) resume(exit)
        else {
          result = exit
          if (ended !== null) ended()
        }
      },
      undefined,
      true
    )
    // a TaskWorkImpl is always a valid item: InvalidWork cannot happen
    const queued = (cpu === undefined ? queueInternal(wq, -1, work) : queueOnInternal(wq, cpu, work)) as Effect.Effect<
      boolean,
      Errors.WorkqueueDestroyed | Errors.WorkqueueDraining | Errors.WorkqueueFull | Errors.InvalidCpu
    >
    return Effect.zipRight(
      queued,
      Effect.async<unknown, unknown>((cb) => {
        if (result !== null) return cb(result)
        resume = cb
        return Effect.suspend(() => {
          resume = null
          if (result !== null) return Effect.void
          // pending: off its queue, it never runs
          if (cancelWork(work, 0)) return Effect.void
          // running: interrupt it where it runs, and return once its run has ended (its
          // Exit is back), as an interrupted fiber's finalizers have run once it is over
          interruptRunning(work)
          if (result !== null) return Effect.void
          return Effect.async<void>((done) => {
            ended = () => done(Effect.void)
          })
        })
      })
    )
  })

// -----------------------------------------------------------------------------
// batches
// -----------------------------------------------------------------------------

/** @internal how many tasks one batch item carries by default (`runAll`) */
export const BATCH_DEFAULT = 1024

const noHandle: RunHandle = { interrupt: null }

/**
 * The body of a batch item on a transport with `run` only: every task of the
 * batch at once, in child fibers of the worker (interrupting the worker
 * interrupts them).
 */
const batchBody: Effect.Effect<void, unknown> = Effect.withFiberRuntime((fiber) => {
  const worker = workerOf(fiber)!
  const work = worker.currentWork as TaskBatchImpl
  const target = targetOf(worker)
  return Effect.map(
    Effect.forEach(work.requests, (r) => Effect.exit(work.transport.run(r, target, noHandle)), {
      concurrency: "unbounded"
    }),
    (exits) => work.onDone(exits)
  )
})

/**
 * @internal a batch item: one work item that carries many tasks (`runAll`).
 * The kernel knows no batches; this is the queueing side's answer to a
 * per-item cost that dominates tiny tasks: the batch takes one pending bit,
 * one `max_active` slot and one flush color, and travels as one unit to the
 * CPU its worker picked. Its tasks' results go to the caller, so the item
 * itself never fails.
 */
export class TaskBatchImpl extends WorkImpl implements RunHandle, AwayWork {
  /** P: set by the transport while the batch is in flight */
  interrupt: (() => void) | null = null
  /** P: the carrier while the batch runs away */
  carrier: WorkerImpl | null = null
  constructor(
    readonly requests: ReadonlyArray<AnyRequest>,
    readonly transport: TransportImpl,
    readonly onDone: (exits: ReadonlyArray<Exit.Exit<unknown, unknown>>) => void,
    name: string | undefined
  ) {
    super(batchBody, name)
    this.runsAway = transport.sendAll !== undefined || transport.send !== undefined
  }
  override readonly runsAway: boolean
  readonly done = (exits: ReadonlyArray<Exit.Exit<unknown, unknown>>): void => {
    const carrier = this.carrier
    if (carrier === null) return
    this.carrier = null
    this.interrupt = null
    this.onDone(exits)
    finishAway(carrier, null)
  }
  sendAway(carrier: WorkerImpl): void {
    this.carrier = carrier
    const target = targetOf(carrier)
    const transport = this.transport
    if (transport.sendAll !== undefined) {
      transport.sendAll(this.requests, target, this, this.done)
      return
    }
    // one `send` per task; the batch ends with its last
    const n = this.requests.length
    const exits = new Array<Exit.Exit<unknown, unknown>>(n)
    const handles: Array<RunHandle> = []
    let left = n
    this.interrupt = () => {
      for (const h of handles) if (h.interrupt !== null) h.interrupt()
    }
    for (let i = 0; i < n; i++) {
      const handle: RunHandle = { interrupt: null }
      handles.push(handle)
      transport.send!(this.requests[i]!, target, handle, (exit) => {
        handle.interrupt = null
        exits[i] = exit
        if (--left === 0) this.done(exits)
      })
    }
    if (n === 0) this.done(exits)
  }
}

/**
 * @internal queue `requests` as batch items of `size` tasks each and wait for
 * every Exit, in order. Interrupting the caller cancels the batches: pending
 * ones are removed, running ones interrupted where they run.
 */
export const runAll = (
  wq: WorkqueueImpl,
  cpu: number | undefined,
  requests: ReadonlyArray<AnyRequest>,
  size: number
): Effect.Effect<Array<Exit.Exit<unknown, unknown>>, unknown, TransportImpl> =>
  Effect.flatMap(TaskTransportTag, (transport) => {
    const n = requests.length
    const out = new Array<Exit.Exit<unknown, unknown>>(n)
    if (n === 0) return Effect.succeed(out)
    let resume: ((exit: Exit.Exit<Array<Exit.Exit<unknown, unknown>>>) => void) | null = null
    let left = Math.ceil(n / size)
    const items: Array<TaskBatchImpl> = []
    for (let start = 0; start < n; start += size) {
      const slice = requests.slice(start, start + size)
      items.push(
        new TaskBatchImpl(slice, transport, (exits) => {
          for (let i = 0; i < exits.length; i++) out[start + i] = exits[i]!
          if (--left === 0 && resume !== null) resume(Exit.succeed(out))
        }, `batch of ${slice.length}`)
      )
    }
    const queued = Effect.forEach(
      items,
      (item) => (cpu === undefined ? queueInternal(wq, -1, item) : queueOnInternal(wq, cpu, item)),
      { discard: true }
    ) as Effect.Effect<
      void,
      Errors.WorkqueueDestroyed | Errors.WorkqueueDraining | Errors.WorkqueueFull | Errors.InvalidCpu
    >
    const stop = () => {
      for (const item of items) {
        cancelWork(item, 0)
        const interrupt = item.interrupt
        item.interrupt = null
        if (interrupt !== null) interrupt()
      }
    }
    return Effect.zipRight(
      Effect.onError(queued, () => Effect.sync(stop)),
      Effect.async<Array<Exit.Exit<unknown, unknown>>>((cb) => {
        if (left === 0) return cb(Exit.succeed(out))
        resume = cb
        return Effect.sync(() => {
          resume = null
          stop()
        })
      })
    )
  })

// -----------------------------------------------------------------------------
// the in-process transport
// -----------------------------------------------------------------------------

/**
 * @internal run the handler on this thread, through the same encode/decode
 * as any other transport (a test of the schemas as much as of the items). The
 * handler runs in a child fiber of the queueing worker, so a cancel can
 * interrupt it without interrupting the worker.
 */
export const makeInProcess = <R>(
  registry: RegistryImpl<R>,
  context: { readonly value: Context.Context<R> }
): TransportImpl => ({
  run: (request, _target, handle) =>
    Effect.suspend(() => {
      let payload: unknown
      try {
        payload = encodeRequest(request)
      } catch (e) {
        return Effect.fail(e as TaskCodecError)
      }
      let wire: WireResult | null = null
      const served = Effect.provide(
        serve(registry, request._tag, payload, (r) => {
          wire = r
        }),
        context.value
      )
      return Effect.flatMap(Effect.fork(served), (fiber) => {
        handle.interrupt = () => {
          fiber.unsafeInterruptAsFork(FiberId.none)
        }
        // a run given up is over only once the handler is: interrupt it and wait for its finalizers
        return Effect.flatMap(Fiber.await(fiber), () => decodeResult(request, wire!)).pipe(
          Effect.onInterrupt(() => Fiber.interrupt(fiber))
        )
      })
    })
})

/** @internal the in-process transport layer (needs the handlers; handlers get the layer's context and this transport) */
export const layerInProcess: Layer.Layer<TransportImpl, never, RegistryImpl<unknown>> = Layer.effect(
  TaskTransportTag,
  Effect.flatMap(TaskHandlersTag, (registry) =>
    Effect.map(Effect.context<never>(), (context) => {
      const ctx: { value: Context.Context<unknown> } = { value: context as Context.Context<unknown> }
      const transport = makeInProcess(registry, ctx)
      ctx.value = Context.add(context, TaskTransportTag, transport) as Context.Context<unknown>
      return transport
    }))
)
