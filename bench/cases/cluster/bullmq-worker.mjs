/* global performance, setTimeout */
/**
 * One BullMQ worker process of bench case 10 (three workers): the same two
 * kinds of job as `./tasks.ts` (`tiny`: nothing; `wait`: a timer of `ms`),
 * each returning when it finished and in which process.
 *
 * Arguments: `<redis port> <queue name> <concurrency>`. Prints `ready` on
 * stdout once the worker is connected, then runs until killed.
 */
import { Worker } from "bullmq"

const [port, name, concurrency] = process.argv.slice(2)
const epochMs = () => performance.timeOrigin + performance.now()
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms))

const worker = new Worker(
  name,
  async (job) => {
    if (job.name === "wait") await sleep(job.data.ms)
    return { at: epochMs(), runner: `${process.pid}/0` }
  },
  { connection: { host: "127.0.0.1", port: Number(port) }, concurrency: Number(concurrency), autorun: true }
)
await worker.waitUntilReady()
process.stdout.write("ready\n")
