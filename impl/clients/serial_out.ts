// A client's serial output (sDDF serial_putchar over its Tx queue to the serial virt_tx; reference
// sddf-protocols.md §2.4): bytes into the queue's data region, then a notification (a serial
// producer always notifies its consumer). Output that does not fit is dropped and counted, as a
// client without blocking would.

import { SerialQueue } from '../queue/serial.ts';
import type { MicrokitApi } from '../runtime/api.ts';
import type { RegionResource } from '../components/net/config.ts';

export interface SerialClientConfig {
  readonly queue: RegionResource;
  readonly data: RegionResource;
  /** Channel id to the serial virt_tx at this end. */
  readonly id: number;
}

export class SerialOut {
  private readonly q: SerialQueue;
  dropped = 0;

  constructor(
    private readonly api: MicrokitApi,
    private readonly config: SerialClientConfig,
  ) {
    const queue = api.mem.sharedWindow(config.queue.vaddr, 12, 4);
    const data = api.mem.sharedWindow(config.data.vaddr, config.data.sizeBytes, 1);
    this.q = new SerialQueue({
      queue: { buffer: queue.buffer, byteOffset: queue.byteOffset },
      data: { buffer: data.buffer, byteOffset: data.byteOffset },
      capacity: config.data.sizeBytes,
    });
  }

  write(text: string): void {
    const bytes = new TextEncoder().encode(text);
    let sent = 0;
    for (const b of bytes) {
      if (!this.q.enqueue(b)) {
        this.dropped += bytes.length - sent;
        break;
      }
      sent++;
    }
    if (sent > 0) this.api.notify(this.config.id);
  }
}
