/**
 * A small seeded generator (SplitMix32 mixing over a Weyl sequence): sampling with a seed must
 * give the same tokens on every run and every platform, which Math.random cannot promise.
 */
export type Rng = () => number;

export function seededRng(seed: number): Rng {
  let state = (Math.trunc(seed) ^ 0x9e3779b9) >>> 0;
  return () => {
    state = (state + 0x9e3779b9) >>> 0;
    let z = state;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
    z = (z ^ (z >>> 16)) >>> 0;
    return z / 4294967296;
  };
}

/** Mixes a seed with a stream index, so each of num_samples gets its own reproducible stream. */
export function deriveSeed(seed: number, stream: number): number {
  let h = (Math.trunc(seed) >>> 0) ^ Math.imul(stream + 1, 0x27d4eb2f);
  h = Math.imul(h ^ (h >>> 15), 0x85ebca6b) >>> 0;
  return (h ^ (h >>> 13)) >>> 0;
}

/** Standard normal draws (Box–Muller), for adapter initialisation. */
export function gaussian(rng: Rng): number {
  const u = Math.max(rng(), 1e-12);
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * rng());
}
