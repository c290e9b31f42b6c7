/**
 * `npm run demo:cluster`: tasks on the embedded durable cluster (SQLite in a
 * temporary file). The app code is the one-machine code; only the Layer
 * differs: `ClusterWorkqueue.layerTransport` + `layerRunner` over
 * `ClusterStorage.layerSqlite` instead of `Task.layerInProcess`.
 */
import { Task, WorkerPool, Workqueue } from "@cmwq/core"
import { ClusterStorage, ClusterWorkqueue } from "@cmwq/cluster"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Schema from "effect/Schema"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"

class Add extends Schema.TaggedRequest<Add>()("Add", {
  payload: { a: Schema.Number, b: Schema.Number },
  success: Schema.Number,
  failure: Schema.Never
}) {}

const handlers = Task.registry(Task.handler(Add, ({ a, b }) => Effect.succeed(a + b)))

const filename = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "cmwq-demo-")), "cmwq.db")

// one machine: Task.layerInProcess.pipe(Layer.provide(Task.handlers(handlers)), Layer.provideMerge(WorkerPool.layer()))
const live = Layer.mergeAll(
  ClusterWorkqueue.layerTransport(),
  ClusterWorkqueue.layerRunner({ handlers, maxActive: 8 })
).pipe(
  Layer.provideMerge(WorkerPool.layer()),
  Layer.provideMerge(ClusterStorage.layerSqlite({ filename }))
)

const program = Effect.gen(function*() {
  const wq = yield* Workqueue.alloc("math", { flags: ["UNBOUND"], maxActive: 16 })
  const sums = yield* Effect.forEach(
    Array.from({ length: 20 }, (_, i) => new Add({ a: i, b: i })),
    (request) => Task.run(wq, request),
    { concurrency: "unbounded" }
  )
  yield* Effect.log(`20 tasks ran on the cluster; sum of results = ${sums.reduce((x, y) => x + y, 0)}`)
  const stats = yield* ClusterWorkqueue.stats
  yield* Effect.log(`runner: ${stats.received} received, ${stats.succeeded} succeeded, share ${stats.share}`)
  yield* Effect.log(`messages stored in ${filename}`)
  // the stats board, every runner's report (one runner here)
  yield* Effect.sleep("1100 millis")
  console.log(ClusterWorkqueue.formatClusterStats(yield* ClusterWorkqueue.clusterStats()))
})

Effect.runPromise(program.pipe(Effect.scoped, Effect.provide(live))).then(
  () => process.exit(0),
  (e) => {
    console.error(e)
    process.exit(1)
  }
)
