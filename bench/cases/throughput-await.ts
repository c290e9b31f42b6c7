/**
 * Case 2: throughput of items that await once, N = 10^5 (10^4 with --quick), in two variants.
 *
 * Items are built BEFORE timing, once per variant, and shared by every
 * contender (same scheme as case 1): item i has a closure `inc` (increments
 * the counter) and an async function `tasks[i] = async () => { await null;
 * inc() }` (one promise tick).
 * - variant "yieldNow": `effects[i] = Effect.yieldNow() *> Effect.sync(inc)`;
 * - variant "promise": `effects[i] = Effect.promise(tasks[i])`.
 * We queue `works[i] = Work.make(effects[i])`; Effect.forEach and the Effect
 * Queue run `effects[i]`. p-queue only runs promise functions, so in both
 * variants it runs `tasks[i]` (its one awaiting form), and the plain loop is
 * `for (...) await tasks[i]()` (one item after another, no queue).
 */
import { Effect } from "effect"
import { Work } from "@cmwq/core"
import type { CaseOptions, CaseResult, Row, Table } from "../lib.js"
import { type Items, throughputCase } from "./throughput-sync.js"

let counter = 0

// factories, not named closures in the loop (see `incrementer` in throughput-sync.ts)
/** a fresh closure that counts one item run (`counter`, read with `runs`) */
export const incrementer = (): () => void => () => {
  counter++
}
/** how many items the closures of `incrementer` counted */
export const runs = (): number => counter
/** `async () => { await null; inc() }`: one promise tick */
export const awaitingOnce = (inc: () => void): () => Promise<void> => async () => {
  await null
  inc()
}

const buildAwaitItems = (n: number, variant: "yieldNow" | "promise"): Items => {
  const tasks: Array<() => Promise<void>> = new Array(n)
  const effects: Array<Effect.Effect<void>> = new Array(n)
  const works: Array<Work.Work> = new Array(n)
  for (let i = 0; i < n; i++) {
    const inc = incrementer()
    const task = awaitingOnce(inc)
    tasks[i] = task
    effects[i] = variant === "yieldNow" ? Effect.zipRight(Effect.yieldNow(), Effect.sync(inc)) : Effect.promise(task)
    works[i] = Work.make(effects[i]!)
  }
  return {
    works,
    effects,
    tasks,
    plainLoop: async (count) => {
      for (let i = 0; i < count; i++) await tasks[i]!()
    },
    plainLoopName: "plain loop: await each async closure",
    awaiting: true,
    counter: () => counter,
    reset: () => {
      counter = 0
    }
  }
}

export const run = async (options: CaseOptions): Promise<CaseResult> => {
  const n = options.quick ? 10_000 : 100_000
  const rows: Array<Row> = []
  const tables: Array<Table> = []
  for (const variant of ["yieldNow", "promise"] as const) {
    const items = buildAwaitItems(n, variant)
    const result = await throughputCase(`2. items awaiting once (${variant})`, () => items, [n], options)
    rows.push(...result.rows)
    tables.push({ ...result.table, title: `Case 2 (${variant}): items that await once (medians)` })
  }
  return {
    rows,
    tables,
    notes: [
      "Case 2: p-queue and the plain loop always run `async () => { await null; inc() }` (their only awaiting form); the Effect contenders run Effect.yieldNow() then Effect.sync(inc), or Effect.promise of that same async function."
    ]
  }
}
