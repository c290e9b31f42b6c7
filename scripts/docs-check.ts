/**
 * The documentation checker: every TypeScript block of the site's pages
 * (`docs/src/content/docs/**\/*.{md,mdx}`, the generated API reference
 * included: run `scripts/docs-gen.ts` first) and every example file
 * (`docs/examples/*.ts`) type-checks against the packages, and every link
 * between pages resolves. Part of `npm run docs:build`.
 *
 *   npx tsx scripts/docs-check.ts
 *
 * 1. Extracts every fenced block whose info string starts with `ts`,
 *    `typescript` or `ts twoslash`, except blocks marked `skip-check`
 *    (` ```ts skip-check `: signatures, fragments, pseudo-code).
 * 2. Writes each one to `scripts/.docs-check/NN.ts` (inside the repo, so that
 *    `@cmwq/core`, `@cmwq/testing`, `@cmwq/platform-node`, `effect` and
 *    `fast-check` resolve through the workspace's node_modules). Each block is
 *    a module of its own (`moduleDetection: "force"`), so blocks never see
 *    each other's names.
 * 3. Type-checks them in one program with the compiler options of
 *    `tsconfig.base.json` (strict, exactOptionalPropertyTypes, NodeNext ESM,
 *    so top-level `await` works) plus `types: ["node"]` as `tsconfig.json`
 *    has, with one relaxation: `noUnusedLocals` and `noUnusedParameters` are
 *    off, since a snippet routinely declares a value only to show it
 *    (`--strict` turns them back on).
 *    The example files are compiled in the same program, as they are.
 * 4. Checks every link of a page that is not to another site (`https:`,
 *    `mailto:`, ...): it must be a site path (`/concepts/flushing/`, with a
 *    trailing slash), a page of the site must have that path, and an
 *    `#anchor` must be one of that page's headings (the slugs Astro gives
 *    them). Relative links are errors: they resolve against the page's URL,
 *    not its file, and break when a page moves.
 * 5. Prints every error as `docs/<file>:<line>:<col>: <message>` (the line
 *    in the page), deletes `scripts/.docs-check/`, and exits 1 if there was
 *    an error, 0 otherwise.
 *
 * Blocks are type-checked, not run; the example files are also run, by
 * `scripts/docs-gen.ts`, which fails on a non-zero exit.
 *
 * The site's build compiles the same blocks once more, through Twoslash
 * (`docs/ec.config.mjs`), to show their types on hover, and fails on any
 * error there too. This checker stays the gate: it is faster, reports every
 * error at once with its line in the page, uses the repository's compiler
 * options in full, and checks the links and the example files as well.
 */
import * as fs from "node:fs"
import * as path from "node:path"
import { fileURLToPath } from "node:url"
import ts from "typescript"

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..")
const docsDir = path.join(root, "docs", "src", "content", "docs")
const examplesDir = path.join(root, "docs", "examples")
const workDir = path.join(root, "scripts", ".docs-check")

interface Block {
  /** the Markdown file, relative to the repo */
  readonly file: string
  /** 1-based line in the Markdown file of the block's first code line */
  readonly line: number
  readonly code: string
}

const markdownFiles = (dir: string): Array<string> =>
  fs.readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name)
    if (entry.isDirectory()) return markdownFiles(full)
    return entry.isFile() && /\.mdx?$/.test(entry.name) ? [full] : []
  }).sort()

const FENCE = /^(\s*)(`{3,}|~{3,})\s*([^`]*)$/

/** the checked TypeScript blocks of one Markdown file */
const blocksOf = (file: string): Array<Block> => {
  const lines = fs.readFileSync(file, "utf8").split("\n")
  const blocks: Array<Block> = []
  for (let i = 0; i < lines.length; i++) {
    const open = FENCE.exec(lines[i])
    if (open === null) continue
    const [, indent, fence, info] = open
    // find the closing fence: the same character, at least as long
    let end = i + 1
    const close = new RegExp(`^\\s*${fence[0] === "`" ? "`" : "~"}{${fence.length},}\\s*$`)
    while (end < lines.length && !close.test(lines[end])) end++
    const words = info.trim().split(/\s+/)
    const lang = words[0]?.toLowerCase() ?? ""
    if ((lang === "ts" || lang === "typescript") && !words.includes("skip-check")) {
      const body = lines.slice(i + 1, end).map((l) => (l.startsWith(indent) ? l.slice(indent.length) : l))
      blocks.push({ file: path.relative(root, file), line: i + 2, code: body.join("\n") })
    }
    i = end
  }
  return blocks
}

// -----------------------------------------------------------------------------
// Links
// -----------------------------------------------------------------------------

/** the lines of a Markdown file with fenced blocks blanked and inline code removed */
const proseLines = (text: string): Array<string> => {
  let fence: string | null = null
  return text.split("\n").map((line) => {
    const open = FENCE.exec(line)
    if (fence === null && open !== null) {
      fence = open[2][0]
      return ""
    }
    if (fence !== null) {
      if (new RegExp(`^\\s*${fence === "`" ? "`" : "~"}{3,}\\s*$`).test(line)) fence = null
      return ""
    }
    return line.replace(/`[^`]*`/g, "")
  })
}

/** the heading anchors of a page (github-slugger, as Astro gives them; repeats get -1, -2, ...) */
const anchorsOf = (file: string): Set<string> => {
  const seen = new Map<string, number>()
  const out = new Set<string>(["_top"])
  let fence: string | null = null
  for (const line of fs.readFileSync(file, "utf8").split("\n")) {
    const open = FENCE.exec(line)
    if (open !== null) {
      fence = fence === null ? open[2][0] : null
      continue
    }
    if (fence !== null) continue
    const heading = /^#{1,6}\s+(.*?)\s*#*\s*$/.exec(line)
    if (heading === null) continue
    const text = heading[1].replace(/\[([^\]]*)\]\([^)]*\)/g, "$1")
    const base = text.toLowerCase().replace(/[^\p{L}\p{N}\- _]/gu, "").replace(/ /g, "-")
    const n = seen.get(base) ?? 0
    seen.set(base, n + 1)
    out.add(n === 0 ? base : `${base}-${n}`)
  }
  return out
}

/** the site path of a page: its file path under the content directory, lower-cased, without `index` */
const sitePath = (file: string): string => {
  const rel = path.relative(docsDir, file).replace(/\\/g, "/").replace(/\.mdx?$/, "")
  const slug = rel === "index" ? "" : rel.replace(/\/index$/, "")
  return `/${slug.toLowerCase()}${slug === "" ? "" : "/"}`
}

const LINK = /\[(?:[^\]]|\][^(])*\]\(([^)\s]+)(?:\s+"[^"]*")?\)|\b(?:href|link)=["']([^"']+)["']|^\s+link:\s*(\S+)\s*$/g

/** broken links of one page, as error lines */
const brokenLinks = (file: string, pages: ReadonlyMap<string, string>): Array<string> => {
  const errors: Array<string> = []
  proseLines(fs.readFileSync(file, "utf8")).forEach((line, i) => {
    for (const match of line.matchAll(LINK)) {
      const target = match[1] ?? match[2] ?? match[3]
      if (target === undefined || /^[a-z][a-z0-9+.-]*:/i.test(target)) continue // https:, mailto:
      const where = `${path.relative(root, file)}:${i + 1}:${(match.index ?? 0) + 1}`
      const [pathPart, anchor] = target.split("#", 2) as [string, string | undefined]
      if (pathPart === "") {
        if (anchor !== undefined && !anchorsOf(file).has(anchor))
          errors.push(`${where}: broken link ${target}: no heading #${anchor} on this page`)
        continue
      }
      if (!pathPart.startsWith("/")) {
        errors.push(`${where}: relative link ${target}: link pages by their site path (/concepts/flushing/)`)
        continue
      }
      if (!pathPart.endsWith("/")) {
        errors.push(`${where}: link ${target}: site paths end with a slash`)
        continue
      }
      const page = pages.get(pathPart)
      if (page === undefined) {
        errors.push(`${where}: broken link ${target}: no page has the path ${pathPart}`)
        continue
      }
      if (anchor !== undefined && !anchorsOf(page).has(anchor)) {
        errors.push(`${where}: broken link ${target}: no heading #${anchor} in ${path.relative(root, page)}`)
      }
    }
  })
  return errors
}

// -----------------------------------------------------------------------------
// Type-checking the blocks
// -----------------------------------------------------------------------------

const strict = process.argv.includes("--strict")

const compilerOptions = (): ts.CompilerOptions => {
  const read = ts.readConfigFile(path.join(root, "tsconfig.base.json"), ts.sys.readFile)
  if (read.error !== undefined) throw new Error(ts.flattenDiagnosticMessageText(read.error.messageText, "\n"))
  const parsed = ts.parseJsonConfigFileContent(read.config, ts.sys, root)
  return {
    ...parsed.options,
    types: ["node"],
    noEmit: true,
    declaration: false,
    sourceMap: false,
    noUnusedLocals: strict,
    noUnusedParameters: strict,
    moduleDetection: ts.ModuleDetectionKind.Force
  }
}

const main = (): number => {
  const files = markdownFiles(docsDir)
  if (!files.some((f) => f.includes(`${path.sep}reference${path.sep}`))) {
    console.error("docs-check: the API reference is missing: run `npx tsx scripts/docs-gen.ts` first")
    return 1
  }
  const pages = new Map(files.map((f) => [sitePath(f), f] as const))
  const linkErrors = files.flatMap((f) => brokenLinks(f, pages))
  const examples = fs.readdirSync(examplesDir).filter((f) => f.endsWith(".ts")).sort().map((f) =>
    path.join(examplesDir, f)
  )
  for (const e of linkErrors) console.error(e)
  const blocks = files.flatMap(blocksOf)
  fs.rmSync(workDir, { recursive: true, force: true })
  fs.mkdirSync(workDir, { recursive: true })
  try {
    const width = String(blocks.length).length
    const byFile = new Map<string, Block>()
    blocks.forEach((block, i) => {
      const file = path.join(workDir, `${String(i + 1).padStart(Math.max(2, width), "0")}.ts`)
      fs.writeFileSync(file, `${block.code}\n`)
      byFile.set(path.resolve(file), block)
    })
    const program = ts.createProgram({ rootNames: [...byFile.keys(), ...examples], options: compilerOptions() })
    const diagnostics = [
      ...program.getOptionsDiagnostics(),
      ...program.getGlobalDiagnostics(),
      ...[...byFile.keys(), ...examples].flatMap((f) => {
        const sf = program.getSourceFile(f)
        return sf === undefined ? [] : [...program.getSyntacticDiagnostics(sf), ...program.getSemanticDiagnostics(sf)]
      })
    ]
    let errors = linkErrors.length
    for (const d of diagnostics) {
      const message = ts.flattenDiagnosticMessageText(d.messageText, "\n  ")
      if (d.file === undefined) {
        console.error(`error TS${d.code}: ${message}`)
        errors++
        continue
      }
      const block = byFile.get(path.resolve(d.file.fileName))
      const { line, character } = d.file.getLineAndCharacterOfPosition(d.start ?? 0)
      if (block === undefined) {
        // an error inside a package or a library: name it as the compiler does
        console.error(
          `${path.relative(root, d.file.fileName)}:${line + 1}:${character + 1}: error TS${d.code}: ${message}`
        )
      } else {
        console.error(`${block.file}:${block.line + line}:${character + 1}: error TS${d.code}: ${message}`)
      }
      errors++
    }
    const withBlocks = new Set(blocks.map((b) => b.file)).size
    const summary =
      `${blocks.length} TypeScript blocks in ${withBlocks} pages, ${examples.length} example files, links in ${files.length} pages`
    if (errors > 0) {
      console.error(`docs-check: ${errors} error(s); checked ${summary}`)
      return 1
    }
    console.log(`docs-check: OK: ${summary}`)
    return 0
  } finally {
    fs.rmSync(workDir, { recursive: true, force: true })
  }
}

process.exitCode = main()
