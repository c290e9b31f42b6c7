/**
 * Tasks on an `@effect/cluster` cluster.
 *
 * The wire: one persisted RPC, `Run`, whose payload is a task's encoded
 * request (`Task.encodeRequest`) and whose reply is the `Task.WireResult` the
 * serving side produced (`Task.serve`). Two entity types carry it:
 *
 * - `cmwq/Task` (any number of messages per entity id at once): tasks with no
 *   key, spread over a fixed set of lane ids, so over the shards and so over
 *   the runners.
 * - `cmwq/SerialTask` (one message per entity id at a time): tasks with a key
 *   (the request's `PrimaryKey`, or the `serialize` option). One id is
 *   processed one message at a time, on one runner: non-reentrancy of a keyed
 *   task across every queueing process, and an ordered stream of tasks when
 *   every task of a workqueue gets the same id.
 *
 * Queueing side: `makeTransport` is a `Task.Transport`. The queueing process
 * keeps its own `@cmwq/core` workqueues (pending bit, non-reentrancy, flush
 * colors, max_active, cancel); each task item's body sends its request as a
 * `Run` message and waits for the reply, so the queueing worker blocks on it
 * and concurrency management dispatches the next item meanwhile.
 *
 * Runner side: `makeRunner` registers both entity types; every received
 * message runs on a local `@cmwq/core` workqueue (UNBOUND, its max_active the
 * runner's share of the cluster-wide one, as `wq_update_node_max_active`
 * splits an unbound workqueue's max_active over NUMA nodes).
 *
 * @internal
 */
import { Task, Workqueue, type WorkerPool } from "@cmwq/core"
import * as ClusterSchema from "@effect/cluster/ClusterSchema"
import * as DeliverAt from "@effect/cluster/DeliverAt"
import * as Entity from "@effect/cluster/Entity"
import { EntityAddress } from "@effect/cluster/EntityAddress"
import * as EntityId from "@effect/cluster/EntityId"
import * as Message from "@effect/cluster/Message"
import * as Reply from "@effect/cluster/Reply"
import { MessageStorage } from "@effect/cluster/MessageStorage"
import { Sharding } from "@effect/cluster/Sharding"
import { ShardingConfig } from "@effect/cluster/ShardingConfig"
import * as Rpc from "@effect/rpc/Rpc"
import * as Clock from "effect/Clock"
import { type Context, GenericTag, type Tag } from "effect/Context"
import * as DateTime from "effect/DateTime"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Fiber from "effect/Fiber"
import * as FiberId from "effect/FiberId"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as PrimaryKey from "effect/PrimaryKey"
import * as Schedule from "effect/Schedule"
import * as Schema from "effect/Schema"
import * as Scope from "effect/Scope"
import * as Deferred from "effect/Deferred"
import { InvalidClusterOption, RunnerShutdownTimeout } from "./errors.js"

// -----------------------------------------------------------------------------
// the wire
// -----------------------------------------------------------------------------

/**
 * @internal one task as an entity message. `id` is the message's primary key
 * (the storage keeps one message per key: a second message with the same key
 * is a duplicate and is not stored again); `deliverAt` is when the storage
 * may deliver it (epoch milliseconds, 0 = now).
 */
export class TaskMessage extends Schema.Class<TaskMessage>("@cmwq/cluster/TaskMessage")({
  queue: Schema.String,
  tag: Schema.String,
  request: Schema.Unknown,
  id: Schema.String,
  deliverAt: Schema.Number
}) {
  [PrimaryKey.symbol](): string {
    return this.id
  }
  [DeliverAt.symbol](): DateTime.DateTime {
    return DateTime.unsafeMake(this.deliverAt)
  }
}

/** @internal the RPC: a task in, its encoded result out; stored until it has a reply */
export const Run = Rpc.make("Run", { payload: TaskMessage, success: Schema.Unknown }).annotate(
  ClusterSchema.Persisted,
  true
)

/** @internal tasks with no key: any number at once per entity id */
export const TaskEntity = Entity.make("cmwq/Task", [Run])

/** @internal tasks with a key: one at a time per entity id */
export const SerialTaskEntity = Entity.make("cmwq/SerialTask", [Run])

/** @internal the counters of one runner, or of one workqueue on it, on the wire */
export const CountersSchema = Schema.Struct({
  received: Schema.Number,
  inFlight: Schema.Number,
  succeeded: Schema.Number,
  failed: Schema.Number,
  interrupted: Schema.Number
})

/** @internal what one runner reports to the stats board */
export const ReportSchema = Schema.Struct({
  runner: Schema.String,
  share: Schema.Number,
  counters: CountersSchema,
  queues: Schema.Record({ key: Schema.String, value: CountersSchema })
})

/** @internal a report as the board keeps it: with the board's own time of receipt */
export const BoardEntrySchema = Schema.Struct({ report: ReportSchema, receivedAt: Schema.Number })

/** @internal a runner's report (not persisted: the next one replaces it) */
export const Report = Rpc.make("Report", { payload: ReportSchema })

/** @internal a runner that leaves (graceful shutdown) is taken off the board */
export const Leave = Rpc.make("Leave", { payload: { runner: Schema.String } })

/** @internal a report as `Read` returns it: with its age on the board's clock (ms) */
export const BoardReadSchema = Schema.Struct({ report: ReportSchema, age: Schema.Number })

/** @internal every report younger than `maxAge` ms */
export const Read = Rpc.make("Read", { payload: { maxAge: Schema.Number }, success: Schema.Array(BoardReadSchema) })

/**
 * @internal the stats board: one entity id (`board`) that every runner
 * reports its counters to and `clusterStats` reads. It lives on whichever
 * runner owns its shard; if that runner dies, the next owner's board fills
 * again within one report interval.
 */
export const StatsEntity = Entity.make("cmwq/Stats", [Report, Leave, Read])

/** @internal the board's entity id */
export const boardId = "board"

/** FNV-1a: a stable lane for a message key */
const hashString = (s: string): number => {
  let h = 0x811c9dc5
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193)
  return h >>> 0
}

/** @internal the entity id of a keyed task */
export const serialId = (tag: string, key: string): string => `${tag}/${key}`

/** @internal the key a request carries, if it implements `PrimaryKey` */
export const keyOf = (request: Task.Request): string | undefined =>
  PrimaryKey.symbol in request ? PrimaryKey.value(request as unknown as PrimaryKey.PrimaryKey) : undefined

// -----------------------------------------------------------------------------
// the runner
// -----------------------------------------------------------------------------

/** @internal counters of one runner */
export interface RunnerCounters {
  received: number
  inFlight: number
  succeeded: number
  failed: number
  interrupted: number
}

const zeroCounters = (): RunnerCounters => ({ received: 0, inFlight: 0, succeeded: 0, failed: 0, interrupted: 0 })

/** @internal */
export interface RunnerOptions<R> {
  readonly handlers: Task.Registry<R>
  readonly maxActive?: number | undefined
  readonly cpus?: number | undefined
  readonly clusterCpus?: number | undefined
  readonly name?: string | undefined
  readonly statsInterval?: Duration.DurationInput | undefined
  readonly shutdownTimeout?: Duration.DurationInput | undefined
  readonly runOn?: "in-process" | "transport" | undefined
}

/** @internal the transports `makeTransport` made: a runner must not hand its tasks back to the cluster */
const clusterTransports = new WeakSet<object>()

/** the refusals of a local workqueue, which it makes only while the runner shuts down */
const isRefusal = (e: unknown): boolean => {
  const tag = (e as { readonly _tag?: unknown } | null)?._tag
  return tag === "WorkqueueDestroyed" || tag === "WorkqueueDraining" || tag === "WorkqueueFull"
}

/**
 * @internal a runner's share of a cluster-wide max_active, as
 * `wq_update_node_max_active` computes a node's share of an unbound
 * workqueue's: in proportion to the runner's CPUs, rounded up, at least 1.
 */
export const shareOf = (maxActive: number, cpus: number, clusterCpus: number): number =>
  Math.max(1, Math.ceil((maxActive * cpus) / clusterCpus))

const checkInt = (option: string, value: number | undefined, min: number, max: number) =>
  value === undefined || (Number.isInteger(value) && value >= min && value <= max)
    ? Effect.void
    : Effect.fail(
      new InvalidClusterOption({ option, value: String(value), reason: `expected an integer in ${min}..${max}` })
    )

const checkNonEmpty = (option: string, value: string | undefined) =>
  value === undefined || (typeof value === "string" && value.length > 0)
    ? Effect.void
    : Effect.fail(new InvalidClusterOption({ option, value: String(value), reason: "expected a non-empty string" }))

/** @internal the runner's shared state: its local workqueues and counters (in all and per workqueue) */
export class RunnerState {
  readonly queues = new Map<string, Workqueue.Workqueue>()
  readonly counters: RunnerCounters = zeroCounters()
  readonly perQueue = new Map<string, RunnerCounters>()
  /** set when the runner's shutdown starts: messages that arrive from then on are not started */
  closing = false
  /** the tasks running now, by message id: `tag id (queue)` */
  readonly running = new Map<string, string>()
  /** the shutdown's outcome, once it has started (a second call waits for the first) */
  shutdown: Deferred.Deferred<void, RunnerShutdownTimeout> | undefined
  constructor(
    readonly share: number,
    readonly name: string,
    /** how long a shutdown waits for the running tasks */
    readonly shutdownTimeout: Duration.Duration,
    /** opened when the shutdown gives up on the running tasks: they are interrupted here, with no reply */
    readonly deadline: Deferred.Deferred<void>,
    /** take this runner off the stats board */
    readonly leave: Effect.Effect<void>
  ) {}
  countersOf(queue: string): RunnerCounters {
    let c = this.perQueue.get(queue)
    if (c === undefined) {
      c = zeroCounters()
      this.perQueue.set(queue, c)
    }
    return c
  }
  report(): typeof ReportSchema.Type {
    return {
      runner: this.name,
      share: this.share,
      counters: { ...this.counters },
      queues: Object.fromEntries(Array.from(this.perQueue, ([name, c]) => [name, { ...c }]))
    }
  }
}

const checkDuration = (option: string, value: Duration.DurationInput | undefined, fallback: Duration.Duration) => {
  if (value === undefined) return Effect.succeed(fallback)
  const d = Duration.decodeUnknown(value)
  // a negative number decodes to zero: it is refused here, not silently taken as "now"
  const negative = typeof value === "number" && !(value >= 0)
  if (negative || d._tag === "None" || !Duration.isFinite(d.value)) {
    return Effect.fail(
      new InvalidClusterOption({ option, value: String(value), reason: "expected a finite duration, 0 or more" })
    )
  }
  return Effect.succeed(d.value)
}

/** an encoded Exit whose cause is an interruption only */
const isInterruptedWire = (wire: Task.WireResult): boolean => {
  if (!wire.ok) return false
  const exit = wire.exit as { readonly _tag?: unknown; readonly cause?: { readonly _tag?: unknown } }
  return exit._tag === "Failure" && exit.cause?._tag === "Interrupt"
}

/** @internal the runner's state, as a service */
export const RunnerStateTag: Tag<RunnerState, RunnerState> = GenericTag<RunnerState>("@cmwq/cluster/Runner")

/** @internal build a runner: validate, then register both entity types */
export const makeRunner = <R>(
  options: RunnerOptions<R>
): Layer.Layer<RunnerState, InvalidClusterOption, Sharding | WorkerPool.WorkerPools | R> =>
  Layer.scoped(
    RunnerStateTag,
    Effect.gen(function*() {
      yield* checkInt("maxActive", options.maxActive, 1, Workqueue.WQ_MAX_ACTIVE)
      yield* checkInt("cpus", options.cpus, 1, 1 << 16)
      yield* checkInt("clusterCpus", options.clusterCpus, 1, 1 << 16)
      const cpus = options.cpus ?? 1
      const clusterCpus = options.clusterCpus ?? cpus
      if (clusterCpus < cpus) {
        return yield* new InvalidClusterOption({
          option: "clusterCpus",
          value: String(clusterCpus),
          reason: `fewer than this runner's cpus (${cpus})`
        })
      }
      if (!Task.isRegistry(options.handlers)) {
        return yield* new InvalidClusterOption({
          option: "handlers",
          value: String(options.handlers),
          reason: "expected a Task.registry(...)"
        })
      }
      yield* checkNonEmpty("name", options.name)
      const statsInterval = yield* checkDuration("statsInterval", options.statsInterval, Duration.seconds(1))
      if (Duration.toMillis(statsInterval) <= 0) {
        return yield* new InvalidClusterOption({
          option: "statsInterval",
          value: String(options.statsInterval),
          reason: "expected a finite duration above 0"
        })
      }
      const shutdownTimeout = yield* checkDuration("shutdownTimeout", options.shutdownTimeout, Duration.seconds(30))
      const runOn = options.runOn ?? "in-process"
      if (runOn !== "in-process" && runOn !== "transport") {
        return yield* new InvalidClusterOption({
          option: "runOn",
          value: String(options.runOn),
          reason: `expected "in-process" or "transport"`
        })
      }
      // runOn "transport": the transport below this layer (thread CPUs, say), captured now
      let transport: Task.Transport | undefined
      if (runOn === "transport") {
        const found = yield* Effect.serviceOption(Task.TaskTransport)
        if (Option.isNone(found)) {
          return yield* new InvalidClusterOption({
            option: "runOn",
            value: "transport",
            reason:
              "no Task.TaskTransport in the runner's context: provide one below layerRunner (NodeThreads.layer, say)"
          })
        }
        if (clusterTransports.has(found.value)) {
          return yield* new InvalidClusterOption({
            option: "runOn",
            value: "transport",
            reason: "the Task.TaskTransport in the runner's context is the cluster's own (layerTransport): " +
              "every task would be sent to the cluster again"
          })
        }
        transport = found.value
      }
      const share = shareOf(options.maxActive ?? Workqueue.WQ_DFL_ACTIVE, cpus, clusterCpus)
      const sharding = yield* Sharding
      const config = yield* Effect.serviceOption(ShardingConfig)
      const fallbackName = `runner-${String(yield* sharding.getSnowflake).replace("-", "")}`
      const name = options.name ??
        Option.match(Option.flatMap(config, (c) => c.runnerAddress), {
          onNone: () => fallbackName,
          onSome: (address) => `${address.host}:${address.port}`
        })
      const scope = yield* Effect.scope
      const board = (yield* StatsEntity.client)(boardId)
      const state = new RunnerState(
        share,
        name,
        shutdownTimeout,
        yield* Deferred.make<void>(),
        bestEffort(Effect.timeout(Effect.suspend(() => board.Leave({ runner: name })), "1 second"))
      )
      const context = yield* Effect.context<WorkerPool.WorkerPools | R>()
      const lock = yield* Effect.makeSemaphore(1)

      const local = (name: string): Effect.Effect<Workqueue.Workqueue> => {
        const found = state.queues.get(name)
        if (found !== undefined) return Effect.succeed(found)
        return lock.withPermits(1)(Effect.suspend(() => {
          const again = state.queues.get(name)
          if (again !== undefined) return Effect.succeed(again)
          return Workqueue.alloc(name, { flags: ["UNBOUND"], maxActive: share }).pipe(
            Effect.orDie,
            Effect.provide(context),
            Scope.extend(scope),
            Effect.tap((wq) => Effect.sync(() => state.queues.set(name, wq)))
          )
        }))
      }

      const handle = (envelope: Entity.Request<typeof Run>): Effect.Effect<unknown> =>
        // a message that arrives while the runner closes is not started: the cluster's own shutdown
        // interrupts it without storing a reply, so the shard's next owner runs it
        state.closing ? Effect.never : Effect.flatMap(local(envelope.payload.queue), (wq) =>
          Effect.suspend(() => {
            // checked again: a shutdown may have begun while `local` allocated the workqueue
            if (state.closing) return Effect.never
            const m = envelope.payload
            const c = state.counters
            const q = state.countersOf(m.queue)
            const key = String(envelope.requestId)
            state.running.set(key, `${m.tag} ${m.id} (${m.queue})`)
            c.received++
            c.inFlight++
            q.received++
            q.inFlight++
            let wire: Task.WireResult | undefined
            const reply = (r: Task.WireResult) => {
              wire = r
            }
            // in process: the handler runs as a work item of the local workqueue. On a transport:
            // the decoded task is a Task item of the local workqueue, run where the transport runs it
            const run = transport === undefined
              ? Workqueue.run(
                wq,
                Effect.provide(Task.serve(options.handlers, m.tag, m.request, reply), context as Context<R>)
              )
              : Effect.suspend(() => {
                // a refusal is no result to reply: the handler is interrupted instead (below), as in process
                let refused = false
                const served = Task.serve(options.handlers, m.tag, m.request, reply, {
                  run: (request) =>
                    Task.run(wq, request).pipe(
                      Effect.provideService(Task.TaskTransport, transport),
                      Effect.catchIf(isRefusal, () => {
                        refused = true
                        return Effect.interrupt
                      })
                    )
                })
                return Effect.flatMap(
                  Effect.provide(served, context as Context<R>),
                  () => refused ? Effect.interrupt : Effect.void
                )
              })
            const localRun = run.pipe(
              // the local workqueue refuses only while the runner shuts down: the message stays stored, for the next owner
              Effect.catchAll(() => Effect.interrupt),
              Effect.onExit((exit) =>
                Effect.sync(() => {
                  state.running.delete(key)
                  c.inFlight--
                  q.inFlight--
                  const outcome = Exit.isInterrupted(exit) || wire === undefined || isInterruptedWire(wire)
                    ? "interrupted"
                    : wire.ok && (wire.exit as { readonly _tag?: unknown })._tag === "Success"
                    ? "succeeded"
                    : "failed"
                  c[outcome]++
                  q[outcome]++
                })
              ),
              Effect.map((): unknown => wire ?? Task.interruptedResult)
            )
            // past the shutdown's deadline the local run is interrupted and the handler never
            // replies: the cluster's own shutdown interrupts it without storing a reply, so the
            // shard's next owner runs the message again
            return Effect.flatMap(Effect.fork(localRun), (fiber) =>
              Effect.raceFirst(
                Effect.flatMap(Fiber.await(fiber), (exit) =>
                  Effect.flatMap(
                    Deferred.isDone(state.deadline),
                    (past): Effect.Effect<unknown> => past && Exit.isInterrupted(exit) ? Effect.never : exit
                  )),
                Effect.zipRight(
                  Deferred.await(state.deadline),
                  Effect.zipRight(Fiber.interrupt(fiber), Effect.never)
                )
              ))
          }))

      const handlers = { Run: handle }
      yield* Layer.buildWithScope(
        Layer.mergeAll(
          TaskEntity.toLayer(handlers, { concurrency: "unbounded" }),
          SerialTaskEntity.toLayer(handlers, { concurrency: 1 }),
          StatsEntity.toLayer(makeBoard, { concurrency: "unbounded" })
        ),
        scope
      )
      // report this runner's counters to the board now and every statsInterval
      yield* Effect.suspend(() => board.Report(state.report())).pipe(
        bestEffort,
        Effect.repeat(Schedule.spaced(statsInterval)),
        Effect.interruptible,
        Effect.forkIn(scope)
      )
      // graceful shutdown (runs first: added last), unless `shutdown` was called before: a
      // shutdown that gives up on its running tasks is logged, as the typed error
      yield* Effect.addFinalizer(() =>
        shutdownRunner(state).pipe(Effect.catchAll((error) => Effect.logError(error.message, error)))
      )
      return state
    })
  )

/**
 * a call to the stats board that may fail without consequence: its
 * failures and its defects are dropped. The RPC client turns a transport's
 * write error into a defect (`Effect.orDie`), which `Effect.ignore` lets
 * through: a runner in a process whose other cluster members had closed
 * their sockets failed its own shutdown with "write EPIPE" from `Leave`, and
 * one such error would have ended the report loop for good
 */
const bestEffort = <A, E, R>(effect: Effect.Effect<A, E, R>): Effect.Effect<void, never, R> =>
  Effect.catchAllCause(Effect.asVoid(effect), () => Effect.void)

/**
 * @internal a runner's graceful shutdown: stop starting messages, leave the
 * stats board, wait up to `shutdownTimeout` for the running tasks. Past it,
 * they are interrupted here with no reply stored (the next owner of their
 * shards runs them again) and the shutdown fails naming them. Only the first
 * call shuts down; a later one returns its outcome.
 */
export const shutdownRunner = (state: RunnerState): Effect.Effect<void, RunnerShutdownTimeout> =>
  Effect.suspend(() => {
    if (state.shutdown !== undefined) return Deferred.await(state.shutdown)
    const done = Deferred.unsafeMake<void, RunnerShutdownTimeout>(FiberId.none)
    state.shutdown = done
    state.closing = true
    const outcome = Effect.gen(function*() {
      // leaving the board counts against the timeout too
      const finished = yield* Effect.zipRight(
        state.leave,
        Effect.repeat(Effect.sync(() => state.running.size === 0), {
          until: (empty) => empty,
          schedule: Schedule.spaced("10 millis")
        })
      ).pipe(Effect.timeoutOption(state.shutdownTimeout))
      if (Option.isSome(finished)) return
      const tasks = Array.from(state.running.values())
      yield* Deferred.succeed(state.deadline, undefined)
      return yield* new RunnerShutdownTimeout({
        runner: state.name,
        timeoutMillis: Duration.toMillis(state.shutdownTimeout),
        tasks
      })
    })
    // the shutdown runs on a fiber of its own: interrupting a caller only ends that caller's wait,
    // and the layer's finalizer (or a later call) still gets the outcome
    return Effect.zipRight(Effect.forkDaemon(Effect.intoDeferred(outcome, done)), Deferred.await(done))
  })

/** the board's handlers: the latest report of every runner, with the board's time of receipt */
const makeBoard = Effect.sync(() => {
  const entries = new Map<string, typeof BoardEntrySchema.Type>()
  return StatsEntity.of({
    Report: (envelope) =>
      Effect.map(Clock.currentTimeMillis, (now) => {
        entries.set(envelope.payload.runner, { report: envelope.payload, receivedAt: now })
      }),
    Leave: (envelope) =>
      Effect.sync(() => {
        entries.delete(envelope.payload.runner)
      }),
    Read: (envelope) =>
      Effect.map(
        Clock.currentTimeMillis,
        (now) =>
          Array.from(entries.values()).flatMap((e) =>
            now - e.receivedAt <= envelope.payload.maxAge ? [{ report: e.report, age: now - e.receivedAt }] : []
          )
      )
  })
})

// -----------------------------------------------------------------------------
// the queueing side
// -----------------------------------------------------------------------------

/** @internal */
export interface TransportOptions {
  readonly queue?: string | undefined
  readonly lanes?: number | undefined
  readonly serialize?: ((request: Task.Request) => string | undefined) | undefined
}

/** @internal the one call the package makes on an entity client */
interface RunClient {
  readonly Run: (m: TaskMessage, o?: { readonly discard: boolean }) => Effect.Effect<unknown, unknown>
}

/** @internal the entity client and id for a request */
interface Clients {
  readonly spread: (id: string) => RunClient
  readonly serial: (id: string) => RunClient
  readonly stats: (id: string) => {
    readonly Read: (
      p: { readonly maxAge: number }
    ) => Effect.Effect<ReadonlyArray<typeof BoardReadSchema.Type>, unknown>
  }
}

/** @internal the clients of both entity types, and the lane counter */
export class ClusterClient {
  lane = 0
  constructor(
    readonly clients: Clients,
    readonly sharding: Sharding["Type"],
    readonly queue: string,
    readonly lanes: number,
    readonly serialize: ((request: Task.Request) => string | undefined) | undefined
  ) {}
  /** where a request goes: a serial entity id, or a lane of the spread entity */
  target(request: Task.Request, messageKey?: string): { readonly serial: boolean; readonly id: string } {
    const serial = this.serialize?.(request)
    if (serial !== undefined) return { serial: true, id: serial }
    const key = keyOf(request)
    if (key !== undefined) return { serial: true, id: serialId(request._tag, key) }
    // a message key is unique per entity address: the same key must always take the same lane
    if (messageKey !== undefined) return { serial: false, id: `lane-${hashString(messageKey) % this.lanes}` }
    this.lane = (this.lane + 1) % this.lanes
    return { serial: false, id: `lane-${this.lane}` }
  }
  route(request: Task.Request, messageKey?: string): RunClient {
    const { id, serial } = this.target(request, messageKey)
    return serial ? this.clients.serial(id) : this.clients.spread(id)
  }
  /**
   * `route` for a run, with where the message goes in words (entity type and
   * id, its shard) for `Work.explain`; takes a lane as `route` does
   */
  routed(request: Task.Request): { readonly client: RunClient; readonly where: string } {
    const { id, serial } = this.target(request)
    const entity = serial ? SerialTaskEntity : TaskEntity
    const entityId = EntityId.make(id)
    const shard = this.sharding.getShardId(entityId, entity.getShardGroup(entityId))
    return {
      client: serial ? this.clients.serial(id) : this.clients.spread(id),
      where: `cluster entity ${entity.type}/${id} (shard ${shard.group}/${shard.id})`
    }
  }
}

/** @internal */
export const makeClient = (
  options: TransportOptions = {}
): Effect.Effect<ClusterClient, InvalidClusterOption, Sharding> =>
  Effect.gen(function*() {
    yield* checkInt("lanes", options.lanes, 1, 1 << 16)
    yield* checkNonEmpty("queue", options.queue)
    const sharding = yield* Sharding
    const spread = yield* TaskEntity.client
    const serial = yield* SerialTaskEntity.client
    const stats = yield* StatsEntity.client
    return new ClusterClient(
      { spread, serial, stats },
      sharding,
      options.queue ?? "cluster",
      options.lanes ?? 64,
      options.serialize
    )
  })

/** @internal the transport tag (core's) */
export const TaskTransportTag = Task.TaskTransport

/** @internal the transport: every task run is a `Run` message; its reply is the task's result */
export const makeTransport = (client: ClusterClient): Task.Transport => {
  const transport: Task.Transport = {
    run: (request, _target, handle) =>
      Effect.suspend(() => {
        let payload: unknown
        try {
          payload = Task.encodeRequest(request)
        } catch (e) {
          return Effect.fail(e)
        }
        return Effect.flatMap(client.sharding.getSnowflake, (id) => {
          const message = new TaskMessage({
            queue: client.queue,
            tag: request._tag,
            request: payload,
            id: String(id),
            deliverAt: 0
          })
          const { client: entity, where } = client.routed(request)
          const call = entity.Run(message)
          return Effect.flatMap(Effect.fork(call), (fiber) => {
            handle.interrupt = () => {
              fiber.unsafeInterruptAsFork(FiberId.none)
            }
            handle.where = `${where}, message ${id}, awaiting its reply`
            return Effect.flatMap(Fiber.join(fiber), (wire) => Task.decodeResult(request, wire as Task.WireResult))
          })
        })
      })
  }
  clusterTransports.add(transport)
  return transport
}

/** @internal */
export interface SendOptions {
  readonly key?: string | undefined
  readonly delay?: Duration.DurationInput | undefined
}

/**
 * @internal store a task for the cluster and return once it is stored (the
 * result is not awaited). With a `key`, the message's primary key is the key:
 * a second send with the same key is a duplicate, and is not stored again.
 */
export const send = (
  client: ClusterClient,
  request: Task.Request,
  options: SendOptions = {}
): Effect.Effect<void, unknown> =>
  Effect.gen(function*() {
    yield* checkNonEmpty("key", options.key)
    const delayMs = Duration.toMillis(yield* checkDuration("delay", options.delay, Duration.zero))
    const payload = yield* Effect.try({ try: () => Task.encodeRequest(request), catch: (e) => e })
    const id = options.key ?? String(yield* client.sharding.getSnowflake)
    const now = delayMs === 0 ? 0 : yield* Effect.clockWith((clock) => clock.currentTimeMillis)
    const message = new TaskMessage({
      queue: client.queue,
      tag: request._tag,
      request: payload,
      id,
      deliverAt: delayMs === 0 ? 0 : now + delayMs
    })
    yield* client.route(request, options.key).Run(message, { discard: true })
  })

/**
 * @internal cancel a task stored with `send` and a `key` (the same request
 * routes it to the same entity id). The storage names the message by its
 * primary key; if it has no final reply yet, it is given one, an
 * interruption: a message not yet delivered (a delay not yet reached, no
 * runner up, or waiting behind its entity) is marked processed and never
 * runs. Then an `Interrupt` envelope goes to the entity: a run in progress
 * is interrupted on its runner. `false` when no such message is stored or
 * it has finished.
 */
export const cancelStored = (
  client: ClusterClient,
  request: Task.Request,
  key: string
): Effect.Effect<boolean, unknown, MessageStorage> =>
  Effect.gen(function*() {
    yield* checkNonEmpty("key", key === undefined ? "" : key)
    const storage = yield* MessageStorage
    const { id, serial } = client.target(request, key)
    const entity = serial ? SerialTaskEntity : TaskEntity
    const entityId = EntityId.make(id)
    const address = new EntityAddress({
      entityType: entity.type,
      entityId,
      shardId: client.sharding.getShardId(entityId, entity.getShardGroup(entityId))
    })
    const requestId = yield* storage.requestIdForPrimaryKey({ address, tag: Run._tag, id: key })
    if (Option.isNone(requestId)) return false
    const replies = yield* storage.repliesForUnfiltered([requestId.value])
    if (replies.some((r) => r._tag === "WithExit")) return false
    const replyId = yield* client.sharding.getSnowflake
    // the reply first: from here on no runner starts the message
    const marked = yield* Effect.either(
      storage.saveReply(Reply.ReplyWithContext.interrupt({ id: replyId, requestId: requestId.value }))
    )
    // then the interrupt, for a run already in progress
    const interruptId = yield* client.sharding.getSnowflake
    yield* client.sharding.sendOutgoing(
      Message.OutgoingEnvelope.interrupt({ address, id: interruptId, requestId: requestId.value }),
      true
    )
    return marked._tag === "Right"
  })

const addCounters = (into: RunnerCounters, c: typeof CountersSchema.Type) => {
  into.received += c.received
  into.inFlight += c.inFlight
  into.succeeded += c.succeeded
  into.failed += c.failed
  into.interrupted += c.interrupted
}

/** @internal read the stats board and sum its reports per workqueue and in all */
export const clusterStats = (
  client: ClusterClient,
  options: { readonly maxAge?: Duration.DurationInput | undefined }
) =>
  Effect.gen(function*() {
    const maxAge = yield* checkDuration("maxAge", options.maxAge, Duration.seconds(5))
    const entries = yield* client.clients.stats(boardId).Read({ maxAge: Duration.toMillis(maxAge) })
    const total = zeroCounters()
    const queues: Record<string, RunnerCounters> = {}
    const runners = [...entries].sort((a, b) => a.report.runner < b.report.runner ? -1 : 1).map((e) => {
      addCounters(total, e.report.counters)
      for (const [name, c] of Object.entries(e.report.queues)) addCounters(queues[name] ??= zeroCounters(), c)
      return {
        name: e.report.runner,
        share: e.report.share,
        ...e.report.counters,
        age: e.age
      }
    })
    return { runners, queues, total }
  })

/** the counter columns of `formatClusterStats`, in order */
const STATS_COLUMNS = ["received", "inFlight", "succeeded", "failed", "interrupted"] as const

/**
 * `ClusterWorkqueue.formatClusterStats`: a plain-text table of the stats
 * board, one row per runner (with its `max_active` share and the age of its
 * report), then one per workqueue name, then the total.
 */
export const formatClusterStats = (stats: {
  readonly runners: ReadonlyArray<
    Record<(typeof STATS_COLUMNS)[number], number> & {
      readonly name: string
      readonly share: number
      readonly age: number
    }
  >
  readonly queues: Readonly<Record<string, Record<(typeof STATS_COLUMNS)[number], number>>>
  readonly total: Record<(typeof STATS_COLUMNS)[number], number>
}): string => {
  const header = ["", ...STATS_COLUMNS, "share", "report age ms"]
  const rows: Array<Array<string>> = [header]
  const counters = (c: Record<(typeof STATS_COLUMNS)[number], number>) => STATS_COLUMNS.map((k) => String(c[k]))
  for (const r of stats.runners)
    rows.push([`runner ${r.name}`, ...counters(r), String(r.share), String(Math.round(r.age))])
  for (const name of Object.keys(stats.queues).sort())
    rows.push([`queue ${name}`, ...counters(stats.queues[name]!), "", ""])
  rows.push(["total", ...counters(stats.total), "", ""])
  const widths = header.map((_, i) => Math.max(...rows.map((row) => row[i]!.length)))
  return rows
    .map((row) =>
      row.map((cell, i) => (i === 0 ? cell.padEnd(widths[i]!) : cell.padStart(widths[i]!))).join("  ").trimEnd()
    )
    .join("\n")
}
