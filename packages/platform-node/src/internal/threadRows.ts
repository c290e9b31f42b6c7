/**
 * The thread-CPU rows of the live monitor: one line per thread CPU, read
 * from that thread's own `wq_dump.py`-style text (`dump.ts`) and from the
 * front end's count of tasks in flight on it.
 *
 * Invariants:
 * - one row per thread CPU, in CPU order, whatever a thread answered (a
 *   thread that is down or silent shows its answer's first line instead of
 *   numbers);
 * - `workers`, `idle` and `running` are sums over the thread's pool lines;
 *   `tasks` counts what its busy workers run, by task name.
 *
 * @internal
 */

const pad = (s: string | number, n: number) => String(s).padStart(n)

/** @internal the header and rows under the rate table */
export const formatThreadRows = (
  dumps: ReadonlyArray<{ readonly cpu: number; readonly text: string }>,
  load: ReadonlyArray<number>
): string => {
  const header = `${"thread CPUs".padEnd(24)} ${pad("infl", 6)} ${pad("workers", 8)} ${pad("idle", 5)} ${
    pad("running", 8)
  }  tasks`
  const rows = [...dumps].sort((a, b) => a.cpu - b.cpu).map((d) => {
    let workers = 0
    let idle = 0
    let running = 0
    let pools = 0
    const tasks = new Map<string, number>()
    for (const line of d.text.split("\n")) {
      const pool = /^pool\[\d+\] .* workers (\d+) {2}idle (\d+) {2}running (\d+) /.exec(line)
      if (pool !== null) {
        pools++
        workers += Number(pool[1])
        idle += Number(pool[2])
        running += Number(pool[3])
        continue
      }
      const busy = /^ {2}\S+\s+.*?: (.+)$/.exec(line) // worker, workqueue, then the whole item name
      if (busy !== null) tasks.set(busy[1]!, (tasks.get(busy[1]!) ?? 0) + 1)
    }
    const name = `thread ${d.cpu}`.padEnd(24)
    if (pools === 0) return `${name} ${pad(load[d.cpu] ?? 0, 6)}  ${d.text.split("\n")[0] ?? ""}`
    const what = [...tasks].sort((a, b) => a[0].localeCompare(b[0])).map(([t, n]) => `${t} ${n}`).join(", ")
    return `${name} ${pad(load[d.cpu] ?? 0, 6)} ${pad(workers, 8)} ${pad(idle, 5)} ${pad(running, 8)}  ${
      what === "" ? "-" : what
    }`
  })
  return [header, ...rows].join("\n")
}
