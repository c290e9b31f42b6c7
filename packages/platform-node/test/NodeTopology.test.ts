import { describe, expect, it } from "@effect/vitest"
import { Work, WorkerPool, Workqueue } from "@cmwq/core"
import { NodeTopology } from "@cmwq/platform-node"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"

/** write a fake `/sys/devices/system` tree: files given relative to the root */
const tree = (files: Record<string, string>): string => {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), "cmwq-sysfs-"))
  for (const [file, text] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(root, file)), { recursive: true })
    fs.writeFileSync(path.join(root, file), `${text}\n`)
  }
  return root
}

interface FakeCpu {
  readonly core: number
  readonly pkg: number
  readonly siblings: string
  readonly l2: string
  readonly l3: string
}

/** a cpu<N> directory as Linux lays it out: L1d, L1i, L2, L3 */
const cpuFiles = (n: number, cpu: FakeCpu): Record<string, string> => ({
  [`cpu/cpu${n}/topology/core_id`]: String(cpu.core),
  [`cpu/cpu${n}/topology/physical_package_id`]: String(cpu.pkg),
  [`cpu/cpu${n}/topology/thread_siblings_list`]: cpu.siblings,
  [`cpu/cpu${n}/cache/index0/level`]: "1",
  [`cpu/cpu${n}/cache/index0/type`]: "Data",
  [`cpu/cpu${n}/cache/index0/shared_cpu_list`]: cpu.siblings,
  [`cpu/cpu${n}/cache/index1/level`]: "1",
  [`cpu/cpu${n}/cache/index1/type`]: "Instruction",
  [`cpu/cpu${n}/cache/index1/shared_cpu_list`]: cpu.siblings,
  [`cpu/cpu${n}/cache/index2/level`]: "2",
  [`cpu/cpu${n}/cache/index2/type`]: "Unified",
  [`cpu/cpu${n}/cache/index2/shared_cpu_list`]: cpu.l2,
  [`cpu/cpu${n}/cache/index3/level`]: "3",
  [`cpu/cpu${n}/cache/index3/type`]: "Unified",
  [`cpu/cpu${n}/cache/index3/shared_cpu_list`]: cpu.l3
})

/**
 * Two sockets, each one NUMA node with 2 cores x 2 threads and one L3, numbered
 * as x86 Linux does: the first threads of all cores, then their siblings
 * (cpu0 and cpu4 are one core).
 */
const twoSockets = (): Record<string, string> => {
  const files: Record<string, string> = {
    "cpu/online": "0-7",
    "node/node0/cpulist": "0-1,4-5",
    "node/node1/cpulist": "2-3,6-7"
  }
  for (let n = 0; n < 8; n++) {
    const core = n % 4
    const pkg = core < 2 ? 0 : 1
    const siblings = `${core},${core + 4}`
    Object.assign(
      files,
      cpuFiles(n, { core: core % 2, pkg, siblings, l2: siblings, l3: pkg === 0 ? "0-1,4-5" : "2-3,6-7" })
    )
  }
  return files
}

describe("NodeTopology", () => {
  it("parseCpuList reads ranges and lists, and refuses garbage", () => {
    expect(NodeTopology.parseCpuList("0-3,8,10-11\n", "x")).toEqual(Either.right([0, 1, 2, 3, 8, 10, 11]))
    expect(NodeTopology.parseCpuList("", "x")).toEqual(Either.right([]))
    for (const bad of ["3-1", "a", "1,,2", "0-"]) {
      const r = NodeTopology.parseCpuList(bad, "cpu/online")
      expect(Either.isLeft(r) && r.left._tag === "TopologyError" && r.left.path === "cpu/online").toBe(true)
    }
  })

  it.effect("two sockets with SMT: cores, L3s and nodes from a fake sysfs tree", () =>
    Effect.gen(function*() {
      const t = yield* NodeTopology.fromSysfs(tree(twoSockets()), null)
      expect(t.cpus).toBe(8)
      expect(t.source).toBe("sysfs")
      expect(t.smt).toEqual([[0, 4], [1, 5], [2, 6], [3, 7]])
      expect(t.cache).toEqual([[0, 1, 4, 5], [2, 3, 6, 7]])
      expect(t.numa).toEqual([[0, 1, 4, 5], [2, 3, 6, 7]])
    }))

  it.effect("offline and disallowed CPUs are left out; engine CPUs are renumbered densely", () =>
    Effect.gen(function*() {
      const files = twoSockets()
      files["cpu/online"] = "0-2,4-7" // cpu3 is offline: its topology directory goes away too
      for (const key of Object.keys(files)) if (key.startsWith("cpu/cpu3/")) delete files[key]
      // the process may not run on cpu0
      const t = yield* NodeTopology.fromSysfs(tree(files), "1-7")
      expect(t.osCpus).toEqual([1, 2, 4, 5, 6, 7])
      expect(t.cpus).toBe(6)
      // os 1,5 -> 0,3; os 2,6 -> 1,4; os 4 -> 2 (its sibling cpu0 is not ours); os 7 -> 5 (cpu3 offline)
      expect(t.smt).toEqual([[0, 3], [1, 4], [2], [5]])
      expect(t.cache).toEqual([[0, 2, 3], [1, 4, 5]])
      expect(t.numa).toEqual([[0, 2, 3], [1, 4, 5]])
    }))

  it.effect("no cache or node directories: one cache, one node; no core_id: thread_siblings_list", () =>
    Effect.gen(function*() {
      const t = yield* NodeTopology.fromSysfs(
        tree({
          "cpu/cpu0/topology/thread_siblings_list": "0-1",
          "cpu/cpu1/topology/thread_siblings_list": "0-1",
          "cpu/cpu2/topology/thread_siblings_list": "2",
          "cpu/cpu10/topology/thread_siblings_list": "10"
        }),
        null
      )
      expect(t.osCpus).toEqual([0, 1, 2, 10])
      expect(t.smt).toEqual([[0, 1], [2], [3]])
      expect(t.cache).toEqual([[0, 1, 2, 3]])
      expect(t.numa).toEqual([[0, 1, 2, 3]])
    }))

  it.effect("bad input fails with a TopologyError naming the file", () =>
    Effect.gen(function*() {
      const missing = yield* Effect.flip(NodeTopology.fromSysfs(path.join(os.tmpdir(), "cmwq-no-such-sysfs"), null))
      expect(missing._tag).toBe("TopologyError")
      expect(missing.path).toContain("cmwq-no-such-sysfs")

      const files = twoSockets()
      files["cpu/cpu5/cache/index3/shared_cpu_list"] = "5,x"
      const bad = yield* Effect.flip(NodeTopology.fromSysfs(tree(files), null))
      expect(bad.path).toBe("cpu/cpu5/cache/index3/shared_cpu_list")

      const overlap = twoSockets()
      overlap["node/node1/cpulist"] = "1-3,6-7" // cpu1 in both nodes
      const twice = yield* Effect.flip(NodeTopology.fromSysfs(tree(overlap), null))
      expect(twice.path).toBe("NUMA nodes")
      expect(twice.message).toContain("CPU 1 is in two groups")

      const core = twoSockets()
      core["cpu/cpu2/topology/core_id"] = "two"
      expect((yield* Effect.flip(NodeTopology.fromSysfs(tree(core), null))).path).toBe("cpu/cpu2/topology/core_id")
    }))

  it.effect("this machine: as many CPUs as os.availableParallelism(), every group a partition of them", () =>
    Effect.gen(function*() {
      const t = yield* NodeTopology.machine
      expect(t.cpus).toBe(os.availableParallelism())
      if (process.platform === "linux" && fs.existsSync("/sys/devices/system/cpu/cpu0/topology")) {
        expect(t.source).toBe("sysfs")
      }
      const all = Array.from({ length: t.cpus }, (_, i) => i)
      for (const groups of [t.smt, t.cache, t.numa]) expect(groups.flat().sort((a, b) => a - b)).toEqual(all)
      // SMT cores nest in caches, caches in nodes (true of every machine Linux runs on)
      const within = (inner: ReadonlyArray<ReadonlyArray<number>>, outer: ReadonlyArray<ReadonlyArray<number>>) =>
        inner.every((g) => outer.some((o) => g.every((c) => o.includes(c))))
      expect(within(t.smt, t.cache)).toBe(true)
      expect(within(t.cache, t.numa)).toBe(true)
      expect(NodeTopology.fromOs().cpus).toBe(os.availableParallelism())
    }))

  it.effect("layer: WorkerPool.layer with the machine's CPUs; unbound cache-scoped items run", () =>
    Effect.gen(function*() {
      const pools = yield* WorkerPool.WorkerPools
      expect(pools.cpus).toBe(os.availableParallelism())
      const wq = yield* Workqueue.alloc("per-llc", { flags: ["UNBOUND"], attrs: { affinityScope: "cache" } })
      let ran = 0
      for (let i = 0; i < 10; i++) yield* Workqueue.queue(wq, Work.sync(() => ran++))
      yield* Workqueue.flush(wq)
      expect(ran).toBe(10)
    }).pipe(Effect.scoped, Effect.provide(NodeTopology.layer({ idleTimeout: "1 second" }))))

  it("forThreads keeps the groups' CPUs below the thread count and drops empty groups", () => {
    const machine: NodeTopology.Topology = {
      cpus: 4,
      smt: [[0, 1], [2, 3]],
      cache: [[0, 1], [2, 3]],
      numa: [[0, 1, 2, 3]],
      osCpus: [0, 1, 2, 3],
      source: "os"
    }
    expect(NodeTopology.forThreads(machine, 3)).toEqual({ smt: [[0, 1], [2]], cache: [[0, 1], [2]], numa: [[0, 1, 2]] })
    expect(NodeTopology.forThreads(machine, 2)).toEqual({ smt: [[0, 1]], cache: [[0, 1]], numa: [[0, 1]] })
    // more threads than CPUs: the extra ones are in no group (each scope gives them a pod of their own)
    expect(NodeTopology.forThreads(machine, 6)).toEqual({ smt: machine.smt, cache: machine.cache, numa: machine.numa })
  })
})
