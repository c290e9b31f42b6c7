/// <reference lib="dom" />
/// <reference lib="dom.iterable" />
/**
 * The documentation site, tested in a real browser: headless Chromium
 * (`/usr/bin/chromium`, or `CHROMIUM_PATH`) through playwright-core, on the
 * built site (`npm run docs:build` first), served from `docs/dist` by a
 * static server of this script on a loopback port.
 *
 *   npx tsx scripts/docs-browser-test.ts
 *
 * Checks, each of which fails the run:
 * - every page (crawled from `/` through its links, plus every page of the
 *   sitemap) loads with status 200, with no console error, no page error and
 *   no failed or >= 400 request (stylesheets, scripts, images, fonts, search
 *   index);
 * - every internal link leads to a page that exists, and every `#anchor` of
 *   one to an element with that id on the target page;
 * - every image has loaded (non-zero natural width);
 * - the light and dark themes both apply (`data-theme` on `<html>`);
 * - search: typing "flush" in the search dialog lists the `Workqueue` API
 *   page, and Pagefind's index has its `#flush` section;
 * - the execution scenarios page shows its four SVG diagrams, drawn with
 *   bars;
 * - the `Workqueue` API page lists `queue`, `flush`, `drain` and
 *   `queueDelayed`;
 * - code blocks carry Twoslash's types: hovering `program` on the getting
 *   started page shows its Effect type;
 * - the "edit this page" link of a concept page points at its file in the
 *   repository.
 *
 * Writes screenshots of the home page, a concept page, an API page and the
 * scenarios page into `docs/screenshots/`.
 *
 * (The DOM library reference above types the functions that run in the page.)
 */
import * as fs from "node:fs"
import * as http from "node:http"
import * as os from "node:os"
import * as path from "node:path"
import { fileURLToPath } from "node:url"
import { chromium, type BrowserContext, type Page } from "playwright-core"

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..")
const dist = path.join(root, "docs", "dist")
const screenshots = path.join(root, "docs", "screenshots")
const executablePath = process.env["CHROMIUM_PATH"] ?? "/usr/bin/chromium"

const started = Date.now()
const errors: Array<string> = []
const fail = (message: string): void => {
  errors.push(message)
  console.error(`FAIL ${message}`)
}
const check = (ok: boolean, message: string): void => {
  if (!ok) fail(message)
}

// -----------------------------------------------------------------------------
// A static server for docs/dist
// -----------------------------------------------------------------------------

const TYPES: Record<string, string> = {
  ".html": "text/html; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".mjs": "text/javascript; charset=utf-8",
  ".json": "application/json",
  ".svg": "image/svg+xml",
  ".png": "image/png",
  ".ico": "image/x-icon",
  ".woff2": "font/woff2",
  ".xml": "application/xml",
  ".txt": "text/plain; charset=utf-8",
  ".wasm": "application/wasm"
}

/** the file a URL path names in dist, or undefined */
const fileOf = (urlPath: string): string | undefined => {
  const decoded = decodeURIComponent(urlPath.split("?")[0])
  const full = path.join(dist, decoded)
  if (!full.startsWith(dist)) return undefined
  if (fs.existsSync(full) && fs.statSync(full).isFile()) return full
  const index = path.join(full, "index.html")
  if (decoded.endsWith("/") && fs.existsSync(index)) return index
  return undefined
}

const serve = (): Promise<{ readonly origin: string; readonly close: () => Promise<void> }> =>
  new Promise((resolve) => {
    const server = http.createServer((req, res) => {
      const file = fileOf(new URL(req.url ?? "/", "http://localhost").pathname)
      if (file === undefined) {
        res.writeHead(404, { "content-type": TYPES[".html"] })
        res.end(fs.readFileSync(path.join(dist, "404.html")))
        return
      }
      res.writeHead(200, { "content-type": TYPES[path.extname(file)] ?? "application/octet-stream" })
      res.end(fs.readFileSync(file))
    })
    server.listen(0, "127.0.0.1", () => {
      const address = server.address()
      if (address === null || typeof address === "string") throw new Error("no port")
      resolve({
        origin: `http://127.0.0.1:${address.port}`,
        close: () => new Promise((done) => server.close(() => done()))
      })
    })
  })

// -----------------------------------------------------------------------------
// The crawl
// -----------------------------------------------------------------------------

interface Visited {
  readonly ids: ReadonlySet<string>
  readonly links: ReadonlyArray<string>
}

/** a page with every console error, page error and failed request recorded as a failure */
const watched = async (context: BrowserContext, label: () => string): Promise<Page> => {
  const page = await context.newPage()
  page.on("console", (msg) => {
    if (msg.type() === "error") fail(`${label()}: console error: ${msg.text()}`)
  })
  page.on("pageerror", (error) => fail(`${label()}: page error: ${error.message}`))
  page.on("requestfailed", (req) => {
    // a lazy load (the search UI) still in flight when the crawl moves on is aborted by the navigation;
    // that is no broken asset as long as the file exists (a missing one answers 404, recorded below)
    const url = new URL(req.url())
    const aborted = req.failure()?.errorText === "net::ERR_ABORTED" && url.host === new URL(page.url()).host &&
      fileOf(url.pathname) !== undefined
    if (!aborted) fail(`${label()}: request failed: ${req.url()} (${req.failure()?.errorText})`)
  })
  page.on("response", (res) => {
    if (res.status() >= 400) fail(`${label()}: ${res.status()} for ${res.url()}`)
  })
  return page
}

/** the paths of every page the sitemap lists */
const sitemapPages = (): Array<string> => {
  const xml = fs.readFileSync(path.join(dist, "sitemap-0.xml"), "utf8")
  return [...xml.matchAll(/<loc>([^<]+)<\/loc>/g)].map((m) => new URL(m[1]).pathname)
}

const crawl = async (context: BrowserContext, origin: string): Promise<Map<string, Visited>> => {
  const visited = new Map<string, Visited>()
  const queue: Array<string> = ["/", ...sitemapPages()]
  let current = "/"
  const page = await watched(context, () => current)
  while (queue.length > 0) {
    const next = queue.shift()!
    if (visited.has(next)) continue
    current = next
    const response = await page.goto(origin + next, { waitUntil: "load" })
    if (response === null || response.status() !== 200) {
      // the response listener has recorded it
      visited.set(next, { ids: new Set(), links: [] })
      continue
    }
    await page.waitForLoadState("networkidle")
    const { ids, links, images } = await page.evaluate(() => ({
      ids: [...document.querySelectorAll("[id]")].map((e) => e.id),
      links: [...document.querySelectorAll("a[href]")].map((a) => (a as HTMLAnchorElement).href),
      images: [...document.querySelectorAll("img")].map((i) => ({
        src: i.currentSrc || i.src,
        ok: i.complete && i.naturalWidth > 0
      }))
    }))
    for (const image of images) check(image.ok, `${next}: image did not load: ${image.src}`)
    const internal = links.filter((l) => l.startsWith(origin))
    visited.set(next, { ids: new Set(ids), links: internal })
    for (const link of internal) {
      const target = new URL(link).pathname
      if (!visited.has(target) && fileOf(target)?.endsWith(".html")) queue.push(target)
    }
  }
  await page.close()
  return visited
}

const checkLinks = (visited: ReadonlyMap<string, Visited>): number => {
  let count = 0
  for (const [from, { links }] of visited) {
    for (const link of links) {
      count++
      const url = new URL(link)
      if (fileOf(url.pathname) === undefined) {
        fail(`${from}: broken link ${url.pathname}${url.hash}`)
        continue
      }
      const target = visited.get(url.pathname)
      if (url.hash !== "" && target !== undefined && !target.ids.has(decodeURIComponent(url.hash.slice(1)))) {
        fail(`${from}: broken anchor ${url.pathname}${url.hash}: no element with that id`)
      }
    }
  }
  return count
}

// -----------------------------------------------------------------------------
// The page-specific checks
// -----------------------------------------------------------------------------

const checkThemes = async (context: BrowserContext, origin: string): Promise<void> => {
  const page = await watched(context, () => "themes")
  await page.goto(`${origin}/concepts/flushing/`)
  for (const theme of ["dark", "light"] as const) {
    await page.locator("starlight-theme-select select").first().selectOption(theme)
    const applied = await page.evaluate(() => document.documentElement.dataset["theme"])
    check(applied === theme, `themes: selecting ${theme} left data-theme=${applied}`)
  }
  // the choice persists across pages
  await page.goto(`${origin}/guidelines/`)
  const kept = await page.evaluate(() => document.documentElement.dataset["theme"])
  check(kept === "light", `themes: the light theme did not persist to the next page (data-theme=${kept})`)
  await page.close()
}

const checkSearch = async (context: BrowserContext, origin: string): Promise<void> => {
  const page = await watched(context, () => "search")
  await page.goto(`${origin}/`)
  const open = page.locator("site-search button[data-open-modal]").first()
  await page.waitForFunction(() =>
    !document.querySelector("site-search button[data-open-modal]")?.hasAttribute("disabled")
  )
  await open.click()
  const input = page.locator("#starlight__search input.pagefind-ui__search-input")
  await input.waitFor({ state: "visible", timeout: 10_000 })
  await input.fill("flush")
  const results = page.locator("#starlight__search .pagefind-ui__result")
  try {
    await results.first().waitFor({ state: "visible", timeout: 15_000 })
  } catch {
    fail("search: no results for \"flush\"")
    await page.close()
    return
  }
  // results render one by one: wait for the Workqueue page's, and list what is shown if it never comes
  const workqueue = page.locator("#starlight__search .pagefind-ui__result a[href^='/reference/core/workqueue/']")
  // Pagefind shows the first results and a "load more" button: the API page may rank below them
  const more = page.locator("#starlight__search button.pagefind-ui__button")
  for (let i = 0; i < 10 && (await workqueue.count()) === 0 && (await more.count()) > 0; i++) {
    await more.first().click()
    await page.waitForTimeout(300)
  }
  try {
    await workqueue.first().waitFor({ state: "visible", timeout: 15_000 })
    const titles = await workqueue.allTextContents()
    console.log(`search: "flush" lists the Workqueue API page (${titles.map((t) => t.trim()).join(" | ")})`)
  } catch {
    const hrefs = await page.locator("#starlight__search .pagefind-ui__result a").evaluateAll((as) =>
      as.map((a) => a.getAttribute("href") ?? "")
    )
    fail(`search: "flush" does not list the Workqueue API page; it lists ${hrefs.join(", ")}`)
  }
  // the index itself: the Workqueue page's flush section
  const sections = await page.evaluate(async () => {
    const pagefind = await import(/* @vite-ignore */ `${location.origin}/pagefind/pagefind.js`)
    const search = await pagefind.search("flush")
    const data = await Promise.all(search.results.map((r: { data: () => Promise<unknown> }) => r.data()))
    return (data as Array<{ url: string; sub_results: Array<{ url: string }> }>).flatMap((
      d
    ) => [d.url, ...d.sub_results.map((s) => s.url)])
  })
  check(
    sections.includes("/reference/core/workqueue/#flush"),
    `search: the index has no /reference/core/workqueue/#flush section for "flush"`
  )
  await page.close()
}

const checkDiagrams = async (context: BrowserContext, origin: string): Promise<void> => {
  const page = await watched(context, () => "/scenarios/")
  await page.goto(`${origin}/scenarios/`)
  const figures = page.locator("figure.timeline svg")
  const count = await figures.count()
  check(count === 4, `diagrams: /scenarios/ shows ${count} SVG diagrams, not 4`)
  for (let i = 0; i < count; i++) {
    const svg = figures.nth(i)
    const box = await svg.boundingBox()
    check(
      box !== null && box.width > 200 && box.height > 80,
      `diagrams: diagram ${i + 1} is not drawn at a visible size (${JSON.stringify(box)})`
    )
    const bars = await svg.locator("rect.running").evaluateAll((rs) =>
      rs.map((r) => (r as SVGGraphicsElement).getBBox().width)
    )
    check(
      bars.length >= 3 && bars.every((w) => w > 0),
      `diagrams: diagram ${i + 1} has ${bars.length} running bars, widths ${bars.join(", ")}`
    )
  }
  await page.close()
}

const checkWorkqueuePage = async (context: BrowserContext, origin: string): Promise<void> => {
  const page = await watched(context, () => "/reference/core/workqueue/")
  await page.goto(`${origin}/reference/core/workqueue/`)
  const headings = await page.locator(".sl-markdown-content h3").allTextContents()
  for (const name of ["queue", "flush", "drain", "queueDelayed"]) {
    check(
      headings.map((h) => h.trim()).includes(name),
      `API page Workqueue: no heading for ${name} (has ${headings.length} headings)`
    )
  }
  // the section of flush: from its heading (in Starlight's heading wrapper) to the next heading
  const section = await page.evaluate(() => {
    const heading = document.getElementById("flush")
    if (heading === null) return null
    let node = heading.closest(".sl-heading-wrapper") ?? heading
    let text = ""
    while (
      (node = node.nextElementSibling as Element) !== null && !/^H[1-3]$/.test(node.tagName) &&
      !node.matches(".sl-heading-wrapper")
    ) {
      text += `${node.textContent ?? ""}\n`
    }
    return text
  })
  check(
    section !== null && section.includes("export declare const flush"),
    "API page Workqueue: flush has no signature below its heading"
  )
  check(
    section !== null && section.includes("Added in v0.1.0"),
    "API page Workqueue: flush does not say which version added it"
  )
  await page.close()
}

const checkTwoslash = async (context: BrowserContext, origin: string): Promise<void> => {
  const page = await watched(context, () => "twoslash")
  await page.goto(`${origin}/getting-started/`)
  const hovers = page.locator(".twoslash-hover")
  const count = await hovers.count()
  check(count >= 10, `twoslash: /getting-started/ has ${count} type-annotated identifiers`)
  if (count > 0) {
    // the identifier `program`: the hover whose own text (its popup aside) is that name
    const index = await hovers.evaluateAll((els) =>
      els.findIndex((el) =>
        [...el.childNodes].filter((n) => !(n instanceof Element && n.classList.contains("twoslash-popup-container")))
          .map((n) => n.textContent ?? "").join("").trim() === "program"
      )
    )
    check(index >= 0, "twoslash: no hover for `program` on /getting-started/")
    if (index >= 0) {
      await hovers.nth(index).scrollIntoViewIfNeeded()
      await hovers.nth(index).hover()
      const popup = page.locator(".twoslash-popup-container:visible").first()
      await popup.waitFor({ state: "visible", timeout: 5_000 })
      const text = (await popup.textContent()) ?? ""
      check(
        text.includes("Effect.Effect<"),
        `twoslash: the popup of \`program\` shows ${JSON.stringify(text.slice(0, 80))}`
      )
    }
  }
  await page.close()
}

const checkEditLink = async (context: BrowserContext, origin: string): Promise<void> => {
  const page = await watched(context, () => "edit link")
  await page.goto(`${origin}/concepts/flushing/`)
  const href = await page.locator("a[href*='/edit/']").first().getAttribute("href")
  check(
    href === "https://github.com/cmwq/cmwq/edit/main/docs/src/content/docs/concepts/flushing.md",
    `edit link of /concepts/flushing/ is ${href}`
  )
  await page.close()
}

const shoot = async (context: BrowserContext, origin: string): Promise<void> => {
  fs.mkdirSync(screenshots, { recursive: true })
  const page = await watched(context, () => "screenshots")
  await page.setViewportSize({ width: 1280, height: 860 })
  const shots: ReadonlyArray<readonly [file: string, url: string, theme: "light" | "dark"]> = [
    ["home.png", "/", "dark"],
    ["concept.png", "/concepts/concurrency-management/", "light"],
    ["api.png", "/reference/core/workqueue/#flush", "light"],
    ["scenarios.png", "/scenarios/#b-cmwq-max_active--3", "dark"]
  ]
  for (const [file, url, theme] of shots) {
    await page.goto(origin + url)
    await page.evaluate((t) => {
      localStorage.setItem("starlight-theme", t)
      document.documentElement.dataset["theme"] = t
    }, theme)
    await page.waitForLoadState("networkidle")
    await page.screenshot({ path: path.join(screenshots, file) })
  }
  await page.close()
}

// -----------------------------------------------------------------------------
// Main
// -----------------------------------------------------------------------------

const main = async (): Promise<number> => {
  if (!fs.existsSync(path.join(dist, "index.html"))) {
    console.error("docs-browser-test: docs/dist/index.html not found: run `npm run docs:build` first")
    return 1
  }
  if (!fs.existsSync(executablePath)) {
    console.error(
      `docs-browser-test: no Chromium at ${executablePath} (apt-get install -y chromium, or set CHROMIUM_PATH)`
    )
    return 1
  }
  const server = await serve()
  const userDataDir = fs.mkdtempSync(path.join(os.tmpdir(), "cmwq-docs-chromium-"))
  const context = await chromium.launchPersistentContext(userDataDir, {
    executablePath,
    headless: true,
    args: [
      "--headless",
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync"
    ]
  })
  context.setDefaultTimeout(15_000)
  /** a check that throws (a timeout, a missing element) fails the run with its message, and the others still run */
  const step = async (name: string, f: () => Promise<void>): Promise<void> => {
    try {
      await f()
    } catch (e) {
      fail(`${name}: ${e instanceof Error ? e.message.split("\n")[0] : String(e)}`)
    }
  }
  try {
    const visited = await crawl(context, server.origin)
    const links = checkLinks(visited)
    check(visited.size >= 30, `crawl: only ${visited.size} pages reached`)
    await step("themes", () => checkThemes(context, server.origin))
    await step("search", () => checkSearch(context, server.origin))
    await step("diagrams", () => checkDiagrams(context, server.origin))
    await step("API page", () => checkWorkqueuePage(context, server.origin))
    await step("twoslash", () => checkTwoslash(context, server.origin))
    await step("edit link", () => checkEditLink(context, server.origin))
    await step("screenshots", () => shoot(context, server.origin))
    const seconds = ((Date.now() - started) / 1000).toFixed(1)
    if (errors.length > 0) {
      console.error(
        `docs-browser-test: ${errors.length} failure(s); ${visited.size} pages, ${links} internal links, ${seconds} s`
      )
      return 1
    }
    console.log(
      `docs-browser-test: OK: ${visited.size} pages, ${links} internal links, search, themes, diagrams, API page, twoslash; ${seconds} s`
    )
    return 0
  } finally {
    await context.close()
    await server.close()
    fs.rmSync(userDataDir, { recursive: true, force: true })
  }
}

process.exitCode = await main()
