/** Guarantees 1, 2, 3, 4, 5, 35, 38, 40 over generated workloads (./catalog.ts, ./checks.ts). */
import { describe } from "@effect/vitest"
import { properties } from "./harness.js"

describe("guarantees 1, 2, 3, 4, 5, 35, 38, 40", () => properties([1, 2, 3, 4, 5, 35, 38, 40]))
