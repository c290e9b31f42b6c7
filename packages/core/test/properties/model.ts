/**
 * The rich generated workloads of the guarantee properties (G1–G40 of
 * packages/core/src/internal/PROTOCOLS.md): workqueues of every kind, plain
 * and delayed items whose bodies sleep, yield, requeue themselves and each
 * other, flush, cancel, disable and enable from inside; outside operations at
 * random virtual times (queue, delayed queue, cancel, disable, enable, flush
 * of an item, of a delayed item, of a workqueue (bursts of more than 15),
 * drain, destroy, applyAttrs, setMaxActive, freeze and thaw), worker creation
 * failing for a while. A run records every operation with what it returned,
 * every start and finish, the observer's events and the state at every
 * quiescent point; ./checks.ts holds one checker per guarantee.
 */
import fc from "fast-check"

export type Kind = "percpu" | "unbound" | "ordered" | "bh"

export interface WqSpec {
  readonly kind: Kind
  readonly maxActive: number
  readonly highpri: boolean
  readonly cpuIntensive: boolean
  readonly memReclaim: boolean
  readonly freezable: boolean
}

export type Step =
  | { readonly _tag: "sleep"; readonly ms: number }
  | { readonly _tag: "yield"; readonly n: number }
  | { readonly _tag: "requeue" }
  | { readonly _tag: "queue"; readonly k: number }
  | { readonly _tag: "cancel"; readonly k: number }
  | { readonly _tag: "disable"; readonly k: number }
  | { readonly _tag: "enable"; readonly k: number }
  | { readonly _tag: "cancelSync"; readonly k: number }
  | { readonly _tag: "flushWork"; readonly k: number }
  | { readonly _tag: "flushSelf" }
  | { readonly _tag: "flushWq"; readonly wq: number }
  | { readonly _tag: "destroyOwn" }
  | { readonly _tag: "fail" }
  | { readonly _tag: "interrupt" }

export interface ItemSpec {
  readonly wq: number
  readonly delayed: boolean
  readonly steps: ReadonlyArray<Step>
}

/**
 * a delay and the form it is given in: milliseconds as a number, a `Duration`
 * value (`Duration.millis(ms)`) or a string (`"<ms> millis"`)
 */
export type Delay = { readonly ms: number; readonly form: "number" | "duration" | "string" }

export type Op =
  | { readonly _tag: "queue"; readonly k: number; readonly cpu: number | null }
  | { readonly _tag: "queueDelayed"; readonly k: number; readonly delay: Delay }
  | { readonly _tag: "modDelayed"; readonly k: number; readonly delay: Delay }
  | { readonly _tag: "cancel"; readonly k: number }
  | { readonly _tag: "cancelSync"; readonly k: number }
  | { readonly _tag: "disable"; readonly k: number }
  | { readonly _tag: "disableSync"; readonly k: number }
  | { readonly _tag: "disableMany"; readonly k: number }
  | { readonly _tag: "enable"; readonly k: number }
  | { readonly _tag: "enableQueue"; readonly k: number }
  | { readonly _tag: "flushWork"; readonly k: number }
  | { readonly _tag: "flushDelayed"; readonly k: number }
  | { readonly _tag: "flushWq"; readonly wq: number }
  | { readonly _tag: "flushBurst"; readonly wq: number; readonly n: number }
  | { readonly _tag: "drain"; readonly wq: number }
  | { readonly _tag: "destroy"; readonly wq: number }
  | {
    readonly _tag: "applyAttrs"
    readonly wq: number
    readonly cpumask: ReadonlyArray<number>
    /** the affinity scope asked for ("cpu": a pwq per CPU); absent: the workqueue's default */
    readonly scope?: "cpu" | undefined
  }
  | { readonly _tag: "setMaxActive"; readonly wq: number; readonly n: number }
  | { readonly _tag: "freeze" }
  | { readonly _tag: "thaw" }

export interface TimedOp {
  readonly at: number
  readonly op: Op
}

export interface Workload {
  readonly cpus: number
  readonly policy: "kernel" | "priority" | "legacy"
  /** worker creation fails (for every pool) until this virtual time; 0: never; Infinity: for good */
  readonly creationFailsUntil: number
  /** each worker creation takes this long (ms of virtual time) */
  readonly creationMs: number
  readonly idleTimeoutMs: number
  readonly watchdogMs: number
  readonly wqs: ReadonlyArray<WqSpec>
  readonly items: ReadonlyArray<ItemSpec>
  readonly ops: ReadonlyArray<TimedOp>
}

export type Feature =
  | "delayed"
  | "cancel"
  | "disable"
  | "flush"
  | "burst"
  | "drain"
  | "destroy"
  | "attrs"
  | "maxActive"
  | "freeze"
  | "creationFails"
  | "innerFlush"
  | "innerCancel"
  | "requeue"
  | "queueOther"
  | "fail"
  | "interrupt"
  | "flushSelf"
  | "destroyOwn"
  | "negativeDelay"
  | "saturate"
  | "policies"

export const ALL_FEATURES: ReadonlyArray<Feature> = [
  "delayed",
  "cancel",
  "disable",
  "flush",
  "burst",
  "drain",
  "destroy",
  "attrs",
  "maxActive",
  "freeze",
  "creationFails",
  "innerFlush",
  "innerCancel",
  "requeue",
  "queueOther",
  "fail",
  "interrupt",
  "flushSelf",
  "destroyOwn",
  "negativeDelay",
  "saturate",
  "policies"
]

export interface Knobs {
  readonly features?: ReadonlyArray<Feature>
  readonly kinds?: ReadonlyArray<Exclude<Kind, "bh">>
  readonly flags?: ReadonlyArray<"highpri" | "cpuIntensive" | "memReclaim" | "freezable">
  readonly maxCpus?: number
  readonly maxItems?: number
  readonly maxOps?: number
  readonly horizon?: number
  /** worker creation failing for good */
  readonly creationNever?: boolean
  readonly bh?: boolean
  readonly watchdog?: boolean
  readonly idleTimeoutMs?: number
  readonly maxSleep?: number
  /** an episode: queue an item, then (same instant, before its worker starts) Work.flush it */
  readonly queueThenFlush?: boolean
  /** an episode: queue an item, then 0–3 ms later (while it runs, if it sleeps) call this on it */
  readonly chase?: "cancelSync" | "disableSync" | undefined
  /** applyAttrs also asks for the "cpu" affinity scope (a pwq per CPU) half of the time */
  readonly scopes?: boolean
  /** operations and steps generated six times as often as usual */
  readonly emphasis?: ReadonlyArray<Op["_tag"] | Step["_tag"]>
}

const has = (features: ReadonlyArray<Feature>, f: Feature) => features.includes(f)

const weighted = <A extends { readonly _tag: string }>(
  entries: ReadonlyArray<readonly [number, fc.Arbitrary<A> | null, string?]>,
  emphasis: ReadonlyArray<string> = []
): fc.Arbitrary<A> =>
  fc.oneof(
    ...entries.filter((e): e is readonly [number, fc.Arbitrary<A>, string?] => e[1] !== null && e[0] > 0).map((
      [weight, arbitrary, tag]
    ) => ({
      weight: tag !== undefined && emphasis.includes(tag) ? weight * 6 : weight,
      arbitrary
    }))
  )

export const wqArb = (knobs: Knobs): fc.Arbitrary<WqSpec> => {
  const kinds = knobs.kinds ?? ["percpu", "unbound", "ordered"]
  const flags = knobs.flags ?? ["highpri", "cpuIntensive", "memReclaim", "freezable"]
  const maybe = (f: (typeof flags)[number], p = 3) =>
    flags.includes(f) ? fc.integer({ min: 0, max: p }).map((n) => n === 0) : fc.constant(false)
  return fc.record({
    kind: fc.constantFrom(...kinds),
    maxActive: fc.constantFrom(0, 1, 1, 2, 3),
    highpri: maybe("highpri"),
    cpuIntensive: maybe("cpuIntensive"),
    memReclaim: knobs.creationNever ? fc.constant(true) : maybe("memReclaim", 2),
    freezable: maybe("freezable", 1)
  }).map((s): WqSpec => s.kind === "ordered" ? { ...s, maxActive: 1, cpuIntensive: false, highpri: false } : s)
}

const stepArb = (
  features: ReadonlyArray<Feature>,
  items: number,
  wqs: number,
  maxSleep: number,
  emphasis: ReadonlyArray<string>
): fc.Arbitrary<Step> => {
  const k = fc.integer({ min: 0, max: items - 1 })
  const w = fc.integer({ min: 0, max: wqs - 1 })
  return weighted<Step>([
    [5, fc.integer({ min: 0, max: maxSleep }).map((ms) => ({ _tag: "sleep" as const, ms })), "sleep"],
    [2, fc.integer({ min: 1, max: 6 }).map((n) => ({ _tag: "yield" as const, n })), "yield"],
    [has(features, "requeue") ? 3 : 0, fc.constant({ _tag: "requeue" as const }), "requeue"],
    [has(features, "queueOther") ? 3 : 0, k.map((k) => ({ _tag: "queue" as const, k })), "queue"],
    [has(features, "innerCancel") ? 1 : 0, k.map((k) => ({ _tag: "cancel" as const, k })), "cancel"],
    [
      has(features, "innerCancel") && has(features, "disable") ? 1 : 0,
      k.map((k) => ({ _tag: "disable" as const, k })),
      "disable"
    ],
    [
      has(features, "innerCancel") && has(features, "disable") ? 1 : 0,
      k.map((k) => ({ _tag: "enable" as const, k })),
      "enable"
    ],
    [has(features, "innerCancel") ? 1 : 0, k.map((k) => ({ _tag: "cancelSync" as const, k })), "cancelSync"],
    [has(features, "innerFlush") ? 1 : 0, k.map((k) => ({ _tag: "flushWork" as const, k })), "flushWork"],
    [has(features, "innerFlush") ? 1 : 0, w.map((wq) => ({ _tag: "flushWq" as const, wq })), "flushWq"],
    [has(features, "flushSelf") ? 1 : 0, fc.constant({ _tag: "flushSelf" as const }), "flushSelf"],
    [has(features, "destroyOwn") ? 1 : 0, fc.constant({ _tag: "destroyOwn" as const }), "destroyOwn"],
    [has(features, "fail") ? 1 : 0, fc.constant({ _tag: "fail" as const }), "fail"],
    [has(features, "interrupt") ? 1 : 0, fc.constant({ _tag: "interrupt" as const }), "interrupt"]
  ], emphasis)
}

const delayArb = (features: ReadonlyArray<Feature>): fc.Arbitrary<Delay> =>
  fc.record({
    ms: has(features, "negativeDelay")
      ? fc.oneof({ weight: 6, arbitrary: fc.integer({ min: 0, max: 12 }) }, {
        weight: 1,
        arbitrary: fc.integer({ min: -5, max: -1 })
      })
      : fc.integer({ min: 0, max: 12 }),
    form: fc.constantFrom("number" as const, "duration" as const, "string" as const)
  })

/** an applyAttrs cpumask, and with `scopes` an affinity scope */
const attrsArb = (cpus: number, scopes: boolean) =>
  fc.record({
    cpumask: fc.subarray(Array.from({ length: cpus }, (_, i) => i), { minLength: 1 }),
    scope: scopes ? fc.constantFrom(undefined, "cpu" as const) : fc.constant(undefined)
  })

const opArb = (
  features: ReadonlyArray<Feature>,
  wl: { cpus: number; wqs: ReadonlyArray<WqSpec>; items: ReadonlyArray<ItemSpec> },
  emphasis: ReadonlyArray<string>,
  scopes: boolean
): fc.Arbitrary<Op> => {
  const k = fc.integer({ min: 0, max: wl.items.length - 1 })
  const delayedItems = wl.items.flatMap((it, i) => it.delayed ? [i] : [])
  const dk = delayedItems.length > 0 ? fc.constantFrom(...delayedItems) : null
  const w = fc.integer({ min: 0, max: wl.wqs.length - 1 })
  const unbound = wl.wqs.flatMap((s, i) => s.kind === "unbound" || s.kind === "ordered" ? [i] : [])
  const settable = wl.wqs.flatMap((s, i) => s.kind === "percpu" || s.kind === "unbound" ? [i] : [])
  const cpu = fc.option(fc.integer({ min: 0, max: wl.cpus - 1 }), { nil: null, freq: 2 })
  return weighted<Op>([
    [12, fc.record({ k, cpu }).map((r) => ({ _tag: "queue" as const, ...r })), "queue"],
    [
      dk && has(features, "delayed") ? 3 : 0,
      dk && fc.record({ k: dk, delay: delayArb(features) }).map((r) => ({ _tag: "queueDelayed" as const, ...r })),
      "queueDelayed"
    ],
    [
      dk && has(features, "delayed") ? 2 : 0,
      dk && fc.record({ k: dk, delay: delayArb(features) }).map((r) => ({ _tag: "modDelayed" as const, ...r })),
      "modDelayed"
    ],
    [
      dk && has(features, "delayed") && has(features, "flush") ? 1 : 0,
      dk && dk.map((k) => ({ _tag: "flushDelayed" as const, k })),
      "flushDelayed"
    ],
    [has(features, "cancel") ? 2 : 0, k.map((k) => ({ _tag: "cancel" as const, k })), "cancel"],
    [has(features, "cancel") ? 2 : 0, k.map((k) => ({ _tag: "cancelSync" as const, k })), "cancelSync"],
    [has(features, "disable") ? 2 : 0, k.map((k) => ({ _tag: "disable" as const, k })), "disable"],
    [has(features, "disable") ? 1 : 0, k.map((k) => ({ _tag: "disableSync" as const, k })), "disableSync"],
    [has(features, "saturate") ? 1 : 0, k.map((k) => ({ _tag: "disableMany" as const, k })), "disableMany"],
    [has(features, "disable") ? 3 : 0, k.map((k) => ({ _tag: "enable" as const, k })), "enable"],
    [has(features, "disable") ? 1 : 0, k.map((k) => ({ _tag: "enableQueue" as const, k })), "enableQueue"],
    [has(features, "flush") ? 2 : 0, k.map((k) => ({ _tag: "flushWork" as const, k })), "flushWork"],
    [has(features, "flush") ? 2 : 0, w.map((wq) => ({ _tag: "flushWq" as const, wq })), "flushWq"],
    [
      has(features, "burst") ? 2 : 0,
      fc.record({ wq: w, n: fc.integer({ min: 14, max: 22 }) }).map((r) => ({ _tag: "flushBurst" as const, ...r })),
      "flushBurst"
    ],
    [has(features, "drain") ? 2 : 0, w.map((wq) => ({ _tag: "drain" as const, wq })), "drain"],
    [has(features, "destroy") ? 2 : 0, w.map((wq) => ({ _tag: "destroy" as const, wq })), "destroy"],
    [
      has(features, "attrs") && unbound.length > 0 ? 5 : 0,
      unbound.length > 0
        ? fc.tuple(fc.constantFrom(...unbound), attrsArb(wl.cpus, scopes)).map(([wq, a]) => ({
          _tag: "applyAttrs" as const,
          wq,
          ...a
        }))
        : null,
      "applyAttrs"
    ],
    [
      has(features, "maxActive") && settable.length > 0 ? 5 : 0,
      settable.length > 0
        ? fc.record({ wq: fc.constantFrom(...settable), n: fc.integer({ min: 1, max: 4 }) }).map((r) => ({
          _tag: "setMaxActive" as const,
          ...r
        }))
        : null,
      "setMaxActive"
    ],
    [has(features, "freeze") ? 5 : 0, fc.constant({ _tag: "freeze" as const }), "freeze"],
    [has(features, "freeze") ? 5 : 0, fc.constant({ _tag: "thaw" as const }), "thaw"]
  ], emphasis)
}

/**
 * Episodes: short sequences the properties need and random operations rarely
 * line up: a freeze/thaw cycle, applyAttrs between two flushes, max_active up
 * then down, a flush burst behind a drain.
 */
const episodeArb = (
  features: ReadonlyArray<Feature>,
  wl: { cpus: number; wqs: ReadonlyArray<WqSpec>; items: ReadonlyArray<ItemSpec> },
  horizon: number,
  scopes: boolean,
  queueThenFlush: boolean,
  chase: "cancelSync" | "disableSync" | undefined
): fc.Arbitrary<ReadonlyArray<TimedOp>> | null => {
  const at = fc.integer({ min: 0, max: horizon })
  const gap = fc.integer({ min: 0, max: 8 })
  const unbound = wl.wqs.flatMap((s, i) => s.kind === "unbound" || s.kind === "ordered" ? [i] : [])
  const settable = wl.wqs.flatMap((s, i) => s.kind === "percpu" || s.kind === "unbound" ? [i] : [])
  const w = fc.integer({ min: 0, max: wl.wqs.length - 1 })
  const options: Array<fc.Arbitrary<ReadonlyArray<TimedOp>>> = []
  if (has(features, "freeze")) {
    options.push(
      fc.tuple(at, gap, gap, gap).map(([t, d, e, f]) => [
        { at: t, op: { _tag: "freeze" } },
        { at: t + d, op: { _tag: "thaw" } },
        { at: t + d + e, op: { _tag: "freeze" } },
        { at: t + d + e + f, op: { _tag: "thaw" } }
      ])
    )
  }
  if (has(features, "attrs") && unbound.length > 0) {
    options.push(
      fc.tuple(at, gap, fc.constantFrom(...unbound), attrsArb(wl.cpus, scopes)).map(([t, d, wq, a]) => [
        { at: t, op: { _tag: "flushWq", wq } },
        { at: t, op: { _tag: "applyAttrs", wq, ...a } },
        { at: t + d, op: { _tag: "flushWq", wq } }
      ])
    )
  }
  if (has(features, "maxActive") && settable.length > 0) {
    options.push(
      fc.tuple(at, gap, fc.constantFrom(...settable), fc.integer({ min: 2, max: 4 })).map(([t, d, wq, n]) => [
        { at: t, op: { _tag: "setMaxActive", wq, n } },
        { at: t + d, op: { _tag: "setMaxActive", wq, n: n - 1 - (d % (n - 1)) } }
      ])
    )
  }
  if (has(features, "burst") && has(features, "drain")) {
    options.push(
      fc.tuple(at, w, fc.integer({ min: 16, max: 22 })).map(([t, wq, n]) => [
        { at: t, op: { _tag: "flushBurst", wq, n } },
        { at: t, op: { _tag: "drain", wq } }
      ])
    )
  }
  if (queueThenFlush && has(features, "flush")) {
    options.push(
      fc.tuple(at, fc.integer({ min: 0, max: wl.items.length - 1 }), fc.boolean()).map(([t, k, twice]) => [
        { at: t, op: { _tag: "queue" as const, k, cpu: null } },
        { at: t, op: { _tag: "flushWork" as const, k } },
        ...(twice ? [{ at: t, op: { _tag: "flushWork" as const, k } }] : [])
      ])
    )
  }
  if (chase !== undefined) {
    options.push(
      fc.tuple(at, fc.integer({ min: 0, max: wl.items.length - 1 }), fc.integer({ min: 0, max: 3 })).map((
        [t, k, d]
      ) => [
        { at: t, op: { _tag: "queue" as const, k, cpu: null } },
        { at: t + d, op: { _tag: chase, k } }
      ])
    )
  }
  if (has(features, "destroy")) {
    options.push(
      fc.tuple(at, w, fc.integer({ min: 0, max: 3 })).map(([t, wq, d]) => [
        ...wl.items.flatMap((it, k) => it.wq === wq ? [{ at: t, op: { _tag: "queue" as const, k, cpu: null } }] : []),
        { at: t + d, op: { _tag: "destroy", wq } }
      ])
    )
  }
  return options.length === 0 ? null : fc.oneof(...options)
}

/** the workload generator; `knobs.features` says which operations and steps appear */
export const workloadArb = (knobs: Knobs = {}): fc.Arbitrary<Workload> => {
  const features = knobs.features ?? ALL_FEATURES
  const horizon = knobs.horizon ?? 30
  return fc.record({
    cpus: fc.integer({ min: 1, max: knobs.maxCpus ?? 3 }),
    policy: has(features, "policies")
      ? fc.constantFrom<Workload["policy"]>("kernel", "kernel", "priority", "legacy")
      : fc.constant<Workload["policy"]>("kernel"),
    creationFailsUntil: knobs.creationNever
      ? fc.constant(Infinity)
      : has(features, "creationFails")
      ? fc.oneof(fc.constant(0), fc.integer({ min: 5, max: 2_500 }))
      : fc.constant(0),
    creationMs: has(features, "creationFails") || knobs.creationNever ? fc.constantFrom(0, 0, 1, 3) : fc.constant(0),
    wqs: knobs.bh
      ? fc.array(
        fc.record({ highpri: fc.boolean() }).map((r): WqSpec => ({
          kind: "bh",
          maxActive: 0,
          highpri: r.highpri,
          cpuIntensive: false,
          memReclaim: false,
          freezable: false
        })),
        { minLength: 1, maxLength: 2 }
      )
      : fc.array(wqArb(knobs), { minLength: 1, maxLength: 3 })
  }).chain((base) =>
    fc.array(
      fc.record({
        wq: fc.integer({ min: 0, max: base.wqs.length - 1 }),
        delayed: has(features, "delayed") ? fc.boolean() : fc.constant(false),
        steps: fc.constant<ReadonlyArray<Step>>([])
      }),
      { minLength: 1, maxLength: knobs.maxItems ?? 6 }
    ).chain((items0) =>
      fc.array(
        fc.array(
          stepArb(
            knobs.bh
              ? features.filter((f) => f !== "innerFlush" && f !== "innerCancel")
              : features,
            items0.length,
            base.wqs.length,
            knobs.maxSleep ?? 6,
            knobs.emphasis ?? []
          ),
          { maxLength: 4 }
        ),
        {
          minLength: items0.length,
          maxLength: items0.length
        }
      ).chain((steps) => {
        const items = items0.map((it, i) => ({ ...it, steps: steps[i]! }))
        const wl0 = { ...base, items }
        const episodes = episodeArb(
          features,
          wl0,
          horizon,
          knobs.scopes ?? false,
          knobs.queueThenFlush ?? false,
          knobs.chase
        )
        return fc.tuple(
          fc.array(
            fc.record({
              at: fc.integer({ min: 0, max: horizon }),
              op: opArb(features, wl0, knobs.emphasis ?? [], knobs.scopes ?? false)
            }),
            {
              minLength: 1,
              maxLength: knobs.maxOps ?? 22
            }
          ),
          episodes === null ? fc.constant([]) : fc.array(episodes, { maxLength: 3 })
        ).map(([ops, eps]): Workload => ({
          ...wl0,
          idleTimeoutMs: knobs.idleTimeoutMs ?? 300_000,
          watchdogMs: knobs.watchdog ? 200 : 0,
          // stable sort: an episode's operations at one instant keep their order
          ops: [...ops, ...eps.flat()].sort((a, b) => a.at - b.at)
        }))
      })
    )
  )
}
