/**
 * Workqueues across machines: Schema-typed tasks (`@cmwq/core`'s `Task`)
 * delivered as `@effect/cluster` entity messages to runners, which run them
 * on their own `@cmwq/core` pools.
 *
 * - `layerTransport` is a `Task.TaskTransport`: an app's `Workqueue.queue`,
 *   `Task.make` and `Task.run` stay as they are, and every task run becomes a
 *   persisted `Run` message. Swapping `Task.layerInProcess` (or
 *   `NodeThreads.layer`) for it is the whole move from one machine to many.
 * - `layerRunner` makes a process a runner: it registers the task entities and
 *   runs what it receives on local UNBOUND workqueues, each at the runner's
 *   share of the cluster-wide `maxActive`.
 * - `send` stores a task for the cluster and returns once it is stored: it
 *   outlives the queueing process, can be delayed with `DeliverAt`, and takes
 *   an idempotency key (the message's primary key).
 *
 * Delivery is at least once: a message stays stored until its reply is, so a
 * task a dying runner had started runs again on the shard's next owner.
 *
 * @since 0.1.0
 */
import type { Task, WorkerPool } from "@cmwq/core"
import type { AlreadyProcessingMessage, MailboxFull, PersistenceError } from "@effect/cluster/ClusterError"
import type * as MessageStorage from "@effect/cluster/MessageStorage"
import type { Sharding } from "@effect/cluster/Sharding"
import * as Context from "effect/Context"
import type * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as internal from "./internal/cluster.js"
import { type InvalidClusterOption, type RunnerShutdownTimeout } from "./internal/errors.js"

export {
  /**
   * An option of a cluster layer or call that is out of range or of the
   * wrong type; names the option, the value and what was expected.
   *
   * @example
   * ```ts
   * import { ClusterWorkqueue } from "@cmwq/cluster"
   *
   * const error = new ClusterWorkqueue.InvalidClusterOption({ option: "lanes", value: "0", reason: "expected an integer in 1..65536" })
   * ```
   *
   * @since 0.1.0
   * @category errors
   */
  InvalidClusterOption,
  /**
   * A runner's graceful shutdown did not see its running tasks finish within
   * `shutdownTimeout`: names the runner, the timeout and each task still
   * running (`tag id (queue)`). Those tasks were interrupted on the runner
   * with no stored reply, so the next owner of their shards runs them again.
   *
   * @example
   * ```ts
   * import { ClusterWorkqueue } from "@cmwq/cluster"
   *
   * const error = new ClusterWorkqueue.RunnerShutdownTimeout({ runner: "r1", timeoutMillis: 2000, tasks: ["Resize 42 (images)"] })
   * ```
   *
   * @since 0.1.0
   * @category errors
   */
  RunnerShutdownTimeout
} from "./internal/errors.js"

/**
 * The queueing side's handle on the cluster: the entity clients `send` and
 * the transport use. Provided by `layerTransport`.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { ClusterWorkqueue } from "@cmwq/cluster"
 *
 * const program = Effect.gen(function*() {
 *   const client = yield* ClusterWorkqueue.ClusterClient
 *   return client.queue // the runner-side workqueue its tasks run on
 * })
 * ```
 *
 * @since 0.1.0
 * @category tags
 */
export class ClusterClient extends Context.Tag("@cmwq/cluster/ClusterClient")<ClusterClient, {
  /** the runner-side workqueue this client's tasks run on */
  readonly queue: string
  /** @internal */
  readonly impl: internal.ClusterClient
}>() {}

/**
 * Options of `layerTransport`.
 *
 * @example
 * ```ts
 * import { ClusterWorkqueue } from "@cmwq/cluster"
 *
 * const options: ClusterWorkqueue.TransportOptions = { queue: "images", lanes: 128 }
 * ```
 *
 * @since 0.1.0
 * @category models
 */
export interface TransportOptions {
  /** the runner-side workqueue the tasks run on (default `"cluster"`); non-empty */
  readonly queue?: string | undefined
  /** how many entity ids tasks with no key are spread over (default 64), 1..65536 */
  readonly lanes?: number | undefined
  /**
   * an entity id for tasks that must run one at a time, in message order,
   * across every queueing process (e.g. every task of one ordered stream
   * gets the stream's name). Without it, a request that implements
   * `PrimaryKey` is serialized by `tag/key`; any other request is spread.
   */
  readonly serialize?: ((request: Task.Request) => string | undefined) | undefined
}

/**
 * The queueing side: a `Task.TaskTransport` that sends every task run to the
 * cluster as a persisted message and waits for its reply, plus the
 * `ClusterClient` that `send` uses. The app's workqueues, items and calls do
 * not change.
 *
 * @example
 * ```ts
 * import { Effect, Layer, Schema } from "effect"
 * import { Task, WorkerPool, Workqueue } from "@cmwq/core"
 * import { ClusterStorage, ClusterWorkqueue } from "@cmwq/cluster"
 *
 * class Add extends Schema.TaggedRequest<Add>()("Add", {
 *   payload: { a: Schema.Number, b: Schema.Number },
 *   success: Schema.Number,
 *   failure: Schema.Never
 * }) {}
 * const handlers = Task.registry(Task.handler(Add, ({ a, b }) => Effect.succeed(a + b)))
 *
 * // one machine: Task.layerInProcess.pipe(Layer.provide(Task.handlers(handlers)))
 * const live = Layer.mergeAll(
 *   ClusterWorkqueue.layerTransport(),
 *   ClusterWorkqueue.layerRunner({ handlers })
 * ).pipe(
 *   Layer.provideMerge(WorkerPool.layer()),
 *   Layer.provide(ClusterStorage.layerSqlite({ filename: "cmwq.db" }))
 * )
 *
 * const program = Effect.gen(function*() {
 *   const wq = yield* Workqueue.alloc("math")
 *   return yield* Task.run(wq, new Add({ a: 1, b: 2 }))
 * })
 * ```
 *
 * Fails with `InvalidClusterOption` for a `lanes` that is not an integer in
 * 1..65536 and for an empty `queue`.
 *
 * @since 0.1.0
 * @category layers
 */
export const layerTransport = (
  options: TransportOptions = {}
): Layer.Layer<Task.Transport | ClusterClient, InvalidClusterOption, Sharding> =>
  Layer.unwrapEffect(Effect.map(internal.makeClient(options), (impl) =>
    Layer.mergeAll(
      Layer.succeed(internal.TaskTransportTag, internal.makeTransport(impl)),
      Layer.succeed(ClusterClient, { queue: impl.queue, impl })
    )))

/**
 * Options of `layerRunner`.
 *
 * @example
 * ```ts
 * import { Effect, Schema } from "effect"
 * import { Task } from "@cmwq/core"
 * import type { ClusterWorkqueue } from "@cmwq/cluster"
 *
 * class Ping extends Schema.TaggedRequest<Ping>()("Ping", { payload: {}, success: Schema.Void, failure: Schema.Never }) {}
 * const options: ClusterWorkqueue.RunnerOptions<never> = {
 *   handlers: Task.registry(Task.handler(Ping, () => Effect.void)),
 *   maxActive: 64, // cluster-wide
 *   cpus: 4, // this runner
 *   clusterCpus: 12 // every runner together: this one runs at most ceil(64 * 4 / 12) = 22 at once
 * }
 * ```
 *
 * @since 0.1.0
 * @category models
 */
export interface RunnerOptions<R> {
  /** the handlers of every task this runner may receive */
  readonly handlers: Task.Registry<R>
  /** the cluster-wide max_active (default `Workqueue.WQ_DFL_ACTIVE`), 1..`WQ_MAX_ACTIVE` */
  readonly maxActive?: number | undefined
  /** this runner's CPUs (default 1) */
  readonly cpus?: number | undefined
  /** the CPUs of every runner together (default: `cpus`); not fewer than `cpus` */
  readonly clusterCpus?: number | undefined
  /** this runner's name in `clusterStats` (default: its runner address, `host:port`); non-empty */
  readonly name?: string | undefined
  /** how often this runner reports its counters to the cluster's stats board (default 1 second); above 0 */
  readonly statsInterval?: Duration.DurationInput | undefined
  /**
   * how long this runner's graceful shutdown (`shutdown`, or closing its
   * layer) waits for the tasks it runs to finish (default 30 seconds);
   * finite, 0 or more. Past it, the stragglers are interrupted here without a
   * stored reply, so the next owner of their shards runs them again, and the
   * shutdown fails with `RunnerShutdownTimeout` naming them.
   */
  readonly shutdownTimeout?: Duration.DurationInput | undefined
  /**
   * where a received task runs:
   * - `"in-process"` (the default): its handler from `handlers` runs on this
   *   thread, as a work item of the runner's local workqueue;
   * - `"transport"`: the task is decoded here with `handlers`' schemas and
   *   queued on the local workqueue as a `Task` item, run by the
   *   `Task.TaskTransport` found in the runner's context when its layer is
   *   built: the worker threads of `NodeThreads.layer` (the runner's thread
   *   CPUs), say. That transport's own handlers module must serve the same
   *   tasks. Its `TaskError`s (`TaskCpuLost` when a thread dies) reach the
   *   caller typed. The cluster's own transport (`layerTransport`) is
   *   refused: every task would go back to the cluster.
   */
  readonly runOn?: "in-process" | "transport" | undefined
}

/**
 * The state of one runner, as a service (`stats` reads it).
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { ClusterWorkqueue } from "@cmwq/cluster"
 *
 * const share = Effect.map(ClusterWorkqueue.Runner, (runner) => runner.share)
 * ```
 *
 * @since 0.1.0
 * @category tags
 */
export const Runner: Context.Tag<Runner, Runner> = internal.RunnerStateTag as unknown as Context.Tag<Runner, Runner>

/**
 * A runner: its share of the cluster-wide max_active.
 *
 * @example
 * ```ts
 * import type { ClusterWorkqueue } from "@cmwq/cluster"
 *
 * declare const runner: ClusterWorkqueue.Runner
 * const share: number = runner.share
 * ```
 *
 * @since 0.1.0
 * @category models
 */
export interface Runner {
  /** the most tasks of one workqueue this runner runs at once */
  readonly share: number
}

/**
 * Make this process a runner: register the task entities with the cluster
 * and run every received task on a local UNBOUND workqueue (one per
 * queueing-side `queue` name) whose max_active is this runner's share of the
 * cluster-wide `maxActive`, split the way the kernel's
 * `wq_update_node_max_active` splits an unbound workqueue over NUMA nodes:
 * `ceil(maxActive × cpus / clusterCpus)`, at least 1. Handlers get this
 * runner's `WorkerPools` and whatever else `R` the layer is given.
 *
 * @example
 * ```ts
 * import { Effect, Layer, Schema } from "effect"
 * import { Task, WorkerPool } from "@cmwq/core"
 * import { ClusterStorage, ClusterWorkqueue } from "@cmwq/cluster"
 *
 * class Resize extends Schema.TaggedRequest<Resize>()("Resize", {
 *   payload: { image: Schema.String },
 *   success: Schema.Void,
 *   failure: Schema.Never
 * }) {}
 * const handlers = Task.registry(Task.handler(Resize, ({ image }) => Effect.log(`resizing ${image}`)))
 *
 * const runner = ClusterWorkqueue.layerRunner({ handlers, maxActive: 32, cpus: 4, clusterCpus: 12 }).pipe(
 *   Layer.provide(WorkerPool.layer()),
 *   Layer.provide(ClusterStorage.layerSqlite({ filename: "cmwq.db" }))
 * )
 * ```
 *
 * With thread CPUs: `runOn: "transport"` runs the received tasks through
 * the transport below the runner, here `NodeThreads.layer`'s worker threads
 * (from `@cmwq/platform-node`, which also provides the runner's pools, one
 * CPU per thread):
 *
 * ```ts
 * import { Layer } from "effect"
 * import type { Task } from "@cmwq/core"
 * import { ClusterStorage, ClusterWorkqueue } from "@cmwq/cluster"
 * import { NodeThreads } from "@cmwq/platform-node"
 *
 * declare const handlers: Task.Registry // what ./handlers.js exports: the threads load that module
 *
 * const runner = ClusterWorkqueue.layerRunner({ handlers, maxActive: 32, cpus: 4, clusterCpus: 12, runOn: "transport" })
 *   .pipe(
 *     Layer.provide(NodeThreads.layer({ threads: 4, handlers: new URL("./handlers.js", import.meta.url) })),
 *     Layer.provide(ClusterStorage.layerSqlite({ filename: "cmwq.db" }))
 *   )
 * ```
 *
 * Closing the layer shuts the runner down gracefully (see `shutdown`); a
 * shutdown past its `shutdownTimeout` is logged as `RunnerShutdownTimeout`.
 *
 * Fails with `InvalidClusterOption` for a `maxActive`, `cpus` or
 * `clusterCpus` that is not an integer in range, a `clusterCpus` below
 * `cpus`, `handlers` that are not a `Task.registry(...)`, an empty `name`,
 * a `statsInterval` that is not above 0, a `shutdownTimeout` that is not
 * a finite duration of 0 or more, and a `runOn` that is neither
 * `"in-process"` nor `"transport"`, or `"transport"` with no
 * `Task.TaskTransport` in the context or with the cluster's own.
 *
 * @since 0.1.0
 * @category layers
 */
export const layerRunner = <R = never>(
  options: RunnerOptions<R>
): Layer.Layer<Runner, InvalidClusterOption, Sharding | WorkerPool.WorkerPools | R> =>
  internal.makeRunner(options) as unknown as Layer.Layer<
    Runner,
    InvalidClusterOption,
    Sharding | WorkerPool.WorkerPools | R
  >

/**
 * Shut this runner down gracefully: it starts no message that arrives from
 * now on (the message stays stored), takes itself off the stats board and
 * waits up to `shutdownTimeout` for the tasks it runs. When they have
 * finished, closing the runner's layer releases its shards to the other
 * runners, which deliver what is stored for them. Past the timeout the
 * stragglers are interrupted here with no stored reply (the next owner runs
 * them again) and the shutdown fails with `RunnerShutdownTimeout` naming
 * them. Only the first call shuts down: a later one, and the layer's own
 * close, return its outcome.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { ClusterWorkqueue } from "@cmwq/cluster"
 *
 * const leave = ClusterWorkqueue.shutdown.pipe(
 *   Effect.catchTag("RunnerShutdownTimeout", (e) => Effect.logWarning(`handed over: ${e.tasks.join(", ")}`))
 * )
 * ```
 *
 * @since 0.1.0
 * @category layers
 */
export const shutdown: Effect.Effect<void, RunnerShutdownTimeout, Runner> = Effect.flatMap(
  internal.RunnerStateTag as unknown as Context.Tag<Runner, internal.RunnerState>,
  internal.shutdownRunner
)

/**
 * What one runner has done: messages received, running now, and finished
 * (succeeded, failed with the task's failure or a task error, interrupted).
 *
 * @example
 * ```ts
 * import type { ClusterWorkqueue } from "@cmwq/cluster"
 *
 * declare const stats: ClusterWorkqueue.RunnerStats
 * const done = stats.succeeded + stats.failed + stats.interrupted
 * ```
 *
 * @since 0.1.0
 * @category models
 */
export interface RunnerStats {
  /** the runner's name (`RunnerOptions.name`) */
  readonly name: string
  readonly received: number
  readonly inFlight: number
  readonly succeeded: number
  readonly failed: number
  readonly interrupted: number
  /** the runner's share of the cluster-wide max_active */
  readonly share: number
  /** the local workqueues, by name */
  readonly queues: ReadonlyArray<string>
  /** the counters of each local workqueue */
  readonly perQueue: Readonly<Record<string, Counters>>
}

/**
 * Tasks received, running now, and finished (succeeded, failed,
 * interrupted): of one runner, of one workqueue, or in total.
 *
 * @example
 * ```ts
 * import type { ClusterWorkqueue } from "@cmwq/cluster"
 *
 * declare const counters: ClusterWorkqueue.Counters
 * const finished = counters.succeeded + counters.failed + counters.interrupted
 * ```
 *
 * @since 0.1.0
 * @category models
 */
export interface Counters {
  readonly received: number
  readonly inFlight: number
  readonly succeeded: number
  readonly failed: number
  readonly interrupted: number
}

/**
 * This runner's counters (a copy).
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { ClusterWorkqueue } from "@cmwq/cluster"
 *
 * const report = Effect.map(ClusterWorkqueue.stats, (s) => `${s.received} received, ${s.inFlight} in flight`)
 * ```
 *
 * @since 0.1.0
 * @category observability
 */
export const stats: Effect.Effect<RunnerStats, never, Runner> = Effect.map(
  internal.RunnerStateTag as unknown as Context.Tag<Runner, internal.RunnerState>,
  (state) => {
    const report = state.report()
    return {
      name: state.name,
      ...report.counters,
      share: state.share,
      queues: Array.from(state.queues.keys()),
      perQueue: report.queues
    }
  }
)

/**
 * The whole cluster's counters, as the runners last reported them to the
 * stats board (every `statsInterval`): one entry per runner, the totals per
 * workqueue name and in all.
 *
 * @example
 * ```ts
 * import type { ClusterWorkqueue } from "@cmwq/cluster"
 *
 * declare const stats: ClusterWorkqueue.ClusterStats
 * const busiest = [...stats.runners].sort((a, b) => b.inFlight - a.inFlight)[0]?.name
 * ```
 *
 * @since 0.1.0
 * @category models
 */
export interface ClusterStats {
  /** one entry per runner whose last report is younger than `maxAge` */
  readonly runners: ReadonlyArray<Counters & { readonly name: string; readonly share: number; readonly age: number }>
  /** per workqueue name: the sum over the runners */
  readonly queues: Readonly<Record<string, Counters>>
  /** the sum over the runners */
  readonly total: Counters
}

/**
 * Read the cluster-wide counters from the stats board: every runner reports
 * its own there every `statsInterval`, and a runner that closes gracefully
 * takes itself off. A runner whose last report is older than `maxAge`
 * (default 5 seconds) is left out: it died, or cannot reach the board. The
 * counters of a runner count since it started, so a restarted runner starts
 * from 0.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { ClusterWorkqueue } from "@cmwq/cluster"
 *
 * const line = Effect.map(
 *   ClusterWorkqueue.clusterStats(),
 *   (s) => `${s.runners.length} runners, ${s.total.inFlight} in flight, ${s.total.failed} failed`
 * )
 * ```
 *
 * Fails with `InvalidClusterOption` for a `maxAge` that is not a finite
 * duration of 0 or more.
 *
 * @since 0.1.0
 * @category observability
 */
export const clusterStats = (
  options: { readonly maxAge?: Duration.DurationInput | undefined } = {}
): Effect.Effect<
  ClusterStats,
  InvalidClusterOption | MailboxFull | AlreadyProcessingMessage | PersistenceError,
  ClusterClient
> =>
  Effect.flatMap(ClusterClient, (client) => internal.clusterStats(client.impl, options)) as Effect.Effect<
    ClusterStats,
    InvalidClusterOption | MailboxFull | AlreadyProcessingMessage | PersistenceError,
    ClusterClient
  >

/**
 * The stats board as a plain-text table, the cluster's `wq_monitor.py` view:
 * one row per runner (its counters, its share of the cluster-wide
 * `max_active` and the age of its last report in milliseconds), one row per
 * workqueue name summed over the runners, and the total.
 *
 * @example
 * ```ts
 * import { ClusterWorkqueue } from "@cmwq/cluster"
 * import { Effect } from "effect"
 *
 * const board = Effect.map(ClusterWorkqueue.clusterStats(), ClusterWorkqueue.formatClusterStats)
 * // "                 received  inFlight  succeeded  failed  interrupted  share  report age ms"
 * // "runner r1              20         0         20       0            0      8              3"
 * ```
 *
 * @since 0.1.0
 * @category observability
 */
export const formatClusterStats: (stats: ClusterStats) => string = internal.formatClusterStats

/**
 * Cancel a task stored with `send` and a `key`; pass the same request (it
 * routes the key to the same entity). A stored message not yet delivered
 * (its delay not reached, no runner up, or waiting behind its entity id) is
 * removed: it is given an "interrupted" reply and never runs. A run in
 * progress is interrupted on its runner. Returns `false` when no message
 * with that key is stored or it has already finished.
 *
 * @example
 * ```ts
 * import { Effect, Schema } from "effect"
 * import { ClusterWorkqueue } from "@cmwq/cluster"
 *
 * class Remind extends Schema.TaggedRequest<Remind>()("Remind", {
 *   payload: { user: Schema.String },
 *   success: Schema.Void,
 *   failure: Schema.Never
 * }) {}
 *
 * const program = Effect.gen(function*() {
 *   const request = new Remind({ user: "ada" })
 *   yield* ClusterWorkqueue.send(request, { key: "remind/ada", delay: "1 hour" })
 *   return yield* ClusterWorkqueue.cancel(request, "remind/ada") // true: it will not run
 * })
 * ```
 *
 * Fails with `InvalidClusterOption` for an empty `key`.
 *
 * @since 0.1.0
 * @category queueing
 */
export const cancel = (
  request: Task.Request,
  key: string
): Effect.Effect<
  boolean,
  InvalidClusterOption | MailboxFull | AlreadyProcessingMessage | PersistenceError,
  ClusterClient | MessageStorage.MessageStorage
> =>
  Effect.flatMap(ClusterClient, (client) => internal.cancelStored(client.impl, request, key)) as Effect.Effect<
    boolean,
    InvalidClusterOption | MailboxFull | AlreadyProcessingMessage | PersistenceError,
    ClusterClient | MessageStorage.MessageStorage
  >

/**
 * A runner's share of a cluster-wide max_active: `ceil(maxActive × cpus /
 * clusterCpus)`, at least 1 (kernel `wq_update_node_max_active`).
 *
 * @example
 * ```ts
 * import { ClusterWorkqueue } from "@cmwq/cluster"
 *
 * ClusterWorkqueue.shareOf(64, 4, 12) // 22
 * ```
 *
 * @since 0.1.0
 * @category utils
 */
export const shareOf: (maxActive: number, cpus: number, clusterCpus: number) => number = internal.shareOf

/**
 * Options of `send`.
 *
 * @example
 * ```ts
 * import { ClusterWorkqueue } from "@cmwq/cluster"
 *
 * const options: ClusterWorkqueue.SendOptions = { key: "invoice-42", delay: "10 minutes" }
 * ```
 *
 * @since 0.1.0
 * @category models
 */
export interface SendOptions {
  /**
   * the message's primary key: a second send with the same key is a
   * duplicate and is not stored again, even after the first has run (an
   * idempotency key, not a pending bit); non-empty
   */
  readonly key?: string | undefined
  /** deliver no earlier than this from now (`DeliverAt`); finite, 0 or more */
  readonly delay?: Duration.DurationInput | undefined
}

/**
 * Store a task for the cluster and return once it is stored; its result is
 * not awaited (the runner counts it in `stats`). A stored task outlives the
 * process that sent it and every runner restart.
 *
 * @example
 * ```ts
 * import { Effect, Schema } from "effect"
 * import { ClusterWorkqueue } from "@cmwq/cluster"
 *
 * class Remind extends Schema.TaggedRequest<Remind>()("Remind", {
 *   payload: { user: Schema.String },
 *   success: Schema.Void,
 *   failure: Schema.Never
 * }) {}
 *
 * const program = ClusterWorkqueue.send(new Remind({ user: "ada" }), { key: "remind/ada/2026-12-02", delay: "1 hour" })
 * ```
 *
 * Fails with `InvalidClusterOption` for an empty `key` or a `delay` that is
 * not a finite duration of 0 or more, and with `Task.TaskCodecError` for a
 * request its schema cannot encode.
 *
 * @since 0.1.0
 * @category queueing
 */
export const send = (
  request: Task.Request,
  options?: SendOptions
): Effect.Effect<
  void,
  InvalidClusterOption | Task.TaskCodecError | MailboxFull | AlreadyProcessingMessage | PersistenceError,
  ClusterClient
> =>
  Effect.flatMap(ClusterClient, (client) => internal.send(client.impl, request, options)) as Effect.Effect<
    void,
    InvalidClusterOption | Task.TaskCodecError | MailboxFull | AlreadyProcessingMessage | PersistenceError,
    ClusterClient
  >
