/**
 * The consumer check: the four packages as a user gets them from the
 * registry, not as the workspace links them.
 *
 *   npx tsx scripts/consumer-check.ts       (part of `npm test`)
 *
 * 1. Builds the packages (`npm run build`) and packs each one with
 *    `npm pack` into a scratch directory under the OS's temp dir.
 * 2. Checks each tarball's file list: `package.json`, `README.md`, `LICENSE`,
 *    `CHANGELOG.md`, `dist/index.js` and `dist/index.d.ts`, a `.d.ts`, a
 *    source map and a declaration map beside every `dist/**.js`, every
 *    source a map names is in the tarball, every `exports`, `main` and
 *    `types` target is in the tarball, and no test file, test directory,
 *    example or `.tsbuildinfo`.
 * 3. Creates a scratch project outside the repository and installs the
 *    tarballs there, with `effect` and `fast-check` (the peers) from the
 *    registry (`--prefer-offline`), without install scripts: the only one
 *    that matters, `better-sqlite3`'s (under `@cmwq/cluster`), builds its
 *    native module from source where no prebuilt binary can be fetched
 *    (about 2.5 minutes on a 2-core machine). The repository's own install
 *    built the same version for this Node, and that build is copied in.
 * 4. Runs `scripts/consumer/run.mjs` there with plain `node`: a workqueue
 *    under `WorkerPool.layer()`, items queued and flushed, through the
 *    published `dist/` (and `@cmwq/testing`, `@cmwq/platform-node`); and
 *    `scripts/consumer/require.cjs`: the same from CommonJS, through Node's
 *    `require(esm)`; and the `## Example` of each installed package's
 *    README.md, compiled by the repository's TypeScript (`tsc` with
 *    `scripts/consumer/tsconfig.emit.json`) and run with `node`.
 * 5. Type-checks `scripts/consumer/check.ts` and the README examples there with the repository's
 *    TypeScript and `scripts/consumer/tsconfig.json` (strict,
 *    noUncheckedIndexedAccess, exactOptionalPropertyTypes, skipLibCheck
 *    false, NodeNext), and checks that the compiler read the packages'
 *    `dist/*.d.ts` from the scratch project's node_modules.
 * 6. Prints a summary; exits 1 if any check failed. The scratch directory is
 *    removed on success and kept (its path printed) on failure.
 *
 * `--keep` keeps the scratch directory in any case.
 */
import { spawnSync } from "node:child_process"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { fileURLToPath } from "node:url"

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..")
const fixtures = path.join(root, "scripts", "consumer")
const packages = ["core", "testing", "platform-node", "cluster"] as const
const started = performance.now()
const keep = process.argv.includes("--keep")

const failures: Array<string> = []
const summary: Array<string> = []
const seconds = (since: number) => `${((performance.now() - since) / 1000).toFixed(1)} s`

interface Result {
  readonly ok: boolean
  readonly stdout: string
  readonly stderr: string
}

const run = (command: string, args: ReadonlyArray<string>, cwd: string): Result => {
  const result = spawnSync(command, args, { cwd, encoding: "utf8", env: { ...process.env, NODE_OPTIONS: "" } })
  if (result.error !== undefined) return { ok: false, stdout: "", stderr: String(result.error) }
  return { ok: result.status === 0, stdout: result.stdout, stderr: result.stderr }
}

/** runs a step; a failed command fails the check with its output */
const step = (name: string, command: string, args: ReadonlyArray<string>, cwd: string): Result | undefined => {
  const since = performance.now()
  const result = run(command, args, cwd)
  if (!result.ok) {
    failures.push(`${name}: \`${command} ${args.join(" ")}\` failed\n${result.stdout}${result.stderr}`)
    return undefined
  }
  summary.push(`${name}: ok (${seconds(since)})`)
  return result
}

const npm = process.platform === "win32" ? "npm.cmd" : "npm"

// -----------------------------------------------------------------------------
// 1. build and pack
// -----------------------------------------------------------------------------

const scratch = fs.mkdtempSync(path.join(os.tmpdir(), "cmwq-consumer-"))
const tarballs = path.join(scratch, "tarballs")
const project = path.join(scratch, "project")
fs.mkdirSync(tarballs)
fs.mkdirSync(project)

interface PackedFile {
  readonly path: string
}
interface Packed {
  readonly name: string
  readonly version: string
  readonly filename: string
  readonly files: ReadonlyArray<PackedFile>
}

const main = (): void => {
  if (step("build", npm, ["run", "build", "--silent"], root) === undefined) return
  const packArgs = [
    "pack",
    "--json",
    "--pack-destination",
    tarballs,
    ...packages.flatMap((p) => ["-w", `packages/${p}`])
  ]
  const packed = step("pack", npm, packArgs, root)
  if (packed === undefined) return
  // npm pack --json prints the JSON array; lifecycle output, if any, goes before it
  const list = JSON.parse(packed.stdout.slice(packed.stdout.indexOf("["))) as ReadonlyArray<Packed>

  // ---------------------------------------------------------------------------
  // 2. the tarballs' file lists
  // ---------------------------------------------------------------------------

  for (const dir of packages) {
    const manifest = JSON.parse(fs.readFileSync(path.join(root, "packages", dir, "package.json"), "utf8"))
    const entry = list.find((p) => p.name === manifest.name)
    if (entry === undefined) {
      failures.push(`${manifest.name}: npm pack made no tarball`)
      continue
    }
    const files = new Set(entry.files.map((f) => f.path))
    const problems: Array<string> = []
    for (
      const required of ["package.json", "README.md", "LICENSE", "CHANGELOG.md", "dist/index.js", "dist/index.d.ts"]
    ) {
      if (!files.has(required)) problems.push(`missing ${required}`)
    }
    for (const file of files) {
      if (/(^|\/)(test|tests|__tests__|examples)\//.test(file) || /\.(test|spec)\.[cm]?[jt]s$/.test(file)) {
        problems.push(`ships a test or example file: ${file}`)
      }
      if (file.endsWith(".tsbuildinfo")) problems.push(`ships ${file}`)
      if (/^dist\/.*\.js$/.test(file)) {
        const base = file.slice(0, -".js".length)
        for (const companion of [`${base}.d.ts`, `${file}.map`, `${base}.d.ts.map`]) {
          if (!files.has(companion)) problems.push(`${file} has no ${companion}`)
        }
      }
      if (file.endsWith(".map")) {
        // every source a map names must be in the tarball
        const map = JSON.parse(fs.readFileSync(path.join(root, "packages", dir, file), "utf8")) as {
          readonly sources: ReadonlyArray<string>
          readonly sourceRoot?: string
        }
        for (const source of map.sources) {
          const target = path.posix.normalize(path.posix.join(path.posix.dirname(file), map.sourceRoot ?? "", source))
          if (!files.has(target)) problems.push(`${file} names ${source}, not in the tarball`)
        }
      }
    }
    // every entry point the manifest declares is in the tarball
    const targets: Array<string> = [manifest.main, manifest.types]
    const collect = (value: unknown): void => {
      if (typeof value === "string") targets.push(value)
      else if (value !== null && typeof value === "object") Object.values(value).forEach(collect)
    }
    collect(manifest.exports)
    for (const target of targets) {
      if (typeof target !== "string" || !files.has(path.posix.normalize(target))) {
        problems.push(`package.json points to ${String(target)}, not in the tarball`)
      }
    }
    if (problems.length > 0) failures.push(`${entry.filename}: ${problems.join("; ")}`)
    else summary.push(
        `${entry.filename}: ${files.size} files, dist + maps + README.md + LICENSE + CHANGELOG.md, no tests`
      )
  }

  // ---------------------------------------------------------------------------
  // 3. a scratch project that installs the tarballs
  // ---------------------------------------------------------------------------

  const rootManifest = JSON.parse(fs.readFileSync(path.join(root, "package.json"), "utf8"))
  const peerRange = (name: string): string => {
    const range = rootManifest.devDependencies?.[name]
    if (typeof range !== "string") throw new Error(`the root package.json has no devDependency ${name}`)
    return range
  }
  fs.writeFileSync(
    path.join(project, "package.json"),
    JSON.stringify({ name: "cmwq-consumer", private: true, version: "0.0.0", type: "module" }, null, 2)
  )
  const specs = [
    ...list.map((p) => path.join(tarballs, p.filename)),
    `effect@${peerRange("effect")}`,
    `fast-check@${peerRange("fast-check")}`,
    // effect's own .d.ts name URL and AbortSignal: a consumer needs Node's (or the DOM's) types
    `@types/node@${peerRange("@types/node")}`
  ]
  const installed = step(
    "install",
    npm,
    ["install", "--prefer-offline", "--no-audit", "--no-fund", "--no-package-lock", "--ignore-scripts", ...specs],
    project
  )
  if (installed === undefined) return
  // better-sqlite3's native module: the repository's build of the same version (see step 3 above)
  const sqlite = (base: string) => path.join(base, "node_modules", "better-sqlite3")
  const version = (dir: string) => JSON.parse(fs.readFileSync(path.join(dir, "package.json"), "utf8")).version as string
  if (version(sqlite(root)) !== version(sqlite(project))) {
    failures.push(
      `install: better-sqlite3 ${version(sqlite(project))} installed, the repository built ${version(sqlite(root))}`
    )
    return
  }
  const release = path.join(sqlite(project), "build", "Release")
  fs.mkdirSync(release, { recursive: true })
  fs.copyFileSync(
    path.join(sqlite(root), "build", "Release", "better_sqlite3.node"),
    path.join(release, "better_sqlite3.node")
  )
  for (const file of ["run.mjs", "require.cjs", "check.ts", "tsconfig.json"]) {
    fs.copyFileSync(path.join(fixtures, file), path.join(project, file))
  }
  // the installed packages are the tarballs' copies, not links into the repository
  for (const dir of packages) {
    const installedDir = path.join(project, "node_modules", "@cmwq", dir)
    if (!fs.existsSync(path.join(installedDir, "dist", "index.js")) || fs.lstatSync(installedDir).isSymbolicLink()) {
      failures.push(`install: node_modules/@cmwq/${dir} is not an installed copy of the tarball`)
    }
  }

  // ---------------------------------------------------------------------------
  // 4. run it
  // ---------------------------------------------------------------------------

  // each shipped README's example: compiled as a TypeScript user compiles it, run, and type-checked below
  const tsc = path.join(root, "node_modules", "typescript", "bin", "tsc")
  const examples: Array<string> = []
  for (const dir of packages) {
    const readme = fs.readFileSync(path.join(project, "node_modules", "@cmwq", dir, "README.md"), "utf8")
    const block = /^## Example\n+```ts\n([\s\S]*?)^```$/m.exec(readme)
    if (block === null || block[1] === undefined) {
      failures.push(`@cmwq/${dir}: README.md has no \`## Example\` with a ts block`)
      continue
    }
    fs.writeFileSync(path.join(project, `readme-${dir}.ts`), block[1])
    examples.push(dir)
  }
  fs.copyFileSync(path.join(fixtures, "tsconfig.emit.json"), path.join(project, "tsconfig.emit.json"))
  if (
    step("tsc -p tsconfig.emit.json (README examples to JavaScript)", process.execPath, [
      tsc,
      "-p",
      "tsconfig.emit.json"
    ], project) !== undefined
  ) {
    for (const dir of examples) {
      step(
        `node emit/readme-${dir}.js (README example)`,
        process.execPath,
        [path.join("emit", `readme-${dir}.js`)],
        project
      )
    }
  }

  const esm = step("node run.mjs (ESM)", process.execPath, ["run.mjs"], project)
  if (esm !== undefined) summary.push(`  ${esm.stdout.trim()}`)
  const cjs = step("node require.cjs (require(esm))", process.execPath, [
    "--no-warnings=ExperimentalWarning",
    "require.cjs"
  ], project)
  if (cjs !== undefined) summary.push(`  ${cjs.stdout.trim()}`)

  // ---------------------------------------------------------------------------
  // 5. type-check it, strictly
  // ---------------------------------------------------------------------------

  const since = performance.now()
  // --listFiles: a full check that also names every file the compiler read
  const typed = run(process.execPath, [tsc, "-p", "tsconfig.json", "--listFiles"], project)
  const output = typed.stdout.split(/\r?\n/)
  const read = new Set(output.filter((line) => path.isAbsolute(line)).map((line) => path.resolve(line)))
  if (!typed.ok) {
    const errors = output.filter((line) => line !== "" && !path.isAbsolute(line)).join("\n")
    failures.push(`tsc --noEmit (strict consumer): failed\n${errors}${typed.stderr}`)
  }
  const missing = packages
    .map((dir) => path.join(project, "node_modules", "@cmwq", dir, "dist", "index.d.ts"))
    .filter((declaration) => !read.has(declaration))
  for (const declaration of missing) failures.push(`tsc: did not read ${path.relative(project, declaration)}`)
  if (typed.ok && missing.length === 0) {
    const ours = [...read].filter((f) => f.includes(`${path.sep}@cmwq${path.sep}`)).length
    summary.push(`tsc --noEmit (strict consumer): ok, ${ours} .d.ts of @cmwq/* checked (${seconds(since)})`)
  }
}

try {
  main()
} catch (error) {
  failures.push(`consumer-check: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`)
}

for (const line of summary) console.log(`consumer-check: ${line}`)
if (failures.length > 0) {
  for (const failure of failures) console.error(`consumer-check: FAIL: ${failure}`)
  console.error(
    `consumer-check: ${failures.length} failure(s) in ${seconds(started)}; scratch project kept in ${scratch}`
  )
  process.exitCode = 1
} else {
  if (keep) console.log(`consumer-check: scratch project kept in ${scratch}`)
  else fs.rmSync(scratch, { recursive: true, force: true })
  console.log(`consumer-check: OK in ${seconds(started)}`)
}
