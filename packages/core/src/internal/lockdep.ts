/**
 * Dependency checking in the style of the kernel's lockdep annotations on
 * workqueues (`wq->lockdep_map`, `work->lockdep_map`): every time an item of
 * workqueue A waits for workqueue B (a flush, a drain, an epoch await, a
 * `run` on B, or `Work.flush` / `cancelSync` of an item of B where the kernel
 * annotates it: B has max_active 1 or a rescuer), the edge A → B is
 * recorded. The first time an edge closes a cycle, the cycle is reported
 * once (a `DependencyCycle` event and one warning log line showing the
 * chain), even if this run did not deadlock: with the wrong timing, every
 * workqueue of the cycle can wait for the next one.
 *
 * It complements the deadlock checks of `flush.ts`, which refuse only a
 * wait that can already never return. Off unless the pools' option
 * `dependencyChecks` is on (`@cmwq/testing`'s Simulation turns it on); when
 * off it costs one field read per wait.
 *
 * @internal
 */
import * as Effect from "effect/Effect"
import * as Runtime from "effect/Runtime"
import { PoolEvent } from "./events.js"
import type { PoolsImpl } from "./pools.js"
import type { WorkerImpl } from "./worker.js"
import type { WorkqueueImpl } from "./workqueue.js"

interface Graph {
  /** from → to → the operation that first made the edge */
  readonly edges: Map<WorkqueueImpl, Map<WorkqueueImpl, string>>
  readonly reported: Set<string>
}

const graphs = new WeakMap<PoolsImpl, Graph>()

const graphOf = (pools: PoolsImpl): Graph => {
  let g = graphs.get(pools)
  if (g === undefined) {
    g = { edges: new Map(), reported: new Set() }
    graphs.set(pools, g)
  }
  return g
}

/** a path from `from` to `to` along recorded edges (the workqueues, `from` first), or null */
const pathTo = (g: Graph, from: WorkqueueImpl, to: WorkqueueImpl): Array<WorkqueueImpl> | null => {
  const seen = new Set<WorkqueueImpl>()
  const walk = (wq: WorkqueueImpl): Array<WorkqueueImpl> | null => {
    if (wq === to) return [wq]
    if (seen.has(wq)) return null
    seen.add(wq)
    for (const next of g.edges.get(wq)?.keys() ?? []) {
      const rest = walk(next)
      if (rest !== null) return [wq, ...rest]
    }
    return null
  }
  return walk(from)
}

/**
 * @internal record that the item `caller` runs waits for `target` through
 * `operation`; report a cycle the first time the edge closes one
 */
export const recordWait = (
  pools: PoolsImpl,
  caller: WorkerImpl | null,
  target: WorkqueueImpl,
  operation: string
): void => {
  if (!pools.config.dependencyChecks || caller === null || caller.currentWork === null) return
  const from = caller.currentPwq?.wq ?? caller.rescueWq
  if (from === null || from === undefined) return
  const g = graphOf(pools)
  let out = g.edges.get(from)
  if (out === undefined) {
    out = new Map()
    g.edges.set(from, out)
  }
  if (out.has(target)) return
  out.set(target, operation)
  // the new edge from → target closes a cycle iff target already reaches from
  const back = pathTo(g, target, from)
  if (back === null) return
  const cycle = [from, ...back]
  const chain = cycle.map((wq) => wq.name)
  const operations = cycle.slice(0, -1).map((wq, i) => g.edges.get(wq)!.get(cycle[i + 1]!)!)
  const key = [...chain.slice(0, -1)].sort().join("\u0000")
  if (g.reported.has(key)) return
  g.reported.add(key)
  pools.emit(PoolEvent.DependencyCycle({ chain, operations }))
  const shown = chain.map((name, i) => (i < operations.length ? `${name} -[${operations[i]}]-> ` : name)).join("")
  Runtime.runFork(pools.runtime)(
    Effect.logWarning(`workqueue: possible circular dependency: ${shown}`)
  )
}
