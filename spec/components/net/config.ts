// The network components' shared vocabulary (reference sddf-protocols.md §3.1): which queues and
// data regions connect which components, the NIC they drive, the payload words the models carry,
// the ghost words of the monitors, and the two patterns every component uses (an enqueue whose
// failure is a C assert; notify-if). The components are in driver.ts, virt-rx.ts, virt-tx.ts,
// copier.ts and client.ts, one per PD; invariants.ts holds what must stay true across them.
import { assert } from '../../common/assert.ts';
import { u32 } from '../../common/int.ts';
import type { EnetNic } from '../../devices/enet.ts';
import type { VirtioNetDev } from '../../devices/virtio-net.ts';
import {
  NET_BUFFER_SIZE_BYTES,
  netCancelSignal,
  netEnqueue,
  netOffsetValid,
  netRequireSignal,
  type NetQueueFlavour,
  type NetQueueRef,
} from '../../queue/net.ts';
import type { PdContext } from '../program.ts';

export interface NetQueuePair {
  readonly free: NetQueueRef;
  readonly active: NetQueueRef;
}

/** A data region: `count` buffers of 2048 bytes; one payload word per buffer in the model. */
export interface DataRegion {
  /** Word address of buffer 0's payload word. */
  readonly data: number;
  readonly count: number;
  /** IO (physical) address of the region, for the driver-side queues (§2.1 io_or_offset). */
  readonly ioBase: number;
}

/** A client-side `io_or_offset` that names a buffer of `r` (§2.1). */
export function netOffsetIn(off: number, r: DataRegion): boolean {
  return netOffsetValid(off, r.count);
}

/**
 * A driver-side `io_or_offset` (an IO address) that names a buffer of `r`. An address below the
 * region gives a negative offset, which netOffsetValid rejects (exact integers, no wrap).
 */
export function netIoIn(io: number, r: DataRegion): boolean {
  return netOffsetIn(io - r.ioBase, r);
}

/** The buffer index an offset names in its region. */
export function netBufferIndex(off: number): number {
  return off / NET_BUFFER_SIZE_BYTES;
}

/** Frame destinations (the MAC match of §3.4 reduced to an index). */
export const DEST_BROADCAST = 0xfe;
export const DEST_NONE = 0xfd;

/** Payload word: kind (1 = NIC rx frame, 2 = client's own packet, 3 = echo), dest/src, seq. */
export const KIND_RX = 1;
export const KIND_OWN = 2;
export const KIND_ECHO = 3;
/**
 * An Rx frame the device wrote at the wrong place: its header and the driver's header descriptor
 * disagree in length (virtio U10/U11), so the buffer holds header bytes in front of the frame or
 * lacks the frame's first bytes.
 */
export const KIND_RX_MISPLACED = 4;
export function payload(kind: number, who: number, seq: number): number {
  assert(seq >= 0 && seq <= 0xffff && who >= 0 && who <= 0xff, 'payload fields in range');
  return u32((kind << 24) | (who << 16) | seq);
}
export function payloadKind(p: number): number {
  return p >>> 24;
}
export function payloadWho(p: number): number {
  return (p >>> 16) & 0xff;
}
export function payloadSeq(p: number): number {
  return p & 0xffff;
}

/**
 * Seeded bugs of the network components (sddf-bug-catalogue.md; each is the upstream code before
 * its fix at the model's grain, documented with the variant in proofs/models/net-pipeline/bounds.ts).
 * `no-rx-recheck` / `no-tx-recheck` are seeded, not upstream: the driver's re-check after
 * request_signal removed (issue 9, part 2).
 */
export type NetBug =
  | 'F3'
  | 'F4'
  | 'F5'
  | 'F14'
  | 'F15'
  | 'F18'
  | 'F19'
  | 'F33'
  | 'U10'
  | 'U11'
  | 'U15'
  | 'no-rx-recheck'
  | 'no-tx-recheck';

/** The NIC and how the driver drives it: the ENET-like rings, or virtio-net's split virtqueues. */
export type NetHw =
  | { readonly kind: 'enet'; readonly nic: EnetNic }
  | { readonly kind: 'virtio'; readonly dev: VirtioNetDev };

export interface NetConfig {
  readonly clients: number;
  readonly flavour: NetQueueFlavour;
  readonly drvRx: NetQueuePair;
  readonly drvTx: NetQueuePair;
  /** virt_rx ↔ copier c (Rx DMA offsets). */
  readonly virtRx: readonly NetQueuePair[];
  /** copier c ↔ client c (client Rx offsets). */
  readonly cliRx: readonly NetQueuePair[];
  /** client c ↔ virt_tx (client Tx offsets). */
  readonly cliTx: readonly NetQueuePair[];
  readonly rxDma: DataRegion;
  readonly cliRxData: readonly DataRegion[];
  readonly cliTxData: readonly DataRegion[];
  /** The NIC the driver drives (spec/devices/enet.ts or spec/devices/virtio-net.ts). */
  readonly hw: NetHw;
  /**
   * The model starts at boot: every PD runs its `init()` (the devices are reset, no buffer is in
   * any queue); otherwise it starts in the state `init` leaves (docs/adr/008-models.md).
   */
  readonly boot: boolean;
  /**
   * The client as lib_sddf_lwip.c is: it never arms the Tx free queue's signal; with no free Tx
   * buffer `lwip_eth_send` returns ERR_NO_BUF after `handle_empty_tx_free` and lwIP retries on its
   * timer (a timer tick on channel CLIENT_CH_TIMER). Otherwise the abstract client of §3.6 that
   * waits on TxF with the three-phase protocol.
   */
  readonly lwip: boolean;
  readonly echo: boolean;
  /**
   * Own packets the application may ask each client to send (0 = it never asks). With 0 the
   * request counter is a constant the client need not load, so its transmit check is PD-local
   * (the runtime then runs it in the same transition as the step before it, ADR 008).
   */
  readonly sends: number;
  /** Client index that stopped consuming Rx (a slow client, for F15), or -1. */
  readonly slowClient: number;
  /** copier 0 returns one Rx DMA buffer twice (a misbehaving copier-less peer, for U15). */
  readonly doubleReturn: boolean;
  readonly bug?: NetBug;
}

/** Ghost words of the network monitors. */
export const NG_RX_INJECTED = 0;
export const NG_DRV_RXF_NEW = 1; // virt_rx enqueued to drv.RxF since its last notify (F3 monitor)
/** Buffers virt_rx rejected (returned with a zero refcount: U15 fixed), counted. */
export const NG_RX_REJECTED = 2;
/** Per client c: base + NGC_WORDS*c + field. */
export const NG_CLIENT_BASE = 3;
export const NGC_REQUESTED = 0; // own sends requested by the application
export const NGC_SENT = 1; // own sends enqueued
export const NGC_DELIVERED = 2; // rx frames the client consumed
export const NGC_LAST_RX = 3; // last rx seq seen (FIFO per flow)
export const NGC_DROPPED = 4; // copier drops for this client
export const NGC_ECHOED = 5; // echoes enqueued
export const NGC_TIMER_ARMED = 6; // lwIP's timeout is set (echo.c set_timeout)
export const NGC_TICKS = 7; // timer ticks delivered so far
export const NGC_WORDS = 8;
export function netGhostWords(clients: number): number {
  return NG_CLIENT_BASE + NGC_WORDS * clients;
}
export function cg(c: number, field: number): number {
  return NG_CLIENT_BASE + NGC_WORDS * c + field;
}

/** An enqueue the C asserts (`assert(!err)`): queues hold every buffer that could be in them (§2.1). */
export function mustEnqueue(
  ctx: PdContext,
  f: NetQueueFlavour,
  q: NetQueueRef,
  desc: number,
): void {
  if (!netEnqueue(ctx.mem, q, f, desc))
    ctx.fail('no-assert-failure', `${q.name}: enqueue failed (full)`);
}

/**
 * A channel the deferred slot may be used for: lib_sddf_lwip's `sddf_lwip_maybe_notify` defers to
 * `ch` when the slot is empty, skips the notify when the slot already holds `ch` (the deferred
 * signal will reach it), and notifies at once when the slot holds another channel.
 */
export type NotifyMode = 'immediate' | 'deferred' | 'deferred-if-free';

/** notify-if(Q) of §3: `if (work && require_signal(Q)) { cancel_signal(Q); notify(peer) }`. */
export function notifyIf(
  ctx: PdContext,
  o: { f: NetQueueFlavour; q: NetQueueRef; work: boolean; ch: number; deferred: boolean },
): boolean {
  return notifyIfMode(ctx, { ...o, mode: o.deferred ? 'deferred' : 'immediate' });
}

/** notify-if(Q) with the notify of `mode`. */
export function notifyIfMode(
  ctx: PdContext,
  o: { f: NetQueueFlavour; q: NetQueueRef; work: boolean; ch: number; mode: NotifyMode },
): boolean {
  if (!o.work || !netRequireSignal(ctx.mem, o.q, o.f)) return false;
  netCancelSignal(ctx.mem, o.q);
  switch (o.mode) {
    case 'immediate':
      ctx.notify(o.ch);
      break;
    case 'deferred':
      ctx.deferredNotify(o.ch);
      break;
    case 'deferred-if-free': {
      const curr = ctx.deferredNotifyCurr();
      if (curr === -1) ctx.deferredNotify(o.ch);
      else if (curr !== o.ch) ctx.notify(o.ch);
      break;
    }
  }
  return true;
}
