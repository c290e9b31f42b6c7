/**
 * Case 4: heap bytes per queued-but-not-started item, at N = 5 x 10^5 pending
 * items (10^5 with --quick).
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
 *
 * Heap per BLOCKED item, at N = 10^4 items that all wait on one Deferred
 * (or promise) that is never resolved while measuring: `global.gc()` +
 * `heapUsed` before queueing and once every item has started and blocked;
 * the difference divided by N is the item plus whatever runs it:
 * - ours: `Work.make` items whose body counts itself started and awaits the
 *   Deferred, queued on 10 workqueues of maxActive 1000 (the kernel's
 *   WQ_MAX_ACTIVE caps one workqueue at 2048); each blocked item holds a
 *   worker fiber, and concurrency management creates the workers;
 * - `Effect.forEach(unbounded)`: one fiber per item, same body;
 * - p-queue (concurrency Infinity): a task closure that awaits one shared
 *   promise.
 * Afterwards the Deferred (promise) is resolved and everything finishes.
 */
import { Deferred, Effect, Fiber, Queue } from "effect"
import PQueue from "p-queue"
import { Work, Workqueue, WorkerPool } from "@cmwq/core"
import { type CaseOptions, type CaseResult, check, compare, type Contender, fmt, gc, med, row } from "../lib.js"

/** pending items per run: 10^6, or 10^5 with --quick (set by `run`) */
let N = 1_000_000
const WARMUP_N = 20_000

let counter = 0

/** a factory, not a named closure in the loop (see `incrementer` in throughput-sync.ts) */
const incrementer = (): () => void => () => {
  counter++
}

/**
 * Each run starts after 20 ms of timers and immediates: the previous run's
 * objects can stay reachable for a turn or two after it returned (a pools
 * service's last marker macrotask still refers to it), and a collection
 * right away would leave them to be freed inside this run's measurement. In
 * the runs before this wait, our blocked items left about 40 MB that the next
 * contender's measurement then freed: `Effect.forEach(unbounded)` read
 * 1.7 kB per fiber right after ours and 6.6 kB alone
 */
const settledFirst = <M>(contenders: ReadonlyArray<Contender<M>>): Array<Contender<M>> =>
  contenders.map((c) => ({
    name: c.name,
    run: async (warmup) => {
      await new Promise((resolve) => setTimeout(resolve, 20))
      return c.run(warmup)
    }
  }))

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

const BLOCKED_N = 10_000
const BLOCKED_WARMUP_N = 1_000
/** workqueues the blocked items are spread over, and the maxActive of each */
const BLOCKED_WQS = 10

let started = 0
/** one macrotask: lets workers, fibers and p-queue start and block */
const turn = Effect.promise(() => new Promise<void>((resolve) => setImmediate(resolve)))
/** waits (macrotask by macrotask) until `n` items have started */
const allStarted = (n: number): Effect.Effect<void> =>
  Effect.gen(function*() {
    while (started < n) yield* turn
  })

/** heap bytes per blocked item: `block(n)` starts n blocked items and waits until they have started */
const blockedContenders: ReadonlyArray<Contender<number>> = [
  {
    name: "ours (Work.make, blocked on a Deferred)",
    run: (warmup) => {
      const n = warmup ? BLOCKED_WARMUP_N : BLOCKED_N
      started = 0
      return Effect.gen(function*() {
        const gate = yield* Deferred.make<void>()
        const body = Effect.suspend(() => {
          started++
          return Deferred.await(gate)
        })
        const wqs: Array<Workqueue.Workqueue> = []
        for (let i = 0; i < BLOCKED_WQS; i++) {
          wqs.push(yield* Workqueue.alloc(`blocked-${i}`, { maxActive: Math.ceil(BLOCKED_N / BLOCKED_WQS) }))
        }
        gc()
        const h0 = process.memoryUsage().heapUsed
        for (let i = 0; i < n; i++) Workqueue.unsafeQueue(wqs[i % BLOCKED_WQS]!, Work.make(body))
        yield* allStarted(n)
        gc()
        const bytes = (process.memoryUsage().heapUsed - h0) / n
        yield* Deferred.succeed(gate, undefined)
        for (const wq of wqs) yield* Workqueue.flush(wq)
        check("ours: blocked items started", started, n)
        return bytes
      }).pipe(Effect.scoped, Effect.provide(WorkerPool.layer()), Effect.runPromise)
    }
  },
  {
    name: "Effect.forEach(unbounded) (a fiber per item)",
    run: (warmup) => {
      const n = warmup ? BLOCKED_WARMUP_N : BLOCKED_N
      started = 0
      return Effect.gen(function*() {
        const gate = yield* Deferred.make<void>()
        const body = Effect.suspend(() => {
          started++
          return Deferred.await(gate)
        })
        const indices = Array.from({ length: n }, (_, i) => i)
        gc()
        const h0 = process.memoryUsage().heapUsed
        const fiber = yield* Effect.fork(
          Effect.forEach(indices, () => body, { concurrency: "unbounded", discard: true })
        )
        yield* allStarted(n)
        gc()
        const bytes = (process.memoryUsage().heapUsed - h0) / n
        yield* Deferred.succeed(gate, undefined)
        yield* Fiber.join(fiber)
        return bytes
      }).pipe(Effect.runPromise)
    }
  },
  {
    name: "p-queue(Infinity) (task awaiting a promise)",
    run: async (warmup) => {
      const n = warmup ? BLOCKED_WARMUP_N : BLOCKED_N
      started = 0
      let release = () => {}
      const gate = new Promise<void>((resolve) => (release = resolve))
      const task = (): Promise<void> => {
        started++
        return gate
      }
      const queue = new PQueue({ concurrency: Infinity })
      gc()
      const h0 = process.memoryUsage().heapUsed
      for (let i = 0; i < n; i++) void queue.add(task)
      await Effect.runPromise(allStarted(n))
      gc()
      const bytes = (process.memoryUsage().heapUsed - h0) / n
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
  // 10^6 until the full run had to fit in ten minutes
  N = options.quick ? 100_000 : 500_000
  const e = Math.floor(Math.log10(N))
  const nLabel = `${N / 10 ** e}e${e}`
  const results = await compare("4. memory", settledFirst(contenders), options)
  const bytes = results.map((r) => med(r.samples, (b) => b))
  const label = `4. heap per pending item, N=${nLabel}`
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
  const blocked = await compare("4. memory, blocked items", settledFirst(blockedContenders), options)
  const blockedBytes = blocked.map((r) => med(r.samples, (b) => b))
  rows.push(
    ...blocked.slice(1).map((r, i) =>
      row(
        "4. heap per blocked item (worker + item, awaiting a never-resolved Deferred), N=1e4",
        blockedBytes[0]!,
        r.name,
        blockedBytes[i + 1]!,
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
      title: `Case 4: heap bytes per pending item at N=${nLabel} (medians)`,
      headers: ["contender", "bytes/item"],
      rows: [
        ...results.map((r, i) => [r.name, fmt(bytes[i]!)]),
        ["(reference) closures alone, in an array", fmt(closures)],
        ["(reference) closure + Effect.sync, in an array", fmt(effects)]
      ]
    }, {
      title: "Case 4: heap bytes per blocked item at N=1e4 (medians)",
      headers: ["contender", "bytes/item"],
      rows: blocked.map((r, i) => [r.name, fmt(blockedBytes[i]!)])
    }],
    notes: [
      "Case 4: bytes/item = heapUsed growth (after global.gc()) across a synchronous loop that builds and queues N items, divided by N; includes the item object each contender must hold.",
      "Case 4, blocked items: heapUsed growth (after global.gc()) from before queueing until all N=1e4 items have started and wait on a never-resolved Deferred (promise), divided by N; ours on 10 workqueues of maxActive 1000, each blocked item on its own worker fiber."
    ]
  }
}
