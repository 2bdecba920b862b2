// libpcap capture files (classic format: magic 0xa1b2c3d4, version 2.4, microsecond timestamps,
// LINKTYPE_ETHERNET = 1), so `sddf run --pcap` output opens in Wireshark/tcpdump. Pure: collects
// bytes; the caller decides where to write them. Timestamps come from the injected Clock.

import { assert } from '../../spec/common/assert.ts';
import type { Clock } from '../mem/types.ts';
import type { WireTap } from './wire.ts';

export const PCAP_MAGIC_MICROS = 0xa1b2c3d4;
export const LINKTYPE_ETHERNET = 1;
const GLOBAL_HEADER_BYTES = 24;
const RECORD_HEADER_BYTES = 16;
const SNAPLEN_BYTES = 65535;

export class PcapWriter {
  readonly #clock: Clock;
  readonly #chunks: Uint8Array[] = [];
  readonly #maxRecords: number;
  #records = 0;
  #skipped = 0;

  constructor(options: { clock: Clock; maxRecords?: number }) {
    this.#clock = options.clock;
    this.#maxRecords = options.maxRecords ?? 1_000_000;
    const h = new DataView(new ArrayBuffer(GLOBAL_HEADER_BYTES));
    h.setUint32(0, PCAP_MAGIC_MICROS, true);
    h.setUint16(4, 2, true);
    h.setUint16(6, 4, true);
    h.setInt32(8, 0, true); // thiszone: UTC
    h.setUint32(12, 0, true); // sigfigs
    h.setUint32(16, SNAPLEN_BYTES, true);
    h.setUint32(20, LINKTYPE_ETHERNET, true);
    this.#chunks.push(new Uint8Array(h.buffer));
  }

  get recordCount(): number {
    return this.#records;
  }
  /** Frames not recorded because the capture hit maxRecords (a bound on memory). */
  get skippedCount(): number {
    return this.#skipped;
  }

  record(frame: Uint8Array): void {
    if (this.#records >= this.#maxRecords) {
      this.#skipped++;
      return;
    }
    const nowNs = this.#clock.nowNs();
    const inclBytes = Math.min(frame.length, SNAPLEN_BYTES);
    const rec = new Uint8Array(RECORD_HEADER_BYTES + inclBytes);
    const v = new DataView(rec.buffer);
    v.setUint32(0, Number((nowNs / 1_000_000_000n) & 0xffff_ffffn), true);
    v.setUint32(4, Number((nowNs % 1_000_000_000n) / 1000n), true);
    v.setUint32(8, inclBytes, true);
    v.setUint32(12, frame.length, true);
    rec.set(frame.subarray(0, inclBytes), RECORD_HEADER_BYTES);
    this.#chunks.push(rec);
    this.#records++;
  }

  /** A tap for wire.ts connectors. */
  tap(): WireTap {
    return (frame) => this.record(frame);
  }

  bytes(): Uint8Array {
    const total = this.#chunks.reduce((s, c) => s + c.length, 0);
    const out = new Uint8Array(total);
    let at = 0;
    for (const c of this.#chunks) {
      out.set(c, at);
      at += c.length;
    }
    assert(at === total && total >= GLOBAL_HEADER_BYTES, 'pcap is header + records');
    return out;
  }
}
