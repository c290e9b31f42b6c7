/**
 * eslint for the workspace: typescript-eslint's type-aware rules, formatting
 * by dprint through `@effect/dprint` (the way Effect's own repositories do
 * it), and the workspace's import boundaries (`lint/import-boundaries.mjs`).
 *
 *   npm run lint        eslint + the runtime import-cycle check
 *   npm run lint:fix    eslint --fix (formatting, type imports, array types)
 */
import * as effectEslint from "@effect/eslint-plugin"
import js from "@eslint/js"
import { defineConfig } from "eslint/config"
import { builtinModules } from "node:module"
import tseslint from "typescript-eslint"
import cmwq from "./lint/import-boundaries.mjs"

const TS = ["**/*.ts"]

/** dprint: 2 spaces, 120 columns, no semicolons, double quotes, no trailing commas */
const dprint = {
  indentWidth: 2,
  lineWidth: 120,
  semiColons: "asi",
  quoteStyle: "alwaysDouble",
  trailingCommas: "never",
  operatorPosition: "maintain",
  "arrowFunction.useParentheses": "force",
  // keep the order the imports and exports are written in (dprint sorts them by default)
  "module.sortImportDeclarations": "maintain",
  "module.sortExportDeclarations": "maintain",
  "importDeclaration.sortNamedImports": "maintain",
  "exportDeclaration.sortNamedExports": "maintain",
  // `if (c) for (...) x` stays as written
  useBraces: "maintain"
}

const nodeBuiltin = "@cmwq/core runs on any JavaScript platform: no Node.js built-in modules in packages/core/src"

export default defineConfig(
  {
    ignores: ["**/node_modules/**", "**/dist/**", "scratch/**", "scripts/.docs-check/**"]
  },
  {
    linterOptions: { reportUnusedDisableDirectives: "error" }
  },
  js.configs.recommended,
  ...effectEslint.configs.dprint,
  {
    files: TS,
    extends: [tseslint.configs.recommendedTypeChecked],
    languageOptions: {
      parserOptions: {
        projectService: true,
        tsconfigRootDir: import.meta.dirname
      }
    },
    rules: {
      "@typescript-eslint/array-type": ["error", { default: "generic", readonly: "generic" }],
      "@typescript-eslint/consistent-type-imports": ["error", {
        prefer: "type-imports",
        fixStyle: "inline-type-imports"
      }],
      "@typescript-eslint/no-floating-promises": "error",
      // tsc's noUnusedLocals / noUnusedParameters report these too; `_` marks a deliberately unused name
      "@typescript-eslint/no-unused-vars": ["error", {
        argsIgnorePattern: "^_",
        varsIgnorePattern: "^_",
        caughtErrorsIgnorePattern: "^_",
        ignoreRestSiblings: true
      }]
    }
  },
  {
    files: ["**/*.mjs"],
    extends: [tseslint.configs.disableTypeChecked],
    languageOptions: {
      parser: tseslint.parser,
      globals: { console: "readonly", process: "readonly" }
    }
  },
  {
    files: [...TS, "**/*.mjs"],
    plugins: { cmwq },
    rules: {
      "@effect/dprint": ["error", { config: dprint }],
      "cmwq/import-boundaries": "error"
    }
  },
  {
    files: ["packages/*/src/**"],
    rules: {
      "no-console": "error"
    }
  },
  {
    files: ["packages/core/src/**"],
    rules: {
      "no-restricted-imports": ["error", {
        paths: builtinModules.map((name) => ({ name, message: nodeBuiltin })),
        patterns: [{ group: ["node:*"], message: nodeBuiltin }]
      }]
    }
  }
)
