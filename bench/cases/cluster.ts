/**
 * Case 10: tasks on a cluster, side by side with BullMQ on Redis.
 *
 * Contenders:
 * - cmwq cluster, SQLite synchronous full: `ClusterWorkqueue.layerTransport` +
 *   `layerRunner` over `ClusterStorage.layerSqlite` (the embedded default:
 *   every task a persisted message in a SQLite file in WAL mode,
 *   `synchronous: "full"`, so every commit is synced to the disk);
 * - cmwq cluster, SQLite synchronous normal (one runner): the same with
 *   `synchronous: "normal"` (no fsync per commit: a process crash loses
 *   nothing, an operating-system crash or power cut can lose the last
 *   commits);
 * - cmwq cluster, in memory: the same over `ClusterStorage.layerMemory`
 *   (nothing stored): the difference is the cost of durability;
 * - BullMQ on a `redis-server` this case starts on a loopback port, with the
 *   append-only file on and `appendfsync always` (every write reaches the
 *   disk before the reply: the peer of synchronous full), and with one runner
 *   once more on a second Redis with `appendfsync everysec` (Redis's default
 *   when the append-only file is on: a process crash loses nothing, a power
 *   cut up to a second of acknowledged jobs: the peer of synchronous normal).
 *
 * One runner: the runner (or BullMQ `Worker`) is in the producer's process,
 * as in the package's README. Three runners: for ours, three
 * `@effect/cluster` members in the producer's process, each on its own
 * loopback socket (`NodeClusterSocket`) with its own Sharding, shard locks
 * and pools, all on one SQLite connection, the producer a client-only member;
 * for BullMQ, three `Worker`s in the producer's process, and three worker
 * processes. Our runners share a process because runner processes on one
 * SQLite file fail under a burst ("database is locked"): a runner process
 * per machine needs a server database (PostgreSQL), which this case does not
 * start. No in-memory three-runner contender: the in-memory storage belongs
 * to one cluster member.
 *
 * Concurrency: `CONCURRENCY` tasks at once cluster-wide on either side: our
 * cluster-wide `maxActive` (each of three runners runs its share,
 * `ceil(48 / 3)` = 16), BullMQ's `Worker` `concurrency` (48 for one worker,
 * 16 for each of three): the same number in flight on every runner on both
 * sides, and far more than the rates either side reaches need (48 tasks of
 * 1 ms allow 48 000 a second), so the limit is each side's own cost per
 * task, not the concurrency. The producer's own workqueue lets every task of a
 * burst be in flight (max_active `WQ_MAX_ACTIVE`, a burst is smaller), so
 * every task is sent, and stored, at once, as `addBulk` does for BullMQ.
 *
 * Two measurements per kind of task (tiny: nothing; 1 ms: a 1 ms timer, a
 * stand-in for I/O):
 * - throughput: a burst of N tasks queued at once, N over the time from the
 *   first queueing call until the producer has seen the last result (our
 *   task's reply; BullMQ's `completed` event through `QueueEvents`);
 * - latency: 20 tasks (10 with --quick) queued at a fixed `RATE` per second, below every
 *   contender's throughput; queue-to-finish is the time from the queueing
 *   call to the end of the task's body (in the runner's process; epoch
 *   times, `performance.timeOrigin + performance.now()`, comparable across
 *   the processes of one machine). p99 (nearest rank) over one round's tasks,
 *   median over the rounds.
 *
 * Without `redis-server` on the PATH the BullMQ contenders are skipped (a
 * message says so and how to install it) and only our rows' table is printed.
 */
import { type ChildProcess, spawn, spawnSync } from "node:child_process"
import { mkdtempSync, rmSync } from "node:fs"
import { createServer } from "node:net"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { ClusterStorage, ClusterWorkqueue } from "@cmwq/cluster"
import { Task, WorkerPool, Workqueue } from "@cmwq/core"
import * as RunnerAddress from "@effect/cluster/RunnerAddress"
import * as NodeClusterSocket from "@effect/platform-node/NodeClusterSocket"
import * as SqliteClient from "@effect/sql-sqlite-node/SqliteClient"
import * as SqlClient from "@effect/sql/SqlClient"
import { Queue, QueueEvents, Worker } from "bullmq"
import { Context, Effect, Exit, Layer, ManagedRuntime, Option, Scope } from "effect"
import {
  type CaseOptions,
  type CaseResult,
  compare,
  fmt,
  med,
  now,
  percentile,
  progress,
  row,
  type Row,
  sleepMs
} from "../lib.js"
import { epochMs, handlers, Tiny, Wait } from "./cluster/tasks.js"

/** tasks running at once cluster-wide, on either side */
const CONCURRENCY = 48
/** the latency phase: tasks queued at this rate per second */
const RATE = 50
const BULLMQ = "bullmq 6.7.0"

type Kind = "tiny" | "wait"

/** what one task reports back: when its body ended and on which runner (undefined: it failed) */
interface Finished {
  readonly at: number
  readonly runner: string
}

type OnDone = (finished: Finished | undefined) => void

/** a contender, set up: queue tasks and learn when each finished */
interface System {
  /** queue one task; `onDone` is called once its result is back at the producer */
  readonly submit: (kind: Kind, sentAt: number, onDone: OnDone) => void
  /** queue a burst at once (default: `submit` in a loop) */
  readonly submitMany?: (
    kind: Kind,
    sentAt: ReadonlyArray<number>,
    onDone: (i: number, f: Finished | undefined) => void
  ) => void
  readonly close: () => Promise<void>
}

interface M {
  readonly ms: number
  readonly p99: number
  readonly p50: number
  readonly runners: number
}

const turn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve))

/** a burst of `n` tasks, all queued at once */
const burst = (system: System, kind: Kind, full: number) => async (warmup: boolean): Promise<M> => {
  // a warm-up burst is a fifth of a measured one
  const n = warmup ? Math.ceil(full / 5) : full
  const runners = new Set<string>()
  let failed = 0
  const t0 = now()
  await new Promise<void>((resolve) => {
    let left = n
    const onDone = (_i: number, f: Finished | undefined) => {
      if (f === undefined) failed++
      else runners.add(f.runner)
      if (--left === 0) resolve()
    }
    const sentAt = Array.from({ length: n }, () => epochMs())
    if (system.submitMany !== undefined) system.submitMany(kind, sentAt, onDone)
    else for (let i = 0; i < n; i++) system.submit(kind, sentAt[i]!, (f) => onDone(i, f))
  })
  const ms = now() - t0
  if (failed > 0) throw new Error(`case 10: ${failed} of ${n} tasks failed`)
  return { ms, p99: NaN, p50: NaN, runners: runners.size }
}

/** `n` tasks queued one at a time, `RATE` per second; queue-to-finish latency of each */
const paced = (system: System, kind: Kind, full: number) => async (warmup: boolean): Promise<M> => {
  // a warm-up sends a fifth as many tasks at the same rate
  const n = warmup ? Math.ceil(full / 5) : full
  const latencies: Array<number> = []
  const runners = new Set<string>()
  let failed = 0
  const t0 = now()
  await new Promise<void>((resolve) => {
    let left = n
    const start = now()
    let sent = 0
    const next = () => {
      // catch up with the schedule: a late timer sends what is due at once
      while (sent < n && now() - start >= (sent * 1000) / RATE) {
        const sentAt = epochMs()
        sent++
        system.submit(kind, sentAt, (f) => {
          if (f === undefined) failed++
          else {
            latencies.push(f.at - sentAt)
            runners.add(f.runner)
          }
          if (--left === 0) resolve()
        })
      }
      if (sent < n) setTimeout(next, 1)
    }
    next()
  })
  const ms = now() - t0
  if (failed > 0) throw new Error(`case 10: ${failed} of ${n} tasks failed`)
  return { ms, p99: percentile(latencies, 99), p50: percentile(latencies, 50), runners: runners.size }
}

// -----------------------------------------------------------------------------
// ours
// -----------------------------------------------------------------------------

const request = (kind: Kind, sentAt: number) =>
  // the payload is checked by its schema when the task is encoded: skip the constructor's second check
  kind === "tiny" ? new Tiny({ sentAt }, true) : new Wait({ sentAt, ms: 1 }, true)

/** our producer over a cluster layer: a workqueue whose every item is one task sent to the cluster */
const oursOn = async (
  live: Layer.Layer<Task.Transport | WorkerPool.WorkerPools, unknown>,
  close: () => Promise<void> = () => Promise.resolve()
): Promise<System> => {
  const runtime = ManagedRuntime.make(Layer.orDie(live))
  const { make, wq } = await runtime.runPromise(
    Effect.gen(function*() {
      const scope = yield* Scope.make()
      // every task of a burst in flight at once: each is stored as soon as it is queued
      const wq = yield* Workqueue.alloc("bench_cluster", { flags: ["UNBOUND"], maxActive: Workqueue.WQ_MAX_ACTIVE })
        .pipe(Scope.extend(scope), Effect.orDie)
      return { make: yield* Task.maker, wq }
    })
  )
  return {
    submit: (kind, sentAt, onDone) => {
      Workqueue.unsafeQueue(
        wq,
        make(request(kind, sentAt), {
          onExit: (exit) => onDone(Exit.isSuccess(exit) ? exit.value : undefined)
        })
      )
    },
    close: async () => {
      await runtime.dispose()
      await close()
    }
  }
}

/** one runner, in the producer's process (the README's embedded layer) */
const oursOneRunner = (storage: ClusterStorage.Synchronous | "memory", dir: string) => () => {
  const cluster = storage === "memory"
    ? ClusterStorage.layerMemory
    : ClusterStorage.layerSqlite({ filename: join(dir, `one-runner-${storage}.db`), synchronous: storage })
  return oursOn(
    Layer.mergeAll(
      ClusterWorkqueue.layerTransport(),
      ClusterWorkqueue.layerRunner({ handlers, maxActive: CONCURRENCY })
    ).pipe(Layer.provideMerge(WorkerPool.layer()), Layer.provideMerge(cluster))
  )
}

/** wait for a child process to print `ready` (or fail when it exits first) */
const ready = (child: ChildProcess, what: string): Promise<void> =>
  new Promise((resolve, reject) => {
    let out = ""
    let err = ""
    child.stdout!.on("data", (chunk: Buffer) => {
      out += chunk.toString()
      if (out.includes("ready")) resolve()
    })
    child.stderr!.on("data", (chunk: Buffer) => {
      err += chunk.toString()
    })
    child.on("exit", (code) => reject(new Error(`${what} exited (${code}) before it was ready:\n${err.slice(-2000)}`)))
  })

const kill = async (children: ReadonlyArray<ChildProcess>) => {
  await Promise.all(children.map((c) =>
    new Promise<void>((resolve) => {
      if (c.exitCode !== null || c.signalCode !== null) return resolve()
      c.once("exit", () => resolve())
      c.kill("SIGTERM")
      setTimeout(() => c.kill("SIGKILL"), 3000).unref()
    })
  ))
}

/** a free loopback port */
const freePort = (): Promise<number> =>
  new Promise((resolve, reject) => {
    const server = createServer()
    server.listen(0, "127.0.0.1", () => {
      const address = server.address()
      server.close(() =>
        typeof address === "object" && address !== null ? resolve(address.port) : reject(new Error("no loopback port"))
      )
    })
  })

const workerScript = new URL("./cluster/bullmq-worker.mjs", import.meta.url).pathname

/** queue small bursts until tasks have run on `runners` distinct processes (shards are assigned over seconds) */
const settle = async (system: System, runners: number, what: string) => {
  const t0 = now()
  for (;;) {
    const m = await burst(system, "tiny", 200)(false)
    if (m.runners >= runners) return
    if (now() - t0 > 60_000) throw new Error(`${what}: tasks ran on ${m.runners} of ${runners} runners after 60 s`)
    await sleepMs(500)
  }
}

/**
 * three runners in this process, each its own `@effect/cluster` member on a
 * loopback socket (`NodeClusterSocket`: its own Sharding, shard locks and
 * pools), all on one SQLite connection; the producer a client-only member on
 * the same connection. Separate runner processes on one SQLite file fail
 * under a burst ("database is locked": a deferred transaction that reads and
 * then writes cannot wait for another process's write lock), so a cluster of
 * runner processes needs a server database; one connection serializes the
 * transactions instead.
 */
const oursThreeRunners = (dir: string) => async (): Promise<System> => {
  // every commit synced, as `ClusterStorage.layerSqlite` does by default (the driver's own WAL default is NORMAL)
  const client = SqliteClient.layer({ filename: join(dir, "three-runners.db") }).pipe(
    Layer.tap((context) => Effect.asVoid(Context.get(context, SqlClient.SqlClient).unsafe("PRAGMA synchronous = FULL")))
  )
  const sql = ManagedRuntime.make(Layer.orDie(client))
  const shared = Layer.succeedContext((await sql.runtime()).context)
  const runtimes: Array<ManagedRuntime.ManagedRuntime<unknown, never>> = []
  const closeAll = async () => {
    for (const r of runtimes) await r.dispose()
    await sql.dispose()
  }
  try {
    for (let i = 0; i < 3; i++) {
      const port = await freePort()
      const runner = ClusterWorkqueue.layerRunner({ handlers, maxActive: CONCURRENCY, cpus: 1, clusterCpus: 3 }).pipe(
        Layer.provide(WorkerPool.layer()),
        Layer.provide(
          NodeClusterSocket.layer({
            storage: "sql",
            shardingConfig: { runnerAddress: Option.some(RunnerAddress.make("127.0.0.1", port)) }
          })
        ),
        Layer.provide(shared),
        Layer.orDie
      )
      // its own runtime: its own layers (nothing memoized across runners), its own pools
      const runtime = ManagedRuntime.make(runner) as ManagedRuntime.ManagedRuntime<unknown, never>
      runtimes.push(runtime)
      await runtime.runtime()
    }
    const system = await oursOn(
      ClusterWorkqueue.layerTransport().pipe(
        Layer.provideMerge(WorkerPool.layer()),
        Layer.provideMerge(NodeClusterSocket.layer({ clientOnly: true, storage: "sql" })),
        Layer.provide(shared)
      ),
      closeAll
    )
    await settle(system, 3, "cmwq, 3 runners")
    return system
  } catch (e) {
    await closeAll()
    throw e
  }
}

// -----------------------------------------------------------------------------
// BullMQ
// -----------------------------------------------------------------------------

/** a redis-server on a loopback port, its data in `dir` */
const startRedis = async (dir: string, fsync: "always" | "everysec") => {
  const port = await freePort()
  const data = mkdtempSync(join(dir, `redis-${fsync}-`))
  const child = spawn("redis-server", [
    "--port",
    String(port),
    "--bind",
    "127.0.0.1",
    "--dir",
    data,
    "--save",
    "",
    "--appendonly",
    "yes",
    "--appendfsync",
    fsync
  ], { stdio: ["ignore", "pipe", "pipe"] })
  await new Promise<void>((resolve, reject) => {
    let out = ""
    child.stdout.on("data", (chunk: Buffer) => {
      out += chunk.toString()
      if (out.includes("Ready to accept connections")) resolve()
    })
    child.on("exit", (code) => reject(new Error(`redis-server exited (${code}):\n${out.slice(-2000)}`)))
  })
  return { port, close: () => kill([child]) }
}

let queues = 0

/**
 * BullMQ on the Redis at `port`: `workers` `Worker`s in this process (each
 * its own Redis connections), or `workers` worker processes
 */
const bullmq =
  (redis: () => number, workers: number, where: "in-process" | "processes") => async (): Promise<System> => {
    const port = redis()
    const connection = { host: "127.0.0.1", port }
    const name = `bench${queues++}`
    const children: Array<ChildProcess> = []
    const inProcess: Array<Worker> = []
    if (where === "in-process") {
      for (let i = 0; i < workers; i++) {
        const worker = new Worker(name, async (job) => {
          if (job.name === "wait") await sleepMs(job.data.ms)
          return { at: epochMs(), runner: `${process.pid}/${i}` }
        }, { connection, concurrency: CONCURRENCY / workers })
        await worker.waitUntilReady()
        inProcess.push(worker)
      }
    } else {
      for (let i = 0; i < workers; i++) {
        const child = spawn(process.execPath, [workerScript, String(port), name, String(CONCURRENCY / workers)], {
          stdio: ["ignore", "pipe", "pipe"]
        })
        children.push(child)
      }
      await Promise.all(children.map((c, i) => ready(c, `BullMQ worker ${i}`)))
    }
    // the events stream holds every job of a burst (its default cap is 10 000 events, several per job)
    const queue = new Queue(name, { connection, streams: { events: { maxLen: 1_000_000 } } })
    const events = new QueueEvents(name, { connection })
    await Promise.all([queue.waitUntilReady(), events.waitUntilReady()])
    const waiting = new Map<string, OnDone>()
    const settleJob = (jobId: string, f: Finished | undefined) => {
      const onDone = waiting.get(jobId)
      if (onDone === undefined) return
      waiting.delete(jobId)
      onDone(f)
    }
    events.on("completed", ({ jobId, returnvalue }) => {
      const value = (typeof returnvalue === "string" ? JSON.parse(returnvalue) : returnvalue) as Finished
      settleJob(jobId, value)
    })
    events.on("failed", ({ jobId }) => settleJob(jobId, undefined))
    let ids = 0
    const opts = (jobId: string) => ({ jobId, removeOnComplete: true, removeOnFail: true })
    const data = (kind: Kind, sentAt: number) => kind === "tiny" ? { sentAt } : { sentAt, ms: 1 }
    const system: System = {
      submit: (kind, sentAt, onDone) => {
        const jobId = `j${ids++}`
        waiting.set(jobId, onDone)
        queue.add(kind, data(kind, sentAt), opts(jobId)).catch(() => settleJob(jobId, undefined))
      },
      submitMany: (kind, sentAt, onDone) => {
        const jobs = sentAt.map((t, i) => {
          const jobId = `j${ids++}`
          waiting.set(jobId, (f) => onDone(i, f))
          return { name: kind, data: data(kind, t), opts: opts(jobId) }
        })
        // addBulk: one MULTI per call, as BullMQ recommends for many jobs at once
        const CHUNK = 1000
        void (async () => {
          for (let i = 0; i < jobs.length; i += CHUNK) {
            const chunk = jobs.slice(i, i + CHUNK)
            await queue.addBulk(chunk).catch(() => chunk.forEach((j) => settleJob(j.opts.jobId, undefined)))
            await turn()
          }
        })()
      },
      close: async () => {
        await events.close()
        await queue.close()
        for (const w of inProcess) await w.close()
        await kill(children)
      }
    }
    if (workers > 1) await settle(system, workers, `${BULLMQ}, ${workers} workers`)
    return system
  }

// -----------------------------------------------------------------------------
// the case
// -----------------------------------------------------------------------------

const hasRedis = (): boolean => spawnSync("redis-server", ["--version"]).status === 0

interface Setup {
  readonly name: string
  readonly ours: boolean
  /** ours: the contenders its rows compare with (peers of the same durability) */
  readonly peers?: ReadonlyArray<string>
  readonly make: () => Promise<System>
}

const OURS_SQLITE = "cmwq cluster, SQLite synchronous full"
const OURS_SQLITE_NORMAL = "cmwq cluster, SQLite synchronous normal"
const OURS_MEMORY = "cmwq cluster, in memory"
const BULL_ALWAYS = `${BULLMQ}, Redis AOF fsync always`
const BULL_EVERYSEC = `${BULLMQ}, Redis AOF fsync everysec`
const BULL_PROCESSES = `${BULLMQ}, 3 worker processes, Redis AOF fsync always`

export const run = async (options: CaseOptions): Promise<CaseResult> => {
  const q = options.quick
  const reps = q ? 2 : options.reps
  // full: 5 rounds of 8 contenders x 2 kinds x (burst + paced), about 2 minutes on a quiet 2-core machine
  // bursts of 300 until the full run had to fit in ten minutes
  const n = q ? 60 : 200
  // 40 until the full run had to fit in ten minutes; the p99 (nearest rank) of 20 or of 40 tasks is their slowest
  const pacedN = q ? 10 : 20
  const dir = mkdtempSync(join(tmpdir(), "cmwq-bench-cluster-"))
  const redisAvailable = hasRedis()
  if (!redisAvailable) {
    progress(
      "  case 10: redis-server is not installed: the BullMQ rows are skipped (Debian: apt-get install -y redis-server)"
    )
  }
  const redises: Record<string, { port: number; close: () => Promise<void> }> = {}
  if (redisAvailable) {
    redises.always = await startRedis(dir, "always")
    redises.everysec = await startRedis(dir, "everysec")
  }
  const portOf = (fsync: string) => () => redises[fsync]!.port

  const all: ReadonlyArray<{ readonly runners: 1 | 3; readonly setups: ReadonlyArray<Setup> }> = [
    {
      runners: 1,
      setups: [
        { name: OURS_SQLITE, ours: true, peers: [BULL_ALWAYS], make: oursOneRunner("full", dir) },
        { name: OURS_SQLITE_NORMAL, ours: true, peers: [BULL_EVERYSEC], make: oursOneRunner("normal", dir) },
        // the in-memory cluster's peer is our own durable one: what durability costs
        { name: OURS_MEMORY, ours: true, peers: [OURS_SQLITE], make: oursOneRunner("memory", dir) },
        ...(redisAvailable
          ? [
            { name: BULL_ALWAYS, ours: false, make: bullmq(portOf("always"), 1, "in-process") },
            { name: BULL_EVERYSEC, ours: false, make: bullmq(portOf("everysec"), 1, "in-process") }
          ]
          : [])
      ]
    },
    {
      runners: 3,
      setups: [
        { name: OURS_SQLITE, ours: true, peers: [BULL_ALWAYS, BULL_PROCESSES], make: oursThreeRunners(dir) },
        ...(redisAvailable
          ? [
            { name: BULL_ALWAYS, ours: false, make: bullmq(portOf("always"), 3, "in-process") },
            { name: BULL_PROCESSES, ours: false, make: bullmq(portOf("always"), 3, "processes") }
          ]
          : [])
      ]
    }
  ]

  // --quick: one runner only (the three runners' set-up and settling take most of the quick case's time)
  const configurations = q ? all.filter((c) => c.runners === 1) : all
  const rows: Array<Row> = []
  const tableRows: Array<Array<string>> = []
  const kinds: ReadonlyArray<readonly [Kind, string]> = [["tiny", "tiny tasks"], ["wait", "1 ms tasks"]]
  try {
    for (const { runners, setups } of configurations) {
      const t0 = now()
      const live: Array<{ readonly setup: Setup; readonly system: System }> = []
      try {
        for (const setup of setups) live.push({ setup, system: await setup.make() })
        progress(
          `  case 10: ${runners} runner(s): ${live.length} contenders ready in ${((now() - t0) / 1000).toFixed(1)} s`
        )
        const results: Record<string, ReadonlyArray<{ readonly name: string; readonly samples: Array<M> }>> = {}
        for (const [kind] of kinds) {
          results[`${kind} burst`] = await compare(
            `case 10 ${runners}r ${kind} burst`,
            live.map(({ setup, system }) => ({ name: setup.name, run: burst(system, kind, n) })),
            { ...options, reps }
          )
          results[`${kind} paced`] = await compare(
            `case 10 ${runners}r ${kind} paced`,
            live.map(({ setup, system }) => ({ name: setup.name, run: paced(system, kind, pacedN) })),
            { ...options, reps }
          )
        }
        const value = (key: string, name: string, f: (m: M) => number) =>
          med(results[key]!.find((r) => r.name === name)!.samples, f)
        const tput = (m: M) => n / (m.ms / 1000)
        const where = runners === 1 ? "1 runner" : "3 runners"
        for (const [kind, label] of kinds) {
          const ours = setups.filter((s) => s.ours)
          for (const o of ours) {
            const tName = `10. ${label}, burst of ${fmt(n)}, ${where}, ${o.name}: throughput`
            const lName = `10. ${label} at ${RATE}/s, ${where}, ${o.name}: p99 queue-to-finish latency`
            const against = setups.filter((s) => o.peers?.includes(s.name))
            for (const p of against) {
              rows.push(row(
                tName,
                value(`${kind} burst`, o.name, tput),
                p.name,
                value(`${kind} burst`, p.name, tput),
                "tasks/s",
                "higher"
              ))
              rows.push(row(
                lName,
                value(`${kind} paced`, o.name, (m) => m.p99),
                p.name,
                value(`${kind} paced`, p.name, (m) => m.p99),
                "ms",
                "lower"
              ))
            }
          }
          for (const s of setups) {
            tableRows.push([
              `${s.name}, ${where}`,
              label,
              fmt(value(`${kind} burst`, s.name, tput)),
              fmt(value(`${kind} paced`, s.name, (m) => m.p50)),
              fmt(value(`${kind} paced`, s.name, (m) => m.p99)),
              String(value(`${kind} burst`, s.name, (m) => m.runners))
            ])
          }
        }
      } finally {
        for (const { system } of live) await system.close()
      }
    }
  } finally {
    for (const r of Object.values(redises)) await r.close()
    rmSync(dir, { recursive: true, force: true })
  }
  return {
    rows,
    tables: [{
      title: `Case 10: tasks on a cluster, side by side with BullMQ (medians over ${reps} rounds)`,
      headers: [
        "contender",
        "task",
        `burst of ${fmt(n)}: tasks/s`,
        `${RATE}/s: p50 ms`,
        `${RATE}/s: p99 ms`,
        "runners used"
      ],
      rows: tableRows
    }],
    notes: [
      `Case 10: ${CONCURRENCY} tasks at once cluster-wide on either side (our cluster-wide maxActive, split ${
        CONCURRENCY / 3
      } per runner over three; BullMQ Worker concurrency ${CONCURRENCY}, or ${
        CONCURRENCY / 3
      } for each of three workers: the same in flight per runner on both sides, and more than either side's rate needs). Throughput: a burst of ${n} tasks queued at once (BullMQ: addBulk), until the producer has every result. Latency: ${pacedN} tasks queued at ${RATE}/s, from the queueing call to the end of the task's body. Ours on SQLite: WAL, synchronous full (an fsync per commit), compared with BullMQ's Redis with the append-only file and fsync always (the same durability); and synchronous normal (no fsync per commit), compared with fsync everysec (both: nothing lost when the process crashes, the last commits or up to a second of acknowledged jobs when the machine does). One runner: in the producer's process. Three runners: ours are three cluster members (each its own socket, Sharding and pools) in the producer's process on one SQLite connection, because runner processes sharing one SQLite file failed with "database is locked" under a burst; BullMQ: three Workers in the producer's process, and three worker processes. ${
        redisAvailable ? "" : "redis-server was not installed: no BullMQ rows. "
      }The 1 ms task awaits a 1 ms timer. The in-memory cluster is @effect/cluster's TestRunner, whose storage is a test driver.`
    ]
  }
}
