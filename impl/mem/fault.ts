// Faults of a PD's memory access (issue #5 part 1): a value delivered to the runtime, never a crash of
// the whole system. The address space stops the offending handler by throwing a PdFaultTrap that
// carries the value (a hardware trap stops the thread mid-instruction; a JS handler can only be
// unwound); the runtime catches exactly this class, stops only that PD and reports the value.

export type PdAccess = 'read' | 'write' | 'exec' | 'atomic';

export type PdFaultKind =
  /** No mapping covers the address (seL4 VM fault on an unmapped page). */
  | 'unmapped'
  /** The mapping exists but its perms forbid the access (write to `r`, exec of non-`x`, ...). */
  | 'permission'
  /** A multi-byte access not aligned to its width (ARM alignment fault on device/atomic accesses). */
  | 'alignment'
  /** A device register refused the access on the bus (synchronous external abort). */
  | 'bus-error'
  /** A ppcall or notify on a channel id the PD holds no capability for. */
  | 'invalid-capability'
  /** The handler threw (a C `assert` failing, an exception): the PD stops like on a fault. */
  | 'exception'
  /** The PD would block forever (ppcall to a stopped PD, or its callee faulted before replying). */
  | 'blocked'
  /** Injected by the fault injector (crash at step N). */
  | 'injected';

export interface PdFault {
  readonly kind: PdFaultKind;
  readonly pd: string;
  /** The faulting virtual address; 0 for faults that are not memory accesses. */
  readonly vaddr: number;
  readonly access: PdAccess | 'none';
  readonly lengthBytes: number;
  readonly message: string;
}

/** The trap that unwinds a handler; the runtime turns it into a reported PdFault. */
export class PdFaultTrap extends Error {
  override name = 'PdFaultTrap';
  constructor(readonly fault: PdFault) {
    super(fault.message);
  }
}
