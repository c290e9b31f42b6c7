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
    ignores: [
      "**/node_modules/**",
      "**/dist/**",
      "scratch/**",
      "scripts/.docs-check/**",
      "docs/src/**",
      "docs/.astro/**"
    ]
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
      // `declare namespace X { type Variance … }` is Effect's idiom for a type's companion types
      "@typescript-eslint/no-namespace": ["error", { allowDeclarations: true }],
      // `Scenario | unknown` is written on purpose: it documents what an input is meant to be
      "@typescript-eslint/no-redundant-type-constituents": "off",
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
    files: ["**/*.mjs", "**/*.cjs"],
    extends: [tseslint.configs.disableTypeChecked],
    languageOptions: {
      parser: tseslint.parser,
      globals: { console: "readonly", process: "readonly", URL: "readonly", require: "readonly", module: "readonly" }
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
  },
  {
    // tooling, tests, benchmarks and examples: JSON, the DOM of a browser test and
    // deliberately awaited non-promises make the no-unsafe-* family noise there; the
    // shipped sources (packages/*/src) keep every rule
    files: ["scripts/**", "docs/**", "bench/**", "packages/*/test/**", "packages/*/examples/**"],
    rules: {
      "@typescript-eslint/no-unsafe-assignment": "off",
      "@typescript-eslint/no-unsafe-member-access": "off",
      "@typescript-eslint/no-unsafe-call": "off",
      "@typescript-eslint/no-unsafe-argument": "off",
      "@typescript-eslint/no-unsafe-return": "off",
      "@typescript-eslint/restrict-template-expressions": "off",
      "@typescript-eslint/unbound-method": "off",
      "@typescript-eslint/require-await": "off",
      "@typescript-eslint/await-thenable": "off",
      "@typescript-eslint/no-unused-expressions": "off",
      "@typescript-eslint/no-explicit-any": "off"
    }
  }
)
