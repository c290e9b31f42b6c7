/**
 * What holds the event loop in case 5's longest delay. Runs one perf-wq
 * configuration of `cases/perf-wq.ts` (its `loaded` run: the workload's
 * load on `Policy.kernel` or `Policy.legacy` beside the foreground SHA-256
 * job) and, for the longest gap between two turns of the loop in each run
 * (`startEld`'s `gap`), prints how much of it the garbage collector took
 * (`PerformanceObserver` `gc` entries) and the rest.
 *
 *   node --expose-gc --conditions=@cmwq/source --import tsx \
 *     bench/perf-wq-delay.ts [workload=wl0] [burn=S] [runs=5] [policy=kernel] [--profile]
 *
 * With `--profile`, every run is also CPU-profiled (every 50 us,
 * `gap-profile.ts`) and the samples inside the runs' longest gaps are
 * summed, by module and by function. Run it bundled to get the functions'
 * names:
 *
 *   npx esbuild bench/perf-wq-delay.ts --bundle --platform=node \
 *     --format=esm --conditions=@cmwq/source --outfile=/tmp/pwd.mjs
 *   node --expose-gc /tmp/pwd.mjs wl0 S 5 kernel --profile
 */
import { Policy } from "@cmwq/core"
import { loaded } from "./cases/perf-wq.js"
import { printShares, recordGcs, samplesWithin, startProfile, stopProfile, within } from "./gap-profile.js"
import { gc, median, sleepMs } from "./lib.js"

const args = process.argv.slice(2).filter((a) => !a.startsWith("--"))
const profiling = process.argv.includes("--profile")
const workload = args[0] ?? "wl0"
const burn = args[1] ?? "S"
const runs = Number(args[2] ?? "5")
const policyName = args[3] ?? "kernel"
if (burn !== "S" && burn !== "L") throw new Error(`burn must be S or L, not ${burn}`)
if (policyName !== "kernel" && policyName !== "legacy")
  throw new Error(`policy must be kernel or legacy, not ${policyName}`)
const policy = policyName === "kernel" ? Policy.kernel : Policy.legacy
/** case 5's full-run job (`FG_CHUNKS_FULL`) */
const CHUNKS = 3000

const main = async () => {
  const gcs = recordGcs()
  const byModule = new Map<string, number>()
  const byFunction = new Map<string, number>()
  let samples = 0
  const gaps: Array<number> = []
  const gcIn: Array<number> = []
  // one warm-up run, a quarter of the job, as the case does
  await loaded(workload, burn, policy, CHUNKS / 4)
  for (let r = 0; r < runs; r++) {
    gc()
    gcs.spans.length = 0
    const toMono = profiling ? await startProfile() : null
    const run = await loaded(workload, burn, policy, CHUNKS)
    const recorded = toMono === null ? null : await stopProfile(toMono)
    await sleepMs(20)
    const gap = run.gap!
    const g = within(gcs.spans, gap.from, gap.to)
    gaps.push(gap.to - gap.from)
    gcIn.push(g.ms)
    console.log(
      `  run ${r + 1}: longest delay ${run.eld.toFixed(2)} ms; gap ${(gap.to - gap.from).toFixed(2)} ms at +${
        (gap.from - gap.startedAt).toFixed(1)
      } ms, ${g.count} collections in it (${g.ms.toFixed(2)} ms), rest ${
        (gap.to - gap.from - g.ms).toFixed(2)
      } ms; peak workers ${run.peakWorkers}`
    )
    if (recorded !== null) {
      const inGap = samplesWithin(recorded, gap.from, gap.to)
      samples += inGap.total
      for (const [k, v] of inGap.byModule) byModule.set(k, (byModule.get(k) ?? 0) + v)
      for (const [k, v] of inGap.byFunction) byFunction.set(k, (byFunction.get(k) ?? 0) + v)
    }
  }
  gcs.stop()
  console.log(
    `${workload} burn/${burn} on Policy.${policyName}, ${runs} runs: median gap ${
      median(gaps).toFixed(2)
    } ms, gc in it ${median(gcIn).toFixed(2)} ms`
  )
  if (profiling) {
    console.log(`  profile samples inside the ${runs} longest gaps:`)
    printShares("by module", samples, byModule, 15)
    printShares("by function", samples, byFunction, 20)
  }
}

main().then(() => process.exit(0), (e) => {
  console.error(e)
  process.exit(1)
})
