/**
 * The entry point of the `cmwq` bin (bin/cmwq.mjs): `ReplayCli.main` on
 * `process.argv` with the Node context.
 *
 * @since 0.1.0
 */
import * as NodeContext from "@effect/platform-node/NodeContext"
import * as NodeRuntime from "@effect/platform-node/NodeRuntime"
import * as Effect from "effect/Effect"
import { main } from "./ReplayCli.js"

main(process.argv).pipe(Effect.provide(NodeContext.layer), NodeRuntime.runMain({ disableErrorReporting: true }))
