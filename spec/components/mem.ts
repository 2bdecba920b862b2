// What a component step may do to shared memory. The memory model (SC, TSO, Arm-like) decides
// what a load returns and when a store becomes visible to other PDs; the component code only says
// which accesses and fences it performs, in program order, like the C code does.

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
