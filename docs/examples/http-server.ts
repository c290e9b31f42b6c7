/**
 * An HTTP server (@effect/platform, NodeHttpServer) that defers work to a
 * workqueue:
 * - `POST /signup/:name` answers 202 at once and queues a welcome mail
 *   (`Workqueue.queue`); the item uses the `Mailer` service, which the
 *   handler's context provides (the item runs with the Context of its queue
 *   call);
 * - `GET /render/:n` renders on the workqueue and waits for the result
 *   (`Workqueue.run`), under the workqueue's `maxActive`.
 *
 * Ctrl-C (SIGINT): `NodeRuntime.runMain` interrupts the program, the layers
 * close in reverse order: the server stops accepting, then the `Jobs`
 * workqueue is destroyed, which drains it, so every queued mail is sent
 * before the process exits.
 *
 * Run it: `npx tsx --conditions=@cmwq/source docs/examples/http-server.ts`
 * (`PORT=8080` for another port than 3000), then
 * `curl -X POST localhost:3000/signup/ada`.
 * Tested by packages/platform-node/test/HttpExample.test.ts, in process and
 * as a child process that gets SIGINT with mails still queued.
 */
import { createServer } from "node:http"
import { HttpRouter, HttpServer, HttpServerResponse } from "@effect/platform"
import { NodeHttpServer, NodeRuntime } from "@effect/platform-node"
import { Context, Effect, Layer, Ref } from "effect"
import { Work, WorkerPool, Workqueue } from "@cmwq/core"

/** a service the deferred jobs use */
export class Mailer extends Context.Tag("Mailer")<Mailer, {
  readonly send: (to: string) => Effect.Effect<void>
  readonly sent: Effect.Effect<ReadonlyArray<string>>
}>() {
  static readonly layer = Layer.effect(
    Mailer,
    Effect.map(Ref.make<ReadonlyArray<string>>([]), (outbox) => ({
      send: (to: string) =>
        Effect.zipRight(
          Effect.sleep("20 millis"), // the SMTP round trip
          Effect.zipRight(Ref.update(outbox, (sent) => [...sent, to]), Effect.logInfo(`mailed ${to}`))
        ),
      sent: Ref.get(outbox)
    }))
  )
}

/** the workqueue, as a service */
export class Jobs extends Workqueue.Tag("jobs")<Jobs>() {}

const router = HttpRouter.empty.pipe(
  HttpRouter.post(
    "/signup/:name",
    Effect.gen(function*() {
      const { name = "nobody" } = yield* HttpRouter.params
      const jobs = yield* Jobs
      const mail = Work.make(Effect.flatMap(Mailer, (mailer) => mailer.send(name)), { name: `welcome ${name}` })
      yield* Workqueue.queue(jobs, mail)
      return HttpServerResponse.text(`welcome, ${name}\n`, { status: 202 })
    })
  ),
  HttpRouter.get(
    "/render/:n",
    Effect.gen(function*() {
      const n = Number((yield* HttpRouter.params).n)
      const jobs = yield* Jobs
      const html = yield* Workqueue.run(jobs, Effect.sync(() => `<p>${"*".repeat(Math.min(n, 80))}</p>`), {
        name: "render"
      })
      return HttpServerResponse.html(html)
    })
  ),
  HttpRouter.catchAll((error) => HttpServerResponse.text(String(error), { status: 500 }))
)

/**
 * The whole server on `port` (0: any free one), on the loopback interface;
 * its outputs (HttpServer, Jobs, Mailer, WorkerPools) let a test look in.
 */
export const ServerLive = (port: number) =>
  router.pipe(
    HttpServer.serve(),
    HttpServer.withLogAddress,
    Layer.provideMerge(Jobs.layer({ maxActive: 4 })),
    Layer.provideMerge(Mailer.layer),
    Layer.provideMerge(WorkerPool.layer()),
    Layer.provideMerge(NodeHttpServer.layer(createServer, { port, host: "127.0.0.1" }))
  )

if (process.argv[1] !== undefined && import.meta.url.endsWith(process.argv[1].replace(/\\/g, "/"))) {
  Layer.launch(ServerLive(Number(process.env.PORT ?? 3000))).pipe(NodeRuntime.runMain)
}
