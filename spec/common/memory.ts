// What a step may do to memory, as the C code does it: word loads and stores and fences in
// program order. One interface for every user: the model checker's memory models
// (proofs/models/memory.ts: SC, TSO, Arm-like) decide what a load returns and when a store becomes
// visible to other PDs; a plain in-object memory (spec/queue/state-memory.ts) runs the same
// operations on immutable queue states. The queue operations of spec/queue are written once over
// this interface (docs/adr/011-one-queue-truth.md).

export type FenceKind = 'release' | 'acquire' | 'seq_cst';

/** Word-addressed shared memory as one PD sees it. Values are u32. */
export interface SharedMem {
  load(addr: number): number;
  store(addr: number, value: number): void;
  /**
   * `release`/`acquire` order this PD's accesses around the fence; `seq_cst` additionally orders
   * earlier stores before later loads (the only fence that forbids store buffering, §2.2).
   */
  fence(kind: FenceKind): void;
}

/**
 * Device (uncached, `wwmb`/`rrmb`-ordered) memory: HW descriptor rings and device registers are
 * accessed directly, never through a CPU store buffer (reference §5.2: rings mapped uncached).
 */
export interface DeviceMem {
  read(addr: number): number;
  write(addr: number, value: number): void;
}
