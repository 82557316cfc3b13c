/**
 * mulberry32: a tiny 32-bit generator, good enough to draw subsamples and split points and
 * identical in every JavaScript engine, so the same seed gives the same forest anywhere.
 * A class with one small method: V8 inlines `next()` into the tree-building loop, which a
 * closure per call site does not always get.
 */
export class Mulberry32 {
  private state: number;

  constructor(seed: number) {
    this.state = seed >>> 0;
  }

  /** A float in [0, 1) with 32 random bits. */
  next(): number {
    const state = (this.state + 0x6d2b79f5) | 0;
    this.state = state;
    let t = Math.imul(state ^ (state >>> 15), 1 | state);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }
}
