/**
 * The queueing side of `Task.runAll` alone, for a CPU profile: `reps` times
 * `tasks` tiny `Add` tasks through `Task.runAll` (batches of 1024) over a stub
 * `sendAll` transport that answers every batch on this thread at the next
 * event-loop turn (encode and decode as `NodeThreads` does, no threads), and
 * the main thread's CPU per task (`process.cpuUsage()`, user + system), for
 * building the requests and for `Task.runAll` apart. Run:
 *   node --cpu-prof --cpu-prof-dir=/tmp/prof --conditions=@cmwq/source --import tsx \
 *     bench/threads-runall-profile.ts [tasks] [reps]
 *   npx tsx bench/cpuprofile-top.ts /tmp/prof/<file>.cpuprofile
 */
import { Effect, type Exit, Layer } from "effect"
import { Task, WorkerPool, Workqueue } from "@cmwq/core"
import { Add } from "./cases/threads/tasks.js"

const N = Number(process.argv[2] ?? 100_000)
const REPS = Number(process.argv[3] ?? 10)

const stub = (): Task.Transport => {
  let batches: Array<
    [ReadonlyArray<Task.Request>, Array<unknown>, (exits: ReadonlyArray<Exit.Exit<unknown, unknown>>) => void]
  > = []
  const answer = () => {
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
  return {
    run: () => Effect.die("unused: sendAll is present"),
    sendAll: (requests, _target, _handle, done) => {
      if (batches.length === 0) setImmediate(answer)
      batches.push([requests, requests.map(Task.encodeRequest), done])
    }
  }
}

const once = Effect.gen(function*() {
  const wq = yield* Workqueue.alloc("cpu", { flags: ["UNBOUND"], maxActive: 512 })
  const t0 = process.cpuUsage()
  const requests = new Array<Add>(N)
  for (let i = 0; i < N; i++) requests[i] = new Add({ a: i, b: 1 }, true)
  const t1 = process.cpuUsage()
  const exits = yield* Task.runAll(wq, requests)
  const built = process.cpuUsage(t0)
  const d = process.cpuUsage(t1)
  if (exits.length !== N || exits.some((e) => e === undefined)) throw new Error("lost results")
  return [(built.user + built.system - d.user - d.system) / N, (d.user + d.system) / N] as const
}).pipe(
  Effect.scoped,
  Effect.provide(Layer.merge(Layer.succeed(Task.TaskTransport, stub()), WorkerPool.layer({ cpus: 2 })))
)

Effect.runPromise(Effect.gen(function*() {
  const build: Array<number> = []
  const per: Array<number> = []
  for (let r = 0; r < REPS; r++) {
    const [b, p] = yield* once
    build.push(b)
    per.push(p)
  }
  const median = (v: ReadonlyArray<number>) => [...v].sort((a, b) => a - b)[v.length >> 1]!.toFixed(2)
  console.log(`building ${N} requests (new Add): median ${median(build)} µs CPU/task`)
  console.log(`Task.runAll of them: median ${median(per)} µs CPU/task (${per.map((x) => x.toFixed(2)).join(", ")})`)
})).catch((e: unknown) => {
  console.error(e)
  process.exitCode = 1
})
