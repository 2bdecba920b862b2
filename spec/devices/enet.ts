// An i.MX8 ENET/FEC-like NIC: its legacy buffer-descriptor rings, who owns a descriptor when, and
// when it raises an interrupt (reference sddf-protocols.md §5.2; the sDDF driver side is
// drivers/network/imx/ethernet.c at au-ts/sddf 650ace5d, §3.2). One definition for every user:
// the net models' NIC and driver (proofs/models/net-pipeline, spec/components/net/driver.ts) and
// the conformance tests of an emulated ENET-like device (impl/hw).
//
// Memory: device memory (`DeviceMem`: uncached, ordered by wwmb/rrmb, never through a CPU store
// buffer). Per ring slot two words: the buffer address and the status word (the BD's `len` is not
// modelled; the sDDF struct is `{u16 len; u16 stat; u32 addr}` with ECR.DBSWP). Registers: EIR
// (W1C). Device-private state: the index of the next BD it will use in each ring.
//
// Ownership (§5.2 "model the ownership bit as the device/driver boundary"):
//   Rx: the driver writes addr, then (wwmb) stat = E [| W on the last slot]: the device owns the
//       BD. The device fills the buffer, sets L, clears E, raises EIR.RXF: the driver owns it.
//       The driver reads addr only after seeing E clear (rrmb). If the next BD is not owned by the
//       device, Rx DMA stops (RDAR clears) and the frame waits here (the real device drops it; the
//       models keep it so that eventual delivery is checkable, docs/adr/008-models.md).
//   Tx: the driver writes addr, then stat = R | TC | L [| W]: the device transmits BDs with R set
//       in ring order, clears R, raises EIR.TXF, and stops at the first BD without R.
//   The device advances to slot 0 after a BD with W set (the driver sets W on the last slot), so
//   its next index is `(idx + 1) % capacity`.
// Interrupts: the line is asserted while `EIR & EIMR` is non-zero; sDDF unmasks RXF | TXF | EBERR
// (IRQ_MASK). Not modelled: EBERR, Tx interrupt coalescing (TXIC0: 128 frames), RDAR/TDAR
// doorbells (the device here polls), frame lengths and error bits.
import { assert } from '../common/assert.ts';
import type { DeviceMem } from '../common/memory.ts';

/** Rx BD status: E (empty, bit 15), the device owns the BD. */
export const ENET_RXD_EMPTY = 1 << 15;
/** Tx BD status: R (ready, bit 15), the device owns the BD. */
export const ENET_TXD_READY = 1 << 15;
/** BD status: W (wrap, bit 13), the last BD of the ring. */
export const ENET_BD_WRAP = 1 << 13;
/** BD status: L (last in frame, bit 11). */
export const ENET_BD_LAST = 1 << 11;
/** Tx BD status: TC (append CRC, bit 10). */
export const ENET_TXD_ADDCRC = 1 << 10;
/** EIR.RXF (bit 25): a frame was received. */
export const ENET_EIR_RXF = 1 << 25;
/** EIR.TXF (bit 27): a frame was transmitted. */
export const ENET_EIR_TXF = 1 << 27;
/** The interrupt sources sDDF unmasks (IRQ_MASK without EBERR, which is not modelled). */
export const ENET_IRQ_MASK = ENET_EIR_RXF | ENET_EIR_TXF;

/** One BD ring in device memory: slot i's address word at `addr + i`, status at `stat + i`. */
export interface EnetRing {
  readonly addr: number;
  readonly stat: number;
  readonly capacity: number;
}

/** Where one NIC lives in device memory. */
export interface EnetNic {
  readonly rx: EnetRing;
  readonly tx: EnetRing;
  /** EIR, W1C. */
  readonly eir: number;
  /** Device-private: the next Rx / Tx BD index (0 … capacity − 1). */
  readonly rxNext: number;
  readonly txNext: number;
}

function slotIn(ring: EnetRing, idx: number): void {
  assert(
    Number.isInteger(idx) && idx >= 0 && idx < ring.capacity,
    () => `BD index ${idx} outside a ring of ${ring.capacity}`,
  );
}

// ---------------------------------------------------------------- the driver's side

/** Status the driver gives a posted Rx BD: E, and W on the last slot. */
export function enetRxPostStat(ring: EnetRing, idx: number): number {
  return ENET_RXD_EMPTY | (idx === ring.capacity - 1 ? ENET_BD_WRAP : 0);
}

/** Status the driver gives a posted Tx BD: R, TC, L, and W on the last slot. */
export function enetTxPostStat(ring: EnetRing, idx: number): number {
  return (
    ENET_TXD_READY | ENET_TXD_ADDCRC | ENET_BD_LAST | (idx === ring.capacity - 1 ? ENET_BD_WRAP : 0)
  );
}

/** `update_ring_slot` for Rx: the buffer's IO address, then (wwmb) the status that hands it over. */
export function enetRxPost(dev: DeviceMem, ring: EnetRing, idx: number, io: number): void {
  slotIn(ring, idx);
  dev.write(ring.addr + idx, io);
  dev.write(ring.stat + idx, enetRxPostStat(ring, idx));
}

/** `update_ring_slot` for Tx. */
export function enetTxPost(dev: DeviceMem, ring: EnetRing, idx: number, io: number): void {
  slotIn(ring, idx);
  dev.write(ring.addr + idx, io);
  dev.write(ring.stat + idx, enetTxPostStat(ring, idx));
}

/**
 * `rx_return`'s check of one BD: null while the device still owns it (E set); else (after rrmb)
 * the IO address of the filled buffer.
 */
export function enetRxTake(dev: DeviceMem, ring: EnetRing, idx: number): number | null {
  slotIn(ring, idx);
  if ((dev.read(ring.stat + idx) & ENET_RXD_EMPTY) !== 0) return null;
  return dev.read(ring.addr + idx);
}

/** `tx_return`'s check of one BD: null while the device still owns it (R set); else its address. */
export function enetTxTake(dev: DeviceMem, ring: EnetRing, idx: number): number | null {
  slotIn(ring, idx);
  if ((dev.read(ring.stat + idx) & ENET_TXD_READY) !== 0) return null;
  return dev.read(ring.addr + idx);
}

/** EIR after a write of `written`: write-one-to-clear. */
export function enetEirAfterWrite(eir: number, written: number): number {
  return (eir & ~written) >>> 0;
}

/**
 * `handle_irq`: `e = EIR & IRQ_MASK; EIR = e`: the pending events, acknowledged. Over plain device
 * memory (the models) the W1C rule is applied here; an emulated device applies the same rule
 * (`enetEirAfterWrite`) in its register write.
 */
export function enetTakeEvents(dev: DeviceMem, nic: EnetNic): number {
  const e = dev.read(nic.eir) & ENET_IRQ_MASK;
  dev.write(nic.eir, enetEirAfterWrite(dev.read(nic.eir), e));
  return e;
}

// ---------------------------------------------------------------- the device's side

/** The Rx BD the device fills next, or null when the driver has not handed it over (Rx DMA stopped). */
export function enetRxNext(dev: DeviceMem, nic: EnetNic): { idx: number; io: number } | null {
  const idx = dev.read(nic.rxNext);
  slotIn(nic.rx, idx);
  if ((dev.read(nic.rx.stat + idx) & ENET_RXD_EMPTY) === 0) return null;
  return { idx, io: dev.read(nic.rx.addr + idx) };
}

/** The device has filled Rx BD `idx`: L set, E cleared (the driver owns it), next BD, EIR.RXF. */
export function enetRxComplete(dev: DeviceMem, nic: EnetNic, idx: number): void {
  assert(dev.read(nic.rxNext) === idx, () => `Rx completes BD ${idx}, not the next one`);
  const stat = dev.read(nic.rx.stat + idx);
  assert((stat & ENET_RXD_EMPTY) !== 0, () => `Rx BD ${idx} completed without being owned`);
  dev.write(nic.rx.stat + idx, (stat & ENET_BD_WRAP) | ENET_BD_LAST);
  dev.write(nic.rxNext, (stat & ENET_BD_WRAP) !== 0 ? 0 : (idx + 1) % nic.rx.capacity);
  dev.write(nic.eir, (dev.read(nic.eir) | ENET_EIR_RXF) >>> 0);
}

/** The Tx BD the device transmits next, or null at the first BD without R (the device stops). */
export function enetTxNext(dev: DeviceMem, nic: EnetNic): { idx: number; io: number } | null {
  const idx = dev.read(nic.txNext);
  slotIn(nic.tx, idx);
  if ((dev.read(nic.tx.stat + idx) & ENET_TXD_READY) === 0) return null;
  return { idx, io: dev.read(nic.tx.addr + idx) };
}

/** The device has transmitted Tx BD `idx`: R cleared (the driver owns it), next BD, EIR.TXF. */
export function enetTxComplete(dev: DeviceMem, nic: EnetNic, idx: number): void {
  assert(dev.read(nic.txNext) === idx, () => `Tx completes BD ${idx}, not the next one`);
  const stat = dev.read(nic.tx.stat + idx);
  assert((stat & ENET_TXD_READY) !== 0, () => `Tx BD ${idx} completed without being owned`);
  dev.write(nic.tx.stat + idx, (stat & ~ENET_TXD_READY) >>> 0);
  dev.write(nic.txNext, (stat & ENET_BD_WRAP) !== 0 ? 0 : (idx + 1) % nic.tx.capacity);
  dev.write(nic.eir, (dev.read(nic.eir) | ENET_EIR_TXF) >>> 0);
}

/** The interrupt line: asserted while an unmasked event is pending. */
export function enetIrqLine(dev: DeviceMem, nic: EnetNic): boolean {
  return (dev.read(nic.eir) & ENET_IRQ_MASK) !== 0;
}
