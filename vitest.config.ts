import { defineConfig } from "vitest/config"

export default defineConfig({
  // The workspace packages export their TypeScript sources under the
  // "@cmwq/source" condition (see each package.json), so the tests run
  // straight from `src/`, with no build. Vitest resolves the test files' imports
  // with Vite's SSR resolver; a `conditions` list replaces Vite's default, so
  // the rest of the list is that default (`defaultServerConditions`) minus
  // "module": with it, @opentelemetry/* resolve to ESM builds whose
  // extensionless relative imports Node cannot load (OpenTelemetry.test.ts).
  ssr: { resolve: { conditions: ["@cmwq/source", "node", "development|production"] } },
  test: {
    include: ["packages/*/test/**/*.test.ts"],
    testTimeout: 30_000,
    // The engine's tests are deterministic (TestClock, seeded fast-check);
    // running files in parallel only contends for the machine's two cores.
    fileParallelism: true,
    pool: "forks"
  }
})
