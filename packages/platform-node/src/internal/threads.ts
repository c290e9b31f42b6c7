/**
 * The queueing side of thread CPUs: one `worker_threads` Worker per logical
 * CPU, a batched `postMessage` transport behind `Task.TaskTransport`, crash
 * detection and replacement.
 *
 * Why a hand-written transport: the well-kept pieces (`@effect/platform`'s
 * `Worker`/`WorkerRunner` with `@effect/platform-node`'s `NodeWorker`) send
 * one message per request. For tiny tasks the per-message cost dominates.
 * Measured by `bench/threads-transports-cpu.ts` (20000 `a + b` tasks on 2
 * threads, 5 reps, `process.cpuUsage()` of the whole process, main thread
 * and threads together, median; 2026-12-02, loaded 2-core machine): the
 * Effect `Worker` pool (`makePoolSerialized`, one `executeEffect` per task)
 * 336 µs CPU per task; this transport with one `Task` item per task 65 µs;
 * with `Task.runAll` batches 30 µs; Piscina 45 µs. Bench case 7 also puts one `postMessage` per task next to
 * batched messages (quick run on a loaded 2-core machine: about 53k against
 * 573k tasks/s for the bare transports). Batching many tasks per message,
 * behind the same Schema contract (`Task.encodeRequest` / `Task.serve` /
 * `Task.decodeResult`), is what this file does.
 *
 * Invariants:
 * - an entry is in `inflight` of exactly one thread from dispatch until its
 *   result, its thread's loss, its caller's interruption, or the transport's
 *   close (then it ends as interrupted);
 * - an entry whose thread is lost is resent to the replacement unless the
 *   thread had reported it started, or it was already resent once (then it
 *   fails with `TaskCpuLost`);
 * - received results are finished within a budget per turn (`drain`), the
 *   rest in the next turns; results received before a thread's exit are
 *   finished before its loss is handled;
 * - a batch (`Task.runAll`, `sendAll`) is one entry: one slot in the
 *   outbox, one result array back, decoded in one go; it counts its tasks in
 *   the thread's `load`;
 * - the outbox is flushed once per event-loop turn (`setImmediate`): every
 *   task dispatched in one turn travels in one message, a JSON string (one
 *   string clones faster than thousands of small objects; the encoded forms
 *   of Schema values are JSON data).
 *
 * @internal
 */
import { Worker } from "node:worker_threads"
import { Task } from "@cmwq/core"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as FiberId from "effect/FiberId"

/** @internal */
export interface ThreadExit {
  readonly cpu: number
  readonly reason: string
  /** tasks that were running on it and failed with TaskCpuLost */
  readonly lost: ReadonlyArray<string>
  /** tasks it had received but not started, sent to the replacement */
  readonly resent: number
  readonly replaced: boolean
}

/** @internal */
export interface ThreadsConfig {
  readonly threads: number
  readonly handlers: string
  readonly exportName: string
  readonly threadPools: Record<string, unknown>
  readonly onThreadExit: ((info: ThreadExit) => void) | undefined
  readonly execArgv: ReadonlyArray<string> | undefined
}

interface Entry {
  readonly id: number
  /** one task, or null for a batch (`requests`) */
  readonly request: Task.Request | null
  /** a batch's tasks (`Task.runAll`), or null */
  readonly requests: ReadonlyArray<Task.Request> | null
  /** one task's encoded payload, or a batch's `[tag, payload, ...]` */
  readonly payload: unknown
  readonly flags: number
  resume: ((exit: Exit.Exit<unknown, unknown>) => void) | null
  resumeAll: ((exits: ReadonlyArray<Exit.Exit<unknown, unknown>>) => void) | null
  started: boolean
  /** P: how many threads it was sent to */
  attempts: number
  thread: ThreadCpu
}

const weight = (entry: Entry): number => entry.requests === null ? 1 : entry.requests.length

const entryUrl = (): URL => {
  const self = import.meta.url
  return new URL(self.endsWith(".ts") ? "./threadMain.ts" : "./threadMain.js", self)
}

/** CMWQ_THREADS_DEBUG=1: print the message and task counts at exit (how well batching works) */
const DEBUG = process.env["CMWQ_THREADS_DEBUG"] === "1"
const stats = { sent: 0, sentTasks: 0, recv: 0, recvTasks: 0 }
if (DEBUG) process.on("exit", () => process.stderr.write(`cmwq threads transport: ${JSON.stringify(stats)}\n`))

/**
 * How long one turn of the main thread finishes received results before it
 * hands the event loop back (the main loop's delay target while offloading
 * 10^5 tasks is 5 ms: bench case 7's loop-delay row).
 */
const RESULT_BUDGET_MS = 2

/** tasks in the outbox at which it is sent at once, not at the end of the turn (one batch of `Task.runAll`) */
const FLUSH_AT = 1024

/** @internal one CPU thread */
class ThreadCpu {
  worker!: Worker
  readonly inflight = new Map<number, Entry>()
  /** P: tasks in flight (a batch counts its tasks): the load `pick` compares */
  load = 0
  outbox: Array<unknown> = []
  /** tasks in the outbox (a batch counts its tasks) */
  outboxTasks = 0
  scheduled = false
  alive = true
  fatal: string | null = null
  /** P: the thread loaded its handlers (a thread lost before that is not replaced: it would fail again) */
  ready = false
  generation = 0
  constructor(readonly transport: ThreadTransport, readonly cpu: number) {
    this.spawn()
  }

  spawn(): void {
    const cfg = this.transport.config
    const url = entryUrl()
    const ts = url.pathname.endsWith(".ts")
    const execArgv = cfg.execArgv !== undefined
      ? [...cfg.execArgv]
      : ts
      ? ["--conditions=@cmwq/source"]
      : process.execArgv
    const workerData = { handlers: cfg.handlers, exportName: cfg.exportName, cpu: this.cpu, pools: cfg.threadPools }
    // from sources (tests, bench): register tsx in the thread, then load the TypeScript entry
    const worker = ts
      ? new Worker(
        `import("tsx/esm/api").then((m) => { m.register(); return import(${JSON.stringify(url.href)}) })`,
        { eval: true, execArgv, workerData }
      )
      : new Worker(url, { execArgv, workerData })
    const generation = ++this.generation
    this.worker = worker
    this.alive = true
    this.ready = false
    worker.on("message", (msg: string | { k: string; reason?: string }) => {
      if (typeof msg === "string") {
        const parsed = JSON.parse(msg) as [Array<unknown>, Array<number>]
        if (DEBUG) {
          stats.recv++
          stats.recvTasks += parsed[0].length / 2
        }
        this.onMessage(parsed[0], parsed[1])
      } else if (msg.k === "dump") this.transport.onDump(this.cpu, (msg as { id?: number }).id!, String(msg.reason))
      else if (msg.k === "ready") this.ready = true
      else if (msg.k === "fatal") this.fatal = msg.reason ?? "fatal"
    })
    let reason = "exited"
    worker.on("error", (e) => {
      reason = `crashed: ${e instanceof Error ? e.message : String(e)}`
    })
    worker.on("exit", (code) => {
      if (generation !== this.generation) return
      if (!this.ready && this.fatal === null) this.fatal = `${reason} before it was ready (exit code ${code})`
      this.onExit(this.fatal !== null ? `handlers module failed: ${this.fatal}` : `${reason} (exit code ${code})`)
    })
  }

  send(entry: Entry): void {
    entry.thread = this
    entry.attempts++
    this.inflight.set(entry.id, entry)
    this.load += weight(entry)
    this.outbox.push(entry.id, entry.request === null ? null : entry.request._tag, entry.payload, entry.flags)
    this.outboxTasks += weight(entry)
    if (this.outboxTasks >= FLUSH_AT) {
      // a full message goes now: one turn that dispatches many batches must not build one huge string
      this.flushCallback()
      return
    }
    if (!this.scheduled) {
      this.scheduled = true
      setImmediate(this.flushCallback)
    }
  }

  readonly flushCallback = (): void => {
    this.scheduled = false
    if (this.outbox.length === 0 || !this.alive) return
    const b = this.outbox
    this.outbox = []
    this.outboxTasks = 0
    this.worker.postMessage(JSON.stringify(b))
    if (DEBUG) {
      stats.sent++
      stats.sentTasks += b.length / 4
    }
  }

  /** result batches received and not yet finished, oldest first; `doneAt`: the next result of the first */
  readonly results: Array<Array<unknown>> = []
  doneAt = 0
  draining = false

  onMessage(b: Array<unknown>, s: Array<number>): void {
    for (let i = 0; i < s.length; i++) {
      const entry = this.inflight.get(s[i]!)
      if (entry !== undefined) entry.started = true
    }
    if (b.length === 0) return
    this.results.push(b)
    if (!this.draining) {
      this.draining = true
      this.drain(RESULT_BUDGET_MS)
    }
  }

  readonly drainCallback = (): void => this.drain(RESULT_BUDGET_MS)

  /**
   * Finish received results for at most `budgetMs`, then hand the event loop
   * back and go on in the next turn: a batch of thousands of results (each
   * one decodes, retires its item and may activate the next) must not hold
   * the main thread for its whole length.
   */
  drain(budgetMs: number): void {
    const end = performance.now() + budgetMs
    let n = 0
    while (this.results.length > 0) {
      const b = this.results[0]!
      while (this.doneAt < b.length) {
        const id = b[this.doneAt] as number
        const wire = b[this.doneAt + 1] as Task.WireResult
        this.doneAt += 2
        const entry = this.inflight.get(id)
        if (entry !== undefined) {
          this.inflight.delete(id)
          this.load -= weight(entry)
          if (entry.requests !== null) {
            // a batch: its results in one array, decoded in one go
            const resumeAll = entry.resumeAll
            entry.resumeAll = null
            const wires = wire as unknown as ReadonlyArray<Task.WireResult>
            if (resumeAll !== null) resumeAll(entry.requests.map((r, i) => Task.decodeResult(r, wires[i]!)))
            n = (n | 31) + 1
          } else {
            const resume = entry.resume
            entry.resume = null
            if (resume !== null) resume(Task.decodeResult(entry.request!, wire))
            n++
          }
        }
        if ((n & 31) === 0 && performance.now() >= end) {
          setImmediate(this.drainCallback)
          return
        }
      }
      this.results.shift()
      this.doneAt = 0
    }
    this.draining = false
  }

  interrupt(entry: Entry): void {
    if (this.alive && this.inflight.has(entry.id)) this.worker.postMessage({ k: "int", id: entry.id })
  }

  onExit(reason: string): void {
    // results that arrived before the exit are results: finish them first
    if (this.results.length > 0) this.drain(Infinity)
    this.alive = false
    this.scheduled = false
    this.outbox = []
    this.outboxTasks = 0
    if (this.transport.closing) return
    const replace = this.fatal === null
    const lost: Array<string> = []
    const resend: Array<Entry> = []
    for (const entry of this.inflight.values()) {
      // started, or lost twice unacknowledged (a task that kills its thread before
      // its start is reported must not kill every replacement)
      if (entry.started || !replace || entry.attempts >= 2) {
        if (entry.requests !== null) {
          // a batch: every task of it fails, each naming itself
          for (const tag of new Set(entry.requests.map((r) => r._tag))) lost.push(tag)
          const resumeAll = entry.resumeAll
          entry.resumeAll = null
          if (resumeAll !== null) {
            resumeAll(
              entry.requests.map((r) => Exit.fail(new Task.TaskCpuLost({ task: r._tag, cpu: this.cpu, reason })))
            )
          }
          continue
        }
        lost.push(entry.request!._tag)
        const resume = entry.resume
        entry.resume = null
        if (resume !== null) {
          resume(Exit.fail(new Task.TaskCpuLost({ task: entry.request!._tag, cpu: this.cpu, reason })))
        }
      } else {
        resend.push(entry)
      }
    }
    this.inflight.clear()
    this.load = 0
    const info: ThreadExit = { cpu: this.cpu, reason, lost, resent: resend.length, replaced: replace }
    this.transport.report(info)
    if (replace) {
      this.fatal = null
      this.spawn()
      for (const entry of resend) this.send(entry)
    }
  }
}

/** @internal the transport */
export class ThreadTransport implements Task.Transport {
  readonly cpus: Array<ThreadCpu> = []
  nextId = 0
  closing = false
  constructor(readonly config: ThreadsConfig) {
    for (let i = 0; i < config.threads; i++) this.cpus.push(new ThreadCpu(this, i))
  }

  report(info: ThreadExit): void {
    const text = `cmwq: CPU thread ${info.cpu} ${info.reason}; ${info.lost.length} running task(s) failed` +
      (info.lost.length > 0 ? ` (${info.lost.join(", ")})` : "") +
      `, ${info.resent} resent${info.replaced ? "; replaced" : "; not replaced"}`
    Effect.runFork(Effect.logWarning(text))
    if (this.config.onThreadExit !== undefined) this.config.onThreadExit(info)
  }

  pick(target: Task.Target): ThreadCpu {
    const cpus = this.cpus
    if (target.cpu >= 0) return cpus[target.cpu % cpus.length]!
    let best: ThreadCpu | undefined
    for (const c of target.cpus) {
      const t = cpus[c]
      if (t !== undefined && (best === undefined || t.load < best.load)) best = t
    }
    return best ?? cpus[0]!
  }

  /** hand a task to its thread; `done` gets its Exit once (at once if it cannot be sent) */
  readonly send = (
    request: Task.Request,
    target: Task.Target,
    handle: Task.RunHandle,
    done: (exit: Exit.Exit<unknown, unknown>) => void
  ): Entry | null => {
    let payload: unknown
    try {
      payload = Task.encodeRequest(request)
    } catch (e) {
      done(Exit.fail(e))
      return null
    }
    const thread = this.pick(target)
    if (!thread.alive && thread.fatal !== null) {
      done(Exit.fail(new Task.TaskCpuLost({ task: request._tag, cpu: thread.cpu, reason: thread.fatal })))
      return null
    }
    const entry: Entry = {
      id: this.nextId++,
      request,
      requests: null,
      payload,
      flags: (target.highpri ? 1 : 0) | (target.cpuIntensive ? 2 : 0),
      resume: done,
      resumeAll: null,
      started: false,
      attempts: 0,
      thread
    }
    thread.send(entry)
    handle.interrupt = () => entry.thread.interrupt(entry)
    handle.where = `thread CPU ${thread.cpu}`
    return entry
  }

  /**
   * hand a batch of tasks (`Task.runAll`) to one thread, as one entry: one
   * slot in the message, one result array back; `done` gets their Exits once
   */
  readonly sendAll = (
    requests: ReadonlyArray<Task.Request>,
    target: Task.Target,
    handle: Task.RunHandle,
    done: (exits: ReadonlyArray<Exit.Exit<unknown, unknown>>) => void
  ): void => {
    const n = requests.length
    const payload = new Array<unknown>(2 * n)
    const exits = new Array<Exit.Exit<unknown, unknown> | undefined>(n)
    let bad = 0
    for (let i = 0; i < n; i++) {
      const r = requests[i]!
      payload[2 * i] = r._tag
      try {
        payload[2 * i + 1] = Task.encodeRequest(r)
      } catch (e) {
        // does not encode: fails on its own, the others go
        exits[i] = Exit.fail(e)
        payload[2 * i] = null
        bad++
      }
    }
    const thread = this.pick(target)
    if (bad === n || (!thread.alive && thread.fatal !== null)) {
      done(
        requests.map((r, i) =>
          exits[i] ?? Exit.fail(new Task.TaskCpuLost({ task: r._tag, cpu: thread.cpu, reason: thread.fatal! }))
        )
      )
      return
    }
    const entry: Entry = {
      id: this.nextId++,
      request: null,
      requests,
      payload,
      flags: (target.highpri ? 1 : 0) | (target.cpuIntensive ? 2 : 0),
      resume: null,
      resumeAll: bad === 0 ? done : (sent) => done(sent.map((e, i) => exits[i] ?? e)),
      started: false,
      attempts: 0,
      thread
    }
    thread.send(entry)
    handle.interrupt = () => entry.thread.interrupt(entry)
    handle.where = `thread CPU ${thread.cpu}`
  }

  readonly run = (
    request: Task.Request,
    target: Task.Target,
    handle: Task.RunHandle
  ): Effect.Effect<unknown, unknown> =>
    Effect.async<unknown, unknown>((resume) => {
      const entry = this.send(request, target, handle, resume)
      if (entry === null) return
      return Effect.sync(() => {
        // the queueing side gave up (its worker was interrupted): stop it there too
        entry.resume = null
        entry.thread.interrupt(entry)
      })
    })

  readonly dumps = new Map<number, (text: string) => void>()
  nextDump = 0

  onDump(_cpu: number, id: number, text: string): void {
    const resolve = this.dumps.get(id)
    this.dumps.delete(id)
    if (resolve !== undefined) resolve(text)
  }

  /**
   * Every thread's own dump (its pools, workers and what each runs), asked
   * for over the same port; a thread that is down or does not answer within
   * `timeoutMs` says so instead.
   */
  dump(timeoutMs: number): Promise<Array<{ readonly cpu: number; readonly text: string }>> {
    return Promise.all(this.cpus.map((c) =>
      new Promise<{ readonly cpu: number; readonly text: string }>((resolve) => {
        if (!c.alive || !c.ready) {
          resolve({ cpu: c.cpu, text: c.alive ? "(starting)" : "(down)" })
          return
        }
        const id = this.nextDump++
        const timer = setTimeout(() => {
          this.dumps.delete(id)
          resolve({ cpu: c.cpu, text: `(no answer within ${timeoutMs} ms)` })
        }, timeoutMs)
        this.dumps.set(id, (text) => {
          clearTimeout(timer)
          resolve({ cpu: c.cpu, text })
        })
        c.worker.postMessage({ k: "dump", id })
      })
    ))
  }

  close(): Promise<unknown> {
    this.closing = true
    // what is still in flight ends as interrupted: its caller must not wait for a thread that is going
    for (const c of this.cpus) {
      for (const entry of c.inflight.values()) {
        const resume = entry.resume
        const resumeAll = entry.resumeAll
        entry.resume = null
        entry.resumeAll = null
        if (resume !== null) resume(Exit.interrupt(FiberId.none))
        if (resumeAll !== null) resumeAll(entry.requests!.map(() => Exit.interrupt(FiberId.none)))
      }
      c.inflight.clear()
      c.load = 0
    }
    return Promise.all(this.cpus.map((c) => c.worker.terminate()))
  }

  /** in-flight tasks per CPU (diagnostics) */
  load(): ReadonlyArray<number> {
    return this.cpus.map((c) => c.load)
  }

  /** terminate a CPU's thread as a crash would (tests) */
  kill(cpu: number): Promise<number> {
    return this.cpus[cpu]!.worker.terminate()
  }
}
