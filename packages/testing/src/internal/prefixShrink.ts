/**
 * An array arbitrary that generates exactly as the one it wraps (so a seed
 * draws the same values) but shrinks first towards its prefixes, then as the
 * wrapped one does.
 *
 * fast-check shrinks an array's length by dropping items from its start,
 * which for a schedule shifts every later choice onto another choice point,
 * so a failing schedule rarely shrinks shorter. For a list of choices read
 * from the front, the tail is what is least needed: the prefixes are tried
 * first, shortest first (length 0, then halving the distance to the current
 * length), and trailing zeros are dropped, since past its end a schedule
 * takes choice 0 anyway.
 *
 * Invariants: generation is the wrapped arbitrary's, unchanged; every shrink
 * is strictly shorter or is one of the wrapped arbitrary's shrinks, so
 * shrinking ends.
 *
 * @internal
 */
import fc from "fast-check"

/** drop trailing zeros: the same schedule, as past its end a schedule takes choice 0 */
export const trimZeros = (choices: ReadonlyArray<number>): Array<number> => {
  let end = choices.length
  while (end > 0 && choices[end - 1] === 0) end--
  return choices.slice(0, end)
}

/** prefix lengths to try for an array of `length`: 0, then halving the gap to `length` */
const prefixLengths = (length: number): Array<number> => {
  const lengths: Array<number> = []
  let gap = length
  while (gap > 0) {
    lengths.push(length - gap)
    gap = Math.floor(gap / 2)
  }
  return lengths
}

class PrefixFirst extends fc.Arbitrary<Array<number>> {
  constructor(readonly inner: fc.Arbitrary<Array<number>>) {
    super()
  }
  generate(mrng: fc.Random, biasFactor: number | undefined): fc.Value<Array<number>> {
    return this.inner.generate(mrng, biasFactor)
  }
  canShrinkWithoutContext(value: unknown): value is Array<number> {
    return this.inner.canShrinkWithoutContext(value)
  }
  shrink(value: Array<number>, context: unknown): fc.Stream<fc.Value<Array<number>>> {
    const trimmed = trimZeros(value)
    const prefixes = prefixLengths(trimmed.length).map((n) => new fc.Value(trimmed.slice(0, n), undefined))
    const rest = trimmed.length < value.length
      ? fc.Stream.of(new fc.Value(trimmed, undefined))
      : this.inner.shrink(value, context)
    return fc.Stream.of(...prefixes).join(rest)
  }
}

/** `inner`, shrinking towards its prefixes first (see the module header) */
export const prefixFirst = (inner: fc.Arbitrary<Array<number>>): fc.Arbitrary<Array<number>> => new PrefixFirst(inner)
