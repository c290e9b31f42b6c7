/**
 * mulberry32: a small seeded generator of numbers in [0, 1), enough to pick
 * among a few candidates reproducibly (schedule exploration).
 *
 * @internal
 */
export const seeded = (seed: number): () => number => {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6D2B79F5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}
