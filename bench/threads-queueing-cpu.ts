/**
 * The queueing side's CPU cost per task, without threads: the cmwq engine
 * with a stub transport that answers every task on this thread, batched per
 * event-loop turn (`setImmediate`): the request is encoded and the result
 * decoded as by `NodeThreads`, and the serving side (which runs on a CPU
 * thread there) is left out: the reply is the encoded success. Three ways
 * in: `run` only (each task holds a queueing-side worker fiber until its
 * result); `run` + `send` (the item runs away from the workers:
 * `Task.Transport.send`); and `Task.runAll` over `sendAll` (one batch item
 * per 1024 tasks, each batch encoded, answered and decoded as one unit, as
 * `NodeThreads` does).
 *
 * Measured with `process.cpuUsage()` (user + system) over many repetitions;
 * no threads here, so that is the main thread's CPU. Run:
 *   node --expose-gc --conditions=@cmwq/source --import tsx bench/threads-queueing-cpu.ts [tasks] [reps]
 */
import { Deferred, Effect, type Exit, Layer } from "effect"
import { Task, WorkerPool, Workqueue } from "@cmwq/core"
import { Add } from "./cases/threads/tasks.js"

const N = Number(process.argv[2] ?? 20_000)
const REPS = Number(process.argv[3] ?? 5)

/** serve a batch on this thread, as a CPU thread would (encode, serve, decode) */
const makeStub = (withSend: boolean): Task.Transport => {
  let batches: Array<
    [ReadonlyArray<Task.Request>, Array<unknown>, (exits: ReadonlyArray<Exit.Exit<unknown, unknown>>) => void]
  > = []
  const flushBatches = () => {
    const bs = batches
    batches = []
    for (const [requests, payloads, done] of bs) {
      const exits = new Array<Exit.Exit<unknown, unknown>>(requests.length)
      for (let i = 0; i < requests.length; i++) {
        const { a, b } = payloads[i] as { readonly a: number; readonly b: number }
        exits[i] = Task.decodeResult(requests[i]!, { ok: true, exit: { _tag: "Success", value: a + b } })
      }
      done(exits)
    }
  }
  let batch: Array<[Task.Request, unknown, (exit: Exit.Exit<unknown, unknown>) => void]> = []
  const flush = () => {
    const b = batch
    batch = []
    for (const [request, payload, done] of b) {
      const { a, b } = payload as { readonly a: number; readonly b: number }
      done(Task.decodeResult(request, { ok: true, exit: { _tag: "Success", value: a + b } }))
    }
  }
  const send = (request: Task.Request, done: (exit: Exit.Exit<unknown, unknown>) => void) => {
    if (batch.length === 0) setImmediate(flush)
    batch.push([request, Task.encodeRequest(request), done])
  }
  return {
    run: (request) => Effect.async<unknown, unknown>((resume) => send(request, resume)),
    ...(withSend ? { send: (request, _target, _handle, done) => send(request, done) } : {}),
    sendAll: (requests, _target, _handle, done) => {
      if (batches.length === 0) setImmediate(flushBatches)
      batches.push([requests, requests.map(Task.encodeRequest), done])
    }
  }
}

const once = (withSend: boolean) =>
  Effect.gen(function*() {
    const wq = yield* Workqueue.alloc("cpu", { flags: ["UNBOUND"], maxActive: 512 })
    const make = yield* Task.maker
    const done = yield* Deferred.make<void>()
    let left = N
    const onExit = () => {
      if (--left === 0) Deferred.unsafeDone(done, Effect.void)
    }
    const t0 = process.cpuUsage()
    for (let i = 0; i < N; i++) {
      if (i % 1024 === 1023) yield* Effect.promise(() => new Promise((r) => setImmediate(r)))
      Workqueue.unsafeQueue(wq, make(new Add({ a: i, b: 1 }, true), { onExit }))
    }
    yield* Deferred.await(done)
    const d = process.cpuUsage(t0)
    return (d.user + d.system) / N
  }).pipe(
    Effect.scoped,
    Effect.provide(Layer.merge(Layer.succeed(Task.TaskTransport, makeStub(withSend)), WorkerPool.layer({ cpus: 2 })))
  )

const batched = Effect.gen(function*() {
  const wq = yield* Workqueue.alloc("cpu", { flags: ["UNBOUND"], maxActive: 512 })
  const t0 = process.cpuUsage()
  const requests = new Array<Add>(N)
  for (let i = 0; i < N; i++) requests[i] = new Add({ a: i, b: 1 }, true)
  const exits = yield* Task.runAll(wq, requests)
  const d = process.cpuUsage(t0)
  if (exits.length !== N) throw new Error("lost results")
  return (d.user + d.system) / N
}).pipe(
  Effect.scoped,
  Effect.provide(Layer.merge(Layer.succeed(Task.TaskTransport, makeStub(true)), WorkerPool.layer({ cpus: 2 })))
)

const main = Effect.gen(function*() {
  const out: Record<string, Array<number>> = {
    "run (worker fiber per task)": [],
    "send (away)": [],
    "runAll (sendAll, batches of 1024)": []
  }
  yield* once(true)
  yield* once(false) // warm-up
  yield* batched
  for (let r = 0; r < REPS; r++) {
    out["run (worker fiber per task)"]!.push(yield* once(false))
    out["send (away)"]!.push(yield* once(true))
    out["runAll (sendAll, batches of 1024)"]!.push(yield* batched)
  }
  for (const [k, v] of Object.entries(out)) {
    const sorted = [...v].sort((a, b) => a - b)
    console.log(
      `${k}: median ${sorted[sorted.length >> 1]!.toFixed(1)} µs CPU/task (${v.map((x) => x.toFixed(1)).join(", ")})`
    )
  }
})

Effect.runPromise(main).catch((e: unknown) => {
  console.error(e)
  process.exitCode = 1
})
