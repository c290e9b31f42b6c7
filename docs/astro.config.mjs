// The documentation site: Astro 5 + Starlight 0.37 (the last Starlight line on
// Astro 5, which runs on Node 20). Built by `npm run docs:build` from the
// repository root; `scripts/docs-gen.ts` writes the generated parts first
// (API reference, scenario diagrams, example outputs).
import { defineConfig, passthroughImageService } from "astro/config"
import starlight from "@astrojs/starlight"
import { readFileSync } from "node:fs"

// The repository's web address: the root package.json's `repository` field,
// the one place it is written (scripts/reference.ts and the browser test read
// it too). A placeholder until the project is published.
const rootPackage = JSON.parse(readFileSync(new URL("../package.json", import.meta.url), "utf8"))
const repository = String(rootPackage.repository?.url ?? rootPackage.repository)
  .replace(/^git\+/, "")
  .replace(/\.git$/, "")

export default defineConfig({
  // a placeholder: the site is built to be served from the root of any host
  site: "https://cmwq.github.io",
  outDir: "./dist",
  // no image optimization: the site has no raster images to optimize, and
  // this keeps the build free of sharp's native binary
  image: { service: passthroughImageService() },
  // the generated pages are written before the build; watching them in dev is enough
  integrations: [
    starlight({
      title: "cmwq",
      description: "The Linux kernel's Concurrency Managed Workqueue for Effect",
      // Starlight appends the page's file, relative to docs/ (src/content/docs/...);
      // the API pages set their own editUrl: the source file whose JSDoc they render
      editLink: { baseUrl: `${repository}/edit/main/docs/` },
      social: [{ icon: "github", label: "GitHub", href: repository }],
      customCss: ["./src/styles/custom.css"],
      lastUpdated: false,
      pagination: true,
      sidebar: [
        { label: "Introduction", slug: "introduction" },
        { label: "Getting started", slug: "getting-started" },
        {
          label: "Concepts",
          items: [
            { label: "Workqueues and work", slug: "concepts/workqueues-and-work" },
            { label: "Pools and concurrency management", slug: "concepts/concurrency-management" },
            { label: "Flushing, draining and waiting", slug: "concepts/flushing" },
            { label: "Forward progress", slug: "concepts/forward-progress" },
            { label: "Freezing", slug: "concepts/freezing" },
            { label: "Policies", slug: "concepts/policies" },
            { label: "Thread CPUs and tasks", slug: "concepts/threads" },
            { label: "Across machines", slug: "concepts/cluster" }
          ]
        },
        { label: "Execution scenarios", slug: "scenarios" },
        { label: "Guidelines", slug: "guidelines" },
        {
          label: "Guides",
          items: [
            { label: "Testing policies", slug: "guides/testing" },
            { label: "The kernel facade", slug: "guides/kernel-facade" },
            { label: "Effect services and context in items", slug: "guides/effect-services" },
            { label: "Results and backpressure", slug: "guides/results-and-backpressure" },
            { label: "Observability", slug: "guides/observability" },
            { label: "Shutdown", slug: "guides/shutdown" },
            { label: "Debugging stuck work", slug: "guides/debugging-stuck-work" },
            { label: "Record, replay, what-if", slug: "guides/replay" },
            { label: "Schedule exploration", slug: "guides/exploration" }
          ]
        },
        { label: "Performance", slug: "performance" },
        { label: "Debugging and monitoring", slug: "debugging" },
        {
          label: "API reference",
          items: [
            { label: "Overview", slug: "reference" },
            { label: "@cmwq/core", collapsed: true, autogenerate: { directory: "reference/core" } },
            { label: "@cmwq/testing", collapsed: true, autogenerate: { directory: "reference/testing" } },
            { label: "@cmwq/platform-node", collapsed: true, autogenerate: { directory: "reference/platform-node" } },
            { label: "@cmwq/cluster", collapsed: true, autogenerate: { directory: "reference/cluster" } }
          ]
        }
      ]
    })
  ]
})
