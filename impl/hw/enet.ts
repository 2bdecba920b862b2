// An i.MX8 ENET/FEC-like NIC (issue #14 part 6; reference sddf-protocols.md §5.2 and §3.2; the
// register map of i.MX 8M Mini RM §11.5.5 as sDDF's drivers/network/imx/ethernet.h uses it; QEMU
// hw/net/imx_fec.c for what the spec leaves open). The ring behaviour is the one specification,
// spec/devices/enet.ts: the device calls its device-side functions (enetRxNext, enetRxComplete,
// enetTxNext, enetTxComplete) and its W1C rule (enetEirAfterWrite) over `BdMemory`, which lays the
// spec's words onto the real legacy buffer descriptors {u16 len; u16 stat; u32 addr} in DMA memory
// (little-endian with ECR.DBSWP, as sDDF sets it; big-endian without) and onto the registers.
//
// Beyond the spec (which leaves them out): frame data and lengths (with the 4-byte FCS unless
// RCR.CRCFWD), TDAR/RDAR doorbells (Tx runs while TDAR is set and clears it at the first BD without
// R; Rx stops and RDAR clears at the first BD without E, and frames arriving then are dropped, as
// on the real device), EIMR masking of the line, EBERR on a refused DMA (the DMA halts until
// ECR.RESET), promiscuous/address filtering, multi-BD Tx frames (L on the last), and Tx/Rx
// interrupt coalescing (TXIC0/RXIC0: ICEN, frame threshold ICFT; the timer ICTT is abstracted: it
// expires at the end of a burst in synchronous timing, or when the scheduler says in agent
// timing).

import { assert, unreachable } from '../../spec/common/assert.ts';
import type { DeviceMem } from '../../spec/common/memory.ts';
import {
  ENET_BD_LAST,
  ENET_DAR_ACTIVE,
  ENET_EIR_RXF,
  ENET_EIR_TXF,
  enetEirAfterWrite,
  enetRxComplete,
  enetRxNext,
  enetTxComplete,
  enetTxNext,
  type EnetNic,
} from '../../spec/devices/enet.ts';
import type { DmaFault, DmaPort } from '../mem/types.ts';
import type { AgentAction, DeviceAgent } from './agent.ts';
import { ErrorLog, type DeviceError } from './errors.ts';
import {
  IrqLine,
  isDmaFault,
  observedDmaPort,
  type HwObserver,
  type StallableDevice,
} from './events.ts';
import {
  RegisterBlock,
  RegisterMap,
  type AccessWidth,
  type Misuse,
  type MisuseRule,
  type RegisterSpec,
} from './registers.ts';
import type { FrameEndpoint, NicPort } from './wire.ts';

/** Register offsets (i.MX 8M Mini RM §11.5.5; sDDF ethernet.h `struct enet_regs`). */
export const EnetReg = {
  EIR: 0x004,
  EIMR: 0x008,
  RDAR: 0x010,
  TDAR: 0x014,
  ECR: 0x024,
  MMFR: 0x040,
  MSCR: 0x044,
  MIBC: 0x064,
  RCR: 0x084,
  TCR: 0x0c4,
  PALR: 0x0e4,
  PAUR: 0x0e8,
  OPD: 0x0ec,
  TXIC0: 0x0f0,
  TXIC1: 0x0f4,
  TXIC2: 0x0f8,
  RXIC0: 0x100,
  RXIC1: 0x104,
  RXIC2: 0x108,
  IAUR: 0x118,
  IALR: 0x11c,
  GAUR: 0x120,
  GALR: 0x124,
  TFWR: 0x144,
  RDSR: 0x180,
  TDSR: 0x184,
  MRBR: 0x188,
  RSFL: 0x190,
  RSEM: 0x194,
  RAEM: 0x198,
  RAFL: 0x19c,
  TSEM: 0x1a0,
  TAEM: 0x1a4,
  TAFL: 0x1a8,
  TIPG: 0x1ac,
  FTRL: 0x1b0,
  TACC: 0x1c0,
  RACC: 0x1c4,
} as const;

/** EIR/EIMR bits beyond the spec's RXF and TXF. */
export const EnetIrq = { EBERR: 1 << 22, MII: 1 << 23 } as const;
export const Ecr = { RESET: 1 << 0, ETHEREN: 1 << 1, SPEED: 1 << 5, DBSWP: 1 << 8 } as const;
/** RDAR/TDAR: descriptor active (bit 24). */
export const DESCRIPTOR_ACTIVE = 1 << 24;
export const Rcr = { PROM: 1 << 3, CRCFWD: 1 << 14 } as const;
export const Mibc = { DIS: 1 << 31, IDLE: 1 << 30, CLEAR: 1 << 29 } as const;
/** TXIC0/RXIC0: ICEN (bit 31), ICFT (bits 27:20), ICTT (bits 15:0). */
export const Coalescing = { ICEN: 1 << 31, ICFT_SHIFT: 20, ICFT_MASK: 0xff } as const;
/** PAUR bits 15:0 read the MAC control frame type, 0x8808. */
const PAUR_TYPE = 0x8808;
/** ECR's value after reset: its reserved high bits read as set (RM ENET_ECR reset value). */
const ECR_RESET_VALUE = 0x7000_0000;
export const BD_SIZE_BYTES = 8;
/**
 * The hardware has no ring-size register: it wraps at the BD with W. The spec's ring capacity is
 * this bound, so a driver that never sets W walks at most this many BDs.
 */
export const MAX_RING_BDS = 1 << 16;
/** Agent timing: frames waiting on the wire beyond this are dropped. */
export const MAX_ENET_BACKLOG = 256;
const FCS_BYTES = 4;
const SIZE_BYTES = 0x1000;

const RM = 'i.MX 8M Mini RM §11.5';
export const EnetRule = {
  registers: `${RM} (QEMU hw/net/imx_fec.c: .valid 4..4)`,
  ringStart: `${RM}.5 RDSR/TDSR: descriptor rings start 64-bit aligned`,
  bufferSize: `${RM}.5 MRBR: R_BUF_SIZE is a multiple of 16`,
  ownership: 'sddf-protocols.md §5.2: only the owner writes a BD; addr and len before stat',
} as const;

export interface EnetStats {
  txFrames: number;
  rxFrames: number;
  /** Frame arrived while RDAR was clear (no empty BD when last looked): dropped, as real. */
  rxDroppedNoDescriptor: number;
  /** Frame arrived while the controller was disabled, halted or stalled. */
  rxDroppedNotReady: number;
  /** Not our MAC, not broadcast or multicast, and not promiscuous. */
  rxDroppedFiltered: number;
  /** Longer than MRBR (frames spread over several Rx BDs are not modelled). */
  rxDroppedTooLong: number;
}

export interface EnetOptions {
  readonly name: string;
  readonly dma: DmaPort;
  /** MAC address loaded into PALR/PAUR at power-on (as a bootloader leaves it). */
  readonly mac: Uint8Array;
  readonly timing?: 'synchronous' | 'agent';
  readonly strict?: boolean;
  readonly observer?: HwObserver;
  readonly onIrqLevel?: (asserted: boolean) => void;
}

/** A DMA the IOMMU refused while walking the rings: the uDMA stops (EBERR). */
class BusFault {
  constructor(readonly fault: DmaFault) {}
}

/** Spec word addresses: the three device registers, then ring words by region. */
const W_EIR = 0;
const W_RX_NEXT = 1;
const W_TX_NEXT = 2;
const W_EIMR = 3;
const W_ECR = 4;
const W_RDAR = 5;
const W_TDAR = 6;
/** The spec's Tx coalescing count: always 0 here (this device does TXIC0 itself, `#coalesce`). */
const W_TX_COALESCED = 7;
const REGION = MAX_RING_BDS;
const W_RX_ADDR = 1 * REGION;
const W_RX_STAT = 2 * REGION;
const W_TX_ADDR = 3 * REGION;
const W_TX_STAT = 4 * REGION;

/** The spec's view of this device: its rings at fixed word addresses (BdMemory lays them out). */
const NIC: EnetNic = {
  rx: { addr: W_RX_ADDR, stat: W_RX_STAT, capacity: MAX_RING_BDS },
  tx: { addr: W_TX_ADDR, stat: W_TX_STAT, capacity: MAX_RING_BDS },
  eir: W_EIR,
  eimr: W_EIMR,
  ecr: W_ECR,
  rdar: W_RDAR,
  tdar: W_TDAR,
  rxNext: W_RX_NEXT,
  txNext: W_TX_NEXT,
  txCoalesced: W_TX_COALESCED,
  // The spec sets TXF on every completion; the device's own TXIC0/RXIC0 logic (`#coalesce`, with
  // the ICTT timer the spec leaves out) then decides whether the interrupt is held back.
  txCoalesceFrames: 0,
};

export class EnetNicDevice extends RegisterBlock implements StallableDevice, DeviceAgent, NicPort {
  readonly name: string;
  readonly sizeBytes = SIZE_BYTES;
  readonly timing: 'synchronous' | 'agent';
  protected readonly registerMap = ENET_REGISTERS;
  readonly stats: EnetStats = {
    txFrames: 0,
    rxFrames: 0,
    rxDroppedNoDescriptor: 0,
    rxDroppedNotReady: 0,
    rxDroppedFiltered: 0,
    rxDroppedTooLong: 0,
  };
  readonly #dma: DmaPort;
  readonly #strict: boolean;
  readonly #errors: ErrorLog;
  readonly #irq: IrqLine;
  readonly #observer: HwObserver | undefined;
  readonly #regs = new Map<number, number>();
  readonly #mem: BdMemory;
  readonly #backlog: Uint8Array[] = [];
  #link: FrameEndpoint | null = null;
  #eir = 0;
  #rxNext = 0;
  #txNext = 0;
  #rdar = false;
  #tdar = false;
  #halted = false;
  #stalled = false;
  /** Events held back by coalescing, raised at the threshold or when the timer expires. */
  #pendingTxFrames = 0;
  #pendingRxFrames = 0;
  /** Tx BDs taken (agent timing) and not yet transmitted: what was read for them. */
  readonly #takenTx: { idx: number; io: number; len: number; stat: number }[] = [];
  /** Data of a Tx frame spread over BDs, until the BD with L. */
  readonly #txGather: Uint8Array[] = [];

  constructor(options: EnetOptions) {
    super();
    assert(options.mac.length === 6, `a MAC is 6 bytes, got ${options.mac.length}`);
    this.name = options.name;
    this.timing = options.timing ?? 'synchronous';
    this.#strict = options.strict ?? true;
    this.#observer = options.observer;
    this.#dma =
      options.observer === undefined
        ? options.dma
        : observedDmaPort({ port: options.dma, device: options.name, observer: options.observer });
    this.#errors = new ErrorLog(options.name, options.observer);
    this.#irq = new IrqLine(options.name, options.observer, options.onIrqLevel);
    this.#mem = new BdMemory(this);
    const m = options.mac;
    this.#regs.set(EnetReg.PALR, u32be(m[0], m[1], m[2], m[3]));
    this.#regs.set(EnetReg.PAUR, u32be(m[4], m[5], 0x88, 0x08));
    this.#powerOn();
  }

  // ---- state for tests and the runtime --------------------------------------------------

  get eir(): number {
    return this.#eir;
  }
  get eimr(): number {
    return this.#reg(EnetReg.EIMR);
  }
  /** Device-private indices of the next Rx / Tx BD (the spec's rxNext / txNext). */
  get rxNext(): number {
    return this.#rxNext;
  }
  get txNext(): number {
    return this.#txNext;
  }
  get rdarActive(): boolean {
    return this.#rdar;
  }
  get tdarActive(): boolean {
    return this.#tdar;
  }
  get halted(): boolean {
    return this.#halted;
  }
  get enabled(): boolean {
    return (this.#reg(EnetReg.ECR) & Ecr.ETHEREN) !== 0;
  }
  get backlogCount(): number {
    return this.#backlog.length;
  }
  get errors(): readonly DeviceError[] {
    return this.#errors.errors;
  }
  get errorCount(): number {
    return this.#errors.count;
  }
  errorCodes(): string[] {
    return this.#errors.codes();
  }
  protected get strict(): boolean {
    return this.#strict;
  }

  irqAsserted(): boolean {
    return (this.#eir & this.#reg(EnetReg.EIMR)) !== 0;
  }

  connect(link: FrameEndpoint | null): void {
    this.#link = link;
  }

  get stalled(): boolean {
    return this.#stalled;
  }
  stall(): void {
    this.#stalled = true;
  }
  release(): void {
    this.#stalled = false;
    if (this.timing === 'synchronous') this.#transmitAll();
  }

  // ---- the spec's words (BdMemory calls these) -------------------------------------------

  /** @internal BdMemory */
  specRead(addr: number): number {
    if (addr === W_EIR) return this.#eir;
    if (addr === W_RX_NEXT) return this.#rxNext;
    if (addr === W_TX_NEXT) return this.#txNext;
    if (addr === W_EIMR) return this.#reg(EnetReg.EIMR);
    if (addr === W_ECR) return this.#reg(EnetReg.ECR);
    if (addr === W_RDAR) return this.#rdar ? ENET_DAR_ACTIVE : 0;
    if (addr === W_TDAR) return this.#tdar ? ENET_DAR_ACTIVE : 0;
    if (addr === W_TX_COALESCED) return 0;
    const { field, base } = this.#bd(addr);
    return this.#readBd(base, field);
  }

  /** @internal BdMemory */
  specWrite(addr: number, value: number): void {
    if (addr === W_EIR) return this.#setEir(value);
    if (addr === W_RX_NEXT) return void (this.#rxNext = value);
    if (addr === W_TX_NEXT) return void (this.#txNext = value);
    // The spec stops an engine when it finds no BD of the device's; it never starts one (that is
    // the doorbell's register write, here in MMIO).
    if (addr === W_RDAR) return void (this.#rdar &&= value !== 0);
    if (addr === W_TDAR) return void (this.#tdar &&= value !== 0);
    assert(
      addr !== W_EIMR && addr !== W_ECR && addr !== W_TX_COALESCED,
      `spec write of word ${addr}`,
    );
    const { field, base } = this.#bd(addr);
    assert(field === 'stat', 'the device writes only the status word of a BD');
    this.#writeBd(base, 'stat', value);
  }

  /** Which BD a spec word names, and which of its fields. */
  #bd(addr: number): { field: 'addr' | 'stat'; base: bigint } {
    const region = Math.floor(addr / REGION);
    const idx = addr % REGION;
    assert(region >= 1 && region <= 4, `spec word ${addr} lies in a ring`);
    return {
      field: region % 2 === 1 ? 'addr' : 'stat',
      base: this.#bdBase(region <= 2 ? 'rx' : 'tx', idx),
    };
  }

  #bdBase(ring: 'rx' | 'tx', idx: number): bigint {
    return (
      BigInt(this.#reg(ring === 'rx' ? EnetReg.RDSR : EnetReg.TDSR)) + BigInt(BD_SIZE_BYTES * idx)
    );
  }

  /**
   * The legacy BD: with ECR.DBSWP (sDDF) little-endian {u16 len; u16 stat; u32 addr}; without,
   * big-endian with the status half-word first.
   */
  #bdField(base: bigint, field: 'len' | 'stat' | 'addr'): { at: bigint; size: 2 | 4; le: boolean } {
    const le = (this.#reg(EnetReg.ECR) & Ecr.DBSWP) !== 0;
    switch (field) {
      case 'len':
        return { at: le ? base : base + 2n, size: 2, le };
      case 'stat':
        return { at: le ? base + 2n : base, size: 2, le };
      case 'addr':
        return { at: base + 4n, size: 4, le };
      default:
        return unreachable(field);
    }
  }

  #readBd(base: bigint, field: 'len' | 'stat' | 'addr'): number {
    const { at, size, le } = this.#bdField(base, field);
    const b = this.#dma.read(at, size);
    if (isDmaFault(b)) throw new BusFault(b);
    const v = new DataView(b.buffer, b.byteOffset, size);
    return size === 2 ? v.getUint16(0, le) : v.getUint32(0, le);
  }

  #writeBd(base: bigint, field: 'len' | 'stat', value: number): void {
    const { at, le } = this.#bdField(base, field);
    const b = new Uint8Array(2);
    new DataView(b.buffer).setUint16(0, value, le);
    const f = this.#dma.write(at, b);
    if (f !== null) throw new BusFault(f);
  }

  // ---- frames ------------------------------------------------------------------------------

  /** A frame from the wire: into the next empty Rx BD, or dropped and counted. */
  receiveFrame(frame: Uint8Array): void {
    if (this.timing === 'agent') {
      if (this.#backlog.length >= MAX_ENET_BACKLOG) {
        this.stats.rxDroppedNoDescriptor++;
        return;
      }
      this.#backlog.push(frame.slice());
      return;
    }
    this.#receive(frame);
  }

  #receive(frame: Uint8Array): void {
    if (!this.enabled || this.#halted || this.#stalled) {
      this.stats.rxDroppedNotReady++;
      return;
    }
    if (!this.#rdar) {
      this.stats.rxDroppedNoDescriptor++;
      return;
    }
    if (!this.#accepts(frame)) {
      this.stats.rxDroppedFiltered++;
      return;
    }
    const withFcs = (this.#reg(EnetReg.RCR) & Rcr.CRCFWD) === 0;
    const data = withFcs ? appendFcs(frame) : frame;
    if (data.length > this.#reg(EnetReg.MRBR)) {
      this.stats.rxDroppedTooLong++;
      return;
    }
    this.#guarded(() => {
      const next = enetRxNext(this.#mem, NIC);
      if (next === null) {
        // §5.2: no empty BD: the Rx DMA stops, RDAR clears, the frame is lost.
        this.#rdar = false;
        this.stats.rxDroppedNoDescriptor++;
        return;
      }
      const f = this.#dma.write(BigInt(next.io), data);
      if (f !== null) throw new BusFault(f);
      this.#writeBd(this.#bdBase('rx', next.idx), 'len', data.length);
      const before = this.#eir;
      enetRxComplete(this.#mem, NIC, next.idx);
      this.stats.rxFrames++;
      this.#observer?.({ kind: 'frame-rx', device: this.name, lengthBytes: frame.length });
      this.#coalesce('rx', before);
      // The next BD decides whether Rx DMA keeps running.
      if (enetRxNext(this.#mem, NIC) === null) this.#rdar = false;
    });
  }

  /** RCR.PROM, or our MAC (PALR/PAUR), broadcast or multicast (group bit). */
  #accepts(frame: Uint8Array): boolean {
    if ((this.#reg(EnetReg.RCR) & Rcr.PROM) !== 0) return true;
    const first = frame[0] ?? 0;
    if ((first & 1) !== 0) return true; // broadcast and multicast
    const mac = this.mac;
    return mac.every((b, i) => frame[i] === b);
  }

  /** The MAC in PALR/PAUR. */
  get mac(): Uint8Array {
    const l = this.#reg(EnetReg.PALR);
    const h = this.#reg(EnetReg.PAUR);
    return Uint8Array.of(
      l >>> 24,
      (l >>> 16) & 0xff,
      (l >>> 8) & 0xff,
      l & 0xff,
      h >>> 24,
      (h >>> 16) & 0xff,
    );
  }

  /** Take the next Tx BD with R (agent: the scheduler; synchronous: the TDAR write). */
  #takeTx(): boolean {
    if (!this.#tdar || this.#halted || this.#stalled || !this.enabled) return false;
    assert(this.#takenTx.length === 0, 'one Tx BD is taken at a time, in ring order');
    return (
      this.#guarded(() => {
        const next = enetTxNext(this.#mem, NIC);
        if (next === null) {
          this.#tdar = false; // the first BD without R: TDAR clears (§5.2)
          return false;
        }
        const base = this.#bdBase('tx', next.idx);
        const len = this.#readBd(base, 'len');
        const stat = this.#readBd(base, 'stat');
        this.#takenTx.push({ idx: next.idx, io: next.io, len, stat });
        return true;
      }) === true
    );
  }

  /** Transmit the taken BD: its data on the wire (at the BD with L), R cleared, EIR.TXF. */
  #completeTx(): void {
    const t = this.#takenTx.shift();
    if (t === undefined) return;
    this.#guarded(() => {
      if (this.#strict && this.timing === 'agent') this.#verifyTx(t);
      const data = this.#dma.read(BigInt(t.io), t.len);
      if (isDmaFault(data)) throw new BusFault(data);
      this.#txGather.push(data);
      const before = this.#eir;
      enetTxComplete(this.#mem, NIC, t.idx);
      if ((t.stat & ENET_BD_LAST) !== 0) {
        const frame = concat(this.#txGather.splice(0));
        this.stats.txFrames++;
        this.#observer?.({ kind: 'frame-tx', device: this.name, lengthBytes: frame.length });
        this.#link?.receiveFrame(frame);
        this.#coalesce('tx', before);
      } else {
        // A BD of a longer frame: TXF comes with the frame's last BD (RM: TXF, "frame").
        this.#setEir((this.#eir & ~ENET_EIR_TXF) | (before & ENET_EIR_TXF));
      }
    });
  }

  /** §5.2: the driver may not write a BD the device owns; time passed since it was taken. */
  #verifyTx(t: { idx: number; io: number; len: number; stat: number }): void {
    const base = this.#bdBase('tx', t.idx);
    const now = {
      io: this.#readBd(base, 'addr'),
      len: this.#readBd(base, 'len'),
      stat: this.#readBd(base, 'stat'),
    };
    if (now.io !== t.io || now.len !== t.len || now.stat !== t.stat) {
      this.#driverError(
        'bd-changed-while-owned',
        EnetRule.ownership,
        `Tx BD ${t.idx}`,
        `the BD changed while the device owned it (addr 0x${t.io.toString(16)} → 0x${now.io.toString(16)}, len ${t.len} → ${now.len}, stat 0x${t.stat.toString(16)} → 0x${now.stat.toString(16)}): R was set before addr/len were written, or the driver wrote an owned BD`,
      );
    }
  }

  #transmitAll(): void {
    for (let n = 0; n < MAX_RING_BDS && this.#takeTx(); n++) this.#completeTx();
    this.#flushCoalesced();
  }

  /**
   * TXIC0/RXIC0 with ICEN: the event bit waits for ICFT frames (or the timer); without ICEN it is
   * raised per frame (the spec's behaviour).
   */
  #coalesce(dir: 'tx' | 'rx', before: number): void {
    const ic = this.#reg(dir === 'tx' ? EnetReg.TXIC0 : EnetReg.RXIC0);
    const bit = dir === 'tx' ? ENET_EIR_TXF : ENET_EIR_RXF;
    if ((ic & Coalescing.ICEN) === 0) return;
    const threshold = Math.max(1, (ic >>> Coalescing.ICFT_SHIFT) & Coalescing.ICFT_MASK);
    const pending = dir === 'tx' ? ++this.#pendingTxFrames : ++this.#pendingRxFrames;
    if (pending >= threshold) {
      // The threshold is reached: the event stands (the spec's completion set the bit).
      if (dir === 'tx') this.#pendingTxFrames = 0;
      else this.#pendingRxFrames = 0;
      return;
    }
    // Held back: the bit is as it was before this frame (an earlier, unacknowledged event stays).
    this.#setEir((this.#eir & ~bit) | (before & bit));
  }

  /** The coalescing timer expires: every held-back event is raised. */
  #flushCoalesced(): void {
    let eir = this.#eir;
    if (this.#pendingTxFrames > 0) eir |= ENET_EIR_TXF;
    if (this.#pendingRxFrames > 0) eir |= ENET_EIR_RXF;
    this.#pendingTxFrames = 0;
    this.#pendingRxFrames = 0;
    this.#setEir(eir);
  }

  /** Run ring work; a refused DMA halts the uDMA with EBERR (the spec leaves EBERR out). */
  #guarded<T>(work: () => T): T | undefined {
    try {
      return work();
    } catch (e) {
      if (!(e instanceof BusFault)) throw e;
      this.#errors.record({
        kind: 'dma',
        code: 'dma-fault',
        rule: 'issue #5: DMA only through the IOMMU',
        where: `${e.fault.write ? 'write' : 'read'} [0x${e.fault.ioAddr.toString(16)}, +${e.fault.lengthBytes})`,
        message: `DMA fault: ${e.fault.reason} (EBERR: the uDMA stops until ECR.RESET)`,
      });
      this.#halted = true;
      this.#rdar = false;
      this.#tdar = false;
      this.#takenTx.length = 0;
      this.#setEir(this.#eir | EnetIrq.EBERR);
      return undefined;
    }
  }

  #setEir(v: number): void {
    this.#eir = v >>> 0;
    this.#irq.set(this.irqAsserted());
  }

  // ---- agent timing --------------------------------------------------------------------

  agentActions(): AgentAction[] {
    const out: AgentAction[] = [];
    if (this.#stalled || !this.enabled || this.#halted) return out;
    if (this.#tdar && this.#takenTx.length === 0) out.push({ kind: 'poll', queue: 1 });
    if (this.#takenTx.length > 0) out.push({ kind: 'complete', queue: 1, max: 1 });
    if (this.#pendingTxFrames + this.#pendingRxFrames > 0) out.push({ kind: 'interrupt' });
    if (this.#backlog.length > 0) out.push({ kind: 'rx-frame' });
    return out;
  }

  agentPerform(action: AgentAction): void {
    switch (action.kind) {
      case 'poll':
        this.#takeTx();
        return;
      case 'complete':
        this.#completeTx();
        return;
      case 'interrupt':
        this.#flushCoalesced();
        return;
      case 'rx-frame': {
        const f = this.#backlog.shift();
        if (f !== undefined) this.#receive(f);
        return;
      }
      default:
        return;
    }
  }

  agentBusy(): boolean {
    return this.agentActions().length > 0;
  }

  // ---- registers ---------------------------------------------------------------------------

  #reg(offset: number): number {
    return this.#regs.get(offset) ?? 0;
  }

  #powerOn(): void {
    this.#regs.set(EnetReg.ECR, ECR_RESET_VALUE);
    this.#regs.set(EnetReg.MRBR, 0);
  }

  /** ECR.RESET: registers to reset values (PALR/PAUR and the hash tables keep theirs). */
  #reset(): void {
    const keep = [
      EnetReg.PALR,
      EnetReg.PAUR,
      EnetReg.IAUR,
      EnetReg.IALR,
      EnetReg.GAUR,
      EnetReg.GALR,
    ];
    const kept = keep.map((r) => [r, this.#reg(r)] as const);
    this.#regs.clear();
    for (const [r, v] of kept) this.#regs.set(r, v);
    this.#powerOn();
    this.#halted = false;
    this.#stopDma();
    this.#pendingTxFrames = 0;
    this.#pendingRxFrames = 0;
    this.#setEir(0);
  }

  /** ETHEREN cleared (or reset): the uDMA, BD pointers and FIFOs are reset (RM ECR.ETHEREN). */
  #stopDma(): void {
    this.#rdar = false;
    this.#tdar = false;
    this.#rxNext = 0;
    this.#txNext = 0;
    this.#takenTx.length = 0;
    this.#txGather.length = 0;
  }

  /**
   * Every register is 32-bit read/write, so a misuse is a narrow or wide access (refused on the
   * bus, QEMU .valid 4..4) or a 32-bit access to a hole (ignored, reads 0).
   */
  protected misuseRule(options: {
    misuse: Misuse;
    reg: RegisterSpec | undefined;
    widthBytes: AccessWidth;
    write: boolean;
  }): MisuseRule {
    return {
      rule: EnetRule.registers,
      fallback: options.widthBytes === 4 ? 'ignore' : 'bus-error',
    };
  }

  protected recordMisuse(options: {
    code: Misuse;
    rule: string;
    where: string;
    message: string;
  }): void {
    this.#errors.record({ kind: 'driver', ...options });
  }

  #driverError(code: string, rule: string, where: string, message: string): void {
    if (this.#strict) this.#errors.record({ kind: 'driver', code, rule, where, message });
  }

  protected readReg(offsetBytes: number, _widthBytes: 1 | 2 | 4): number {
    switch (offsetBytes) {
      case EnetReg.EIR:
        return this.#eir;
      case EnetReg.RDAR:
        return this.#rdar ? DESCRIPTOR_ACTIVE : 0;
      case EnetReg.TDAR:
        return this.#tdar ? DESCRIPTOR_ACTIVE : 0;
      case EnetReg.MIBC:
        // The MIB block is always idle here: sDDF polls IDLE after DIS and after CLEAR.
        return (this.#reg(EnetReg.MIBC) | Mibc.IDLE) >>> 0;
      case EnetReg.PAUR:
        return ((this.#reg(EnetReg.PAUR) & 0xffff_0000) | PAUR_TYPE) >>> 0;
      default:
        return this.#reg(offsetBytes);
    }
  }

  protected writeReg(offsetBytes: number, _widthBytes: 1 | 2 | 4, value: number): void {
    const v = value >>> 0;
    const where = `${ENET_REGISTERS.at(offsetBytes)?.name ?? 'reserved'} (0x${offsetBytes.toString(16).padStart(3, '0')}) 32-bit write`;
    switch (offsetBytes) {
      case EnetReg.EIR:
        // W1C: the spec's rule.
        this.#setEir(enetEirAfterWrite(this.#eir, v));
        return;
      case EnetReg.EIMR:
        this.#regs.set(offsetBytes, v);
        this.#irq.set(this.irqAsserted());
        return;
      case EnetReg.RDAR:
        this.#writeRdar();
        return;
      case EnetReg.TDAR:
        this.#writeTdar();
        return;
      case EnetReg.ECR:
        this.#writeEcr(v);
        return;
      case EnetReg.MMFR:
        // An MII management frame completes at once (no PHY modelled): EIR.MII.
        this.#regs.set(offsetBytes, v);
        this.#setEir(this.#eir | EnetIrq.MII);
        return;
      case EnetReg.MIBC:
        this.#regs.set(offsetBytes, v & (Mibc.DIS | Mibc.CLEAR));
        return;
      case EnetReg.RDSR:
      case EnetReg.TDSR:
        if ((v & 7) !== 0) {
          this.#driverError(
            'enet-ring-alignment',
            EnetRule.ringStart,
            where,
            `ring start 0x${v.toString(16)} is not 64-bit aligned (bits 2:0 are ignored)`,
          );
        }
        this.#regs.set(offsetBytes, v & ~7);
        return;
      case EnetReg.MRBR:
        if ((v & 0xf) !== 0) {
          this.#driverError(
            'enet-mrbr-alignment',
            EnetRule.bufferSize,
            where,
            `MRBR ${v} is not a multiple of 16 (bits 3:0 are ignored)`,
          );
        }
        this.#regs.set(offsetBytes, v & 0x3ff0);
        return;
      default:
        this.#regs.set(offsetBytes, v);
        return;
    }
  }

  #writeEcr(v: number): void {
    if ((v & Ecr.RESET) !== 0) {
      this.#reset(); // RESET self-clears: ECR reads its reset value again
      return;
    }
    const was = this.enabled;
    this.#regs.set(EnetReg.ECR, (v | ECR_RESET_VALUE) >>> 0);
    if (was && !this.enabled) this.#stopDma();
  }

  #writeRdar(): void {
    if (!this.enabled || this.#halted) return;
    this.#rdar = true;
    // The uDMA looks at the next BD now: if it is not empty, Rx stops again (§5.2).
    this.#guarded(() => {
      if (enetRxNext(this.#mem, NIC) === null) this.#rdar = false;
    });
  }

  #writeTdar(): void {
    if (!this.enabled || this.#halted) return;
    this.#tdar = true;
    if (this.timing === 'synchronous') this.#transmitAll();
  }
}

/** The spec's word memory laid over the device's registers and BD rings. */
class BdMemory implements DeviceMem {
  constructor(readonly dev: EnetNicDevice) {}
  read(addr: number): number {
    return this.dev.specRead(addr);
  }
  write(addr: number, value: number): void {
    this.dev.specWrite(addr, value);
  }
}

function u32be(a = 0, b = 0, c = 0, d = 0): number {
  return ((a << 24) | (b << 16) | (c << 8) | d) >>> 0;
}

function concat(parts: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/** IEEE 802.3 CRC-32 (reflected, polynomial 0xEDB88320), transmitted least significant byte first. */
export function ethernetFcs(frame: Uint8Array): number {
  let crc = 0xffff_ffff;
  for (const byte of frame) {
    crc ^= byte;
    for (let k = 0; k < 8; k++) crc = (crc >>> 1) ^ (0xedb8_8320 & -(crc & 1));
  }
  return (crc ^ 0xffff_ffff) >>> 0;
}

function appendFcs(frame: Uint8Array): Uint8Array {
  const out = new Uint8Array(frame.length + FCS_BYTES);
  out.set(frame);
  new DataView(out.buffer).setUint32(frame.length, ethernetFcs(frame), true);
  return out;
}

const W4: readonly AccessWidth[] = [4];

/** The registers sDDF's driver touches, and their neighbours in the RM's map: 32-bit only. */
const ENET_REGISTERS = new RegisterMap(
  SIZE_BYTES,
  (Object.entries(EnetReg) as [string, number][]).map(([name, offset]) => ({
    name: `ENET_${name}`,
    offset,
    sizeBytes: 4,
    widths: W4,
    access: 'rw' as const,
  })),
);
