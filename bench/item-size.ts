/**
 * Where case 4's bytes per pending `Work.make(Effect.sync(f))` go: each part
 * of a pending item measured alone, as heap growth per object over an array of
 * N of them (after `global.gc()`), minus the array's own 8-byte slot.
 *
 *   node --expose-gc --conditions=@cmwq/source --import tsx bench/item-size.ts [n]
 *
 * The parts:
 * - a closure (`() => counter++`, made by a factory as in case 4);
 * - an `Effect.sync` of a shared closure (the Effect object alone);
 * - a `Work` item of a shared Effect, never queued (the item object alone);
 * - the same items queued on a workqueue whose workers cannot run before the
 *   measurement (the item plus what the workqueue keeps per item), measured
 *   without an array, as case 4 measures;
 * - an Effect `Queue` entry of a shared Effect, offered with `unsafeOffer`.
 *
 * Case 4's rows are sums of these: ours = closure + Effect.sync + queued item;
 * the `Queue` row = closure + Effect.sync + queue entry.
 */
import { Effect, Queue } from "effect"
import { Work, Workqueue, WorkerPool } from "@cmwq/core"
import { gc } from "./lib.js"

const n = Number(process.argv[2] ?? 200_000)
let counter = 0
const incrementer = (): () => void => () => {
  counter++
}
const shared = incrementer()
const sharedEffect = Effect.sync(shared)

/** heap growth per object of an array of `n` made by `make`, minus the array's slot */
const inArray = (make: () => unknown): number => {
  gc()
  const h0 = process.memoryUsage().heapUsed
  const keep = new Array<unknown>(n)
  for (let i = 0; i < n; i++) keep[i] = make()
  gc()
  const bytes = (process.memoryUsage().heapUsed - h0) / n - 8
  if (keep.length !== n) throw new Error("lost the array")
  return bytes
}

/** heap growth per item of `build`, which must not yield */
const perItem = (build: () => void): number => {
  gc()
  const h0 = process.memoryUsage().heapUsed
  build()
  gc()
  return (process.memoryUsage().heapUsed - h0) / n
}

const queuedItem = (make: () => Work.Work): Promise<number> =>
  Effect.gen(function*() {
    const wq = yield* Workqueue.alloc("item-size")
    counter = 0
    const bytes = perItem(() => {
      for (let i = 0; i < n; i++) Workqueue.unsafeQueue(wq, make())
    })
    if (counter !== 0) throw new Error("an item ran while measuring")
    yield* Workqueue.flush(wq)
    if (counter !== n) throw new Error(`ran ${counter} of ${n}`)
    return bytes
  }).pipe(Effect.scoped, Effect.provide(WorkerPool.layer()), Effect.runPromise)

const queueEntry = async (): Promise<number> => {
  const queue = Effect.runSync(Queue.unbounded<Effect.Effect<void>>())
  const bytes = perItem(() => {
    for (let i = 0; i < n; i++) Queue.unsafeOffer(queue, sharedEffect)
  })
  await Effect.runPromise(Queue.shutdown(queue))
  return bytes
}

const main = async (): Promise<void> => {
  // one warm-up pass of each, so that the measured pass runs settled code
  const measure = async () => ({
    closure: inArray(incrementer),
    effectSync: inArray(() => Effect.sync(shared)),
    workItem: inArray(() => Work.make(sharedEffect)),
    queuedWorkMake: await queuedItem(() => Work.make(sharedEffect)),
    queuedWorkSync: await queuedItem(() => Work.sync(shared)),
    queueEntry: await queueEntry()
  })
  await measure()
  const r = await measure()
  const row = (label: string, bytes: number) => console.log(`${label.padEnd(58)} ${bytes.toFixed(1)} B`)
  console.log(`bytes per object, n = ${n}`)
  row("closure", r.closure)
  row("Effect.sync of a shared closure", r.effectSync)
  row("Work.make of a shared Effect, not queued", r.workItem)
  row("Work.make of a shared Effect, queued (item + workqueue)", r.queuedWorkMake)
  row("Work.sync of a shared closure, queued (item + workqueue)", r.queuedWorkSync)
  row("Effect Queue entry of a shared Effect", r.queueEntry)
  row("case 4's ours, as a sum (closure + Effect.sync + queued)", r.closure + r.effectSync + r.queuedWorkMake)
  row("case 4's Queue, as a sum (closure + Effect.sync + entry)", r.closure + r.effectSync + r.queueEntry)
}

void main()
