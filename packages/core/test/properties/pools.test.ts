/** Guarantees 25, 26, 27, 28, 29, 30, 31, 37 over generated workloads (./catalog.ts, ./checks.ts). */
import { describe } from "@effect/vitest"
import { properties } from "./harness.js"

describe("guarantees 25, 26, 27, 28, 29, 30, 31, 37", () => properties([25, 26, 27, 28, 29, 30, 31, 37]))
