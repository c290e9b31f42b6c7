/**
 * `npm run lint`: eslint over the whole tree, then the runtime import-cycle
 * check. Both always run; the exit code is non-zero if either failed.
 * Arguments go to eslint, so `npm run lint -- --fix` fixes what eslint can.
 */
import { spawnSync } from "node:child_process"

const npm = process.platform === "win32" ? "npm.cmd" : "npm"
const run = (script, args = []) =>
  spawnSync(npm, ["run", "--silent", script, ...(args.length > 0 ? ["--", ...args] : [])], {
    stdio: "inherit",
    shell: process.platform === "win32"
  }).status

const eslint = run("lint:eslint", process.argv.slice(2))
const cycles = run("lint:cycles")
if (eslint !== 0) console.error("lint: eslint failed")
if (cycles !== 0) console.error("lint: runtime import cycles (npm run lint:cycles)")
process.exit(eslint === 0 && cycles === 0 ? 0 : 1)
