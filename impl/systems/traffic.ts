// The host on the other end of the emulated wire: a seeded traffic generator and reply checker
// (issue 9 part 5: UDP echo requests, pings, ARP, broadcasts; a fixed rate or a closed loop).
// Every request records what answer it expects; an answer must match exactly (endpoints, ids and a
// hash of the payload), so a corrupted, misdelivered or duplicated reply is counted, never missed.
// Times are virtual nanoseconds given by the harness; nothing here reads a clock.

import { assert } from '../../spec/common/assert.ts';
import { SeededRng } from '../hw/rng.ts';
import {
  ARP_REPLY,
  ARP_REQUEST,
  BROADCAST_MAC,
  ICMP_ECHO_REPLY,
  ICMP_ECHO_REQUEST,
  ZERO_MAC,
  buildArp,
  buildIcmpEcho,
  buildUdp,
  parseArp,
  parseIcmpEcho,
  parseIpv4,
  parseUdp,
} from '../clients/net/packet.ts';

export type RequestKind = 'udp' | 'ping' | 'arp' | 'broadcast';
export const REQUEST_KINDS: readonly RequestKind[] = ['udp', 'ping', 'arp', 'broadcast'];

export interface TrafficMix {
  readonly udp: number;
  readonly ping: number;
  readonly arp: number;
  readonly broadcast: number;
}

export const DEFAULT_MIX: TrafficMix = { udp: 0.85, ping: 0.08, arp: 0.04, broadcast: 0.03 };

export interface Target {
  readonly name: string;
  readonly mac: readonly number[];
  readonly ip: number;
  readonly port: number;
  /** Relative share of the requests this target gets. */
  readonly weight: number;
}

export type Pacing =
  | { readonly kind: 'window'; readonly window: number; readonly thinkNs: number }
  | { readonly kind: 'rate'; readonly framesPerSecond: number };

export interface TrafficOptions {
  readonly seed: number;
  readonly packets: number;
  readonly mix: TrafficMix;
  readonly targets: readonly Target[];
  readonly pacing: Pacing;
  readonly payloadBytes: { readonly min: number; readonly max: number };
  /** An expected answer older than this is lost. */
  readonly replyTimeoutNs: number;
  readonly host: { readonly mac: readonly number[]; readonly ip: number; readonly port: number };
}

export interface TargetStats {
  readonly name: string;
  sent: Record<RequestKind, number>;
  answered: Record<RequestKind, number>;
  lost: number;
  /** Echoed payload bytes received back. */
  echoBytes: number;
  latencyNsSum: number;
  latencyNsMax: number;
}

export interface PeerStats {
  sent: number;
  expected: number;
  answered: number;
  lost: number;
  /** Correct answers that came after their request was declared lost. */
  late: number;
  badReplies: number;
  unexpected: number;
  framesIn: number;
  bytesOut: number;
  bytesIn: number;
  /** When the first request went out and the last answer came in (-1: never). */
  firstSendNs: number;
  lastAnswerNs: number;
}

interface Outstanding {
  readonly target: number;
  readonly kind: RequestKind;
  readonly sentNs: number;
  /** The payload is its sequence number (4 bytes) then `bytes - 4` bytes of the pool from here. */
  readonly poolOffset: number;
  readonly bytes: number;
}

/** Random payload bytes are cut from one seeded pool: cheap to make and to compare. */
const POOL_BYTES = 64 * 1024;
/** Lost requests remembered for a late answer. */
const MAX_EXPIRED_KEPT = 65536;

const PING_IDENT = 0x5344; // "SD"
const BROADCAST_PORT = 9; // discard
const IPV4_BROADCAST = 0xffff_ffff;

function zeroCounts(): Record<RequestKind, number> {
  return { udp: 0, ping: 0, arp: 0, broadcast: 0 };
}

export class TrafficPeer {
  readonly name = 'host';
  readonly stats: PeerStats = {
    sent: 0,
    expected: 0,
    answered: 0,
    lost: 0,
    late: 0,
    badReplies: 0,
    unexpected: 0,
    framesIn: 0,
    bytesOut: 0,
    bytesIn: 0,
    firstSendNs: -1,
    lastAnswerNs: -1,
  };
  readonly targets: TargetStats[];
  private readonly rng: SeededRng;
  private readonly out = new Map<string, Outstanding>();
  /** ARP answers carry no id: outstanding ARP requests per target, oldest first. */
  private readonly arpOut: Outstanding[][];
  private readonly cumulative: number[];
  private readonly mixCumulative: number[];
  private readonly pool: Uint8Array;
  /** Requests declared lost, kept (bounded) so a late answer is still checked, not called bad. */
  private readonly expired = new Map<string, Outstanding>();
  private readonly lateArps: number[];
  private seq = 0;
  private nextSendNs = 0;
  /** Window mode: requests that may be sent now (a reply or a loss frees one). */
  private credits = 0;
  now = 0;

  constructor(readonly options: TrafficOptions) {
    assert(options.targets.length > 0, 'at least one target');
    assert(Number.isSafeInteger(options.packets) && options.packets >= 0, 'packets is a count');
    const { min, max } = options.payloadBytes;
    assert(min >= 8 && min <= max && max <= 1472, () => `payload bytes 8 ≤ ${min} ≤ ${max} ≤ 1472`);
    this.rng = new SeededRng(options.seed);
    this.pool = new Uint8Array(POOL_BYTES);
    for (let i = 0; i < POOL_BYTES; i += 4)
      new DataView(this.pool.buffer).setUint32(i, this.rng.nextU32());
    this.targets = options.targets.map((t) => ({
      name: t.name,
      sent: zeroCounts(),
      answered: zeroCounts(),
      lost: 0,
      echoBytes: 0,
      latencyNsSum: 0,
      latencyNsMax: 0,
    }));
    this.arpOut = options.targets.map(() => []);
    this.lateArps = options.targets.map(() => 0);
    let acc = 0;
    this.cumulative = options.targets.map((t) => (acc += t.weight));
    acc = 0;
    this.mixCumulative = REQUEST_KINDS.map((k) => (acc += options.mix[k]));
    assert(
      acc > 0 && this.cumulative[this.cumulative.length - 1]! > 0,
      'a mix and weights that send something',
    );
    if (options.pacing.kind === 'window') {
      assert(options.pacing.window >= 1, 'a window of at least one request');
      this.credits = options.pacing.window;
    } else {
      assert(options.pacing.framesPerSecond > 0, 'a positive rate');
    }
  }

  get outstanding(): number {
    return this.out.size + this.arpOut.reduce((s, q) => s + q.length, 0);
  }

  /** All requests sent and every expected answer received or declared lost. */
  done(): boolean {
    return this.seq >= this.options.packets && this.outstanding === 0;
  }

  private pick(cumulative: readonly number[]): number {
    const total = cumulative[cumulative.length - 1]!;
    const r = (this.rng.nextU32() / 0x1_0000_0000) * total;
    for (let i = 0; i < cumulative.length; i++) if (r < cumulative[i]!) return i;
    return cumulative.length - 1;
  }

  /** When the next request goes out, or null if none is due before an answer or a loss. */
  nextSendAt(): number | null {
    if (this.seq >= this.options.packets) return null;
    if (this.options.pacing.kind === 'window' && this.credits === 0) return null;
    return this.nextSendNs;
  }

  /**
   * When the oldest expected answer times out, or null. Requests go out in time order and a Map
   * iterates in insertion order, so the oldest outstanding request is the first entry.
   */
  nextExpiryAt(): number | null {
    let oldest = Number.POSITIVE_INFINITY;
    for (const o of this.out.values()) {
      oldest = o.sentNs;
      break;
    }
    for (const q of this.arpOut) if (q.length > 0) oldest = Math.min(oldest, q[0]!.sentNs);
    return oldest === Number.POSITIVE_INFINITY ? null : oldest + this.options.replyTimeoutNs;
  }

  /** Send every request due at `nowNs` through `send`; returns how many. */
  sendDue(nowNs: number, send: (frame: Uint8Array) => void): number {
    this.now = nowNs;
    let n = 0;
    // Bounded by the packet count.
    for (let at = this.nextSendAt(); at !== null && at <= nowNs; at = this.nextSendAt()) {
      const frame = this.request();
      if (this.stats.sent === 0) this.stats.firstSendNs = nowNs;
      this.stats.sent++;
      this.stats.bytesOut += frame.length;
      if (this.options.pacing.kind === 'window') {
        this.credits--;
      } else {
        this.nextSendNs += 1e9 / this.options.pacing.framesPerSecond;
      }
      send(frame);
      n++;
    }
    return n;
  }

  /** Declare answers older than the timeout lost; returns how many. */
  expire(nowNs: number): number {
    this.now = nowNs;
    const limit = nowNs - this.options.replyTimeoutNs;
    let n = 0;
    // Oldest first (insertion order): stop at the first that has not timed out.
    for (const [key, o] of this.out) {
      if (o.sentNs > limit) break;
      this.out.delete(key);
      this.lose(o, key);
      n++;
    }
    for (const q of this.arpOut) {
      while (q.length > 0 && q[0]!.sentNs <= limit) {
        this.lose(q.shift()!);
        n++;
      }
    }
    return n;
  }

  /** Give up on every expected answer (the system can make no more progress). */
  expireAll(): number {
    let n = 0;
    for (const [key, o] of this.out) {
      this.lose(o, key);
      n++;
    }
    this.out.clear();
    for (const q of this.arpOut) {
      for (const o of q.splice(0)) {
        this.lose(o);
        n++;
      }
    }
    return n;
  }

  private lose(o: Outstanding, key?: string): void {
    this.stats.lost++;
    this.targets[o.target]!.lost++;
    if (key !== undefined) {
      if (this.expired.size >= MAX_EXPIRED_KEPT)
        this.expired.delete(this.expired.keys().next().value!);
      this.expired.set(key, o);
    } else if (o.kind === 'arp') {
      this.lateArps[o.target]!++;
    }
    this.freeCredit();
  }

  private freeCredit(): void {
    const p = this.options.pacing;
    if (p.kind !== 'window') return;
    if (this.credits === 0) this.nextSendNs = this.now + p.thinkNs;
    this.credits++;
  }

  private payload(seq: number): { bytes: Uint8Array; poolOffset: number } {
    const { min, max } = this.options.payloadBytes;
    const len = min + this.rng.below(max - min + 1);
    const poolOffset = this.rng.below(POOL_BYTES - len);
    const p = new Uint8Array(len);
    new DataView(p.buffer).setUint32(0, seq);
    p.set(this.pool.subarray(poolOffset, poolOffset + len - 4), 4);
    return { bytes: p, poolOffset };
  }

  private samePayload(o: Outstanding, got: Uint8Array): boolean {
    if (got.length !== o.bytes) return false;
    const pool = this.pool;
    for (let i = 4, j = o.poolOffset; i < got.length; i++, j++)
      if (got[i] !== pool[j]) return false;
    return true;
  }

  private expect(key: string, o: Outstanding): void {
    this.out.set(key, o);
    this.stats.expected++;
  }

  private request(): Uint8Array {
    const seq = this.seq++;
    const ti = this.pick(this.cumulative);
    const t = this.options.targets[ti]!;
    const kind = REQUEST_KINDS[this.pick(this.mixCumulative)]!;
    const h = this.options.host;
    this.targets[ti]!.sent[kind]++;
    const now = this.now;
    switch (kind) {
      case 'udp': {
        const { bytes: payload, poolOffset } = this.payload(seq);
        this.expect(`u${seq}`, {
          target: ti,
          kind,
          sentNs: now,
          poolOffset,
          bytes: payload.length,
        });
        return buildUdp({
          dstMac: t.mac,
          srcMac: h.mac,
          src: h.ip,
          dst: t.ip,
          srcPort: h.port,
          dstPort: t.port,
          payload,
          ipId: seq & 0xffff,
          // A host may leave the UDP checksum out over IPv4 (RFC 768); the echo's reply has one.
          checksum: false,
        });
      }
      case 'ping': {
        const { bytes: data, poolOffset } = this.payload(seq);
        this.expect(`p${seq}`, { target: ti, kind, sentNs: now, poolOffset, bytes: data.length });
        return buildIcmpEcho({
          dstMac: t.mac,
          srcMac: h.mac,
          src: h.ip,
          dst: t.ip,
          type: ICMP_ECHO_REQUEST,
          ident: PING_IDENT,
          seq: seq & 0xffff,
          data,
          ipId: seq & 0xffff,
        });
      }
      case 'arp': {
        this.arpOut[ti]!.push({ target: ti, kind, sentNs: now, poolOffset: 0, bytes: 0 });
        this.stats.expected++;
        return buildArp({
          op: ARP_REQUEST,
          sha: [...h.mac],
          spa: h.ip,
          tha: [...ZERO_MAC],
          tpa: t.ip,
          dstMac: BROADCAST_MAC,
        });
      }
      case 'broadcast': {
        // Nobody answers a discard datagram: it frees its window slot at once.
        this.freeCredit();
        return buildUdp({
          dstMac: BROADCAST_MAC,
          srcMac: h.mac,
          src: h.ip,
          dst: IPV4_BROADCAST,
          srcPort: h.port,
          dstPort: BROADCAST_PORT,
          payload: this.payload(seq).bytes,
          ipId: seq & 0xffff,
          checksum: false,
        });
      }
    }
  }

  private answered(o: Outstanding, extraBytes: number): void {
    const ts = this.targets[o.target]!;
    ts.answered[o.kind]++;
    ts.echoBytes += extraBytes;
    const latency = this.now - o.sentNs;
    ts.latencyNsSum += latency;
    ts.latencyNsMax = Math.max(ts.latencyNsMax, latency);
    this.stats.answered++;
    this.stats.lastAnswerNs = this.now;
    this.freeCredit();
  }

  private targetOf(mac: Uint8Array, ip: number): number {
    return this.options.targets.findIndex(
      (t) => t.ip === ip && t.mac.every((b, i) => b === mac[i]),
    );
  }

  /** A frame the NIC put on the wire (the harness sets `now` before frames can arrive). */
  receiveFrame(frame: Uint8Array): void {
    this.stats.framesIn++;
    this.stats.bytesIn += frame.length;
    const h = this.options.host;
    const toHost = h.mac.every((b, i) => b === frame[i]);
    if (!toHost) return void this.stats.unexpected++;
    const arp = parseArp(frame);
    if (arp !== null) {
      const ti = this.targetOf(frame.subarray(6, 12), arp.spa);
      const q = ti >= 0 ? this.arpOut[ti]! : undefined;
      const ok =
        arp.op === ARP_REPLY &&
        ti >= 0 &&
        arp.tpa === h.ip &&
        arp.tha.every((b, i) => b === h.mac[i]) &&
        this.options.targets[ti]!.mac.every((b, i) => b === arp.sha[i]);
      if (ok && q !== undefined && q.length === 0 && this.lateArps[ti]! > 0) {
        this.lateArps[ti]!--;
        return void this.stats.late++;
      }
      if (!ok || q === undefined || q.length === 0) return void this.stats.badReplies++;
      this.answered(q.shift()!, 0);
      return;
    }
    const ip = parseIpv4(frame);
    if (ip === null || ip.dst !== h.ip) return void this.stats.unexpected++;
    const ti = this.targetOf(frame.subarray(6, 12), ip.src);
    if (ti < 0) return void this.stats.badReplies++;
    const echo = parseIcmpEcho(frame, ip);
    if (echo !== null) {
      if (echo.type !== ICMP_ECHO_REPLY || echo.ident !== PING_IDENT || echo.data.length < 4) {
        return void this.stats.badReplies++;
      }
      const seq = new DataView(echo.data.buffer, echo.data.byteOffset).getUint32(0);
      this.match(`p${seq}`, ti, echo.data);
      return;
    }
    const udp = parseUdp(frame, ip);
    const t = this.options.targets[ti]!;
    if (
      udp === null ||
      udp.srcPort !== t.port ||
      udp.dstPort !== h.port ||
      udp.payload.length < 4
    ) {
      return void this.stats.badReplies++;
    }
    const seq = new DataView(udp.payload.buffer, udp.payload.byteOffset).getUint32(0);
    this.match(`u${seq}`, ti, udp.payload);
  }

  private match(key: string, target: number, payload: Uint8Array): void {
    const o = this.out.get(key);
    if (o === undefined) {
      const late = this.expired.get(key);
      if (late !== undefined && late.target === target && this.samePayload(late, payload)) {
        this.expired.delete(key);
        this.stats.late++;
      } else {
        this.stats.badReplies++;
      }
      return;
    }
    if (o.target !== target || !this.samePayload(o, payload)) {
      this.stats.badReplies++;
      return;
    }
    this.out.delete(key);
    this.answered(o, payload.length);
  }
}
