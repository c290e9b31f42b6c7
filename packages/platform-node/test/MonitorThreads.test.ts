/**
 * `Monitor.dump` with thread CPUs: the main thread's pools, then every
 * thread's own pools, workers and what each one runs, while tasks run there.
 */
import { expect, layer } from "@effect/vitest"
import * as Effect from "effect/Effect"
import { Task, Workqueue } from "@cmwq/core"
import { Monitor, NodeThreads } from "@cmwq/platform-node"
import { Forever, Sleep, WhereAmI } from "./fixtures/tasks.js"

const live = NodeThreads.layer({ threads: 2, handlers: new URL("./fixtures/tasks.ts", import.meta.url) })

/** the lines of the section under `heading` (up to the next blank line) */
const section = (text: string, heading: string): ReadonlyArray<string> => {
  const lines = text.split("\n")
  const at = lines.indexOf(heading)
  if (at < 0) return []
  const end = lines.indexOf("", at)
  return lines.slice(at + 2, end < 0 ? undefined : end)
}

/** busy workers of a section's pools: workers minus idle, summed */
const busy = (lines: ReadonlyArray<string>): number =>
  lines.reduce((n, l) => {
    const m = /^pool\[\d+\] .* workers (\d+) {2}idle (\d+) /.exec(l)
    return m === null ? n : n + Number(m[1]) - Number(m[2])
  }, 0)

layer(live, { timeout: "60 seconds", excludeTestServices: true })("Monitor.dump with thread CPUs", (it) => {
  it.effect("dumps every thread's pools and workers, and the task each one runs", () =>
    Effect.gen(function*() {
      const wq = yield* Workqueue.alloc("dumped")
      // both threads up (a start under load can take seconds): one answered task on each
      yield* Task.runOn(wq, 0, new WhereAmI())
      yield* Task.runOn(wq, 1, new WhereAmI())
      const forever = yield* Task.make(new Forever())
      yield* Workqueue.queueOn(wq, 0, forever)
      const sleeps = yield* Effect.forEach([1, 2, 3], () => Task.make(new Sleep({ ms: 5_000 })))
      for (const w of sleeps) yield* Workqueue.queueOn(wq, 1, w)
      // wait until all four run in their threads
      let text = ""
      for (let i = 0; i < 100; i++) {
        text = yield* Monitor.dump
        const sleeping = section(text, "Thread CPU 1").filter((l) => l.endsWith(": Sleep")).length
        if (sleeping === 3 && section(text, "Thread CPU 0").some((l) => l.endsWith(": Forever"))) break
        yield* Effect.sleep(50)
      }
      // the queueing side: the tasks are in flight away from any worker of the main thread
      const main = section(text, "Worker Pools")
      expect(main.some((l) => /^\s+away\/0\s+dumped: Forever$/.test(l)), text).toBe(true)
      expect(main.filter((l) => /^\s+away\/1\s+dumped: Sleep$/.test(l)), text).toHaveLength(3)
      // each thread: its own pools (one logical CPU: cpu 0), the workers that run its tasks
      const t0 = section(text, "Thread CPU 0")
      const t1 = section(text, "Thread CPU 1")
      expect(busy(t0), text).toBe(1)
      expect(t0.filter((l) => l.endsWith("tasks: Forever")), text).toHaveLength(1)
      expect(t1.filter((l) => l.endsWith("tasks: Sleep")), text).toHaveLength(3)
      expect(busy(t1), text).toBe(3)
      // no thread section repeats the SYSFS heading or the main heading
      expect(text.split("\n").filter((l) => l === "Worker Pools")).toHaveLength(1)
      yield* Task.cancelSync(forever)
      for (const w of sleeps) yield* Task.cancelSync(w)
      // after the cancels, the threads run nothing
      const after = yield* Monitor.dump
      expect([...section(after, "Thread CPU 0"), ...section(after, "Thread CPU 1")].filter((l) => l.includes("tasks:")))
        .toEqual([])
    }).pipe(Effect.scoped), { timeout: 60_000 })
})
