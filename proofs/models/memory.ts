// Memory models over the state vector (docs/adr/015-weak-memory.md, docs/adr/008-models.md).
//   sc    : every access goes straight to memory.
//   tso   : per-PD FIFO store buffer; loads read the PD's own newest buffered store first; a
//           separate `flush` transition moves the oldest entry to memory (x86-TSO).
//   pso   : per-PD store buffer whose entries may reach memory in any order (a store may be
//           overtaken by a later load AND by a later store to another address) unless a
//           write→write fence separates them; same-address stores stay in order. Loads are never
//           reordered. This was `arm` before issue 15; it is not ARMv8 (see armv8).
//   armv8 : the ARMv8-A model, rvwmo: the RISC-V model, both as Promising-ARM/RISC-V
//           (./wmm/promising.ts).
// In the store-buffer models (tso, pso) a fence that orders write→read and every syscall
// (notify, seL4_Recv) drain the buffer within the step: equivalent to waiting for the flushes,
// minus interleavings during the wait.
import { assert } from '../../spec/common/assert.ts';
import type {
  FenceKind,
  LoadOptions,
  RmwOp,
  RmwOptions,
  StoreOptions,
} from '../../spec/components/mem.ts';
import { rmwResult } from '../../spec/components/mem.ts';
import type { State } from '../../spec/common/transition.ts';
import type { Layout } from './layout.ts';
import type { MemoryModel } from './types.ts';
import { WR, WW, fenceBits } from './wmm/fences.ts';
import { PromisingSystem } from './wmm/promising.ts';

export { isAbandonedRun } from './wmm/promising.ts';
import type { AccessLog, BufferRef, MemorySystem, PdRunner, PdSharedMem } from './wmm/system.ts';

export type { AccessLog, BufferRef, MemorySystem, PdRunner, PdSharedMem } from './wmm/system.ts';

export { MEMORY_MODELS, memoryModelProblem } from './types.ts';

/** Entries per PD store buffer; a store into a full buffer first drains the oldest (bounded). */
export const STORE_BUFFER_ENTRIES = 4;
/** Set on an entry followed by a write→write fence: later stores may not overtake it. */
const BARRIER_AFTER = 0x8000_0000;
const ADDR_MASK = 0x7fff_ffff;

/** Words of one PD's store buffer under `model` (0 for the models without one). */
export function bufferWords(model: MemoryModel): number {
  return model === 'tso' || model === 'pso' ? 1 + 2 * STORE_BUFFER_ENTRIES : 0;
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
  if (model !== 'pso') return [0];
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

/**
 * One PD's view of memory for one step under sc, tso or pso. Dependencies and the acquire and
 * release annotations change nothing here: TSO already keeps load→load, load→store and
 * store→store order (loads are acquires, stores releases), SC keeps every order, and PSO keeps
 * its pre-issue-15 reading (a release store is a write→write fence then the store).
 */
export class PdMemory implements PdSharedMem {
  constructor(
    public s: State,
    private readonly model: MemoryModel,
    private readonly buffer: BufferRef | null,
    /** `shared` counts fences and syscalls (they order or drain what others see). */
    public accessLog: AccessLog | null = null,
  ) {
    assert(
      model === 'sc' || model === 'tso' || model === 'pso',
      `PdMemory is the store-buffer memory (sc, tso, pso), not ${model}`,
    );
  }

  load(addr: number, _opts?: LoadOptions): number {
    this.accessLog?.loads.push(addr);
    const b = this.buffer;
    if (b !== null) {
      for (let i = bufferCount(this.s, b) - 1; i >= 0; i--) {
        if (entryAddr(this.s, b, i) === addr) return this.s[b.base + 2 + 2 * i] ?? 0;
      }
    }
    return this.s[addr] ?? 0;
  }

  store(addr: number, value: number, opts?: StoreOptions): void {
    if (!(addr >= 0 && addr <= ADDR_MASK && Number.isInteger(value)))
      assert(false, `u32 store ${addr} ${value}`);
    if (opts?.order === 'release' && this.model === 'pso') this.fenceBits(WW);
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

  /** A locked instruction (x86 XCHG/LOCK XADD/LOCK CMPXCHG): drains, then reads and writes memory. */
  rmw(addr: number, op: RmwOp, _opts?: RmwOptions): number {
    if (this.accessLog) this.accessLog.shared = (this.accessLog.shared ?? 0) + 1;
    this.accessLog?.loads.push(addr);
    if (this.buffer !== null) drain(this.s, this.buffer);
    const old = this.s[addr] ?? 0;
    const next = rmwResult(op, old);
    if (next !== null) {
      this.accessLog?.stores.push(addr);
      this.s[addr] = next;
    }
    return old;
  }

  ctrl(_deps: number): void {
    // No reordering by dependency in sc, tso, pso.
  }

  fence(kind: FenceKind): void {
    if (this.accessLog) this.accessLog.shared = (this.accessLog.shared ?? 0) + 1;
    let bits = fenceBits(kind, this.model);
    // Under TSO a release fence orders nothing new, but the buffer has always marked it (the mark
    // only matters to PSO's flush order): kept, so states and recorded traces stay as they were.
    if (kind === 'release' && this.model === 'tso') bits |= WW;
    this.fenceBits(bits);
  }

  private fenceBits(bits: number): void {
    if (this.buffer === null) return;
    const b = this.buffer;
    const n = bufferCount(this.s, b);
    if ((bits & WR) !== 0) {
      drain(this.s, b);
    } else if ((bits & WW) !== 0 && n > 0) {
      this.s[b.base + 2 * n - 1] = (this.s[b.base + 2 * n - 1] ?? 0) | BARRIER_AFTER;
    }
    // Every other order is kept by these models already.
  }

  syscall(): void {
    if (this.accessLog) this.accessLog.shared = (this.accessLog.shared ?? 0) + 1;
    if (this.buffer !== null) drain(this.s, this.buffer);
  }
}

class StoreBufferSystem implements MemorySystem {
  private readonly buffers: (BufferRef | null)[];
  private readonly mems: (PdMemory | null)[];
  private drainedView = new Uint32Array(0);

  constructor(
    readonly model: MemoryModel,
    private readonly pdNames: readonly string[],
  ) {
    this.buffers = pdNames.map(() => null);
    this.mems = pdNames.map(() => null);
  }

  allocPd(layout: Layout, p: number): void {
    assert(this.mems[p] === null, `memory of PD ${p} allocated twice`);
    const words = bufferWords(this.model);
    const b = words > 0 ? { base: layout.alloc(`${this.pdNames[p]}.store_buffer`, words) } : null;
    this.buffers[p] = b;
    this.mems[p] = new PdMemory(new Uint32Array(0), this.model, b, null);
  }

  allocShared(): void {
    assert(
      this.mems.every((m) => m !== null),
      'allocate every PD before the shared words',
    );
  }

  buffer(p: number): BufferRef | null {
    return this.buffers[p] ?? null;
  }

  pdMemory(p: number): PdSharedMem {
    const m = this.mems[p];
    assert(m !== undefined && m !== null, `no memory for PD ${p}`);
    return m;
  }

  internalActions(): readonly { name: string; kind: string }[] {
    if (bufferWords(this.model) === 0) return [];
    return Array.from({ length: STORE_BUFFER_ENTRIES }, (_, i) => ({
      name: `store_buffer.flush${i}`,
      kind: 'flush',
    }));
  }

  internalSuccessors(
    s: State,
    p: number,
    _scheduled: boolean,
    scratch: State,
    emit: (k: number, next: State) => void,
  ): void {
    const b = this.buffers[p];
    if (b === null || b === undefined || bufferCount(s, b) === 0) return;
    for (const i of flushable(s, b, this.model)) {
      scratch.set(s);
      flushEntry(scratch, b, i);
      emit(i, scratch);
    }
  }

  exploreStep(
    _s: State,
    _p: number,
    _scratch: State,
    run: () => number,
    emit: (action: number) => void,
  ): void {
    const a = run();
    if (a >= 0) emit(a);
  }

  idle(s: State, p: number): boolean {
    const b = this.buffers[p];
    return b === null || b === undefined || bufferCount(s, b) === 0;
  }

  invariantView(s: State): State {
    return s;
  }

  drained(s: State): State {
    if (this.model === 'sc') return s; // no store buffers: memory is every writer's view
    if (this.drainedView.length !== s.length) this.drainedView = new Uint32Array(s.length);
    const v = this.drainedView;
    v.set(s);
    for (const b of this.buffers) if (b !== null) drain(v, b);
    return v;
  }
}

/**
 * The memory system of `model` for PDs `pdNames` (store buffers, or Promising's message list and
 * per-PD views; the runtime allocates their words with `allocPd` and `allocShared`).
 */
export function createMemorySystem(
  model: MemoryModel,
  pdNames: readonly string[],
  runner: PdRunner,
): MemorySystem {
  if (model === 'armv8' || model === 'rvwmo') return new PromisingSystem(model, pdNames, runner);
  return new StoreBufferSystem(model, pdNames);
}
