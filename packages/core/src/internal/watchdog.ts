/**
 * The workqueue watchdog (kernel `wq_watchdog_timer_fn`): reports a pool
 * that has pending work and has made no progress for longer than the
 * threshold, as a typed event (`WatchdogStall`) and a log line in the
 * kernel's words.
 *
 * Progress is a counter the pools bump when an item lands on an empty
 * worklist and when a worker starts an item (kernel `watchdog_ts` stamps);
 * the watchdog samples it every quarter threshold, so a stall is reported
 * between 1 and 1.25 thresholds after the last progress, at most once per
 * threshold per pool. Pools with an empty worklist are never reported (items
 * held back by max_active are not on the worklist).
 *
 * @internal
 */
import * as Effect from "effect/Effect"
import * as Runtime from "effect/Runtime"
import { PoolEvent } from "./events.js"
import * as List from "./list.js"
import type { WorkerPoolImpl } from "./pool.js"
import type { PoolsImpl } from "./pools.js"

interface Seen {
  progress: number
  at: number
  reportedAt: number
}

/** @internal start the watchdog timer (a no-op when the threshold is 0) */
export const startWatchdog = (pools: PoolsImpl): void => {
  const thresh = pools.config.watchdogThresholdMs
  if (thresh <= 0) return
  const seen = new Map<WorkerPoolImpl, Seen>()
  const tick = (): void => {
    const now = pools.clockNow()
    for (const pool of pools.allPools()) {
      const s = seen.get(pool)
      if (s === undefined || s.progress !== pool.progress || List.isEmpty(pool.worklist)) {
        seen.set(pool, { progress: pool.progress, at: now, reportedAt: s?.reportedAt ?? -Infinity })
        continue
      }
      const since = Math.max(s.at, pool.cpu >= 0 ? pools.touched[pool.cpu]! : pools.touchedGlobal)
      const stuck = now - since
      if (stuck > thresh && now - s.reportedAt >= thresh) {
        s.reportedAt = now
        const pending = List.size(pool.worklist)
        pools.emit(PoolEvent.WatchdogStall({ pool: pool.name, stuckMillis: stuck, pending }))
        const where = pool.cpu >= 0 ? `cpus=${pool.cpu}` : `cpus=${pool.cpumask.join(",")}`
        const nice = pool.bh ? `bh${pool.highpri ? "-hi" : ""}` : `nice=${pool.highpri ? -20 : 0}`
        Runtime.runFork(pools.runtime)(
          Effect.logError(
            `BUG: workqueue lockup - pool ${where} ${nice} (${pool.name}) stuck for ${
              Math.round(stuck / 1000)
            }s! (${pending} pending)`
          )
        )
      }
    }
    pools.watchdogTimer = pools.timer(thresh / 4, tick)
  }
  pools.watchdogTimer = pools.timer(thresh / 4, tick)
}
