/**
 * docs/examples/http-server.ts, for real: started on a loopback port, a few
 * requests from a client that stops by itself, the responses and the
 * deferred jobs checked, then shut down (which drains the workqueue); and
 * run as its own process, as a user runs it, stopped by SIGINT while mails
 * are still queued (`NodeRuntime.runMain` interrupts it, the workqueue's
 * layer drains it).
 */
import { HttpServer } from "@effect/platform"
import { describe, expect, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Logger from "effect/Logger"
import * as LogLevel from "effect/LogLevel"
import * as Schedule from "effect/Schedule"
import * as path from "node:path"
import { fileURLToPath } from "node:url"
import { afterAll } from "vitest"
import { Workqueue } from "@cmwq/core"
import { Jobs, Mailer, ServerLive } from "../../../docs/examples/http-server.js"
import { awaitExit, killAll, spawnScoped } from "./helpers/child.js"

const here = path.dirname(fileURLToPath(import.meta.url))
const root = path.resolve(here, "../../..")

describe("the HTTP example", () => {
  afterAll(killAll)

  it.scopedLive(
    "as a process: SIGINT with mails queued sends every accepted mail, then exits 0",
    () =>
      Effect.gen(function*() {
        const server = yield* spawnScoped(
          process.execPath,
          ["--conditions=@cmwq/source", "--import", "tsx", path.join(root, "docs", "examples", "http-server.ts")],
          { cwd: root, env: { ...process.env, PORT: "0", NODE_OPTIONS: "", NO_COLOR: "1" } }
        )
        // HttpServer.withLogAddress logs the address once the server listens
        const port = yield* Effect.suspend(() => {
          const m = /Listening on http:\/\/127\.0\.0\.1:(\d+)/.exec(server.stdout())
          return m === null ? Effect.fail(new Error("not listening yet")) : Effect.succeed(Number(m[1]))
        }).pipe(
          Effect.retry(Schedule.spaced("20 millis")),
          Effect.timeoutFail({
            duration: "40 seconds",
            onTimeout: () => new Error(`the server never listened\n${server.stdout()}\n${server.stderr()}`)
          })
        )
        // 40 mails of 20 ms each under maxActive 4: about 200 ms of mailing left when SIGINT comes
        const names = Array.from({ length: 40 }, (_, i) => `user${i}`)
        const statuses = yield* Effect.promise(() =>
          Promise.all(
            names.map((n) => fetch(`http://127.0.0.1:${port}/signup/${n}`, { method: "POST" }).then((r) => r.status))
          )
        )
        expect(statuses).toEqual(names.map(() => 202))
        server.proc.kill("SIGINT")
        const { code, signal } = yield* awaitExit(server, "40 seconds", "the HTTP example after SIGINT")
        const mailed = [...server.stdout().matchAll(/mailed (user\d+)/g)].map((m) => m[1])
        expect({ code, signal }).toEqual({ code: 0, signal: null })
        expect([...mailed].sort()).toEqual([...names].sort())
      }),
    90_000
  )

  it.live("answers, defers the mails to the workqueue, and drains them on shutdown", () => {
    let mailerRef: Effect.Effect<ReadonlyArray<string>> | null = null
    return Effect.gen(function*() {
      const server = yield* HttpServer.HttpServer
      const address = server.address
      if (address._tag !== "TcpAddress") throw new Error("expected a TCP address")
      const base = `http://127.0.0.1:${address.port}`
      const names = ["ada", "grace", "linus"]
      const signups = yield* Effect.promise(() =>
        Promise.all(names.map((n) => fetch(`${base}/signup/${n}`, { method: "POST" })))
      )
      const bodies = yield* Effect.promise(() => Promise.all(signups.map((r) => r.text())))
      expect(signups.map((r) => r.status)).toEqual([202, 202, 202])
      expect(bodies).toEqual(names.map((n) => `welcome, ${n}\n`))
      const render = yield* Effect.promise(() => fetch(`${base}/render/3`))
      expect(render.status).toBe(200)
      expect(yield* Effect.promise(() => render.text())).toBe("<p>***</p>")
      const mailer = yield* Mailer
      mailerRef = mailer.sent
      // the mails are deferred: wait for them as a producer would
      yield* Workqueue.flush(yield* Jobs)
      expect([...(yield* mailer.sent)].sort()).toEqual([...names].sort())
      // one more, left queued: shutting down must drain it
      const last = yield* Effect.promise(() => fetch(`${base}/signup/margaret`, { method: "POST" }))
      expect(last.status).toBe(202)
    }).pipe(
      Effect.provide(ServerLive(0)),
      Effect.zipRight(Effect.suspend(() => mailerRef!)),
      Effect.map((sent) => expect(sent).toContain("margaret")),
      Logger.withMinimumLogLevel(LogLevel.None)
    )
  })
})
