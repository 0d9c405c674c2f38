/**
 * Randomness is injected (STYLE.md 6) so that handshakes are reproducible in tests and vectors.
 * Production callers pass a CSPRNG, e.g. `(n) => crypto.getRandomValues(new Uint8Array(n))`.
 */
export type RandomSource = (length: number) => Uint8Array;

export function randomBytes(random: RandomSource, length: number): Uint8Array {
  const out = random(length);
  if (!(out instanceof Uint8Array) || out.length !== length)
    throw new RangeError(`the random source must return ${length} bytes`);
  return out;
}
