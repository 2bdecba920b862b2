// The engine's one source of randomness: mulberry32, a small seeded 32-bit generator whose whole
// state is one u32 that can be read (EXAMPLES.md §4: a run is replayed from its seed). Used by
// random walks (./simulate.ts) and by seeded successor orders (swarm shards, ./swarm.ts).

/** mulberry32: a small seeded 32-bit generator whose whole state is one u32, readable. */
export class Mulberry32 {
  private a: number;
  constructor(seed: number) {
    this.a = seed >>> 0;
  }

  /** The whole state: `new Mulberry32(g.state)` continues exactly where `g` is. */
  get state(): number {
    return this.a;
  }

  /** A float in [0, 1). */
  next(): number {
    this.a = (this.a + 0x6d2b79f5) >>> 0;
    let t = this.a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32;
  }
}

/** The generator as a function (same sequence as `new Mulberry32(seed).next()`). */
export function mulberry32(seed: number): () => number {
  const g = new Mulberry32(seed);
  return () => g.next();
}
