// STAND-IN until issue 13 brings the serial subsystem: a serial virt_tx that moves each client's
// bytes into the driver's queue (no colour, no interleaving control), and a PL011 driver that
// writes them to the UART's data register (reference sddf-protocols.md §2.4, §3.10–3.11). Enough
// for the echo server's clients to print a line; the serial protocol itself is modelled elsewhere.

import { SerialQueue } from '../../queue/serial.ts';
import type { Component, ComponentContext, MicrokitApi } from '../../runtime/api.ts';
import { Cr, Fr, Pl011Reg } from '../../hw/pl011.ts';
import type { RegionResource } from '../../components/net/config.ts';

export interface SerialConn {
  readonly queue: RegionResource;
  readonly data: RegionResource;
  readonly id: number;
}

function queueOver(api: MicrokitApi, conn: SerialConn): SerialQueue {
  const q = api.mem.sharedWindow(conn.queue.vaddr, 12, 4);
  const d = api.mem.sharedWindow(conn.data.vaddr, conn.data.sizeBytes, 1);
  return new SerialQueue({
    queue: { buffer: q.buffer, byteOffset: q.byteOffset },
    data: { buffer: d.buffer, byteOffset: d.byteOffset },
    capacity: conn.data.sizeBytes,
  });
}

export interface SerialVirtTxParams {
  readonly driver: SerialConn;
  /** Client data is mapped read-only here: bytes are read through the address space. */
  readonly clients: readonly SerialConn[];
}

export function serialVirtTxStandin(ctx: ComponentContext): Component {
  const p = ctx.params as unknown as SerialVirtTxParams;
  const api = ctx.api;
  const drv = queueOver(api, p.driver);
  const clients = p.clients.map((c) => {
    const w = api.mem.sharedWindow(c.queue.vaddr, 12, 4);
    return { conn: c, words: new Uint32Array(w.buffer, w.byteOffset, 3) };
  });
  const drain = (): void => {
    let moved = false;
    for (const c of clients) {
      const tail = Atomics.load(c.words, 0);
      let head = c.words[1]!;
      const cap = c.conn.data.sizeBytes;
      // Whole lines only, as the real virt_tx keeps each client's string whole: with the clients
      // on other threads (--workers) a line published a few bytes at a time was otherwise
      // interleaved with another client's. A client queue full without a newline goes as it is.
      // Bounded by the client's capacity (tail - head may be anything a client wrote).
      const pending = Math.min((tail - head) >>> 0, cap);
      let end = 0;
      for (let n = 0; n < pending; n++) {
        if (api.mem.read8(c.conn.data.vaddr + ((head + n) % cap)) === 0x0a) end = n + 1;
      }
      if (pending === cap) end = pending;
      if (end === 0 || (end > drv.free() && end <= drv.capacity)) continue;
      for (let n = 0; n < end && !drv.full(); n++) {
        drv.enqueue(api.mem.read8(c.conn.data.vaddr + (head % cap)));
        head = (head + 1) >>> 0;
        moved = true;
      }
      Atomics.store(c.words, 1, head);
    }
    if (moved) api.notify(p.driver.id);
  };
  return { init: drain, notified: drain };
}

export interface SerialDriverParams {
  readonly regs: RegionResource;
  readonly virtTx: SerialConn;
}

export function serialDriverStandin(ctx: ComponentContext): Component {
  const p = ctx.params as unknown as SerialDriverParams;
  const api = ctx.api;
  const q = queueOver(api, p.virtTx);
  const base = p.regs.vaddr;
  const txProvide = (): void => {
    for (let n = 0; n < q.capacity && (api.mem.read32(base + Pl011Reg.FR) & Fr.TXFF) === 0; n++) {
      const c = q.dequeue();
      if (c === null) break;
      api.mem.write32(base + Pl011Reg.DR, c);
    }
  };
  return {
    init(): void {
      api.mem.write32(base + Pl011Reg.CR, Cr.UARTEN | Cr.TXE | Cr.RXE);
      txProvide();
    },
    notified(ch: number): void {
      if (ch === p.virtTx.id) txProvide();
    },
  };
}
