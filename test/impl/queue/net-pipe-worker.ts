// Worker for two-workers.test.ts: one side of a net queue pair with the sDDF signalling
// handshake (reference sddf-protocols.md §2.2) and Microkit-style notifications: a
// notification word per PD, `notify` = Atomics.or of a bit + Atomics.notify, and the PD waits
// with Atomics.wait while its word is 0 (N notifies before it runs coalesce into one wake).
//
// producer (client tx): dequeue a free buffer, write the sequence number into its 2048-byte
//   data buffer, enqueue it on the active queue; notify the consumer if it asked.
// consumer (virt_tx-like): dequeue active, check the sequence number (FIFO, no loss), return
//   the buffer on the free queue; notify the producer if it asked.
import { workerData, parentPort } from 'node:worker_threads';
import { NetQueue, newNetDescParts } from '../../../impl/queue/net.ts';

export interface PipeLayout {
  readonly sab: SharedArrayBuffer;
  readonly capacity: number;
  readonly activeOffset: number;
  readonly freeOffset: number;
  readonly dataOffset: number;
  /** Int32 words: [consumer notification, producer notification, ready count]. */
  readonly notifyOffset: number;
  readonly items: number;
  /** Test switch: skip the re-check after request_signal (the lost-wakeup bug). */
  readonly noRecheck: boolean;
  /** Test switch: the producer skips one sequence number (a lost item the consumer must catch). */
  readonly skipItem?: number;
  /** Longest a PD sleeps before we call it a lost wakeup (a stranded item, §2.2). */
  readonly waitTimeoutMs: number;
  readonly role: 'producer' | 'consumer';
}

const L = workerData as PipeLayout;
const active = new NetQueue({
  region: { buffer: L.sab, byteOffset: L.activeOffset },
  capacity: L.capacity,
});
const free = new NetQueue({
  region: { buffer: L.sab, byteOffset: L.freeOffset },
  capacity: L.capacity,
});
const data = new Uint32Array(L.sab, L.dataOffset, (L.capacity * 2048) / 4);
const words = new Int32Array(L.sab, L.notifyOffset, 3);
const READY = 2; // start barrier: worker start-up (tsx boot) must not count as a sleeping peer
const CONSUMER = 0;
const PRODUCER = 1;

function notifyPd(word: number): void {
  Atomics.or(words, word, 1);
  Atomics.notify(words, word);
}

/** Block until our notification word is non-zero, then clear it; false on timeout. */
function waitNotified(word: number): boolean {
  if (Atomics.wait(words, word, 0, L.waitTimeoutMs) === 'timed-out') return false;
  Atomics.store(words, word, 0);
  return true;
}

function checkedIndex(ioLow: number, ioHigh: number): number {
  // Untrusted offset from the peer: a multiple of 2048 below 2048 * capacity (§2.1).
  if (ioHigh !== 0 || ioLow % 2048 !== 0 || ioLow >= 2048 * L.capacity)
    throw new Error(`bad offset ${ioLow}`);
  return ioLow / 4;
}

function producer(): { count: number; waits: number; error?: string } {
  const d = newNetDescParts();
  let seq = 0;
  let waits = 0;
  while (seq < L.items) {
    let moved = false;
    while (seq < L.items && free.dequeueInto(d)) {
      if (seq === L.skipItem) seq++;
      data[checkedIndex(d.ioLow, d.ioHigh)] = seq;
      if (!active.enqueueParts(d.ioLow, 0, 4, 0))
        return { count: seq, waits, error: 'active queue full' };
      seq++;
      moved = true;
    }
    if (moved && active.requireSignal()) {
      active.cancelSignal();
      notifyPd(CONSUMER);
    }
    if (seq === L.items) break;
    free.requestSignal();
    if (!L.noRecheck && !free.empty()) {
      free.cancelSignal();
      continue;
    }
    waits++;
    if (!waitNotified(PRODUCER)) return { count: seq, waits, error: `producer stranded at ${seq}` };
  }
  return { count: seq, waits };
}

function consumer(): { count: number; waits: number; error?: string } {
  const d = newNetDescParts();
  let expected = 0;
  let waits = 0;
  while (expected < L.items) {
    let moved = false;
    while (active.dequeueInto(d)) {
      const seen = data[checkedIndex(d.ioLow, d.ioHigh)];
      if (seen !== expected || d.len !== 4)
        return {
          count: expected,
          waits,
          error: `expected ${expected}, saw ${seen} (len ${d.len})`,
        };
      expected++;
      if (!free.enqueueParts(d.ioLow, 0, 0, 0))
        return { count: expected, waits, error: 'free queue full' };
      moved = true;
    }
    if (moved && free.requireSignal()) {
      free.cancelSignal();
      notifyPd(PRODUCER);
    }
    if (expected === L.items) break;
    active.requestSignal();
    if (!L.noRecheck && !active.empty()) {
      active.cancelSignal();
      continue;
    }
    waits++;
    if (!waitNotified(CONSUMER))
      return { count: expected, waits, error: `consumer stranded at ${expected}` };
  }
  return { count: expected, waits };
}

Atomics.add(words, READY, 1);
Atomics.notify(words, READY);
for (let i = 0; i < 600 && Atomics.load(words, READY) < 2; i++) Atomics.wait(words, READY, 1, 100);
const started = performance.now();
const result = L.role === 'producer' ? producer() : consumer();
parentPort?.postMessage({ role: L.role, ...result, seconds: (performance.now() - started) / 1000 });
