/**
 * Case 1: throughput of trivial synchronous items (each increments a
 * counter), N = 10^5 and 10^6: queue them all on one workqueue and flush.
 *
 * Items are built BEFORE timing, once for each N, and every contender gets the same
 * pre-built objects: item i is one closure `closures[i]` (increments the
 * counter), wrapped once in `effects[i] = Effect.sync(closures[i])`, wrapped
 * once in `works[i] = Work.make(effects[i])`. p-queue and the plain loop call
 * `closures[i]`; Effect.forEach and the Effect Queue run `effects[i]`; we
 * queue `works[i]`. Nothing is allocated per item by the harness inside the
 * timed region.
 *
 * Peers: p-queue (concurrency 1 and 256, `onIdle`; up to N = 10^5), fastq (concurrency 1 and
 * 256, plain callbacks: the worker calls the task and then its callback;
 * `drain` ends the run), p-limit (concurrency 256, `Promise.all` of the
 * limited calls; awaiting items only, case 2), `Effect.forEach`
 * (concurrency 1, 256, unbounded (case 1, up to N = 10^5); `discard: true`, as we keep no results), an
 * Effect `Queue` drained by one worker fiber (`Queue.unsafeOffer`, the
 * counterpart of our `Workqueue.unsafeQueue`), and a plain loop of closure
 * calls (the physical limit).
 *
 * Timed region: from just before the first item is queued to the moment the
 * last one has run (flush / onIdle / forEach returning / the worker fiber
 * ending). Runtime and pool construction and workqueue allocation happen
 * before it.
 */
import { Effect, Fiber, Queue } from "effect"
import { identity } from "effect/Function"
import fastq from "fastq"
import pLimit from "p-limit"
import PQueue from "p-queue"
import { Work, Workqueue, WorkerPool } from "@cmwq/core"
import {
  type CaseOptions,
  type CaseResult,
  check,
  compare,
  type Contender,
  fmt,
  med,
  now,
  type Row,
  row,
  startEld,
  type Table
} from "../lib.js"

/** one timed run */
export interface Run {
  readonly ms: number
  /** longest event-loop delay during the run, ms */
  readonly eld: number
  /** how long the synchronous loop handing the N items over took (NaN: no such loop); it blocks the event loop */
  readonly submitMs: number
}

/** the pre-built items of one throughput case (see the module header) */
export interface Items {
  readonly works: ReadonlyArray<Work.Work>
  /** case 1: the same closures as `Work.sync(closures[i])` items (no Effect per item), for the `Work.sync` contender */
  readonly syncWorks?: ReadonlyArray<Work.Work> | undefined
  readonly effects: ReadonlyArray<Effect.Effect<void>>
  /** what p-queue runs */
  readonly tasks: ReadonlyArray<() => unknown>
  /** the physical limit: run the first `n` items one after another without any queue */
  readonly plainLoop: (n: number) => void | Promise<void>
  readonly plainLoopName: string
  /** true when `tasks` return promises (case 2): fastq's worker then calls back when the promise settles, and p-limit runs */
  readonly awaiting: boolean
  readonly counter: () => number
  readonly reset: () => void
}

/** the items of a case are built once for the largest N; a warm-up run uses at most this many */
const WARMUP_N = 20_000

/**
 * `Effect.forEach(unbounded)` forks one fiber per item before the first one
 * ends: at N = 10^6 that exhausted Node's default heap (about 4 GB here) and
 * crashed the process, so it runs only up to this N.
 */
const UNBOUNDED_MAX_N = 100_000

/**
 * p-queue runs only up to this N, to keep the full run under ten minutes: at
 * N = 10^6 its two contenders took 3.3 and 4.9 s a run (8 of case 1's 18.5 s
 * per round, `BENCH_VERBOSE=1`). Its rate falls with N (in that round,
 * p-queue(1) ran 10^5 items at 379k/s and 10^6 at 205k/s), so the 10^6 rows
 * against it are left out, not extrapolated.
 */
const P_QUEUE_MAX_N = 100_000

/** a throughput contender; `maxN`: the largest N it can run */
export interface ThroughputContender extends Contender<Run> {
  readonly maxN: number
  /** why it skips an N above `maxN`, in the details table */
  readonly skipped?: string
  /** one of ours: its rows are named by this variant and compared with every peer (not with our other variants) */
  readonly ours?: string
  /** the physical limit (the plain loop): its rows carry `limit: true` */
  readonly limit?: boolean
}

const timed = async (start: () => void | Promise<void>): Promise<Run> => {
  const eld = startEld()
  const t0 = now()
  await start()
  const ms = now() - t0
  return { ms, eld: eld.stop(), submitMs: NaN }
}

/** the contenders of a throughput case (cases 1 and 2 share them) */
export const throughputContenders = (
  items: Items,
  nOf: (warmup: boolean) => number
): Array<ThroughputContender> => {
  const checked = (
    name: string,
    run: (n: number) => Promise<Run>,
    maxN = Infinity,
    limit = false,
    ours?: string,
    skipped = "heap"
  ): ThroughputContender => ({
    name,
    maxN,
    skipped,
    limit,
    ...(ours !== undefined ? { ours } : {}),
    run: async (warmup) => {
      const n = nOf(warmup)
      items.reset()
      const result = await run(n)
      check(`${name}: items run`, items.counter(), n)
      return result
    }
  })

  const unsafeQueueAll = (name: string, works: ReadonlyArray<Work.Work>, variant: string) =>
    checked(
      name,
      (n) =>
        Effect.gen(function*() {
          const wq = yield* Workqueue.alloc("bench")
          const eld = startEld()
          const t0 = now()
          for (let i = 0; i < n; i++) Workqueue.unsafeQueue(wq, works[i]!)
          const submitMs = now() - t0
          yield* Workqueue.flush(wq)
          const ms = now() - t0
          return { ms, eld: eld.stop(), submitMs }
        }).pipe(Effect.scoped, Effect.provide(WorkerPool.layer()), Effect.runPromise),
      Infinity,
      false,
      variant
    )
  const ours = unsafeQueueAll("ours (unsafeQueue + flush)", items.works, "")

  // Workqueue.queueAll: the same items handed over in chunks, the event loop handed back between them
  const oursQueueAll = checked(
    "ours (Workqueue.queueAll + flush)",
    (n) =>
      Effect.gen(function*() {
        const wq = yield* Workqueue.alloc("bench")
        const works = n === items.works.length ? items.works : items.works.slice(0, n)
        const eld = startEld()
        const t0 = now()
        yield* Workqueue.queueAll(wq, works)
        yield* Workqueue.flush(wq)
        const ms = now() - t0
        return { ms, eld: eld.stop(), submitMs: NaN }
      }).pipe(Effect.scoped, Effect.provide(WorkerPool.layer()), Effect.orDie, Effect.runPromise),
    Infinity,
    false,
    "Workqueue.queueAll"
  )

  const pQueue = (concurrency: number) =>
    checked(
      `p-queue(${concurrency})`,
      (n) => {
        const queue = new PQueue({ concurrency })
        const tasks = items.tasks
        const eld = startEld()
        const t0 = now()
        for (let i = 0; i < n; i++) void queue.add(tasks[i]!)
        const submitMs = now() - t0
        return queue.onIdle().then(() => {
          const ms = now() - t0
          return { ms, eld: eld.stop(), submitMs }
        })
      },
      P_QUEUE_MAX_N,
      false,
      undefined,
      "run time"
    )

  // fastq with plain callbacks: the worker runs the task and calls back (when its promise settles, in case 2)
  const syncWorker = (task: () => unknown, done: (err: Error | null) => void): void => {
    task()
    done(null)
  }
  const awaitWorker = (task: () => unknown, done: (err: Error | null) => void): void => {
    void (task() as Promise<unknown>).then(() => done(null))
  }
  const fastQueue = (concurrency: number) =>
    checked(`fastq(${concurrency})`, (n) =>
      new Promise<Run>((resolve) => {
        const tasks = items.tasks
        const queue = fastq<unknown, () => unknown>(null, items.awaiting ? awaitWorker : syncWorker, concurrency)
        // the run ends at the n-th task callback (with synchronous tasks fastq goes idle, and calls drain, after every push)
        let left = n
        let submitMs = NaN
        const eld = startEld()
        const t0 = now()
        const finished = () => {
          if (--left === 0) {
            const ms = now() - t0
            resolve({ ms, eld: eld.stop(), submitMs: Number.isNaN(submitMs) ? ms : submitMs })
          }
        }
        for (let i = 0; i < n; i++) queue.push(tasks[i]!, finished)
        submitMs = now() - t0
      }))

  const promiseLimit = (concurrency: number) =>
    checked(`p-limit(${concurrency})`, (n) => {
      const limit = pLimit(concurrency)
      const tasks = items.tasks as ReadonlyArray<() => Promise<unknown>>
      const eld = startEld()
      const t0 = now()
      const all: Array<Promise<unknown>> = new Array(n)
      for (let i = 0; i < n; i++) all[i] = limit(tasks[i]!)
      const submitMs = now() - t0
      return Promise.all(all).then(() => ({ ms: now() - t0, eld: eld.stop(), submitMs }))
    })

  const forEach = (concurrency: number | "unbounded", maxN = Infinity) =>
    checked(`Effect.forEach(${concurrency})`, (n) => {
      const effects = items.effects.slice(0, n)
      return Effect.runPromise(Effect.suspend(() => {
        const eld = startEld()
        const t0 = now()
        return Effect.map(
          Effect.forEach(effects, identity, { concurrency, discard: true }),
          () => ({ ms: now() - t0, eld: eld.stop(), submitMs: NaN })
        )
      }))
    }, maxN)

  const effectQueue = checked("Effect Queue + 1 worker fiber", (n) =>
    Effect.runPromise(Effect.gen(function*() {
      const queue = yield* Queue.unbounded<Effect.Effect<void>>()
      const worker = yield* Effect.fork(Effect.repeatN(Effect.flatten(Queue.take(queue)), n - 1))
      const effects = items.effects
      const eld = startEld()
      const t0 = now()
      for (let i = 0; i < n; i++) Queue.unsafeOffer(queue, effects[i]!)
      const submitMs = now() - t0
      yield* Fiber.join(worker)
      const ms = now() - t0
      yield* Queue.shutdown(queue)
      return { ms, eld: eld.stop(), submitMs }
    })))

  const plain = checked(items.plainLoopName, (n) => timed(() => items.plainLoop(n)), Infinity, true)

  return [
    ours,
    ...(items.syncWorks !== undefined
      ? [unsafeQueueAll("ours (Work.sync, unsafeQueue + flush)", items.syncWorks, "Work.sync"), oursQueueAll]
      : []),
    pQueue(1),
    pQueue(256),
    fastQueue(1),
    fastQueue(256),
    ...(items.awaiting ? [promiseLimit(256)] : []),
    forEach(1),
    forEach(256),
    // case 2: one fiber per awaiting item took 4 s a run at 10^5, twice a round; it is measured in cases 1 and 4
    ...(items.awaiting ? [] : [forEach("unbounded", UNBOUNDED_MAX_N)]),
    effectQueue,
    plain
  ]
}

const expLabel = (n: number): string => {
  const e = Math.log10(n)
  return Number.isInteger(e) ? `1e${e}` : String(n)
}

/**
 * Run one throughput case for each N: rows (ours against every peer, in
 * items/s and in event-loop max delay) and a details table.
 */
export const throughputCase = async (
  title: string,
  /**
   * the items of one N, built before its runs. Case 1 builds a set for each N: the 10^6 set is about 340 MB
   * of live heap, and the collection before each measured run took about 200 ms with it alive
   */
  itemsFor: (n: number) => Items,
  ns: ReadonlyArray<number>,
  options: CaseOptions
): Promise<{ rows: Array<Row>; table: Table }> => {
  const rows: Array<Row> = []
  const perContender = new Map<string, Array<string>>()
  for (const n of ns) {
    const label = `${title}, N=${expLabel(n)}`
    const items = itemsFor(n)
    const all = throughputContenders(items, (warmup) => warmup ? Math.min(n, WARMUP_N) : n)
    for (const c of all) {
      if (n > c.maxN) {
        const cells = perContender.get(c.name) ?? []
        cells.push(`skipped (${c.skipped ?? "heap"})`, "", "")
        perContender.set(c.name, cells)
      }
    }
    const run = all.filter((c) => n <= c.maxN)
    const results = await compare(label, run, options)
    const limitAt = (i: number) => run[i]!.limit === true
    const rate = results.map((r) => n / (med(r.samples, (s) => s.ms) / 1000))
    const eld = results.map((r) => med(r.samples, (s) => s.eld))
    const submit = results.map((r) => med(r.samples, (s) => s.submitMs))
    // every variant of ours against every peer; the first variant's rows keep the plain label
    run.forEach((o, k) => {
      if (o.ours === undefined) return
      const named = o.ours === "" ? label : `${title}, ${o.ours}, N=${expLabel(n)}`
      for (let i = 0; i < results.length; i++) {
        if (run[i]!.ours !== undefined) continue
        rows.push(row(named, rate[k]!, results[i]!.name, rate[i]!, "items/s", "higher", limitAt(i)))
      }
      for (let i = 0; i < results.length; i++) {
        if (run[i]!.ours !== undefined) continue
        rows.push(row(`${named}: event-loop max delay`, eld[k]!, results[i]!.name, eld[i]!, "ms", "lower", limitAt(i)))
      }
    })
    results.forEach((r, i) => {
      const cells = perContender.get(r.name) ?? []
      cells.push(fmt(rate[i]!), fmt(eld[i]!), Number.isNaN(submit[i]!) ? "-" : fmt(submit[i]!))
      perContender.set(r.name, cells)
    })
  }
  const headers = [
    "contender",
    ...ns.flatMap((n) => [
      `N=${expLabel(n)} items/s`,
      `N=${expLabel(n)} loop max delay ms`,
      `N=${expLabel(n)} sync submit loop ms`
    ])
  ]
  return {
    rows,
    table: { title, headers, rows: [...perContender].map(([name, cells]) => [name, ...cells]) }
  }
}

// -----------------------------------------------------------------------------
// Case 1
// -----------------------------------------------------------------------------

let counter = 0

/**
 * A factory, not `const f = () => ...` in the loop: tsx compiles with
 * esbuild's keepNames, which wraps every closure bound to a name in
 * `__name(f, "f")`; the extra own `name` property makes each closure cost
 * about 320 heap bytes instead of 64.
 */
const incrementer = (): () => void => () => {
  counter++
}

export const buildSyncItems = (max: number): Items => {
  const closures: Array<() => void> = new Array(max)
  const effects: Array<Effect.Effect<void>> = new Array(max)
  const works: Array<Work.Work> = new Array(max)
  const syncWorks: Array<Work.Work> = new Array(max)
  for (let i = 0; i < max; i++) {
    const f = incrementer()
    closures[i] = f
    effects[i] = Effect.sync(f)
    works[i] = Work.make(effects[i]!)
    syncWorks[i] = Work.sync(f)
  }
  return {
    works,
    syncWorks,
    effects,
    tasks: closures,
    plainLoop: (n) => {
      for (let i = 0; i < n; i++) closures[i]!()
    },
    plainLoopName: "plain loop of closure calls",
    awaiting: false,
    counter: () => counter,
    reset: () => {
      counter = 0
    }
  }
}

export const run = async (options: CaseOptions): Promise<CaseResult> => {
  // --quick: 10^4 only (the 10^6 runs are most of the full case's time)
  const ns = options.quick ? [10_000] : [100_000, 1_000_000]
  const { rows, table } = await throughputCase("1. sync items", buildSyncItems, ns, options)
  return {
    rows,
    tables: [{ ...table, title: "Case 1: trivial synchronous items (medians)" }],
    notes: [
      "Case 1: items pre-built once per N (closure -> Effect.sync -> Work); each contender gets the same objects; timing covers queueing + completion.",
      "Cases 1-2: 'sync submit loop' is the synchronous loop that hands the N items over (unsafeQueue / add / unsafeOffer); nothing can yield inside it, so it is a floor under every contender's loop max delay."
    ]
  }
}
