/**
 * What holds the event loop in case 3's longest delay. Runs case 3's
 * workload (N items: burn BURN_US, sleep 0 to 2 ms from the same seeded
 * sequence, burn BURN_US) at one concurrency, on our workqueue and on
 * p-queue, and records:
 *
 * - every turn of a 1 ms interval timer (as `startEld` in `lib.ts` samples
 *   the loop), so the longest gap between two turns is found with its start
 *   and end;
 * - every item's start and end time (its two burns);
 * - every garbage collection (`PerformanceObserver` of `gc` entries).
 *
 * Then for the longest gap of each run it prints how many item burns ran
 * inside it, how much of the gap they took, how much the collections
 * took, and the rest (the scheduler's and the queue's own code, timers,
 * promise jobs).
 *
 *   node --expose-gc --conditions=@cmwq/source --import tsx \
 *     bench/blocking-mix-delay.ts [concurrency=1024] [n=5000] [runs=5]
 */
import { PerformanceObserver } from "node:perf_hooks"
import { Duration, Effect } from "effect"
import PQueue from "p-queue"
import { Work, Workqueue, WorkerPool } from "@cmwq/core"
import { burn, gc, median, now, prng, sleepMs } from "./lib.js"

const concurrency = Number(process.argv[2] ?? "1024")
const n = Number(process.argv[3] ?? "5000")
const runs = Number(process.argv[4] ?? "5")
/** case 3's constants (`cases/blocking-mix.ts`) */
const BURN_US = 25
const SEED = 0x3c3c

const random = prng(SEED)
const sleeps = Array.from({ length: n }, () => random() % 3)
/** burns: [start, end] pairs, two per item */
const burns: Array<number> = []
let done = 0
const timedBurn = () => {
  const t = now()
  burn(BURN_US)
  burns.push(t, now())
}
const begin = () => timedBurn()
const end = () => {
  timedBurn()
  done++
}

/** the gc entries of the current run: [start, end] pairs, on the same clock as `now` */
const gcs: Array<number> = []
const observer = new PerformanceObserver((list) => {
  for (const e of list.getEntries()) gcs.push(e.startTime, e.startTime + e.duration)
})
observer.observe({ entryTypes: ["gc"] })

/** run `body`, sampling the loop every 1 ms; the longest gap between two turns */
const sampled = async (body: () => Promise<void>): Promise<{ from: number; to: number }> => {
  let last = now()
  let longest = { from: last, to: last }
  const timer = setInterval(() => {
    const t = now()
    if (t - last > longest.to - longest.from) longest = { from: last, to: t }
    last = t
  }, 1)
  await body()
  clearInterval(timer)
  const t = now()
  if (t - last > longest.to - longest.from) longest = { from: last, to: t }
  return longest
}

/** the part of [from, to] covered by the [start, end] pairs of `spans` */
const within = (spans: ReadonlyArray<number>, from: number, to: number): { count: number; ms: number } => {
  let count = 0
  let ms = 0
  for (let i = 0; i < spans.length; i += 2) {
    const a = Math.max(from, spans[i]!)
    const b = Math.min(to, spans[i + 1]!)
    if (b > a) {
      count++
      ms += b - a
    }
  }
  return { count, ms }
}

const effects = sleeps.map((ms) =>
  Effect.sync(begin).pipe(Effect.zipRight(Effect.sleep(Duration.millis(ms))), Effect.zipRight(Effect.sync(end)))
)
const tasks = sleeps.map((ms) => async () => {
  begin()
  await sleepMs(ms)
  end()
})

const ours = (): Promise<void> =>
  Effect.gen(function*() {
    const wq = yield* Workqueue.alloc("bench", { maxActive: concurrency })
    for (const effect of effects) Workqueue.unsafeQueue(wq, Work.make(effect))
    yield* Workqueue.flush(wq)
  }).pipe(Effect.scoped, Effect.provide(WorkerPool.layer()), Effect.runPromise)

const pQueue = async (): Promise<void> => {
  const queue = new PQueue({ concurrency })
  for (const task of tasks) void queue.add(task)
  await queue.onIdle()
}

interface Reading {
  readonly gapMs: number
  readonly burnsIn: number
  readonly burnMs: number
  readonly gcMs: number
}

const measure = async (body: () => Promise<void>): Promise<Reading> => {
  gc()
  burns.length = 0
  gcs.length = 0
  done = 0
  const gap = await sampled(body)
  // let the observer deliver the run's last entries
  await sleepMs(20)
  if (done !== n) throw new Error(`expected ${n} items, ${done} ran`)
  const b = within(burns, gap.from, gap.to)
  const g = within(gcs, gap.from, gap.to)
  return { gapMs: gap.to - gap.from, burnsIn: b.count, burnMs: b.ms, gcMs: g.ms }
}

const main = async () => {
  const contenders: ReadonlyArray<readonly [string, () => Promise<void>]> = [
    [`ours (maxActive ${concurrency})`, ours],
    [`p-queue(${concurrency})`, pQueue]
  ]
  const readings = new Map<string, Array<Reading>>(contenders.map(([name]) => [name, []]))
  // one warm-up run each, then `runs` rounds, alternating
  for (const [, body] of contenders) await measure(body)
  for (let r = 0; r < runs; r++) {
    for (const [name, body] of r % 2 === 0 ? contenders : [...contenders].reverse()) {
      readings.get(name)!.push(await measure(body))
    }
  }
  console.log(`case 3 workload: ${n} items, concurrency ${concurrency}, ${runs} runs; the longest gap of each run`)
  for (const [name, rs] of readings) {
    console.log(`\n${name}`)
    for (const r of rs) {
      const rest = r.gapMs - r.burnMs - r.gcMs
      console.log(
        `  gap ${r.gapMs.toFixed(1)} ms: ${r.burnsIn} burns ${r.burnMs.toFixed(1)} ms, gc ${
          r.gcMs.toFixed(1)
        } ms, rest ${rest.toFixed(1)} ms`
      )
    }
    const m = (f: (r: Reading) => number) => median(rs.map(f)).toFixed(1)
    console.log(
      `  median: gap ${m((r) => r.gapMs)} ms, burns ${m((r) => r.burnsIn)} (${m((r) => r.burnMs)} ms), gc ${
        m((r) => r.gcMs)
      } ms, rest ${m((r) => r.gapMs - r.burnMs - r.gcMs)} ms`
    )
  }
  observer.disconnect()
}

main().then(() => process.exit(0), (e) => {
  console.error(e)
  process.exit(1)
})
