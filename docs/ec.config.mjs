// Expressive Code, the site's code blocks: kept in a file of its own because
// the Twoslash plugin is a function, which Starlight cannot pass on to the
// <Code> component from astro.config.mjs.
import { defineEcConfig } from "@astrojs/starlight/expressive-code"
import ecTwoSlash from "expressive-code-twoslash"
import { fileURLToPath } from "node:url"

// the repository root: its tsconfig.base.json and node_modules (the workspace packages)
const root = fileURLToPath(new URL("..", import.meta.url))

export default defineEcConfig({
  // long signatures wrap instead of scrolling out of sight
  defaultProps: { wrap: true },
  plugins: [
    ecTwoSlash({
      // every TypeScript block that scripts/docs-check.ts checks: all but `skip-check` ones
      instanceConfigs: { twoslash: { explicitTrigger: /^(?![\s\S]*\bskip-check\b)/ } },
      tsConfigPath: `${root}tsconfig.base.json`,
      twoslashOptions: {
        vfsRoot: root,
        compilerOptions: {
          target: 99, // ESNext
          module: 199, // NodeNext
          moduleResolution: 99, // NodeNext
          strict: true,
          exactOptionalPropertyTypes: true,
          skipLibCheck: true,
          types: ["node"]
        }
      }
    })
  ]
})
