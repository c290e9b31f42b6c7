/**
 * The kernel-named facade: kernel snippets ported line by line (the 2.6.36 conversion talk
 * legacy-to-cmwq conversions), the legacy constructors, the kernel's return
 * values, the system workqueues and the typed errors. Runs under virtual time.
 */
import { describe, expect, it } from "@effect/vitest"
import * as Clock from "effect/Clock"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import type * as Scope from "effect/Scope"
import { DelayedWork, SystemWorkqueues, type Work, WorkerPool, Workqueue, WorkqueueError } from "@cmwq/core"
import { VirtualTime } from "@cmwq/testing"
import { Kernel } from "@cmwq/core"
import { quiet } from "./helpers.js"

/** the facade's layer for tests: no fairness hand-back, no real-time CPU-intensive detection */
const testKernel = (options: WorkerPool.Options = {}) =>
  Kernel.layerWith({ fairnessBudget: 0, cpuIntensiveThreshold: 0, ...options })

/** run `program` with the facade's services and a scope, under virtual time */
const run = <A, E>(
  program: Effect.Effect<A, E, Kernel.Services | Scope.Scope>,
  options: WorkerPool.Options = {}
): A => VirtualTime.runSync(quiet(program.pipe(Effect.scoped, Effect.provide(testKernel(options)))))

const now = Clock.currentTimeMillis

/** the name of the worker running the current fiber */
const workerName = Effect.map(WorkerPool.currentWorker, (w) => Option.getOrThrow(w).name)

describe("Kernel", () => {
  describe("flags and constants", () => {
    it("sit at the kernel's bit positions and agree with Workqueue.FLAGS", () => {
      expect([
        Kernel.WQ_BH,
        Kernel.WQ_UNBOUND,
        Kernel.WQ_FREEZABLE,
        Kernel.WQ_MEM_RECLAIM,
        Kernel.WQ_HIGHPRI,
        Kernel.WQ_CPU_INTENSIVE,
        Kernel.WQ_SYSFS,
        Kernel.WQ_POWER_EFFICIENT,
        Kernel.WQ_PERCPU
      ]).toEqual(Workqueue.FLAGS.map((_, i) => 1 << i))
      expect(Workqueue.FLAGS).toEqual([
        "BH",
        "UNBOUND",
        "FREEZABLE",
        "MEM_RECLAIM",
        "HIGHPRI",
        "CPU_INTENSIVE",
        "SYSFS",
        "POWER_EFFICIENT",
        "PERCPU"
      ])
      expect(Kernel.WQ_MAX_ACTIVE).toBe(2048)
      expect(Kernel.WQ_DFL_ACTIVE).toBe(1024)
      expect(Kernel.WQ_UNBOUND_MAX_ACTIVE).toBe(2048)
      expect(Kernel.WQ_DFL_MIN_ACTIVE).toBe(8)
      expect(Kernel.WORK_BUSY_PENDING).toBe(1)
      expect(Kernel.WORK_BUSY_RUNNING).toBe(2)
      expect(Kernel.HZ).toBe(1000)
    })

    it("combine with | into the workqueue's flags", () => {
      const result = run(Effect.gen(function*() {
        const wq = yield* Kernel.alloc_workqueue(
          "combined",
          Kernel.WQ_UNBOUND | Kernel.WQ_FREEZABLE | Kernel.WQ_CPU_INTENSIVE | Kernel.WQ_SYSFS,
          4
        )
        const each: Array<ReadonlyArray<Workqueue.Flag>> = []
        for (let i = 0; i < Workqueue.FLAGS.length; i++) {
          each.push(Workqueue.flags(yield* Kernel.alloc_workqueue(`bit${i}`, 1 << i, 0)))
        }
        return { combined: Workqueue.flags(wq), maxActive: Workqueue.maxActive(wq), each }
      }))
      expect(result.combined).toEqual(["UNBOUND", "FREEZABLE", "CPU_INTENSIVE", "SYSFS"])
      expect(result.maxActive).toBe(4)
      // each bit alone; per-cpu unless unbound (BH is neither)
      expect(result.each).toEqual([
        ["BH"],
        ["UNBOUND"],
        ["FREEZABLE", "PERCPU"],
        ["MEM_RECLAIM", "PERCPU"],
        ["HIGHPRI", "PERCPU"],
        ["CPU_INTENSIVE", "PERCPU"],
        ["SYSFS", "PERCPU"],
        ["POWER_EFFICIENT", "PERCPU"],
        ["PERCPU"]
      ])
    })

    it("WQ_POWER_EFFICIENT is per-cpu unless the pools' powerEfficient option is on", () => {
      const program = Effect.gen(function*() {
        const wq = yield* Kernel.alloc_workqueue("pe", Kernel.WQ_POWER_EFFICIENT, 0)
        return { wq: Workqueue.flags(wq), system: Workqueue.flags(yield* Kernel.system_power_efficient_wq) }
      })
      expect(run(program)).toEqual({ wq: ["POWER_EFFICIENT", "PERCPU"], system: ["POWER_EFFICIENT", "PERCPU"] })
      expect(run(Effect.map(program, (r) => r.wq), { powerEfficient: true })).toEqual(["UNBOUND", "POWER_EFFICIENT"])
    })
  })

  describe("legacy-to-cmwq conversions from the 2.6.36 conversion talk, ported line by line", () => {
    it("asus-laptop: alloc_workqueue(\"led_workqueue\", 0, 0) runs LED items concurrently, flushed as a group", () => {
      const result = run(Effect.gen(function*() {
        const log: Array<string> = []
        // asus->led_workqueue = alloc_workqueue("led_workqueue", 0, 0);
        const led_workqueue = yield* Kernel.alloc_workqueue("led_workqueue", 0, 0)
        // INIT_WORK(&led->work, asus_led_set_brightness) for each asus_led
        const leds = ["mled", "tled", "rled"].map((name) =>
          Kernel.INIT_WORK(
            Effect.gen(function*() {
              log.push(`${name} start@${yield* now}`)
              yield* Effect.sleep(10) // the EC call blocks
              log.push(`${name} end@${yield* now}`)
            }),
            name
          )
        )
        // queue_work(asus->led_workqueue, &led->work);
        const queued: Array<boolean> = []
        for (const led of leds) queued.push(yield* Kernel.queue_work(led_workqueue, led))
        // flush_workqueue(asus->led_workqueue);
        yield* Kernel.flush_workqueue(led_workqueue)
        return {
          queued,
          log,
          at: yield* now,
          flags: Workqueue.flags(led_workqueue),
          maxActive: Workqueue.maxActive(led_workqueue),
          ordered: Workqueue.isOrdered(led_workqueue)
        }
      }))
      expect(result.queued).toEqual([true, true, true])
      expect(result.log).toEqual([
        "mled start@0",
        "tled start@0",
        "rled start@0",
        "mled end@10",
        "tled end@10",
        "rled end@10"
      ])
      expect(result.at).toBe(10)
      expect(result).toMatchObject({ flags: ["PERCPU"], maxActive: Kernel.WQ_DFL_ACTIVE, ordered: false })
    })

    it("dwc_eth_qos: alloc_workqueue(DRIVER_NAME, WQ_MEM_RECLAIM, 0) with its single work item", () => {
      const result = run(Effect.gen(function*() {
        const DRIVER_NAME = "dwceqos"
        let reinits = 0
        // lp->txtimeout_handler_wq = alloc_workqueue(DRIVER_NAME, WQ_MEM_RECLAIM, 0);
        const txtimeout_handler_wq = yield* Kernel.alloc_workqueue(DRIVER_NAME, Kernel.WQ_MEM_RECLAIM, 0)
        // INIT_WORK(&lp->txtimeout_reinit, dwceqos_reinit_for_txtimeout);
        const txtimeout_reinit = Kernel.INIT_WORK(Effect.sync(() => reinits++), "txtimeout_reinit")
        // dwceqos_tx_timeout(): queue_work(lp->txtimeout_handler_wq, &lp->txtimeout_reinit);
        const first = yield* Kernel.queue_work(txtimeout_handler_wq, txtimeout_reinit)
        const again = yield* Kernel.queue_work(txtimeout_handler_wq, txtimeout_reinit)
        const flushed = yield* Kernel.flush_work(txtimeout_reinit)
        return {
          first,
          again,
          flushed,
          reinits,
          flags: Workqueue.flags(txtimeout_handler_wq),
          maxActive: Workqueue.maxActive(txtimeout_handler_wq)
        }
      }))
      expect(result).toEqual({
        first: true,
        again: false, // already pending: the timeout is handled once
        flushed: true,
        reinits: 1,
        flags: ["MEM_RECLAIM", "PERCPU"],
        maxActive: Kernel.WQ_DFL_ACTIVE
      })
    })

    it("radeon: alloc_workqueue(\"radeon-crtc\", WQ_HIGHPRI, 0) runs the flip on a high-priority worker", () => {
      const result = run(Effect.gen(function*() {
        let ranOn = ""
        // radeon_crtc->flip_queue = alloc_workqueue("radeon-crtc", WQ_HIGHPRI, 0);
        const flip_queue = yield* Kernel.alloc_workqueue("radeon-crtc", Kernel.WQ_HIGHPRI, 0)
        // INIT_WORK(&work->flip_work, radeon_flip_work_func);
        const flip_work = Kernel.INIT_WORK(Effect.map(workerName, (name) => (ranOn = name)), "flip_work")
        // queue_work(radeon_crtc->flip_queue, &work->flip_work);
        const queued = yield* Kernel.queue_work(flip_queue, flip_work)
        yield* Kernel.flush_work(flip_work)
        return { queued, ranOn, flags: Workqueue.flags(flip_queue) }
      }))
      expect(result.queued).toBe(true)
      expect(result.ranOn).toMatch(/^kworker\/0:\d+H$/)
      expect(result.flags).toEqual(["HIGHPRI", "PERCPU"])
    })

    it("caif_hsi: alloc_ordered_workqueue(name, WQ_MEM_RECLAIM) never runs wake_up and wake_down together", () => {
      const result = run(Effect.gen(function*() {
        const log: Array<string> = []
        const step = (name: string) =>
          Effect.gen(function*() {
            log.push(`${name} start@${yield* now}`)
            yield* Effect.sleep(5)
            log.push(`${name} end@${yield* now}`)
          })
        // cfhsi->wq = alloc_ordered_workqueue(cfhsi->ndev->name, WQ_MEM_RECLAIM);
        const wq = yield* Kernel.alloc_ordered_workqueue("cfhsi0", Kernel.WQ_MEM_RECLAIM)
        // INIT_WORK(&cfhsi->wake_up_work, cfhsi_wake_up); INIT_WORK(&cfhsi->wake_down_work, cfhsi_wake_down);
        const wake_up_work = Kernel.INIT_WORK(step("wake_up"), "wake_up_work")
        const wake_down_work = Kernel.INIT_WORK(step("wake_down"), "wake_down_work")
        // queue_work(cfhsi->wq, &cfhsi->wake_up_work); queue_work(cfhsi->wq, &cfhsi->wake_down_work);
        yield* Kernel.queue_work(wq, wake_up_work)
        yield* Kernel.queue_work(wq, wake_down_work)
        yield* Kernel.flush_workqueue(wq)
        return {
          log,
          flags: Workqueue.flags(wq),
          maxActive: Workqueue.maxActive(wq),
          ordered: Workqueue.isOrdered(wq)
        }
      }))
      expect(result.log).toEqual(["wake_up start@0", "wake_up end@5", "wake_down start@5", "wake_down end@10"])
      expect(result).toMatchObject({ flags: ["UNBOUND", "MEM_RECLAIM"], maxActive: 1, ordered: true })
    })

    it("binder: schedule_work(&binder_deferred_work) queues on system_wq", () => {
      const result = run(Effect.gen(function*() {
        let deferred = 0
        const binder_deferred_work = Kernel.INIT_WORK(Effect.sync(() => deferred++), "binder_deferred_work")
        const system_wq = yield* Kernel.system_wq
        const before = yield* Workqueue.pendingCount(system_wq)
        // binder_defer_work(): schedule_work(&binder_deferred_work);
        const queued = yield* Kernel.schedule_work(binder_deferred_work)
        const again = yield* Kernel.schedule_work(binder_deferred_work)
        const onSystemWq = (yield* Workqueue.pendingCount(system_wq)) - before
        yield* Kernel.flush_work(binder_deferred_work)
        return { queued, again, onSystemWq, deferred }
      }))
      expect(result).toEqual({ queued: true, again: false, onSystemWq: 1, deferred: 1 })
    })

    it("octeon: schedule_delayed_work(&work, HZ) re-arms every second until cancel_delayed_work_sync", () => {
      const result = run(Effect.gen(function*() {
        const runs: Array<string> = []
        // the items re-arm themselves on system_wq; an item's effect needs no services, so hand it this one
        const services = yield* Effect.context<SystemWorkqueues.SystemWorkqueues>()
        const periodic = (name: string): DelayedWork.DelayedWork => {
          const dwork: DelayedWork.DelayedWork = Kernel.INIT_DELAYED_WORK(
            Effect.gen(function*() {
              runs.push(`${name}@${yield* now}`)
              // schedule_delayed_work(&cvm_oct_rx_refill_work, HZ);
              yield* Kernel.schedule_delayed_work(dwork, Kernel.HZ)
            }).pipe(Effect.provide(services)),
            name
          )
          return dwork
        }
        const cvm_oct_rx_refill_work = periodic("rx_refill")
        const port_periodic_work = periodic("port_periodic")
        // schedule_delayed_work(&cvm_oct_rx_refill_work, HZ);
        // schedule_delayed_work(&priv->port_periodic_work, HZ);
        const armed = [
          yield* Kernel.schedule_delayed_work(cvm_oct_rx_refill_work, Kernel.HZ),
          yield* Kernel.schedule_delayed_work(port_periodic_work, Kernel.HZ)
        ]
        yield* Effect.sleep(Duration.millis(2500))
        // exit path: cancel_delayed_work_sync(&cvm_oct_rx_refill_work);
        //            cancel_delayed_work_sync(&priv->port_periodic_work);
        const cancelled = [
          yield* Kernel.cancel_delayed_work_sync(cvm_oct_rx_refill_work),
          yield* Kernel.cancel_delayed_work_sync(port_periodic_work)
        ]
        yield* Effect.sleep(Duration.seconds(5))
        const pending = [
          yield* Kernel.delayed_work_pending(cvm_oct_rx_refill_work),
          yield* Kernel.delayed_work_pending(port_periodic_work)
        ]
        return { armed, cancelled, pending, runs }
      }))
      expect(result.armed).toEqual([true, true])
      expect(result.cancelled).toEqual([true, true]) // both timers were armed
      expect(result.pending).toEqual([false, false])
      expect(result.runs).toEqual(["rx_refill@1000", "port_periodic@1000", "rx_refill@2000", "port_periodic@2000"])
    })

    it("ttm: queue_work(system_long_wq, &glob->work) then flush_work(&glob->work)", () => {
      const result = run(Effect.gen(function*() {
        let ranOn = ""
        // INIT_WORK(&glob->work, ttm_shrink_work);
        const work = Kernel.INIT_WORK(
          Effect.gen(function*() {
            ranOn = yield* workerName
            yield* Effect.sleep(100) // waits for the GPU
          }),
          "ttm_shrink_work"
        )
        const system_long_wq = yield* Kernel.system_long_wq
        const queued = yield* Kernel.queue_work(system_long_wq, work)
        // ttm_mem_global_release(): flush_work(&glob->work);
        const waited = yield* Kernel.flush_work(work)
        return { queued, waited, at: yield* now, ranOn, name: system_long_wq.name }
      }))
      expect(result).toMatchObject({ queued: true, waited: true, at: 100, name: "events_long" })
      expect(result.ranOn).toMatch(/^kworker\/0:\d+$/)
    })
  })

  describe("legacy API", () => {
    it("create_workqueue(name) = alloc_workqueue(name, __WQ_LEGACY | WQ_MEM_RECLAIM, 1), per-cpu", () => {
      const result = run(Effect.gen(function*() {
        const wq = yield* Kernel.create_workqueue("legacy")
        const log: Array<string> = []
        for (const name of ["a", "b"]) {
          yield* Kernel.queue_work(
            wq,
            Kernel.INIT_WORK(Effect.gen(function*() {
              log.push(`${name}@${yield* now}`)
              yield* Effect.sleep(10)
            }))
          )
        }
        yield* Kernel.flush_workqueue(wq)
        return { flags: Workqueue.flags(wq), maxActive: Workqueue.maxActive(wq), ordered: Workqueue.isOrdered(wq), log }
      }))
      expect(result).toEqual({
        flags: ["MEM_RECLAIM", "PERCPU"],
        maxActive: 1,
        ordered: false,
        log: ["a@0", "b@10"] // max_active 1 on the CPU
      })
    })

    it("create_singlethread_workqueue(name) = alloc_ordered_workqueue(name, __WQ_LEGACY | WQ_MEM_RECLAIM)", () => {
      const result = run(Effect.gen(function*() {
        const legacy = yield* Kernel.create_singlethread_workqueue("single")
        const modern = yield* Kernel.alloc_ordered_workqueue("ordered", Kernel.WQ_MEM_RECLAIM)
        const describe = (wq: Workqueue.Workqueue) => ({
          flags: Workqueue.flags(wq),
          maxActive: Workqueue.maxActive(wq),
          ordered: Workqueue.isOrdered(wq)
        })
        return { legacy: describe(legacy), modern: describe(modern) }
      }))
      expect(result.legacy).toEqual({ flags: ["UNBOUND", "MEM_RECLAIM"], maxActive: 1, ordered: true })
      expect(result.modern).toEqual(result.legacy)
    })

    it(
      "create_freezable_workqueue(name) = alloc_workqueue(name, __WQ_LEGACY | WQ_FREEZABLE | WQ_UNBOUND |"
        + " WQ_MEM_RECLAIM, 1)",
      () => {
        const result = run(Effect.gen(function*() {
          const wq = yield* Kernel.create_freezable_workqueue("freezable")
          let ran = false
          const work = Kernel.INIT_WORK(Effect.sync(() => (ran = true)))
          yield* Kernel.freeze_workqueues_begin()
          yield* Kernel.queue_work(wq, work)
          yield* Effect.sleep(10)
          const ranWhileFrozen = ran
          yield* Kernel.thaw_workqueues()
          yield* Kernel.flush_work(work)
          return {
            flags: Workqueue.flags(wq),
            maxActive: Workqueue.maxActive(wq),
            ordered: Workqueue.isOrdered(wq),
            ranWhileFrozen,
            ran
          }
        }))
        expect(result).toEqual({
          flags: ["UNBOUND", "FREEZABLE", "MEM_RECLAIM"],
          maxActive: 1,
          ordered: false, // current kernels no longer make unbound max_active-1 workqueues implicitly ordered
          ranWhileFrozen: false,
          ran: true
        })
      }
    )

    it("the legacy bit exempts a WQ_MEM_RECLAIM workqueue's items from the flush-dependency warning", () => {
      const events: Array<WorkerPool.Event> = []
      run(
        Effect.gen(function*() {
          const plain = yield* Kernel.alloc_workqueue("plain", 0, 0)
          const legacy = yield* Kernel.create_workqueue("legacy")
          const reclaim = yield* Kernel.alloc_workqueue("reclaim", Kernel.WQ_MEM_RECLAIM, 1)
          for (const wq of [legacy, reclaim]) {
            const work = Kernel.INIT_WORK(Kernel.flush_workqueue(plain))
            yield* Kernel.queue_work(wq, work)
            yield* Kernel.flush_work(work)
          }
        }),
        { observer: (event) => events.push(event) }
      )
      expect(events.filter((e) => e._tag === "FlushDependency")).toEqual([
        expect.objectContaining({ flusher: "reclaim", target: "plain" })
      ])
    })
  })

  describe("return values", () => {
    it("queue_work: true when queued, false while pending; PENDING clears when the item starts", () => {
      const result = run(Effect.gen(function*() {
        const wq = yield* Kernel.alloc_workqueue("wq", 0, 0)
        let runs = 0
        const work = Kernel.INIT_WORK(Effect.zipRight(Effect.sync(() => runs++), Effect.sleep(10)))
        const first = yield* Kernel.queue_work(wq, work)
        const whilePending = yield* Kernel.queue_work(wq, work)
        yield* Effect.sleep(1) // running now, no longer pending
        const whileRunning = yield* Kernel.queue_work(wq, work)
        yield* Kernel.flush_work(work)
        return { first, whilePending, whileRunning, runs }
      }))
      expect(result).toEqual({ first: true, whilePending: false, whileRunning: true, runs: 2 })
    })

    it("flush_work: false for a never-queued or idle item, true when it waited", () => {
      const result = run(Effect.gen(function*() {
        const wq = yield* Kernel.alloc_workqueue("wq", 0, 0)
        const work = Kernel.INIT_WORK(Effect.sleep(10))
        const never = yield* Kernel.flush_work(work)
        yield* Kernel.queue_work(wq, work)
        const waited = yield* Kernel.flush_work(work)
        const at = yield* now
        const idle = yield* Kernel.flush_work(work)
        return { never, waited, at, idle }
      }))
      expect(result).toEqual({ never: false, waited: true, at: 10, idle: false })
    })

    it("cancel_work and cancel_work_sync: true for a pending item (then never run), false for an idle one", () => {
      const result = run(Effect.gen(function*() {
        const wq = yield* Kernel.alloc_workqueue("wq", 0, 0)
        let runs = 0
        const a = Kernel.INIT_WORK(Effect.sync(() => runs++))
        const b = Kernel.INIT_WORK(Effect.sync(() => runs++))
        yield* Kernel.queue_work(wq, a)
        yield* Kernel.queue_work(wq, b)
        const cancelled = [yield* Kernel.cancel_work(a), yield* Kernel.cancel_work_sync(b)]
        const idle = [yield* Kernel.cancel_work(a), yield* Kernel.cancel_work_sync(b)]
        yield* Kernel.flush_workqueue(wq)
        return { cancelled, idle, runs, pending: yield* Kernel.work_pending(a) }
      }))
      expect(result).toEqual({ cancelled: [true, true], idle: [false, false], runs: 0, pending: false })
    })

    it("cancel_work_sync waits for a running instance and returns false (it was not pending)", () => {
      const result = run(Effect.gen(function*() {
        const wq = yield* Kernel.alloc_workqueue("wq", 0, 0)
        const work = Kernel.INIT_WORK(Effect.sleep(10))
        yield* Kernel.queue_work(wq, work)
        yield* Effect.sleep(1)
        const wasPending = yield* Kernel.cancel_work_sync(work)
        return { wasPending, at: yield* now, busy: yield* Kernel.work_busy(work) }
      }))
      expect(result).toEqual({ wasPending: false, at: 10, busy: 0 })
    })

    it("queue_delayed_work keeps the deadline of a pending item; mod_delayed_work moves it", () => {
      const result = run(Effect.gen(function*() {
        const wq = yield* Kernel.alloc_workqueue("wq", 0, 0)
        const ranAt: Array<number> = []
        const dwork = Kernel.INIT_DELAYED_WORK(Effect.flatMap(now, (t) => Effect.sync(() => ranAt.push(t))))
        const queued = yield* Kernel.queue_delayed_work(wq, dwork, 100)
        const again = yield* Kernel.queue_delayed_work(wq, dwork, Duration.millis(500))
        const expiresAfterQueue = Option.getOrNull(DelayedWork.expires(dwork))
        const modPending = yield* Kernel.mod_delayed_work(wq, dwork, 300)
        const expiresAfterMod = Option.getOrNull(DelayedWork.expires(dwork))
        yield* Effect.sleep(400)
        const modIdle = yield* Kernel.mod_delayed_work(wq, dwork, 0) // 0: queue at once
        yield* Kernel.flush_work(dwork)
        return { queued, again, expiresAfterQueue, modPending, expiresAfterMod, modIdle, ranAt }
      }))
      expect(result).toEqual({
        queued: true,
        again: false,
        expiresAfterQueue: 100,
        modPending: true,
        expiresAfterMod: 300,
        modIdle: false,
        ranAt: [300, 400]
      })
    })

    it("cancel_delayed_work: true while the timer is armed, then false; the item never runs", () => {
      const result = run(Effect.gen(function*() {
        const wq = yield* Kernel.alloc_workqueue("wq", 0, 0)
        let runs = 0
        const dwork = Kernel.INIT_DELAYED_WORK(Effect.sync(() => runs++))
        yield* Kernel.queue_delayed_work(wq, dwork, Kernel.HZ)
        const pendingBefore = yield* Kernel.delayed_work_pending(dwork)
        const first = yield* Kernel.cancel_delayed_work(dwork)
        const second = yield* Kernel.cancel_delayed_work(dwork)
        yield* Effect.sleep(2 * Kernel.HZ)
        return { pendingBefore, first, second, runs, pendingAfter: yield* Kernel.delayed_work_pending(dwork) }
      }))
      expect(result).toEqual({ pendingBefore: true, first: true, second: false, runs: 0, pendingAfter: false })
    })

    it("flush_delayed_work queues an armed item at once and waits for it (true); idle: false", () => {
      const result = run(Effect.gen(function*() {
        const wq = yield* Kernel.alloc_workqueue("wq", 0, 0)
        const ranAt: Array<number> = []
        const dwork = Kernel.INIT_DELAYED_WORK(Effect.flatMap(now, (t) => Effect.sync(() => ranAt.push(t))))
        yield* Kernel.queue_delayed_work(wq, dwork, Kernel.HZ)
        const waited = yield* Kernel.flush_delayed_work(dwork)
        const idle = yield* Kernel.flush_delayed_work(dwork)
        yield* Effect.sleep(2 * Kernel.HZ)
        return { waited, idle, ranAt }
      }))
      expect(result).toEqual({ waited: true, idle: false, ranAt: [0] })
    })

    it("disable_work/enable_work count a depth; enable_and_queue_work queues when it reaches 0", () => {
      const result = run(Effect.gen(function*() {
        const wq = yield* Kernel.alloc_workqueue("wq", 0, 0)
        let runs = 0
        const work = Kernel.INIT_WORK(Effect.sync(() => runs++))
        const queued = yield* Kernel.queue_work(wq, work)
        const disabledPending = yield* Kernel.disable_work(work) // cancels the pending instance
        const disabledAgain = yield* Kernel.disable_work(work) // depth 2
        const queueDisabled = yield* Kernel.queue_work(wq, work)
        const enabledTo1 = yield* Kernel.enable_and_queue_work(wq, work) // depth 1: still disabled
        const pendingAt1 = yield* Kernel.work_pending(work)
        const enabledTo0 = yield* Kernel.enable_and_queue_work(wq, work) // depth 0: queued
        const pendingAt0 = yield* Kernel.work_pending(work)
        yield* Kernel.flush_work(work)
        // enable_work alone: true when the depth reaches 0
        yield* Kernel.disable_work(work)
        const enable = yield* Kernel.enable_work(work)
        return {
          queued,
          disabledPending,
          disabledAgain,
          queueDisabled,
          enabledTo1,
          pendingAt1,
          enabledTo0,
          pendingAt0,
          enable,
          runs
        }
      }))
      expect(result).toEqual({
        queued: true,
        disabledPending: true,
        disabledAgain: false,
        queueDisabled: false,
        enabledTo1: false,
        pendingAt1: false,
        enabledTo0: true,
        pendingAt0: true,
        enable: true,
        runs: 1
      })
    })

    it("disable_work_sync waits for a running instance; disable/enable_delayed_work stop, re-allow the timer", () => {
      const result = run(Effect.gen(function*() {
        const wq = yield* Kernel.alloc_workqueue("wq", 0, 0)
        const work = Kernel.INIT_WORK(Effect.sleep(10))
        yield* Kernel.queue_work(wq, work)
        yield* Effect.sleep(1)
        const syncResult = yield* Kernel.disable_work_sync(work)
        const syncAt = yield* now
        let runs = 0
        const dwork = Kernel.INIT_DELAYED_WORK(Effect.sync(() => runs++))
        yield* Kernel.queue_delayed_work(wq, dwork, 100)
        const disabled = yield* Kernel.disable_delayed_work(dwork)
        const queueWhileDisabled = yield* Kernel.queue_delayed_work(wq, dwork, 100)
        const enabled = yield* Kernel.enable_delayed_work(dwork)
        yield* Effect.sleep(200)
        const runsAfterDisable = runs
        yield* Kernel.queue_delayed_work(wq, dwork, 100)
        const disabledSync = yield* Kernel.disable_delayed_work_sync(dwork)
        return { syncResult, syncAt, disabled, queueWhileDisabled, enabled, runsAfterDisable, disabledSync }
      }))
      expect(result).toEqual({
        syncResult: false,
        syncAt: 10,
        disabled: true,
        queueWhileDisabled: false,
        enabled: true,
        runsAfterDisable: 0,
        disabledSync: true
      })
    })

    it("work_busy: 0 idle, PENDING while queued, RUNNING while running, both when queued again while running", () => {
      const result = run(Effect.gen(function*() {
        const wq = yield* Kernel.alloc_workqueue("wq", 0, 0)
        const inside: Array<unknown> = []
        const work: Work.Work = Kernel.INIT_WORK(Effect.gen(function*() {
          inside.push(yield* Kernel.work_busy(work), (yield* Kernel.current_work()) === work)
          yield* Effect.sleep(10)
        }))
        const idle = yield* Kernel.work_busy(work)
        yield* Kernel.queue_work(wq, work)
        const pending = yield* Kernel.work_busy(work)
        yield* Effect.sleep(1)
        const running = yield* Kernel.work_busy(work)
        yield* Kernel.queue_work(wq, work)
        const both = yield* Kernel.work_busy(work)
        yield* Kernel.flush_work(work)
        const done = yield* Kernel.work_busy(work)
        return { idle, pending, running, both, done, inside, outside: yield* Kernel.current_work() }
      }))
      expect(result).toEqual({
        idle: 0,
        pending: Kernel.WORK_BUSY_PENDING,
        running: Kernel.WORK_BUSY_RUNNING,
        both: Kernel.WORK_BUSY_PENDING | Kernel.WORK_BUSY_RUNNING,
        done: 0,
        inside: [Kernel.WORK_BUSY_RUNNING, true, Kernel.WORK_BUSY_RUNNING, true],
        outside: null
      })
    })

    it("queue_work_on, queue_delayed_work_on, schedule_work_on, schedule_delayed_work_on: the CPU asked for", () => {
      const result = run(
        Effect.gen(function*() {
          const wq = yield* Kernel.alloc_workqueue("wq", 0, 0)
          const cpus: Array<number> = []
          const record = Effect.map(WorkerPool.currentWorker, (w) => cpus.push(Option.getOrThrow(w).cpu))
          const onCpu = () => Kernel.INIT_WORK(record)
          const onCpuDelayed = () => Kernel.INIT_DELAYED_WORK(record)
          const a = onCpu(), b = onCpuDelayed(), c = onCpu(), d = onCpuDelayed(), e = onCpuDelayed()
          const queued = [
            yield* Kernel.queue_work_on(1, wq, a),
            yield* Kernel.queue_delayed_work_on(1, wq, b, 10),
            yield* Kernel.schedule_work_on(1, c),
            yield* Kernel.schedule_delayed_work_on(1, d, 20),
            yield* Kernel.mod_delayed_work_on(1, wq, e, 30)
          ]
          yield* Effect.sleep(50)
          for (const w of [a, b, c, d, e]) yield* Kernel.flush_work(w)
          return { queued, cpus }
        }),
        { cpus: 2 }
      )
      expect(result).toEqual({ queued: [true, true, true, true, false], cpus: [1, 1, 1, 1, 1] })
    })

    it("workqueue_set_max_active: raising it starts waiting items at once", () => {
      const result = run(Effect.gen(function*() {
        const wq = yield* Kernel.alloc_workqueue("wq", 0, 1)
        const started: Array<string> = []
        for (const name of ["a", "b", "c"]) {
          yield* Kernel.queue_work(
            wq,
            Kernel.INIT_WORK(Effect.gen(function*() {
              started.push(`${name}@${yield* now}`)
              yield* Effect.sleep(10)
            }))
          )
        }
        yield* Effect.sleep(1)
        yield* Kernel.workqueue_set_max_active(wq, 3)
        yield* Kernel.flush_workqueue(wq)
        return { started, maxActive: Workqueue.maxActive(wq) }
      }))
      expect(result).toEqual({ started: ["a@0", "b@1", "c@1"], maxActive: 3 })
    })

    it("drain_workqueue waits for chained requeues too", () => {
      const result = run(Effect.gen(function*() {
        const wq = yield* Kernel.alloc_workqueue("wq", 0, 0)
        let runs = 0
        const work: Work.Work = Kernel.INIT_WORK(Effect.gen(function*() {
          runs++
          yield* Effect.sleep(5)
          if (runs < 3) yield* Kernel.queue_work(wq, work)
        }))
        yield* Kernel.queue_work(wq, work)
        yield* Kernel.drain_workqueue(wq)
        return { runs, at: yield* now }
      }))
      expect(result).toEqual({ runs: 3, at: 15 })
    })

    it("freeze_workqueues_begin / freeze_workqueues_busy / thaw_workqueues on system_freezable_wq", () => {
      const result = run(Effect.gen(function*() {
        const freezable = yield* Kernel.system_freezable_wq
        const system_wq = yield* Kernel.system_wq
        const log: Array<string> = []
        const item = (name: string, ms: number) =>
          Kernel.INIT_WORK(Effect.gen(function*() {
            yield* Effect.sleep(ms)
            log.push(`${name}@${yield* now}`)
          }))
        yield* Kernel.queue_work(freezable, item("running", 10))
        yield* Effect.sleep(1)
        yield* Kernel.freeze_workqueues_begin()
        const busyAtFreeze = yield* Kernel.freeze_workqueues_busy()
        yield* Kernel.queue_work(freezable, item("held", 0))
        yield* Kernel.queue_work(system_wq, item("unfrozen", 0))
        yield* Effect.sleep(20)
        const busySettled = yield* Kernel.freeze_workqueues_busy()
        yield* Kernel.thaw_workqueues()
        yield* Kernel.flush_workqueue(freezable)
        return { busyAtFreeze, busySettled, log }
      }))
      expect(result).toEqual({
        busyAtFreeze: true,
        busySettled: false,
        log: ["unfrozen@1", "running@10", "held@21"] // held back until the thaw at 21
      })
    })

    it("destroy_workqueue drains, then further queueing fails; destroying twice is a no-op", () => {
      const result = run(Effect.gen(function*() {
        const wq = yield* Kernel.alloc_workqueue("wq", 0, 0)
        let runs = 0
        yield* Kernel.queue_work(wq, Kernel.INIT_WORK(Effect.zipRight(Effect.sleep(10), Effect.sync(() => runs++))))
        yield* Kernel.destroy_workqueue(wq)
        const at = yield* now
        yield* Kernel.destroy_workqueue(wq)
        return { runs, at, destroyed: Workqueue.isDestroyed(wq) }
      }))
      expect(result).toEqual({ runs: 1, at: 10, destroyed: true })
    })
  })

  describe("system workqueues", () => {
    it("each Effect returns the system workqueue with the kernel's name and flags", () => {
      const result = run(Effect.gen(function*() {
        const system = yield* SystemWorkqueues.SystemWorkqueues
        const wqs = {
          system_wq: yield* Kernel.system_wq,
          system_percpu_wq: yield* Kernel.system_percpu_wq,
          system_highpri_wq: yield* Kernel.system_highpri_wq,
          system_long_wq: yield* Kernel.system_long_wq,
          system_unbound_wq: yield* Kernel.system_unbound_wq,
          system_dfl_wq: yield* Kernel.system_dfl_wq,
          system_freezable_wq: yield* Kernel.system_freezable_wq,
          system_power_efficient_wq: yield* Kernel.system_power_efficient_wq,
          system_freezable_power_efficient_wq: yield* Kernel.system_freezable_power_efficient_wq,
          system_bh_wq: yield* Kernel.system_bh_wq,
          system_bh_highpri_wq: yield* Kernel.system_bh_highpri_wq
        }
        const same = Object.entries(wqs).every(([key, wq]) => system[key as keyof typeof system] === wq)
        return {
          same,
          percpuIsSystemWq: wqs.system_percpu_wq === wqs.system_wq,
          dflIsUnbound: wqs.system_dfl_wq === wqs.system_unbound_wq,
          described: Object.fromEntries(
            Object.entries(wqs).map(([key, wq]) => [
              key,
              { name: wq.name, flags: Workqueue.flags(wq), maxActive: Workqueue.maxActive(wq) }
            ])
          )
        }
      }))
      expect(result.same).toBe(true)
      expect(result.percpuIsSystemWq).toBe(true)
      expect(result.dflIsUnbound).toBe(true)
      const dfl = Kernel.WQ_DFL_ACTIVE
      const bhMax = 0x7fffffff // BH workqueues get INT_MAX
      expect(result.described).toEqual({
        system_wq: { name: "events", flags: ["PERCPU"], maxActive: dfl },
        system_percpu_wq: { name: "events", flags: ["PERCPU"], maxActive: dfl },
        system_highpri_wq: { name: "events_highpri", flags: ["HIGHPRI", "PERCPU"], maxActive: dfl },
        system_long_wq: { name: "events_long", flags: ["PERCPU"], maxActive: dfl },
        system_unbound_wq: { name: "events_unbound", flags: ["UNBOUND"], maxActive: Kernel.WQ_MAX_ACTIVE },
        system_dfl_wq: { name: "events_unbound", flags: ["UNBOUND"], maxActive: Kernel.WQ_MAX_ACTIVE },
        system_freezable_wq: { name: "events_freezable", flags: ["FREEZABLE", "PERCPU"], maxActive: dfl },
        system_power_efficient_wq: {
          name: "events_power_efficient",
          flags: ["POWER_EFFICIENT", "PERCPU"],
          maxActive: dfl
        },
        system_freezable_power_efficient_wq: {
          name: "events_freezable_pwr_efficient",
          flags: ["FREEZABLE", "POWER_EFFICIENT", "PERCPU"],
          maxActive: dfl
        },
        system_bh_wq: { name: "events_bh", flags: ["BH", "PERCPU"], maxActive: bhMax },
        system_bh_highpri_wq: { name: "events_bh_highpri", flags: ["BH", "HIGHPRI", "PERCPU"], maxActive: bhMax }
      })
    })

    it("items queued on each system workqueue run", () => {
      const result = run(Effect.gen(function*() {
        const ran: Array<string> = []
        for (
          const wq of [
            Kernel.system_wq,
            Kernel.system_highpri_wq,
            Kernel.system_long_wq,
            Kernel.system_unbound_wq,
            Kernel.system_freezable_wq,
            Kernel.system_power_efficient_wq,
            Kernel.system_freezable_power_efficient_wq,
            Kernel.system_bh_wq,
            Kernel.system_bh_highpri_wq
          ]
        ) {
          const target = yield* wq
          const work = Kernel.INIT_WORK(Effect.sync(() => ran.push(target.name)))
          yield* Kernel.queue_work(target, work)
          yield* Kernel.flush_work(work)
        }
        const scheduled = Kernel.INIT_WORK(Effect.sync(() => ran.push("scheduled")))
        yield* Kernel.schedule_work(scheduled)
        yield* Kernel.flush_scheduled_work()
        return ran
      }))
      expect(result).toEqual([
        "events",
        "events_highpri",
        "events_long",
        "events_unbound",
        "events_freezable",
        "events_power_efficient",
        "events_freezable_pwr_efficient",
        "events_bh",
        "events_bh_highpri",
        "scheduled"
      ])
    })
  })

  describe("typed errors", () => {
    const failure = <A, E>(program: Effect.Effect<A, E, Kernel.Services | Scope.Scope>, options?: WorkerPool.Options) =>
      run(Effect.flip(program), options)

    it("alloc_workqueue: a negative, fractional or too large max_active fails with InvalidMaxActive", () => {
      for (const max_active of [-1, 1.5, Kernel.WQ_MAX_ACTIVE + 1]) {
        const error = failure(Kernel.alloc_workqueue("bad", 0, max_active))
        expect(error, String(max_active)).toBeInstanceOf(WorkqueueError.InvalidMaxActive)
        expect(error).toMatchObject({ workqueue: "bad", maxActive: max_active })
      }
    })

    it("alloc_workqueue: bits outside WQ_BH..WQ_PERCPU fail with InvalidFlags naming them", () => {
      const unknown = failure(Kernel.alloc_workqueue("bad", Kernel.WQ_HIGHPRI | (1 << 9), 0))
      expect(unknown).toBeInstanceOf(WorkqueueError.InvalidFlags)
      expect(unknown).toMatchObject({ workqueue: "bad", flags: ["WQ_HIGHPRI", "1<<9"] })
      expect((unknown as WorkqueueError.InvalidFlags).reason).toContain("unknown flag bit 1<<9 (0x200)")

      const internal = failure(Kernel.alloc_workqueue("bad", (1 << 17) | (1 << 18) | (1 << 31), 0))
      expect(internal).toMatchObject({ flags: ["__WQ_ORDERED", "__WQ_LEGACY", "1<<31"] })
      expect((internal as WorkqueueError.InvalidFlags).reason).toContain("__WQ_ORDERED | __WQ_LEGACY | 1<<31")

      for (const flags of [0.5, Number.NaN, 2 ** 32]) {
        expect(failure(Kernel.alloc_workqueue("bad", flags, 0)), String(flags)).toBeInstanceOf(
          WorkqueueError.InvalidFlags
        )
      }
    })

    it("alloc_workqueue: combinations the kernel refuses fail with InvalidFlags; BH must pass max_active 0", () => {
      expect(run(Effect.map(Kernel.alloc_workqueue("bh", Kernel.WQ_BH | Kernel.WQ_HIGHPRI, 0), Workqueue.flags)))
        .toEqual(["BH", "HIGHPRI"])
      for (
        const [flags, max_active] of [
          [Kernel.WQ_BH, 1],
          [Kernel.WQ_BH | Kernel.WQ_UNBOUND, 0],
          [Kernel.WQ_UNBOUND | Kernel.WQ_PERCPU, 0]
        ] as const
      ) {
        expect(failure(Kernel.alloc_workqueue("bad", flags, max_active)), `${flags}/${max_active}`).toBeInstanceOf(
          WorkqueueError.InvalidFlags
        )
      }
      for (const flags of [Kernel.WQ_PERCPU, Kernel.WQ_SYSFS, Kernel.WQ_BH, 1 << 12]) {
        expect(failure(Kernel.alloc_ordered_workqueue("bad", flags)), String(flags)).toBeInstanceOf(
          WorkqueueError.InvalidFlags
        )
      }
    })

    it("queueing on a destroyed workqueue fails with WorkqueueDestroyed", () => {
      const errors = run(Effect.gen(function*() {
        const wq = yield* Kernel.alloc_workqueue("gone", 0, 0)
        yield* Kernel.destroy_workqueue(wq)
        return [
          yield* Effect.flip(Kernel.queue_work(wq, Kernel.INIT_WORK(Effect.void))),
          yield* Effect.flip(Kernel.queue_work_on(0, wq, Kernel.INIT_WORK(Effect.void))),
          yield* Effect.flip(Kernel.queue_delayed_work(wq, Kernel.INIT_DELAYED_WORK(Effect.void), 10)),
          yield* Effect.flip(Kernel.mod_delayed_work(wq, Kernel.INIT_DELAYED_WORK(Effect.void), 10))
        ]
      }))
      for (const error of errors) {
        expect(error).toBeInstanceOf(WorkqueueError.WorkqueueDestroyed)
        expect(error).toMatchObject({ workqueue: "gone" })
      }
    })

    it("workqueue_set_max_active: InvalidOperation on ordered/BH, InvalidMaxActive outside 1..WQ_MAX_ACTIVE", () => {
      const result = run(Effect.gen(function*() {
        const ordered = yield* Kernel.alloc_ordered_workqueue("ordered", 0)
        const bh = yield* Kernel.system_bh_wq
        const wq = yield* Kernel.alloc_workqueue("wq", 0, 4)
        return {
          ordered: yield* Effect.flip(Kernel.workqueue_set_max_active(ordered, 4)),
          bh: yield* Effect.flip(Kernel.workqueue_set_max_active(bh, 4)),
          zero: yield* Effect.flip(Kernel.workqueue_set_max_active(wq, 0)),
          negative: yield* Effect.flip(Kernel.workqueue_set_max_active(wq, -1)),
          tooLarge: yield* Effect.flip(Kernel.workqueue_set_max_active(wq, Kernel.WQ_MAX_ACTIVE + 1)),
          unchanged: [Workqueue.maxActive(ordered), Workqueue.maxActive(wq)]
        }
      }))
      expect(result.ordered).toBeInstanceOf(WorkqueueError.InvalidOperation)
      expect(result.bh).toBeInstanceOf(WorkqueueError.InvalidOperation)
      expect(result.zero).toBeInstanceOf(WorkqueueError.InvalidMaxActive)
      expect(result.negative).toBeInstanceOf(WorkqueueError.InvalidMaxActive)
      expect(result.tooLarge).toBeInstanceOf(WorkqueueError.InvalidMaxActive)
      expect(result.unchanged).toEqual([1, 4])
    })

    it("a negative delay fails with InvalidDelay; a CPU the pools lack with InvalidCpu", () => {
      const result = run(
        Effect.gen(function*() {
          const wq = yield* Kernel.alloc_workqueue("wq", 0, 0)
          const dwork = Kernel.INIT_DELAYED_WORK(Effect.void)
          return {
            delay: yield* Effect.flip(Kernel.queue_delayed_work(wq, dwork, -1)),
            scheduleDelay: yield* Effect.flip(Kernel.schedule_delayed_work(dwork, -5)),
            cpu: yield* Effect.flip(Kernel.queue_work_on(2, wq, Kernel.INIT_WORK(Effect.void))),
            scheduleCpu: yield* Effect.flip(Kernel.schedule_work_on(-1, Kernel.INIT_WORK(Effect.void))),
            pending: yield* Kernel.delayed_work_pending(dwork)
          }
        }),
        { cpus: 2 }
      )
      expect(result.delay).toBeInstanceOf(WorkqueueError.InvalidDelay)
      expect(result.scheduleDelay).toBeInstanceOf(WorkqueueError.InvalidDelay)
      expect(result.cpu).toBeInstanceOf(WorkqueueError.InvalidCpu)
      expect(result.scheduleCpu).toBeInstanceOf(WorkqueueError.InvalidCpu)
      expect(result.pending).toBe(false)
    })
  })

  describe("Kernel.layer", () => {
    it("provides everything the facade needs (real time)", async () => {
      const result = await Effect.runPromise(quiet(
        Effect.gen(function*() {
          const wq = yield* Kernel.alloc_workqueue("live", Kernel.WQ_UNBOUND, 0)
          let ran = 0
          const work = Kernel.INIT_WORK(Effect.sync(() => ran++), "live")
          const dwork = Kernel.INIT_DELAYED_WORK(Effect.sync(() => ran++), "live-delayed")
          const queued = [
            yield* Kernel.queue_work(wq, work),
            yield* Kernel.schedule_delayed_work(dwork, 5)
          ]
          const flushed = [yield* Kernel.flush_work(work), yield* Kernel.flush_delayed_work(dwork)]
          return { queued, flushed, ran }
        }).pipe(Effect.scoped, Effect.provide(Kernel.layer))
      ))
      expect(result).toEqual({ queued: [true, true], flushed: [true, true], ran: 2 })
    })
  })
})
