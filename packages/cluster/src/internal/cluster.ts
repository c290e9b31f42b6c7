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
import { Sharding } from "@effect/cluster/Sharding"
import * as Rpc from "@effect/rpc/Rpc"
import { type Context, GenericTag, type Tag } from "effect/Context"
import * as DateTime from "effect/DateTime"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Fiber from "effect/Fiber"
import * as FiberId from "effect/FiberId"
import * as Layer from "effect/Layer"
import * as PrimaryKey from "effect/PrimaryKey"
import * as Schema from "effect/Schema"
import * as Scope from "effect/Scope"
import { InvalidClusterOption } from "./errors.js"

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

/** @internal */
export interface RunnerOptions<R> {
  readonly handlers: Task.Registry<R>
  readonly maxActive?: number | undefined
  readonly cpus?: number | undefined
  readonly clusterCpus?: number | undefined
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

/** @internal the runner's shared state: its local workqueues and counters */
export class RunnerState {
  readonly queues = new Map<string, Workqueue.Workqueue>()
  readonly counters: RunnerCounters = { received: 0, inFlight: 0, succeeded: 0, failed: 0, interrupted: 0 }
  constructor(readonly share: number) {}
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
      const share = shareOf(options.maxActive ?? Workqueue.WQ_DFL_ACTIVE, cpus, clusterCpus)
      const state = new RunnerState(share)
      const scope = yield* Effect.scope
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
        Effect.flatMap(local(envelope.payload.queue), (wq) =>
          Effect.suspend(() => {
            const m = envelope.payload
            const c = state.counters
            c.received++
            c.inFlight++
            let wire: Task.WireResult | undefined
            const served = Effect.provide(
              Task.serve(options.handlers, m.tag, m.request, (r) => {
                wire = r
              }),
              context as Context<R>
            )
            return Workqueue.run(wq, served).pipe(
              // the local workqueue refuses only while the runner shuts down: the message stays stored, for the next owner
              Effect.catchAll(() => Effect.interrupt),
              Effect.onExit((exit) =>
                Effect.sync(() => {
                  c.inFlight--
                  if (Exit.isInterrupted(exit) || wire === undefined || isInterruptedWire(wire)) c.interrupted++
                  else if (wire.ok && (wire.exit as { readonly _tag?: unknown })._tag === "Success") c.succeeded++
                  else c.failed++
                })
              ),
              Effect.map((): unknown => wire ?? Task.interruptedResult)
            )
          }))

      const handlers = { Run: handle }
      yield* Layer.buildWithScope(
        Layer.mergeAll(
          TaskEntity.toLayer(handlers, { concurrency: "unbounded" }),
          SerialTaskEntity.toLayer(handlers, { concurrency: 1 })
        ),
        scope
      )
      return state
    })
  )

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
  route(request: Task.Request, messageKey?: string): RunClient {
    const serial = this.serialize?.(request)
    if (serial !== undefined) return this.clients.serial(serial)
    const key = keyOf(request)
    if (key !== undefined) return this.clients.serial(serialId(request._tag, key))
    // a message key is unique per entity address: the same key must always take the same lane
    if (messageKey !== undefined) return this.clients.spread(`lane-${hashString(messageKey) % this.lanes}`)
    this.lane = (this.lane + 1) % this.lanes
    return this.clients.spread(`lane-${this.lane}`)
  }
}

/** @internal */
export const makeClient = (
  options: TransportOptions = {}
): Effect.Effect<ClusterClient, InvalidClusterOption, Sharding> =>
  Effect.gen(function*() {
    yield* checkInt("lanes", options.lanes, 1, 1 << 16)
    if (options.queue !== undefined && (typeof options.queue !== "string" || options.queue.length === 0)) {
      return yield* new InvalidClusterOption({
        option: "queue",
        value: String(options.queue),
        reason: "expected a non-empty string"
      })
    }
    const sharding = yield* Sharding
    const spread = yield* TaskEntity.client
    const serial = yield* SerialTaskEntity.client
    return new ClusterClient(
      { spread, serial },
      sharding,
      options.queue ?? "cluster",
      options.lanes ?? 64,
      options.serialize
    )
  })

/** @internal the transport tag (core's) */
export const TaskTransportTag = Task.TaskTransport

/** @internal the transport: every task run is a `Run` message; its reply is the task's result */
export const makeTransport = (client: ClusterClient): Task.Transport => ({
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
        const call = client.route(request).Run(message)
        return Effect.flatMap(Effect.fork(call), (fiber) => {
          handle.interrupt = () => {
            fiber.unsafeInterruptAsFork(FiberId.none)
          }
          return Effect.flatMap(Fiber.join(fiber), (wire) => Task.decodeResult(request, wire as Task.WireResult))
        })
      })
    })
})

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
    if (options.key !== undefined && (typeof options.key !== "string" || options.key.length === 0)) {
      return yield* new InvalidClusterOption({
        option: "key",
        value: String(options.key),
        reason: "expected a non-empty string"
      })
    }
    let delayMs = 0
    if (options.delay !== undefined) {
      const d = Duration.decodeUnknown(options.delay)
      // a negative number decodes to zero: it is refused here, not silently taken as "now"
      const negative = typeof options.delay === "number" && !(options.delay >= 0)
      if (negative || d._tag === "None" || !Duration.isFinite(d.value) || Duration.toMillis(d.value) < 0) {
        return yield* new InvalidClusterOption({
          option: "delay",
          value: String(options.delay),
          reason: "expected a finite duration, 0 or more"
        })
      }
      delayMs = Duration.toMillis(d.value)
    }
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
