/** Guarantees 32, 33, 34, 36, 39 over generated workloads (./catalog.ts, ./checks.ts). */
import { describe } from "@effect/vitest"
import { properties } from "./harness.js"

describe("guarantees 32, 33, 34, 36, 39", () => properties([32, 33, 34, 36, 39]))
