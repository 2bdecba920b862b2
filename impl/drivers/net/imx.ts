// The sDDF i.MX ENET driver as a PD (reference sddf-protocols.md §3.2 D1–D5, §5.2; upstream
// drivers/network/imx/ethernet.c at au-ts/sddf 650ace5d) on the emulated ENET-like NIC
// (impl/hw/enet.ts). The handler structure is the one the model checker explores
// (spec/components/net/driver.ts): rx_provide, rx_return, tx_provide, tx_return; init = eth_setup,
// rx_provide, tx_provide; the IRQ path takes the events (EIR & mask, acknowledged), then on TXF
// tx_return and tx_provide (F4), on RXF rx_return and rx_provide, and reads EIR again until no
// event is left; then a deferred IRQ ack.
//
// One truth for descriptor ownership: every BD fill and take goes through the spec's driver-side
// functions (enetRxFill, enetTxFill, enetRxTake, enetTxTake, enetTakeEvents) over `EnetDriverView`,
// a DeviceMem that lays the spec's words onto the legacy BDs {u16 len; u16 stat; u32 addr}
// (little-endian: the driver sets ECR.DBSWP) in the hw ring region and onto the EIR/EIMR/ECR/
// RDAR/TDAR registers. What the spec leaves out is here: BD lengths (written before the spec's
// fill, so before stat as update_ring_slot orders them), the doorbell writes (RDAR/TDAR behind
// MMIO, after the fill: the spec's enetRxPost splits them apart for exactly this), and the
// register set-up of eth_setup (reset, MIB, TXIC0 coalescing, RDSR/TDSR, MRBR, RCR, TCR).
//
// Where we differ from upstream, on purpose:
//  - The HW ring indices (`hw_ring_t` tail/head, free-running u32 as upstream since 75e2eef9) live
//    in the hw ring region after the BDs, not in .bss, so a restarted driver reclaims the buffers
//    the device held (as the virtio driver does) and the run's monitors count them
//    (`enetInflightBuffers`, over the spec's enetPostedBuffers).
//  - EBERR (unmasked as upstream) is acknowledged and counted; upstream only prints it. The DMA
//    stays halted until ECR.RESET, which this driver does on a restart only.
// Seeded bugs: `rxRecheck: false` / `txRecheck: false` drop the re-check after request_signal
// (the model's `no-rx-recheck` / `no-tx-recheck`).

import { assert, InvariantError } from '../../../spec/common/assert.ts';
import type { DeviceMem } from '../../../spec/common/memory.ts';
import { U32 } from '../../../spec/queue/arith.ts';
import { ringEmptyOf, ringFullOf, ringSlotOf } from '../../../spec/queue/ring.ts';
import {
  ENET_EIR_RXF,
  ENET_EIR_TXF,
  ENET_IRQ_MASK,
  enetRxFill,
  enetRxTake,
  enetTakeEvents,
  enetTxFill,
  enetTxTake,
  type EnetNic,
  type EnetRing,
} from '../../../spec/devices/enet.ts';
import { enetPostedBuffers } from '../../../spec/components/net/driver.ts';
import { NET_BUFFER_SIZE_BYTES } from '../../../spec/queue/net.ts';
import {
  BD_SIZE_BYTES,
  DESCRIPTOR_ACTIVE,
  Ecr,
  EnetIrq,
  EnetReg,
  Mibc,
  Rcr,
} from '../../hw/enet.ts';
import { newNetDescParts, type NetQueueHandle } from '../../queue/net.ts';
import type { Component, ComponentContext, MicrokitApi } from '../../runtime/api.ts';
import { Counters } from '../../components/net/counters.ts';
import { openConnection, type NetDriverConfig } from '../../components/net/config.ts';

/** `RX_COUNT` / `TX_COUNT` upstream: HW ring capacities (powers of two). */
export const ENET_RX_COUNT = 256;
export const ENET_TX_COUNT = 256;
/** `MAX_PACKET_SIZE` upstream: MRBR. */
export const ENET_MAX_PACKET_SIZE = 1536;
/** Where the rings and the driver's metadata sit in the hw ring region (bytes). */
export const ENET_RX_RING_OFF = 0x0000;
export const ENET_TX_RING_OFF = 0x4000;
export const ENET_META_OFF = 0xf000;
/** "SDNE": the metadata block is present (a restarted driver finds it). */
export const ENET_META_MAGIC = 0x45_4e_44_53;
/** Metadata u32 words from ENET_META_OFF. */
export const EnetMeta = {
  magic: 0,
  rxCapacity: 1,
  txCapacity: 2,
  rxTail: 3,
  rxHead: 4,
  txTail: 5,
  txHead: 6,
} as const;
const META_WORDS = 7;
/** Bound on `while (e & IRQ_MASK)` rounds in one IRQ (upstream loops until EIR is quiet). */
const MAX_IRQ_ROUNDS = 1024;
/** eth_setup's polls of ECR.RESET and MIBC.IDLE: a device that never settles is a system error. */
const MAX_POLLS = 1000;

// Register values of eth_setup (drivers/network/imx/ethernet.h at 650ace5d).
const MSCR_MII_SPEED = 24 << 1;
const PAUSE_OPCODE_FIELD = 1 << 16;
const TXIC0_SDDF = (1 << 31) | (128 << 20) | 0xff; // ICEN | ICFT(128) | ICTT 0xFF
const TIPG = 8;
const TFWR_STRFWD = 1 << 8;
const RACC_SDDF = 0x46; // RACC_LINEDIS | RACC_IPDIS | RACC_PRODIS
const TACC_SDDF = 0x18; // TACC_PROCHK | TACC_IPCHK
const RCR_SDDF = (1518 << 16) | (1 << 6) | (1 << 2) | Rcr.PROM; // MAX_FL | RGMII_EN | MII_MODE | PROM
const TCR_FDEN = 1 << 2;

export interface EnetDriverOptions {
  /** Re-check the free queue after request_signal in rx_provide (default; false: seeded bug). */
  readonly rxRecheck?: boolean;
  /** Re-check the active queue after request_signal in tx_provide (default; false: seeded bug). */
  readonly txRecheck?: boolean;
  /** Capacities of the HW rings (default 256 each, upstream); powers of two. */
  readonly rxCount?: number;
  readonly txCount?: number;
}

export const ENET_DRIVER_COUNTERS = [
  'rxPosted',
  'rxReturned',
  'txPosted',
  'txReturned',
  'irqs',
  'irqRounds',
  'busErrors',
  'badTxLength',
  'recoveredRx',
  'recoveredTx',
  'unexpectedChannel',
] as const;
export type EnetDriverCounter = (typeof ENET_DRIVER_COUNTERS)[number];

/** The spec's word addresses in the driver's view: registers, then ring words by region. */
const REGION = 1 << 16;
const W_EIR = 0;
const W_RX_NEXT = 1;
const W_TX_NEXT = 2;
const W_EIMR = 3;
const W_ECR = 4;
const W_RDAR = 5;
const W_TDAR = 6;
const W_TX_COALESCED = 7;

/** The spec's NIC as the driver sees it (device-private words are never read through this view). */
export function enetDriverNic(rxCount: number, txCount: number): EnetNic {
  return {
    rx: { addr: 1 * REGION, stat: 2 * REGION, capacity: rxCount },
    tx: { addr: 3 * REGION, stat: 4 * REGION, capacity: txCount },
    eir: W_EIR,
    eimr: W_EIMR,
    ecr: W_ECR,
    rdar: W_RDAR,
    tdar: W_TDAR,
    rxNext: W_RX_NEXT,
    txNext: W_TX_NEXT,
    txCoalesced: W_TX_COALESCED,
    txCoalesceFrames: 128,
  };
}

/**
 * The spec's device words over the driver's mappings: ring words → the BD fields in the hw ring
 * region (DBSWP: little-endian `{u16 len; u16 stat; u32 addr}`), registers → 32-bit MMIO. EIR is
 * write-one-to-clear on the device while the spec writes the value EIR is to have (it applies W1C
 * itself over plain memory, `enetTakeEvents`): a spec write of EIR writes the bits it cleared from
 * the value this view last read, which for enetTakeEvents is exactly the events it took.
 */
export class EnetDriverView implements DeviceMem {
  private lastEir = 0;
  constructor(
    private readonly ring: DataView,
    private readonly reg: (off: number) => number,
    private readonly setReg: (off: number, v: number) => void,
  ) {}

  /** Byte offset in the hw ring region of a ring word, and whether it is the addr field. */
  private bd(addr: number): { at: number; isAddr: boolean } {
    const region = Math.floor(addr / REGION);
    const idx = addr % REGION;
    assert(region >= 1 && region <= 4, () => `the driver's view has no spec word ${addr}`);
    const base = (region <= 2 ? ENET_RX_RING_OFF : ENET_TX_RING_OFF) + BD_SIZE_BYTES * idx;
    const isAddr = region % 2 === 1;
    return { at: isAddr ? base + 4 : base + 2, isAddr };
  }

  read(addr: number): number {
    switch (addr) {
      case W_EIR:
        this.lastEir = this.reg(EnetReg.EIR);
        return this.lastEir;
      case W_EIMR:
        return this.reg(EnetReg.EIMR);
      case W_ECR:
        return this.reg(EnetReg.ECR);
      case W_RDAR:
        return this.reg(EnetReg.RDAR);
      case W_TDAR:
        return this.reg(EnetReg.TDAR);
      case W_RX_NEXT:
      case W_TX_NEXT:
      case W_TX_COALESCED:
        throw new InvariantError(`device-private spec word ${addr} is not the driver's to read`);
      default: {
        const { at, isAddr } = this.bd(addr);
        return isAddr ? this.ring.getUint32(at, true) : this.ring.getUint16(at, true);
      }
    }
  }

  write(addr: number, value: number): void {
    switch (addr) {
      case W_EIR:
        this.setReg(EnetReg.EIR, (this.lastEir & ~value) >>> 0);
        return;
      case W_EIMR:
        this.setReg(EnetReg.EIMR, value);
        return;
      case W_ECR:
      case W_RDAR:
      case W_TDAR:
      case W_RX_NEXT:
      case W_TX_NEXT:
      case W_TX_COALESCED:
        // ECR is set up whole by eth_setup; the doorbells are MMIO writes of the driver itself.
        throw new InvariantError(`the driver does not write spec word ${addr} through its view`);
      default: {
        const { at, isAddr } = this.bd(addr);
        if (isAddr) this.ring.setUint32(at, value, true);
        else this.ring.setUint16(at, value, true);
      }
    }
  }

  /** The BD's `len` (not a spec word): written before the spec's fill, so before stat. */
  setLen(ring: 'rx' | 'tx', idx: number, len: number): void {
    const base = (ring === 'rx' ? ENET_RX_RING_OFF : ENET_TX_RING_OFF) + BD_SIZE_BYTES * idx;
    this.ring.setUint16(base, len, true);
  }

  len(ring: 'rx' | 'tx', idx: number): number {
    const base = (ring === 'rx' ? ENET_RX_RING_OFF : ENET_TX_RING_OFF) + BD_SIZE_BYTES * idx;
    return this.ring.getUint16(base, true);
  }
}

/** `hw_ring_t`: free-running u32 indices, kept in the hw ring region's metadata words. */
class HwRing {
  constructor(
    readonly ring: EnetRing,
    private readonly meta: Uint32Array,
    private readonly tailWord: number,
    private readonly headWord: number,
  ) {}
  get tail(): number {
    return this.meta[this.tailWord]!;
  }
  set tail(v: number) {
    this.meta[this.tailWord] = v >>> 0;
  }
  get head(): number {
    return this.meta[this.headWord]!;
  }
  set head(v: number) {
    this.meta[this.headWord] = v >>> 0;
  }
  /** `tail - head == capacity` on uint32_t (75e2eef9). */
  full(): boolean {
    return ringFullOf(U32, {
      tail: this.tail,
      head: this.head,
      capacity: this.ring.capacity,
      reservedSlots: 0,
    });
  }
  empty(): boolean {
    return ringEmptyOf(U32, this.tail, this.head);
  }
  slot(index: number): number {
    return ringSlotOf(U32, index, this.ring.capacity);
  }
}

/**
 * The buffers a driver's HW rings hold (posted and not taken back), read from a hw ring region
 * laid out by this driver; null when no driver has set it up. The spec's enetPostedBuffers walks
 * the BDs from head to tail.
 */
export function enetInflightBuffers(region: ArrayBuffer | SharedArrayBuffer): {
  rx: bigint[];
  tx: bigint[];
} | null {
  if (region.byteLength < ENET_META_OFF + 4 * META_WORDS) return null;
  const meta = new Uint32Array(region, ENET_META_OFF, META_WORDS);
  if (meta[EnetMeta.magic] !== ENET_META_MAGIC) return null;
  const dv = new DataView(region);
  const rxCap = meta[EnetMeta.rxCapacity]!;
  const txCap = meta[EnetMeta.txCapacity]!;
  const view = new EnetDriverView(
    dv,
    () => 0,
    () => {},
  );
  const nic = enetDriverNic(rxCap, txCap);
  const read = (w: number): number => view.read(w);
  return {
    rx: enetPostedBuffers(read, nic.rx, meta[EnetMeta.rxTail]!, meta[EnetMeta.rxHead]!).map(BigInt),
    tx: enetPostedBuffers(read, nic.tx, meta[EnetMeta.txTail]!, meta[EnetMeta.txHead]!).map(BigInt),
  };
}

/** The driver's private state, by its upstream names (an abstraction function reads it). */
export interface EnetDriverState {
  live: boolean;
  rx: HwRing | null;
  tx: HwRing | null;
}

export function enetDriver(ctx: ComponentContext): Component {
  const config = ctx.params['config'] as NetDriverConfig;
  const options = (ctx.params['options'] ?? {}) as EnetDriverOptions;
  const counters = new Counters(ENET_DRIVER_COUNTERS, ctx.params['counters']);
  const d = new EnetDriver(ctx.api, config, options, counters, ctx.restarts ?? 0);
  const probe = ctx.params['probe'];
  if (typeof probe === 'function') (probe as (s: unknown) => void)(d);
  return {
    init: () => d.init(),
    notified: (ch) => d.notified(ch),
  };
}

export class EnetDriver {
  readonly state: EnetDriverState = { live: false, rx: null, tx: null };
  /** The sDDF queues to virt_rx and virt_tx (`rx_queue`, `tx_queue`). */
  readonly rxQueue: NetQueueHandle;
  readonly txQueue: NetQueueHandle;
  readonly view: EnetDriverView;
  readonly nic: EnetNic;
  private readonly meta: Uint32Array;
  private readonly bytes: Uint8Array;
  private readonly parts = newNetDescParts();
  private readonly c: Counters<EnetDriverCounter>;

  constructor(
    private readonly api: MicrokitApi,
    private readonly config: NetDriverConfig,
    private readonly options: EnetDriverOptions,
    counters: Counters<EnetDriverCounter>,
    private readonly restarts: number,
  ) {
    this.c = counters;
    this.rxQueue = openConnection(api, config.virtRx);
    this.txQueue = openConnection(api, config.virtTx);
    const rxCount = options.rxCount ?? ENET_RX_COUNT;
    const txCount = options.txCount ?? ENET_TX_COUNT;
    // init's asserts: the rings fit the region (upstream: RX_COUNT * sizeof(descriptor) <= size).
    assert(
      rxCount > 0 &&
        (rxCount & (rxCount - 1)) === 0 &&
        txCount > 0 &&
        (txCount & (txCount - 1)) === 0,
      'HW ring capacities are powers of two',
    );
    assert(
      ENET_RX_RING_OFF + BD_SIZE_BYTES * rxCount <= ENET_TX_RING_OFF &&
        ENET_TX_RING_OFF + BD_SIZE_BYTES * txCount <= ENET_META_OFF &&
        ENET_META_OFF + 4 * META_WORDS <= config.hwRing.sizeBytes,
      () => `rings of ${rxCount}/${txCount} BDs fit the hw ring region`,
    );
    assert(config.hwRing.ioAddr < 1n << 32n, 'RDSR/TDSR take 32-bit I/O addresses');
    const w = api.mem.sharedWindow(config.hwRing.vaddr, config.hwRing.sizeBytes, 8);
    this.bytes = new Uint8Array(w.buffer, w.byteOffset, w.lengthBytes);
    this.meta = new Uint32Array(w.buffer, w.byteOffset + ENET_META_OFF, META_WORDS);
    this.view = new EnetDriverView(
      new DataView(w.buffer, w.byteOffset, w.lengthBytes),
      (off) => this.reg(off),
      (off, v) => this.setReg(off, v),
    );
    this.nic = enetDriverNic(rxCount, txCount);
  }

  // ---- entry points -------------------------------------------------------------------------

  init(): void {
    const reclaimed = this.restarts > 0 ? this.reclaim() : { rx: [], tx: [] };
    this.ethSetup();
    this.repostRx(reclaimed.rx);
    this.returnTx(reclaimed.tx);
    this.rxProvide();
    this.txProvide();
  }

  notified(ch: number): void {
    const cfg = this.config;
    if (ch === cfg.irqId) {
      this.c.inc('irqs');
      this.handleIrq();
      // Upstream: delay the kernel call that acks the IRQ to the next event-loop iteration.
      this.api.deferredIrqAck(ch);
    } else if (ch === cfg.virtRx.id) {
      this.rxProvide();
    } else if (ch === cfg.virtTx.id) {
      this.txProvide();
    } else {
      this.c.inc('unexpectedChannel');
    }
  }

  // ---- set-up (eth_setup) -----------------------------------------------------------------

  private reg(off: number): number {
    return this.api.mem.read32(this.config.regs.vaddr + off);
  }
  private setReg(off: number, v: number): void {
    this.api.mem.write32(this.config.regs.vaddr + off, v >>> 0);
  }

  /** eth_setup in upstream's order; the rings and interrupts as the spec's enetSetup has them. */
  private ethSetup(): void {
    const l = this.reg(EnetReg.PALR);
    const h = this.reg(EnetReg.PAUR);
    this.setReg(EnetReg.ECR, Ecr.RESET);
    let polls = 0;
    while ((this.reg(EnetReg.ECR) & Ecr.RESET) !== 0)
      assert(++polls < MAX_POLLS, 'ECR.RESET self-clears');
    this.setReg(EnetReg.ECR, this.reg(EnetReg.ECR) | Ecr.DBSWP);
    // Clear and mask interrupts.
    this.setReg(EnetReg.EIMR, 0);
    this.setReg(EnetReg.EIR, 0xffff_ffff);
    this.setReg(EnetReg.MSCR, MSCR_MII_SPEED);
    // MIB counters: disable, clear, restart (each waits for IDLE).
    this.setReg(EnetReg.MIBC, this.reg(EnetReg.MIBC) | Mibc.DIS);
    this.waitMibIdle();
    this.setReg(EnetReg.MIBC, this.reg(EnetReg.MIBC) | Mibc.CLEAR);
    this.waitMibIdle();
    this.setReg(EnetReg.MIBC, this.reg(EnetReg.MIBC) & ~Mibc.CLEAR);
    this.setReg(EnetReg.MIBC, this.reg(EnetReg.MIBC) & ~Mibc.DIS);
    for (const r of [EnetReg.IAUR, EnetReg.IALR, EnetReg.GAUR, EnetReg.GALR]) this.setReg(r, 0);
    if (this.reg(EnetReg.PALR) === 0) {
      this.setReg(EnetReg.PALR, l);
      this.setReg(EnetReg.PAUR, h);
    }
    this.setReg(EnetReg.OPD, PAUSE_OPCODE_FIELD);
    this.setReg(EnetReg.TXIC0, TXIC0_SDDF);
    this.setReg(EnetReg.TIPG, TIPG);
    this.setReg(EnetReg.TFWR, TFWR_STRFWD);
    this.setReg(EnetReg.RSFL, 0);
    this.setReg(EnetReg.RACC, RACC_SDDF);
    this.setReg(EnetReg.TACC, TACC_SDDF);
    // The rings: fresh BDs (stat 0: the driver's), indices from 0 (ECR.RESET reset the device's).
    const io = Number(this.config.hwRing.ioAddr);
    const rxCap = this.nic.rx.capacity;
    const txCap = this.nic.tx.capacity;
    this.bytes.fill(0, ENET_RX_RING_OFF, ENET_RX_RING_OFF + BD_SIZE_BYTES * rxCap);
    this.bytes.fill(0, ENET_TX_RING_OFF, ENET_TX_RING_OFF + BD_SIZE_BYTES * txCap);
    this.meta.fill(0);
    this.meta[EnetMeta.rxCapacity] = rxCap;
    this.meta[EnetMeta.txCapacity] = txCap;
    this.meta[EnetMeta.magic] = ENET_META_MAGIC;
    this.state.rx = new HwRing(this.nic.rx, this.meta, EnetMeta.rxTail, EnetMeta.rxHead);
    this.state.tx = new HwRing(this.nic.tx, this.meta, EnetMeta.txTail, EnetMeta.txHead);
    this.setReg(EnetReg.RDSR, io + ENET_RX_RING_OFF);
    this.setReg(EnetReg.TDSR, io + ENET_TX_RING_OFF);
    this.setReg(EnetReg.MRBR, ENET_MAX_PACKET_SIZE);
    this.setReg(EnetReg.RCR, RCR_SDDF);
    this.setReg(EnetReg.TCR, TCR_FDEN);
    this.setReg(EnetReg.ECR, this.reg(EnetReg.ECR) | Ecr.SPEED);
    this.setReg(EnetReg.ECR, this.reg(EnetReg.ECR) | Ecr.ETHEREN);
    this.setReg(EnetReg.RDAR, DESCRIPTOR_ACTIVE);
    // Enable events: clear what is pending, unmask RXF | TXF (the spec's mask) and EBERR.
    this.setReg(EnetReg.EIR, this.reg(EnetReg.EIR));
    this.setReg(EnetReg.EIMR, ENET_IRQ_MASK | EnetIrq.EBERR);
    this.state.live = true;
  }

  private waitMibIdle(): void {
    let polls = 0;
    while ((this.reg(EnetReg.MIBC) & Mibc.IDLE) === 0)
      assert(++polls < MAX_POLLS, 'the MIB block goes idle');
  }

  // ---- restart --------------------------------------------------------------------------

  /** A previous instance's rings: what it had posted and not taken back. */
  private reclaim(): { rx: number[]; tx: number[] } {
    const found = this.inflight();
    if (found === null) return { rx: [], tx: [] };
    this.c.inc('recoveredRx', found.rx.length);
    this.c.inc('recoveredTx', found.tx.length);
    return found;
  }

  private inflight(): { rx: number[]; tx: number[] } | null {
    if (this.meta[EnetMeta.magic] !== ENET_META_MAGIC) return null;
    const read = (w: number): number => this.view.read(w);
    const nic = enetDriverNic(this.meta[EnetMeta.rxCapacity]!, this.meta[EnetMeta.txCapacity]!);
    if (nic.rx.capacity !== this.nic.rx.capacity || nic.tx.capacity !== this.nic.tx.capacity)
      return null;
    return {
      rx: enetPostedBuffers(read, nic.rx, this.meta[EnetMeta.rxTail]!, this.meta[EnetMeta.rxHead]!),
      tx: enetPostedBuffers(read, nic.tx, this.meta[EnetMeta.txTail]!, this.meta[EnetMeta.txHead]!),
    };
  }

  /** Reclaimed Rx buffers go back into the (reset) ring first: the ring holds them all. */
  private repostRx(bufs: readonly number[]): void {
    const rx = this.state.rx!;
    for (const io of bufs) {
      assert(!rx.full(), 'a reset ring holds what the previous instance had posted');
      this.postRx(rx, io);
    }
  }

  /** Reclaimed Tx buffers go back to virt_tx (their frames may or may not have gone out). */
  private returnTx(bufs: readonly number[]): void {
    if (bufs.length === 0) return;
    for (const io of bufs) {
      const ok = this.txQueue.free.enqueueParts(io, 0, 0, 0);
      assert(ok, 'the Tx free queue holds every Tx buffer (capacity discipline, reference §2.1)');
    }
    if (this.txQueue.free.requireSignal()) {
      this.txQueue.free.cancelSignal();
      this.api.notify(this.config.virtTx.id);
    }
  }

  // ---- the IRQ path (D5) ------------------------------------------------------------------

  /** handle_irq: `e = EIR & IRQ_MASK; EIR = e; while (e) { … ; e = EIR & IRQ_MASK; EIR = e }`. */
  private handleIrq(): void {
    for (let round = 0; round < MAX_IRQ_ROUNDS; round++) {
      const e = enetTakeEvents(this.view, this.nic);
      const eberr = this.reg(EnetReg.EIR) & EnetIrq.EBERR;
      if (eberr !== 0) {
        this.setReg(EnetReg.EIR, eberr);
        this.c.inc('busErrors');
      }
      if (e === 0) return;
      this.c.inc('irqRounds');
      if ((e & ENET_EIR_TXF) !== 0) {
        this.txReturn();
        this.txProvide();
      }
      if ((e & ENET_EIR_RXF) !== 0) {
        this.rxReturn();
        this.rxProvide();
      }
    }
  }

  // ---- the four handlers ------------------------------------------------------------------

  private postRx(rx: HwRing, io: number): void {
    const idx = rx.slot(rx.tail);
    // update_ring_slot(&rx, idx, io, 0, stat): len, then the spec's addr, wwmb, stat.
    this.view.setLen('rx', idx, 0);
    enetRxFill(this.view, rx.ring, idx, io);
    // wwmb; eth->rdar = RDAR_RDAR (the spec's enetRxPost, with the doorbell behind MMIO).
    this.setReg(EnetReg.RDAR, DESCRIPTOR_ACTIVE);
    rx.tail = U32.add(rx.tail, 1);
    this.c.inc('rxPosted');
  }

  /** D1: free buffers from virt_rx into the Rx ring. */
  private rxProvide(): void {
    const rx = this.state.rx;
    if (!this.state.live || rx === null) return;
    const free = this.rxQueue.free;
    const b = this.parts;
    for (;;) {
      while (!rx.full() && free.dequeueInto(b)) {
        assert(b.ioHigh === 0, 'Rx DMA buffers have 32-bit I/O addresses');
        this.postRx(rx, b.ioLow);
      }
      // Only request a notification from virt_rx if the HW ring is not full.
      if (!rx.full()) free.requestSignal();
      else free.cancelSignal();
      if (this.options.rxRecheck === false) return;
      if (free.empty() || rx.full()) return;
      free.cancelSignal();
    }
  }

  /** D2: filled Rx BDs up to virt_rx. */
  private rxReturn(): void {
    const rx = this.state.rx;
    if (!this.state.live || rx === null) return;
    const active = this.rxQueue.active;
    let transferred = false;
    while (!rx.empty()) {
      const idx = rx.slot(rx.head);
      const io = enetRxTake(this.view, rx.ring, idx);
      if (io === null) break; // the device still owns it (E)
      // rrmb, then `{ d->addr, d->len }` (the length as the device wrote it, FCS included).
      const len = this.view.len('rx', idx);
      const ok = active.enqueueParts(io, 0, len, 0);
      assert(ok, 'the Rx active queue holds every Rx DMA buffer (capacity discipline, §2.1)');
      rx.head = U32.add(rx.head, 1);
      this.c.inc('rxReturned');
      transferred = true;
    }
    if (transferred && active.requireSignal()) {
      active.cancelSignal();
      this.api.notify(this.config.virtRx.id);
    }
  }

  /** D3: virt_tx's buffers into the Tx ring. */
  private txProvide(): void {
    const tx = this.state.tx;
    if (!this.state.live || tx === null) return;
    const active = this.txQueue.active;
    const b = this.parts;
    for (;;) {
      while (!tx.full() && active.dequeueInto(b)) {
        if (b.len === 0 || b.len > NET_BUFFER_SIZE_BYTES || b.ioHigh !== 0) {
          // virt_tx validated it; a bad descriptor here is virt_tx's bug. Return it unsent.
          this.c.inc('badTxLength');
          const ok = this.txQueue.free.enqueueParts(b.ioLow, b.ioHigh, 0, 0);
          assert(ok, 'the Tx free queue holds every Tx buffer');
          continue;
        }
        const idx = tx.slot(tx.tail);
        this.view.setLen('tx', idx, b.len);
        enetTxFill(this.view, tx.ring, idx, b.ioLow);
        this.setReg(EnetReg.TDAR, DESCRIPTOR_ACTIVE);
        tx.tail = U32.add(tx.tail, 1);
        this.c.inc('txPosted');
      }
      active.requestSignal();
      if (this.options.txRecheck === false) return;
      if (tx.full() || active.empty()) return;
      active.cancelSignal();
    }
  }

  /** D4: transmitted Tx BDs back to virt_tx. */
  private txReturn(): void {
    const tx = this.state.tx;
    if (!this.state.live || tx === null) return;
    const free = this.txQueue.free;
    let enqueued = false;
    while (!tx.empty()) {
      const io = enetTxTake(this.view, tx.ring, tx.slot(tx.head));
      if (io === null) break; // not sent yet (R)
      const ok = free.enqueueParts(io, 0, 0, 0);
      assert(ok, 'the Tx free queue holds every Tx buffer (capacity discipline, reference §2.1)');
      tx.head = U32.add(tx.head, 1);
      this.c.inc('txReturned');
      enqueued = true;
    }
    if (enqueued && free.requireSignal()) {
      free.cancelSignal();
      this.api.notify(this.config.virtTx.id);
    }
  }
}
