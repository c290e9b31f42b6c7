import { run } from "./cases/throughput-sync.js"
import { rowsTable, markdownTable } from "./lib.js"
const r = await run({ quick: true, reps: 1 })
console.log(rowsTable(r.rows))
for (const t of r.tables) console.log(markdownTable(t.headers, t.rows))
