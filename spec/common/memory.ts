// What a step may do to memory, as the C code (or the assembly) does it: word loads and stores,
// fences and ordering annotations in program order. One interface for every user: the model
// checker's memory models (proofs/models/memory.ts and proofs/models/wmm: SC, x86-TSO, PSO,
// ARMv8, RVWMO; docs/adr/015-weak-memory.md) decide what a load returns and when a store becomes
// visible to other PDs; a plain in-object memory (spec/queue/state-memory.ts) runs the same
// operations on immutable queue states. The queue operations of spec/queue are written once over
// this interface (docs/adr/013-one-queue-truth.md).

/**
 * C11 fences (`__atomic_thread_fence`), compiled per architecture by the standard mappings
 * (ARMv8: acquire = DMB ISHLD, release = seq_cst = DMB ISH; RISC-V: acquire = fence r,rw,
 * release = fence rw,w, seq_cst = fence rw,rw; x86: only seq_cst emits MFENCE), or a hardware
 * fence named as the instruction. `fence.P.S` is RISC-V `fence P,S`: it orders the
 * predecessor-set accesses before the successor-set ones. `isb` is AArch64 only (with a control
 * dependency it orders later loads, the `ctrl+isb` idiom).
 */
export type FenceKind = 'release' | 'acquire' | 'seq_cst' | HwFence;

type AccessSet = 'r' | 'w' | 'rw';
export type HwFence =
  'dmb.ish' | 'dmb.ishld' | 'dmb.ishst' | 'isb' | `fence.${AccessSet}.${AccessSet}` | 'fence.tso';

/**
 * Load ordering: `acquire` is RCsc (AArch64 LDAR, RISC-V `l{w,d}.aq` of Zalasr: ordered after an
 * earlier release store too); `acquirePc` is RCpc (AArch64 LDAPR). Plain loads are unordered.
 */
export type LoadOrder = 'plain' | 'acquire' | 'acquirePc';
/** Store ordering: `release` is AArch64 STLR, RISC-V `s{w,d}.rl` (Zalasr). */
export type StoreOrder = 'plain' | 'release';

/**
 * Dependencies are named by dependency registers: small per-PD slots (0..DEP_REGISTERS-1) that
 * hold the dependency of a loaded value until overwritten. A load's `into` names the register it
 * fills; a later access lists, as a bit mask, the registers its address (or stored value) was
 * computed from. Registers live with the PD across steps. Models that do not reorder by
 * dependency (SC, TSO, PSO) ignore them, so annotating is always safe; not annotating is sound
 * too (a weak model then assumes no dependency: more behaviours, never fewer).
 */
export const DEP_REGISTERS = 4;

export interface LoadOptions {
  readonly order?: LoadOrder;
  /** Mask of dependency registers the address depends on (address dependency). */
  readonly addrDeps?: number;
  /** Dependency register that receives this load's dependency. */
  readonly into?: number;
}

export interface StoreOptions {
  readonly order?: StoreOrder;
  readonly addrDeps?: number;
  /** Mask of dependency registers the stored value depends on (data dependency). */
  readonly dataDeps?: number;
}

/** Read-modify-write operations (AArch64 SWP/LDADD/CAS, RISC-V AMOSWAP/AMOADD/AMOCAS). */
export type RmwOp =
  | { readonly kind: 'swap'; readonly value: number }
  | { readonly kind: 'add'; readonly value: number }
  | { readonly kind: 'cas'; readonly expected: number; readonly value: number };

export interface RmwOptions {
  /** Acquire (on the read) and release (on the write) annotations. */
  readonly acquire?: boolean;
  readonly release?: boolean;
  readonly addrDeps?: number;
  readonly dataDeps?: number;
  /** Dependency register that receives the old value's dependency. */
  readonly into?: number;
}

/** The value an RMW writes, given the value it read; null when it writes nothing (failed CAS). */
export function rmwResult(op: RmwOp, old: number): number | null {
  switch (op.kind) {
    case 'swap':
      return op.value >>> 0;
    case 'add':
      return (old + op.value) >>> 0;
    case 'cas':
      return old === op.expected >>> 0 ? op.value >>> 0 : null;
  }
}

/** Word-addressed shared memory as one PD sees it. Values are u32. */
export interface SharedMem {
  load(addr: number, opts?: LoadOptions): number;
  store(addr: number, value: number, opts?: StoreOptions): void;
  /**
   * `release`/`acquire` order this PD's accesses around the fence; `seq_cst` additionally orders
   * earlier stores before later loads (the only C11 fence that forbids store buffering, §2.2).
   */
  fence(kind: FenceKind): void;
  /**
   * Atomic read-modify-write; returns the old value. Optional so that a plain sequential memory
   * (a test double) need not implement it: `atomicRmw` falls back to load + store there.
   */
  rmw?(addr: number, op: RmwOp, opts?: RmwOptions): number;
  /** A branch on values from the dependency registers in `deps` (control dependency). */
  ctrl?(deps: number): void;
}

/**
 * Read-modify-write through `mem`. Without `mem.rmw` the memory is sequential (one step runs
 * without interference), so a load followed by a store is atomic there.
 */
export function atomicRmw(mem: SharedMem, addr: number, op: RmwOp, opts?: RmwOptions): number {
  if (mem.rmw !== undefined) return mem.rmw(addr, op, opts);
  const old = mem.load(addr);
  const next = rmwResult(op, old);
  if (next !== null) mem.store(addr, next);
  return old;
}

/** Records a control dependency on `deps` (no-op for memories that do not track them). */
export function controlDependency(mem: SharedMem, deps: number): void {
  mem.ctrl?.(deps);
}

/**
 * Device (uncached, `wwmb`/`rrmb`-ordered) memory: HW descriptor rings and device registers are
 * accessed directly, never through a CPU store buffer (reference §5.2: rings mapped uncached).
 */
export interface DeviceMem {
  read(addr: number): number;
  write(addr: number, value: number): void;
}
