/* global setImmediate */
// batched worker_threads: a message carries many tasks as a flat array
// [id, k, a, b, ...]; results go back as [id, r, ...], one message per
// event-loop turn (the transport's limit: what no per-task protocol can beat)
import { parentPort } from "node:worker_threads"
import { runTask, runTaskAsync } from "./work.mjs"

let out = []
let scheduled = false
const flush = () => {
  scheduled = false
  const b = out
  out = []
  parentPort.postMessage(b)
}
const reply = (id, r) => {
  out.push(id, r)
  if (!scheduled) {
    scheduled = true
    setImmediate(flush)
  }
}
parentPort.on("message", (b) => {
  for (let i = 0; i < b.length; i += 4) {
    const id = b[i], k = b[i + 1], a = b[i + 2], c = b[i + 3]
    if (k === 2) runTaskAsync(k, a, c).then((r) => reply(id, r))
    else reply(id, runTask(k, a, c))
  }
})
