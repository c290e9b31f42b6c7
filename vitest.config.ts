import { defineConfig } from "vitest/config"

export default defineConfig({
  test: {
    include: ["packages/*/test/**/*.test.ts"],
    testTimeout: 30_000,
    // The engine's tests are deterministic (TestClock, seeded fast-check);
    // running files in parallel only contends for the machine's two cores.
    fileParallelism: true,
    pool: "forks"
  }
})
