/**
 * Case 5: the perf-wq load generator from the 2010 cmwq announcement (Tejun
 * Heo's overview mail) on `@cmwq/core`, beside a
 * CPU-bound foreground job on the same event loop.
 *
 * The port. A work is described by burn_usecs, mean_sleep_msecs,
 * mean_resched_msecs and factor (SHORT, MEDIUM, LONG below: burn/L is the
 * module's 50 us, burn/S the mail's table: 1, 2, 4 us). Each cycle of a work (the module's
 * `perf_wq_func`) splits its burn randomly in two, burns the first part,
 * sleeps 0 to 2 * mean_sleep ms, burns the rest, then requeues itself as
 * delayed work (`Workqueue.queueDelayed`) after 0 to 2 * mean_resched ms. The
 * random numbers use the module's integer arithmetic (`mean * (r % 200) /
 * 100`, `burn * (r % 100) / 100`); each work has its own seeded PRNG, so a
 * work sees the same sequence under every policy. (The mail's listing is
 * garbled around the split: its text splits `sleep`, its prose splits the
 * burn; we follow the prose.) Each of the module's workqueues is
 * `create_workqueue(...)`: per-cpu, max_active 1, MEM_RECLAIM, legacy; here
 * the same through `Workqueue.allocLegacy(name, ["MEM_RECLAIM"], 1, false)`
 * (what `Kernel.create_workqueue` does). The pools have as many logical CPUs
 * as the machine has cores (`os.availableParallelism()`), as the kernel has a
 * pool per CPU: the legacy design then has a dedicated worker per workqueue
 * per CPU, as pre-2.6.36 multi-threaded workqueues had a thread per CPU, even
 * where nothing is queued. The trigger and every re-queue run on CPU 0.
 * Workloads wl0 to wl5 are the mail's list (the module's `test_specs` is wl0).
 *
 * Scaling. The mail's runs had 15 s of load (cycles 454/125/42 = 15 s / cycle /
 * factor) beside a 25.6 s mencoder run. Here the foreground job is a fixed
 * chunked SHA-256 (FG_CHUNK_BYTES per chunk, one `setImmediate` between
 * chunks; FG_CHUNKS_FULL chunks, about 0.45 s alone on the 2-core AMD EPYC of
 * the project's runs, FG_CHUNKS_QUICK, about 0.1 s, with --quick), and the load
 * runs for exactly as long as the foreground job: all works are queued (delay
 * 0, like the module's trigger) right before the job starts, and requeue
 * themselves until it ends. Sleeps and reschedule delays keep the mail's real
 * values (ms timers); only the run length is scaled, so `factor` only matters
 * for the mail's cycle counts and is kept for reference. When the job ends,
 * pending timers (delayed works and sleeps) are cut short so teardown does not
 * wait for them (delayed works are cancelled with `Work.cancelSync`); nothing
 * after the job's end is measured.
 *
 * Contenders per workload and burn: the job alone ("no load", measured beside
 * the first configuration only: it is the same run under each), with the load
 * on `WorkerPool.layer({ policy: Policy.kernel })` and with the load on
 * `WorkerPool.layer({ policy: Policy.legacy })` (one dedicated worker per
 * workqueue per CPU, items strictly one after another even while one sleeps:
 * the mail's "vanilla"). One logical CPU (the default): one JS thread.
 * Reported: the job's time, peak live workers (sum of `workers` over
 * `WorkerPool.snapshot`, sampled every 5 ms and at the end), load cycles run
 * per second while the job ran, and the event loop's longest delay.
 */
import { createHash } from "node:crypto"
import { availableParallelism } from "node:os"
import { Effect } from "effect"
import { DelayedWork, Policy, Work, Workqueue, WorkerPool } from "@cmwq/core"
import {
  burn,
  type CaseOptions,
  type CaseResult,
  check,
  compare,
  type Contender,
  fmt,
  med,
  now,
  prng,
  type Row,
  row,
  startEld,
  startWorkerSampler
} from "../lib.js"

// -----------------------------------------------------------------------------
// The module's workload specs and workloads
// -----------------------------------------------------------------------------

interface WorkloadSpec {
  readonly name: "sht" | "med" | "lng"
  readonly burnL: number // us
  readonly burnS: number // us
  readonly meanSleepMs: number
  readonly meanReschedMs: number
  /** the mail's cycle divisor (kept for reference; our run length is the foreground job's) */
  readonly factor: number
}

const SHORT: WorkloadSpec = { name: "sht", burnL: 50, burnS: 1, meanSleepMs: 1, meanReschedMs: 10, factor: 3 }
const MEDIUM: WorkloadSpec = { name: "med", burnL: 50, burnS: 2, meanSleepMs: 10, meanReschedMs: 50, factor: 2 }
const LONG: WorkloadSpec = { name: "lng", burnL: 50, burnS: 4, meanSleepMs: 100, meanReschedMs: 250, factor: 1 }

/** `wqs` workqueues, each with `works` (spec, count) */
interface Group {
  readonly wqs: number
  readonly works: ReadonlyArray<readonly [WorkloadSpec, number]>
}

const LONG_TAIL: ReadonlyArray<Group> = [
  { wqs: 4, works: [[MEDIUM, 2], [LONG, 1]] },
  { wqs: 8, works: [[LONG, 1]] }
]

const WORKLOADS: Record<string, ReadonlyArray<Group>> = {
  wl0: [{ wqs: 12, works: [[SHORT, 4]] }, { wqs: 2, works: [[SHORT, 2], [MEDIUM, 2]] }, ...LONG_TAIL],
  wl1: [{ wqs: 8, works: [[SHORT, 4]] }, { wqs: 2, works: [[SHORT, 2], [MEDIUM, 2]] }, ...LONG_TAIL],
  wl2: [{ wqs: 4, works: [[SHORT, 4]] }, { wqs: 2, works: [[SHORT, 2], [MEDIUM, 2]] }, ...LONG_TAIL],
  wl3: [{ wqs: 2, works: [[SHORT, 4]] }, { wqs: 2, works: [[SHORT, 2], [MEDIUM, 2]] }, ...LONG_TAIL],
  wl4: [{ wqs: 2, works: [[SHORT, 4]] }, { wqs: 2, works: [[MEDIUM, 2]] }, ...LONG_TAIL],
  wl5: [{ wqs: 2, works: [[MEDIUM, 2]] }, ...LONG_TAIL]
}

/** the mail's table: wl0 and wl1 only with burn/S */
const CONFIGS: ReadonlyArray<readonly [string, "L" | "S"]> = [
  ["wl0", "S"],
  ["wl1", "S"],
  ["wl2", "L"],
  ["wl2", "S"],
  ["wl3", "L"],
  ["wl3", "S"],
  ["wl4", "L"],
  ["wl4", "S"],
  ["wl5", "L"],
  ["wl5", "S"]
]

const QUICK_CONFIGS = { wl0S: true, wl3L: true, wl5S: true }

const SEED = 2010

// -----------------------------------------------------------------------------
// The foreground job
// -----------------------------------------------------------------------------

const FG_CHUNK_BYTES = 256 * 1024
/** 8000 (1.2 s) until the full run had to fit in ten minutes: 10 configurations x 3 contenders x 5 rounds */
const FG_CHUNKS_FULL = 3000
const FG_CHUNKS_QUICK = 700

const fgBuffer = (() => {
  const random = prng(SEED)
  const buf = Buffer.alloc(FG_CHUNK_BYTES)
  for (let i = 0; i < buf.length; i += 4) buf.writeUInt32LE(random(), i)
  return buf
})()

/** hash `chunks` chunks, yielding to the event loop (setImmediate) between chunks; resolves to the elapsed ms */
const foreground = (chunks: number): Promise<number> =>
  new Promise((resolve) => {
    const hash = createHash("sha256")
    const t0 = now()
    let i = 0
    const step = () => {
      hash.update(fgBuffer)
      if (++i < chunks) setImmediate(step)
      else {
        hash.digest()
        resolve(now() - t0)
      }
    }
    setImmediate(step)
  })

// -----------------------------------------------------------------------------
// The load
// -----------------------------------------------------------------------------

interface Sleeper {
  readonly timers: Timers
  readonly resume: (effect: Effect.Effect<void>) => void
  handle: ReturnType<typeof setTimeout> | undefined
}

const wake = (sleeper: Sleeper): void => {
  sleeper.timers.pending.delete(sleeper)
  sleeper.resume(Effect.void)
}

/**
 * Timers of one loaded run; `cutShort` fires them all at once when the job
 * has ended. (No closure is created per sleep: tsx's keepNames makes named
 * closures expensive, see throughput-sync.ts.)
 */
class Timers {
  readonly pending = new Set<Sleeper>()
  stopped = false
  /** `Effect.sleep` on a timer we can cut short (same mechanism: an async effect resumed by setTimeout) */
  sleep(ms: number): Effect.Effect<void> {
    return Effect.async<void>((resume) => {
      if (this.stopped) return resume(Effect.void)
      const sleeper: Sleeper = { timers: this, resume, handle: undefined }
      sleeper.handle = setTimeout(wake, ms, sleeper)
      this.pending.add(sleeper)
    })
  }
  cutShort(): void {
    this.stopped = true
    for (const sleeper of this.pending) {
      clearTimeout(sleeper.handle)
      wake(sleeper)
    }
  }
}

interface TestRun {
  readonly spec: WorkloadSpec
  readonly burnUs: number
  readonly wq: Workqueue.Workqueue
  readonly random: () => number
  dwork: DelayedWork.DelayedWork | null
  cycles: number
}

/** the module's `perf_wq_func` */
const cycle = (run: TestRun, timers: Timers): Effect.Effect<unknown, unknown> =>
  Effect.suspend(() => {
    const spec = run.spec
    const sleep = Math.floor((spec.meanSleepMs * (run.random() % 200)) / 100)
    const first = Math.floor((run.burnUs * (run.random() % 100)) / 100)
    burn(first)
    return Effect.flatMap(timers.sleep(sleep), () => {
      burn(run.burnUs - first)
      run.cycles++
      if (timers.stopped) return Effect.void
      const delay = Math.floor((spec.meanReschedMs * (run.random() % 200)) / 100)
      return Workqueue.queueDelayed(run.wq, run.dwork!, delay)
    })
  })

/** one run's readings */
export interface Run {
  readonly fgMs: number
  readonly peakWorkers: number
  /** load cycles completed per second while the job ran */
  readonly cyclesPerSec: number
  readonly eld: number
  /** the longest gap between two turns of the loop, as `now()` readings (`startEld`'s `gap`) */
  readonly gap?: { readonly from: number; readonly to: number; readonly startedAt: number }
}

/** one run of a workload beside the foreground job (`bench/perf-wq-delay.ts` runs it too) */
export const loaded = (workload: string, size: "L" | "S", policy: Policy.Policy, chunks: number): Promise<Run> =>
  Effect.gen(function*() {
    const timers = new Timers()
    const runs: Array<TestRun> = []
    let wqId = 0
    let workId = 0
    for (const group of WORKLOADS[workload] ?? []) {
      for (let g = 0; g < group.wqs; g++) {
        const wq = yield* Workqueue.allocLegacy(`pwq-${String(wqId++).padStart(2, "0")}`, ["MEM_RECLAIM"], 1, false)
        for (const [spec, count] of group.works) {
          for (let j = 0; j < count; j++) {
            const run: TestRun = {
              spec,
              burnUs: size === "L" ? spec.burnL : spec.burnS,
              wq,
              random: prng(SEED + workId++),
              dwork: null,
              cycles: 0
            }
            run.dwork = DelayedWork.make(cycle(run, timers), { name: `${spec.name}-${workId}` })
            runs.push(run)
          }
        }
      }
    }
    const cycles = () => runs.reduce((sum, r) => sum + r.cycles, 0)
    const sampler = yield* startWorkerSampler(5)
    const eld = startEld()
    for (const run of runs) yield* Workqueue.queueDelayed(run.wq, run.dwork!, 0)
    const fgMs = yield* Effect.promise(() => foreground(chunks))
    const cyclesRun = cycles()
    const eldMax = eld.stop()
    const peakWorkers = sampler.stop()
    // teardown (not measured): stop requeueing, cut timers short, wait for running cycles
    timers.cutShort()
    for (const run of runs) yield* Work.cancelSync(run.dwork!)
    const failed = yield* Effect.forEach(runs, (r) => Effect.map(Workqueue.stats(r.wq), (s) => s.failed))
    check("failed cycles", failed.reduce((a, b) => a + b, 0), 0)
    return { fgMs, peakWorkers, cyclesPerSec: (cyclesRun / fgMs) * 1000, eld: eldMax, gap: eld.gap() }
  }).pipe(Effect.scoped, Effect.provide(WorkerPool.layer({ policy, cpus: availableParallelism() })), Effect.runPromise)

/**
 * The contenders of one configuration. The job alone ("no load") is the same
 * run under every configuration, so it runs beside the first one only, and
 * the others share its samples (it took a fifth of the case's time when it ran
 * beside each).
 */
const contenders = (workload: string, size: "L" | "S", chunks: number, alone: boolean): Array<Contender<Run>> => {
  const chunksOf = (warmup: boolean) => (warmup ? Math.ceil(chunks / 4) : chunks)
  return [
    ...(alone
      ? [{
        name: "no load",
        run: async (warmup: boolean): Promise<Run> => {
          const eld = startEld()
          const fgMs = await foreground(chunksOf(warmup))
          return { fgMs, peakWorkers: 0, cyclesPerSec: 0, eld: eld.stop() }
        }
      }]
      : []),
    { name: "Policy.kernel", run: (warmup) => loaded(workload, size, Policy.kernel, chunksOf(warmup)) },
    { name: "Policy.legacy", run: (warmup) => loaded(workload, size, Policy.legacy, chunksOf(warmup)) }
  ]
}

const pct = (x: number, base: number): string => `${x >= base ? "+" : ""}${(((x - base) / base) * 100).toFixed(1)}%`

export const run = async (options: CaseOptions): Promise<CaseResult> => {
  const chunks = options.quick ? FG_CHUNKS_QUICK : FG_CHUNKS_FULL
  const rows: Array<Row> = []
  const details: Array<Array<string>> = []
  // --quick: the heaviest load (wl0), a middle one and the lightest (wl5)
  const configs = options.quick ? CONFIGS.filter(([w, s]) => `${w}${s}` in QUICK_CONFIGS) : CONFIGS
  let aloneSamples: Array<Run> = []
  for (const [k, [workload, size]] of configs.entries()) {
    const label = `5. perf-wq ${workload} burn/${size}`
    // the contenders' code is the same for every configuration: warm it up once, on the first
    const results = await compare(label, contenders(workload, size, chunks, k === 0), options, k === 0)
    if (k === 0) aloneSamples = results.shift()!.samples
    const alone = { name: "no load", samples: aloneSamples }
    const [kernel, legacy] = [results[0]!, results[1]!]
    const m = (r: typeof alone, f: (run: Run) => number) => med(r.samples, f)
    const fg: [number, number, number] = [m(alone, (r) => r.fgMs), m(kernel, (r) => r.fgMs), m(legacy, (r) => r.fgMs)]
    const workers: [number, number] = [m(kernel, (r) => r.peakWorkers), m(legacy, (r) => r.peakWorkers)]
    rows.push(row(`${label}: foreground time`, fg[1], "Policy.legacy (pre-cmwq)", fg[2], "ms", "lower"))
    rows.push(
      row(`${label}: peak live workers`, workers[0], "Policy.legacy (pre-cmwq)", workers[1], "workers", "lower")
    )
    details.push([
      workload,
      size,
      fmt(fg[0]),
      `${fmt(fg[1])} (${pct(fg[1], fg[0])})`,
      `${fmt(fg[2])} (${pct(fg[2], fg[0])})`,
      pct(fg[1], fg[2]),
      fmt(workers[0]),
      fmt(workers[1]),
      fmt(m(kernel, (r) => r.cyclesPerSec)),
      fmt(m(legacy, (r) => r.cyclesPerSec)),
      fmt(m(alone, (r) => r.eld)),
      fmt(m(kernel, (r) => r.eld)),
      fmt(m(legacy, (r) => r.eld))
    ])
  }
  return {
    rows,
    tables: [{
      title: `Case 5: perf-wq beside a foreground SHA-256 job (${chunks} x ${
        FG_CHUNK_BYTES / 1024
      } KiB chunks; medians)`,
      headers: [
        "workload",
        "burn",
        "no load ms",
        "kernel ms (slowdown)",
        "legacy ms (slowdown)",
        "kernel vs legacy",
        "peak workers kernel",
        "peak workers legacy",
        "load cycles/s kernel",
        "load cycles/s legacy",
        "loop max delay ms: alone",
        "kernel",
        "legacy"
      ],
      rows: details
    }],
    notes: [
      "Case 5: the load runs exactly as long as the foreground job (works requeue themselves until it ends); the mail's durations of sleeps and reschedules are kept, only the run length is scaled. 'kernel vs legacy' = foreground time under Policy.kernel relative to Policy.legacy (target: within +2%)."
    ]
  }
}
