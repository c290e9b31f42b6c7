/**
 * Case 9: how the cost per item grows. Four sweeps, each reporting the
 * process's CPU time per item (`process.cpuUsage()`, user + system, so the
 * load of other processes does not enter it), from the first queue call
 * until the last item has run:
 * - N: N `Work.sync` items pending at once (queued with
 *   `Workqueue.unsafeQueue`, then run), N = 10^3 .. 10^6 (10^5 with --quick; 10^7 pending
 *   `Work.sync` items exhausted the default V8 heap in a full run);
 *   small N are repeated in batches so that every point runs at least
 *   TOTAL items;
 * - workqueues: 10^5 items queued round-robin over W workqueues,
 *   W = 1 .. 10^4 (10^3 with --quick);
 * - pending delayed: 10^4 delayed items (delays of 1 to 4 ms) armed with
 *   `Workqueue.queueDelayed` and run, while P other delayed items sit armed
 *   far in the future, P = 10^2 .. 10^6 (10^5 with --quick; the P items
 *   are armed once per point, on one pools service kept for its rounds);
 * - CPUs: 10^5 items queued round-robin over the logical CPUs of a pools
 *   service with C CPUs (`Workqueue.queueOn`), C = 1 .. 64.
 * Each row compares a point with the first point of its sweep (the peer is
 * that point): the ratio says how much more one item costs there. The
 * target is a flat curve, every ratio within 1.5. `bench/scaling-plot.ts`
 * draws the curves from `bench/results/latest.json` into
 * `docs/public/scaling.svg`.
 */
import { Effect, Exit, ManagedRuntime, Scope } from "effect"
import { DelayedWork, Work, Workqueue, WorkerPool } from "@cmwq/core"
import { type CaseOptions, type CaseResult, compare, fmt, gc, med, type Row, row } from "../lib.js"

/** CPU microseconds (user + system) since `from` */
const cpuUs = (from: NodeJS.CpuUsage): number => {
  const d = process.cpuUsage(from)
  return d.user + d.system
}

let count = 0
let target = 0
let done: (() => void) | null = null
/** the items' function: counts one run (also used by `bench/scaling-workqueues-profile.ts`) */
export const inc = (): void => {
  if (++count === target && done !== null) done()
}
/** the next `waitForAll` waits for `n` runs of `inc` */
export const expectRuns = (n: number): void => {
  count = 0
  target = n
}
/** resolves once the runs `expectRuns` announced have happened */
export const waitForAll: Effect.Effect<void> = Effect.async<void>((resume) => {
  if (count >= target) return resume(Effect.void)
  done = () => {
    done = null
    resume(Effect.void)
  }
})

/**
 * run `queueAll` (which queues `n` items) `batches` times, each time waiting
 * for its items to run; returns CPU ns per item. The collection before is
 * given 50 ms to finish its concurrent sweeping on the GC's helper threads,
 * whose CPU time `process.cpuUsage` would otherwise count (and which grows
 * with the live heap, not with the items measured).
 */
const measure = <R>(
  n: number,
  queueAll: Effect.Effect<void, unknown, R>,
  batches = 1
): Effect.Effect<number, unknown, R> =>
  Effect.gen(function*() {
    gc()
    yield* Effect.promise(() => new Promise((resolve) => setTimeout(resolve, 50)))
    const c0 = process.cpuUsage()
    for (let b = 0; b < batches; b++) {
      expectRuns(n)
      yield* queueAll
      yield* waitForAll
    }
    return (cpuUs(c0) * 1000) / (n * batches)
  })

/** N items pending at once, in batches until `total` items ran */
const pendingAtOnce = (n: number, total: number): Promise<number> =>
  Effect.gen(function*() {
    const wq = yield* Workqueue.alloc("scaling")
    return yield* measure(
      n,
      Effect.sync(() => {
        for (let i = 0; i < n; i++) Workqueue.unsafeQueue(wq, Work.sync(inc))
      }),
      Math.max(1, Math.round(total / n))
    )
  }).pipe(Effect.scoped, Effect.provide(WorkerPool.layer()), Effect.runPromise)

/** n items round-robin over w workqueues */
const roundRobin = (w: number, n: number): Promise<number> =>
  Effect.gen(function*() {
    const wqs: Array<Workqueue.Workqueue> = []
    for (let i = 0; i < w; i++) wqs.push(yield* Workqueue.alloc(`scaling-${i}`))
    return yield* measure(
      n,
      Effect.sync(() => {
        for (let i = 0; i < n; i++) Workqueue.unsafeQueue(wqs[i % w]!, Work.sync(inc))
      })
    )
  }).pipe(Effect.scoped, Effect.provide(WorkerPool.layer()), Effect.runPromise)

const FAR_MS = 3_600_000

/**
 * One point of the pending-delayed sweep: a pools service with p delayed
 * items armed an hour ahead, kept for all the rounds of the point (arming
 * 10^6 of them again for every run took about 3 s a run). `run(m)` arms m
 * delayed items of 1 to 4 ms beside them and measures until they have run.
 */
const pendingDelayedPoint = async (p: number) => {
  const runtime = ManagedRuntime.make(WorkerPool.layer())
  const scope = await runtime.runPromise(Scope.make())
  const far: Array<DelayedWork.DelayedWork> = []
  const wq = await runtime.runPromise(Effect.gen(function*() {
    const wq = yield* Workqueue.alloc("scaling").pipe(Scope.extend(scope))
    for (let i = 0; i < p; i++) {
      const dwork = DelayedWork.make(Effect.void)
      far.push(dwork)
      yield* Workqueue.queueDelayed(wq, dwork, FAR_MS + i)
    }
    return wq
  }))
  return {
    run: (m: number): Promise<number> =>
      runtime.runPromise(Effect.gen(function*() {
        const near: Array<DelayedWork.DelayedWork> = []
        for (let i = 0; i < m; i++) near.push(DelayedWork.make(Effect.sync(inc)))
        return yield* measure(
          m,
          Effect.gen(function*() {
            for (let i = 0; i < m; i++) yield* Workqueue.queueDelayed(wq, near[i]!, 1 + (i % 4))
          })
        )
      })),
    close: async (): Promise<void> => {
      await runtime.runPromise(Effect.forEach(far, (dwork) => Work.cancel(dwork), { discard: true }))
      await runtime.runPromise(Scope.close(scope, Exit.void))
      await runtime.dispose()
    }
  }
}

/** n items round-robin over the c CPUs of the pools */
const overCpus = (c: number, n: number): Promise<number> =>
  Effect.gen(function*() {
    const wq = yield* Workqueue.alloc("scaling")
    return yield* measure(
      n,
      Effect.gen(function*() {
        for (let i = 0; i < n; i++) yield* Workqueue.queueOn(wq, i % c, Work.sync(inc))
      })
    )
  }).pipe(Effect.scoped, Effect.provide(WorkerPool.layer({ cpus: c })), Effect.runPromise)

interface Sweep {
  /** the swept variable, as it appears in the row labels */
  readonly name: string
  readonly points: ReadonlyArray<number>
  /** set up one point, measured for all its rounds, then closed */
  readonly point: (x: number) => Promise<{
    readonly run: (warmup: boolean) => Promise<number>
    readonly close?: () => Promise<void>
  }>
}

/** a point that sets nothing up: every run builds what it measures */
const each = (run: (x: number, warmup: boolean) => Promise<number>) => (x: number) =>
  Promise.resolve({ run: (warmup: boolean) => run(x, warmup) })

export const run = async (options: CaseOptions): Promise<CaseResult> => {
  const q = options.quick
  const total = q ? 100_000 : 1_000_000
  const items = q ? 20_000 : 100_000
  const delayed = q ? 5_000 : 10_000
  const sweeps: ReadonlyArray<Sweep> = [
    {
      name: "N pending",
      points: q ? [1e3, 1e4, 1e5] : [1e3, 1e4, 1e5, 1e6],
      point: each((n, warmup) => pendingAtOnce(warmup ? Math.min(n, 1e4) : n, warmup ? 1e4 : Math.max(n, total)))
    },
    {
      name: "workqueues",
      points: q ? [1, 10, 100, 1000] : [1, 10, 100, 1000, 10_000],
      point: each((w, warmup) => roundRobin(warmup ? 10 : w, warmup ? 1e4 : items))
    },
    {
      name: "pending delayed",
      points: q ? [1e2, 1e3, 1e4, 1e5] : [1e2, 1e3, 1e4, 1e5, 1e6],
      point: async (p) => {
        const point = await pendingDelayedPoint(p)
        return { run: (warmup) => point.run(warmup ? 1000 : delayed), close: point.close }
      }
    },
    {
      name: "CPUs",
      points: [1, 4, 16, 64],
      point: each((c, warmup) => overCpus(warmup ? 4 : c, warmup ? 1e4 : items))
    }
  ]
  const rows: Array<Row> = []
  const table: Array<Array<string>> = []
  for (const sweep of sweeps) {
    const values: Array<number> = []
    for (const [k, x] of sweep.points.entries()) {
      const label = `9. scaling, ${sweep.name} = ${fmt(x)}`
      const point = await sweep.point(x)
      const [result] = await compare(label, [{ name: "ours", run: point.run }], options, k === 0)
      await point.close?.()
      values.push(med(result!.samples, (ns) => ns))
    }
    const x0 = sweep.points[0]!
    const v0 = values[0]!
    for (const [k, x] of sweep.points.entries()) {
      if (k === 0) continue
      rows.push(
        row(
          `9. scaling, ${sweep.name} = ${fmt(x)}: CPU per item`,
          values[k]!,
          `${sweep.name} = ${fmt(x0)} (the sweep's first point)`,
          v0,
          "ns/item (CPU)",
          "lower"
        )
      )
    }
    const worst = Math.max(...values) / Math.min(...values)
    table.push([
      sweep.name,
      ...sweep.points.map((x, k) => `${fmt(x)}: ${fmt(values[k]!)}`),
      worst.toFixed(2)
    ])
  }
  return {
    rows,
    tables: [{
      title: "Case 9: scaling, CPU ns per item at each point of each sweep (medians)",
      headers: ["sweep", "points (x: ns/item)", "", "", "", "", "max / min"],
      rows: table.map((r) => {
        const cells = [...r]
        const last = cells.pop()!
        while (cells.length < 6) cells.push("")
        return [...cells, last]
      })
    }],
    notes: [
      `Case 9: CPU time per item (process.cpuUsage) from the first queue call until the last item ran; N pending: at least ${
        fmt(total)
      } items per point in batches of N; workqueues and CPUs: ${fmt(items)} items round-robin; pending delayed: ${
        fmt(delayed)
      } delayed items of 1-4 ms beside P items armed an hour ahead. Target: within 1.5x across each sweep.`
    ]
  }
}
