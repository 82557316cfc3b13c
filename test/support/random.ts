/**
 * Seeded randomness for test and benchmark data: the product's own generator (mulberry32,
 * lib/forest/random.ts), so data is the same on every run and there is one implementation.
 */
import { Mulberry32 } from '../../lib/forest/random.js';

/** A function returning floats in [0, 1), the same sequence for the same seed. */
export function seededRandom(seed: number): () => number {
  const generator = new Mulberry32(seed);
  return () => generator.next();
}
