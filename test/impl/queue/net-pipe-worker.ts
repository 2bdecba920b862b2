// Worker for two-workers.test.ts: one side of a net queue pair with the sDDF signalling
// handshake (reference sddf-protocols.md §2.2) and Microkit-style notifications: a pending bit
// per PD in one shared word, `notify` = Atomics.or of the bit + Atomics.notify, and the PD waits
// with Atomics.wait until its bit is set (N notifies before it runs coalesce into one wake).
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
  /** Int32 words: [state, ready count]. */
  readonly notifyOffset: number;
  readonly items: number;
  /** Test switch: skip the re-check after request_signal (the lost-wakeup bug). */
  readonly noRecheck: boolean;
  /** Test switch: the producer skips one sequence number (a lost item the consumer must catch). */
  readonly skipItem?: number;
  /** Test switch: the producer leaves out every notify once it has sent this many items. */
  readonly muteAfter?: number;
  /**
   * Safety net only: a PD that sleeps this long reports `hung`, never a verdict. Lost wakeups are
   * decided deterministically (see `waitNotified`).
   */
  readonly hangTimeoutMs: number;
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
const words = new Int32Array(L.sab, L.notifyOffset, 2);
const STATE = 0; // both PDs' notification and sleep bits in one word, changed only by CAS/OR
const READY = 1; // start barrier: worker start-up (tsx boot) must not count as a sleeping peer
// Bits of STATE, per PD: a pending notification, asleep, exited.
const PENDING = { producer: 1, consumer: 2 } as const;
const ASLEEP = { producer: 4, consumer: 8 } as const;
const EXITED = { producer: 16, consumer: 32 } as const;
const ME = L.role;
const PEER = L.role === 'producer' ? 'consumer' : 'producer';

function notifyPeer(): void {
  Atomics.or(words, STATE, PENDING[PEER]);
  Atomics.notify(words, STATE);
}

/** Sets `set` and clears `clear` in STATE atomically, based on the value `seen`; false if it moved. */
function cas(seen: number, set: number, clear: number): boolean {
  return Atomics.compareExchange(words, STATE, seen, (seen | set) & ~clear) === seen;
}

/**
 * Block until we have a pending notification, then consume it. Returns false when no wakeup can
 * ever come, decided from shared state rather than a clock: only the two PDs notify, and each
 * changes its own bits and the peer's pending bit in one word with CAS, so if at our CAS the
 * peer has exited, or is asleep with nothing pending, while nothing is pending for us, nobody is
 * left to notify us (a lost wakeup: a stranded item, §2.2).
 */
function waitNotified(): boolean {
  const deadline = performance.now() + L.hangTimeoutMs;
  for (;;) {
    const s = Atomics.load(words, STATE);
    if ((s & PENDING[ME]) !== 0) {
      if (cas(s, 0, PENDING[ME] | ASLEEP[ME])) return true;
      continue;
    }
    const peerStuck =
      (s & EXITED[PEER]) !== 0 || ((s & ASLEEP[PEER]) !== 0 && (s & PENDING[PEER]) === 0);
    if (peerStuck) {
      if (!cas(s, 0, ASLEEP[ME])) continue;
      notifyPeer(); // wake the peer so it sees the same dead end and reports it too
      return false;
    }
    if ((s & ASLEEP[ME]) === 0 && !cas(s, ASLEEP[ME], 0)) continue;
    const after = s | ASLEEP[ME];
    if (
      Atomics.wait(words, STATE, after, Math.max(1, deadline - performance.now())) === 'timed-out'
    )
      throw new Error(`hung: no notification in ${L.hangTimeoutMs} ms`);
  }
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
      if (L.muteAfter === undefined || seq < L.muteAfter) notifyPeer();
    }
    if (seq === L.items) break;
    free.requestSignal();
    if (!L.noRecheck && !free.empty()) {
      free.cancelSignal();
      continue;
    }
    waits++;
    if (!waitNotified()) return { count: seq, waits, error: `producer stranded at ${seq}` };
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
      notifyPeer();
    }
    if (expected === L.items) break;
    active.requestSignal();
    if (!L.noRecheck && !active.empty()) {
      active.cancelSignal();
      continue;
    }
    waits++;
    if (!waitNotified())
      return { count: expected, waits, error: `consumer stranded at ${expected}` };
  }
  return { count: expected, waits };
}

Atomics.add(words, READY, 1);
Atomics.notify(words, READY);
for (let i = 0; i < 600 && Atomics.load(words, READY) < 2; i++) Atomics.wait(words, READY, 1, 100);
const started = performance.now();
const result = L.role === 'producer' ? producer() : consumer();
Atomics.or(words, STATE, EXITED[ME]);
Atomics.notify(words, STATE);
parentPort?.postMessage({ role: L.role, ...result, seconds: (performance.now() - started) / 1000 });
