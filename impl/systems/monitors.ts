// Invariant monitors of a running echo server (reference sddf-protocols.md §3.15), read straight from
// shared memory at a quiescent point (no PD is inside a handler, so no buffer is in anyone's hands):
//  1. buffer conservation: every Rx DMA buffer is on the driver side exactly once (drv RxF/RxA or
//     the receive virtqueue) or on the client side with `refs[b]` equal to its places there; every
//     client Rx buffer and every client Tx buffer is in exactly one place;
//  2. address domains: driver-side queues carry I/O addresses of the right region, client-side
//     queues offsets inside the client's own region (nothing translated outside it);
//  3. queue bounds: no queue holds more than its capacity.
// A client marked hostile writes its own queues at will: its client-side queues are not checked,
// but every driver-side place its buffers can reach still is.

import { NET_BUFFER_SIZE_BYTES } from '../../spec/queue/net.ts';
import { findDriverMetadata, inflightBuffers, type HeaderSlots } from '../drivers/net/layout.ts';
import { enetInflightBuffers } from '../drivers/net/imx.ts';
import type { EchoWiring } from './echo_server/wiring.ts';
import { NET_PREFIX } from './echo_server/wiring.ts';

export interface QueueView {
  readonly mr: string;
  readonly capacity: number;
  readonly u16: Uint16Array;
  readonly dv: DataView;
}

export interface MonitorInput {
  readonly wiring: EchoWiring;
  /** Region buffers by MR name (the runtime's physical memory). */
  readonly region: (mr: string) => SharedArrayBuffer;
  readonly names: {
    readonly driver: string;
    readonly virtRx: string;
    readonly virtTx: string;
    readonly clients: readonly { readonly client: string; readonly copier: string }[];
  };
  readonly hostile: ReadonlySet<number>;
  readonly headerSlots: HeaderSlots;
}

/** Bound on the violations kept as text (they are all counted). */
const MAX_KEPT = 50;

export class NetMonitor {
  violations = 0;
  checks = 0;
  readonly kept: string[] = [];
  private readonly q = new Map<string, QueueView>();

  constructor(private readonly input: MonitorInput) {
    for (const { mr, capacity } of input.wiring.queues) {
      const buf = input.region(mr);
      this.q.set(mr, { mr, capacity, u16: new Uint16Array(buf, 0, 2), dv: new DataView(buf) });
    }
  }

  private fail(what: string): void {
    this.violations++;
    if (this.kept.length < MAX_KEPT) this.kept.push(what);
  }

  private queue(server: string, client: string, which: 'free' | 'active'): QueueView {
    const v = this.q.get(`${NET_PREFIX}/net/queue/${server}/${client}/${which}`);
    if (v === undefined) throw new Error(`no queue ${server}/${client}/${which}`);
    return v;
  }

  /** Entries of a queue, oldest first; null (and a violation) when its indices break the bound. */
  private entries(v: QueueView, checkBound: boolean): { io: bigint; len: number }[] | null {
    const tail = Atomics.load(v.u16, 0);
    const head = Atomics.load(v.u16, 1);
    const len = (tail - head) & 0xffff;
    if (len > v.capacity) {
      if (checkBound) this.fail(`queue bound: ${v.mr} holds ${len} > capacity ${v.capacity}`);
      return null;
    }
    const out: { io: bigint; len: number }[] = [];
    for (let i = 0; i < len; i++) {
      const at = 8 + 16 * ((head + i) % v.capacity);
      out.push({ io: v.dv.getBigUint64(at, true), len: v.dv.getUint16(at + 8, true) });
    }
    return out;
  }

  /** Buffers in the virtio driver's virtqueues, from its metadata in the hw ring region. */
  private virtioInflight(ring: SharedArrayBuffer): { rx: bigint[] | null; tx: bigint[] | null } {
    const ringU32 = new Uint32Array(ring);
    const meta = findDriverMetadata({
      ringU32,
      regionBytes: ring.byteLength,
      headerSlots: this.input.headerSlots,
    });
    return meta === null
      ? { rx: [], tx: [] }
      : inflightBuffers({ ring: new DataView(ring), ringU32, meta });
  }

  /** Buffers on the ENET driver's BD rings (head … tail−1 of its indices in the region). */
  private enetInflight(ring: SharedArrayBuffer): { rx: bigint[]; tx: bigint[] } {
    return enetInflightBuffers(ring) ?? { rx: [], tx: [] };
  }

  /** Run every check once; returns the violations found by this call. */
  check(): number {
    const before = this.violations;
    this.checks++;
    const { wiring, names, hostile } = this.input;
    const ring = this.input.region(wiring.hwRingMr);
    const inflight = wiring.nic === 'enet' ? this.enetInflight(ring) : this.virtioInflight(ring);
    if (inflight.rx === null || inflight.tx === null)
      this.fail('driver: inconsistent descriptor allocator');

    // 1+2. Rx DMA buffers.
    const rxBase = wiring.virtRx.data.ioAddr;
    const rxN = wiring.virtRx.driver.numBuffers;
    const driverSide = new Uint16Array(rxN);
    const clientSide = new Uint16Array(rxN);
    const rxIndex = (io: bigint, where: string): number => {
      const off = io - rxBase;
      if (
        off < 0n ||
        off % BigInt(NET_BUFFER_SIZE_BYTES) !== 0n ||
        off >= BigInt(rxN * NET_BUFFER_SIZE_BYTES)
      ) {
        this.fail(`address: ${where} holds 0x${io.toString(16)}, not an Rx DMA buffer`);
        return -1;
      }
      return Number(off) / NET_BUFFER_SIZE_BYTES;
    };
    for (const which of ['free', 'active'] as const) {
      for (const e of this.entries(this.queue(names.driver, names.virtRx, which), true) ?? []) {
        const b = rxIndex(e.io, `driver Rx ${which}`);
        if (b >= 0) driverSide[b]!++;
      }
    }
    for (const io of inflight.rx ?? []) {
      const b = rxIndex(io, 'receive virtqueue');
      if (b >= 0) driverSide[b]!++;
    }
    names.clients.forEach(({ copier }) => {
      for (const which of ['free', 'active'] as const) {
        for (const e of this.entries(this.queue(names.virtRx, copier, which), true) ?? []) {
          const b = rxIndex(e.io + rxBase, `${copier} Rx DMA ${which}`);
          if (b >= 0) clientSide[b]!++;
        }
      }
    });
    const refs = new Uint8Array(this.input.region(`${NET_PREFIX}/net/rx/virt_metadata`), 0, rxN);
    for (let b = 0; b < rxN; b++) {
      const d = driverSide[b]!;
      const k = clientSide[b]!;
      const ok = (d === 1 && k === 0 && refs[b] === 0) || (d === 0 && k >= 1 && refs[b] === k);
      if (!ok)
        this.fail(
          `conservation: Rx DMA buffer ${b} driver-side ${d}, client-side ${k}, refs ${refs[b]}`,
        );
    }

    // Client Rx buffers (copier ↔ client) and client Tx buffers.
    const txDriverSide = names.clients.map(
      (_, c) => new Uint16Array(wiring.virtTx.clients[c]!.regions[0]!.numBuffers),
    );
    const txDriverIndex = (io: bigint, where: string): void => {
      for (let c = 0; c < names.clients.length; c++) {
        const r = wiring.virtTx.clients[c]!.regions[0]!;
        const off = io - r.data.ioAddr;
        if (off >= 0n && off < BigInt(r.numBuffers * NET_BUFFER_SIZE_BYTES)) {
          if (off % BigInt(NET_BUFFER_SIZE_BYTES) !== 0n) break;
          txDriverSide[c]![Number(off) / NET_BUFFER_SIZE_BYTES]!++;
          return;
        }
      }
      this.fail(`address: ${where} holds 0x${io.toString(16)}, not a client Tx buffer`);
    };
    for (const which of ['free', 'active'] as const) {
      for (const e of this.entries(this.queue(names.driver, names.virtTx, which), true) ?? []) {
        txDriverIndex(e.io, `driver Tx ${which}`);
      }
    }
    for (const io of inflight.tx ?? []) txDriverIndex(io, 'transmit virtqueue');

    names.clients.forEach(({ client, copier }, c) => {
      if (hostile.has(c)) {
        // Only the driver side: a hostile client's buffers are never duplicated there.
        txDriverSide[c]!.forEach((n, b) => {
          if (n > 1)
            this.fail(`conservation: ${client} Tx buffer ${b} is ${n} times on the driver side`);
        });
        return;
      }
      const rxCap = wiring.clients[c]!.rx.numBuffers;
      const seenRx = new Uint16Array(rxCap);
      for (const which of ['free', 'active'] as const) {
        for (const e of this.entries(this.queue(copier, client, which), true) ?? []) {
          const off = Number(e.io);
          if (off % NET_BUFFER_SIZE_BYTES !== 0 || off >= rxCap * NET_BUFFER_SIZE_BYTES) {
            this.fail(`address: ${client} Rx ${which} holds offset ${off}`);
          } else seenRx[off / NET_BUFFER_SIZE_BYTES]!++;
        }
      }
      seenRx.forEach((n, b) => {
        if (n !== 1) this.fail(`conservation: ${client} Rx buffer ${b} is in ${n} places`);
      });
      const txN = wiring.virtTx.clients[c]!.regions[0]!.numBuffers;
      const seenTx = new Uint16Array(txN);
      for (const which of ['free', 'active'] as const) {
        for (const e of this.entries(this.queue(names.virtTx, client, which), true) ?? []) {
          const off = Number(e.io);
          if (off % NET_BUFFER_SIZE_BYTES !== 0 || off >= txN * NET_BUFFER_SIZE_BYTES) {
            this.fail(`address: ${client} Tx ${which} holds offset ${off}`);
          } else seenTx[off / NET_BUFFER_SIZE_BYTES]!++;
        }
      }
      seenTx.forEach((n, b) => {
        const total = n + txDriverSide[c]![b]!;
        if (total !== 1) this.fail(`conservation: ${client} Tx buffer ${b} is in ${total} places`);
      });
    });
    return this.violations - before;
  }
}
