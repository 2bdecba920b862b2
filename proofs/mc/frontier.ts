// The BFS frontier as its own interface (EXAMPLES.md §8; TLC's IStateQueue): the states found but
// not yet expanded, each as its vector plus the two raw hash sums it was found with (so that its
// successors' fingerprints are updated from them, ./hash.ts). A state leaves the frontier when it
// is expanded, so BFS keeps only the states of (about) one level whole; the visited set keeps
// fingerprints (./store.ts). The parallel search (./parallel.ts) hands frontier chunks to workers.
import { assert } from '../../spec/common/assert.ts';

export interface Frontier {
  readonly size: number;
  /** Appends `src[off .. off+words)` with its hash sums. Call `needsGrow`/`grow` first. */
  push(src: Uint32Array, off: number, sum1: number, sum2: number): void;
  /** Removes the oldest state into `out` (words) and returns its sums via `sum1`/`sum2`. */
  shift(out: Uint32Array): void;
  readonly sum1: number;
  readonly sum2: number;
  needsGrow(): boolean;
  growBytes(): number;
  grow(): void;
  memoryBytes(): number;
}

/** A FIFO ring of fixed-size records (vector, sum1, sum2) in one Uint32Array, doubling when full. */
export class RingFrontier implements Frontier {
  readonly words: number;
  private readonly record: number;
  private buf: Uint32Array;
  /** Capacity in records. */
  private capacity: number;
  private head = 0;
  size = 0;
  sum1 = 0;
  sum2 = 0;

  constructor(words: number, initialRecords = 1024) {
    assert(words > 0, `frontier records need words (got ${words})`);
    assert(initialRecords > 0, 'frontier capacity must be positive');
    this.words = words;
    this.record = words + 2;
    this.capacity = initialRecords;
    this.buf = new Uint32Array(initialRecords * this.record);
  }

  push(src: Uint32Array, off: number, sum1: number, sum2: number): void {
    if (this.size === this.capacity) assert(false, 'frontier full (grow was skipped)');
    let at = this.head + this.size;
    if (at >= this.capacity) at -= this.capacity;
    const base = at * this.record;
    const w = this.words;
    const buf = this.buf;
    for (let k = 0; k < w; k++) buf[base + k] = src[off + k]!;
    buf[base + w] = sum1;
    buf[base + w + 1] = sum2;
    this.size++;
  }

  shift(out: Uint32Array): void {
    if (this.size === 0) assert(false, 'shift from an empty frontier');
    const base = this.head * this.record;
    const w = this.words;
    const buf = this.buf;
    for (let k = 0; k < w; k++) out[k] = buf[base + k]!;
    // Sums are int32 (./hash.ts): read back signed, so they stay unboxed.
    this.sum1 = buf[base + w]! | 0;
    this.sum2 = buf[base + w + 1]! | 0;
    this.head = this.head + 1 === this.capacity ? 0 : this.head + 1;
    this.size--;
  }

  needsGrow(): boolean {
    return this.size === this.capacity;
  }

  growBytes(): number {
    return this.buf.byteLength * 2;
  }

  grow(): void {
    const r = this.record;
    const next = new Uint32Array(this.buf.length * 2);
    // Unroll the ring: oldest record first.
    const firstPart = (this.capacity - this.head) * r;
    next.set(this.buf.subarray(this.head * r, this.head * r + Math.min(firstPart, this.size * r)));
    if (this.head + this.size > this.capacity) {
      next.set(this.buf.subarray(0, (this.head + this.size - this.capacity) * r), firstPart);
    }
    this.buf = next;
    this.capacity *= 2;
    this.head = 0;
  }

  memoryBytes(): number {
    return this.buf.byteLength;
  }
}

/** Bytes per chunk of a DeltaFrontier. */
const CHUNK_BYTES = 1 << 20;

/**
 * A FIFO of states stored as differences (issue #11: BFS memory per state close to DFS's). Each
 * record is the XOR of the state with the one pushed before it, as (gap, value) varint pairs for
 * the words that differ, a 0 gap to end, then the two hash sums. A BFS frontier is mostly siblings
 * and cousins, which differ in a few words: a net-pipeline state of 178 words (712 bytes) takes
 * ~20-40 bytes here. Records are written to 1 MiB chunks, freed as the reader passes them.
 */
export class DeltaFrontier implements Frontier {
  readonly words: number;
  /** Worst-case bytes of one record: a 5-byte gap and a 5-byte value per word, end, sums. */
  private readonly maxRecord: number;
  private readonly chunks: Uint8Array[] = [];
  /** Chunks emptied by the reader, kept for reuse (at most one). */
  private spare: Uint8Array | undefined;
  /** Where the writer left each full chunk (the last chunk's end is `writeAt`). */
  private readonly ends: number[] = [];
  /** Write position in the last chunk; read position in the first. */
  private writeAt = 0;
  private readAt = 0;
  /** The last state pushed and the last shifted: each record is the XOR with the one before. */
  private readonly lastPushed: Uint32Array;
  private readonly lastShifted: Uint32Array;
  size = 0;
  sum1 = 0;
  sum2 = 0;

  constructor(words: number) {
    assert(words > 0, `frontier records need words (got ${words})`);
    this.words = words;
    this.maxRecord = maxDeltaBytes(words) + 8;
    assert(this.maxRecord <= CHUNK_BYTES, `states of ${words} words are too long for the frontier`);
    this.lastPushed = new Uint32Array(words);
    this.lastShifted = new Uint32Array(words);
    this.chunks.push(new Uint8Array(CHUNK_BYTES));
  }

  needsGrow(): boolean {
    return this.writeAt + this.maxRecord > CHUNK_BYTES && this.spare === undefined;
  }

  growBytes(): number {
    return CHUNK_BYTES;
  }

  grow(): void {
    this.spare = new Uint8Array(CHUNK_BYTES);
  }

  push(src: Uint32Array, off: number, sum1: number, sum2: number): void {
    if (this.writeAt + this.maxRecord > CHUNK_BYTES) {
      if (this.spare === undefined) assert(false, 'frontier full (grow was skipped)');
      this.ends[this.chunks.length - 1] = this.writeAt;
      this.chunks.push(this.spare);
      this.spare = undefined;
      this.writeAt = 0;
    }
    const buf = this.chunks[this.chunks.length - 1]!;
    let at = encodeDelta(buf, this.writeAt, src, off, this.lastPushed);
    at = writeInt32(buf, at, sum1);
    at = writeInt32(buf, at, sum2);
    this.writeAt = at;
    this.size++;
  }

  shift(out: Uint32Array): void {
    if (this.size === 0) assert(false, 'shift from an empty frontier');
    // A record never straddles chunks: when the reader reaches the end the writer left in the
    // first chunk, that chunk is done (kept as the spare, or freed).
    if (this.chunks.length > 1 && this.readAt >= this.ends[0]!) {
      const done = this.chunks.shift()!;
      this.ends.shift();
      this.spare ??= done;
      this.readAt = 0;
    }
    const buf = this.chunks[0]!;
    const cur = this.lastShifted;
    const at = decodeDelta(buf, this.readAt, cur);
    this.sum1 = readInt32(buf, at);
    this.sum2 = readInt32(buf, at + 4);
    this.readAt = at + 8;
    out.set(cur);
    this.size--;
  }

  memoryBytes(): number {
    return (this.chunks.length + (this.spare === undefined ? 0 : 1)) * CHUNK_BYTES;
  }
}

/**
 * Writes `src[off .. off+prev.length)` as its XOR with `prev`: (gap, value) varints for the words
 * that differ, then a 0 gap. Updates `prev` to the state. Returns the next write position.
 */
export function encodeDelta(
  buf: Uint8Array,
  at: number,
  src: Uint32Array,
  off: number,
  prev: Uint32Array,
): number {
  let last = -1;
  for (let k = 0; k < prev.length; k++) {
    const v = src[off + k]!;
    const d = (v ^ prev[k]!) >>> 0;
    if (d === 0) continue;
    prev[k] = v;
    at = writeVarint(buf, at, k - last);
    at = writeVarint(buf, at, d);
    last = k;
  }
  buf[at++] = 0;
  return at;
}

/** Applies one encodeDelta record at `at` to `cur`; returns the position after it. */
export function decodeDelta(buf: Uint8Array, at: number, cur: Uint32Array): number {
  let k = -1;
  for (;;) {
    let gap = 0;
    let shift = 0;
    let byte = 0;
    do {
      byte = buf[at++]!;
      gap |= (byte & 0x7f) << shift;
      shift += 7;
    } while (byte >= 0x80);
    if (gap === 0) return at;
    k += gap;
    let d = 0;
    shift = 0;
    do {
      byte = buf[at++]!;
      d += (byte & 0x7f) * 2 ** shift;
      shift += 7;
    } while (byte >= 0x80);
    cur[k] = (cur[k]! ^ d) >>> 0;
  }
}

/** Worst-case bytes of one delta record of `words` words (5-byte gap and value each, the end). */
export function maxDeltaBytes(words: number): number {
  return words * 10 + 1;
}

/**
 * A chunk of frontier states for the parallel search (./parallel.ts): records (delta, sum1, sum2,
 * id) in one growable byte array that is handed to a worker whole (transferred, not copied).
 */
export class ChunkWriter {
  readonly words: number;
  private buf: Uint8Array;
  private at = 0;
  private readonly prev: Uint32Array;
  count = 0;

  constructor(words: number, initialBytes = 1 << 16) {
    this.words = words;
    this.buf = new Uint8Array(initialBytes);
    this.prev = new Uint32Array(words);
  }

  push(src: Uint32Array, off: number, sum1: number, sum2: number, id: number): void {
    const need = this.at + maxDeltaBytes(this.words) + 12;
    if (need > this.buf.length) {
      const next = new Uint8Array(Math.max(need, this.buf.length * 2));
      next.set(this.buf.subarray(0, this.at));
      this.buf = next;
    }
    let at = encodeDelta(this.buf, this.at, src, off, this.prev);
    at = writeInt32(this.buf, at, sum1);
    at = writeInt32(this.buf, at, sum2);
    this.at = writeInt32(this.buf, at, id);
    this.count++;
  }

  get bytes(): number {
    return this.at;
  }

  /** The records so far as their own buffer; the writer starts a new chunk. */
  take(): Uint8Array {
    const out = this.buf.slice(0, this.at);
    this.at = 0;
    this.count = 0;
    this.prev.fill(0);
    return out;
  }
}

/** Reads a ChunkWriter's records in order. */
export class ChunkReader {
  private buf: Uint8Array = new Uint8Array(0);
  private at = 0;
  private readonly cur: Uint32Array;
  sum1 = 0;
  sum2 = 0;
  id = 0;

  constructor(words: number) {
    this.cur = new Uint32Array(words);
  }

  open(buf: Uint8Array): void {
    this.buf = buf;
    this.at = 0;
    this.cur.fill(0);
  }

  /** The next record into `out`, or false at the end. */
  next(out: Uint32Array): boolean {
    if (this.at >= this.buf.length) return false;
    const buf = this.buf;
    const at = decodeDelta(buf, this.at, this.cur);
    this.sum1 = readInt32(buf, at);
    this.sum2 = readInt32(buf, at + 4);
    this.id = readInt32(buf, at + 8);
    this.at = at + 12;
    out.set(this.cur);
    return true;
  }
}

function writeVarint(buf: Uint8Array, at: number, x: number): number {
  while (x >= 0x80) {
    buf[at++] = (x & 0x7f) | 0x80;
    x = Math.floor(x / 128);
  }
  buf[at++] = x;
  return at;
}

function writeInt32(buf: Uint8Array, at: number, x: number): number {
  buf[at] = x & 0xff;
  buf[at + 1] = (x >>> 8) & 0xff;
  buf[at + 2] = (x >>> 16) & 0xff;
  buf[at + 3] = (x >>> 24) & 0xff;
  return at + 4;
}

function readInt32(buf: Uint8Array, at: number): number {
  return buf[at]! | (buf[at + 1]! << 8) | (buf[at + 2]! << 16) | (buf[at + 3]! << 24);
}
