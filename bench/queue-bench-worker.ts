// One side (producer or consumer) of bench/queue-ringbuf.ts: moves `items` 16-byte records
// through either the sDDF net queue (impl/queue/net.ts) or ringbuf.js, busy-polling on both
// sides (no notifications) so the two rings are compared on the same work. The consumer checks
// FIFO order on every record, so a fast but wrong ring cannot win.
import { parentPort, workerData } from 'node:worker_threads';
import { RingBuffer } from 'ringbuf.js';
import { NetQueue, newNetDescParts } from '../impl/queue/net.ts';

export interface BenchSide {
  readonly kind: 'net' | 'ringbuf';
  readonly role: 'producer' | 'consumer';
  readonly sab: SharedArrayBuffer;
  /** Int32 word: both sides spin on it so timing starts together. */
  readonly startSab: SharedArrayBuffer;
  readonly capacity: number;
  readonly items: number;
}

const W = workerData as BenchSide;
const start = new Int32Array(W.startSab);

/** Bounded spin: a stalled peer ends the run instead of hanging it. */
const MAX_SPINS = 5e9;

function netProducer(): number {
  const q = new NetQueue({ region: { buffer: W.sab, byteOffset: 0 }, capacity: W.capacity });
  let seq = 0;
  for (let spins = 0; seq < W.items && spins < MAX_SPINS; spins++) {
    if (q.enqueueParts(seq, 0, 64, 0)) seq++;
  }
  return seq;
}

function netConsumer(): number {
  const q = new NetQueue({ region: { buffer: W.sab, byteOffset: 0 }, capacity: W.capacity });
  const d = newNetDescParts();
  let expected = 0;
  for (let spins = 0; expected < W.items && spins < MAX_SPINS; spins++) {
    if (q.dequeueInto(d)) {
      if (d.ioLow !== expected) throw new Error(`net: expected ${expected}, saw ${d.ioLow}`);
      expected++;
    }
  }
  return expected;
}

function rbProducer(): number {
  const rb = new RingBuffer(W.sab, Uint32Array);
  const rec = new Uint32Array(4);
  rec[2] = 64;
  let seq = 0;
  for (let spins = 0; seq < W.items && spins < MAX_SPINS; spins++) {
    rec[0] = seq;
    if (rb.push(rec, 4) === 4) seq++;
  }
  return seq;
}

function rbConsumer(): number {
  const rb = new RingBuffer(W.sab, Uint32Array);
  const rec = new Uint32Array(4);
  let expected = 0;
  for (let spins = 0; expected < W.items && spins < MAX_SPINS; spins++) {
    if (rb.pop(rec, 4) === 4) {
      if (rec[0] !== expected) throw new Error(`ringbuf: expected ${expected}, saw ${rec[0]}`);
      expected++;
    }
  }
  return expected;
}

Atomics.add(start, 0, 1);
Atomics.notify(start, 0);
while (Atomics.load(start, 1) === 0) Atomics.wait(start, 1, 0, 100);
const t0 = performance.now();
const count =
  W.kind === 'net'
    ? W.role === 'producer'
      ? netProducer()
      : netConsumer()
    : W.role === 'producer'
      ? rbProducer()
      : rbConsumer();
parentPort?.postMessage({ count, seconds: (performance.now() - t0) / 1000 });
