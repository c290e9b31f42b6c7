// The consumer check's CommonJS program: the packages are ESM-only; Node's
// require(esm) (Node >= 20.19, >= 22.12) loads them from CommonJS.
const { Effect } = require("effect");
const { Work, WorkerPool, Workqueue } = require("@cmwq/core");
require("@cmwq/testing");
require("@cmwq/platform-node");

let ran = 0;
const program = Effect.gen(function*() {
  const wq = yield* Workqueue.alloc("cjs");
  for (let i = 0; i < 3; i++) yield* Workqueue.queue(wq, Work.make(Effect.sync(() => ran++)));
  yield* Workqueue.flush(wq);
});
Effect.runPromise(program.pipe(Effect.scoped, Effect.provide(WorkerPool.layer()))).then(() => {
  if (ran !== 3) {
    console.error(`require.cjs: FAIL: ${ran} of 3 items ran`);
    process.exit(1);
  }
  console.log("require.cjs: OK: 3 items ran");
}, (error) => {
  console.error("require.cjs: FAIL:", error);
  process.exit(1);
});
