/** Deterministic pseudo-random numbers and bytes for tests (xorshift32): the same on every run. */
export function xorshift32(seed: number): () => number {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return x >>> 0;
  };
}

/** `length` pseudo-random bytes from `seed` (incompressible test data). */
export function randomBytes(length: number, seed: number): Uint8Array {
  const next = xorshift32(seed);
  const out = new Uint8Array(length);
  for (let i = 0; i < length; i++) out[i] = next() & 0xff;
  return out;
}
