/**
 * The `cmwq/import-boundaries` eslint rule: who may import what across the
 * packages of this workspace. Every import form is checked: `import`,
 * `export ... from`, `export * from`, `import("...")` and the type-level
 * `import("...").T`.
 *
 * 1. `foreignInternal`: a file under `packages/<p>/src/internal/` may be
 *    imported only from `packages/<p>/src/` and `packages/<p>/test/` (the
 *    package itself and its own tests). Everything else (another package, the
 *    package's examples, bench/, scripts/) goes through the package's public
 *    entry. Type-only imports count too: an internal type in another
 *    package's code leaks the internals all the same.
 * 2. `deepImport`: `@cmwq/<name>/internal/...` (or `/src/internal/...`) is an
 *    error anywhere.
 * 3. `crossPackageRelative`: a relative path from one package into another
 *    (`../../core/src/Work.js`): import the package by its name.
 * 4. `internalImportsPublic`: a file under `packages/<p>/src/internal/` imports
 *    a public module of its own package (`packages/<p>/src/*.ts`, or
 *    `@cmwq/<p>` itself) at run time. The internals sit below the public
 *    modules; a type-only import (`import type`, or every specifier marked
 *    `type`) is erased and allowed.
 *
 * Paths are resolved syntactically (no file-system look-up), so the rule is
 * cheap and works on files that do not exist yet.
 */
import * as fs from "node:fs"
import * as path from "node:path"

const root = path.resolve(import.meta.dirname, "..")
const packagesDir = path.join(root, "packages")

/** workspace package name -> its directory */
const packageDirs = new Map()
for (const entry of fs.readdirSync(packagesDir, { withFileTypes: true })) {
  const manifest = path.join(packagesDir, entry.name, "package.json")
  if (entry.isDirectory() && fs.existsSync(manifest)) {
    packageDirs.set(JSON.parse(fs.readFileSync(manifest, "utf8")).name, path.join(packagesDir, entry.name))
  }
}

const within = (dir, file) => {
  const rel = path.relative(dir, file)
  return rel === "" || (!rel.startsWith("..") && !path.isAbsolute(rel))
}

/** the workspace package a file belongs to: its name and directory, or null */
const packageOf = (file) => {
  for (const [name, dir] of packageDirs) {
    if (within(dir, file)) return { name, dir }
  }
  return null
}

const isInternalOf = (pkg, file) => within(path.join(pkg.dir, "src", "internal"), file)

/**
 * Where a specifier points: `{ target, pkg, deep }` with `target` an absolute
 * path (the public entry for a bare `@cmwq/<name>`), or null for a module
 * outside the workspace.
 */
const resolve = (importer, specifier) => {
  if (specifier.startsWith(".")) {
    const target = path.resolve(path.dirname(importer), specifier)
    return { target, pkg: packageOf(target), deep: false }
  }
  for (const [name, dir] of packageDirs) {
    if (specifier === name) return { target: path.join(dir, "src", "index.ts"), pkg: { name, dir }, deep: false }
    if (specifier.startsWith(`${name}/`)) {
      const sub = specifier.slice(name.length + 1)
      const target = path.join(dir, sub.startsWith("src/") ? sub : path.join("src", sub))
      return { target, pkg: { name, dir }, deep: true }
    }
  }
  return null
}

const allTypeSpecifiers = (specifiers, kind) => specifiers.length > 0 && specifiers.every((s) => s[kind] === "type")

/** @type {import("eslint").Rule.RuleModule} */
export const importBoundaries = {
  meta: {
    type: "problem",
    docs: { description: "Package boundaries: internal/ modules, deep imports, internal-to-public layering" },
    schema: [],
    messages: {
      foreignInternal:
        "\"{{specifier}}\" reaches into {{pkg}}'s src/internal/: only {{pkg}}'s own src/ and test/ may import it; use the package's public API",
      deepImport: "\"{{specifier}}\" is a deep import into {{pkg}}'s internals: import \"{{pkg}}\"",
      crossPackageRelative: "\"{{specifier}}\" reaches into another package by a relative path: import \"{{pkg}}\"",
      internalImportsPublic:
        "internal module imports the public module \"{{specifier}}\" at run time: internals sit below the public modules (a type-only import is allowed)"
    }
  },
  create(context) {
    const importer = context.filename
    if (!path.isAbsolute(importer)) return {}
    const own = packageOf(importer)
    const importerIsInternal = own !== null && isInternalOf(own, importer)

    const check = (node, specifier, typeOnly) => {
      if (typeof specifier !== "string") return
      const resolved = resolve(importer, specifier)
      if (resolved === null || resolved.pkg === null) return
      const { target, pkg, deep } = resolved
      const data = { specifier, pkg: pkg.name }
      if (deep && isInternalOf(pkg, target)) {
        context.report({ node, messageId: "deepImport", data })
        return
      }
      if (isInternalOf(pkg, target)) {
        const allowed = within(path.join(pkg.dir, "src"), importer) || within(path.join(pkg.dir, "test"), importer)
        if (!allowed) context.report({ node, messageId: "foreignInternal", data })
        return
      }
      if (own !== null && own.dir !== pkg.dir && specifier.startsWith(".")) {
        context.report({ node, messageId: "crossPackageRelative", data })
        return
      }
      if (
        importerIsInternal && !typeOnly && own.dir === pkg.dir && within(path.join(pkg.dir, "src"), target)
      ) {
        context.report({ node, messageId: "internalImportsPublic", data })
      }
    }

    return {
      ImportDeclaration(node) {
        const typeOnly = node.importKind === "type" || allTypeSpecifiers(node.specifiers, "importKind")
        check(node.source, node.source.value, typeOnly)
      },
      ExportNamedDeclaration(node) {
        if (node.source === null || node.source === undefined) return
        const typeOnly = node.exportKind === "type" || allTypeSpecifiers(node.specifiers, "exportKind")
        check(node.source, node.source.value, typeOnly)
      },
      ExportAllDeclaration(node) {
        check(node.source, node.source.value, node.exportKind === "type")
      },
      ImportExpression(node) {
        if (node.source.type === "Literal") check(node.source, node.source.value, false)
      },
      TSImportType(node) {
        // typescript-eslint 8: `argument` is a TSLiteralType holding the string literal
        const literal = node.argument?.type === "TSLiteralType" ? node.argument.literal : node.argument
        if (literal?.type === "Literal") check(literal, literal.value, true)
      }
    }
  }
}

export default {
  meta: { name: "cmwq" },
  rules: { "import-boundaries": importBoundaries }
}
