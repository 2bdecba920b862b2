// An i.MX8 ENET/FEC-like NIC: its legacy buffer-descriptor rings, who owns a descriptor when, when
// its DMA engines run, and when it raises an interrupt (reference sddf-protocols.md §5.2; the sDDF
// driver side is drivers/network/imx/ethernet.c at au-ts/sddf 650ace5d, §3.2). One definition for
// every user: the net models' NIC and driver (proofs/models/net-pipeline,
// spec/components/net/driver.ts) and the conformance tests of an emulated ENET-like device
// (impl/hw).
//
// Memory: device memory (`DeviceMem`: uncached, ordered by wwmb/rrmb, never through a CPU store
// buffer). Per ring slot two words: the buffer address and the status word (the BD's `len` is not
// modelled; the sDDF struct is `{u16 len; u16 stat; u32 addr}` with ECR.DBSWP). Registers: EIR
// (W1C), EIMR (mask), ECR.ETHEREN, RDAR and TDAR (the DMA doorbells). Device-private state: the
// index of the next BD it will use in each ring, and the Tx completions not yet signalled
// (interrupt coalescing).
//
// Ownership (§5.2 "model the ownership bit as the device/driver boundary"):
//   Rx: the driver writes addr, then (wwmb) stat = E [| W on the last slot], then (wwmb) RDAR: the
//       device owns the BD. The device fills the buffer, sets L, clears E, raises EIR.RXF: the
//       driver owns it. The driver reads addr only after seeing E clear (rrmb).
//   Tx: the driver writes addr, then stat = R | TC | L [| W], then TDAR: the device transmits BDs
//       with R set in ring order, clears R, and stops at the first BD without R.
//   The device advances to slot 0 after a BD with W set (the driver sets W on the last slot), so
//   its next index is `(idx + 1) % capacity`.
// DMA engines (i.MX 8M RM, ENET RDAR/TDAR): a write of RDAR/TDAR starts the engine; it runs while
//   the BD it will use next is owned by the device and stops (the register reads 0 again) when it
//   finds one that is not. Frames arriving while Rx DMA is stopped wait here (the real device
//   drops them; the models keep them so that eventual delivery is checkable,
//   docs/adr/008-models.md), but a posted BD is not used until RDAR is written again.
// Interrupts: the line is asserted while `EIR & EIMR` is non-zero. The driver masks everything at
//   setup (EIMR = 0) and unmasks RXF | TXF (| EBERR, not modelled) at its end. Tx interrupt
//   coalescing (TXIC0 = ICEN | ICFT(128) | ICTT 0xFF in sDDF): a Tx completion does not set TXF; it
//   is counted, and TXF is set when the count reaches the frame threshold or when the coalescing
//   timer expires (a device action, enabled while completions are pending). Rx is not coalesced
//   (sDDF does not program RXIC0): every Rx completion sets RXF.
// Not modelled: EBERR, frame lengths and error bits, MIB counters, the MAC/PHY setup registers.
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
/** RDAR/TDAR bit 24: writing it starts the DMA engine; it reads 1 while the engine runs. */
export const ENET_DAR_ACTIVE = 1 << 24;
/** ECR.ETHEREN (bit 1). */
export const ENET_ECR_ETHEREN = 1 << 1;
/** sDDF's TXIC0 frame threshold ICFT(128): more Tx frames than any model sends at once. */
export const ENET_SDDF_TX_COALESCE_FRAMES = 128;

/** One BD ring in device memory: slot i's address word at `addr + i`, status at `stat + i`. */
export interface EnetRing {
  readonly addr: number;
  readonly stat: number;
  readonly capacity: number;
}

/** Where one NIC lives in device memory, and how it is configured. */
export interface EnetNic {
  readonly rx: EnetRing;
  readonly tx: EnetRing;
  /** EIR, W1C. */
  readonly eir: number;
  /** EIMR: an EIR bit raises the IRQ line only where EIMR has it set. */
  readonly eimr: number;
  /** ECR (ETHEREN: the MAC is enabled). */
  readonly ecr: number;
  /** RDAR / TDAR: the Rx / Tx DMA engine runs. */
  readonly rdar: number;
  readonly tdar: number;
  /** Device-private: the next Rx / Tx BD index (0 … capacity − 1). */
  readonly rxNext: number;
  readonly txNext: number;
  /** Device-private: Tx completions not yet signalled by TXF (coalescing). */
  readonly txCoalesced: number;
  /**
   * TXIC0's frame threshold ICFT, or 0 when Tx coalescing is off (every completion sets TXF).
   * sDDF programs 128 (ENET_SDDF_TX_COALESCE_FRAMES).
   */
  readonly txCoalesceFrames: number;
}

function slotIn(ring: EnetRing, idx: number): void {
  assert(
    Number.isInteger(idx) && idx >= 0 && idx < ring.capacity,
    () => `BD index ${idx} outside a ring of ${ring.capacity}`,
  );
}

function rxOwned(dev: DeviceMem, nic: EnetNic): boolean {
  const idx = dev.read(nic.rxNext);
  slotIn(nic.rx, idx);
  return (dev.read(nic.rx.stat + idx) & ENET_RXD_EMPTY) !== 0;
}

function txOwned(dev: DeviceMem, nic: EnetNic): boolean {
  const idx = dev.read(nic.txNext);
  slotIn(nic.tx, idx);
  return (dev.read(nic.tx.stat + idx) & ENET_TXD_READY) !== 0;
}

// ---------------------------------------------------------------- register writes (the device's rules)

/** A write of RDAR: the Rx DMA engine runs if the BD it uses next is the device's, else stops. */
export function enetWriteRdar(dev: DeviceMem, nic: EnetNic): void {
  dev.write(nic.rdar, rxOwned(dev, nic) ? ENET_DAR_ACTIVE : 0);
}

/** A write of TDAR: the Tx DMA engine runs if the BD it uses next is the device's, else stops. */
export function enetWriteTdar(dev: DeviceMem, nic: EnetNic): void {
  dev.write(nic.tdar, txOwned(dev, nic) ? ENET_DAR_ACTIVE : 0);
}

/** EIR after a write of `written`: write-one-to-clear. */
export function enetEirAfterWrite(eir: number, written: number): number {
  return (eir & ~written) >>> 0;
}

// ---------------------------------------------------------------- the driver's side

/**
 * `eth_setup` as far as the rings and interrupts go: interrupts masked and cleared, the MAC
 * enabled, RDAR written (the Rx engine stops at once: no BD is posted yet), EIR cleared, then
 * RXF | TXF unmasked. Reset, MDIO, MIB, MAC address, TXIC0 and the frame registers are not
 * modelled (TXIC0 is `txCoalesceFrames` of the NIC's configuration).
 */
export function enetSetup(dev: DeviceMem, nic: EnetNic): void {
  dev.write(nic.eimr, 0);
  dev.write(nic.eir, 0);
  dev.write(nic.ecr, ENET_ECR_ETHEREN);
  enetWriteRdar(dev, nic);
  dev.write(nic.eir, enetEirAfterWrite(dev.read(nic.eir), dev.read(nic.eir)));
  dev.write(nic.eimr, ENET_IRQ_MASK);
}

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

/**
 * `update_ring_slot` for an Rx BD: the buffer's IO address, wwmb, the status that hands it over.
 * The doorbell is apart (`enetRxPost`): an emulated device's driver view has the BDs in memory and
 * RDAR behind MMIO.
 */
export function enetRxFill(dev: DeviceMem, ring: EnetRing, idx: number, io: number): void {
  slotIn(ring, idx);
  dev.write(ring.addr + idx, io);
  dev.write(ring.stat + idx, enetRxPostStat(ring, idx));
}

/** `update_ring_slot` for a Tx BD: address, wwmb, the status with R. */
export function enetTxFill(dev: DeviceMem, ring: EnetRing, idx: number, io: number): void {
  slotIn(ring, idx);
  dev.write(ring.addr + idx, io);
  dev.write(ring.stat + idx, enetTxPostStat(ring, idx));
}

/** `rx_provide`'s post of one BD: `update_ring_slot`, wwmb, `RDAR = RDAR_RDAR`. */
export function enetRxPost(dev: DeviceMem, nic: EnetNic, idx: number, io: number): void {
  enetRxFill(dev, nic.rx, idx, io);
  enetWriteRdar(dev, nic);
}

/** `tx_provide`'s post of one BD: `update_ring_slot`, wwmb, `TDAR = TDAR_TDAR`. */
export function enetTxPost(dev: DeviceMem, nic: EnetNic, idx: number, io: number): void {
  enetTxFill(dev, nic.tx, idx, io);
  enetWriteTdar(dev, nic);
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

/**
 * The Rx BD the device fills next, or null when it cannot receive: the MAC is disabled, the Rx DMA
 * engine is stopped (RDAR not written since it last found no BD), or the BD is not the device's.
 */
export function enetRxNext(dev: DeviceMem, nic: EnetNic): { idx: number; io: number } | null {
  if ((dev.read(nic.ecr) & ENET_ECR_ETHEREN) === 0) return null;
  if ((dev.read(nic.rdar) & ENET_DAR_ACTIVE) === 0) return null;
  if (!rxOwned(dev, nic)) return null;
  const idx = dev.read(nic.rxNext);
  return { idx, io: dev.read(nic.rx.addr + idx) };
}

/**
 * The device has filled Rx BD `idx`: L set, E cleared (the driver owns it), EIR.RXF; it moves to
 * the next BD and the Rx engine stops if that one is not the device's.
 */
export function enetRxComplete(dev: DeviceMem, nic: EnetNic, idx: number): void {
  assert(dev.read(nic.rxNext) === idx, () => `Rx completes BD ${idx}, not the next one`);
  const stat = dev.read(nic.rx.stat + idx);
  assert((stat & ENET_RXD_EMPTY) !== 0, () => `Rx BD ${idx} completed without being owned`);
  dev.write(nic.rx.stat + idx, (stat & ENET_BD_WRAP) | ENET_BD_LAST);
  dev.write(nic.rxNext, (stat & ENET_BD_WRAP) !== 0 ? 0 : (idx + 1) % nic.rx.capacity);
  if (!rxOwned(dev, nic)) dev.write(nic.rdar, 0);
  dev.write(nic.eir, (dev.read(nic.eir) | ENET_EIR_RXF) >>> 0);
}

/** The Tx BD the device transmits next, or null when the MAC or the Tx engine is stopped. */
export function enetTxNext(dev: DeviceMem, nic: EnetNic): { idx: number; io: number } | null {
  if ((dev.read(nic.ecr) & ENET_ECR_ETHEREN) === 0) return null;
  if ((dev.read(nic.tdar) & ENET_DAR_ACTIVE) === 0) return null;
  if (!txOwned(dev, nic)) return null;
  const idx = dev.read(nic.txNext);
  return { idx, io: dev.read(nic.tx.addr + idx) };
}

/**
 * The device has transmitted Tx BD `idx`: R cleared (the driver owns it), the next BD, the Tx
 * engine stops at a BD without R; TXF is set at once, or (coalescing) once ICFT completions are
 * pending.
 */
export function enetTxComplete(dev: DeviceMem, nic: EnetNic, idx: number): void {
  assert(dev.read(nic.txNext) === idx, () => `Tx completes BD ${idx}, not the next one`);
  const stat = dev.read(nic.tx.stat + idx);
  assert((stat & ENET_TXD_READY) !== 0, () => `Tx BD ${idx} completed without being owned`);
  dev.write(nic.tx.stat + idx, (stat & ~ENET_TXD_READY) >>> 0);
  dev.write(nic.txNext, (stat & ENET_BD_WRAP) !== 0 ? 0 : (idx + 1) % nic.tx.capacity);
  if (!txOwned(dev, nic)) dev.write(nic.tdar, 0);
  if (nic.txCoalesceFrames === 0) {
    dev.write(nic.eir, (dev.read(nic.eir) | ENET_EIR_TXF) >>> 0);
    return;
  }
  const pending = dev.read(nic.txCoalesced) + 1;
  if (pending >= nic.txCoalesceFrames) enetTxCoalesceExpire(dev, nic, pending);
  else dev.write(nic.txCoalesced, pending);
}

/** Whether the Tx coalescing timer is running (completions are waiting to be signalled). */
export function enetTxCoalescePending(dev: DeviceMem, nic: EnetNic): boolean {
  return dev.read(nic.txCoalesced) > 0;
}

/** The Tx coalescing timer expires (or the threshold is reached): TXF for what was pending. */
export function enetTxCoalesceExpire(dev: DeviceMem, nic: EnetNic, pending?: number): void {
  assert(
    (pending ?? dev.read(nic.txCoalesced)) > 0,
    'the coalescing timer runs only while completions are pending',
  );
  dev.write(nic.txCoalesced, 0);
  dev.write(nic.eir, (dev.read(nic.eir) | ENET_EIR_TXF) >>> 0);
}

/** The interrupt line: asserted while an unmasked event is pending. */
export function enetIrqLine(dev: DeviceMem, nic: EnetNic): boolean {
  return (dev.read(nic.eir) & dev.read(nic.eimr) & ENET_IRQ_MASK) !== 0;
}
