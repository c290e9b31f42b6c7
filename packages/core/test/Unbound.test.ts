/**
 * UNBOUND workqueues: pools keyed and shared by attributes, affinity scopes,
 * max_active across the whole workqueue, attributes changed live.
 */
import { describe, expect, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import fc from "fast-check"
import { Work, WorkerPool, Workqueue } from "@cmwq/core"
import { runVirtualSync } from "./helpers.js"

const poolOfItem = (wq: Workqueue.Workqueue, cpu: number) =>
  Effect.gen(function*() {
    let pool = -1
    yield* Workqueue.queueOn(
      wq,
      cpu,
      Work.make(Effect.flatMap(WorkerPool.currentWorker, (w) =>
        Effect.sync(() => {
          pool = Option.getOrThrow(w).pool
        })))
    )
    yield* Workqueue.flush(wq)
    return pool
  })

describe("unbound workqueues", () => {
  it("split their pools by affinity scope, and share pools with equal attributes", () => {
    const result = runVirtualSync(
      Effect.gen(function*() {
        const perCpu = yield* Workqueue.alloc("per-cpu", { flags: ["UNBOUND"], attrs: { affinityScope: "cpu" } })
        const system = yield* Workqueue.alloc("system", { flags: ["UNBOUND"], attrs: { affinityScope: "system" } })
        const twin = yield* Workqueue.alloc("twin", { flags: ["UNBOUND"], attrs: { affinityScope: "system" } })
        const smt = yield* Workqueue.alloc("smt", { flags: ["UNBOUND"], attrs: { affinityScope: "smt" } })
        return {
          perCpu: [yield* poolOfItem(perCpu, 0), yield* poolOfItem(perCpu, 1)],
          system: [yield* poolOfItem(system, 0), yield* poolOfItem(system, 1)],
          twin: yield* poolOfItem(twin, 2),
          smt: [yield* poolOfItem(smt, 0), yield* poolOfItem(smt, 1), yield* poolOfItem(smt, 2)]
        }
      }),
      { cpus: 4, topology: { smt: [[0, 1], [2, 3]] } }
    )
    expect(result.perCpu[0]).not.toBe(result.perCpu[1])
    expect(result.system[0]).toBe(result.system[1])
    expect(result.twin).toBe(result.system[0])
    expect(result.smt[0]).toBe(result.smt[1])
    expect(result.smt[1]).not.toBe(result.smt[2])
  })

  it("release their pools when the last workqueue using them goes", () => {
    const counts = runVirtualSync(
      Effect.gen(function*() {
        const unboundPools = Effect.map(WorkerPool.snapshot, (pools) => pools.filter((p) => p.cpu < 0).length)
        const before = yield* unboundPools
        const a = yield* Workqueue.alloc("a", { flags: ["UNBOUND"], attrs: { cpumask: [1] } })
        const b = yield* Workqueue.alloc("b", { flags: ["UNBOUND"], attrs: { cpumask: [1] } })
        const both = yield* unboundPools
        yield* Workqueue.destroy(a)
        const one = yield* unboundPools
        yield* Workqueue.destroy(b)
        return { before, both, one, none: yield* unboundPools }
      }),
      { cpus: 2 }
    )
    expect(counts.both - counts.before).toBeGreaterThan(0)
    expect(counts.one).toBe(counts.both)
    expect(counts.none).toBe(counts.before)
  })

  it("max_active holds across the whole workqueue, whatever CPUs items are queued on", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 3 }),
        fc.constantFrom("cpu", "system" as const),
        fc.array(fc.record({ cpu: fc.integer({ min: 0, max: 2 }), sleep: fc.integer({ min: 0, max: 9 }) }), {
          minLength: 1,
          maxLength: 20
        }),
        (maxActive, affinityScope, items) => {
          const peak = runVirtualSync(
            Effect.gen(function*() {
              const wq = yield* Workqueue.alloc("u", { flags: ["UNBOUND"], maxActive, attrs: { affinityScope } })
              let running = 0
              let peak = 0
              let done = 0
              for (const item of items) {
                yield* Workqueue.queueOn(
                  wq,
                  item.cpu,
                  Work.make(Effect.gen(function*() {
                    peak = Math.max(peak, ++running)
                    yield* Effect.sleep(item.sleep)
                    running--
                    done++
                  }))
                )
              }
              yield* Workqueue.drain(wq)
              expect(done).toBe(items.length)
              return peak
            }),
            { cpus: 3 }
          )
          expect(peak).toBeLessThanOrEqual(maxActive)
        }
      ),
      { seed: 41, numRuns: 150 }
    )
  })

  it("attributes changed on a live ordered workqueue lose and reorder nothing", () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.oneof(
            fc.record({ _tag: fc.constant("item" as const), sleep: fc.integer({ min: 0, max: 5 }) }),
            fc.record({
              _tag: fc.constant("attrs" as const),
              cpumask: fc.subarray([0, 1, 2], { minLength: 1 }),
              affinityScope: fc.constantFrom("cpu", "cache", "system" as const)
            })
          ),
          { minLength: 1, maxLength: 25 }
        ),
        (ops) => {
          const result = runVirtualSync(
            Effect.gen(function*() {
              const wq = yield* Workqueue.allocOrdered("ordered")
              const started: Array<number> = []
              let running = 0
              let overlap = false
              let n = 0
              for (const op of ops) {
                if (op._tag === "attrs") {
                  yield* Workqueue.applyAttrs(wq, { cpumask: op.cpumask, affinityScope: op.affinityScope })
                  continue
                }
                const i = n++
                yield* Workqueue.queue(
                  wq,
                  Work.make(Effect.gen(function*() {
                    if (++running > 1) overlap = true
                    started.push(i)
                    yield* Effect.sleep(op.sleep)
                    running--
                  }))
                )
                yield* Effect.sleep(1)
              }
              yield* Workqueue.drain(wq)
              return { started, n, overlap, links: (yield* Workqueue.inspect(wq)).links.length }
            }),
            { cpus: 3 }
          )
          expect(result.overlap).toBe(false)
          expect(result.started).toEqual(Array.from({ length: result.n }, (_, i) => i))
          // the old links were released once drained
          expect(result.links).toBe(1)
        }
      ),
      { seed: Number(process.env.FC_SEED ?? 42), numRuns: Number(process.env.FC_RUNS ?? 150) }
    )
  })

  it("regression: two attribute changes while an item waits behind a running one (lost item, hung drain)", () => {
    // found by the property above: the second change released the oldest link a second
    // time, while it still held the waiting item
    const started = runVirtualSync(
      Effect.gen(function*() {
        const wq = yield* Workqueue.allocOrdered("ordered")
        const started: Array<string> = []
        yield* Workqueue.queue(wq, Work.make(Effect.zipRight(Effect.sync(() => started.push("i0")), Effect.sleep(3))))
        yield* Effect.sleep(1)
        yield* Workqueue.queue(wq, Work.make(Effect.zipRight(Effect.sync(() => started.push("i1")), Effect.sleep(0))))
        yield* Effect.sleep(1)
        yield* Workqueue.applyAttrs(wq, { cpumask: [2], affinityScope: "cpu" })
        yield* Workqueue.applyAttrs(wq, { cpumask: [2], affinityScope: "cpu" })
        yield* Workqueue.drain(wq)
        return started
      }),
      { cpus: 3 }
    )
    expect(started).toEqual(["i0", "i1"])
  })

  it("regression: items queued on a plugged ordered link all run after it is unplugged", () => {
    // found by the property above; the kernel had the same stall (fixed upstream in
    // March 2026): after the unplug only the first waiting item was activated
    const started = runVirtualSync(
      Effect.gen(function*() {
        const wq = yield* Workqueue.allocOrdered("ordered")
        const started: Array<string> = []
        const item = (name: string, sleep: number) =>
          Work.make(Effect.zipRight(Effect.sync(() => started.push(name)), Effect.sleep(sleep)))
        yield* Workqueue.queue(wq, item("i0", 3))
        yield* Effect.sleep(1)
        yield* Workqueue.applyAttrs(wq, { cpumask: [2], affinityScope: "cpu" })
        yield* Workqueue.queue(wq, item("i1", 0))
        yield* Effect.sleep(1)
        yield* Workqueue.queue(wq, item("i2", 0))
        yield* Effect.sleep(1)
        yield* Workqueue.applyAttrs(wq, { cpumask: [2], affinityScope: "cpu" })
        yield* Workqueue.drain(wq)
        return started
      }),
      { cpus: 3 }
    )
    expect(started).toEqual(["i0", "i1", "i2"])
  })

  it("applyAttrs is refused for per-cpu workqueues", () => {
    const error = runVirtualSync(Effect.gen(function*() {
      const wq = yield* Workqueue.alloc("percpu")
      return yield* Effect.flip(Workqueue.applyAttrs(wq, { affinityScope: "cpu" }))
    }))
    expect(error._tag).toBe("InvalidOperation")
  })
})
