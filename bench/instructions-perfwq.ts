/**
 * Instructions per perf-wq cycle, counted by callgrind: the machinery's own
 * cost in case 5 (the workqueue's CPU time minus the burn). The script runs
 * workload wl0 of `cases/perf-wq.ts` (its workqueues, works and seeded
 * random sleeps and reschedule delays) with the burn left out, so everything
 * counted is the load's machinery: queueing, workers, the sleep inside the
 * item and the delayed re-queue. Each work runs CYCLES cycles and then stops
 * requeueing. Run it for CYCLES = 0 and CYCLES = K; the difference of the two
 * counts divided by the number of cycles run is the cost of one cycle:
 *
 *   npx esbuild bench/instructions-perfwq.ts --bundle --platform=node \
 *     --format=esm --conditions=@cmwq/source --outfile=/tmp/perfwq.mjs
 *   valgrind --tool=callgrind --callgrind-out-file=/tmp/p0.out \
 *     node --single-threaded /tmp/perfwq.mjs 0
 *   valgrind --tool=callgrind --callgrind-out-file=/tmp/p1.out \
 *     node --single-threaded /tmp/perfwq.mjs 200
 *
 * The delays are real milliseconds (as in case 5); under callgrind the
 * program runs slower than the clock, so more timers are due together than
 * in case 5, but every cycle still arms one sleep and one delayed re-queue.
 *
 * A third argument `bare` runs the same cycles with no workqueue at all:
 * each work is one plain fiber that sleeps, then waits out its reschedule
 * delay with `Effect.sleep` and loops. A cycle's count in `bare` mode is
 * what Effect alone charges for the workload's own sleep and a timer; the
 * difference to the default mode (`engine`) is what the workqueue adds:
 * queueing, the delayed re-queue on the pools' timer heap, the worker's
 * dispatch, the item's context and the blocking detection.
 */
import { Effect } from "effect"
import { DelayedWork, Workqueue, WorkerPool } from "@cmwq/core"

const cyclesPerWork = Number(process.argv[2] ?? "0")
const cpus = Number(process.argv[3] ?? "2")
const mode = process.argv[4] ?? "engine"
if (mode !== "engine" && mode !== "bare") throw new Error(`mode must be engine or bare, not ${mode}`)

/** the bench's PRNG (lib.ts `prng`, mulberry32), inlined so the bundle is this file and the library */
const prng = (seed: number): () => number => {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return (t ^ (t >>> 14)) >>> 0
  }
}

interface Spec {
  readonly meanSleepMs: number
  readonly meanReschedMs: number
}
const SHORT: Spec = { meanSleepMs: 1, meanReschedMs: 10 }
const MEDIUM: Spec = { meanSleepMs: 10, meanReschedMs: 50 }
const LONG: Spec = { meanSleepMs: 100, meanReschedMs: 250 }
/** wl0 of case 5 */
const GROUPS: ReadonlyArray<readonly [number, ReadonlyArray<readonly [Spec, number]>]> = [
  [12, [[SHORT, 4]]],
  [2, [[SHORT, 2], [MEDIUM, 2]]],
  [4, [[MEDIUM, 2], [LONG, 1]]],
  [8, [[LONG, 1]]]
]

interface Run {
  readonly spec: Spec
  readonly wq: Workqueue.Workqueue
  readonly random: () => number
  dwork: DelayedWork.DelayedWork | null
  cycles: number
}

let total = 0
let done!: () => void
const allDone = new Promise<void>((resolve) => {
  done = resolve
})
let running = 0

/**
 * one cycle of a work: its sleep, then `requeue(delay)` with the reschedule
 * delay, until the work has run `cyclesPerWork` cycles
 */
const cycleThen = (
  run: Run,
  requeue: (delay: number) => Effect.Effect<unknown, unknown>
): Effect.Effect<unknown, unknown> =>
  Effect.suspend(() => {
    const spec = run.spec
    const sleep = Math.floor((spec.meanSleepMs * (run.random() % 200)) / 100)
    run.random() // the burn split of case 5
    return Effect.flatMap(Effect.sleep(sleep), () => {
      run.cycles++
      total++
      if (run.cycles >= cyclesPerWork) {
        if (--running === 0) done()
        return Effect.void
      }
      return requeue(Math.floor((spec.meanReschedMs * (run.random() % 200)) / 100))
    })
  })

/** `engine` mode: the work's item, re-queued as delayed work */
const cycle = (run: Run): Effect.Effect<unknown, unknown> =>
  cycleThen(run, (delay) => Workqueue.queueDelayed(run.wq, run.dwork!, delay))

/** `bare` mode: one plain fiber per work, waiting out the reschedule delay with `Effect.sleep` */
const bareLoop = (run: Run): Effect.Effect<unknown, unknown> =>
  cycleThen(run, (delay) => Effect.flatMap(Effect.sleep(delay), () => bareLoop(run)))

const program = Effect.gen(function*() {
  const runs: Array<Run> = []
  let wqId = 0
  let workId = 0
  for (const [wqs, works] of GROUPS) {
    for (let g = 0; g < wqs; g++) {
      const wq = yield* Workqueue.allocLegacy(`pwq-${wqId++}`, ["MEM_RECLAIM"], 1, false)
      for (const [spec, count] of works) {
        for (let j = 0; j < count; j++) {
          const run: Run = { spec, wq, random: prng(2010 + workId++), dwork: null, cycles: 0 }
          run.dwork = DelayedWork.make(cycle(run), { name: `w${workId}` })
          runs.push(run)
        }
      }
    }
  }
  if (cyclesPerWork > 0) {
    running = runs.length
    if (mode === "bare") {
      for (const run of runs) yield* Effect.fork(bareLoop(run))
    } else {
      for (const run of runs) yield* Workqueue.queueDelayed(run.wq, run.dwork!, 0)
    }
    yield* Effect.promise(() => allDone)
  }
  for (const run of runs) yield* Workqueue.flush(run.wq)
}).pipe(Effect.scoped, Effect.provide(WorkerPool.layer({ cpus })))

await Effect.runPromise(program)
process.stdout.write(`cycles ${total}\n`)
