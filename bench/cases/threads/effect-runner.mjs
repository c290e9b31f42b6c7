// The thread of the @effect/platform Worker contender: WorkerRunner with
// @effect/platform-node's NodeWorkerRunner, serving the Add schema.
import * as NodeRuntime from "@effect/platform-node/NodeRuntime"
import * as NodeWorkerRunner from "@effect/platform-node/NodeWorkerRunner"
import * as WorkerRunner from "@effect/platform/WorkerRunner"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import { Add } from "./effect-tasks.mjs"

const live = WorkerRunner.layerSerialized(Add, { Add: ({ a, b }) => Effect.succeed(a + b) })

NodeRuntime.runMain(WorkerRunner.launch(Layer.provide(live, NodeWorkerRunner.layer)))
