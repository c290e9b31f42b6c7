/**
 * Case 8: arming 10^6 delayed items (10^5 with --quick), then cancelling
 * them all: heap per armed item, and arm and cancel throughput.
 *
 * Every contender arms N timers with delays spread over 10 to 60 s (so none
 * fires during the run), then cancels all of them:
 * - ours: N `DelayedWork.make(Effect.void)` items, made before the
 *   measurement, armed with `Workqueue.queueDelayed` and cancelled with
 *   `Work.cancel` (one workqueue). Every armed item is a node on the pools'
 *   one timer heap, with one driver fiber;
 * - `setTimeout` per item (one shared callback), cancelled with
 *   `clearTimeout`;
 * - `Effect.sleep` + a fiber per item (`Effect.runFork`), cancelled with
 *   `unsafeInterruptAsFork`: what every armed delayed item cost before the
 *   timer heap. This peer arms N/10 items: 10^6 fibers (about 4.5 kB each)
 *   exhaust the default V8 heap; its values are per item all the same.
 * The arrays holding the items, handles or fibers are allocated before the
 * measurement. Heap per armed item: `heapUsed` after arming minus before
 * (each after `global.gc()`), divided by N. Throughput is items per second
 * of the process's CPU time (`process.cpuUsage()`, user + system), not of
 * wall-clock time, so the load of other processes on the machine does not
 * enter it.
 */
import { Effect, Fiber } from "effect"
import { DelayedWork, Work, Workqueue, WorkerPool } from "@cmwq/core"
import { type CaseOptions, type CaseResult, check, compare, type Contender, fmt, gc, med, row } from "../lib.js"

const N_FULL = 1_000_000
const N_QUICK = 100_000
const WARMUP_N = 20_000

/** a delay in 10..60 s, spread over the range (none fires during a run) */
const delayOf = (i: number): number => 10_000 + ((i * 7919) % 50_000)

/** CPU milliseconds (user + system) since `from` */
const cpuMs = (from: NodeJS.CpuUsage): number => {
  const d = process.cpuUsage(from)
  return (d.user + d.system) / 1000
}

interface Sample {
  readonly bytes: number
  /** items armed per CPU second */
  readonly arm: number
  /** items cancelled per CPU second */
  readonly cancel: number
}

let fired = 0
const onFire = (): void => {
  fired++
}

const ours = (n: number): Promise<Sample> =>
  Effect.gen(function*() {
    const wq = yield* Workqueue.alloc("bench-delayed")
    const items: Array<DelayedWork.DelayedWork> = new Array(n)
    for (let i = 0; i < n; i++) items[i] = DelayedWork.make(Effect.sync(onFire))
    fired = 0
    gc()
    const h0 = process.memoryUsage().heapUsed
    let c0 = process.cpuUsage()
    for (let i = 0; i < n; i++) yield* Workqueue.queueDelayed(wq, items[i]!, delayOf(i))
    const armMs = cpuMs(c0)
    gc()
    const bytes = (process.memoryUsage().heapUsed - h0) / n
    c0 = process.cpuUsage()
    let cancelled = 0
    for (let i = 0; i < n; i++) if (yield* Work.cancel(items[i]!)) cancelled++
    const cancelMs = cpuMs(c0)
    check("ours: cancelled", cancelled, n)
    check("ours: fired", fired, 0)
    return { bytes, arm: n / (armMs / 1000), cancel: n / (cancelMs / 1000) }
  }).pipe(Effect.scoped, Effect.provide(WorkerPool.layer()), Effect.runPromise)

const timeouts = async (n: number): Promise<Sample> => {
  const handles: Array<ReturnType<typeof setTimeout> | undefined> = new Array(n).fill(undefined)
  fired = 0
  gc()
  const h0 = process.memoryUsage().heapUsed
  let c0 = process.cpuUsage()
  for (let i = 0; i < n; i++) handles[i] = setTimeout(onFire, delayOf(i))
  const armMs = cpuMs(c0)
  gc()
  const bytes = (process.memoryUsage().heapUsed - h0) / n
  c0 = process.cpuUsage()
  for (let i = 0; i < n; i++) clearTimeout(handles[i])
  const cancelMs = cpuMs(c0)
  check("setTimeout: fired", fired, 0)
  return { bytes, arm: n / (armMs / 1000), cancel: n / (cancelMs / 1000) }
}

const fibers = async (n: number): Promise<Sample> => {
  const all: Array<Fiber.RuntimeFiber<void> | undefined> = new Array(n).fill(undefined)
  const body = Effect.sync(onFire)
  fired = 0
  gc()
  const h0 = process.memoryUsage().heapUsed
  let c0 = process.cpuUsage()
  for (let i = 0; i < n; i++) all[i] = Effect.runFork(Effect.andThen(Effect.sleep(delayOf(i)), body))
  // let every fiber start (and arm its sleep) before measuring
  await new Promise<void>((resolve) => setTimeout(resolve, 0))
  const armMs = cpuMs(c0)
  gc()
  const bytes = (process.memoryUsage().heapUsed - h0) / n
  c0 = process.cpuUsage()
  for (let i = 0; i < n; i++) all[i]!.unsafeInterruptAsFork(all[i]!.id())
  await Effect.runPromise(Fiber.awaitAll(all as Array<Fiber.RuntimeFiber<void>>))
  const cancelMs = cpuMs(c0)
  check("fibers: fired", fired, 0)
  return { bytes, arm: n / (armMs / 1000), cancel: n / (cancelMs / 1000) }
}

export const run = async (options: CaseOptions): Promise<CaseResult> => {
  const n = options.quick ? N_QUICK : N_FULL
  const size = (warmup: boolean) => (warmup ? WARMUP_N : n)
  const contenders: ReadonlyArray<Contender<Sample>> = [
    { name: "ours", run: (warmup) => ours(size(warmup)) },
    { name: "setTimeout per item", run: (warmup) => timeouts(size(warmup)) },
    { name: "Effect.sleep + fiber per item", run: (warmup) => fibers(Math.round(size(warmup) / 10)) }
  ]
  const label = `8. ${fmt(n)} delayed items armed`
  const results = await compare(label, contenders, options)
  const m = (i: number, f: (s: Sample) => number) => med(results[i]!.samples, f)
  const rows = []
  for (const [i, peer] of [[1, "setTimeout per item"], [2, "Effect.sleep + fiber per item"]] as const) {
    rows.push(row(`${label}: heap per armed item`, m(0, (s) => s.bytes), peer, m(i, (s) => s.bytes), "bytes", "lower"))
    rows.push(row(`${label}: arm`, m(0, (s) => s.arm), peer, m(i, (s) => s.arm), "items/CPU s", "higher"))
    rows.push(row(`${label}: cancel`, m(0, (s) => s.cancel), peer, m(i, (s) => s.cancel), "items/CPU s", "higher"))
  }
  return {
    rows,
    tables: [{
      title: `Case 8: ${fmt(n)} delayed items armed, then cancelled (medians)`,
      headers: ["contender", "heap per armed item (bytes)", "armed per CPU s", "cancelled per CPU s"],
      rows: results.map((
        r,
        i
      ) => [r.name, fmt(m(i, (s) => s.bytes)), fmt(m(i, (s) => s.arm)), fmt(m(i, (s) => s.cancel))])
    }],
    notes: [
      "Case 8: delays spread over 10 to 60 s, so nothing fires; the Effect.sleep + fiber peer arms N/10 items (10^6 fibers exhaust the default heap); throughput per CPU second of the process (process.cpuUsage), heap per armed item from heapUsed after global.gc()."
    ]
  }
}
