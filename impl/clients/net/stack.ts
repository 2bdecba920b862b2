// A small IPv4 stack linked into a client (LionsOS §4.2: "there is no need for a global IP stack, it
// becomes a library linked directly into the client"): answers ARP for its address, answers ICMP
// echo, delivers UDP to bound ports, counts broadcasts. Output goes through the native API
// (netif.ts); a frame that finds no free Tx buffer waits in a bounded pending list (lwIP's unsent
// queue) and is retried when a buffer frees up (native) or on the next timer tick (lwIP mode).

import { assert } from '../../../spec/common/assert.ts';
import {
  ARP_REPLY,
  ARP_REQUEST,
  ETHERTYPE_ARP,
  ETHERTYPE_IPV4,
  ICMP_ECHO_REPLY,
  ICMP_ECHO_REQUEST,
  buildArp,
  buildIcmpEcho,
  buildUdp,
  isBroadcastMac,
  macOf,
  parseArp,
  parseEth,
  parseIcmpEcho,
  parseIpv4,
  parseUdp,
  type Mac,
} from './packet.ts';
import type { SddfNetif } from './netif.ts';

/** What the stack needs from below: a way to put a frame on the wire (or say there is no room). */
export type FrameOutput = Pick<SddfNetif, 'transmit'>;

export const IPV4_BROADCAST = 0xffff_ffff;
/** Frames waiting for a Tx buffer (lwIP's pbuf queue is bounded too). */
export const MAX_PENDING_FRAMES = 64;
/** ARP cache entries (lwIP ARP_TABLE_SIZE is 10 by default; a few more do no harm). */
const MAX_ARP_ENTRIES = 32;

export interface UdpIn {
  readonly srcIp: number;
  readonly srcPort: number;
  readonly srcMac: number[];
  readonly dstPort: number;
  readonly payload: Uint8Array;
}

export interface StackStats {
  arpRequests: number;
  arpReplies: number;
  icmpReplies: number;
  udpIn: number;
  broadcastIn: number;
  notForUs: number;
  malformed: number;
  pendingDropped: number;
  pendingRetries: number;
}

export class IpStack {
  readonly stats: StackStats = {
    arpRequests: 0,
    arpReplies: 0,
    icmpReplies: 0,
    udpIn: 0,
    broadcastIn: 0,
    notForUs: 0,
    malformed: 0,
    pendingDropped: 0,
    pendingRetries: 0,
  };
  private readonly ports = new Map<number, (d: UdpIn) => void>();
  private readonly arp = new Map<number, number[]>();
  private readonly pending: Uint8Array[] = [];
  private ipId = 0;

  constructor(
    private readonly netif: FrameOutput,
    readonly mac: Mac,
    readonly ip: number,
  ) {
    assert(mac.length === 6, 'a MAC is 6 bytes');
  }

  get pendingCount(): number {
    return this.pending.length;
  }

  udpBind(port: number, handler: (d: UdpIn) => void): void {
    assert(!this.ports.has(port), () => `UDP port ${port} is bound once`);
    this.ports.set(port, handler);
  }

  /** The MAC for `ip` learnt from its traffic (ARP or IPv4 sent to us), if any. */
  macFor(ip: number): number[] | undefined {
    return this.arp.get(ip);
  }

  private learn(ip: number, mac: number[]): void {
    if (!this.arp.has(ip) && this.arp.size >= MAX_ARP_ENTRIES) {
      const oldest = this.arp.keys().next().value;
      if (oldest !== undefined) this.arp.delete(oldest);
    }
    this.arp.set(ip, mac);
  }

  private forUs(dst: Uint8Array): boolean {
    for (let i = 0; i < 6; i++) if (dst[i] !== this.mac[i]) return false;
    return true;
  }

  /** One received frame. */
  input(frame: Uint8Array): void {
    const eth = parseEth(frame);
    if (eth === null) {
      this.stats.malformed++;
      return;
    }
    const broadcast = isBroadcastMac(eth.dst);
    if (!broadcast && !this.forUs(eth.dst)) {
      this.stats.notForUs++;
      return;
    }
    if (eth.type === ETHERTYPE_ARP) this.inputArp(frame);
    else if (eth.type === ETHERTYPE_IPV4) this.inputIpv4(frame, broadcast);
    else this.stats.notForUs++;
  }

  private inputArp(frame: Uint8Array): void {
    const a = parseArp(frame);
    if (a === null) {
      this.stats.malformed++;
      return;
    }
    if (a.tpa !== this.ip) {
      this.stats.broadcastIn++;
      return;
    }
    this.learn(a.spa, a.sha);
    if (a.op !== ARP_REQUEST) return;
    this.stats.arpRequests++;
    const reply = buildArp({
      op: ARP_REPLY,
      sha: Array.from(this.mac),
      spa: this.ip,
      tha: a.sha,
      tpa: a.spa,
      dstMac: a.sha,
    });
    this.output(reply);
    this.stats.arpReplies++;
  }

  private inputIpv4(frame: Uint8Array, broadcastMac: boolean): void {
    const ip = parseIpv4(frame);
    if (ip === null) {
      this.stats.malformed++;
      return;
    }
    if (ip.dst === IPV4_BROADCAST || broadcastMac) {
      this.stats.broadcastIn++;
      return;
    }
    if (ip.dst !== this.ip) {
      this.stats.notForUs++;
      return;
    }
    const srcMac = macOf(frame, 6);
    this.learn(ip.src, srcMac);
    const echo = parseIcmpEcho(frame, ip);
    if (echo !== null) {
      if (echo.type !== ICMP_ECHO_REQUEST) return;
      this.output(
        buildIcmpEcho({
          dstMac: srcMac,
          srcMac: this.mac,
          src: this.ip,
          dst: ip.src,
          type: ICMP_ECHO_REPLY,
          ident: echo.ident,
          seq: echo.seq,
          data: echo.data,
          ipId: this.nextIpId(),
        }),
      );
      this.stats.icmpReplies++;
      return;
    }
    const udp = parseUdp(frame, ip);
    if (udp === null) {
      this.stats.malformed++;
      return;
    }
    const handler = this.ports.get(udp.dstPort);
    if (handler === undefined) {
      this.stats.notForUs++;
      return;
    }
    this.stats.udpIn++;
    handler({
      srcIp: ip.src,
      srcPort: udp.srcPort,
      srcMac,
      dstPort: udp.dstPort,
      payload: udp.payload,
    });
  }

  private nextIpId(): number {
    this.ipId = (this.ipId + 1) & 0xffff;
    return this.ipId;
  }

  /** A UDP datagram to a peer whose MAC is known; queued if no Tx buffer is free. */
  udpFrame(d: {
    dstIp: number;
    dstMac: Mac;
    srcPort: number;
    dstPort: number;
    payload: Uint8Array;
  }): Uint8Array {
    return buildUdp({
      dstMac: d.dstMac,
      srcMac: this.mac,
      src: this.ip,
      dst: d.dstIp,
      srcPort: d.srcPort,
      dstPort: d.dstPort,
      payload: d.payload,
      ipId: this.nextIpId(),
    });
  }

  /** Send now, or keep for later (bounded; in order); false only when dropped. */
  output(frame: Uint8Array): boolean {
    if (this.pending.length === 0 && this.netif.transmit(frame)) return true;
    if (this.pending.length >= MAX_PENDING_FRAMES) {
      this.stats.pendingDropped++;
      return false;
    }
    this.pending.push(frame);
    return true;
  }

  /** Send waiting frames while Tx buffers are free; returns how many went out. */
  flushPending(): number {
    let sent = 0;
    while (this.pending.length > 0) {
      if (!this.netif.transmit(this.pending[0]!)) break;
      this.pending.shift();
      this.stats.pendingRetries++;
      sent++;
    }
    return sent;
  }
}
