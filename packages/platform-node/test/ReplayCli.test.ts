/**
 * The `cmwq` bin, spawned as a user runs it: `cmwq replay trace.json` on a
 * recording of a demo-like workload (examples/trace.json, written from
 * packages/testing/test/demoRecording.ts), with what-if flags, and its typed
 * errors for a bad file and a bad flag.
 */
import { describe, expect, it } from "@effect/vitest"
import { spawnSync } from "node:child_process"
import { mkdtempSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"

const bin = join(import.meta.dirname, "..", "bin", "cmwq.mjs")
const cmwq = (...args: Array<string>) => {
  const r = spawnSync(process.execPath, [bin, ...args], { encoding: "utf8", timeout: 120_000 })
  return { status: r.status, stdout: r.stdout, stderr: r.stderr }
}

describe("cmwq replay", () => {
  const dir = mkdtempSync(join(tmpdir(), "cmwq-cli-"))
  const trace = join(import.meta.dirname, "..", "examples", "trace.json")

  it("prints the start-order check and the side-by-side what-if report", () => {
    const out = cmwq("replay", trace, "--max-active", "io=1", "--cpus", "2")
    expect(out.stderr).toBe("")
    expect(out.status).toBe(0)
    expect(out.stdout).toContain("54 items on 4 workqueues, 1 CPU(s)")
    expect(out.stdout).toContain("io: start order as recorded")
    expect(out.stdout).toContain("what-if: max_active io: 16 -> 1; cpus: 1 -> 2")
    const row = out.stdout.split("\n").find((l) => l.startsWith("io: latency p99 (ms)"))!
    const [asRecorded, whatIf] = row.replace("io: latency p99 (ms)", "").trim().split(/\s+/).map(Number)
    expect(whatIf).toBeGreaterThan(asRecorded!)
  }, 180_000)

  it("fails with one line naming the problem: a missing file, a bad flag value, an unknown workqueue", () => {
    const missing = cmwq("replay", join(dir, "nope.json"))
    expect(missing.status).toBe(1)
    expect(missing.stderr).toContain("cmwq: cannot read")
    expect(missing.stderr).toContain("nope.json")
    const badFlag = cmwq("replay", trace, "--max-active", "io=lots")
    expect(badFlag.status).toBe(1)
    expect(badFlag.stderr).toContain("cmwq: --max-active io=lots: expected a whole number")
    const unknown = cmwq("replay", trace, "--max-active", "nope=3")
    expect(unknown.status).toBe(1)
    expect(unknown.stderr).toContain(`no workqueue named "nope"`)
    writeFileSync(join(dir, "bad.json"), "{ not json")
    expect(cmwq("replay", join(dir, "bad.json")).stderr).toContain("not JSON")
  }, 180_000)
})
