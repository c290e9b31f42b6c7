/** Guarantees 6, 7, 8, 9, 10, 11 over generated workloads (./catalog.ts, ./checks.ts). */
import { describe } from "@effect/vitest"
import { properties } from "./harness.js"

describe("guarantees 6, 7, 8, 9, 10, 11", () => properties([6, 7, 8, 9, 10, 11]))
