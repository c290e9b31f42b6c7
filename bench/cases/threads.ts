/**
 * Case 7: tasks on worker threads, side by side.
 *
 * Contenders, all on `THREADS` threads (the machine's cores):
 * - cmwq: `NodeThreads.layer` (Schema-typed `Task` items on an UNBOUND
 *   workqueue, max_active 512; each thread runs its own pools; batched
 *   `postMessage`, one message per event-loop turn each way);
 * - cmwq with `Task.runAll`: the same tasks as batch items of 1024 (one
 *   work item and one message per batch; on the thread, each task is still
 *   its own item of that thread's pools);
 * - Piscina and tinypool (`pool.run(task)` for every task at once);
 * - raw `worker_threads`, one `postMessage` per task, round robin;
 * - batched `postMessage`: tasks as flat arrays, 1024 per message, results
 *   batched per turn: the transport's limit, with no scheduling at all;
 * - one thread: the same work on the main thread (a loop; for the awaiting
 *   row, every task started at once).
 *
 * Rows: 3 x 10^4 tiny tasks (`a + b`) throughput (the batched `postMessage` and
 * one-thread rows of the tiny tasks carry `limit: true`: the transport's and
 * the work's own floor, not peers); CPU-bound tasks (2 ms burn)
 * completion time; tasks that burn 1 ms then await 5 ms, completion time
 * (Piscina at its default `concurrentTasksPerWorker` = 1 and at its best of a
 * sweep); the main thread's event-loop max delay while offloading the tiny
 * tasks. Thread start-up is outside every measurement (pools are built once
 * per row and warmed up).
 */
import { availableParallelism } from "node:os"
import { Worker } from "node:worker_threads"
import { Deferred, Effect, Layer, ManagedRuntime, Scope } from "effect"
import { Task, Workqueue } from "@cmwq/core"
import { NodeThreads } from "@cmwq/platform-node"
import { Piscina } from "piscina"
import { Tinypool } from "tinypool"
import {
  type CaseOptions,
  type CaseResult,
  compare,
  fmt,
  med,
  now,
  progress,
  row,
  type Row,
  startEld,
  type Table
} from "../lib.js"
import { Add, Burn, BurnAwait } from "./threads/tasks.js"
// @ts-expect-error plain JavaScript, shared with the peers' workers
import { burn as burnJs, runTaskAsync as runTaskAsyncJs } from "./threads/work.mjs"

const burn = burnJs as (ms: number) => number
const runTaskAsync = runTaskAsyncJs as (k: number, a: number, b: number) => Promise<number>

const THREADS = Math.max(2, availableParallelism())
const workUrl = new URL("./threads/work.mjs", import.meta.url)

/** one kind of task: k 0 = a + b, 1 = burn a ms, 2 = burn a ms then await b ms */
interface Spec {
  readonly k: 0 | 1 | 2
  readonly n: number
  readonly a: number
  readonly b: number
}

interface M {
  readonly ms: number
  readonly eld: number
}

/** a contender: runs `spec` to completion */
type Runner = (spec: Spec) => Promise<void>

/** a warm-up run does a tenth of the tasks (the contenders were started and ran their first task before) */
const measure = (runner: Runner, spec: Spec) => async (warmup: boolean): Promise<M> => {
  const eld = startEld()
  const t0 = now()
  await runner(warmup ? { ...spec, n: Math.ceil(spec.n / 10) } : spec)
  const ms = now() - t0
  return { ms, eld: eld.stop() }
}

// -----------------------------------------------------------------------------
// contenders
// -----------------------------------------------------------------------------

/**
 * max_active of the cmwq contender's workqueue: task items in flight at once
 * (each runs away on a carrier, no queueing-side worker held while it is on
 * its thread: `Task.Transport.send`)
 */
const MAX_ACTIVE = 512

/** tasks per batch item of the `Task.runAll` contender */
const BATCH = 1024

/** every contender's submit loop hands the event loop back after this many tasks */
const CHUNK = 1024
const turn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve))

const cmwq = async (batched: boolean) => {
  const runtime = ManagedRuntime.make(
    NodeThreads.layer({ threads: THREADS, handlers: new URL("./threads/tasks.ts", import.meta.url) }).pipe(
      Layer.orDie
    )
  )
  // a workqueue that lives as long as the runtime (its scope is never closed: the runtime's disposal ends it)
  const wq = await runtime.runPromise(
    Effect.flatMap(
      Scope.make(),
      (scope) =>
        Workqueue.alloc("bench_tasks", { flags: ["UNBOUND"], maxActive: MAX_ACTIVE }).pipe(
          Scope.extend(scope),
          Effect.orDie
        )
    )
  )
  const run: Runner = (spec) =>
    runtime.runPromise(Effect.gen(function*() {
      const done = yield* Deferred.make<void>()
      let left = spec.n
      let failed = 0
      const onExit = (exit: { readonly _tag: string }) => {
        if (exit._tag !== "Success") failed++
        if (--left === 0) Deferred.unsafeDone(done, Effect.void)
      }
      if (batched) {
        // Task.runAll: one batch item per BATCH tasks, one message per batch
        const requests = new Array<Add | Burn | BurnAwait>(spec.n)
        for (let i = 0; i < spec.n; i++) {
          // built in chunks, handing the loop back between them, as the other contenders submit
          if (i % CHUNK === CHUNK - 1) yield* Effect.promise(turn)
          requests[i] = spec.k === 0
            ? new Add({ a: i, b: spec.b }, true)
            : spec.k === 1
            ? new Burn({ ms: spec.a }, true)
            : new BurnAwait({ burnMs: spec.a, awaitMs: spec.b }, true)
        }
        const exits = yield* Task.runAll(wq, requests, { size: BATCH }).pipe(Effect.orDie)
        for (const e of exits) if (e._tag !== "Success") failed++
        if (failed > 0) throw new Error(`cmwq runAll: ${failed} tasks failed`)
        return
      }
      const make = yield* Task.maker
      for (let i = 0; i < spec.n; i++) {
        if (i % CHUNK === CHUNK - 1) yield* Effect.promise(turn)
        // the payload is checked by its schema when the task is encoded: skip the constructor's second check
        const request = spec.k === 0
          ? new Add({ a: i, b: spec.b }, true)
          : spec.k === 1
          ? new Burn({ ms: spec.a }, true)
          : new BurnAwait({ burnMs: spec.a, awaitMs: spec.b }, true)
        Workqueue.unsafeQueue(wq, make(request, { onExit }))
      }
      yield* Deferred.await(done)
      if (failed > 0) throw new Error(`cmwq: ${failed} tasks failed`)
    }))
  return { run, close: () => runtime.dispose() }
}

/** a `pool.run(task)` pool (Piscina, tinypool): every task submitted at once, in chunks */
const taskPool = (pool: {
  readonly run: (task: { k: number; a: number; b: number }) => Promise<unknown>
  readonly destroy: () => Promise<unknown>
}) => {
  const run: Runner = async (spec) => {
    const all = new Array<Promise<unknown>>(spec.n)
    for (let i = 0; i < spec.n; i++) {
      if (i % CHUNK === CHUNK - 1) await turn()
      all[i] = pool.run({ k: spec.k, a: spec.k === 0 ? i : spec.a, b: spec.b })
    }
    await Promise.all(all)
  }
  return { run, close: () => pool.destroy() }
}

const piscina = (concurrentTasksPerWorker: number) =>
  taskPool(
    new Piscina({
      filename: workUrl.href,
      minThreads: THREADS,
      maxThreads: THREADS,
      concurrentTasksPerWorker,
      idleTimeout: 60_000
    })
  )

const tinypool = () =>
  taskPool(new Tinypool({ filename: workUrl.href, minThreads: THREADS, maxThreads: THREADS, idleTimeout: 60_000 }))

const rawThreads = (script: "raw.mjs" | "batched.mjs") => {
  const workers = Array.from({ length: THREADS }, () => new Worker(new URL(`./threads/${script}`, import.meta.url)))
  let onReply: (count: number) => void = () => {}
  for (const w of workers) {
    w.on("message", (m: unknown) => onReply(Array.isArray(m) ? m.length / 2 : 1))
  }
  const BATCH = 1024
  const run: Runner = async (spec) => {
    const done = new Promise<void>((resolve) => {
      let left = spec.n
      onReply = (count) => {
        left -= count
        if (left === 0) resolve()
      }
    })
    if (script === "raw.mjs") {
      for (let i = 0; i < spec.n; i++) {
        if (i % CHUNK === CHUNK - 1) await turn()
        workers[i % THREADS]!.postMessage({ id: i, k: spec.k, a: spec.k === 0 ? i : spec.a, b: spec.b })
      }
    } else {
      let w = 0
      for (let start = 0; start < spec.n; start += BATCH) {
        const end = Math.min(spec.n, start + BATCH)
        const b: Array<number> = []
        for (let i = start; i < end; i++) b.push(i, spec.k, spec.k === 0 ? i : spec.a, spec.b)
        workers[w++ % THREADS]!.postMessage(b)
        await turn()
      }
    }
    await done
  }
  return { run, close: () => Promise.all(workers.map((w) => w.terminate())) }
}

const oneThread = () => {
  let sink = 0
  const run: Runner = async (spec) => {
    if (spec.k === 0) {
      for (let i = 0; i < spec.n; i++) sink += i + spec.b
    } else if (spec.k === 1) {
      for (let i = 0; i < spec.n; i++) sink += burn(spec.a)
    } else {
      const all = new Array<Promise<number>>(spec.n)
      for (let i = 0; i < spec.n; i++) all[i] = runTaskAsync(2, spec.a, spec.b)
      await Promise.all(all)
    }
    if (sink === -1) throw new Error("unreachable")
  }
  return { run, close: () => Promise.resolve() }
}

// -----------------------------------------------------------------------------
// the case
// -----------------------------------------------------------------------------

interface Setup {
  readonly name: string
  readonly make: () =>
    | Promise<{ readonly run: Runner; readonly close: () => Promise<unknown> }>
    | { readonly run: Runner; readonly close: () => Promise<unknown> }
}

const PISCINA = "piscina 5.3.2"
const BATCHED = "cmwq NodeThreads (Task.runAll)"
const TINYPOOL = "tinypool 2.2.0"
const BATCHED_RAW = "batched postMessage"
const ONE_THREAD = "one thread"

export const run = async (options: CaseOptions): Promise<CaseResult> => {
  const q = options.quick
  const rows: Array<Row> = []
  const tables: Array<Table> = []
  // full sizes: 10^5 tiny, 500 CPU-bound and 1000 awaiting tasks until the full run had to fit in ten minutes
  // (tinypool took 5.5 s a round for the tiny tasks; Piscina at one task per thread and tinypool 3.2 s each for
  // the awaiting ones; the CPU-bound row 5.3 s a round in all)
  const tiny: Spec = { k: 0, n: q ? 5_000 : 30_000, a: 0, b: 1 }
  const cpu: Spec = { k: 1, n: q ? 50 : 300, a: 2, b: 0 }
  const io: Spec = { k: 2, n: q ? 50 : 500, a: 1, b: 5 }
  // Piscina's best setting was 8 or 64 in the recorded runs; 2, the sweep's slowest, was dropped to fit the full
  // run in ten minutes
  const sweep = q ? [8] : [4, 8, 16, 64]

  const setups: Array<Setup> = [
    { name: "cmwq NodeThreads", make: () => cmwq(false) },
    { name: BATCHED, make: () => cmwq(true) },
    { name: PISCINA, make: () => piscina(1) },
    { name: TINYPOOL, make: tinypool },
    { name: "raw postMessage (1 msg/task)", make: () => rawThreads("raw.mjs") },
    { name: BATCHED_RAW, make: () => rawThreads("batched.mjs") },
    { name: ONE_THREAD, make: oneThread }
  ]
  const ioSetups: Array<Setup> = [
    ...setups,
    ...sweep.map((c) => ({ name: `${PISCINA} (concurrentTasksPerWorker ${c})`, make: () => piscina(c) }))
  ]

  progress(`  case 7: starting ${ioSetups.length} contenders on ${THREADS} threads`)
  const t0 = now()
  const live = await Promise.all(ioSetups.map(async (s) => ({ name: s.name, ...(await s.make()) })))
  // the first task of each: thread start-up (and, for cmwq, the TypeScript sources) out of the way
  for (const c of live) await c.run({ k: 0, n: 10, a: 0, b: 1 })
  progress(`  case 7: contenders ready in ${((now() - t0) / 1000).toFixed(1)} s`)

  const results: Record<string, ReadonlyArray<{ readonly name: string; readonly samples: Array<M> }>> = {}
  const rowsOf = [
    ["tiny", tiny, live.slice(0, setups.length)],
    ["cpu", cpu, live.slice(0, setups.length)],
    ["io", io, live]
  ] as const
  for (const [key, spec, contenders] of rowsOf) {
    results[key] = await compare(
      `case 7 ${key}`,
      contenders.map((c) => ({ name: c.name, run: measure(c.run, spec) })),
      q ? { ...options, reps: 2 } : options
    )
  }
  await Promise.all(live.map((c) => c.close()))

  const value = (key: string, name: string, f: (m: M) => number) => {
    const r = results[key]!.find((x) => x.name === name)!
    return med(r.samples, f)
  }
  const ours = "cmwq NodeThreads"
  const tinyName = `7. tiny tasks (a + b), N=${fmt(tiny.n)}, ${THREADS} threads: throughput`
  const cpuName = `7. CPU-bound tasks (2 ms), N=${cpu.n}, ${THREADS} threads: completion time`
  const ioName = `7. tasks burning 1 ms then awaiting 5 ms, N=${io.n}, ${THREADS} threads: completion time`
  const eldName = `7. tiny tasks, N=${fmt(tiny.n)}: main thread's event-loop max delay`
  const tput = (m: M) => tiny.n / (m.ms / 1000)
  const peers = setups.map((s) => s.name).filter((n) => !n.startsWith("cmwq"))
  const batchedTiny = `7. tiny tasks (a + b) with Task.runAll, N=${fmt(tiny.n)}, ${THREADS} threads: throughput`
  const batchedEld = `7. tiny tasks with Task.runAll, N=${fmt(tiny.n)}: main thread's event-loop max delay`
  // on the tiny rows, the bare batched transport and the plain loop are limits, not peers
  const tinyLimit = (p: string) => p === BATCHED_RAW || p === ONE_THREAD
  for (const p of peers) {
    rows.push(row(tinyName, value("tiny", ours, tput), p, value("tiny", p, tput), "tasks/s", "higher", tinyLimit(p)))
  }
  for (const p of peers) {
    rows.push(
      row(batchedTiny, value("tiny", BATCHED, tput), p, value("tiny", p, tput), "tasks/s", "higher", tinyLimit(p))
    )
  }
  for (const p of peers) {
    rows.push(
      row(
        batchedEld,
        value("tiny", BATCHED, (m) => m.eld),
        p,
        value("tiny", p, (m) => m.eld),
        "ms",
        "lower",
        tinyLimit(p)
      )
    )
  }
  for (const p of peers) {
    rows.push(row(cpuName, value("cpu", ours, (m) => m.ms), p, value("cpu", p, (m) => m.ms), "ms", "lower"))
  }
  let best = { name: "", ms: Infinity }
  for (const p of ioSetups.map((s) => s.name).filter((n) => !n.startsWith("cmwq"))) {
    const ms = value("io", p, (m) => m.ms)
    if (p.startsWith(PISCINA) && ms < best.ms) best = { name: p, ms }
    rows.push(row(ioName, value("io", ours, (m) => m.ms), p, ms, "ms", "lower"))
  }
  for (const p of peers) {
    rows.push(
      row(eldName, value("tiny", ours, (m) => m.eld), p, value("tiny", p, (m) => m.eld), "ms", "lower", tinyLimit(p))
    )
  }

  tables.push({
    title: `Case 7: tasks on ${THREADS} worker threads (medians)`,
    headers: ["contender", "tiny tasks/s", "tiny: loop max delay ms", "CPU 2 ms: ms", "burn 1 + await 5: ms"],
    rows: ioSetups.map((s) => [
      s.name,
      results["tiny"]!.some((r) => r.name === s.name) ? fmt(value("tiny", s.name, tput)) : "",
      results["tiny"]!.some((r) => r.name === s.name) ? fmt(value("tiny", s.name, (m) => m.eld)) : "",
      results["cpu"]!.some((r) => r.name === s.name) ? fmt(value("cpu", s.name, (m) => m.ms)) : "",
      fmt(value("io", s.name, (m) => m.ms))
    ])
  })
  return {
    rows,
    tables,
    notes: [
      `Case 7: ${THREADS} threads for every pool contender; Piscina and tinypool with minThreads = maxThreads = ${THREADS}. Piscina's best setting for the awaiting row: ${best.name} (${
        fmt(best.ms)
      } ms). cmwq runs Schema-typed Task items (request and Exit encoded and decoded with their schemas) on an UNBOUND workqueue with max_active ${MAX_ACTIVE}; the batched postMessage contender is the transport alone (no schema, no scheduling).`
    ]
  }
}
