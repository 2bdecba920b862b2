// Producer and consumer in two worker_threads on one SharedArrayBuffer: 10^6 items through a
// small net queue pair with the signalling handshake; FIFO order and no loss (checked by the
// consumer on every item), and both sides finish (no lost wakeup).
import { describe, expect, it } from 'vitest';
import { NetQueue, createNetQueueHandle, netBuffersInit } from '../../../impl/queue/net.ts';
import type { PipeLayout } from './net-pipe-worker.ts';
import { startTsWorker } from '../../../impl/runtime/ts-worker.ts';

interface SideResult {
  role: string;
  count: number;
  waits: number;
  seconds: number;
  error?: string;
}

function runSide(layout: PipeLayout): Promise<SideResult> {
  return new Promise((resolve, reject) => {
    const w = startTsWorker(new URL('./net-pipe-worker.ts', import.meta.url), layout);
    w.once('message', (m: SideResult) => resolve(m));
    w.once('error', reject);
    w.once('exit', (code) => (code === 0 ? undefined : reject(new Error(`worker exit ${code}`))));
  });
}

async function pipe(opts: {
  items: number;
  capacity: number;
  noRecheck: boolean;
  skipItem?: number;
  muteAfter?: number;
}) {
  const qBytes = NetQueue.sizeBytes(opts.capacity);
  const activeOffset = 0;
  const freeOffset = Math.ceil(qBytes / 64) * 64;
  const dataOffset = freeOffset + Math.ceil(qBytes / 64) * 64;
  const notifyOffset = dataOffset + 2048 * opts.capacity;
  const sab = new SharedArrayBuffer(notifyOffset + 8);
  const h = createNetQueueHandle({
    active: { buffer: sab, byteOffset: activeOffset },
    free: { buffer: sab, byteOffset: freeOffset },
    capacity: opts.capacity,
  });
  netBuffersInit(h, 0n);
  const base = {
    sab,
    capacity: opts.capacity,
    activeOffset,
    freeOffset,
    dataOffset,
    notifyOffset,
    items: opts.items,
    noRecheck: opts.noRecheck,
    hangTimeoutMs: 20_000,
    ...(opts.skipItem === undefined ? {} : { skipItem: opts.skipItem }),
    ...(opts.muteAfter === undefined ? {} : { muteAfter: opts.muteAfter }),
  };
  return Promise.all([
    runSide({ ...base, role: 'producer' }),
    runSide({ ...base, role: 'consumer' }),
  ]);
}

describe('net queue between two worker threads', () => {
  it('moves 10^6 items in FIFO order without loss through a capacity-16 queue pair', async () => {
    const [p, c] = await pipe({ items: 1_000_000, capacity: 16, noRecheck: false });
    console.log(
      `two-worker pipe: producer ${p.seconds.toFixed(2)} s, ${p.waits} waits; consumer ${c.seconds.toFixed(2)} s, ${c.waits} waits`,
    );
    expect(p.error).toBeUndefined();
    expect(c.error).toBeUndefined();
    expect(p.count).toBe(1_000_000);
    expect(c.count).toBe(1_000_000);
  }, 30_000);

  it('the FIFO/no-loss check catches a producer that loses an item', async () => {
    const [p, c] = await pipe({
      items: 10_000,
      capacity: 16,
      noRecheck: false,
      skipItem: 5000,
    });
    expect(c.error).toMatch(/expected 5000, saw 5001/);
    expect(c.count).toBe(5000);
    expect(p.error).toMatch(/stranded/); // the consumer stopped, so the producer's free buffers never return
  }, 30_000);

  it('a producer that stops notifying strands the consumer: both sides report it, no timeout', async () => {
    const [p, c] = await pipe({ items: 10_000, capacity: 16, noRecheck: false, muteAfter: 3000 });
    expect(c.error).toMatch(/consumer stranded/);
    expect(p.error).toMatch(/producer stranded/);
    expect(c.count).toBeGreaterThanOrEqual(3000);
    expect(c.count).toBeLessThan(10_000);
  }, 30_000);
});
