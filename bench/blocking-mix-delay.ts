/**
 * What holds the event loop in case 3's longest delay. Runs case 3's
 * workload (N items: burn BURN_US, sleep 0 to 2 ms from the same seeded
 * sequence, burn BURN_US) at one concurrency, on our workqueue and on
 * p-queue, and records:
 *
 * - the longest gap between two turns of the loop, with its start and end
 *   (`startEld`'s `gap` in `lib.ts`), sampled from where case 3 starts
 *   sampling: for ours after the pools' layer and the workqueue are built,
 *   so the queueing loop is inside, the layer's construction is not;
 * - every item's start and end time (its two burns);
 * - every garbage collection (`PerformanceObserver` of `gc` entries).
 *
 * Then for the longest gap of each run it prints how many item burns ran
 * inside it, how much of the gap they took, how much the collections
 * took, and the rest (the scheduler's and the queue's own code, timers,
 * promise jobs).
 *
 *   node --expose-gc --conditions=@cmwq/source --import tsx \
 *     bench/blocking-mix-delay.ts [concurrency=1024] [n=5000] [runs=5] [--profile]
 *
 * With `--profile`, every measured run is also CPU-profiled (every 50 us,
 * `gap-profile.ts`), and the samples inside each contender's longest gaps
 * are summed over its runs, by module and by function. Run it bundled to
 * get the functions' names:
 *
 *   npx esbuild bench/blocking-mix-delay.ts --bundle --platform=node \
 *     --format=esm --conditions=@cmwq/source --outfile=/tmp/bmd.mjs
 *   node --expose-gc /tmp/bmd.mjs 1024 5000 5 --profile
 */
import { Duration, Effect } from "effect"
import PQueue from "p-queue"
import { Work, Workqueue, WorkerPool } from "@cmwq/core"
import { printShares, recordGcs, samplesWithin, startProfile, stopProfile, within } from "./gap-profile.js"
import { burn, gc, median, now, prng, sleepMs, startEld } from "./lib.js"

const args = process.argv.slice(2).filter((a) => !a.startsWith("--"))
const profiling = process.argv.includes("--profile")
const concurrency = Number(args[0] ?? "1024")
const n = Number(args[1] ?? "5000")
const runs = Number(args[2] ?? "5")
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
const gcs = recordGcs()

/**
 * `body(start)` runs one contender and calls `start()` where the case starts
 * its loop-delay sampler (`startEld`); the longest gap between two turns of
 * the 1 ms sampling timer from then on
 */
const sampled = async (
  body: (start: () => void) => Promise<void>
): Promise<{ readonly from: number; readonly to: number; readonly startedAt: number }> => {
  let eld: ReturnType<typeof startEld> | null = null
  await body(() => {
    eld = startEld()
  })
  if (eld === null) throw new Error("the contender never started the sampler")
  const started: ReturnType<typeof startEld> = eld
  started.stop()
  return started.gap()
}

const effects = sleeps.map((ms) =>
  Effect.sync(begin).pipe(Effect.zipRight(Effect.sleep(Duration.millis(ms))), Effect.zipRight(Effect.sync(end)))
)
const tasks = sleeps.map((ms) => async () => {
  begin()
  await sleepMs(ms)
  end()
})

/** how long each run's synchronous queueing loop took (ours) */
const queueLoopMs: Array<number> = []

/** as case 3 runs ours: the pools' layer and the workqueue are built before the sampler starts */
const ours = (start: () => void): Promise<void> =>
  Effect.gen(function*() {
    const wq = yield* Workqueue.alloc("bench", { maxActive: concurrency })
    // the items are built before sampling starts, as case 3's are
    const works = effects.map((effect) => Work.make(effect))
    start()
    const t0 = now()
    for (const work of works) Workqueue.unsafeQueue(wq, work)
    queueLoopMs.push(now() - t0)
    yield* Workqueue.flush(wq)
  }).pipe(Effect.scoped, Effect.provide(WorkerPool.layer()), Effect.runPromise)

const pQueue = async (start: () => void): Promise<void> => {
  start()
  const queue = new PQueue({ concurrency })
  for (const task of tasks) void queue.add(task)
  await queue.onIdle()
}

interface Reading {
  readonly gapMs: number
  /** when the gap began, from the start of sampling */
  readonly atMs: number
  readonly burnsIn: number
  readonly burnMs: number
  readonly gcMs: number
  /** with --profile: the samples inside the gap, by module and by function */
  readonly inGap?: ReturnType<typeof samplesWithin>
}

const measure = async (body: (start: () => void) => Promise<void>): Promise<Reading> => {
  gc()
  burns.length = 0
  gcs.spans.length = 0
  done = 0
  const toMono = profiling ? await startProfile() : null
  const gap = await sampled(body)
  const recorded = toMono === null ? null : await stopProfile(toMono)
  // let the observer deliver the run's last entries
  await sleepMs(20)
  if (done !== n) throw new Error(`expected ${n} items, ${done} ran`)
  const b = within(burns, gap.from, gap.to)
  const g = within(gcs.spans, gap.from, gap.to)
  const reading = {
    gapMs: gap.to - gap.from,
    atMs: gap.from - gap.startedAt,
    burnsIn: b.count,
    burnMs: b.ms,
    gcMs: g.ms
  }
  return recorded === null ? reading : { ...reading, inGap: samplesWithin(recorded, gap.from, gap.to) }
}

/** add `from`'s counts into `into` */
const addInto = (into: Map<string, number>, from: Map<string, number>): void => {
  for (const [key, k] of from) into.set(key, (into.get(key) ?? 0) + k)
}

const main = async () => {
  const contenders: ReadonlyArray<readonly [string, (start: () => void) => Promise<void>]> = [
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
        `  gap ${r.gapMs.toFixed(1)} ms at +${r.atMs.toFixed(1)} ms: ${r.burnsIn} burns ${r.burnMs.toFixed(1)} ms, gc ${
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
    if (name.startsWith("ours")) {
      // the last `runs` loops are the measured runs' (the first is the warm-up's)
      console.log(
        `  the queueing loop (${n} unsafeQueue calls): median ${median(queueLoopMs.slice(-runs)).toFixed(1)} ms (${
          queueLoopMs.map((x) => x.toFixed(1)).join(" ")
        })`
      )
    }
    if (profiling) {
      const byModule = new Map<string, number>()
      const byFunction = new Map<string, number>()
      let total = 0
      for (const r of rs) {
        total += r.inGap!.total
        addInto(byModule, r.inGap!.byModule)
        addInto(byFunction, r.inGap!.byFunction)
      }
      console.log(`  profile samples inside the ${rs.length} longest gaps:`)
      printShares("by module", total, byModule, 15)
      printShares("by function", total, byFunction, 20)
    }
  }
  gcs.stop()
}

main().then(() => process.exit(0), (e) => {
  console.error(e)
  process.exit(1)
})
