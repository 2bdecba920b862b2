// The visited set of the model checker: 64-bit fingerprints (two independent 32-bit hashes) in an
// open-addressing table of typed arrays, and, when the search needs them (BFS parent pointers,
// liveness, exact mode), the state vectors themselves in one growable Uint32Array arena.
// No per-state allocation: a state is copied into the arena only when it is new.
// docs/adr/007-model-checker.md "Fingerprints" explains the collision estimate.
import { assert } from '../../spec/common/assert.ts';

/** Initial table size (slots); a power of two so `h1 & mask` picks the slot. */
const INITIAL_SLOTS = 1 << 12;
/** Most states the store accepts: ids are int32 and the table must stay a power of two. */
export const MAX_STORED_STATES = 1 << 30;

const SEED_1 = 0x9747b28c;
const SEED_2 = 0x3c6ef372;

/** murmur3-style finaliser: full avalanche of a 32-bit word. */
function fmix32(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** First hash: murmur3 x86_32 over whole words. */
export function hash1(words: Uint32Array, offset: number, length: number): number {
  let h = SEED_1;
  for (let i = 0; i < length; i++) {
    let k = words[offset + i]!;
    k = Math.imul(k, 0xcc9e2d51);
    k = (k << 15) | (k >>> 17);
    k = Math.imul(k, 0x1b873593);
    h ^= k;
    h = (h << 13) | (h >>> 19);
    h = (Math.imul(h, 5) + 0xe6546b64) | 0;
  }
  return fmix32(h ^ (length * 4));
}

/** Second hash: an xxhash32-style round with different primes and seed, independent of hash1. */
export function hash2(words: Uint32Array, offset: number, length: number): number {
  let h = (SEED_2 + 0x165667b1) | 0;
  for (let i = 0; i < length; i++) {
    h = (h + Math.imul(words[offset + i]!, 0xc2b2ae3d)) | 0;
    h = Math.imul((h << 17) | (h >>> 15), 0x27d4eb2f);
  }
  h ^= h >>> 15;
  h = Math.imul(h, 0x85ebca77);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae3d);
  h ^= h >>> 16;
  return h >>> 0;
}

/**
 * Probability that two distinct states among `count` share a 64-bit fingerprint (birthday bound,
 * count²/2^65, the estimate TLC prints as "optimistic").
 */
export function collisionProbability(count: number): number {
  return Math.min(1, (count * count) / 2 ** 65);
}

export interface StoreOptions {
  readonly stateWords: number;
  /** Keep every state vector (BFS, liveness, exact mode). */
  readonly keepVectors: boolean;
  /** Compare whole vectors, not only fingerprints: no collisions, needs keepVectors. */
  readonly exact: boolean;
}

export class StateStore {
  readonly stateWords: number;
  readonly keepVectors: boolean;
  readonly exact: boolean;
  /** Number of distinct states stored; ids are 0..count-1 in insertion order. */
  count = 0;
  private mask: number;
  private slotH1: Uint32Array;
  private slotH2: Uint32Array;
  /** id + 1 per slot; 0 = empty. */
  private slotId: Int32Array;
  /** Vectors of stored states, id-major (keepVectors only). */
  arena: Uint32Array;

  constructor(opts: StoreOptions) {
    assert(opts.stateWords > 0, `stateWords must be positive (got ${opts.stateWords})`);
    assert(!opts.exact || opts.keepVectors, 'exact mode compares vectors, so it must keep them');
    this.stateWords = opts.stateWords;
    this.keepVectors = opts.keepVectors;
    this.exact = opts.exact;
    this.mask = INITIAL_SLOTS - 1;
    this.slotH1 = new Uint32Array(INITIAL_SLOTS);
    this.slotH2 = new Uint32Array(INITIAL_SLOTS);
    this.slotId = new Int32Array(INITIAL_SLOTS);
    this.arena = new Uint32Array(opts.keepVectors ? (INITIAL_SLOTS / 2) * opts.stateWords : 0);
  }

  /** Bytes held in typed arrays (the store's memory use). */
  memoryBytes(): number {
    return (
      this.slotH1.byteLength +
      this.slotH2.byteLength +
      this.slotId.byteLength +
      this.arena.byteLength
    );
  }

  /**
   * Finds `src[offset .. offset+stateWords)`. Returns its id when present, else -1.
   * Does not insert.
   */
  lookup(src: Uint32Array, offset: number): number {
    const w = this.stateWords;
    const h1 = hash1(src, offset, w);
    const h2 = hash2(src, offset, w);
    const found = this.probe(src, offset, h1, h2);
    return found >= 0 ? found >> 1 : -1;
  }

  /**
   * Inserts the state at `src[offset..]` unless present. Returns its id when new, `~id` (negative)
   * when it was already stored.
   */
  insert(src: Uint32Array, offset: number): number {
    const w = this.stateWords;
    const h1 = hash1(src, offset, w);
    const h2 = hash2(src, offset, w);
    const found = this.probe(src, offset, h1, h2);
    if (found >= 0) return ~(found >> 1);
    const slot = ~found;
    const id = this.count;
    if (id >= MAX_STORED_STATES) assert(false, `state store full (${MAX_STORED_STATES} states)`);
    this.slotH1[slot] = h1;
    this.slotH2[slot] = h2;
    this.slotId[slot] = id + 1;
    if (this.keepVectors) {
      if ((id + 1) * w > this.arena.length) this.growArena();
      const arena = this.arena;
      const base = id * w;
      for (let i = 0; i < w; i++) arena[base + i] = src[offset + i]!;
    }
    this.count = id + 1;
    // Load factor 1/2 keeps linear probing short.
    if (this.count * 2 > this.mask + 1) this.growTable();
    return id;
  }

  /** Copies stored state `id` into `out` (keepVectors only). */
  read(id: number, out: Uint32Array): void {
    // Hot path: build the message only when the check fails.
    if (!this.keepVectors || id < 0 || id >= this.count) assert(false, `state ${id} is not stored`);
    const w = this.stateWords;
    const base = id * w;
    for (let i = 0; i < w; i++) out[i] = this.arena[base + i]!;
  }

  /** Returns `2*id` (non-negative) when found, or `~slot` (negative): the empty slot to use. */
  private probe(src: Uint32Array, offset: number, h1: number, h2: number): number {
    const mask = this.mask;
    const slotH1 = this.slotH1;
    const slotH2 = this.slotH2;
    const slotId = this.slotId;
    let slot = h1 & mask;
    // Bounded: the table is at most half full, so an empty slot exists within mask+1 probes.
    for (let probes = 0; probes <= mask; probes++) {
      const idPlus1 = slotId[slot]!;
      if (idPlus1 === 0) return ~slot;
      if (slotH1[slot] === h1 && slotH2[slot] === h2) {
        if (!this.exact || this.sameVector(idPlus1 - 1, src, offset)) return (idPlus1 - 1) << 1;
      }
      slot = (slot + 1) & mask;
    }
    assert(false, 'state table has no empty slot (load factor invariant broken)');
  }

  private sameVector(id: number, src: Uint32Array, offset: number): boolean {
    const w = this.stateWords;
    const base = id * w;
    for (let i = 0; i < w; i++) if (this.arena[base + i] !== src[offset + i]) return false;
    return true;
  }

  private growArena(): void {
    const next = new Uint32Array(Math.max(this.arena.length * 2, 1024 * this.stateWords));
    next.set(this.arena);
    this.arena = next;
  }

  private growTable(): void {
    const oldH1 = this.slotH1;
    const oldH2 = this.slotH2;
    const oldId = this.slotId;
    const slots = (this.mask + 1) * 2;
    assert(slots <= 2 * MAX_STORED_STATES * 2, 'state table too large');
    this.mask = slots - 1;
    this.slotH1 = new Uint32Array(slots);
    this.slotH2 = new Uint32Array(slots);
    this.slotId = new Int32Array(slots);
    for (let i = 0; i < oldId.length; i++) {
      const idPlus1 = oldId[i]!;
      if (idPlus1 === 0) continue;
      let slot = oldH1[i]! & this.mask;
      while (this.slotId[slot] !== 0) slot = (slot + 1) & this.mask;
      this.slotH1[slot] = oldH1[i]!;
      this.slotH2[slot] = oldH2[i]!;
      this.slotId[slot] = idPlus1;
    }
  }
}
