/**
 * Child processes for tests, which never outlive their test.
 *
 * `spawnScoped` starts a process in a process group of its own and adds a
 * finalizer to the scope that kills the whole group (SIGKILL) if it is still
 * running, so that a test that fails, times out or is interrupted leaves
 * nothing behind (a child in the middle of an endless burst, or a tsx loader
 * with its esbuild service). `awaitExit` waits for the exit within a bound.
 * Every process started here is also remembered, and `killAll` (registered
 * with `afterAll` by the test files) kills what a finalizer could not reach.
 */
import * as Deferred from "effect/Deferred"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import type * as Scope from "effect/Scope"
import type { ChildProcess, SpawnOptions } from "node:child_process"
import { spawn } from "node:child_process"

/** a spawned child, with its output so far and its exit */
export interface Child {
  readonly proc: ChildProcess
  readonly stdout: () => string
  readonly stderr: () => string
  readonly exit: Deferred.Deferred<{ readonly code: number | null; readonly signal: NodeJS.Signals | null }, Error>
}

const alive = new Set<ChildProcess>()

const killGroup = (proc: ChildProcess) => {
  if (proc.pid === undefined) return
  try {
    // the negative pid is the process group: the child and whatever it started
    process.kill(-proc.pid, "SIGKILL")
  } catch {
    // already gone
  }
}

/** kill every child still running (for `afterAll`) */
export const killAll = (): void => {
  for (const proc of alive) killGroup(proc)
  alive.clear()
}

/** spawn `command`; the scope's finalizer kills its process group */
export const spawnScoped = (
  command: string,
  args: ReadonlyArray<string>,
  options: SpawnOptions = {}
): Effect.Effect<Child, never, Scope.Scope> =>
  Effect.acquireRelease(
    Effect.gen(function*() {
      const exit = yield* Deferred.make<{ code: number | null; signal: NodeJS.Signals | null }, Error>()
      const proc = spawn(command, [...args], { stdio: ["ignore", "pipe", "pipe"], ...options, detached: true })
      alive.add(proc)
      let out = ""
      let err = ""
      proc.stdout?.on("data", (d: Buffer) => (out += d.toString()))
      proc.stderr?.on("data", (d: Buffer) => (err += d.toString()))
      proc.on("error", (e) => {
        alive.delete(proc)
        Deferred.unsafeDone(exit, Effect.fail(e))
      })
      proc.on("exit", (code, signal) => {
        alive.delete(proc)
        Deferred.unsafeDone(exit, Effect.succeed({ code, signal }))
      })
      return { proc, stdout: () => out, stderr: () => err, exit } satisfies Child
    }),
    (child) =>
      Effect.sync(() => {
        // even after the child's own exit: a grandchild may hold the group
        killGroup(child.proc)
        alive.delete(child.proc)
      })
  )

/** the child's exit, or a failure naming `what` after `within` */
export const awaitExit = (child: Child, within: Duration.DurationInput, what: string) =>
  Deferred.await(child.exit).pipe(
    Effect.timeoutFail({
      duration: within,
      onTimeout: () =>
        new Error(`${what}: no exit within ${Duration.format(Duration.decode(within))}\n${child.stderr()}`)
    })
  )
