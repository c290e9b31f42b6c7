/**
 * A runner with thread CPUs (`runOn: "transport"` over `NodeThreads.layer`):
 * tasks sent through the cluster are decoded on the runner and run on its
 * worker threads, and a thread's `TaskCpuLost` reaches the caller typed.
 * On the in-process test runner, in real time (the threads do).
 */
import { Task, WorkerPool, Workqueue } from "@cmwq/core"
import { NodeThreads } from "@cmwq/platform-node"
import { describe, expect, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import { threadId } from "node:worker_threads"
import { ClusterStorage, ClusterWorkqueue } from "@cmwq/cluster"
import { handlers, LoseThread, WhereAmI } from "./fixtures/thread-tasks.js"

const threads = NodeThreads.layer({ threads: 2, handlers: new URL("./fixtures/thread-tasks.ts", import.meta.url) })

/** the queueing side on its own pools; the runner on the threads' pools and transport */
const live = Layer.mergeAll(
  ClusterWorkqueue.layerTransport().pipe(Layer.provideMerge(WorkerPool.layer())),
  ClusterWorkqueue.layerRunner({ handlers, maxActive: 8, runOn: "transport" }).pipe(Layer.provide(threads))
).pipe(Layer.provideMerge(ClusterStorage.layerMemory))

describe("ClusterWorkqueue.layerRunner runOn transport", () => {
  it.live("tasks sent to the cluster run on the runner's worker threads", () =>
    Effect.gen(function*() {
      const wq = yield* Workqueue.alloc("where", { flags: ["UNBOUND"] })
      const ids = yield* Effect.forEach(Array.from({ length: 20 }, () => new WhereAmI()), (t) => Task.run(wq, t), {
        concurrency: 8
      })
      // worker threads have ids above 0; this test runs on its process's main thread or on a vitest worker
      expect(ids.every((id) => id > 0 && id !== threadId)).toBe(true)
      expect(new Set(ids).size).toBeLessThanOrEqual(2)
    }).pipe(Effect.scoped, Effect.provide(live)), 60_000)

  it.live(
    "a thread lost mid-task fails the caller with TaskCpuLost, typed across the cluster",
    () =>
      Effect.gen(function*() {
        const wq = yield* Workqueue.alloc("lose", { flags: ["UNBOUND"] })
        const error = yield* Effect.flip(Task.run(wq, new LoseThread()))
        expect(error._tag).toBe("TaskCpuLost")
      }).pipe(Effect.scoped, Effect.provide(live)),
    60_000
  )

  it.live(
    "runOn is checked: a bad value, no transport below the runner, the cluster's own transport",
    () =>
      Effect.gen(function*() {
        const build = <A, E extends { readonly message: string }>(layer: Layer.Layer<A, E>) =>
          Effect.flip(Layer.build(layer)).pipe(Effect.scoped, Effect.map((e) => e.message))
        const pools = Layer.merge(ClusterStorage.layerMemory, WorkerPool.layer())
        const bad = yield* build(
          ClusterWorkqueue.layerRunner({ handlers, runOn: "threads" as "transport" }).pipe(Layer.provide(pools))
        )
        expect(bad).toBe(`cluster option runOn = threads: expected "in-process" or "transport"`)
        const none = yield* build(
          ClusterWorkqueue.layerRunner({ handlers, runOn: "transport" }).pipe(Layer.provide(pools))
        )
        expect(none).toMatch(/^cluster option runOn = transport: no Task.TaskTransport in the runner's context/)
        const own = yield* build(
          ClusterWorkqueue.layerRunner({ handlers, runOn: "transport" }).pipe(
            Layer.provide(ClusterWorkqueue.layerTransport()),
            Layer.provide(pools)
          )
        )
        expect(own).toMatch(/is the cluster's own \(layerTransport\)/)
      }),
    60_000
  )
})
