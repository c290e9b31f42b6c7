/**
 * The guarantee properties: one entry per guarantee (G1–G40 of
 * packages/core/src/internal/PROTOCOLS.md), each a generated workload
 * (./model.ts knobs) and a checker (./checks.ts). The `*.test.ts` files of
 * this folder run them under vitest (small `numRuns`; `FC_RUNS`, `FC_SEED`
 * override), `scripts/soak.ts` runs them with random seeds for as long as
 * asked. An entry whose full workload fails today only because of a known
 * engine bug is listed in ./known.ts and skipped in CI; its `.ci` twin runs
 * the same checker without the bug's trigger.
 */
import fc from "fast-check"
import * as C from "./checks.js"
import {
  ALL_FEATURES,
  type Feature,
  type Knobs,
  type TimedOp,
  type Workload,
  workloadArb,
  type WqSpec
} from "./model.js"
import { KNOWN_BUG } from "./known.js"
import { runWorkload } from "./run.js"

export interface Property {
  /** e.g. "G13" or "G13.ci" */
  readonly id: string
  readonly guarantee: number
  readonly title: string
  readonly arb: fc.Arbitrary<Workload>
  readonly check: C.Check
  readonly seed: number
  readonly runs: number
}

const without = (...fs: ReadonlyArray<Feature>): ReadonlyArray<Feature> => ALL_FEATURES.filter((f) => !fs.includes(f))
const only = (...fs: ReadonlyArray<Feature>): ReadonlyArray<Feature> => fs

/** features that trigger one of the known engine bugs (see ./known.ts) */
export const BUG_TRIGGERS: ReadonlyArray<Feature> = [
  "attrs",
  "innerFlush",
  "freeze",
  "innerCancel",
  "flushSelf",
  "destroyOwn",
  "policies",
  "interrupt",
  "negativeDelay"
]

const entry = (
  guarantee: number,
  title: string,
  knobs: Knobs,
  check: C.Check,
  runs = 25,
  ciDrop: ReadonlyArray<Feature> = BUG_TRIGGERS
): Array<Property> => {
  const full: Property = {
    id: `G${guarantee}`,
    guarantee,
    title,
    arb: workloadArb(knobs),
    check,
    seed: 1000 + guarantee,
    runs
  }
  const features = knobs.features ?? ALL_FEATURES
  const safe = features.filter((f) => !ciDrop.includes(f))
  // the twin runs only while the full entry waits for a fix
  if (KNOWN_BUG[full.id] === undefined) return [full]
  const ci: Property = {
    ...full,
    id: `G${guarantee}.ci`,
    title: `${title} (without known-bug triggers)`,
    arb: workloadArb({ ...knobs, features: safe })
  }
  return safe.length === features.length ? [full] : [full, ci]
}

/**
 * G31: worker creation failing for good, a MEM_RECLAIM per-cpu workqueue
 * with more than RESCUER_BATCH + 1 sleeping items on each of two CPUs, so that
 * both pwqs wait in mayday and the rescuer has to take turns.
 */
const rescuerFairnessArb: fc.Arbitrary<Workload> = fc.record({
  perCpu: fc.array(fc.integer({ min: C.RESCUER_BATCH + 2, max: C.RESCUER_BATCH + 8 }), { minLength: 2, maxLength: 2 }),
  sleep: fc.integer({ min: 1, max: 3 }),
  memReclaim: fc.constant(true)
}).map(({ perCpu, sleep }): Workload => {
  const items = perCpu.flatMap((n, cpu) => Array.from({ length: n }, () => ({ cpu })))
  return {
    cpus: 2,
    policy: "kernel",
    creationFailsUntil: Infinity,
    creationMs: 0,
    idleTimeoutMs: 300_000,
    watchdogMs: 0,
    wqs: [{ kind: "percpu", maxActive: 0, highpri: false, cpuIntensive: false, memReclaim: true, freezable: false }],
    items: items.map(() => ({ wq: 0, delayed: false, steps: [{ _tag: "sleep" as const, ms: sleep }] })),
    ops: items.map((it, k) => ({ at: 0, op: { _tag: "queue" as const, k, cpu: it.cpu } }))
  }
})

/**
 * G9: one per-cpu workqueue with max_active 1 or 2 and up to 12 sleeping items
 * queued in a few milliseconds on one or two CPUs, so that several wait on one
 * inactive list and the order in which they are activated shows in the order
 * they start; optionally a freeze/thaw around the queueing (a freezable
 * workqueue holds everything back, the thaw activates it) and a live
 * `setMaxActive`.
 */
const fifoActivationArb: fc.Arbitrary<Workload> = fc.record({
  cpus: fc.integer({ min: 1, max: 2 }),
  maxActive: fc.integer({ min: 1, max: 2 }),
  freezable: fc.boolean(),
  items: fc.array(
    fc.record({
      cpu: fc.integer({ min: 0, max: 1 }),
      at: fc.integer({ min: 0, max: 4 }),
      ms: fc.integer({ min: 1, max: 4 })
    }),
    { minLength: 4, maxLength: 12 }
  ),
  freeze: fc.option(fc.record({ at: fc.integer({ min: 0, max: 3 }), len: fc.integer({ min: 0, max: 8 }) }), {
    nil: null
  }),
  setMax: fc.option(fc.record({ at: fc.integer({ min: 0, max: 12 }), n: fc.integer({ min: 1, max: 4 }) }), {
    nil: null
  })
}).map(({ cpus, freezable, freeze, items, maxActive, setMax }): Workload => {
  const ops: Array<TimedOp> = items.map((it, k) => ({ at: it.at, op: { _tag: "queue", k, cpu: it.cpu % cpus } }))
  if (freeze !== null) {
    ops.push({ at: freeze.at, op: { _tag: "freeze" } }, { at: freeze.at + freeze.len, op: { _tag: "thaw" } })
  }
  if (setMax !== null) ops.push({ at: setMax.at, op: { _tag: "setMaxActive", wq: 0, n: setMax.n } })
  return {
    cpus,
    policy: "kernel",
    creationFailsUntil: 0,
    creationMs: 0,
    idleTimeoutMs: 300_000,
    watchdogMs: 0,
    wqs: [{ kind: "percpu", maxActive, highpri: false, cpuIntensive: false, memReclaim: false, freezable }],
    items: items.map((it) => ({ wq: 0, delayed: false, steps: [{ _tag: "sleep" as const, ms: it.ms }] })),
    // stable sort: the freeze before a queue of the same instant stays before it
    ops: ops.sort((a, b) => a.at - b.at)
  }
})

/**
 * G8, G39: one ordered workqueue, up to 12 sleeping items queued in a few
 * milliseconds on up to three CPUs, with one or two `applyAttrs` (cpumask,
 * and the "cpu" affinity scope half of the time) before and among them: an
 * ordered workqueue must keep one pwq for all CPUs and plug each new one until
 * the older have drained, whatever the scope.
 */
const orderedArb: fc.Arbitrary<Workload> = fc.integer({ min: 2, max: 3 }).chain((cpus) =>
  fc.record({
    items: fc.array(
      fc.record({
        cpu: fc.integer({ min: 0, max: cpus - 1 }),
        at: fc.integer({ min: 0, max: 6 }),
        ms: fc.integer({ min: 1, max: 4 })
      }),
      { minLength: 4, maxLength: 12 }
    ),
    attrs: fc.array(
      fc.record({
        at: fc.integer({ min: 0, max: 6 }),
        cpumask: fc.subarray(Array.from({ length: cpus }, (_, i) => i), { minLength: 1 }),
        scope: fc.constantFrom(undefined, "cpu" as const)
      }),
      { minLength: 1, maxLength: 2 }
    )
  }).map(({ attrs, items }): Workload => ({
    cpus,
    policy: "kernel",
    creationFailsUntil: 0,
    creationMs: 0,
    idleTimeoutMs: 300_000,
    watchdogMs: 0,
    wqs: [{ kind: "ordered", maxActive: 1, highpri: false, cpuIntensive: false, memReclaim: false, freezable: false }],
    items: items.map((it) => ({ wq: 0, delayed: false, steps: [{ _tag: "sleep" as const, ms: it.ms }] })),
    ops: [
      ...attrs.map((a): TimedOp => ({
        at: a.at,
        op: { _tag: "applyAttrs", wq: 0, cpumask: a.cpumask, scope: a.scope }
      })),
      ...items.map((it, k): TimedOp => ({ at: it.at, op: { _tag: "queue", k, cpu: it.cpu } }))
    ].sort((a, b) => a.at - b.at)
  }))
)

/**
 * G27: on one CPU, CPU-intensive items that never block (they only yield)
 * queue items of a plain per-cpu workqueue and keep the CPU afterwards. The
 * worker running an intensive item leaves concurrency management
 * (WORKER_CPU_INTENSIVE), so the queued items get a worker of their own at
 * once and start while the intensive item still runs; a runner left in
 * `nrRunning` would hold them back until it returns.
 */
const cpuIntensiveArb: fc.Arbitrary<Workload> = fc.record({
  highpri: fc.boolean(),
  hogs: fc.array(
    fc.record({
      at: fc.integer({ min: 0, max: 4 }),
      before: fc.integer({ min: 0, max: 3 }),
      after: fc.integer({ min: 2, max: 6 }),
      others: fc.array(fc.integer({ min: 0, max: 3 }), { minLength: 1, maxLength: 2 })
    }),
    { minLength: 1, maxLength: 3 }
  )
}).map(({ highpri, hogs }): Workload => {
  const items: Array<Workload["items"][number]> = []
  const ops: Array<TimedOp> = []
  for (const h of hogs) {
    const k = items.length
    const others = h.others.map((ms, i) => ({ k: k + 1 + i, ms }))
    items.push({
      wq: 0,
      delayed: false,
      steps: [
        ...(h.before > 0 ? [{ _tag: "yield" as const, n: h.before }] : []),
        ...others.map((o) => ({ _tag: "queue" as const, k: o.k })),
        { _tag: "yield" as const, n: h.after }
      ]
    })
    for (const o of others) {
      items.push({ wq: 1, delayed: false, steps: o.ms > 0 ? [{ _tag: "sleep" as const, ms: o.ms }] : [] })
    }
    ops.push({ at: h.at, op: { _tag: "queue", k, cpu: 0 } })
  }
  return {
    cpus: 1,
    policy: "kernel",
    creationFailsUntil: 0,
    creationMs: 0,
    idleTimeoutMs: 300_000,
    watchdogMs: 0,
    wqs: [
      { kind: "percpu", maxActive: 0, highpri, cpuIntensive: true, memReclaim: false, freezable: false },
      { kind: "percpu", maxActive: 0, highpri, cpuIntensive: false, memReclaim: false, freezable: false }
    ],
    items,
    ops: ops.sort((a, b) => a.at - b.at)
  }
})

/**
 * G28: a burst of sleeping items gives a pool more workers than it keeps idle,
 * and a second burst, before the first idle timeout, reuses them all: the
 * timer armed by the first burst must not reap workers the second burst made
 * young again (idleTimeout 15 ms). A last flush 40 ms later keeps virtual time
 * going past the timeouts.
 */
const idleRetentionArb: fc.Arbitrary<Workload> = fc.record({
  n: fc.integer({ min: 3, max: 6 }),
  ms: fc.integer({ min: 1, max: 5 }),
  gap: fc.integer({ min: 6, max: 14 }),
  ms2: fc.integer({ min: 1, max: 5 }),
  highpri: fc.boolean()
}).map(({ gap, highpri, ms, ms2, n }): Workload => ({
  cpus: 1,
  policy: "kernel",
  creationFailsUntil: 0,
  creationMs: 0,
  idleTimeoutMs: 15,
  watchdogMs: 0,
  wqs: [{ kind: "percpu", maxActive: 0, highpri, cpuIntensive: false, memReclaim: false, freezable: false }],
  items: Array.from({ length: 2 * n }, (_, k) => ({
    wq: 0,
    delayed: false,
    steps: [{ _tag: "sleep" as const, ms: k < n ? ms : ms2 }]
  })),
  ops: [
    ...Array.from({ length: 2 * n }, (_, k): TimedOp => ({
      at: k < n ? 0 : gap,
      op: { _tag: "queue", k, cpu: 0 }
    })),
    // virtual time goes on past the idle timeouts (the run ends with its last operation)
    { at: gap + 40, op: { _tag: "flushWq", wq: 0 } }
  ]
}))

/**
 * G34: a MEM_RECLAIM workqueue whose items flush two other workqueues, with or
 * without MEM_RECLAIM, each more than once: one warning per (flusher, target)
 * pair, not one per flusher, not one per flush.
 */
const flushDependencyArb: fc.Arbitrary<Workload> = fc.record({
  reclaim: fc.tuple(fc.boolean(), fc.boolean()),
  kinds: fc.tuple(
    fc.constantFrom("percpu" as const, "unbound" as const, "ordered" as const),
    fc.constantFrom("percpu" as const, "unbound" as const, "ordered" as const)
  ),
  flushes: fc.array(fc.array(fc.integer({ min: 1, max: 2 }), { minLength: 1, maxLength: 3 }), {
    minLength: 1,
    maxLength: 3
  }),
  ms: fc.integer({ min: 0, max: 3 })
}).map(({ flushes, kinds, ms, reclaim }): Workload => {
  const spec = (kind: Exclude<WqSpec["kind"], "bh">, memReclaim: boolean): WqSpec => ({
    kind,
    maxActive: kind === "ordered" ? 1 : 0,
    highpri: false,
    cpuIntensive: false,
    memReclaim,
    freezable: false
  })
  const flushers = flushes.map((ws) => ({
    wq: 0,
    delayed: false,
    steps: ws.map((wq) => ({ _tag: "flushWq" as const, wq }))
  }))
  const targets = [1, 2].map((wq) => ({ wq, delayed: false, steps: [{ _tag: "sleep" as const, ms }] }))
  const items = [...targets, ...flushers]
  return {
    cpus: 2,
    policy: "kernel",
    creationFailsUntil: 0,
    creationMs: 0,
    idleTimeoutMs: 300_000,
    watchdogMs: 0,
    wqs: [spec("percpu", true), spec(kinds[0], reclaim[0]), spec(kinds[1], reclaim[1])],
    items,
    ops: items.map((_, k): TimedOp => ({ at: k % 3, op: { _tag: "queue", k, cpu: null } }))
  }
})

const CORE = only("delayed", "cancel", "disable", "flush", "requeue", "queueOther", "fail")

export const PROPERTIES: ReadonlyArray<Property> = [
  ...entry(1, "pending idempotence: queueing a pending item returns false, an idle enabled one true", {
    features: without("saturate")
  }, C.all(C.pendingIdempotence, C.conservation)),
  ...entry(2, "conservation: runs = successful queues − grabs; stats.failed counts every failed run", {
    features: without("saturate")
  }, C.conservation),
  ...entry(3, "PENDING clears before the body: a self-requeue returns true and runs once more, after", {
    features: without("saturate", "burst")
  }, C.pendingClearsFirst),
  ...entry(
    4,
    "non-reentrancy: an item's runs never overlap",
    { features: without("saturate", "burst") },
    C.nonReentrancy
  ),
  ...entry(
    5,
    "requeue follows the runner: queued while running, the next run is on the same pool, after",
    {
      kinds: ["percpu"],
      maxCpus: 3,
      maxSleep: 12,
      features: only("requeue", "queueOther", "cancel", "flush", "fail", "maxActive", "creationFails", "freeze")
    },
    C.requeueFollowsRunner,
    40
  ),
  ...entry(
    6,
    "max_active per CPU is never exceeded",
    { kinds: ["percpu"], features: without("saturate", "burst") },
    C.maxActivePerCpu
  ),
  ...entry(7, "max_active across an unbound workqueue is never exceeded", {
    kinds: ["unbound"],
    features: without("saturate", "burst")
  }, C.maxActiveUnbound),
  ...entry(
    8,
    "ordered: one at a time, in queue order, across attribute changes",
    {
      kinds: ["ordered", "percpu"],
      scopes: true,
      features: without("saturate", "burst")
    },
    C.ordered,
    40
  ).map((p) => ({ ...p, arb: fc.oneof(p.arb, orderedArb) })),
  // half the workloads are the rich ones, half crowd one inactive list (fifoActivationArb)
  ...entry(
    9,
    "FIFO activation within a pwq (freeze/thaw and max_active changes included)",
    {
      kinds: ["percpu"],
      features: without("saturate", "burst", "policies")
    },
    C.fifoActivation,
    40
  ).map((p) => ({ ...p, arb: fc.oneof(p.arb, fifoActivationArb) })),
  ...entry(10, "raising max_active activates waiting items at once; lowering stops nothing", {
    kinds: ["percpu", "unbound"],
    features: only(...CORE, "maxActive", "freeze", "creationFails")
  }, C.raisingMaxActive),
  ...entry(11, "barriers are free: Work.flush completes on a saturated workqueue, no slot taken", {
    features: only("flush", "requeue", "queueOther", "maxActive", "innerFlush", "cancel", "policies"),
    maxSleep: 20
  }, C.barriersFree),
  ...entry(12, "Work.flush: false iff idle, else returns after the instance at the call finished", {
    features: without("saturate"),
    emphasis: ["flushWork", "flushDelayed"],
    queueThenFlush: true,
    maxSleep: 10
  }, C.flushWork),
  ...entry(13, "flush(wq) returns after everything queued before it finished", {
    features: without("saturate"),
    emphasis: ["flushWq"],
    maxSleep: 10
  }, C.flushWq),
  ...entry(14, "concurrent flushes (bursts of 14–22) all return, in call order", {
    features: only(
      "burst",
      "flush",
      "requeue",
      "queueOther",
      "attrs",
      "maxActive",
      "innerFlush",
      "policies",
      "creationFails"
    )
  }, C.concurrentFlushes),
  ...entry(
    15,
    "color accounting at every quiescent point; all zero when idle",
    { features: without("saturate") },
    C.colorAccounting
  ),
  ...entry(16, "drain empties the workqueue, accepts only chained queueing meanwhile", {
    features: without("saturate"),
    emphasis: ["drain", "queue"],
    maxSleep: 10
  }, C.drain),
  ...entry(17, "cancelSync: not pending, not running on return; was-pending; depth kept; failure changes nothing", {
    features: without("saturate", "burst"),
    // items that sleep, cancelled while they run
    emphasis: ["sleep"],
    chase: "cancelSync",
    maxSleep: 10
  }, C.cancelSync),
  ...entry(
    18,
    "cancel: not pending on return; returns was-pending",
    { features: without("saturate", "burst") },
    C.cancel
  ),
  ...entry(19, "cancel of delayed work: the timer never fires afterwards; a running instance runs on", {
    features: only("delayed", "cancel", "disable", "requeue", "flush", "innerCancel", "negativeDelay")
  }, C.cancelDelayed),
  ...entry(
    20,
    "disable counting: depth ±1, saturating at 65535; queue fails iff disabled; enable true at 0",
    { features: only("disable", "cancel", "saturate", "requeue", "innerCancel", "delayed") },
    C.disableCounting,
    20
  ),
  ...entry(21, "disableSync = disable + cancel + wait", {
    features: only("disable", "cancel", "requeue", "queueOther", "innerCancel", "delayed", "flush")
  }, C.disableSync),
  ...entry(22, "enable and queue: queues iff the depth reached 0", {
    features: only("disable", "cancel", "requeue", "innerCancel"),
    emphasis: ["disable", "enableQueue"]
  }, C.enableAndQueue),
  ...entry(
    23,
    "delays: 0 at once, d never early, queueDelayed keeps the expiry, modDelayed re-arms",
    {
      features: only("delayed", "cancel", "disable", "flush", "negativeDelay", "requeue")
    },
    C.delays,
    80
  ),
  ...entry(24, "DelayedWork.flush fires an armed timer and waits for that run", {
    features: only("delayed", "cancel", "disable", "flush", "requeue", "destroy", "drain", "freeze")
  }, C.flushDelayed),
  ...entry(25, "concurrency management: CPU-bound items of one bound pool run one at a time", {
    kinds: ["percpu"],
    flags: ["highpri", "memReclaim", "freezable"],
    features: only("requeue", "queueOther", "cancel", "fail", "creationFails", "freeze", "maxActive"),
    emphasis: ["yield", "queue"]
  }, C.concurrencyManagement),
  ...entry(26, "work conservation: pending work always has a worker coming", {
    kinds: ["percpu", "unbound"],
    features: without("saturate", "burst"),
    emphasis: ["queue", "sleep"]
  }, C.workConservation),
  ...entry(
    27,
    "CPU-intensive items never hold others back",
    {
      kinds: ["percpu"],
      flags: ["cpuIntensive"],
      maxCpus: 1,
      features: only("requeue", "queueOther"),
      emphasis: ["yield", "queue"]
    },
    C.cpuIntensive,
    40
  ).map((p) => ({ ...p, arb: fc.oneof(p.arb, cpuIntensiveArb) })),
  ...entry(28, "idle retention: never reap at 2 idle or fewer, only workers idle for idleTimeout", {
    kinds: ["percpu", "unbound"],
    features: only("requeue", "queueOther", "flush", "creationFails"),
    idleTimeoutMs: 15,
    maxSleep: 10,
    maxItems: 8,
    horizon: 120
  }, C.idleRetention).map((p) => ({ ...p, arb: fc.oneof(p.arb, idleRetentionArb) })),
  ...entry(
    29,
    "single manager: a pool creates one worker at a time",
    {
      maxItems: 8,
      emphasis: ["queue", "sleep"],
      features: only("requeue", "queueOther", "creationFails", "freeze", "flush", "innerFlush")
    },
    C.singleManager,
    40
  ),
  ...entry(30, "rescuer progress: worker creation failing for good, MEM_RECLAIM items all run", {
    creationNever: true,
    features: only("requeue", "queueOther", "cancel", "flush", "delayed", "interrupt", "fail")
  }, C.rescuerProgress),
  {
    id: "G31",
    guarantee: 31,
    title: `rescuer fairness: at most RESCUER_BATCH + 1 = ${
      C.RESCUER_BATCH + 1
    } items of one pwq while another pwq waits in mayday`,
    arb: rescuerFairnessArb,
    check: C.rescuerFairness,
    seed: 1031,
    runs: 5
  },
  ...entry(32, "freezing: nothing queued while frozen starts before the thaw; others unaffected", {
    features: only("freeze", "cancel", "requeue", "queueOther", "flush", "maxActive", "delayed", "disable", "attrs")
  }, C.freezing),
  ...entry(33, "destroy waits for everything pending and chained, then refuses queueing", {
    features: only("destroy", "requeue", "queueOther", "flush", "cancel", "destroyOwn", "attrs")
  }, C.destroy),
  ...entry(34, "flush-dependency warning: one per MEM_RECLAIM→non-MEM_RECLAIM pair", {
    flags: ["memReclaim"],
    features: only("innerFlush", "requeue", "queueOther", "flush"),
    emphasis: ["flushWq", "flushWork"]
  }, C.flushDependency).map((p) => ({ ...p, arb: fc.oneof(p.arb, flushDependencyArb) })),
  ...entry(35, "Work.current is the item inside it (and busy says running), none outside", {
    features: without("saturate", "burst")
  }, C.currentAndBusy),
  ...entry(36, "BH: on the queueing CPU, one at a time, in queue order, never blocking", {
    bh: true,
    features: only("requeue", "queueOther", "fail", "cancel", "disable")
  }, C.bh),
  ...entry(
    37,
    "watchdog: stalls reported once per period, never for empty worklists",
    { watchdog: true, features: only("requeue", "queueOther", "creationFails", "flush", "freeze"), horizon: 400 },
    C.watchdog,
    15
  ),
  ...entry(38, "visibility: the run a successful queue causes sees what was written before it", {
    features: without("saturate")
  }, C.visibility),
  ...entry(39, "ordered plug: after applyAttrs nothing later starts before everything earlier finished", {
    kinds: ["ordered"],
    scopes: true,
    maxSleep: 12,
    emphasis: ["applyAttrs", "queue"],
    features: only("attrs", "requeue", "queueOther", "flush", "cancel")
  }, C.orderedPlug).map((p) => ({ ...p, arb: fc.oneof(p.arb, orderedArb) })),
  ...entry(
    40,
    "queueing across reconfiguration: every successful queue causes exactly one run",
    {
      kinds: ["unbound", "ordered"],
      maxSleep: 10,
      emphasis: ["applyAttrs"],
      features: only("attrs", "requeue", "queueOther", "flush", "cancel", "fail", "maxActive", "delayed")
    },
    C.queueAcrossReconfiguration,
    25,
    ["fail"]
  )
]

/** run one property's check on one workload: the violation, or null */
export const verdict = (p: Property, wl: Workload): string | null => {
  const r = runWorkload(wl)
  return p.check(r)
}
