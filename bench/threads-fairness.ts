/**
 * What a CPU thread's fairness budget costs bench case 7's CPU-bound and
 * burn-then-await rows: the same `NodeThreads` workqueue (UNBOUND, max_active
 * 512, 2 threads) with each thread's pools at one budget, then the other, in
 * rounds, so both see the same machine.
 *
 * For each budget and round, medians of `REPS` runs of:
 * - cpu: 500 `Probe` tasks burning 2 ms each (completion time); every task
 *   answers when it started and ended on its thread, so the gap between
 *   one task's end and the next one's start on the same thread is the
 *   thread's own cost per task (median gap);
 * - io: 1000 tasks that burn 1 ms and then await 5 ms (completion time);
 * - the CPU time of every thread of the process during the cpu runs, from
 *   `/proc/self/task/<tid>/stat` (Linux only; empty elsewhere): the two
 *   busiest are the CPU threads, the rest the main thread and V8's helpers.
 *
 * Then, for comparison, the same 500 tasks of 2 ms (the cpu row) with the
 * same thread CPU accounting on two peers of bench case 7: raw
 * `worker_threads` with one `postMessage` per task, round robin, and
 * Piscina (`pool.run` per task, 2 threads).
 *
 * Run (the machine otherwise idle):
 *   node --conditions=@cmwq/source --import tsx bench/threads-fairness.ts [reps] [rounds] [budgets]
 * e.g. `... bench/threads-fairness.ts 7 3 2,10`.
 */
import { existsSync, readdirSync, readFileSync } from "node:fs"
import { Worker } from "node:worker_threads"
import { Piscina } from "piscina"
import { Deferred, Effect, Exit, Layer, ManagedRuntime, Scope } from "effect"
import { Task, Workqueue } from "@cmwq/core"
import { NodeThreads } from "@cmwq/platform-node"
import { BurnAwait, Probe } from "./cases/threads/tasks.js"

const REPS = Number(process.argv[2] ?? 7)
const ROUNDS = Number(process.argv[3] ?? 3)
const BUDGETS = (process.argv[4] ?? "2,10").split(",").map(Number)
const THREADS = 2

/** CPU ms of every thread of this process, by tid (clock ticks of 10 ms) */
const threadCpu = (): Map<string, number> => {
  const out = new Map<string, number>()
  if (!existsSync("/proc/self/task")) return out
  for (const tid of readdirSync("/proc/self/task")) {
    try {
      const stat = readFileSync(`/proc/self/task/${tid}/stat`, "utf8")
      const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ")
      out.set(tid, (Number(fields[11]) + Number(fields[12])) * 10)
    } catch {
      // the thread ended meanwhile
    }
  }
  return out
}

const median = (xs: ReadonlyArray<number>): number => {
  const s = [...xs].sort((a, b) => a - b)
  return s.length === 0 ? NaN : s[s.length >> 1]!
}

const measure = async (budget: number) => {
  const runtime = ManagedRuntime.make(
    NodeThreads.layer({
      threads: THREADS,
      handlers: new URL("./cases/threads/tasks.ts", import.meta.url),
      threadPools: { fairnessBudget: budget }
    }).pipe(Layer.orDie)
  )
  const wq = await runtime.runPromise(
    Effect.flatMap(
      Scope.make(),
      (scope) =>
        Workqueue.alloc("fairness", { flags: ["UNBOUND"], maxActive: 512 }).pipe(Scope.extend(scope), Effect.orDie)
    )
  )
  /** run `n` tasks to completion; the Probe answers, if any */
  const runAll = (n: number, request: () => Probe | BurnAwait) =>
    runtime.runPromise(Effect.gen(function*() {
      const done = yield* Deferred.make<void>()
      const spans: Array<readonly [number, number]> = []
      let left = n
      const make = yield* Task.maker
      for (let i = 0; i < n; i++) {
        Workqueue.unsafeQueue(
          wq,
          make(request(), {
            onExit: (exit) => {
              if (Exit.isSuccess(exit) && Array.isArray(exit.value)) spans.push(exit.value as [number, number])
              if (--left === 0) Deferred.unsafeDone(done, Effect.void)
            }
          })
        )
      }
      yield* Deferred.await(done)
      return spans
    }))
  // warm-up: thread start, TypeScript sources, the JIT
  await runAll(20_000, () => new Probe({ ms: 0 }, true))
  const cpuMs: Array<number> = []
  const gaps: Array<number> = []
  const ioMs: Array<number> = []
  const threadMs: Array<Array<number>> = []
  for (let r = 0; r < REPS; r++) {
    const before = threadCpu()
    const t0 = performance.now()
    const spans = await runAll(500, () => new Probe({ ms: 2 }, true))
    cpuMs.push(performance.now() - t0)
    const after = threadCpu()
    threadMs.push(
      [...after].map(([tid, ms]) => ms - (before.get(tid) ?? 0)).filter((ms) => ms > 0).sort((a, b) => b - a)
    )
    // spans of one thread do not overlap: sorted by start, a gap is a start after the previous end
    const sorted = spans.slice().sort((a, b) => a[0] - b[0])
    const ends: Array<number> = []
    for (const [start, end] of sorted) {
      const free = ends.findIndex((e) => e <= start)
      if (free >= 0) {
        gaps.push(start - ends[free]!)
        ends[free] = end
      } else ends.push(end)
    }
    const t1 = performance.now()
    await runAll(1000, () => new BurnAwait({ burnMs: 1, awaitMs: 5 }, true))
    ioMs.push(performance.now() - t1)
  }
  await runtime.dispose()
  const threads = threadMs[0]!.map((_, i) => median(threadMs.map((t) => t[i] ?? 0)))
  return { cpu: median(cpuMs), gap: median(gaps), io: median(ioMs), threads }
}

/** the cpu row on a peer: completion time and thread CPU, medians of REPS runs */
const measurePeer = async (run: (n: number) => Promise<unknown>) => {
  await run(2000)
  const ms: Array<number> = []
  const threadMs: Array<Array<number>> = []
  for (let r = 0; r < REPS; r++) {
    const before = threadCpu()
    const t0 = performance.now()
    await run(500)
    ms.push(performance.now() - t0)
    const after = threadCpu()
    threadMs.push([...after].map(([tid, v]) => v - (before.get(tid) ?? 0)).filter((v) => v > 0).sort((a, b) => b - a))
  }
  return { cpu: median(ms), threads: threadMs[0]!.map((_, i) => median(threadMs.map((t) => t[i] ?? 0))) }
}

const rawPeer = async () => {
  const workers = Array.from({ length: THREADS }, () => new Worker(new URL("./cases/threads/raw.mjs", import.meta.url)))
  let onReply = () => {}
  for (const w of workers) w.on("message", () => onReply())
  const m = await measurePeer((n) =>
    new Promise<void>((resolve) => {
      let left = n
      onReply = () => {
        if (--left === 0) resolve()
      }
      for (let i = 0; i < n; i++) workers[i % THREADS]!.postMessage({ id: i, k: 1, a: 2, b: 0 })
    })
  )
  await Promise.all(workers.map((w) => w.terminate()))
  return m
}

const piscinaPeer = async () => {
  const pool = new Piscina({
    filename: new URL("./cases/threads/work.mjs", import.meta.url).href,
    minThreads: THREADS,
    maxThreads: THREADS
  })
  const m = await measurePeer((n) => Promise.all(Array.from({ length: n }, () => pool.run({ k: 1, a: 2, b: 0 }))))
  await pool.destroy()
  return m
}

const main = async () => {
  console.log(
    `${THREADS} threads; budgets ${BUDGETS.join(", ")} ms; ${REPS} runs per budget and round, ${ROUNDS} rounds`
  )
  for (let round = 1; round <= ROUNDS; round++) {
    for (const budget of BUDGETS) {
      const m = await measure(budget)
      console.log(
        `round ${round}, budget ${budget} ms: 500 x 2 ms ${m.cpu.toFixed(0)} ms (gap between tasks on a thread ${
          (m.gap * 1000).toFixed(0)
        } µs); 1000 x (burn 1, await 5) ${m.io.toFixed(0)} ms; thread CPU during the 2 ms row, ms: ${
          m.threads.join(" ")
        }`
      )
    }
  }
  for (const [name, peer] of [["raw postMessage (1 msg/task)", rawPeer], ["piscina", piscinaPeer]] as const) {
    const m = await peer()
    console.log(`${name}: 500 x 2 ms ${m.cpu.toFixed(0)} ms; thread CPU, ms: ${m.threads.join(" ")}`)
  }
}

main().then(() => process.exit(0), (e: unknown) => {
  console.error(e)
  process.exit(1)
})
