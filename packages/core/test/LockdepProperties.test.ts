/**
 * Properties of the lockdep-style dependency checking (`dependencyChecks`),
 * against a model: the graph of "a running item waits for a workqueue or an
 * item" edges, built from what the workload did.
 *
 * 1. Over the generic scenario generator (flush steps inside items, all
 *    flags, operations from outside), in the Simulation, where the checking
 *    is always on. Every `flush` record made by an item adds the edges
 *    "its workqueue → the flushed one" and "the item → the flushed one",
 *    whether the flush waited, returned at once or was refused as a
 *    deadlock. Then:
 *    - every reported chain is a closed walk over edges already made, and
 *      its first edge is one made by a flush record;
 *    - no set of nodes is reported twice;
 *    - the first moment the model's graph has a cycle, a cycle is reported
 *      before the next edge is made (the first time a deadlock becomes
 *      possible, whether or not this run deadlocked).
 * 2. Over generated item graphs (each item flushes, cancelSyncs or
 *    disableSyncs other items, or flushes a workqueue), run one item at a
 *    time, so that every wait returns: a cycle is reported iff the model's
 *    graph has one, and every chain is a closed walk over the model's edges.
 *
 * Mutants each property kills are listed in `properties/MUTANTS.md`
 * ("Dependency checking").
 */
import { describe, expect, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Logger from "effect/Logger"
import * as LogLevel from "effect/LogLevel"
import fc from "fast-check"
import { Work, type WorkerPool, Workqueue } from "@cmwq/core"
import { Arbitraries, Simulation, VirtualTime } from "@cmwq/testing"
import { testPools } from "./helpers.js"

/** a directed graph over node names, built edge by edge */
class Model {
  readonly edges = new Map<string, Set<string>>()
  add(from: string, to: string): boolean {
    let out = this.edges.get(from)
    if (out === undefined) {
      out = new Set()
      this.edges.set(from, out)
    }
    if (out.has(to)) return false
    out.add(to)
    return true
  }
  has(from: string, to: string): boolean {
    return this.edges.get(from)?.has(to) ?? false
  }
  /** true iff some cycle exists (depth-first search with colors) */
  cyclic(): boolean {
    const state = new Map<string, "open" | "done">()
    const visit = (n: string): boolean => {
      const s = state.get(n)
      if (s === "open") return true
      if (s === "done") return false
      state.set(n, "open")
      for (const m of this.edges.get(n) ?? []) if (visit(m)) return true
      state.set(n, "done")
      return false
    }
    return [...this.edges.keys()].some(visit)
  }
}

/** the problem with a reported chain against the model, or null */
const chainProblem = (model: Model, chain: ReadonlyArray<string>, operations: ReadonlyArray<string>) => {
  if (chain.length < 2 || chain[0] !== chain.at(-1)) return `not closed: ${chain.join(" -> ")}`
  if (operations.length !== chain.length - 1) return `${operations.length} operations for ${chain.length} nodes`
  for (let i = 0; i + 1 < chain.length; i++) {
    if (!model.has(chain[i]!, chain[i + 1]!)) return `no edge ${chain[i]} -> ${chain[i + 1]} in ${chain.join(" -> ")}`
  }
  return null
}

const nodeSet = (chain: ReadonlyArray<string>) => [...new Set(chain)].sort().join(",")

describe("dependency checking: properties", () => {
  it("over generated scenarios: chains are real, none twice, the first possible cycle reported at once", () => {
    const scenarios = Arbitraries.scenario({
      ...Arbitraries.everything,
      workqueues: { min: 2, max: 4 },
      works: { min: 2, max: 8 },
      operations: { min: 0, max: 4 }
    })
    let cyclicRuns = 0
    fc.assert(
      fc.property(scenarios, (scenario) => {
        const exit = Effect.runSyncExit(Simulation.runDetailed(scenario, { maxSteps: 300_000 }))
        // a run the simulation gives up on (a real deadlock, the step limit) says nothing here
        if (Exit.isFailure(exit)) return true
        const detailed = exit.value
        const wqOf = new Map(detailed.scenario.works.map((w) => [w.name, w.workqueue]))
        const operations = detailed.operations ?? []
        const cycles = detailed.dependencyCycles ?? []
        const model = new Model()
        const seen = new Set<string>()
        let next = 0 // the next report to check
        let firstCyclic = -1 // index of the flush record that first made the model cyclic
        const checkReportsUpTo = (k: number) => {
          for (; next < cycles.length && cycles[next]!.afterOperation <= k; next++) {
            const c = cycles[next]!
            const problem = chainProblem(model, c.chain, c.operations)
            if (problem !== null) throw new Error(`report #${next} at ${c.t}ms: ${problem}`)
            const set = nodeSet(c.chain)
            if (seen.has(set)) throw new Error(`the node set {${set}} reported twice`)
            seen.add(set)
          }
        }
        for (let i = 0; i < operations.length; i++) {
          const r = operations[i]!
          if (r.kind !== "flush" || r.by === "") continue
          checkReportsUpTo(i)
          if (firstCyclic >= 0 && next === 0) {
            throw new Error(`the graph became cyclic at record ${firstCyclic}, no report before the next edge`)
          }
          model.add(wqOf.get(r.by)!, r.workqueue!)
          model.add(`item ${r.by}`, r.workqueue!)
          if (firstCyclic < 0 && model.cyclic()) firstCyclic = i
        }
        checkReportsUpTo(Number.POSITIVE_INFINITY)
        if (next !== cycles.length) throw new Error("a report after no flush record")
        if (firstCyclic >= 0) {
          cyclicRuns++
          if (cycles.length === 0) throw new Error(`the graph became cyclic at record ${firstCyclic}, never reported`)
        } else if (cycles.length > 0) {
          throw new Error(`${cycles.length} reports for an acyclic graph`)
        }
        return true
      }),
      { seed: 0x10cd, numRuns: 150 }
    )
    // the workloads reach what the property is about
    expect(cyclicRuns).toBeGreaterThan(10)
  })

  type Wait = "flushWork" | "cancelSync" | "disableSync" | "flushWq"
  interface ItemGraph {
    readonly wqs: ReadonlyArray<{ readonly maxActive: number }>
    readonly items: ReadonlyArray<{
      readonly wq: number
      readonly waits: ReadonlyArray<{ readonly kind: Wait; readonly target: number }>
    }>
    /** the order the items run in, one at a time */
    readonly order: ReadonlyArray<number>
  }

  const itemGraphArb: fc.Arbitrary<ItemGraph> = fc.record({
    wqs: fc.array(fc.record({ maxActive: fc.constantFrom(0, 1, 2) }), { minLength: 1, maxLength: 3 }),
    size: fc.integer({ min: 2, max: 6 })
  }).chain(({ size, wqs }) =>
    fc.record({
      wqs: fc.constant(wqs),
      items: fc.array(
        fc.record({
          wq: fc.nat({ max: wqs.length - 1 }),
          waits: fc.array(
            fc.record({
              kind: fc.constantFrom<Wait>("flushWork", "cancelSync", "disableSync", "flushWq"),
              target: fc.nat({ max: size - 1 })
            }),
            { maxLength: 2 }
          )
        }),
        { minLength: size, maxLength: size }
      ),
      order: fc.array(fc.nat({ max: size - 1 }), { minLength: 1, maxLength: 2 * size })
    })
  )

  it("over generated item graphs run one at a time: a cycle is reported iff the graph has one", () => {
    let cyclicRuns = 0
    fc.assert(
      fc.property(itemGraphArb, (g) => {
        const cycles: Array<Extract<WorkerPool.Event, { readonly _tag: "DependencyCycle" }>> = []
        const model = new Model()
        VirtualTime.runSync(
          Effect.gen(function*() {
            const wqs: Array<Workqueue.Workqueue> = []
            for (let i = 0; i < g.wqs.length; i++) {
              const spec = g.wqs[i]!
              wqs.push(
                spec.maxActive === 1
                  ? yield* Workqueue.allocOrdered(`q${i}`)
                  : yield* Workqueue.alloc(`q${i}`, { maxActive: spec.maxActive })
              )
            }
            const items: Array<Work.Work<unknown>> = []
            g.items.forEach((spec, i) => {
              items.push(Work.make(
                Effect.forEach(spec.waits, (w): Effect.Effect<unknown> => {
                  // a disabled item stays disabled: enable it again, so that later runs still run it
                  const target = items[w.target]!
                  switch (w.kind) {
                    case "flushWork":
                      return Effect.either(Work.flush(target))
                    case "cancelSync":
                      return Effect.either(Work.cancelSync(target))
                    case "disableSync":
                      return Effect.zipRight(Effect.either(Work.disableSync(target)), Work.enable(target))
                    case "flushWq":
                      return Effect.either(Workqueue.flush(wqs[g.items[w.target]!.wq]!))
                  }
                }),
                { name: `w${i}` }
              ))
            })
            for (const i of g.order) {
              const spec = g.items[i]!
              const wqName = `q${spec.wq}`
              yield* Workqueue.queue(wqs[spec.wq]!, items[i]!)
              yield* Workqueue.flush(wqs[spec.wq]!)
              // the model: what the kernel's annotations make of this run's waits
              for (const w of spec.waits) {
                const target = g.items[w.target]!
                const to = w.kind === "flushWq" ? `q${target.wq}` : `item w${w.target}`
                model.add(wqName, to)
                model.add(`item w${i}`, to)
                // the workqueue's annotation needs the item queued or running: only itself is,
                // here (the flush is then refused, but the edge is made first)
                if (w.kind === "flushWork" && w.target === i && g.wqs[target.wq]!.maxActive === 1) {
                  model.add(wqName, `q${target.wq}`)
                  model.add(`item w${i}`, `q${target.wq}`)
                }
              }
            }
          }).pipe(
            Effect.scoped,
            Effect.provide(testPools({
              dependencyChecks: true,
              observer: (e) => {
                if (e._tag === "DependencyCycle") cycles.push(e)
              }
            })),
            Logger.withMinimumLogLevel(LogLevel.None)
          )
        )
        const sets = new Set<string>()
        for (const c of cycles) {
          const problem = chainProblem(model, c.chain, c.operations)
          if (problem !== null) throw new Error(problem)
          const set = nodeSet(c.chain)
          if (sets.has(set)) throw new Error(`the node set {${set}} reported twice`)
          sets.add(set)
        }
        const cyclic = model.cyclic()
        if (cyclic) cyclicRuns++
        if (cyclic !== cycles.length > 0) {
          throw new Error(`graph ${cyclic ? "cyclic" : "acyclic"}, ${cycles.length} reports`)
        }
        return true
      }),
      { seed: 0x10cf, numRuns: 200 }
    )
    expect(cyclicRuns).toBeGreaterThan(20)
  })
})
