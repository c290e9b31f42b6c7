/** Guarantees 17, 18, 19, 20, 21, 22, 23, 24 over generated workloads (./catalog.ts, ./checks.ts). */
import { describe } from "@effect/vitest"
import { properties } from "./harness.js"

describe("guarantees 17, 18, 19, 20, 21, 22, 23, 24", () => properties([17, 18, 19, 20, 21, 22, 23, 24]))
