/**
 * Cluster layers to run `@cmwq/cluster` on: the embedded, durable default
 * (SQLite through `@effect/sql-sqlite-node`) and an in-memory one for tests.
 *
 * @since 0.1.0
 */
import type * as MessageStorage from "@effect/cluster/MessageStorage"
import type * as Runners from "@effect/cluster/Runners"
import type * as Sharding from "@effect/cluster/Sharding"
import type * as ShardingConfig from "@effect/cluster/ShardingConfig"
import * as SingleRunner from "@effect/cluster/SingleRunner"
import * as TestRunner from "@effect/cluster/TestRunner"
import * as SqliteClient from "@effect/sql-sqlite-node/SqliteClient"
import * as SqlClient from "@effect/sql/SqlClient"
import type * as SqlError from "@effect/sql/SqlError"
import type * as ConfigError from "effect/ConfigError"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import { InvalidClusterOption } from "./internal/errors.js"

/**
 * How a SQLite commit reaches the disk (`PRAGMA synchronous`), set on every
 * open of the file:
 *
 * - `"full"` (the default): every commit is written through to the disk
 *   (fsync) before it returns. A task accepted by `send` survives a crash of
 *   the process, of the operating system and a power cut.
 * - `"normal"`: in WAL mode, commits are written to the log without an fsync;
 *   the log is synced at checkpoints. A task survives a crash of the process,
 *   but the last commits before an operating-system crash or a power cut can
 *   be lost (as with Redis's `appendfsync everysec`). Faster: no fsync per
 *   message and per reply.
 *
 * Set explicitly because the `better-sqlite3` build's own default for a
 * database in WAL mode is `normal` (it is compiled with
 * `SQLITE_DEFAULT_WAL_SYNCHRONOUS=1`): left alone, no commit would be synced.
 *
 * @since 0.1.0
 * @category models
 */
export type Synchronous = "full" | "normal"

const SYNCHRONOUS: ReadonlyArray<Synchronous> = ["full", "normal"]

/**
 * A single-runner cluster whose messages are stored in a SQLite file
 * (`SqlMessageStorage`, write-ahead log on): tasks survive a restart of the
 * process. The file is created if missing. `synchronous` says whether each
 * commit is synced to the disk (`"full"`, the default) or not (`"normal"`);
 * see `Synchronous`. The layer also provides its `SqlClient`, the file's one
 * connection, for an app's own tables (an idempotency key's, say).
 *
 * Fails with `InvalidClusterOption` for a `synchronous` that is neither
 * `"full"` nor `"normal"`.
 *
 * @example
 * ```ts
 * import { ClusterStorage } from "@cmwq/cluster"
 *
 * const cluster = ClusterStorage.layerSqlite({ filename: "cmwq.db" })
 * // no fsync per commit: a process crash loses nothing, a power cut can lose the last commits
 * const faster = ClusterStorage.layerSqlite({ filename: "cmwq.db", synchronous: "normal" })
 * ```
 *
 * @since 0.1.0
 * @category layers
 */
export const layerSqlite = (options: {
  /** the SQLite file */
  readonly filename: string
  /** overrides of the cluster's sharding configuration */
  readonly shardingConfig?: Partial<ShardingConfig.ShardingConfig["Type"]> | undefined
  /** whether a commit is synced to the disk before it returns (default `"full"`: it is) */
  readonly synchronous?: Synchronous | undefined
}): Layer.Layer<
  Sharding.Sharding | Runners.Runners | MessageStorage.MessageStorage | SqlClient.SqlClient,
  ConfigError.ConfigError | InvalidClusterOption | SqlError.SqlError
> => {
  const synchronous = options.synchronous ?? "full"
  if (!SYNCHRONOUS.includes(synchronous)) {
    return Layer.fail(
      new InvalidClusterOption({
        option: "synchronous",
        value: String(options.synchronous),
        reason: `expected one of ${SYNCHRONOUS.map((s) => `"${s}"`).join(", ")}`
      })
    )
  }
  const client = SqliteClient.layer({ filename: options.filename }).pipe(
    Layer.tap((context) =>
      // the connection is the client's only one: the pragma holds for every statement it runs
      Effect.asVoid(
        Context.get(context, SqlClient.SqlClient).unsafe(`PRAGMA synchronous = ${synchronous.toUpperCase()}`)
      )
    )
  )
  return SingleRunner.layer({ shardingConfig: options.shardingConfig, runnerStorage: "memory" }).pipe(
    Layer.provideMerge(Layer.map(client, (context) => Context.pick(SqlClient.SqlClient)(context)))
  )
}

/**
 * An in-memory single-runner cluster (`@effect/cluster`'s `TestRunner`):
 * for tests. Nothing survives the layer.
 *
 * @example
 * ```ts
 * import { ClusterStorage } from "@cmwq/cluster"
 *
 * const cluster = ClusterStorage.layerMemory
 * ```
 *
 * @since 0.1.0
 * @category layers
 */
export const layerMemory: Layer.Layer<Sharding.Sharding | Runners.Runners | MessageStorage.MessageStorage> =
  TestRunner.layer
