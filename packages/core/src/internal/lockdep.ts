/**
 * Dependency checking in the style of the kernel's lockdep annotations on
 * workqueues (`wq->lockdep_map`, `work->lockdep_map`).
 *
 * The graph's nodes are workqueues and items. While an item W of workqueue
 * A runs, it "holds" both A and W (the kernel's `process_one_work` takes
 * both maps around the item's function). Each time it then waits for a
 * target T, the edges A → T and W → T are recorded. The targets are:
 *
 * 1. a workqueue B, for `flush`, `drain`, an epoch await and `run` on B;
 * 2. an item V, for `Work.flush` and `cancelSync` of V (the kernel's
 *    `__flush_work` takes the item's map in both), recorded even when V is
 *    idle;
 * 3. also V's workqueue B, for `Work.flush` only, and only where the kernel
 *    annotates it: B has max_active 1 or a rescuer (`start_flush_work`).
 *
 * An edge is recorded before the wait starts, and before a wait that can
 * never return is refused with `FlushDeadlock`, as the kernel acquires the
 * map before it blocks. The first time an edge closes a cycle, the cycle is
 * reported once per set of nodes (a `DependencyCycle` event, and one warning
 * log line that shows the chain), even if this run did not deadlock: with
 * the wrong timing, every node of the cycle can wait for the next one. An
 * item waiting for its own workqueue is a cycle of one edge.
 *
 * This complements the deadlock checks of `flush.ts`, which refuse only a
 * wait that can already never return. It is off unless the pools' option
 * `dependencyChecks` is on (`@cmwq/testing`'s Simulation turns it on). When
 * off, it costs one field read per wait; when on, its time cost was below
 * noise (`bench/lockdep-cost.ts`), but the graph keeps every node it has
 * seen: an item is a `Work` value (the kernel's nodes are lock classes,
 * one per place in the code), so a long run that keeps making items grows
 * it without bound. That is why it stays off by default.
 *
 * @internal
 */
import * as Effect from "effect/Effect"
import * as Runtime from "effect/Runtime"
import { currentFiber, workerOf } from "./current.js"
import { PoolEvent } from "./events.js"
import type { PoolsImpl } from "./pools.js"
import { type WorkImpl, workName } from "./work.js"
import type { WorkerImpl } from "./worker.js"
import type { WorkqueueImpl } from "./workqueue.js"

/** a workqueue or an item: what can be held and waited for */
type Node = WorkqueueImpl | WorkImpl

interface Graph {
  /** from → to → the operation that first made the edge */
  readonly edges: Map<Node, Map<Node, string>>
  /** a number per node (for the key of a reported cycle) and its name in a chain */
  readonly nodes: Map<Node, { readonly id: number; readonly name: string }>
  readonly reported: Set<string>
}

const graphs = new WeakMap<PoolsImpl, Graph>()

const graphOf = (pools: PoolsImpl): Graph => {
  let g = graphs.get(pools)
  if (g === undefined) {
    g = { edges: new Map(), nodes: new Map(), reported: new Set() }
    graphs.set(pools, g)
  }
  return g
}

/** give `node` its number and name on first sight: a workqueue by its name, an item as `item <name>` */
const known = (g: Graph, node: Node, isWorkqueue: boolean): void => {
  if (g.nodes.has(node)) return
  const name = isWorkqueue ? (node as WorkqueueImpl).name : `item ${workName(node as WorkImpl)}`
  g.nodes.set(node, { id: g.nodes.size, name })
}

/** a path from `from` to `to` along recorded edges (the nodes, `from` first), or null */
const pathTo = (g: Graph, from: Node, to: Node): Array<Node> | null => {
  const seen = new Set<Node>()
  const walk = (node: Node): Array<Node> | null => {
    if (node === to) return [node]
    if (seen.has(node)) return null
    seen.add(node)
    for (const next of g.edges.get(node)?.keys() ?? []) {
      const rest = walk(next)
      if (rest !== null) return [node, ...rest]
    }
    return null
  }
  return walk(from)
}

/** add the edge from → to; report the cycle it closes, if it closes one not yet reported */
const addEdge = (pools: PoolsImpl, g: Graph, from: Node, to: Node, operation: string): void => {
  let out = g.edges.get(from)
  if (out === undefined) {
    out = new Map()
    g.edges.set(from, out)
  }
  if (out.has(to)) return
  out.set(to, operation)
  // the new edge from → to closes a cycle iff `to` already reaches `from`
  const back = pathTo(g, to, from)
  if (back === null) return
  const cycle = [from, ...back]
  const key = cycle.slice(0, -1).map((node) => g.nodes.get(node)!.id).sort((a, b) => a - b).join(",")
  if (g.reported.has(key)) return
  g.reported.add(key)
  const chain = cycle.map((node) => g.nodes.get(node)!.name)
  const operations = cycle.slice(0, -1).map((node, i) => g.edges.get(node)!.get(cycle[i + 1]!)!)
  pools.emit(PoolEvent.DependencyCycle({ chain, operations }))
  const shown = chain.map((name, i) => (i < operations.length ? `${name} -[${operations[i]}]-> ` : name)).join("")
  Runtime.runFork(pools.runtime)(
    Effect.logWarning(`workqueue: possible circular dependency: ${shown}`)
  )
}

/**
 * @internal record that the item `caller` runs waits for the workqueue or
 * item `target` through `operation`; report a cycle the first time an edge
 * closes one. `targetIsWorkqueue` tells the two kinds of target apart.
 */
const record = (
  pools: PoolsImpl,
  caller: WorkerImpl | null,
  target: Node,
  targetIsWorkqueue: boolean,
  operation: string
): void => {
  if (!pools.config.dependencyChecks || caller === null || caller.currentWork === null) return
  const heldWq = caller.currentPwq?.wq ?? caller.rescueWq
  if (heldWq === null || heldWq === undefined) return
  const g = graphOf(pools)
  known(g, heldWq, true)
  known(g, caller.currentWork, false)
  known(g, target, targetIsWorkqueue)
  addEdge(pools, g, heldWq, target, operation)
  addEdge(pools, g, caller.currentWork, target, operation)
}

/** @internal the item `caller` runs waits for workqueue `target` (steps 1 and 3 of the header) */
export const recordWait = (
  pools: PoolsImpl,
  caller: WorkerImpl | null,
  target: WorkqueueImpl,
  operation: string
): void => record(pools, caller, target, true, operation)

/** @internal the item `caller` runs waits for the item `target` (step 2 of the header) */
export const recordItemWait = (
  pools: PoolsImpl,
  caller: WorkerImpl | null,
  target: WorkImpl,
  operation: string
): void => record(pools, caller, target, false, operation)

/**
 * @internal `recordItemWait` for an item that was never queued (it has no
 * pools yet): the edge goes into the pools of the item the caller runs, if any
 */
export const recordNeverQueuedWait = (target: WorkImpl, operation: string): void => {
  const fiber = currentFiber()
  const caller = fiber !== undefined ? workerOf(fiber) : undefined
  if (caller !== undefined) record(caller.pool.pools, caller, target, false, operation)
}
