/**
 * Shared helpers of the benchmark suite: timing, statistics, a seeded PRNG,
 * CPU burning, the event-loop-delay monitor, the side-by-side runner and the
 * markdown tables.
 *
 * Conventions used by every case:
 * - a contender is a function that performs one complete run and returns its
 *   measurements; `compare` calls each one once as a warm-up, then runs
 *   `reps` rounds, rotating the order of the contenders every round so that
 *   no contender always runs first (or right after the same neighbour);
 * - `global.gc()` runs before every run (outside the measured region), so one
 *   contender's garbage is not collected on the next one's clock;
 * - results are medians over the rounds.
 */
import { monitorEventLoopDelay } from "node:perf_hooks"
import { Effect } from "effect"
import { WorkerPool } from "@cmwq/core"

// -----------------------------------------------------------------------------
// Result rows (the shape of bench/results/latest.json)
// -----------------------------------------------------------------------------

/** one line of `bench/results/latest.json`: our value against one peer */
export interface Row {
  readonly case: string
  readonly ours: number
  readonly peer: string
  readonly peerValue: number
  readonly unit: string
  /** ours / peerValue */
  readonly ratio: number
  readonly better: "higher" | "lower"
  /**
   * present (true) when the "peer" is a physical limit (a plain loop doing the
   * same work with no queue at all), not a library one could pick instead:
   * such a row shows how close we are to the floor and is never read as a peer
   */
  readonly limit?: true
}

/** an extra table a case prints (and stores in latest-meta.json) */
export interface Table {
  readonly title: string
  readonly headers: ReadonlyArray<string>
  readonly rows: ReadonlyArray<ReadonlyArray<string>>
}

/** what a case module returns */
export interface CaseResult {
  readonly rows: ReadonlyArray<Row>
  readonly tables: ReadonlyArray<Table>
  readonly notes: ReadonlyArray<string>
}

/** options every case receives */
export interface CaseOptions {
  readonly quick: boolean
  /** measured rounds per contender */
  readonly reps: number
  /**
   * --quick only: a contender whose first measured run took longer than this
   * (ms) is not run again (its median is that one run); Infinity in full runs
   */
  readonly slowRunMs: number
}

export const row = (
  name: string,
  ours: number,
  peer: string,
  peerValue: number,
  unit: string,
  better: "higher" | "lower",
  limit = false
): Row => ({
  case: name,
  ours,
  peer,
  peerValue,
  unit,
  ratio: peerValue === 0 ? 0 : ours / peerValue,
  better,
  ...(limit ? { limit: true as const } : {})
})

// -----------------------------------------------------------------------------
// Time, statistics, PRNG, CPU
// -----------------------------------------------------------------------------

export const now = (): number => performance.now()

export const median = (xs: ReadonlyArray<number>): number => {
  if (xs.length === 0) return NaN
  const s = [...xs].sort((a, b) => a - b)
  const mid = s.length >> 1
  return s.length % 2 === 1 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2
}

export const mean = (xs: ArrayLike<number>): number => {
  let sum = 0
  for (let i = 0; i < xs.length; i++) sum += xs[i]!
  return xs.length === 0 ? NaN : sum / xs.length
}

/** nearest-rank percentile, `p` in 0..100 */
export const percentile = (xs: ArrayLike<number>, p: number): number => {
  const s = Float64Array.from(xs).sort()
  if (s.length === 0) return NaN
  const rank = Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))
  return s[rank]!
}

/** mulberry32: a small seeded PRNG; returns a function giving 32-bit unsigned integers */
export const prng = (seed: number): () => number => {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return (t ^ (t >>> 14)) >>> 0
  }
}

/** hold the JS thread for `micros` microseconds (the kernel module's udelay) */
export const burn = (micros: number): void => {
  if (micros <= 0) return
  const end = performance.now() + micros / 1000
  while (performance.now() < end) {
    // spin
  }
}

export const gc = (): void => {
  const collect = globalThis.gc
  if (collect === undefined) throw new Error("run with node --expose-gc (npm run bench does)")
  collect()
}

/** a promise resolved by `setTimeout(ms)` */
export const sleepMs = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms))

// -----------------------------------------------------------------------------
// Event-loop delay
// -----------------------------------------------------------------------------

/** sampling interval of the event-loop-delay histogram, in ms */
export const ELD_RESOLUTION_MS = 1

/**
 * Start `perf_hooks.monitorEventLoopDelay`; `stop()` returns the longest
 * delay seen, in ms. The histogram records the time between two ticks of a
 * 1 ms timer, so an idle loop reads about 1 to 3 ms; a loop blocked for
 * 50 ms reads about 51 ms or more. The histogram records nothing while the
 * loop is blocked, so a block that lasts until `stop()` (a contender that
 * never yields to the event loop during its whole run) would read 0: `stop()`
 * therefore also counts the time since the loop last turned, and the gaps
 * between the ticks of a 1 ms interval timer started with it (the histogram
 * also misses a block that starts before its first sample). `gap()`, after
 * `stop()`, is the longest of those interval gaps (the tail included) as
 * its start and end (`now()`) with the time `startEld` was called, for
 * tools that look inside it.
 */
export const startEld = (): {
  readonly stop: () => number
  readonly gap: () => { readonly from: number; readonly to: number; readonly startedAt: number }
} => {
  const histogram = monitorEventLoopDelay({ resolution: ELD_RESOLUTION_MS })
  histogram.enable()
  const startedAt = now()
  let lastTurn = startedAt
  let longest = { from: lastTurn, to: lastTurn }
  const timer = setInterval(() => {
    const t = now()
    if (t - lastTurn > longest.to - longest.from) longest = { from: lastTurn, to: t }
    lastTurn = t
  }, ELD_RESOLUTION_MS)
  return {
    stop: () => {
      const t = now()
      if (t - lastTurn > longest.to - longest.from) longest = { from: lastTurn, to: t }
      clearInterval(timer)
      histogram.disable()
      return Math.max(histogram.max / 1e6, longest.to - longest.from)
    },
    gap: () => ({ ...longest, startedAt })
  }
}

// -----------------------------------------------------------------------------
// Side-by-side runner
// -----------------------------------------------------------------------------

export interface Contender<M> {
  readonly name: string
  /** one complete run; `warmup` is true for the (possibly smaller) warm-up run */
  readonly run: (warmup: boolean) => Promise<M>
}

/**
 * Warm each contender up once (unless `warmup` is false), then run `options.reps` rounds; in round `r`
 * the contenders run in the order rotated by `r`. With --quick, a contender
 * whose first measured run took longer than `options.slowRunMs` sits out the
 * later rounds. Returns every contender's samples, in the contenders' order.
 */
export const compare = async <M>(
  label: string,
  contenders: ReadonlyArray<Contender<M>>,
  options: CaseOptions,
  /** false when the same contenders were just warmed up on a sibling configuration */
  warmup = true
): Promise<Array<{ readonly name: string; readonly samples: Array<M> }>> => {
  const results = contenders.map((c) => ({ name: c.name, samples: [] as Array<M>, slow: false }))
  const runOne = async (c: Contender<M>, warmup: boolean): Promise<{ m: M; ms: number }> => {
    if (!warmup) gc() // a warm-up's result is discarded: its garbage is collected before the next measured run
    const t0 = now()
    const m = await c.run(warmup)
    const ms = now() - t0
    if (VERBOSE) progress(`    ${label} / ${c.name}${warmup ? " (warm-up)" : ""}: ${ms.toFixed(0)} ms`)
    return { m, ms }
  }
  if (warmup) { for (const c of contenders) await runOne(c, true) }
  for (let r = 0; r < options.reps; r++) {
    for (let k = 0; k < contenders.length; k++) {
      const i = (k + r) % contenders.length
      const result = results[i]!
      if (result.slow) continue
      const { m, ms } = await runOne(contenders[i]!, false)
      result.samples.push(m)
      if (ms > options.slowRunMs) result.slow = true
    }
    progress(`  ${label}: round ${r + 1}/${options.reps} done`)
  }
  return results.map(({ name, samples }) => ({ name, samples }))
}

/** median of one numeric field of a contender's samples */
export const med = <M>(samples: ReadonlyArray<M>, field: (m: M) => number): number => median(samples.map(field))

/** BENCH_VERBOSE=1 prints every run's wall time */
const VERBOSE = process.env.BENCH_VERBOSE === "1"

export const progress = (line: string): void => {
  process.stderr.write(`${line}\n`)
}

/** throw if a contender did not do its work (a harness or library bug, never a result) */
export const check = (what: string, actual: number, expected: number): void => {
  if (actual !== expected) throw new Error(`${what}: expected ${expected}, got ${actual}`)
}

// -----------------------------------------------------------------------------
// Formatting
// -----------------------------------------------------------------------------

/** a number with 3 significant digits and SI suffix for large values */
export const fmt = (x: number): string => {
  if (!Number.isFinite(x)) return String(x)
  const a = Math.abs(x)
  if (a >= 1e9) return `${(x / 1e9).toPrecision(3)}G`
  if (a >= 1e6) return `${(x / 1e6).toPrecision(3)}M`
  if (a >= 1e4) return `${(x / 1e3).toPrecision(3)}k`
  if (a >= 100) return x.toFixed(0)
  if (a >= 1) return x.toPrecision(3)
  if (a === 0) return "0"
  return x.toPrecision(2)
}

export const markdownTable = (headers: ReadonlyArray<string>, rows: ReadonlyArray<ReadonlyArray<string>>): string => {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? "").length)))
  const line = (cells: ReadonlyArray<string>) =>
    `| ${cells.map((c, i) => (c ?? "").padEnd(widths[i] ?? 0)).join(" | ")} |`
  return [line(headers), `| ${widths.map((w) => "-".repeat(w)).join(" | ")} |`, ...rows.map(line)].join("\n")
}

export const rowsTable = (rows: ReadonlyArray<Row>): string =>
  markdownTable(
    ["case", "ours", "peer", "peer value", "unit", "ratio", "better"],
    rows.map((r) => [r.case, fmt(r.ours), r.peer, fmt(r.peerValue), r.unit, r.ratio.toFixed(2), r.better])
  )

// -----------------------------------------------------------------------------
// Our pools, sampled
// -----------------------------------------------------------------------------

/**
 * Sample `WorkerPool.snapshot` every `everyMs` (and on `stop()`): the most
 * live worker fibers seen, summed over all pools (bound, high-priority, BH,
 * dedicated and unbound). Must be started inside a program that has the
 * pools.
 */
export const startWorkerSampler = (everyMs: number) =>
  Effect.map(WorkerPool.WorkerPools, (pools) => {
    const snapshot = Effect.provideService(WorkerPool.snapshot, WorkerPool.WorkerPools, pools)
    let peak = 0
    const sample = () => {
      let workers = 0
      for (const pool of Effect.runSync(snapshot)) workers += pool.workers
      if (workers > peak) peak = workers
    }
    sample()
    const timer = setInterval(sample, everyMs)
    return {
      /** stop sampling; returns the peak number of live workers */
      stop: (): number => {
        clearInterval(timer)
        sample()
        return peak
      }
    }
  })
