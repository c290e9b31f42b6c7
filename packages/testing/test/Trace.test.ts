import { describe, expect, it } from "@effect/vitest"
import { Trace } from "@cmwq/testing"

describe("Trace", () => {
  const trace: Trace.Trace = [
    { t: 0, cpu: 0, worker: -1, work: "w0", event: "queue", pending: false },
    { t: 0, cpu: 0, worker: -1, work: "w0", event: "reject", pending: true },
    { t: 0, cpu: 0, worker: 1, work: "w0", event: "start", pool: 0 },
    { t: 1, cpu: 0, worker: 1, work: "w0", event: "finish", outcome: "failure" },
    { t: 1, cpu: -1, worker: -1, work: "w1", event: "queue", from: "w0" },
    { t: 2, cpu: 0, worker: 1, work: "w1", event: "start" },
    { t: 3, cpu: 0, worker: 1, work: "w1", event: "finish", outcome: "defect" }
  ]

  it("format and lines leave queue attempts out unless asked, and say how a run ended", () => {
    expect(Trace.lines(trace)).toEqual(["0 w0 start", "1 w0 finish", "2 w1 start", "3 w1 finish"])
    expect(Trace.format(trace)).toBe([
      " TIME IN MSECS  EVENT",
      "             0  w0 starts  (cpu 0, worker 1)",
      "             1  w0 fails  (cpu 0, worker 1)",
      "             2  w1 starts  (cpu 0, worker 1)",
      "             3  w1 dies  (cpu 0, worker 1)"
    ].join("\n"))
    expect(Trace.format(trace, { queues: true })).toContain("0  w0 is already pending (not queued)  (cpu 0)")
    expect(Trace.lines(trace, { queues: true })).toHaveLength(7)
  })
})
