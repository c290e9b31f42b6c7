#!/usr/bin/env node
// The `cmwq` command (src/ReplayCli.ts). A published install runs the built
// dist/; a clone of the repository (no build) re-runs itself under tsx with the
// "@cmwq/source" condition, so `npx cmwq` works right after `npm ci`.
import { spawnSync } from "node:child_process"
import { existsSync } from "node:fs"
import { dirname, join } from "node:path"
import { fileURLToPath } from "node:url"

const here = dirname(fileURLToPath(import.meta.url))
const dist = join(here, "..", "dist", "cli.js")
if (existsSync(dist)) {
  await import(dist)
} else {
  const result = spawnSync(
    process.execPath,
    ["--conditions=@cmwq/source", "--import", "tsx", join(here, "..", "src", "cli.ts"), ...process.argv.slice(2)],
    { stdio: "inherit" }
  )
  process.exit(result.status ?? 1)
}
