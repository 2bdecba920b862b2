// The spec's word memory of one implemented component, read through the implementation's shared
// memory at the C offsets (the abstraction function of its queues and data regions, docs/adr/
// 020-net-refinement.md). A spec word address is `space * SPACE_WORDS + word`:
//   - a queue's space holds `tail` (word 0, the u16 at byte 0), `head` (1, u16 at 2),
//     `consumer_signalled` (2, u32 at 4) and slot i (3 + i, the u64 io_or_offset at 8 + 16 i) of
//     include/sddf/network/queue.h; the descriptor's `len` and `oid` are not spec state (the spec's
//     descriptor is one word) — the length travels with the frame (frames.ts);
//   - a data region's space holds one payload word per buffer, the frame abstraction of its bytes.
// Each queue keeps a copy of its bytes from before the handler (`pre`), and the bytes the spec
// runs on (`work`, reset from `pre` for each candidate run); after the handler the spec's `work` is
// compared with the implementation's bytes, field by field.
import { InvariantError } from '../../../spec/common/assert.ts';
import type { FenceKind, SharedMem } from '../../../spec/common/memory.ts';
import {
  NET_BUFFER_SIZE_BYTES,
  NET_DESC_SIZE_BYTES,
  NET_QUEUE_HEADER_BYTES,
  netQueueSizeBytes,
  type NetQueueRef,
} from '../../../spec/queue/net.ts';

/** Words per address space: a queue of capacity ≤ 2^15 needs 3 + 2^15. */
export const SPACE_WORDS = 0x1_0000;
/** Space of the first data region (queues use the spaces below). */
export const DATA_SPACE = 0x1000;
/** An address no view maps: a spec step touching it is a harness error, not a divergence. */
export const UNMAPPED_SPACE = 0x2000;

const TWO_32 = 0x1_0000_0000;

/** One difference between the implementation's state and the spec's, after a handler. */
export interface WordDifference {
  readonly where: string;
  readonly impl: number | string;
  readonly spec: number | string;
}

/** A queue's bytes as the component's own mapping shows them, and the spec's copy of them. */
export class QueueWords {
  readonly ref: NetQueueRef;
  private readonly pre: Uint8Array;
  private readonly work: Uint8Array;
  private readonly preU32: Uint32Array;
  private readonly workU32: Uint32Array;
  private readonly liveU32: Uint32Array;
  private readonly workU16: Uint16Array;

  constructor(
    readonly name: string,
    space: number,
    private readonly live: Uint8Array,
    readonly capacity: number,
  ) {
    const size = netQueueSizeBytes(capacity);
    if (live.byteLength < size)
      throw new InvariantError(`${name}: a queue of ${capacity} needs ${size} bytes`);
    this.pre = new Uint8Array(size);
    this.work = new Uint8Array(size);
    this.preU32 = new Uint32Array(this.pre.buffer);
    this.workU32 = new Uint32Array(this.work.buffer);
    this.workU16 = new Uint16Array(this.work.buffer);
    this.liveU32 = new Uint32Array(live.buffer, live.byteOffset, size >> 2);
    const base = space * SPACE_WORDS;
    this.ref = {
      name,
      tail: base,
      head: base + 1,
      consumerSignalled: base + 2,
      slots: base + 3,
      capacity,
    };
  }

  /** Before the handler: the implementation's bytes now. */
  snapshot(): void {
    this.pre.set(this.live.subarray(0, this.pre.byteLength));
  }

  /**
   * Whether the snapshot is in the abstraction's domain: the spec's queues never hold more than
   * their capacity (queue.h's invariant), so indices claiming more (a hostile peer wrote them) have
   * no spec state to stand for.
   */
  preInDomain(): boolean {
    const h = this.preU32[0]!;
    return (((h & 0xffff) - (h >>> 16)) & 0xffff) <= this.capacity;
  }

  /** Before a candidate spec run: start from the snapshot. */
  reset(): void {
    this.work.set(this.pre);
  }

  load(word: number): number {
    if (word === 0) return this.workU16[0]!;
    if (word === 1) return this.workU16[1]!;
    if (word === 2) return this.workU32[1]!;
    const w = this.slotWord(word);
    return this.workU32[w]! + this.workU32[w + 1]! * TWO_32;
  }

  store(word: number, value: number): void {
    if (word === 0 || word === 1) {
      this.workU16[word] = value & 0xffff;
      return;
    }
    if (word === 2) {
      this.workU32[1] = value >>> 0;
      return;
    }
    const w = this.slotWord(word);
    const hi = Math.floor(value / TWO_32);
    this.workU32[w] = value - hi * TWO_32;
    this.workU32[w + 1] = hi;
  }

  private slotWord(word: number): number {
    const slot = word - 3;
    if (!(slot >= 0 && slot < this.capacity))
      throw new InvariantError(`${this.name}: word ${word} is no field of the queue`);
    return (NET_QUEUE_HEADER_BYTES + NET_DESC_SIZE_BYTES * slot) >> 2;
  }

  /** Live descriptors (offset/IO address and len) of the snapshot or of the implementation now. */
  entries(which: 'pre' | 'live'): { io: number; len: number }[] {
    const u32 = which === 'pre' ? this.preU32 : this.liveU32;
    const tail = u32[0]! & 0xffff;
    const head = u32[0]! >>> 16;
    const n = Math.min((tail - head) & 0xffff, this.capacity);
    const out: { io: number; len: number }[] = [];
    for (let i = 0; i < n; i++) {
      const w = (NET_QUEUE_HEADER_BYTES + NET_DESC_SIZE_BYTES * ((head + i) % this.capacity)) >> 2;
      out.push({ io: u32[w]! + u32[w + 1]! * TWO_32, len: u32[w + 2]! & 0xffff });
    }
    return out;
  }

  /** Fields in which the spec's copy differs from the implementation's bytes. */
  differences(out: WordDifference[], limit: number): void {
    const live = this.liveU32;
    const work = this.workU32;
    const field = (where: string, impl: number, spec: number): void => {
      if (impl !== spec && out.length < limit)
        out.push({ where: `${this.name}.${where}`, impl, spec });
    };
    field('tail', live[0]! & 0xffff, work[0]! & 0xffff);
    field('head', live[0]! >>> 16, work[0]! >>> 16);
    field('consumer_signalled', live[1]!, work[1]!);
    for (let s = 0; s < this.capacity && out.length < limit; s++) {
      const w = (NET_QUEUE_HEADER_BYTES + NET_DESC_SIZE_BYTES * s) >> 2;
      if (live[w] !== work[w] || live[w + 1] !== work[w + 1])
        field(
          `buffers[${s}].io_or_offset`,
          live[w]! + live[w + 1]! * TWO_32,
          work[w]! + work[w + 1]! * TWO_32,
        );
    }
  }
}

/** Where a data region's frame lengths come from: an active queue that hands its buffers over. */
export interface LengthSource {
  readonly queue: QueueWords;
  /** The io_or_offset in this queue → the buffer offset in the region (or NaN: not this region). */
  readonly toOffset: (io: number) => number;
}

/**
 * A data region's payload words. A buffer's word is the frame abstraction (frames.ts) of its bytes
 * [0, len), `len` from the live descriptor of an active queue that holds the buffer (in the
 * snapshot for what the spec reads, in the implementation after the handler for what it compares);
 * a buffer no active queue holds has no frame (word 0: the spec reads none). The spec's stores are
 * kept and compared with the implementation's frames after the handler.
 */
export class DataWords {
  readonly stores = new Map<number, number>();
  private preLens: Map<number, number> | null = null;

  constructor(
    readonly name: string,
    readonly space: number,
    readonly count: number,
    private readonly sources: readonly LengthSource[],
    /** The payload word of buffer `b` holding a frame of `len` bytes, read now. */
    private readonly frame: (b: number, len: number) => number,
  ) {}

  get base(): number {
    return this.space * SPACE_WORDS;
  }

  /** Before a candidate spec run. */
  reset(): void {
    this.stores.clear();
  }

  /** After a new snapshot. */
  invalidate(): void {
    this.preLens = null;
    this.stores.clear();
  }

  private lengths(which: 'pre' | 'live'): Map<number, number> {
    const m = new Map<number, number>();
    for (const s of this.sources) {
      for (const e of s.queue.entries(which)) {
        const off = s.toOffset(e.io);
        if (Number.isInteger(off) && off >= 0 && off % NET_BUFFER_SIZE_BYTES === 0)
          m.set(off / NET_BUFFER_SIZE_BYTES, e.len);
      }
    }
    return m;
  }

  load(b: number): number {
    const stored = this.stores.get(b);
    if (stored !== undefined) return stored;
    this.preLens ??= this.lengths('pre');
    const len = this.preLens.get(b);
    return len === undefined ? 0 : this.frame(b, len);
  }

  store(b: number, value: number): void {
    if (!(b >= 0 && b < this.count))
      throw new InvariantError(`${this.name}: buffer ${b} of ${this.count}`);
    this.stores.set(b, value >>> 0);
  }

  /** Every word the spec stored must be the frame the implementation's buffer holds now. */
  differences(out: WordDifference[], limit: number): void {
    if (this.stores.size === 0) return;
    const lens = this.lengths('live');
    for (const [b, spec] of this.stores) {
      if (out.length >= limit) return;
      const len = lens.get(b);
      const impl =
        len === undefined ? 'no frame (the buffer is in no active queue)' : this.frame(b, len);
      if (impl !== spec) out.push({ where: `${this.name}[${b}]`, impl, spec });
    }
  }
}

/** The spec's SharedMem over a view's queues and data regions (sequential: fences do nothing). */
export class ViewMemory implements SharedMem {
  constructor(
    private readonly queues: readonly QueueWords[],
    private readonly data: readonly DataWords[],
    private readonly owner: string,
  ) {}

  private decode(addr: number): { space: number; word: number } {
    return { space: Math.floor(addr / SPACE_WORDS), word: addr % SPACE_WORDS };
  }

  private region(space: number, addr: number): DataWords {
    const d = this.data[space - DATA_SPACE];
    if (d === undefined)
      throw new InvariantError(
        `${this.owner}: the spec touched word ${addr}, outside this PD's view`,
      );
    return d;
  }

  load(addr: number): number {
    const { space, word } = this.decode(addr);
    if (space < DATA_SPACE) return this.queue(space, addr).load(word);
    return this.region(space, addr).load(word);
  }

  store(addr: number, value: number): void {
    const { space, word } = this.decode(addr);
    if (space < DATA_SPACE) this.queue(space, addr).store(word, value);
    else this.region(space, addr).store(word, value);
  }

  fence(_kind: FenceKind): void {}

  private queue(space: number, addr: number): QueueWords {
    const q = this.queues[space];
    if (q === undefined)
      throw new InvariantError(
        `${this.owner}: the spec touched word ${addr}, outside this PD's view`,
      );
    return q;
  }
}
