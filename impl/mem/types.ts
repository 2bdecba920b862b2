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

/** A memory-mapped device register block, as a driver PD sees it through an uncached mapping. */
export interface MmioDevice {
  readonly name: string;
  readonly sizeBytes: number;
  read32(offsetBytes: number): number;
  write32(offsetBytes: number, value: number): void;
  /** Level of the device's interrupt line (level IRQs stay asserted while this is true). */
  irqAsserted(): boolean;
}

/** Virtual time; devices never read a real clock (STYLE.md: time is injected). */
export interface Clock {
  nowNs(): bigint;
}
