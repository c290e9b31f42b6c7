/**
 * The `wq_dump.py`-style text of one thread's own pools: every pool
 * (`WorkerPool.snapshot`) with its workers and what each busy one runs, then
 * the `SYSFS` workqueues. `Monitor.dump` prints it for the main thread and
 * asks every thread CPU for its own (`threadMain.ts` answers with this, so
 * a thread does not load the queueing side's modules).
 *
 * @internal
 */
import { WorkerPool } from "@cmwq/core"
import * as Effect from "effect/Effect"

/** @internal */
export const poolsDump: Effect.Effect<string, never, WorkerPool.WorkerPools> = Effect.gen(function*() {
  const pools = yield* WorkerPool.snapshot
  const entries = yield* WorkerPool.sysfs
  const lines = ["Worker Pools", "============"]
  for (const p of pools) {
    const kind = p.bh ? " bh" : p.highpri ? " highpri" : ""
    const where = p.cpu < 0 ? "unbound" : `cpu ${p.cpu}`
    lines.push(
      `pool[${String(p.id).padStart(2, "0")}] ${
        p.name.padEnd(14)
      } ${where}${kind}  workers ${p.workers}  idle ${p.idle}  running ${p.running}  pending ${p.pending}`
    )
    for (const r of p.runningWork ?? []) lines.push(`  ${r.worker.padEnd(16)} ${r.workqueue}: ${r.work}`)
  }
  lines.push("", "Workqueue CPU -> pool (SYSFS workqueues)", "=======================================")
  if (entries.length === 0) lines.push("(none: allocate with the SYSFS flag to list a workqueue here)")
  for (const e of entries) {
    const attrs = e.perCpu
      ? "percpu"
      : `unbound cpumask ${e.cpumask?.join(",") ?? "all"} scope ${e.affinityScope ?? "default"}${
        e.affinityStrict === true ? " strict" : ""
      }`
    lines.push(`${e.name.padEnd(24)} max_active ${String(e.maxActive).padStart(4)}  ${attrs}`)
  }
  return lines.join("\n")
})
