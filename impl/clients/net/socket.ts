// A blocking UDP socket API over the native one (LionsOS §4.2): `recvfrom` waits until a datagram
// arrives, `sendto` waits until a Tx buffer is free. Waiting is a coroutine yield (coroutine.ts);
// what wakes a waiter is the client's entry point signalling `udp:<port>` (Rx processed) or
// `txfree` (a Tx buffer came back, or the lwIP-mode timer tick).

import type { Task } from '../coroutine.ts';
import type { Coroutines } from '../coroutine.ts';
import type { SddfNetif } from './netif.ts';
import type { IpStack, UdpIn } from './stack.ts';

/** Datagrams a socket keeps for a reader that is not reading (then they are dropped). */
export const SOCKET_QUEUE_LIMIT = 64;
export const TX_FREE_EVENT = 'txfree';

export class UdpSocket {
  private readonly queue: UdpIn[] = [];
  dropped = 0;
  readonly event: string;

  constructor(
    private readonly stack: IpStack,
    private readonly netif: SddfNetif,
    private readonly co: Coroutines,
    readonly port: number,
  ) {
    this.event = `udp:${port}`;
    stack.udpBind(port, (d) => {
      if (this.queue.length >= SOCKET_QUEUE_LIMIT) {
        this.dropped++;
        return;
      }
      // The payload is a view of a frame this stack owns; keep a copy with the datagram.
      this.queue.push({ ...d, payload: d.payload.slice() });
      this.co.signal(this.event);
    });
  }

  /** Blocks until a datagram is there. */
  *recvfrom(): Task<UdpIn> {
    while (this.queue.length === 0) yield { event: this.event };
    return this.queue.shift()!;
  }

  /** Blocks until the datagram is in a Tx buffer on its way to virt_tx. */
  *sendto(to: { ip: number; mac: readonly number[]; port: number }, payload: Uint8Array): Task {
    const frame = this.stack.udpFrame({
      dstIp: to.ip,
      dstMac: to.mac,
      srcPort: this.port,
      dstPort: to.port,
      payload,
    });
    while (!this.netif.transmit(frame)) yield { event: TX_FREE_EVENT };
  }
}
