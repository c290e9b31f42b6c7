/**
 * Case 3: a blocking mix. N = 5000 items (1000 with --quick); item i burns BURN_US of CPU, sleeps
 * `sleeps[i]` ms on a real timer (0, 1 or 2 ms from a seeded PRNG, so every
 * contender gets the same sequence; Node runs a 0 ms timer after about 1 ms),
 * then burns BURN_US again.
 *
 * Contenders, for each concurrency C in 16, 256 and our default
 * (`maxActive` 0 = WQ_DFL_ACTIVE = 1024):
 * - ours: one workqueue with `maxActive: C` on the default pools (kernel
 *   policy), items queued with `Workqueue.unsafeQueue`, then `flush`;
 * - p-queue with `concurrency: C`, then `onIdle`;
 * - `Effect.forEach` with `concurrency: C`.
 * Items are pre-built once and shared: the item's logic is the same pair of
 * closures (`begin(i)`, `end()`), wrapped once as an Effect (ours and
 * forEach: `Effect.sync(begin) *> Effect.sleep *> Effect.sync(end)`) and once
 * as an async function for p-queue (`begin; await setTimeout-promise; end`).
 *
 * Measured per run: completion time (first queue call to last item done),
 * queue-to-start latency of every item (mean, p99; forEach has no queue, so
 * its items count as queued when forEach is called), peak concurrency in use
 * (items started and not finished), peak live worker fibers (ours: sum of
 * `workers` over `WorkerPool.snapshot`, sampled every 2 ms and at the end;
 * p-queue and forEach: their peak concurrency in use, since forEach forks one
 * fiber per running item and p-queue has no workers) and the longest
 * event-loop delay.
 */
import { Duration, Effect } from "effect"
import { identity } from "effect/Function"
import fastq from "fastq"
import pLimit from "p-limit"
import PQueue from "p-queue"
import { Work, Workqueue, WorkerPool } from "@cmwq/core"
import {
  burn,
  type CaseOptions,
  type CaseResult,
  check,
  compare,
  type Contender,
  fmt,
  mean,
  med,
  now,
  percentile,
  prng,
  type Row,
  row,
  sleepMs,
  startEld,
  startWorkerSampler
} from "../lib.js"

/**
 * the most items of a run: the full case's (10^4 until the full run had to
 * fit in ten minutes; at maxActive 16 a run of 10^4 took about 1.4 s)
 */
const N_FULL = 5_000
/** items per run: N_FULL, or 1000 with --quick (set by `run`) */
let N = N_FULL
/** items in a warm-up run */
const WARMUP_N = 2_000
const BURN_US = 25
const SEED = 0x3c3c
/** WQ_DFL_ACTIVE: what `maxActive` 0 means; the peers get the same number */
const DEFAULT_ACTIVE = Workqueue.WQ_DFL_ACTIVE

interface Run {
  readonly completionMs: number
  readonly meanLatencyMs: number
  readonly p99LatencyMs: number
  readonly peakWorkers: number
  readonly peakInFlight: number
  readonly eld: number
}

// per-run recording, shared by the pre-built items
const queuedAt = new Float64Array(N_FULL)
const startedAt = new Float64Array(N_FULL)
let inFlight = 0
let peakInFlight = 0
let done = 0

const reset = () => {
  queuedAt.fill(0)
  startedAt.fill(0)
  inFlight = 0
  peakInFlight = 0
  done = 0
}

const begin = (i: number) => {
  startedAt[i] = now()
  if (++inFlight > peakInFlight) peakInFlight = inFlight
  burn(BURN_US)
}

const end = () => {
  burn(BURN_US)
  inFlight--
  done++
}

const random = prng(SEED)
const sleeps = Array.from({ length: N_FULL }, () => random() % 3)
const effects: ReadonlyArray<Effect.Effect<void>> = sleeps.map((ms, i) =>
  Effect.sync(() => begin(i)).pipe(
    Effect.zipRight(Effect.sleep(Duration.millis(ms))),
    Effect.zipRight(Effect.sync(end))
  )
)
const works = effects.map((effect) => Work.make(effect))
const tasks = sleeps.map((ms, i) => async () => {
  begin(i)
  await sleepMs(ms)
  end()
})

const summarize = (n: number, completionMs: number, peakWorkers: number, eld: number): Run => {
  check("items done", done, n)
  const latencies = new Float64Array(n)
  for (let i = 0; i < n; i++) latencies[i] = startedAt[i]! - queuedAt[i]!
  return {
    completionMs,
    meanLatencyMs: mean(latencies),
    p99LatencyMs: percentile(latencies, 99),
    peakWorkers,
    peakInFlight,
    eld
  }
}

const contenders = (maxActive: number): Array<Contender<Run>> => {
  const concurrency = maxActive === 0 ? DEFAULT_ACTIVE : maxActive
  const ours: Contender<Run> = {
    name: `ours (maxActive ${maxActive === 0 ? "default" : maxActive})`,
    run: (warmup) => {
      const n = warmup ? Math.min(WARMUP_N, N) : N
      reset()
      return Effect.gen(function*() {
        const wq = yield* Workqueue.alloc("bench", { maxActive })
        const sampler = yield* startWorkerSampler(2)
        const eld = startEld()
        const t0 = now()
        for (let i = 0; i < n; i++) {
          queuedAt[i] = now()
          Workqueue.unsafeQueue(wq, works[i]!)
        }
        yield* Workqueue.flush(wq)
        const completion = now() - t0
        const eldMax = eld.stop()
        return summarize(n, completion, sampler.stop(), eldMax)
      }).pipe(Effect.scoped, Effect.provide(WorkerPool.layer()), Effect.runPromise)
    }
  }
  const pQueue: Contender<Run> = {
    name: `p-queue(${concurrency})`,
    run: async (warmup) => {
      const n = warmup ? Math.min(WARMUP_N, N) : N
      reset()
      const queue = new PQueue({ concurrency })
      const eld = startEld()
      const t0 = now()
      for (let i = 0; i < n; i++) {
        queuedAt[i] = now()
        void queue.add(tasks[i]!)
      }
      await queue.onIdle()
      const completion = now() - t0
      const eldMax = eld.stop()
      return summarize(n, completion, peakInFlight, eldMax)
    }
  }
  const forEach: Contender<Run> = {
    name: `Effect.forEach(${concurrency})`,
    run: (warmup) => {
      const n = warmup ? Math.min(WARMUP_N, N) : N
      const items = effects.slice(0, n)
      reset()
      return Effect.runPromise(Effect.suspend(() => {
        const eld = startEld()
        const t0 = now()
        queuedAt.fill(t0)
        return Effect.map(Effect.forEach(items, identity, { concurrency, discard: true }), () => {
          const completion = now() - t0
          const eldMax = eld.stop()
          return summarize(n, completion, peakInFlight, eldMax)
        })
      }))
    }
  }
  const fastQueue: Contender<Run> = {
    name: `fastq(${concurrency})`,
    run: (warmup) =>
      new Promise<Run>((resolve) => {
        const n = warmup ? Math.min(WARMUP_N, N) : N
        reset()
        // plain callbacks: the worker calls back when the task's promise settles
        const queue = fastq<unknown, () => Promise<void>>(
          null,
          (task, done) => void task().then(() => done(null)),
          concurrency
        )
        let left = n
        const eld = startEld()
        const t0 = now()
        const finished = () => {
          if (--left === 0) {
            const completion = now() - t0
            resolve(summarize(n, completion, peakInFlight, eld.stop()))
          }
        }
        for (let i = 0; i < n; i++) {
          queuedAt[i] = now()
          queue.push(tasks[i]!, finished)
        }
      })
  }
  const promiseLimit: Contender<Run> = {
    name: `p-limit(${concurrency})`,
    run: async (warmup) => {
      const n = warmup ? Math.min(WARMUP_N, N) : N
      reset()
      const limit = pLimit(concurrency)
      const all: Array<Promise<void>> = new Array(n)
      const eld = startEld()
      const t0 = now()
      for (let i = 0; i < n; i++) {
        queuedAt[i] = now()
        all[i] = limit(tasks[i]!)
      }
      await Promise.all(all)
      const completion = now() - t0
      const eldMax = eld.stop()
      return summarize(n, completion, peakInFlight, eldMax)
    }
  }
  return [ours, pQueue, fastQueue, promiseLimit, forEach]
}

const METRICS: ReadonlyArray<readonly [string, string, (r: Run) => number]> = [
  ["completion time", "ms", (r) => r.completionMs],
  ["mean queue-to-start latency", "ms", (r) => r.meanLatencyMs],
  ["p99 queue-to-start latency", "ms", (r) => r.p99LatencyMs],
  ["peak live workers", "workers", (r) => r.peakWorkers],
  ["event-loop max delay", "ms", (r) => r.eld]
]

export const run = async (options: CaseOptions): Promise<CaseResult> => {
  N = options.quick ? 1_000 : N_FULL
  const rows: Array<Row> = []
  const details: Array<Array<string>> = []
  for (const maxActive of [16, 256, 0]) {
    const label = `3. blocking mix, maxActive ${maxActive === 0 ? `default (${DEFAULT_ACTIVE})` : maxActive}`
    const results = await compare(label, contenders(maxActive), options)
    const medians = results.map((r) => METRICS.map(([, , f]) => med(r.samples, f)))
    for (const [m, [metric, unit]] of METRICS.entries()) {
      for (let i = 1; i < results.length; i++) {
        rows.push(row(`${label}: ${metric}`, medians[0]![m]!, results[i]!.name, medians[i]![m]!, unit, "lower"))
      }
    }
    results.forEach((r, i) => {
      details.push([
        label.replace("3. blocking mix, ", ""),
        r.name,
        ...medians[i]!.map(fmt),
        fmt(med(r.samples, (s) => s.peakInFlight))
      ])
    })
  }
  return {
    rows,
    tables: [{
      title: `Case 3: blocking mix, ${N} items, burn ${BURN_US} us + sleep 0-2 ms + burn ${BURN_US} us (medians)`,
      headers: [
        "config",
        "contender",
        "completion ms",
        "mean latency ms",
        "p99 latency ms",
        "peak workers",
        "loop max delay ms",
        "peak in flight"
      ],
      rows: details
    }],
    notes: [
      "Case 3: peers' 'peak workers' is their peak concurrency in use (forEach forks a fiber per running item; p-queue has no workers). Ours is the sum of live worker fibers over all pools (4 pools with one idle worker each exist from the start)."
    ]
  }
}
