/**
 * Instructions per Effect-bodied item, counted by callgrind (independent of
 * machine load, unlike wall-clock time). The script queues N items whose body
 * is `Effect.promise` (mode `promise`) or `Effect.sync` (mode `sync`) on one
 * workqueue, from a fiber (`Workqueue.queue`) or without one
 * (`Workqueue.unsafeQueue`, mode suffix `-unsafe`), and flushes. Run it for
 * N = 0 and N = 100000; the difference of the two instruction counts divided
 * by N is the cost of one item:
 *
 *   valgrind --tool=callgrind --callgrind-out-file=/tmp/i0.out \
 *     node --conditions=@cmwq/source --import tsx bench/instructions.ts 0 promise
 *   valgrind --tool=callgrind --callgrind-out-file=/tmp/i1.out \
 *     node --conditions=@cmwq/source --import tsx bench/instructions.ts 100000 promise
 *
 * The optional third argument sets the tracing: `default` (Effect's native
 * tracer, which exports nothing: no tracer installed), `off`
 * (`Effect.withTracerEnabled(false)`) or `tracer` (a tracer that records
 * nothing but is not Effect's native one, so every item makes a span).
 * Bundling the script first (`npx esbuild bench/instructions.ts --bundle
 * --platform=node --format=esm --conditions=@cmwq/source --outfile=/tmp/i.mjs`,
 * then `node /tmp/i.mjs N`) takes tsx's compilation out of the count and
 * makes runs about 10 times shorter. `bench/results/instructions.json` holds
 * the rows measured so.
 */
import { Effect, Layer, Tracer } from "effect"
import { Work, WorkerPool, Workqueue } from "@cmwq/core"

const n = Number(process.argv[2] ?? "0")
const mode = process.argv[3] ?? "promise"
const tracing = process.argv[4] ?? "default"
const tracer = tracing === "tracer"

let counter = 0
const inc = (): void => {
  counter++
}
const resolved = (): Promise<void> => Promise.resolve().then(inc)

const works: Array<Work.Work> = new Array(n)
for (let i = 0; i < n; i++) {
  works[i] = Work.make(mode.startsWith("sync") ? Effect.sync(inc) : Effect.promise(resolved))
}

/** a tracer whose spans go nowhere, but which is not Effect's native tracer */
const silentTracer = Tracer.make({
  span: (name, parent, context, links, startTime, kind) => {
    const span: Tracer.Span = {
      _tag: "Span",
      name,
      spanId: "0",
      traceId: "0",
      parent,
      context,
      status: { _tag: "Started", startTime },
      attributes: new Map(),
      links,
      sampled: false,
      kind,
      end: () => {},
      attribute: () => {},
      event: () => {},
      addLinks: () => {}
    }
    return span
  },
  context: (f) => f()
})

const program = Effect.gen(function*() {
  const wq = yield* Workqueue.alloc("bench")
  if (mode.endsWith("-unsafe")) {
    for (let i = 0; i < n; i++) Workqueue.unsafeQueue(wq, works[i]!)
  } else {
    for (let i = 0; i < n; i++) yield* Workqueue.queue(wq, works[i]!)
  }
  yield* Workqueue.flush(wq)
}).pipe(Effect.scoped, Effect.provide(WorkerPool.layer()))

await Effect.runPromise(
  tracer
    ? Effect.provide(program, Layer.setTracer(silentTracer))
    : tracing === "off"
    ? Effect.withTracerEnabled(program, false)
    : program
)
if (counter !== n) throw new Error(`ran ${counter} of ${n} items`)
