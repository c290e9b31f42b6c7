/**
 * What ran inside one stretch of time: a V8 CPU profile taken over a run
 * (through `node:inspector`, in the process itself) and the samples that
 * fall between two `performance.now()` readings, summed by function and by
 * source module. Used by `blocking-mix-delay.ts` and `perf-wq-delay.ts` to
 * look inside a run's longest event-loop gap.
 *
 * The profile's timestamps are CLOCK_MONOTONIC microseconds, the clock of
 * `process.hrtime`; `performance.now()` readings are moved onto it with one
 * offset taken when the profile starts.
 *
 * Names: run the tool bundled (esbuild keeps function names; under tsx they
 * read `(anonymous)`), and the module of a function in the bundle is found
 * from esbuild's `// path` comments that open each module.
 */
import { readFileSync } from "node:fs"
import { Session } from "node:inspector/promises"
import { PerformanceObserver } from "node:perf_hooks"
import { fileURLToPath } from "node:url"

interface ProfileNode {
  readonly id: number
  readonly callFrame: { readonly functionName: string; readonly url: string; readonly lineNumber: number }
}
interface Profile {
  readonly nodes: ReadonlyArray<ProfileNode>
  readonly startTime: number
  readonly samples: ReadonlyArray<number>
  readonly timeDeltas: ReadonlyArray<number>
}

/** a profile with its clock offset: `toMono(perfMs)` is the same instant in profile microseconds */
export interface Recorded {
  readonly profile: Profile
  readonly toMono: (perfMs: number) => number
}

const session = new Session()
let connected = false

/** start sampling every `intervalUs` microseconds */
export const startProfile = async (intervalUs = 50): Promise<(perfMs: number) => number> => {
  if (!connected) {
    session.connect()
    connected = true
    await session.post("Profiler.enable")
  }
  await session.post("Profiler.setSamplingInterval", { interval: intervalUs })
  await session.post("Profiler.start")
  const offsetUs = Number(process.hrtime.bigint() / 1000n) - performance.now() * 1000
  return (perfMs: number) => perfMs * 1000 + offsetUs
}

/** stop the profile `startProfile` started */
export const stopProfile = async (toMono: (perfMs: number) => number): Promise<Recorded> => {
  const { profile } = await session.post("Profiler.stop")
  return { profile: profile as unknown as Profile, toMono }
}

/** the `// path` comments of a bundle: the module each line belongs to */
const bundleModules = new Map<string, (line: number) => string>()
const moduleOf = (url: string, line: number): string => {
  if (!url.startsWith("file://")) return url === "" ? "(native)" : url
  let find = bundleModules.get(url)
  if (find === undefined) {
    const marks: Array<readonly [number, string]> = []
    readFileSync(fileURLToPath(url), "utf8").split("\n").forEach((text, i) => {
      const m = /^\/\/ ((?:node_modules|packages|bench)\/\S+)$/.exec(text)
      if (m !== null) marks.push([i, m[1]!.replace(/^node_modules\//, "")])
    })
    const file = url.split("/").pop()!
    find = (l: number) => {
      let lo = 0
      let hi = marks.length - 1
      let found = file
      while (lo <= hi) {
        const mid = (lo + hi) >> 1
        if (marks[mid]![0] <= l) {
          found = marks[mid]![1]
          lo = mid + 1
        } else hi = mid - 1
      }
      return found
    }
    bundleModules.set(url, find)
  }
  return find(line)
}

/** the samples between `fromMs` and `toMs` (`performance.now()`), by function and by module */
export const samplesWithin = (
  recorded: Recorded,
  fromMs: number,
  toMs: number
): { readonly total: number; readonly byFunction: Map<string, number>; readonly byModule: Map<string, number> } => {
  const { profile, toMono } = recorded
  const from = toMono(fromMs)
  const to = toMono(toMs)
  const byId = new Map(profile.nodes.map((node) => [node.id, node]))
  const byFunction = new Map<string, number>()
  const byModule = new Map<string, number>()
  let t = profile.startTime
  let total = 0
  for (let i = 0; i < profile.samples.length; i++) {
    t += profile.timeDeltas[i]!
    if (t < from || t > to) continue
    total++
    const f = byId.get(profile.samples[i]!)!.callFrame
    const module = moduleOf(f.url, f.lineNumber)
    const name = `${f.functionName || "(anonymous)"} ${module.split("/").slice(-2).join("/")}`
    byFunction.set(name, (byFunction.get(name) ?? 0) + 1)
    byModule.set(module, (byModule.get(module) ?? 0) + 1)
  }
  return { total, byFunction, byModule }
}

/** print the top `top` entries of `samplesWithin`'s maps as shares of its samples */
export const printShares = (title: string, total: number, shares: Map<string, number>, top = 12): void => {
  console.log(`    ${title} (${total} samples)`)
  for (const [key, k] of [...shares].sort((a, b) => b[1] - a[1]).slice(0, top)) {
    console.log(`      ${((100 * k) / total).toFixed(1).padStart(5)}%  ${key}`)
  }
}

/** the part of [from, to] covered by the [start, end] pairs of `spans`, and how many pairs overlap it */
export const within = (spans: ReadonlyArray<number>, from: number, to: number): { count: number; ms: number } => {
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

/**
 * every garbage collection from now on (`PerformanceObserver` `gc` entries)
 * as [start, end] pairs in `spans`, on the clock of `performance.now()`;
 * the caller empties `spans` between runs. Entries arrive a little after
 * the collection: wait a few ms before reading a run's last ones.
 */
export const recordGcs = (): { readonly spans: Array<number>; readonly stop: () => void } => {
  const spans: Array<number> = []
  const observer = new PerformanceObserver((list) => {
    for (const e of list.getEntries()) spans.push(e.startTime, e.startTime + e.duration)
  })
  observer.observe({ entryTypes: ["gc"] })
  return { spans, stop: () => observer.disconnect() }
}
