// raw worker_threads: one message per task ({ id, k, a, b } -> { id, r })
import { parentPort } from "node:worker_threads"
import { runTask, runTaskAsync } from "./work.mjs"

parentPort.on("message", (m) => {
  if (m.k === 2) {
    runTaskAsync(m.k, m.a, m.b).then((r) => parentPort.postMessage({ id: m.id, r }))
  } else {
    parentPort.postMessage({ id: m.id, r: runTask(m.k, m.a, m.b) })
  }
})
