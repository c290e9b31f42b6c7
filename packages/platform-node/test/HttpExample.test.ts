/**
 * docs/examples/http-server.ts, for real: started on a loopback port, a few
 * requests from a client that stops by itself, the responses and the
 * deferred jobs checked, then shut down (which drains the workqueue).
 */
import { HttpServer } from "@effect/platform"
import { describe, expect, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Logger from "effect/Logger"
import * as LogLevel from "effect/LogLevel"
import { Workqueue } from "@cmwq/core"
import { Jobs, Mailer, ServerLive } from "../../../docs/examples/http-server.js"

describe("the HTTP example", () => {
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
