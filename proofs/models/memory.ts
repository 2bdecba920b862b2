// Memory models over the state vector (docs/adr/008-models.md "Memory models").
//   sc  : every access goes straight to memory.
//   tso : per-PD FIFO store buffer; loads read the PD's own newest buffered store first; a
//         separate `flush` transition moves the oldest entry to memory (x86-TSO).
//   arm : per-PD store buffer whose entries may reach memory in any order (a store may be
//         overtaken by a later load AND by a later store to another address) unless a release
//         (or stronger) fence separates them; same-address stores stay in order.
// In all three, `seq_cst` fences and syscalls (notify, seL4_Recv) drain the buffer within the
// step: equivalent to waiting for the flushes, minus interleavings during the wait.
import { assert } from '../../spec/common/assert.ts';
import type { FenceKind, SharedMem } from '../../spec/components/mem.ts';
import type { State } from '../../spec/common/transition.ts';
import type { MemoryModel } from './types.ts';

/** Entries per PD store buffer; a store into a full buffer first drains the oldest (bounded). */
export const STORE_BUFFER_ENTRIES = 4;
/** Set on an entry followed by a release (or stronger) fence: later stores may not overtake it. */
const BARRIER_AFTER = 0x8000_0000;
const ADDR_MASK = 0x7fff_ffff;

/** Where a PD's store buffer lives: `count` word then `STORE_BUFFER_ENTRIES` (addr, value) pairs. */
export interface BufferRef {
  readonly base: number;
}

export function bufferWords(model: MemoryModel): number {
  return model === 'sc' ? 0 : 1 + 2 * STORE_BUFFER_ENTRIES;
}

export function bufferCount(s: State, b: BufferRef): number {
  return s[b.base] ?? 0;
}

function entryAddr(s: State, b: BufferRef, i: number): number {
  return (s[b.base + 1 + 2 * i] ?? 0) & ADDR_MASK;
}

function entryBarrier(s: State, b: BufferRef, i: number): boolean {
  return ((s[b.base + 1 + 2 * i] ?? 0) & BARRIER_AFTER) !== 0;
}

/** Moves entry `i` to memory and closes the gap. */
export function flushEntry(s: State, b: BufferRef, i: number): void {
  const n = bufferCount(s, b);
  assert(i >= 0 && i < n, `flush entry ${i} of ${n}`);
  const addr = entryAddr(s, b, i);
  s[addr] = s[b.base + 2 + 2 * i] ?? 0;
  // The fence after entry i also ordered every earlier entry before later ones: hand it down.
  if (entryBarrier(s, b, i) && i > 0)
    s[b.base + 1 + 2 * (i - 1)] = (s[b.base + 1 + 2 * (i - 1)] ?? 0) | BARRIER_AFTER;
  for (let j = i; j < n - 1; j++) {
    s[b.base + 1 + 2 * j] = s[b.base + 3 + 2 * j] ?? 0;
    s[b.base + 2 + 2 * j] = s[b.base + 4 + 2 * j] ?? 0;
  }
  s[b.base + 1 + 2 * (n - 1)] = 0;
  s[b.base + 2 + 2 * (n - 1)] = 0;
  s[b.base] = n - 1;
}

export function drain(s: State, b: BufferRef): void {
  for (let guard = 0; bufferCount(s, b) > 0; guard++) {
    assert(guard <= STORE_BUFFER_ENTRIES, 'drain is bounded by the buffer size');
    flushEntry(s, b, 0);
  }
}

/** Entries that may be flushed next under `model` (TSO: the oldest only). */
export function flushable(s: State, b: BufferRef, model: MemoryModel): number[] {
  const n = bufferCount(s, b);
  if (n === 0) return [];
  if (model !== 'arm') return [0];
  const out: number[] = [0];
  for (let i = 1; i < n; i++) {
    if (entryBarrier(s, b, i - 1)) break; // a fence before entry i: nothing from i on may overtake
    let sameAddrEarlier = false;
    for (let j = 0; j < i; j++)
      if (entryAddr(s, b, j) === entryAddr(s, b, i)) sameAddrEarlier = true;
    if (!sameAddrEarlier) out.push(i);
  }
  return out;
}

/** One PD's view of memory for one step. */
export class PdMemory implements SharedMem {
  constructor(
    public s: State,
    private readonly model: MemoryModel,
    private readonly buffer: BufferRef | null,
    /** `shared` counts fences and syscalls (they order or drain what others see). */
    public accessLog: { loads: number[]; stores: number[]; shared?: number } | null = null,
  ) {}

  load(addr: number): number {
    this.accessLog?.loads.push(addr);
    const b = this.buffer;
    if (b !== null) {
      for (let i = bufferCount(this.s, b) - 1; i >= 0; i--) {
        if (entryAddr(this.s, b, i) === addr) return this.s[b.base + 2 + 2 * i] ?? 0;
      }
    }
    return this.s[addr] ?? 0;
  }

  store(addr: number, value: number): void {
    if (!(addr >= 0 && addr <= ADDR_MASK && Number.isInteger(value)))
      assert(false, `u32 store ${addr} ${value}`);
    this.accessLog?.stores.push(addr);
    const b = this.buffer;
    if (b === null || this.model === 'sc') {
      this.s[addr] = value >>> 0;
      return;
    }
    if (bufferCount(this.s, b) === STORE_BUFFER_ENTRIES) flushEntry(this.s, b, 0);
    const n = bufferCount(this.s, b);
    this.s[b.base + 1 + 2 * n] = addr >>> 0;
    this.s[b.base + 2 + 2 * n] = value >>> 0;
    this.s[b.base] = n + 1;
  }

  fence(kind: FenceKind): void {
    if (this.accessLog) this.accessLog.shared = (this.accessLog.shared ?? 0) + 1;
    if (this.buffer === null) return;
    const b = this.buffer;
    const n = bufferCount(this.s, b);
    if (kind === 'seq_cst') {
      drain(this.s, b);
    } else if (kind === 'release' && n > 0) {
      this.s[b.base + 2 * n - 1] = (this.s[b.base + 2 * n - 1] ?? 0) | BARRIER_AFTER;
    }
    // acquire: loads are not reordered in these models, so nothing to do.
  }

  /** Syscalls (notify, Recv) are full barriers. */
  syscall(): void {
    if (this.accessLog) this.accessLog.shared = (this.accessLog.shared ?? 0) + 1;
    if (this.buffer !== null) drain(this.s, this.buffer);
  }
}
