// spec/components/serial-virt.ts: colour codes, the tx_pending FIFO (bounded, and F22's unbounded
// indices caught), the switch machine (virt_rx.c's three modes).
import { describe, expect, it } from 'vitest';
import {
  RX_SWITCH_INITIAL,
  colourBegin,
  rxSwitchStep,
  txBytesNeeded,
  txPendingInitial,
  txPendingLength,
  txPendingPop,
  txPendingPush,
  txSplitChunk,
  type RxSwitch,
  type TxPending,
} from '../../../spec/components/serial-virt.ts';

const cfg = { numClients: 3, switchChar: 28, terminateChar: 13 };
function feed(s: RxSwitch, text: string) {
  const actions = [];
  for (const c of text) {
    const r = rxSwitchStep(s, c.charCodeAt(0), cfg);
    s = r.next;
    actions.push(r.action);
  }
  return { s, actions };
}

describe('serial virt decisions', () => {
  it('colour codes and the bytes a transfer needs', () => {
    expect(String.fromCharCode(...colourBegin(0))).toBe('\x1b[31m');
    expect(String.fromCharCode(...colourBegin(7))).toBe('\x1b[32m');
    expect(txBytesNeeded(10, true)).toBe(19);
    expect(txBytesNeeded(10, false)).toBe(10);
    expect(txSplitChunk(16, true)).toBe(7);
    expect(txSplitChunk(9, true)).toBeNull();
  });

  it('tx_pending: FIFO order, one entry per client, wraps modulo clients + 1 forever', () => {
    let p: TxPending = txPendingInitial(2);
    for (let round = 0; round < 10; round++) {
      for (const k of [1, 0, 1]) {
        const r = txPendingPush(p, k);
        if (!('pending' in r)) throw new Error(r.broken);
        p = r.pending;
      }
      expect(txPendingLength(p)).toBe(2);
      const a = txPendingPop(p);
      if (!('pending' in a)) throw new Error(a.broken);
      const b = txPendingPop(a.pending);
      if (!('pending' in b)) throw new Error(b.broken);
      expect([a.client, b.client]).toEqual([1, 0]);
      p = b.pending;
    }
  });

  it('F22 (before 0e60979c): the third push writes past the array', () => {
    const f = { unbounded: true };
    let p: TxPending = txPendingInitial(2);
    const push = (k: number) => txPendingPush(p, k, f);
    let r = push(0);
    p = 'pending' in r ? r.pending : p;
    const popped = txPendingPop(p, f);
    p = 'pending' in popped ? popped.pending : p;
    r = push(1);
    p = 'pending' in r ? r.pending : p;
    r = push(0);
    expect('broken' in r ? r.broken : '').toMatch(/past the 2 entries/);
  });

  it('switch machine: Ctrl-\\ digits Enter switches; invalid, too long and literal cases', () => {
    let { s, actions } = feed(RX_SWITCH_INITIAL, 'a\x1c2\r');
    expect(actions[0]).toEqual({ kind: 'deliver', byte: 0x61 });
    expect(actions.at(-1)).toEqual({ kind: 'switch', from: 0, to: 2 });
    expect(s).toEqual({ mode: 'normal', current: 2, digits: '' });
    ({ s, actions } = feed(s, '\x1c7\r')); // no client 7
    expect(s.current).toBe(2);
    expect(actions.at(-1)).toMatchObject({
      kind: 'none',
      log: expect.stringMatching(/invalid client 7/),
    });
    ({ s, actions } = feed(s, '\x1c12345')); // a fifth digit resets
    expect(s.mode).toBe('normal');
    ({ s, actions } = feed(s, '\x1c\x1c'));
    expect(actions.at(-1)).toEqual({ kind: 'deliver', byte: 28 });
    ({ s, actions } = feed(s, '\x1cx'));
    expect(actions.at(-1)).toMatchObject({ kind: 'none' });
    expect(s).toEqual({ mode: 'normal', current: 2, digits: '' });
    ({ s } = feed(s, '\x1c0001\r')); // leading zeros: client 1
    expect(s.current).toBe(1);
  });
});
