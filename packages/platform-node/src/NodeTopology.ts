/**
 * The machine's CPU topology, for `WorkerPool.layer`: how many logical CPUs
 * there are, and which of them share an SMT core, a last-level cache and a
 * NUMA node (the groups an unbound workqueue's affinity scope splits its
 * pools by, kernel `wq_pod_types`).
 *
 * On Linux it is read from sysfs, as the kernel's own `wq_pod_init` sees it:
 * `/sys/devices/system/cpu/cpu<N>/topology/{core_id,thread_siblings_list,physical_package_id}`,
 * `cpu<N>/cache/index<M>/{level,type,shared_cpu_list}` and
 * `/sys/devices/system/node/node<K>/cpulist`, restricted to the online CPUs
 * this process may run on (`/proc/self/status` `Cpus_allowed_list`, what
 * `os.availableParallelism()` counts). Elsewhere, or when sysfs is not there,
 * it falls back to `os.availableParallelism()` (or `os.cpus()`): every CPU its
 * own core, one shared cache, one node.
 *
 * The engine numbers CPUs densely from 0: the n-th allowed CPU in sysfs order
 * is the engine's CPU n-1 (`Topology.osCpus` keeps the mapping).
 *
 * What an affinity scope means here: Node cannot pin a thread to a core (it
 * has no `sched_setaffinity`), and on the main JS thread every worker of every
 * pool runs on the same OS thread anyway. A scope therefore says which of the
 * engine's logical CPUs share an unbound pool (its workers, its idle list and
 * its concurrency management) and so which items may run next to each other;
 * it does not say where the OS runs them. With worker-thread CPUs the same
 * holds: the OS scheduler moves each thread between cores freely, so
 * `"smt"`, `"cache"` and `"numa"` group logical CPUs the way the machine groups
 * its cores, which keeps the pools' shape (how many, how large) the kernel's,
 * without the cache locality the kernel gets from pinning. `affinityStrict`
 * keeps a workqueue's items inside their pod's pools; it cannot keep a thread
 * on a core.
 *
 * @since 0.1.0
 */
import { WorkerPool } from "@cmwq/core"
import type { WorkqueueError } from "@cmwq/core"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Layer from "effect/Layer"
import * as Schema from "effect/Schema"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"

/**
 * A machine's topology, in the engine's CPU numbers (0..cpus-1).
 *
 * @example
 * ```ts
 * import { NodeTopology } from "@cmwq/platform-node"
 * import { Effect } from "effect"
 *
 * const cpus = Effect.map(NodeTopology.machine, (t) => t.cpus)
 * ```
 *
 * @since 0.1.0
 * @category models
 */
export interface Topology {
  /** the number of logical CPUs (`WorkerPool.Options.cpus`) */
  readonly cpus: number
  /** CPUs that are hardware threads of one core (kernel `cpu_smt_mask`) */
  readonly smt: ReadonlyArray<ReadonlyArray<number>>
  /** CPUs that share the last-level cache (kernel `cpus_share_cache`) */
  readonly cache: ReadonlyArray<ReadonlyArray<number>>
  /** CPUs of one NUMA node (kernel `cpumask_of_node`) */
  readonly numa: ReadonlyArray<ReadonlyArray<number>>
  /** the operating system's number of each engine CPU: `osCpus[i]` is engine CPU i */
  readonly osCpus: ReadonlyArray<number>
  /** where the layout came from */
  readonly source: "sysfs" | "os"
}

/**
 * The topology could not be read or made no sense: `path` says which file
 * (or input), `reason` what was wrong.
 *
 * @example
 * ```ts
 * import { NodeTopology } from "@cmwq/platform-node"
 * import { Effect } from "effect"
 *
 * const program = NodeTopology.fromSysfs("/no/such/dir").pipe(
 *   Effect.catchTag("TopologyError", (e) => Effect.log(`no topology: ${e.message}`))
 * )
 * ```
 *
 * @since 0.1.0
 * @category errors
 */
export class TopologyError extends Schema.TaggedError<TopologyError>("@cmwq/TopologyError")(
  "TopologyError",
  { path: Schema.String, reason: Schema.String }
) {
  override get message(): string {
    return `CPU topology: ${this.path}: ${this.reason}`
  }
}

/**
 * The raw sysfs files a topology is made from (what `readSysfs` collects):
 * every value is the file's text, untrimmed, or `undefined` where the file is
 * missing.
 *
 * @example
 * ```ts
 * import { NodeTopology } from "@cmwq/platform-node"
 *
 * declare const files: NodeTopology.SysfsFiles
 * const topology = NodeTopology.parse(files)
 * ```
 *
 * @since 0.1.0
 * @category models
 */
export interface SysfsFiles {
  /** `cpu/online` */
  readonly online: string | undefined
  /** `Cpus_allowed_list` of `/proc/self/status`: the CPUs this process may run on */
  readonly allowed: string | undefined
  /** one entry per `cpu/cpu<N>` directory */
  readonly cpus: ReadonlyArray<{
    readonly cpu: number
    readonly coreId: string | undefined
    readonly threadSiblings: string | undefined
    readonly packageId: string | undefined
    readonly caches: ReadonlyArray<{
      readonly level: string | undefined
      readonly type: string | undefined
      readonly sharedCpuList: string | undefined
    }>
  }>
  /** one entry per `node/node<K>` directory */
  readonly nodes: ReadonlyArray<{ readonly node: number; readonly cpulist: string | undefined }>
}

/**
 * Parse a kernel CPU list (`"0-3,8,10-11"`, the format of `shared_cpu_list`,
 * `cpulist` and `cpu/online`) into sorted CPU numbers. An empty list is `[]`.
 *
 * @example
 * ```ts
 * import { NodeTopology } from "@cmwq/platform-node"
 * import { Either } from "effect"
 *
 * NodeTopology.parseCpuList("0-2,5", "online") // Either.right([0, 1, 2, 5])
 * Either.isLeft(NodeTopology.parseCpuList("3-1", "online")) // true
 * ```
 *
 * @since 0.1.0
 * @category parsing
 */
export const parseCpuList = (text: string, where: string): Either.Either<ReadonlyArray<number>, TopologyError> => {
  const trimmed = text.trim()
  if (trimmed === "") return Either.right([])
  const out = new Set<number>()
  for (const part of trimmed.split(",")) {
    const m = /^(\d+)(?:-(\d+))?$/.exec(part.trim())
    if (m === null) return Either.left(new TopologyError({ path: where, reason: `not a CPU list: "${trimmed}"` }))
    const from = Number(m[1])
    const to = m[2] === undefined ? from : Number(m[2])
    if (to < from || to - from > 65536) {
      return Either.left(new TopologyError({ path: where, reason: `bad CPU range "${part}"` }))
    }
    for (let c = from; c <= to; c++) out.add(c)
  }
  return Either.right([...out].sort((a, b) => a - b))
}

const parseInt10 = (text: string | undefined, where: string): Either.Either<number, TopologyError> => {
  const t = text?.trim()
  if (t === undefined) return Either.left(new TopologyError({ path: where, reason: "missing" }))
  if (!/^-?\d+$/.test(t)) return Either.left(new TopologyError({ path: where, reason: `not an integer: "${t}"` }))
  return Either.right(Number(t))
}

/** groups of OS CPUs -> disjoint, sorted groups of engine CPUs covering every engine CPU */
const partition = (
  name: string,
  groups: ReadonlyArray<ReadonlyArray<number>>,
  index: ReadonlyMap<number, number>
): Either.Either<ReadonlyArray<ReadonlyArray<number>>, TopologyError> => {
  const owner = new Map<number, string>()
  const out: Array<Array<number>> = []
  const seen = new Set<string>()
  for (const group of groups) {
    const mapped = group.flatMap((c) => {
      const i = index.get(c)
      return i === undefined ? [] : [i]
    }).sort((a, b) => a - b)
    if (mapped.length === 0) continue
    const key = mapped.join(",")
    if (seen.has(key)) continue
    for (const cpu of mapped) {
      const other = owner.get(cpu)
      if (other !== undefined) {
        return Either.left(
          new TopologyError({ path: name, reason: `CPU ${cpu} is in two groups: [${other}] and [${key}]` })
        )
      }
      owner.set(cpu, key)
    }
    seen.add(key)
    out.push(mapped)
  }
  // a CPU no group names is a group of its own
  for (const i of index.values()) if (!owner.has(i)) out.push([i])
  return Either.right(out.sort((a, b) => a[0]! - b[0]!))
}

/**
 * Make a topology from sysfs files (pure). The CPUs are the online ones
 * (every `cpu<N>` with a topology when `online` is missing) that the process
 * may run on; SMT groups are CPUs with the same package and `core_id` (or
 * `thread_siblings_list`); cache groups are the `shared_cpu_list` of each
 * CPU's highest-level data or unified cache; NUMA groups are the nodes'
 * `cpulist`s. A CPU that no cache or node lists is a group of its own.
 *
 * @example
 * ```ts
 * import { NodeTopology } from "@cmwq/platform-node"
 *
 * const topology = NodeTopology.parse({
 *   online: "0-1",
 *   allowed: undefined,
 *   cpus: [0, 1].map((cpu) => ({
 *     cpu,
 *     coreId: "0",
 *     threadSiblings: "0-1",
 *     packageId: "0",
 *     caches: [{ level: "3", type: "Unified", sharedCpuList: "0-1" }]
 *   })),
 *   nodes: [{ node: 0, cpulist: "0-1" }]
 * })
 * // Either.right({ cpus: 2, smt: [[0, 1]], cache: [[0, 1]], numa: [[0, 1]], ... })
 * ```
 *
 * @since 0.1.0
 * @category parsing
 */
export const parse = (files: SysfsFiles): Either.Either<Topology, TopologyError> =>
  Either.gen(function*() {
    const present = files.cpus.filter((c) => c.coreId !== undefined || c.threadSiblings !== undefined)
    let cpuIds = present.map((c) => c.cpu).sort((a, b) => a - b)
    if (files.online !== undefined) {
      const online = new Set(yield* parseCpuList(files.online, "cpu/online"))
      cpuIds = cpuIds.filter((c) => online.has(c))
    }
    if (files.allowed !== undefined) {
      const allowed = new Set(yield* parseCpuList(files.allowed, "/proc/self/status Cpus_allowed_list"))
      cpuIds = cpuIds.filter((c) => allowed.has(c))
    }
    if (cpuIds.length === 0) {
      return yield* Either.left(new TopologyError({ path: "cpu", reason: "no online CPU with a topology directory" }))
    }
    const index = new Map(cpuIds.map((c, i) => [c, i] as const))
    const byCpu = new Map(present.map((c) => [c.cpu, c] as const))

    const smtGroups = new Map<string, Array<number>>()
    const siblings: Array<ReadonlyArray<number>> = []
    const cacheGroups: Array<ReadonlyArray<number>> = []
    for (const id of cpuIds) {
      const cpu = byCpu.get(id)!
      const dir = `cpu/cpu${id}`
      if (cpu.coreId !== undefined) {
        const core = yield* parseInt10(cpu.coreId, `${dir}/topology/core_id`)
        const pkg = cpu.packageId === undefined
          ? 0
          : yield* parseInt10(cpu.packageId, `${dir}/topology/physical_package_id`)
        const key = `${pkg}:${core}`
        const group = smtGroups.get(key)
        if (group === undefined) smtGroups.set(key, [id])
        else group.push(id)
      } else {
        siblings.push(yield* parseCpuList(cpu.threadSiblings!, `${dir}/topology/thread_siblings_list`))
      }
      let llc: { level: number; cpus: ReadonlyArray<number> } | undefined
      for (const [m, cache] of cpu.caches.entries()) {
        if (cache.type?.trim() === "Instruction" || cache.sharedCpuList === undefined) continue
        const level = yield* parseInt10(cache.level, `${dir}/cache/index${m}/level`)
        const cpus = yield* parseCpuList(cache.sharedCpuList, `${dir}/cache/index${m}/shared_cpu_list`)
        if (llc === undefined || level > llc.level) llc = { level, cpus }
      }
      if (llc !== undefined) cacheGroups.push(llc.cpus)
    }
    const numaGroups: Array<ReadonlyArray<number>> = []
    for (const node of files.nodes) {
      if (node.cpulist === undefined) continue
      numaGroups.push(yield* parseCpuList(node.cpulist, `node/node${node.node}/cpulist`))
    }
    const smt = yield* partition("SMT cores", [...smtGroups.values(), ...siblings], index)
    const cache = cacheGroups.length === 0
      ? [cpuIds.map((_, i) => i)]
      : yield* partition("caches", cacheGroups, index)
    const numa = numaGroups.length === 0
      ? [cpuIds.map((_, i) => i)]
      : yield* partition("NUMA nodes", numaGroups, index)
    return { cpus: cpuIds.length, smt, cache, numa, osCpus: cpuIds, source: "sysfs" as const }
  })

const readOr = (file: string): string | undefined => {
  try {
    return fs.readFileSync(file, "utf8")
  } catch {
    return undefined
  }
}

const numbered = (dir: string, prefix: string): Array<number> => {
  try {
    return fs.readdirSync(dir).flatMap((name) => {
      const m = new RegExp(`^${prefix}(\\d+)$`).exec(name)
      return m === null ? [] : [Number(m[1])]
    }).sort((a, b) => a - b)
  } catch {
    return []
  }
}

/**
 * Collect the sysfs files of a topology under `root` (default
 * `/sys/devices/system`; a test passes a fake tree) and, unless `allowed` is
 * given, `Cpus_allowed_list` from `/proc/self/status`. Fails when
 * `root/cpu` has no `cpu<N>` directory.
 *
 * @example
 * ```ts
 * import { NodeTopology } from "@cmwq/platform-node"
 * import { Effect } from "effect"
 *
 * const files = NodeTopology.readSysfs("/sys/devices/system")
 * const topology = Effect.flatMap(files, NodeTopology.parse)
 * ```
 *
 * @since 0.1.0
 * @category constructors
 */
export const readSysfs = (
  root = "/sys/devices/system",
  allowed?: string | null
): Effect.Effect<SysfsFiles, TopologyError> =>
  Effect.suspend(() => {
    const cpuDir = path.join(root, "cpu")
    const ids = numbered(cpuDir, "cpu")
    if (ids.length === 0) return Effect.fail(new TopologyError({ path: cpuDir, reason: "no cpu<N> directories" }))
    const status = allowed === undefined ? readOr("/proc/self/status") : undefined
    const allowedList = allowed === null
      ? undefined
      : allowed ?? /^Cpus_allowed_list:\s*(.*)$/m.exec(status ?? "")?.[1]
    const cpus = ids.map((cpu) => {
      const dir = path.join(cpuDir, `cpu${cpu}`)
      const caches = numbered(path.join(dir, "cache"), "index").map((m) => {
        const c = path.join(dir, "cache", `index${m}`)
        return {
          level: readOr(path.join(c, "level")),
          type: readOr(path.join(c, "type")),
          sharedCpuList: readOr(path.join(c, "shared_cpu_list"))
        }
      })
      return {
        cpu,
        coreId: readOr(path.join(dir, "topology", "core_id")),
        threadSiblings: readOr(path.join(dir, "topology", "thread_siblings_list")),
        packageId: readOr(path.join(dir, "topology", "physical_package_id")),
        caches
      }
    })
    const nodeDir = path.join(root, "node")
    const nodes = numbered(nodeDir, "node").map((node) => ({
      node,
      cpulist: readOr(path.join(nodeDir, `node${node}`, "cpulist"))
    }))
    return Effect.succeed({ online: readOr(path.join(cpuDir, "online")), allowed: allowedList, cpus, nodes })
  })

/**
 * Read and parse the sysfs topology under `root` (default
 * `/sys/devices/system`).
 *
 * @example
 * ```ts
 * import { NodeTopology } from "@cmwq/platform-node"
 * import { Effect } from "effect"
 *
 * Effect.runSync(NodeTopology.fromSysfs()).smt // [[0, 1], [2, 3]] on a 2-core SMT machine
 * ```
 *
 * @since 0.1.0
 * @category constructors
 */
export const fromSysfs = (root?: string, allowed?: string | null): Effect.Effect<Topology, TopologyError> =>
  Effect.flatMap(readSysfs(root, allowed), parse)

/**
 * The fallback: `os.availableParallelism()` CPUs (or `os.cpus().length`),
 * each its own core, one cache, one node.
 *
 * @example
 * ```ts
 * import { NodeTopology } from "@cmwq/platform-node"
 *
 * NodeTopology.fromOs().cpus === require("node:os").availableParallelism() // true
 * ```
 *
 * @since 0.1.0
 * @category constructors
 */
export const fromOs = (): Topology => {
  const n = Math.max(1, typeof os.availableParallelism === "function" ? os.availableParallelism() : os.cpus().length)
  const all = Array.from({ length: n }, (_, i) => i)
  return { cpus: n, smt: all.map((i) => [i]), cache: [all], numa: [all], osCpus: all, source: "os" }
}

/**
 * This machine's topology: sysfs on Linux, `fromOs()` elsewhere or when sysfs
 * cannot be read (a container without `/sys`, a parse error).
 *
 * @example
 * ```ts
 * import { NodeTopology } from "@cmwq/platform-node"
 * import { Effect } from "effect"
 *
 * const { cpus, source } = Effect.runSync(NodeTopology.machine)
 * ```
 *
 * @since 0.1.0
 * @category constructors
 */
export const machine: Effect.Effect<Topology> = Effect.suspend(() =>
  process.platform === "linux"
    ? Effect.orElseSucceed(fromSysfs(), fromOs)
    : Effect.sync(fromOs)
)

/**
 * The `WorkerPool.layer` options for `topology` (its `cpus` and `topology`),
 * merged into `options`.
 *
 * @example
 * ```ts
 * import { NodeTopology } from "@cmwq/platform-node"
 * import { WorkerPool } from "@cmwq/core"
 * import { Effect } from "effect"
 *
 * const layer = WorkerPool.layer(NodeTopology.poolOptions(Effect.runSync(NodeTopology.machine)))
 * ```
 *
 * @since 0.1.0
 * @category combinators
 */
export const poolOptions = (
  topology: Topology,
  options: Omit<WorkerPool.Options, "cpus" | "topology"> = {}
): WorkerPool.Options => ({
  ...options,
  cpus: topology.cpus,
  topology: { smt: topology.smt, cache: topology.cache, numa: topology.numa }
})

/**
 * The pools' `topology` for `cpus` logical CPUs that stand for the
 * machine's first `cpus` engine CPUs (thread CPU i for engine CPU i, as
 * `NodeThreads` uses it): every group keeps only the CPUs below `cpus`, and
 * empty groups are dropped. A CPU beyond the machine's is in no group, so
 * each scope gives it a pod of its own.
 *
 * @example
 * ```ts
 * import { NodeTopology } from "@cmwq/platform-node"
 *
 * const machine = { cpus: 4, smt: [[0, 1], [2, 3]], cache: [[0, 1, 2, 3]], numa: [[0, 1, 2, 3]], osCpus: [0, 1, 2, 3], source: "os" as const }
 * NodeTopology.forThreads(machine, 3) // smt [[0, 1], [2]], cache [[0, 1, 2]], numa [[0, 1, 2]]
 * ```
 *
 * @since 0.1.0
 * @category combinators
 */
export const forThreads = (topology: Topology, cpus: number): NonNullable<WorkerPool.Options["topology"]> => {
  const keep = (groups: ReadonlyArray<ReadonlyArray<number>>) =>
    groups.map((g) => g.filter((cpu) => cpu < cpus)).filter((g) => g.length > 0)
  return { smt: keep(topology.smt), cache: keep(topology.cache), numa: keep(topology.numa) }
}

/**
 * `WorkerPool.layer` with this machine's CPUs and topology (`machine`), and
 * the other pool options as given.
 *
 * @example
 * ```ts
 * import { NodeTopology } from "@cmwq/platform-node"
 * import { Work, Workqueue } from "@cmwq/core"
 * import { Effect } from "effect"
 *
 * const program = Effect.gen(function*() {
 *   const wq = yield* Workqueue.alloc("per-llc", { flags: ["UNBOUND"], attrs: { affinityScope: "cache" } })
 *   yield* Workqueue.queue(wq, Work.make(Effect.log("on this cache's pool")))
 *   yield* Workqueue.flush(wq)
 * })
 *
 * Effect.runPromise(program.pipe(Effect.scoped, Effect.provide(NodeTopology.layer())))
 * ```
 *
 * @since 0.1.0
 * @category layers
 */
export const layer = (
  options: Omit<WorkerPool.Options, "cpus" | "topology"> = {}
): Layer.Layer<WorkerPool.WorkerPools, WorkqueueError.InvalidPoolOptions> =>
  Layer.unwrapEffect(Effect.map(machine, (topology) => WorkerPool.layer(poolOptions(topology, options))))
