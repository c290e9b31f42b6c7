/* global performance, setTimeout */
// The work every contender of bench case 6 runs, in plain JavaScript (loaded
// by Piscina, tinypool and the raw worker_threads contenders).
// kind 0: a + b; kind 1: burn `a` ms; kind 2: burn `a` ms, then await `b` ms.
export const burn = (ms) => {
  const end = performance.now() + ms
  let x = 0
  while (performance.now() < end) x++
  return x
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms))

export const runTask = (k, a, b) => (k === 0 ? a + b : burn(a))

export const runTaskAsync = async (k, a, b) => {
  if (k === 0) return a + b
  if (k === 1) return burn(a)
  burn(a)
  await sleep(b)
  return 0
}

// Piscina and tinypool call the default export with the task object
export default ({ k, a, b }) => (k === 2 ? runTaskAsync(k, a, b) : runTask(k, a, b))
