// The quiescence scan of the worker scheduler, with the races it must see played in by a hook
// between PD reads (the interleavings the 100 000-round bench once hit by chance).
import { describe, expect, it } from 'vitest';
import * as P from '../../../impl/runtime/worker-protocol.ts';

function blocks(n: number) {
  const global = new Int32Array(new SharedArrayBuffer(P.GLOBAL_WORDS * 4));
  const entries = Array.from({ length: n }, () => ({
    ctrl: new Int32Array(new SharedArrayBuffer(P.CTRL_WORDS * 4)),
    irqAcksSeen: 0,
  }));
  return { global, entries };
}

describe('scanQuiescent', () => {
  it('holds when every PD waits with nothing pending; stopped PDs with pending bits are ignored', () => {
    const { global, entries } = blocks(3);
    for (const e of entries) P.setState(e.ctrl, global, P.STATE_WAITING);
    P.setState(entries[2]!.ctrl, global, P.STATE_STOPPED);
    P.signalBlock(entries[2]!.ctrl, 5);
    expect(P.scanQuiescent(entries, global)).toBe(true);
  });

  it('fails on a running or booting PD, a pending bit (lo or hi), a claimed PPC endpoint, an IRQ ack in flight', () => {
    const cases: ((b: ReturnType<typeof blocks>) => void)[] = [
      (b) => P.setState(b.entries[1]!.ctrl, b.global, P.STATE_RUNNING),
      (b) => P.setState(b.entries[1]!.ctrl, b.global, P.STATE_BOOT),
      (b) => P.signalBlock(b.entries[1]!.ctrl, 3),
      (b) => P.signalBlock(b.entries[1]!.ctrl, 61),
      (b) => Atomics.store(b.entries[1]!.ctrl, P.CTRL_PPC, P.PPC_REQUEST),
      (b) => Atomics.add(b.entries[1]!.ctrl, P.CTRL_IRQ_ACKS, 1),
    ];
    for (const breakIt of cases) {
      const b = blocks(2);
      for (const e of b.entries) P.setState(e.ctrl, b.global, P.STATE_WAITING);
      breakIt(b);
      expect(P.scanQuiescent(b.entries, b.global)).toBe(false);
    }
  });

  it('sees a PD that was running at the start signal one already scanned and then block before it is reached', () => {
    const { global, entries } = blocks(2);
    P.setState(entries[0]!.ctrl, global, P.STATE_WAITING);
    P.setState(entries[1]!.ctrl, global, P.STATE_RUNNING);
    const race = (i: number) => {
      if (i !== 0) return;
      P.signalBlock(entries[0]!.ctrl, 1); // PD1 notifies PD0, already read as idle
      P.setState(entries[1]!.ctrl, global, P.STATE_WAITING); // and blocks before the scan reads it
    };
    expect(P.scanQuiescent(entries, global, race)).toBe(false);
    // Afterwards the pending bit is visible to the next scan.
    expect(P.scanQuiescent(entries, global)).toBe(false);
  });

  it('sees a PD that stops (faults) after signalling one already scanned', () => {
    const { global, entries } = blocks(2);
    P.setState(entries[0]!.ctrl, global, P.STATE_WAITING);
    P.setState(entries[1]!.ctrl, global, P.STATE_RUNNING);
    const race = (i: number) => {
      if (i === 0) {
        P.signalBlock(entries[0]!.ctrl, 1);
        P.setState(entries[1]!.ctrl, global, P.STATE_STOPPED);
      }
    };
    expect(P.scanQuiescent(entries, global, race)).toBe(false);
  });
});
