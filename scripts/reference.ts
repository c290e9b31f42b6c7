/**
 * The API reference generator: the site's API pages
 * (`docs/src/content/docs/reference/`) are written from the source on every
 * docs build, never by hand, and are not committed.
 *
 *   npx tsx scripts/reference.ts     # (also run by scripts/docs-gen.ts)
 *
 * For each package (`packages/<dir>`), it reads the re-exports of
 * `src/index.ts` (`export * as Module from "./Module.js"`) with the
 * TypeScript compiler API, and for every exported name of every public module
 * writes its JSDoc (summary, `@example`, `@since`, `@category`,
 * `@deprecated`) and its signature into
 * `docs/src/content/docs/reference/<dir>/<Module>.md` (a Starlight page,
 * URL `/reference/<dir>/<module>/`), grouped by category; then
 * `reference/index.md` as the index.
 *
 * - Signatures are the declarations TypeScript itself emits for the module
 *   (`.d.ts`, with the repo's `stripInternal`): what a user's editor shows,
 *   without the declaration's own JSDoc (rendered above it) but with the
 *   comments of its fields. A type spelled with a name from `src/internal/`
 *   is spelled out below its signature.
 * - Excluded: modules under `src/internal/`, and every declaration whose JSDoc
 *   has `@internal`.
 * - Code blocks: `@example` blocks are written as ` ```ts no-twoslash `
 *   (`scripts/docs-check.ts` type-checks them, the site's Twoslash does not;
 *   see EXAMPLE_FENCE), each under a `<!-- example: file:line:col -->`
 *   comment naming where its code is in the source; signatures and code
 *   fences inside descriptions (illustrative fragments) are written as
 *   ` ```ts skip-check `.
 * - The output is deterministic (no timestamps): regenerate and diff.
 *
 * Every export must have `@since` and `@category`, and every value export
 * (types and interfaces need none) an `@example`: the run lists the exports
 * that lack one on stderr and exits 1, after writing the pages.
 */
import * as fs from "node:fs"
import * as path from "node:path"
import { fileURLToPath } from "node:url"
import ts from "typescript"

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..")
const outRoot = path.join(root, "docs", "src", "content", "docs", "reference")
/**
 * The repository's web address, where the site links a module's source and
 * its "edit this page": the root package.json's `repository` field, the one
 * place it is written (docs/astro.config.mjs reads it too).
 */
const repositoryUrl = (): string => {
  const pkg = JSON.parse(fs.readFileSync(path.join(root, "package.json"), "utf8"))
  const url: unknown = typeof pkg.repository === "string" ? pkg.repository : pkg.repository?.url
  if (typeof url !== "string") throw new Error("reference: the root package.json has no repository URL")
  return url.replace(/^git\+/, "").replace(/\.git$/, "")
}
const REPO_URL = repositoryUrl()
/**
 * The info string of the `@example` blocks on the API pages. `docs-check`
 * type-checks them (and reports an error at its line in the source, from the
 * `<!-- example: file:line:col -->` comment above each block); the marker
 * tells the site's build not to compile them a second time through Twoslash
 * (docs/ec.config.mjs): hover types on hundreds of small examples cost minutes
 * of build time and check nothing docs-check does not.
 */
const EXAMPLE_FENCE = "```ts no-twoslash"
/**
 * Module headers say "See docs/concepts/x.md": the site's URL of each page
 * they may name. An unknown `docs/...md` path fails the run, so a moved page
 * cannot leave a dead link in the reference.
 */
const DOC_PAGES: Record<string, string> = {
  "docs/concepts/workqueues-and-work.md": "/concepts/workqueues-and-work/",
  "docs/concepts/concurrency-management.md": "/concepts/concurrency-management/",
  "docs/concepts/flushing.md": "/concepts/flushing/",
  "docs/concepts/forward-progress.md": "/concepts/forward-progress/",
  "docs/concepts/freezing.md": "/concepts/freezing/",
  "docs/concepts/policies.md": "/concepts/policies/",
  "docs/concepts/debugging.md": "/debugging/",
  "docs/debugging.md": "/debugging/",
  "docs/guides/testing.md": "/guides/testing/",
  "docs/guides/getting-started.md": "/getting-started/",
  "docs/guides/kernel-facade.md": "/guides/kernel-facade/",
  "docs/guides/exploration.md": "/guides/exploration/",
  "docs/guides/replay.md": "/guides/replay/",
  "docs/guidelines.md": "/guidelines/",
  "docs/scenarios.md": "/scenarios/",
  "docs/performance.md": "/performance/"
}
/** the site URL of a module page */
const moduleUrl = (pkg: string, name: string): string => `/reference/${pkg}/${name.toLowerCase()}/`
const PACKAGES = ["core", "testing", "platform-node", "cluster"] as const

/** the categories in this order; others follow alphabetically, then uncategorized */
const CATEGORY_ORDER = [
  "models",
  "symbols",
  "guards",
  "constructors",
  "combinators",
  "getters",
  "layers",
  "tags",
  "testing",
  "unsafe"
]
const UNCATEGORIZED = "uncategorized"

// -----------------------------------------------------------------------------
// JSDoc parsing
// -----------------------------------------------------------------------------

interface Example {
  readonly title: string
  readonly body: string
  /** where the example's code starts in the source: `packages/.../X.ts:line:column` of its first code line */
  readonly source: string | undefined
}

interface Doc {
  readonly description: string
  readonly examples: ReadonlyArray<Example>
  readonly since: string | undefined
  readonly category: string | undefined
  readonly deprecated: string | undefined
  readonly internal: boolean
}

const EMPTY_DOC: Doc = {
  description: "",
  examples: [],
  since: undefined,
  category: undefined,
  deprecated: undefined,
  internal: false
}

/** the lines of a `/** ... *\/` comment, without the delimiters and the leading ` * ` */
const commentLines = (raw: string): Array<string> => {
  const body = raw.replace(/^\/\*\*/, "").replace(/\*\/$/, "")
  const lines = body.split("\n").map((line) => line.replace(/^\s*\* ?/, "").replace(/^\s*\*$/, ""))
  while (lines.length > 0 && lines[0].trim() === "") lines.shift()
  while (lines.length > 0 && lines[lines.length - 1].trim() === "") lines.pop()
  return lines
}

const trimBlock = (lines: ReadonlyArray<string>): string => {
  const out = [...lines]
  while (out.length > 0 && out[0].trim() === "") out.shift()
  while (out.length > 0 && out[out.length - 1].trim() === "") out.pop()
  return out.join("\n")
}

/**
 * `at`: where the comment `raw` starts in its file (the repo-relative file and
 * its 0-based line), so that each example can say where its code is.
 */
const parseDoc = (raw: string, at?: { readonly file: string; readonly line: number }): Doc => {
  const lines = commentLines(raw)
  const description: Array<string> = []
  const tags: Array<{ name: string; lines: Array<string> }> = []
  let inFence = false
  for (const line of lines) {
    if (/^\s*```/.test(line)) inFence = !inFence
    const tag = !inFence ? /^@(\w+)\s?(.*)$/.exec(line.trim()) : null
    if (tag !== null) {
      tags.push({ name: tag[1], lines: tag[2] === "" ? [] : [tag[2]] })
    } else if (tags.length > 0) {
      tags[tags.length - 1].lines.push(line)
    } else {
      description.push(line)
    }
  }
  const first = (name: string) => {
    const t = tags.find((x) => x.name === name)
    return t === undefined ? undefined : trimBlock(t.lines)
  }
  const examples: Array<Example> = tags.filter((t) => t.name === "example").map((t) => {
    // `@example Title` then the fenced code: the title is the text before the first fence
    const fence = t.lines.findIndex((l) => /^\s*```/.test(l))
    const title = fence <= 0 ? "" : trimBlock(t.lines.slice(0, fence)).replace(/\n/g, " ")
    return { title, body: trimBlock(fence < 0 ? t.lines : t.lines.slice(fence)), source: undefined }
  })
  if (at !== undefined) {
    // the n-th `@example` tag of the comment, then its opening fence: the code starts on the next line
    const rawLines = raw.split("\n")
    let from = 0
    examples.forEach((example, n) => {
      const tag = rawLines.findIndex((l, i) => i >= from && /^\s*(\/\*\*)?\s*\*?\s*@example\b/.test(l))
      if (tag < 0) return
      const fence = rawLines.findIndex((l, i) => i > tag && /^\s*\*?\s*```/.test(l))
      from = tag + 1
      if (fence < 0) return
      const code = rawLines[fence + 1] ?? ""
      const prefix = /^\s*\*? ?/.exec(code)?.[0].length ?? 0
      examples[n] = { ...example, source: `${at.file}:${at.line + fence + 2}:${prefix + 1}` }
    })
  }
  return {
    description: trimBlock(description),
    examples,
    since: first("since"),
    category: first("category"),
    deprecated: tags.some((t) => t.name === "deprecated") ? (first("deprecated") ?? "") : undefined,
    internal: tags.some((t) => t.name === "internal")
  }
}

/** the last JSDoc comment directly attached to a declaration (the statement, for variables) */
const docOf = (decl: ts.Node): Doc => {
  const jsDocs = ts.getJSDocCommentsAndTags(decl).filter(ts.isJSDoc)
  const host = jsDocs.length > 0 ? jsDocs[jsDocs.length - 1] : undefined
  if (host === undefined) return EMPTY_DOC
  const sf = decl.getSourceFile()
  const at = { file: path.relative(root, sf.fileName), line: sf.getLineAndCharacterOfPosition(host.getStart(sf)).line }
  return parseDoc(host.getText(), at)
}

/**
 * the JSDoc written right before a node that TypeScript attaches none to (an
 * export specifier: `export { _await as await }`, Effect's way of exporting a
 * reserved word)
 */
const leadingDocOf = (node: ts.Node): Doc => {
  const sf = node.getSourceFile()
  const text = sf.getFullText()
  const ranges = (ts.getLeadingCommentRanges(text, node.getFullStart()) ?? [])
    .filter((r) => text.slice(r.pos, r.pos + 3) === "/**")
  const last = ranges[ranges.length - 1]
  if (last === undefined) return EMPTY_DOC
  const at = { file: path.relative(root, sf.fileName), line: sf.getLineAndCharacterOfPosition(last.pos).line }
  return parseDoc(text.slice(last.pos, last.end), at)
}

/** the module's header comment: the first JSDoc of the file */
const headerOf = (sf: ts.SourceFile): Doc => {
  const text = sf.getFullText()
  const ranges = ts.getLeadingCommentRanges(text, 0) ?? []
  const first = ranges.find((r) => text.slice(r.pos, r.pos + 3) === "/**")
  return first === undefined ? EMPTY_DOC : parseDoc(text.slice(first.pos, first.end))
}

/**
 * Code fences in descriptions are illustrative fragments (a module header's
 * before/after, a data shape): mark TS ones `skip-check`. Only `@example`
 * blocks are promised to compile.
 */
const markFragments = (markdown: string): string => {
  let inFence = false
  return markdown.split("\n").map((line) => {
    if (/^\s*```/.test(line)) {
      inFence = !inFence
      return line.replace(/^(\s*)```(ts|typescript)[ \t]*$/, "$1```ts skip-check")
    }
    // "See docs/concepts/x.md" in a header: a link to that page of the site
    return inFence ? line : line.replace(/(^|[\s(])(docs\/[\w\-/]+\.md)\b/g, (_, before: string, page: string) => {
      const url = DOC_PAGES[page]
      if (url === undefined)
        throw new Error(`reference: a JSDoc names ${page}, which is no page of the site (see DOC_PAGES)`)
      return `${before}[${url.replace(/^\/|\/$/g, "")}](${url})`
    })
  }).join("\n")
}

// -----------------------------------------------------------------------------
// The program, and the declarations TypeScript emits
// -----------------------------------------------------------------------------

const compilerOptions = (): ts.CompilerOptions => {
  const configPath = path.join(root, "tsconfig.base.json")
  const read = ts.readConfigFile(configPath, ts.sys.readFile)
  if (read.error !== undefined) throw new Error(ts.flattenDiagnosticMessageText(read.error.messageText, "\n"))
  const parsed = ts.parseJsonConfigFileContent(read.config, ts.sys, root)
  return {
    ...parsed.options,
    types: ["node"],
    noEmit: false,
    declaration: true,
    emitDeclarationOnly: true,
    declarationMap: false,
    sourceMap: false,
    stripInternal: true,
    rootDir: root,
    outDir: path.join(root, ".reference-dts") // never written: emit goes to a callback
  }
}

const indexFiles = PACKAGES.map((dir) => path.join(root, "packages", dir, "src", "index.ts"))
const program = ts.createProgram({ rootNames: indexFiles, options: compilerOptions() })
const checker = program.getTypeChecker()

/** source file name -> its emitted .d.ts source */
const dts = new Map<string, ts.SourceFile>()
program.emit(
  undefined,
  (fileName, text, _bom, _onError, sources) => {
    if (!fileName.endsWith(".d.ts") || sources === undefined || sources.length === 0) return
    dts.set(path.resolve(sources[0].fileName), ts.createSourceFile(fileName, text, ts.ScriptTarget.Latest, true))
  },
  undefined,
  true
)

const printer = ts.createPrinter({ removeComments: true, newLine: ts.NewLineKind.LineFeed })

const hasExport = (node: ts.Node): boolean =>
  ts.canHaveModifiers(node) && (ts.getModifiers(node) ?? []).some((m) => m.kind === ts.SyntaxKind.ExportKeyword)

type Space = "value" | "type"

/** what a declaration names: a value (const, function, class, enum, namespace) or a type */
const spaceOf = (node: ts.Node): Space =>
  ts.isInterfaceDeclaration(node) || ts.isTypeAliasDeclaration(node) ? "type" : "value"

/** exported name + space -> printed signatures, from a module's .d.ts */
const signaturesOf = (sourceFile: string): Map<string, Array<string>> => {
  const out = new Map<string, Array<string>>()
  const sf = dts.get(path.resolve(sourceFile))
  if (sf === undefined) return out
  const add = (name: string, space: Space, node: ts.Node) => {
    const key = `${space}:${name}`
    // a node of the emitted file: its text without the leading JSDoc (shown above the
    // signature), keeping the field comments of interfaces and options; a synthesized
    // node (one declaration of a multi-declaration statement): printed
    const text = node.pos >= 0 ? node.getText(sf).trim() : printer.printNode(ts.EmitHint.Unspecified, node, sf).trim()
    out.set(key, [...(out.get(key) ?? []), text])
  }
  // non-exported helpers the emitter introduces (`declare const X_base: ...` for
  // `class X extends Schema.TaggedError<X>(...)`): shown with the class they serve
  const locals = new Map<string, ts.Node>()
  for (const statement of sf.statements) {
    if (hasExport(statement) || !ts.isVariableStatement(statement)) continue
    for (const d of statement.declarationList.declarations)
      if (ts.isIdentifier(d.name)) locals.set(d.name.text, statement)
  }
  for (const statement of sf.statements) {
    // `export { _await as await }`: the local declaration, under the exported name
    if (
      ts.isExportDeclaration(statement) && statement.moduleSpecifier === undefined &&
      statement.exportClause !== undefined && ts.isNamedExports(statement.exportClause)
    ) {
      for (const spec of statement.exportClause.elements) {
        const local = locals.get(spec.propertyName?.text ?? spec.name.text)
        if (local !== undefined) add(spec.name.text, "value", local)
      }
    }
    if (!hasExport(statement)) continue
    if (ts.isClassDeclaration(statement) && statement.name !== undefined) {
      for (const clause of statement.heritageClauses ?? []) {
        for (const t of clause.types) {
          const base = ts.isIdentifier(t.expression) ? locals.get(t.expression.text) : undefined
          if (base !== undefined) add(statement.name.text, "value", base)
        }
      }
    }
    if (ts.isVariableStatement(statement)) {
      const declarations = statement.declarationList.declarations
      if (declarations.length === 1 && ts.isIdentifier(declarations[0].name)) {
        add(declarations[0].name.text, "value", statement)
        continue
      }
      for (const d of declarations) {
        if (!ts.isIdentifier(d.name)) continue
        const single = ts.factory.updateVariableStatement(
          statement,
          ts.getModifiers(statement),
          ts.factory.updateVariableDeclarationList(statement.declarationList, [d])
        )
        add(d.name.text, "value", single)
      }
    } else if (
      (ts.isFunctionDeclaration(statement) || ts.isClassDeclaration(statement) ||
        ts.isInterfaceDeclaration(statement) ||
        ts.isTypeAliasDeclaration(statement) || ts.isEnumDeclaration(statement) || ts.isModuleDeclaration(statement)) &&
      statement.name !== undefined && ts.isIdentifier(statement.name)
    ) {
      add(statement.name.text, spaceOf(statement), statement)
    }
  }
  return out
}

// -----------------------------------------------------------------------------
// Modules and their exports
// -----------------------------------------------------------------------------

interface Entry {
  readonly name: string
  readonly kind: string
  readonly doc: Doc
  readonly signature: string | undefined
  /** the type spelled out, when the signature names a type from `src/internal/` */
  readonly expanded: string | undefined
  readonly pos: number
}

interface Module {
  readonly pkg: string
  readonly packageName: string
  readonly name: string
  readonly file: string
  readonly summary: string
  readonly header: Doc
  readonly entries: ReadonlyArray<Entry>
}

const kindOf = (decl: ts.Declaration): string => {
  if (ts.isInterfaceDeclaration(decl)) return "interface"
  if (ts.isTypeAliasDeclaration(decl)) return "type"
  if (ts.isClassDeclaration(decl)) return "class"
  if (ts.isFunctionDeclaration(decl)) return "function"
  if (ts.isEnumDeclaration(decl)) return "enum"
  if (ts.isModuleDeclaration(decl)) return "namespace"
  return "const"
}

const missing: Array<string> = []
const withoutExample: Array<string> = []

/** local names a module imports from its package's `internal/` directory */
const internalImports = (sf: ts.SourceFile): Set<string> => {
  const names = new Set<string>()
  for (const statement of sf.statements) {
    if (!ts.isImportDeclaration(statement) || !ts.isStringLiteral(statement.moduleSpecifier)) continue
    if (!statement.moduleSpecifier.text.includes("/internal/")) continue
    const clause = statement.importClause
    if (clause === undefined) continue
    if (clause.name !== undefined) names.add(clause.name.text)
    const bindings = clause.namedBindings
    if (bindings === undefined) continue
    if (ts.isNamespaceImport(bindings)) names.add(bindings.name.text)
    else for (const element of bindings.elements) names.add(element.name.text)
  }
  return names
}

/** absolute `import("...")` paths in printed types, made readable */
const tidyImports = (text: string): string =>
  text
    .replace(/import\("[^"]*\/node_modules\/effect\/dist\/dts\/(?:[\w]+\/)*(\w+)"\)\./g, "$1.")
    .replace(/import\("[^"]*\/packages\/[\w-]+\/src\/(?:[\w]+\/)*(\w+)(?:\.js)?"\)\./g, "$1.")

/**
 * The type of a declaration, spelled out: a union one member per line (so an
 * observer event's variants read as a list), anything else on one line.
 */
const expand = (symbol: ts.Symbol, decl: ts.Declaration): string | undefined => {
  const type = ts.isTypeAliasDeclaration(decl) || ts.isInterfaceDeclaration(decl)
    ? checker.getDeclaredTypeOfSymbol(symbol)
    : checker.getTypeOfSymbolAtLocation(symbol, decl)
  const flags = ts.TypeFormatFlags.NoTruncation | ts.TypeFormatFlags.UseAliasDefinedOutsideCurrentScope
  const show = (t: ts.Type) => tidyImports(checker.typeToString(t, decl, flags))
  if (type.isUnion()) {
    const members = [...new Set(type.types.map(show))]
    return members.map((m) => `  | ${m}`).join("\n")
  }
  return show(type)
}

const moduleEntries = (pkg: string, moduleName: string, sf: ts.SourceFile): Array<Entry> => {
  const moduleSymbol = checker.getSymbolAtLocation(sf)
  if (moduleSymbol === undefined) return []
  const signatures = signaturesOf(sf.fileName)
  const internals = internalImports(sf)
  const namesInternal = (text: string): boolean => [...internals].some((n) => new RegExp(`\\b${n}\\b`).test(text))
  const entries: Array<Entry> = []
  for (const symbol of checker.getExportsOfModule(moduleSymbol)) {
    for (const exported of symbol.getDeclarations() ?? []) {
      // re-exports from elsewhere (export { x } from ...) are documented where they are declared
      if (exported.getSourceFile() !== sf) continue
      // `export { X } from "./internal/x.js"` (the typed errors of WorkqueueError.ts): X is
      // documented, and its signature emitted, where it is declared
      const target = ts.isExportSpecifier(exported)
        ? checker.getAliasedSymbol(symbol).getDeclarations()?.[0]
        : undefined
      const decl = target ?? exported
      const statement = ts.isVariableDeclaration(decl) ? decl.parent.parent : decl
      // `export { _await as await }` in the module itself: documented at the specifier, emitted as `_await`
      const localAlias = ts.isExportSpecifier(exported) && exported.parent.parent.moduleSpecifier === undefined
        ? (exported.propertyName?.text ?? exported.name.text)
        : undefined
      const doc = localAlias !== undefined ? leadingDocOf(exported) : docOf(statement)
      if (doc.internal) continue
      const name = symbol.getName()
      const kind = kindOf(decl)
      const space: Space = spaceOf(decl)
      const declared = decl.getSourceFile()
      const emitted = (declared === sf ? signatures : signaturesOf(declared.fileName)).get(`${space}:${name}`)
      const printed = localAlias !== undefined && emitted !== undefined
        ? [...emitted, `export { ${localAlias} as ${name} }`]
        : emitted
      if (doc.since === undefined || doc.category === undefined) {
        const what = [doc.since === undefined ? "@since" : "", doc.category === undefined ? "@category" : ""]
          .filter((s) => s !== "").join(" and ")
        missing.push(`${pkg}/${moduleName}.${name} (${kind}): no ${what}`)
      }
      if (doc.examples.length === 0 && space === "value") withoutExample.push(`${pkg}/${moduleName}.${name} (${kind})`)
      const signature = printed === undefined ? undefined : printed.join("\n")
      let expanded: string | undefined
      if (signature !== undefined && namesInternal(signature)) {
        const text = expand(symbol, decl)
        // a unique symbol's type is only ever its own name: nothing to spell out
        if (text !== undefined && !namesInternal(text)) expanded = text
      }
      entries.push({ name, kind, doc, signature, expanded, pos: exported.getStart(sf) })
    }
  }
  return entries.sort((a, b) => a.pos - b.pos)
}

const modulesOf = (pkg: string): Array<Module> => {
  const indexPath = path.join(root, "packages", pkg, "src", "index.ts")
  const index = program.getSourceFile(indexPath)
  if (index === undefined) throw new Error(`${indexPath} is not in the program`)
  const packageName = JSON.parse(fs.readFileSync(path.join(root, "packages", pkg, "package.json"), "utf8")).name
  const out: Array<Module> = []
  for (const statement of index.statements) {
    if (!ts.isExportDeclaration(statement) || statement.moduleSpecifier === undefined) continue
    if (!ts.isStringLiteral(statement.moduleSpecifier)) continue
    const clause = statement.exportClause
    if (clause === undefined || !ts.isNamespaceExport(clause)) {
      console.error(
        `reference: ${pkg}/src/index.ts: only \`export * as X from\` re-exports are documented; skipped ${
          statement.getText(index)
        }`
      )
      continue
    }
    const resolved = ts.resolveModuleName(
      statement.moduleSpecifier.text,
      indexPath,
      program.getCompilerOptions(),
      ts.sys
    )
    const file = resolved.resolvedModule?.resolvedFileName
    if (file === undefined) throw new Error(`cannot resolve ${statement.moduleSpecifier.text} from ${indexPath}`)
    if (file.includes(`${path.sep}internal${path.sep}`)) continue
    const sf = program.getSourceFile(file)!
    const exportDoc = docOf(statement)
    if (exportDoc.internal) continue
    out.push({
      pkg,
      packageName,
      name: clause.name.text,
      file: path.relative(root, file),
      summary: exportDoc.description.split(/\n\s*\n/)[0].replace(/\s*\n\s*/g, " "),
      header: headerOf(sf),
      entries: moduleEntries(pkg, clause.name.text, sf)
    })
  }
  return out.sort((a, b) => a.name.localeCompare(b.name))
}

// -----------------------------------------------------------------------------
// Markdown
// -----------------------------------------------------------------------------

const categoryRank = (category: string): [number, string] => {
  const i = CATEGORY_ORDER.indexOf(category)
  if (i >= 0) return [i, category]
  return [category === UNCATEGORIZED ? 2 * CATEGORY_ORDER.length : CATEGORY_ORDER.length, category]
}

const byCategory = (entries: ReadonlyArray<Entry>): Array<[string, Array<Entry>]> => {
  const groups = new Map<string, Array<Entry>>()
  for (const e of entries) {
    const c = e.doc.category ?? UNCATEGORIZED
    groups.set(c, [...(groups.get(c) ?? []), e])
  }
  return [...groups.entries()].sort(([a], [b]) => {
    const [ra, na] = categoryRank(a)
    const [rb, nb] = categoryRank(b)
    return ra - rb || na.localeCompare(nb)
  })
}

/** GitHub's heading anchors, with -1, -2, ... for repeats */
const anchors = () => {
  const seen = new Map<string, number>()
  return (heading: string): string => {
    const base = heading.toLowerCase().trim().replace(/[^\w\- ]/g, "").replace(/ /g, "-")
    const n = seen.get(base) ?? 0
    seen.set(base, n + 1)
    return n === 0 ? base : `${base}-${n}`
  }
}

const since = (doc: Doc): string => (doc.since === undefined ? "" : `Added in v${doc.since}`)

const renderModule = (m: Module): string => {
  const anchor = anchors()
  const out: Array<string> = []
  out.push(
    "---",
    `title: ${JSON.stringify(m.name)}`,
    `description: ${JSON.stringify(`${m.packageName}: ${m.summary}`)}`,
    `editUrl: ${JSON.stringify(`${REPO_URL}/edit/main/${m.file}`)}`,
    "---",
    "",
    `<!-- Generated by scripts/reference.ts from ${m.file}. Do not edit: edit the JSDoc in the source. -->`,
    ""
  )
  out.push(
    `\`import { ${m.name} } from "${m.packageName}"\` (source: [\`${m.file}\`](${REPO_URL}/blob/main/${m.file}))`,
    ""
  )
  if (m.header.description !== "") out.push(markFragments(m.header.description), "")
  if (m.header.since !== undefined) out.push(since(m.header), "")
  const groups = byCategory(m.entries)
  out.push("## Contents", "")
  // the anchors of the body are computed in body order, so build the body first
  const body: Array<string> = []
  const toc: Array<string> = []
  anchor("Contents")
  for (const [category, entries] of groups) {
    const categoryAnchor = anchor(category)
    const links: Array<string> = []
    body.push(`## ${category}`, "")
    for (const e of entries) {
      const heading = e.kind === "interface" || e.kind === "type" ? `${e.name} (${e.kind})` : e.name
      links.push(`[${heading}](#${anchor(heading)})`)
      body.push(`### ${heading}`, "")
      if (e.doc.deprecated !== undefined) {
        body.push(`**Deprecated.**${e.doc.deprecated === "" ? "" : ` ${e.doc.deprecated.replace(/\n/g, " ")}`}`, "")
      }
      if (e.doc.description !== "") body.push(markFragments(e.doc.description), "")
      if (e.signature !== undefined) body.push("**Signature**", "", "```ts skip-check", e.signature, "```", "")
      if (e.expanded !== undefined) {
        const multiline = e.expanded.startsWith("  | ")
        body.push("where the type is", "", "```ts skip-check", multiline ? e.expanded : `  ${e.expanded}`, "```", "")
      }
      for (const example of e.doc.examples) {
        body.push(example.title === "" ? "**Example**" : `**Example** (${example.title})`, "")
        if (example.source !== undefined) body.push(`<!-- example: ${example.source} -->`, "")
        body.push(example.body.replace(/^```(ts|typescript)[ \t]*$/m, EXAMPLE_FENCE), "")
      }
      if (e.doc.since !== undefined) body.push(since(e.doc), "")
    }
    toc.push(`- [${category}](#${categoryAnchor}): ${links.join(", ")}`)
  }
  out.push(...toc, "", ...body)
  return `${out.join("\n").replace(/\n{3,}/g, "\n\n").trimEnd()}\n`
}

const renderIndex = (modules: ReadonlyArray<Module>): string => {
  const out: Array<string> = [
    "---",
    "title: API reference",
    "description: Every public export of @cmwq/core, @cmwq/testing, @cmwq/platform-node and @cmwq/cluster.",
    "editUrl: false",
    "---",
    "",
    "Generated from the source on every build of this site: each page lists a public module's exports by ",
    "category, with their JSDoc, their signature as TypeScript emits it, their examples and the version that ",
    "added them. Internal modules (`src/internal/`) and `@internal` exports are left out.",
    ""
  ]
  for (const pkg of PACKAGES) {
    const mine = modules.filter((m) => m.pkg === pkg)
    if (mine.length === 0) continue
    out.push(`## ${mine[0].packageName}`, "", "| module | what it is | exports |", "| --- | --- | --- |")
    for (const m of mine)
      out.push(`| [${m.name}](${moduleUrl(pkg, m.name)}) | ${m.summary.replace(/\|/g, "\\|")} | ${m.entries.length} |`)
    out.push("")
  }
  return `${out.join("\n").trimEnd()}\n`
}

// -----------------------------------------------------------------------------
// Main
// -----------------------------------------------------------------------------

const modules = PACKAGES.flatMap(modulesOf)
fs.rmSync(outRoot, { recursive: true, force: true })
for (const m of modules) {
  const dir = path.join(outRoot, m.pkg)
  fs.mkdirSync(dir, { recursive: true })
  fs.writeFileSync(path.join(dir, `${m.name}.md`), renderModule(m))
}
fs.writeFileSync(path.join(outRoot, "index.md"), renderIndex(modules))

const count = modules.reduce((n, m) => n + m.entries.length, 0)
console.log(`reference: ${modules.length} modules, ${count} exports -> ${path.relative(root, outRoot)}/`)
for (const m of modules) {
  const unsigned = m.entries.filter((e) => e.signature === undefined).map((e) => e.name)
  if (unsigned.length > 0)
    console.error(`reference: ${m.pkg}/${m.name}: no emitted signature for ${unsigned.join(", ")}`)
}
if (missing.length > 0) {
  console.error(`reference: ${missing.length} export(s) without @since or @category:`)
  for (const line of missing) console.error(`  ${line}`)
  process.exitCode = 1
}
if (withoutExample.length > 0) {
  console.error(`reference: ${withoutExample.length} value export(s) without an @example:`)
  for (const line of withoutExample) console.error(`  ${line}`)
  process.exitCode = 1
}
