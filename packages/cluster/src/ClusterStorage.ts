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
import type * as ConfigError from "effect/ConfigError"
import * as Layer from "effect/Layer"

/**
 * A single-runner cluster whose messages are stored in a SQLite file
 * (`SqlMessageStorage`): tasks survive a restart of the process. The file is
 * created if missing.
 *
 * @example
 * ```ts
 * import { ClusterStorage } from "@cmwq/cluster"
 *
 * const cluster = ClusterStorage.layerSqlite({ filename: "cmwq.db" })
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
}): Layer.Layer<Sharding.Sharding | Runners.Runners | MessageStorage.MessageStorage, ConfigError.ConfigError> =>
  SingleRunner.layer({ shardingConfig: options.shardingConfig, runnerStorage: "memory" }).pipe(
    Layer.provide(SqliteClient.layer({ filename: options.filename }))
  )

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
