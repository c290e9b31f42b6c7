/**
 * Case 4: heap bytes per queued-but-not-started item, at N = 10^6 pending
 * items.
 *
 * Each contender builds and queues its N items inside one synchronous block
 * framed by `global.gc()` + `process.memoryUsage().heapUsed`; the difference,
 * divided by N, is what the contender holds per pending item INCLUDING the
 * item object it must hold:
 * - ours: the closure, its `Effect.sync`, the `Work` object, and whatever the
 *   workqueue keeps per item. Nothing can run while we measure: a worker is a
 *   fiber, and the block does not yield (the first 1024 items are active on
 *   the pool's worklist, the rest on the workqueue's inactive list);
 * - Effect `Queue` (unbounded, no taker): the closure and its `Effect.sync`,
 *   offered with `Queue.unsafeOffer`;
 * - p-queue (concurrency 1, its one slot held by a first task that waits on a
 *   promise we resolve afterwards): the task closure and p-queue's own
 *   bookkeeping (`add`'s promise, resolvers, wrapper, queue entry); the
 *   promises `add` returns are dropped, as a fire-and-forget caller would.
 * The harness keeps no array of the items. After measuring, every contender's
 * items are run (ours: flush) or discarded (Queue: shutdown; p-queue: clear).
 *
 * For reference the table also shows the bare items in an array: closures
 * alone, and closures with their `Effect.sync`.
 */
import { Effect, Queue } from "effect"
import PQueue from "p-queue"
import { Work, Workqueue, WorkerPool } from "@cmwq/core"
import { type CaseOptions, type CaseResult, check, compare, type Contender, fmt, gc, med, row } from "../lib.js"

const N = 1_000_000
const WARMUP_N = 20_000

let counter = 0

/** a factory, not a named closure in the loop (see `incrementer` in throughput-sync.ts) */
const incrementer = (): () => void => () => {
  counter++
}

/** heap growth per item of `build(n)`, which must not yield */
const perItem = (n: number, build: (n: number) => void): number => {
  gc()
  const h0 = process.memoryUsage().heapUsed
  build(n)
  gc()
  const h1 = process.memoryUsage().heapUsed
  return (h1 - h0) / n
}

/** ours: queue N items made by `make` on a workqueue whose worker cannot run before the measurement */
const ours = (name: string, make: (f: () => void) => Work.Work): Contender<number> => ({
  name,
  run: (warmup) => {
    const n = warmup ? WARMUP_N : N
    counter = 0
    return Effect.gen(function*() {
      const wq = yield* Workqueue.alloc("bench")
      const bytes = perItem(n, (n) => {
        for (let i = 0; i < n; i++) Workqueue.unsafeQueue(wq, make(incrementer()))
      })
      check(`${name}: nothing ran while measuring`, counter, 0)
      yield* Workqueue.flush(wq)
      check(`${name}: items run afterwards`, counter, n)
      return bytes
    }).pipe(Effect.scoped, Effect.provide(WorkerPool.layer()), Effect.runPromise)
  }
})

const contenders: ReadonlyArray<Contender<number>> = [
  ours("ours (Work + Effect.sync + closure)", (f) => Work.make(Effect.sync(f))),
  ours("ours (Work.sync + closure)", (f) => Work.sync(f)),
  {
    name: "Effect Queue (Effect.sync + closure)",
    run: async (warmup) => {
      const n = warmup ? WARMUP_N : N
      const queue = Effect.runSync(Queue.unbounded<Effect.Effect<void>>())
      const bytes = perItem(n, (n) => {
        for (let i = 0; i < n; i++) {
          const f = incrementer()
          Queue.unsafeOffer(queue, Effect.sync(f))
        }
      })
      check("Queue: size", Effect.runSync(Queue.size(queue)), n)
      await Effect.runPromise(Queue.shutdown(queue))
      return bytes
    }
  },
  {
    name: "p-queue(1) (task closure)",
    run: async (warmup) => {
      const n = warmup ? WARMUP_N : N
      const queue = new PQueue({ concurrency: 1 })
      let release = () => {}
      void queue.add(() => new Promise<void>((resolve) => (release = resolve)))
      const bytes = perItem(n, (n) => {
        for (let i = 0; i < n; i++) {
          const f = incrementer()
          void queue.add(f)
        }
      })
      check("p-queue: pending", queue.size, n)
      queue.clear()
      release()
      await queue.onIdle()
      return bytes
    }
  }
]

/** the bare items in an array, for reference (not a contender) */
const bareItems = (withEffect: boolean): number => {
  let keep: Array<unknown> = []
  const bytes = perItem(N, (n) => {
    keep = new Array(n)
    for (let i = 0; i < n; i++) {
      const f = incrementer()
      keep[i] = withEffect ? Effect.sync(f) : f
    }
  })
  check("bare items kept", keep.length, N)
  return bytes
}

export const run = async (options: CaseOptions): Promise<CaseResult> => {
  const results = await compare("4. memory", contenders, options)
  const bytes = results.map((r) => med(r.samples, (b) => b))
  const label = "4. heap per pending item, N=1e6"
  // the first two contenders are ours (Work.make(Effect.sync(f)) and Work.sync(f)); the rest are peers
  const rows = [0, 1].flatMap((o) =>
    results.slice(2).map((r, i) =>
      row(
        `${label} (${o === 0 ? "Work.make(Effect.sync(f))" : "Work.sync(f)"})`,
        bytes[o]!,
        r.name,
        bytes[i + 2]!,
        "bytes/item",
        "lower"
      )
    )
  )
  const closures = bareItems(false)
  const effects = bareItems(true)
  return {
    rows,
    tables: [{
      title: "Case 4: heap bytes per pending item at N=1e6 (medians)",
      headers: ["contender", "bytes/item"],
      rows: [
        ...results.map((r, i) => [r.name, fmt(bytes[i]!)]),
        ["(reference) closures alone, in an array", fmt(closures)],
        ["(reference) closure + Effect.sync, in an array", fmt(effects)]
      ]
    }],
    notes: [
      "Case 4: bytes/item = heapUsed growth (after global.gc()) across a synchronous loop that builds and queues N items, divided by N; includes the item object each contender must hold."
    ]
  }
}
