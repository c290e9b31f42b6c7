import { describe, expect, it } from "@effect/vitest"
import type { Workqueue as Wq } from "@cmwq/core"
import { Work, WorkerPool, Workqueue } from "@cmwq/core"
import { Monitor } from "@cmwq/platform-node"
import { formatThreadRows } from "../src/internal/threadRows.js"
import { poolsDump } from "../src/internal/dump.js"
import * as Deferred from "effect/Deferred"
import * as Effect from "effect/Effect"
import * as Fiber from "effect/Fiber"
import * as Option from "effect/Option"
import * as TestClock from "effect/TestClock"

const stats = (name: string, counters: Partial<Omit<Wq.Stats, "name" | "lastFailure">>): Wq.Stats => ({
  name,
  lastFailure: Option.none(),
  started: 0,
  finished: 0,
  completed: 0,
  failed: 0,
  dropped: 0,
  inFlight: 0,
  running: 0,
  peakRunning: 0,
  cpuTimeMs: 0,
  cpuIntensive: 0,
  cmWakeup: 0,
  mayday: 0,
  rescued: 0,
  ...counters
})

/** an output that records every write */
const recorder = (isTTY: boolean) => {
  const writes: Array<string> = []
  return { writes, output: { isTTY, write: (text: string) => writes.push(text) } }
}

/** the cells of the row of `name` in a rendered table */
/**
 * queue two named items that start and then wait for `gate`, and return once both
 * have started (a new worker's first run may wait for the next turn of the event loop)
 */
const bothStarted = (
  gate: Deferred.Deferred<void>,
  ...items: ReadonlyArray<readonly [Workqueue.Workqueue, string]>
) =>
  Effect.gen(function*() {
    for (const [wq, name] of items) {
      const started = yield* Deferred.make<void>()
      yield* Workqueue.queue(
        wq,
        Work.make(Effect.zipRight(Deferred.succeed(started, undefined), Deferred.await(gate)), { name })
      )
      yield* Deferred.await(started)
    }
  })

const row = (text: string, name: string) =>
  // eslint-disable-next-line no-control-regex -- the terminal's escape sequences
  text.replace(/\x1b\[\d*[A-Za-z]/g, "").split("\n").find((l) => l.startsWith(name.padEnd(24)))?.slice(24).trim().split(
    /\s+/
  )

describe("Monitor.rates", () => {
  it("every counter is a rate over the interval; infl is a level; a counter that went down counts from 0", () => {
    const before = [stats("io", { started: 100, completed: 90, cpuIntensive: 2, cmWakeup: 10, mayday: 1, rescued: 1 })]
    const after = [
      stats("io", {
        started: 300,
        completed: 295,
        failed: 8,
        cpuIntensive: 6,
        cmWakeup: 50,
        mayday: 5,
        rescued: 3
      })
    ]
    expect(Monitor.rates(before, after, 2)).toEqual([
      { name: "io", total: 100, infl: 5, cpuIntensive: 2, cmWakeup: 20, mayday: 2, rescued: 1, failed: 4 }
    ])
    // a restart (the counter went down) and a workqueue that is new at this position
    expect(Monitor.rates([stats("io", { started: 500 })], [stats("io", { started: 40 })], 1)[0]!.total).toBe(40)
    expect(Monitor.rates([stats("a", { started: 500 })], [stats("b", { started: 7 })], 1)[0]!.total).toBe(7)
  })

  it("formatRates: one header with every column, one row per workqueue", () => {
    const text = Monitor.formatRates([
      { name: "io", total: 120, infl: 3, cpuIntensive: 0.5, cmWakeup: 40, mayday: 0, rescued: 0, failed: 2 }
    ])
    const [header, ...rows] = text.split("\n")
    expect(header!.trim().split(/\s+/)).toEqual([
      "total/s",
      "infl",
      "CPUitsv/s",
      "CMW/s",
      "mayday/s",
      "rescued/s",
      "failed/s"
    ])
    expect(rows).toHaveLength(1)
    expect(row(text, "io")).toEqual(["120", "3", "0.5", "40.0", "0.0", "0.0", "2.0"])
  })
})

describe("Monitor.live", () => {
  it.scoped("not a TTY: one plain frame per interval, with the rates of the last interval", () =>
    Effect.gen(function*() {
      const io = yield* Workqueue.alloc("io")
      const { output, writes } = recorder(false)
      yield* Effect.forkScoped(Monitor.live([io], { interval: "2 seconds", output }))
      yield* Effect.yieldNow()
      for (let i = 0; i < 10; i++) yield* Workqueue.queue(io, Work.make(Effect.void))
      for (let i = 0; i < 4; i++) yield* Workqueue.queue(io, Work.make(Effect.fail("boom")))
      yield* Workqueue.flush(io)
      yield* TestClock.adjust("1 second")
      expect(writes).toEqual([]) // not before the interval
      yield* TestClock.adjust("1 second")
      expect(writes).toHaveLength(1)
      const first = writes[0]!
      expect(first).not.toContain("\x1b[") // no cursor control off a TTY
      expect(first.split("\n")[0]).toBe("cmwq 00:00:02 every 2.0 s")
      expect(first).toContain("total/s")
      // 14 started, 4 failed in 2 seconds; nothing running
      expect(row(first, "io")).toEqual(["7.0", "0", "0.0", "0.0", "0.0", "0.0", "2.0"])
      // an idle interval: the rates fall to 0, and the frame is appended
      yield* TestClock.adjust("2 seconds")
      expect(writes).toHaveLength(2)
      expect(writes[1]!.split("\n")[0]).toBe("cmwq 00:00:04 every 2.0 s")
      expect(row(writes[1]!, "io")).toEqual(["0.0", "0", "0.0", "0.0", "0.0", "0.0", "0.0"])
    }).pipe(Effect.provide(WorkerPool.layer())))

  it.scoped("a TTY: each frame goes back over the previous one and clears it", () =>
    Effect.gen(function*() {
      const io = yield* Workqueue.alloc("io")
      const gate = yield* Deferred.make<void>()
      const { output, writes } = recorder(true)
      yield* Effect.forkScoped(Monitor.live(() => [io], { interval: "1 second", output }))
      yield* Effect.yieldNow()
      for (let i = 0; i < 3; i++) yield* Workqueue.queue(io, Work.make(Deferred.await(gate)))
      yield* TestClock.adjust("1 second")
      yield* TestClock.adjust("1 second")
      expect(writes).toHaveLength(2)
      const lines = (w: string) => w.split("\n").length - 1
      // the first frame is drawn where the cursor is; the second moves up over it
      expect(writes[0]!.startsWith("cmwq ")).toBe(true)
      expect(lines(writes[0]!)).toBe(3) // clock, header, io
      expect(writes[1]!.startsWith("\x1b[3F")).toBe(true)
      for (const w of writes) {
        // every line is cleared to its end, what is below the frame is cleared, and
        // the screen is never cleared from its top (tmux would scroll it into its history)
        expect(w.split("\n").slice(0, -1).every((l) => l.endsWith("\x1b[K"))).toBe(true)
        expect(w.endsWith("\n\x1b[J")).toBe(true)
        // eslint-disable-next-line no-control-regex -- the terminal's escape sequences
        expect(w).not.toMatch(/^(\x1b\[\d+F)?\x1b\[J/)
      }
      // the three items wait on the gate: in flight is a level, 3 in both frames
      expect(row(writes[0]!, "io")![1]).toBe("3")
      expect(row(writes[1]!, "io")![1]).toBe("3")
      expect(row(writes[0]!, "io")![0]).toBe("3.0")
      expect(row(writes[1]!, "io")![0]).toBe("0.0")
      yield* Deferred.succeed(gate, undefined)
      yield* Workqueue.flush(io)
    }).pipe(Effect.provide(WorkerPool.layer())))

  it.effect("an interval that is not positive is an InvalidMonitorOptions", () =>
    Effect.gen(function*() {
      const zero = yield* Effect.flip(Monitor.live([], { interval: 0, output: recorder(false).output }))
      expect(zero).toMatchObject({ _tag: "InvalidMonitorOptions", option: "interval", value: "0" })
      const negative = yield* Effect.flip(Monitor.live([], { interval: "-1 seconds", output: recorder(false).output }))
      expect(negative._tag).toBe("InvalidMonitorOptions")
    }))

  it.scoped("runs until interrupted", () =>
    Effect.gen(function*() {
      const io = yield* Workqueue.alloc("io")
      const { output, writes } = recorder(false)
      const fiber = yield* Effect.fork(Monitor.live([io], { interval: "1 second", output }))
      yield* TestClock.adjust("3 seconds")
      expect(writes).toHaveLength(3)
      yield* Fiber.interrupt(fiber)
      yield* TestClock.adjust("3 seconds")
      expect(writes).toHaveLength(3)
    }).pipe(Effect.provide(WorkerPool.layer())))
})

describe("Monitor.dump", () => {
  it.scoped("the main thread's pools, their workers, and what each busy worker runs", () =>
    Effect.gen(function*() {
      const io = yield* Workqueue.alloc("io-dumped", { flags: ["SYSFS"] })
      const batch = yield* Workqueue.alloc("batch-dumped", { flags: ["UNBOUND", "SYSFS"], maxActive: 4 })
      const gate = yield* Deferred.make<void>()
      yield* bothStarted(gate, [io, "slow-read"], [batch, "compress"])
      const text = yield* Monitor.dump
      const lines = text.split("\n")
      expect(lines.slice(0, 2)).toEqual(["Worker Pools", "============"])
      const pools = yield* WorkerPool.snapshot
      const poolLines = lines.filter((l) => l.startsWith("pool["))
      expect(poolLines).toHaveLength(pools.length)
      for (const p of pools) {
        const line = poolLines.find((l) => l.startsWith(`pool[${String(p.id).padStart(2, "0")}] `))!
        expect(line, p.name).toContain(p.cpu < 0 ? "unbound" : `cpu ${p.cpu}`)
        expect(line).toContain(`workers ${p.workers}`)
        expect(line).toContain(`idle ${p.idle}`)
      }
      // each busy worker is listed under its pool with the workqueue and the item's name
      const workerLines = lines.filter((l) => l.startsWith("  "))
      expect(workerLines.some((l) => l.trim().endsWith("io-dumped: slow-read"))).toBe(true)
      expect(workerLines.some((l) => l.trim().endsWith("batch-dumped: compress"))).toBe(true)
      const busy = pools.flatMap((p) => p.runningWork ?? [])
      expect(busy.map((r) => r.work).sort()).toEqual(["compress", "slow-read"])
      // the line after a busy pool's line names its worker
      for (const p of pools) {
        for (const r of p.runningWork ?? []) {
          const at = lines.findIndex((l) => l.startsWith(`pool[${String(p.id).padStart(2, "0")}] `))
          expect(lines.slice(at + 1).find((l) => !l.startsWith("  ") || l.includes(r.work))).toContain(r.worker)
        }
      }
      // the SYSFS workqueues with their tunables
      expect(lines.find((l) => l.startsWith("io-dumped"))).toMatch(/max_active\s+\d+\s+percpu/)
      expect(lines.find((l) => l.startsWith("batch-dumped"))).toMatch(/max_active\s+4\s+unbound cpumask/)
      yield* Deferred.succeed(gate, undefined)
      yield* Workqueue.flush(io)
      yield* Workqueue.flush(batch)
      // idle again: no worker line is left
      expect((yield* Monitor.dump).split("\n").filter((l) => l.startsWith("  "))).toEqual([])
    }).pipe(Effect.provide(WorkerPool.layer())))

  it.scoped("with no SYSFS workqueue, says how to list one", () =>
    Effect.gen(function*() {
      const text = yield* Monitor.dump
      expect(text).toContain("(none: allocate with the SYSFS flag to list a workqueue here)")
    }).pipe(Effect.provide(WorkerPool.layer())))
})

describe("thread CPU rows", () => {
  it.scoped("read from a thread's own dump: sums over its pools, what its busy workers run by name", () =>
    Effect.gen(function*() {
      const io = yield* Workqueue.alloc("io-rows")
      const gate = yield* Deferred.make<void>()
      yield* bothStarted(gate, [io, "fetch a page"], [io, "crunch"])
      const text = yield* poolsDump
      const pools = yield* WorkerPool.snapshot
      const sum = (f: (p: (typeof pools)[number]) => number) => pools.reduce((n, p) => n + f(p), 0)
      const [header, row, down] = formatThreadRows([{ cpu: 3, text: "thread exited (code 1)" }, { cpu: 1, text }], [
        0,
        7
      ]).split("\n")
      expect(header!.split(/\s{2,}|\s(?=\S)/).filter((c) => c !== "")).toEqual([
        "thread",
        "CPUs",
        "infl",
        "workers",
        "idle",
        "running",
        "tasks"
      ])
      const [name, ...cells] = row!.split(/\s{2,}/)
      expect(name).toBe("thread 1")
      expect(cells).toEqual([
        "7",
        String(sum((p) => p.workers)),
        String(sum((p) => p.idle)),
        String(sum((p) => p.running)),
        "crunch 1, fetch a page 1"
      ])
      // a thread that answers no dump shows its answer in place of the numbers
      expect(down!.split(/\s{2,}/)).toEqual(["thread 3", "0", "thread exited (code 1)"])
      yield* Deferred.succeed(gate, undefined)
      yield* Workqueue.flush(io)
    }).pipe(Effect.provide(WorkerPool.layer())))
})
