// The visited set of the model checker (EXAMPLES.md §6: the seen set holds fingerprints only;
// TLC's FPSet). One interface, three storage modes, chosen per run and reported in the result:
//
//  - `hash-compact` (default): 64-bit fingerprints (./hash.ts) in an open-addressing table, 8 bytes
//    per slot. Two distinct states may share a fingerprint: every result reports the estimated
//    probability that this happened (n²/2^65).
//  - `exact`: fingerprint, id and the whole vector (an arena indexed by id); a fingerprint hit is
//    confirmed by comparing vectors, so nothing is ever merged. Needed by liveness (it walks the
//    stored graph) and by `--exact`.
//  - `bitstate` (supertrace, Holzmann): k bits per state in a fixed bit array; a state whose k bits
//    are all set counts as seen, so some new states are wrongly skipped. A search in this mode never
//    says `holds`: it is `incomplete`, with an estimate of its coverage.
//
// Vectors live apart from the set (EXAMPLES.md §6): the BFS frontier (./frontier.ts) holds the
// vectors still to expand, and counterexamples are rebuilt by re-execution (./tracelog.ts), so
// hash-compact BFS stores ~8/load + 6 bytes per state whatever the state's size.
// Growth is the engine's decision (`needsGrow`, `growBytes`, `grow`): it checks the memory budget
// before it allocates, and stops the run as `incomplete` when the budget would be exceeded.
import { assert } from '../../spec/common/assert.ts';
import { collisionProbability } from './hash.ts';

export type StoreMode = 'exact' | 'hash-compact' | 'bitstate';
export const STORE_MODES: readonly StoreMode[] = ['exact', 'hash-compact', 'bitstate'];

/** Most states a set accepts: ids are int32 and tables stay a power of two. */
export const MAX_STORED_STATES = 1 << 30;
/** Initial table size (slots); a power of two so `h1 & mask` picks the slot. */
const INITIAL_SLOTS = 1 << 12;
/**
 * Grow when more than this share of slots is used. Linear probing over 8-byte slots stays short
 * at 0.7 (~6 slots, one or two cache lines, per unsuccessful probe); after doubling the load is
 * 0.35, so a table costs 11-23 bytes per state.
 */
const MAX_LOAD = 0.7;

/** A set of states: the answer to "seen before?" in the same probe as the insertion. */
export interface FingerprintSet {
  readonly mode: StoreMode;
  /** Distinct states inserted (bitstate: insertions that set at least one new bit). */
  readonly count: number;
  /**
   * Inserts the state with hashes `h1`, `h2` (./hash.ts finish1/finish2) and vector
   * `src[off .. off+words)`. Returns its id (0, 1, 2… in insertion order) when new; when it was
   * already there, a negative number: `~id` in exact mode, else -1 (no ids are kept).
   */
  put(h1: number, h2: number, src: Uint32Array, off: number): number;
  /** True when the state is in the set (bitstate: all its bits are set). Does not insert. */
  has(h1: number, h2: number, src: Uint32Array, off: number): boolean;
  /** Loads the slots of `n` hashes into cache ahead of their probes (a hint; may do nothing). */
  touch(h1s: Int32Array, n: number): number;
  /** True when the next `put` of a new state needs `grow` first. */
  needsGrow(): boolean;
  /** Bytes `grow` allocates (the old arrays are freed after the copy). */
  growBytes(): number;
  grow(): void;
  memoryBytes(): number;
  /** Chance that fingerprints merged two distinct states (0 in exact mode). */
  collisionProbability(): number;
}

/** Hash-compact mode: [h1, h2] per slot, h2 never 0 (0 marks an empty slot). */
export class HashCompactSet implements FingerprintSet {
  readonly mode = 'hash-compact';
  count = 0;
  private mask: number;
  private slots: Int32Array;
  private growAt: number;

  constructor(initialSlots: number = INITIAL_SLOTS) {
    assert(isPowerOfTwo(initialSlots), `table size must be a power of two (got ${initialSlots})`);
    this.mask = initialSlots - 1;
    this.slots = new Int32Array(initialSlots * 2);
    this.growAt = Math.floor(initialSlots * MAX_LOAD);
  }

  put(h1: number, h2: number): number {
    const t = this.slots;
    const mask = this.mask;
    let i = h1 & mask;
    // Bounded: the load stays below MAX_LOAD, so an empty slot exists within mask+1 probes.
    for (let probes = 0; probes <= mask; probes++) {
      const j = i << 1;
      const s2 = t[j + 1]!;
      if (s2 === 0) {
        if (this.count >= this.growAt) assert(false, 'hash-compact table full (grow was skipped)');
        t[j] = h1;
        t[j + 1] = h2;
        return this.count++;
      }
      if (s2 === h2 && t[j] === h1) return -1;
      i = (i + 1) & mask;
    }
    assert(false, 'hash-compact table has no empty slot (load factor invariant broken)');
  }

  /**
   * Reads the slots where `h1s[0..n)` would start probing and returns a value derived from them:
   * the loads are independent, so the processor overlaps their cache misses (JavaScript has no
   * prefetch instruction); the `put`s that follow then find their slots in cache.
   */
  touch(h1s: Int32Array, n: number): number {
    const t = this.slots;
    const mask = this.mask;
    let x = 0;
    for (let k = 0; k < n; k++) x ^= t[((h1s[k]! & mask) << 1) + 1]!;
    return x;
  }

  has(h1: number, h2: number): boolean {
    const t = this.slots;
    const mask = this.mask;
    let i = h1 & mask;
    for (let probes = 0; probes <= mask; probes++) {
      const j = i << 1;
      const s2 = t[j + 1]!;
      if (s2 === 0) return false;
      if (s2 === h2 && t[j] === h1) return true;
      i = (i + 1) & mask;
    }
    return false;
  }

  needsGrow(): boolean {
    return this.count >= this.growAt;
  }

  growBytes(): number {
    return this.slots.byteLength * 2;
  }

  grow(): void {
    const old = this.slots;
    const slotCount = (this.mask + 1) * 2;
    assert(slotCount <= 4 * MAX_STORED_STATES, 'hash-compact table too large');
    const t = new Int32Array(slotCount * 2);
    const mask = slotCount - 1;
    for (let j = 0; j < old.length; j += 2) {
      const h2 = old[j + 1]!;
      if (h2 === 0) continue;
      const h1 = old[j]!;
      let i = h1 & mask;
      while (t[(i << 1) + 1] !== 0) i = (i + 1) & mask;
      t[i << 1] = h1;
      t[(i << 1) + 1] = h2;
    }
    this.slots = t;
    this.mask = mask;
    this.growAt = Math.floor(slotCount * MAX_LOAD);
  }

  memoryBytes(): number {
    return this.slots.byteLength;
  }

  collisionProbability(): number {
    return collisionProbability(this.count);
  }
}

/** Exact mode: [h1, h2, id+1] per slot and every vector in an arena, compared on a hit. */
export class ExactSet implements FingerprintSet {
  readonly mode = 'exact';
  readonly words: number;
  count = 0;
  private mask: number;
  private slots: Int32Array;
  private growAt: number;
  /** Vectors by id. */
  private arena: Uint32Array;

  constructor(words: number, initialSlots: number = INITIAL_SLOTS) {
    assert(words > 0, `stateWords must be positive (got ${words})`);
    assert(isPowerOfTwo(initialSlots), `table size must be a power of two (got ${initialSlots})`);
    this.words = words;
    this.mask = initialSlots - 1;
    this.slots = new Int32Array(initialSlots * 3);
    this.growAt = Math.floor(initialSlots * MAX_LOAD);
    this.arena = new Uint32Array(this.growAt * words);
  }

  put(h1: number, h2: number, src: Uint32Array, off: number): number {
    const found = this.probe(h1, h2, src, off);
    if (found >= 0) return ~found;
    if (this.count >= this.growAt) assert(false, 'exact table full (grow was skipped)');
    const j = ~found * 3;
    const id = this.count;
    this.slots[j] = h1;
    this.slots[j + 1] = h2;
    this.slots[j + 2] = id + 1;
    const w = this.words;
    const arena = this.arena;
    const base = id * w;
    for (let k = 0; k < w; k++) arena[base + k] = src[off + k]!;
    this.count = id + 1;
    return id;
  }

  has(h1: number, h2: number, src: Uint32Array, off: number): boolean {
    return this.probe(h1, h2, src, off) >= 0;
  }

  touch(): number {
    return 0;
  }

  /** The id of the state, or -1. */
  find(h1: number, h2: number, src: Uint32Array, off: number): number {
    const found = this.probe(h1, h2, src, off);
    return found >= 0 ? found : -1;
  }

  /** Copies stored state `id` into `out`. */
  read(id: number, out: Uint32Array): void {
    // Hot path: build the message only when the check fails.
    if (id < 0 || id >= this.count) assert(false, `state ${id} is not stored`);
    const w = this.words;
    const base = id * w;
    for (let k = 0; k < w; k++) out[k] = this.arena[base + k]!;
  }

  /** The id when found (≥ 0), else `~slot` of the empty slot where it would go. */
  private probe(h1: number, h2: number, src: Uint32Array, off: number): number {
    const t = this.slots;
    const mask = this.mask;
    let i = h1 & mask;
    for (let probes = 0; probes <= mask; probes++) {
      const j = i * 3;
      const idPlus1 = t[j + 2]!;
      if (idPlus1 === 0) return ~i;
      if (t[j] === h1 && t[j + 1] === h2 && this.same(idPlus1 - 1, src, off)) return idPlus1 - 1;
      i = (i + 1) & mask;
    }
    assert(false, 'exact table has no empty slot (load factor invariant broken)');
  }

  private same(id: number, src: Uint32Array, off: number): boolean {
    const w = this.words;
    const base = id * w;
    const arena = this.arena;
    for (let k = 0; k < w; k++) if (arena[base + k] !== src[off + k]) return false;
    return true;
  }

  needsGrow(): boolean {
    return this.count >= this.growAt;
  }

  growBytes(): number {
    return this.slots.byteLength * 2 + this.arena.byteLength * 2;
  }

  grow(): void {
    const old = this.slots;
    const slotCount = (this.mask + 1) * 2;
    assert(slotCount <= 4 * MAX_STORED_STATES, 'exact table too large');
    const t = new Int32Array(slotCount * 3);
    const mask = slotCount - 1;
    for (let j = 0; j < old.length; j += 3) {
      const idPlus1 = old[j + 2]!;
      if (idPlus1 === 0) continue;
      let i = old[j]! & mask;
      while (t[i * 3 + 2] !== 0) i = (i + 1) & mask;
      t[i * 3] = old[j]!;
      t[i * 3 + 1] = old[j + 1]!;
      t[i * 3 + 2] = idPlus1;
    }
    this.slots = t;
    this.mask = mask;
    this.growAt = Math.floor(slotCount * MAX_LOAD);
    const arena = new Uint32Array(this.growAt * this.words);
    arena.set(this.arena);
    this.arena = arena;
  }

  memoryBytes(): number {
    return this.slots.byteLength + this.arena.byteLength;
  }

  collisionProbability(): number {
    return 0;
  }
}

export interface BitstateOptions {
  /** log2 of the number of bits (the table is 2^bits bits = 2^(bits-3) bytes). */
  readonly bits: number;
  /** Bits set per state (SPIN's -k; 3 by default there too). */
  readonly hashes: number;
}

/** Limits of the bit array: 2^10 bits (tests) to 2^36 bits (8 GiB). */
export const BITSTATE_MIN_BITS = 10;
export const BITSTATE_MAX_BITS = 36;

/**
 * Bitstate (supertrace) mode: `hashes` bit positions per state, h1 + i·h2 (Kirsch-Mitzenmacher
 * double hashing; h2 made odd so the positions differ), in a bit array of fixed size.
 */
export class BitstateSet implements FingerprintSet {
  readonly mode = 'bitstate';
  readonly bits: number;
  readonly hashes: number;
  count = 0;
  /** Bits set so far (to estimate how often a new state is taken for a seen one). */
  setBits = 0;
  /** Sum over insertions of p/(1-p), p = chance a new state's bits were all set already. */
  expectedOmitted = 0;
  private readonly words: Uint32Array[];
  private readonly mask: number;

  constructor(opts: BitstateOptions) {
    assert(
      Number.isInteger(opts.bits) &&
        opts.bits >= BITSTATE_MIN_BITS &&
        opts.bits <= BITSTATE_MAX_BITS,
      `bitstate size must be 2^${BITSTATE_MIN_BITS}..2^${BITSTATE_MAX_BITS} bits (got 2^${opts.bits})`,
    );
    assert(
      Number.isInteger(opts.hashes) && opts.hashes >= 1 && opts.hashes <= 16,
      `bitstate hashes must be 1..16 (got ${opts.hashes})`,
    );
    this.bits = opts.bits;
    this.hashes = opts.hashes;
    // Typed arrays are capped below 2^32 bytes: split the bit array into 2^30-bit pages.
    const pageBits = Math.min(opts.bits, 30);
    this.mask = 2 ** opts.bits - 1;
    this.words = [];
    for (let p = 0; p < 2 ** (opts.bits - pageBits); p++) {
      this.words.push(new Uint32Array(2 ** (pageBits - 5)));
    }
  }

  private position(h1: number, h2: number, i: number): number {
    // Below 2^53, so exact in a double; `% 2^bits` keeps up to 36 bits.
    return ((h1 >>> 0) + i * ((h2 | 1) >>> 0) * 0x10001) % (this.mask + 1);
  }

  put(h1: number, h2: number): number {
    let fresh = 0;
    for (let i = 0; i < this.hashes; i++) {
      const pos = this.position(h1, h2, i);
      const page = this.words[Math.floor(pos / 2 ** 30)]!;
      const inPage = pos % 2 ** 30;
      const bit = 1 << (inPage & 31);
      const w = inPage >>> 5;
      if ((page[w]! & bit) === 0) {
        page[w] = page[w]! | bit;
        fresh++;
      }
    }
    if (fresh === 0) return -1;
    this.setBits += fresh;
    const p = (this.setBits / (this.mask + 1)) ** this.hashes;
    this.expectedOmitted += p < 1 ? p / (1 - p) : 1;
    return this.count++;
  }

  touch(): number {
    return 0;
  }

  has(h1: number, h2: number): boolean {
    for (let i = 0; i < this.hashes; i++) {
      const pos = this.position(h1, h2, i);
      const page = this.words[Math.floor(pos / 2 ** 30)]!;
      const inPage = pos % 2 ** 30;
      if ((page[inPage >>> 5]! & (1 << (inPage & 31))) === 0) return false;
    }
    return true;
  }

  needsGrow(): boolean {
    return false;
  }

  growBytes(): number {
    return 0;
  }

  grow(): void {
    assert(false, 'a bitstate array has a fixed size');
  }

  memoryBytes(): number {
    return this.words.reduce((n, w) => n + w.byteLength, 0);
  }

  /** Hash-factor-style estimate: the share of reachable states the search stored. */
  coverage(): number {
    return this.count / (this.count + this.expectedOmitted);
  }

  collisionProbability(): number {
    return 1 - this.coverage();
  }
}

function isPowerOfTwo(n: number): boolean {
  return Number.isInteger(n) && n > 0 && (n & (n - 1)) === 0;
}
