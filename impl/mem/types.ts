// Interfaces between emulated devices (impl/hw) and memory (impl/mem): a device reaches memory
// only through its IOMMU window (issue #5: "Devices touch memory only through the IOMMU").

/** A DMA the IOMMU refused: reported, never performed. */
export interface DmaFault {
  readonly kind: 'dma-fault';
  readonly device: string;
  readonly ioAddr: bigint;
  readonly lengthBytes: number;
  readonly write: boolean;
  readonly reason: string;
}

/** A device's view of memory: I/O addresses, checked against the device's I/O mappings. */
export interface DmaPort {
  read(ioAddr: bigint, lengthBytes: number): Uint8Array | DmaFault;
  write(ioAddr: bigint, data: Uint8Array): DmaFault | null;
}

/**
 * A device refused an access on the bus (e.g. a width its registers do not decode, as QEMU's
 * `MemoryRegionOps.valid` refuses it): the CPU takes a synchronous external abort, so the PD
 * faults (issue #14 part 1).
 */
export interface MmioBusError {
  readonly kind: 'bus-error';
  readonly reason: string;
}

/** A memory-mapped device register block, as a driver PD sees it through an uncached mapping. */
export interface MmioDevice {
  readonly name: string;
  readonly sizeBytes: number;
  read32(offsetBytes: number): number;
  write32(offsetBytes: number, value: number): void;
  /**
   * 8-, 16- and 64-bit accessors (issue #14 part 1). Offsets are naturally aligned (the address
   * space faults an unaligned device access first, as AArch64 does for Device memory). A device
   * without them accepts 32-bit accesses only.
   */
  read8?(offsetBytes: number): number | MmioBusError;
  read16?(offsetBytes: number): number | MmioBusError;
  read64?(offsetBytes: number): bigint | MmioBusError;
  write8?(offsetBytes: number, value: number): MmioBusError | null;
  write16?(offsetBytes: number, value: number): MmioBusError | null;
  write64?(offsetBytes: number, value: bigint): MmioBusError | null;
  /** Level of the device's interrupt line (level IRQs stay asserted while this is true). */
  irqAsserted(): boolean;
}

/** Virtual time; devices never read a real clock (STYLE.md: time is injected). */
export interface Clock {
  nowNs(): bigint;
}
