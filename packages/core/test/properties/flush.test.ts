/** Guarantees 12, 13, 14, 15, 16 over generated workloads (./catalog.ts, ./checks.ts). */
import { describe } from "@effect/vitest"
import { properties } from "./harness.js"

describe("guarantees 12, 13, 14, 15, 16", () => properties([12, 13, 14, 15, 16]))
