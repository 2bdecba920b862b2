// The serial virtualisers' decisions (spec/components/serial-virt.ts; serial/components/virt_tx.c
// and virt_rx.c at au-ts/sddf 650ace5d): each function's pre- and post-conditions, with the
// just-inside and just-outside cases of every bound.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  COLOUR_BEGIN_LEN,
  COLOUR_END,
  COLOUR_END_LEN,
  RX_SWITCH_INITIAL,
  SERIAL_MAX_CLIENTS,
  SERIAL_MAX_CLI_BASE_10,
  SERIAL_SWITCH_CHAR,
  SERIAL_TERMINATE_NUM_CHAR,
  colourBegin,
  rxSwitchStep,
  txBytesNeeded,
  txNeverFits,
  txPendingInitial,
  txPendingLength,
  txPendingPop,
  txPendingPush,
  txSplitChunk,
  type RxSwitch,
  type TxPending,
} from '../../../../spec/components/serial-virt.ts';

const ok = (r: ReturnType<typeof txPendingPush>): TxPending => {
  if (!('pending' in r)) throw new Error(r.broken);
  return r.pending;
};
const popOk = (r: ReturnType<typeof txPendingPop>) => {
  if (!('pending' in r)) throw new Error(r.broken);
  return r;
};

describe('constants (sdfgen and virt_rx.c defaults)', () => {
  it('switch char Ctrl-\\, terminator \\r, four digits, 64 clients', () => {
    expect(SERIAL_SWITCH_CHAR).toBe(28);
    expect(SERIAL_TERMINATE_NUM_CHAR).toBe(13);
    expect(SERIAL_MAX_CLI_BASE_10).toBe(4);
    expect(SERIAL_MAX_CLIENTS).toBe(64);
  });
});

describe('colour codes', () => {
  it('\\x1b[3Xm with X = 1..6 by client mod 6; \\x1b[0m to end', () => {
    const s = (b: readonly number[]) => String.fromCharCode(...b);
    expect([0, 1, 2, 3, 4, 5, 6, 11].map((k) => s(colourBegin(k)))).toEqual([
      '\x1b[31m',
      '\x1b[32m',
      '\x1b[33m',
      '\x1b[34m',
      '\x1b[35m',
      '\x1b[36m',
      '\x1b[31m',
      '\x1b[36m',
    ]);
    expect(s(COLOUR_END)).toBe('\x1b[0m');
    expect(COLOUR_BEGIN_LEN).toBe(colourBegin(0).length);
    expect(COLOUR_END_LEN).toBe(COLOUR_END.length);
  });
  it('a client index is a non-negative integer', () => {
    expect(() => colourBegin(-1)).toThrow(/client index -1/);
    expect(() => colourBegin(1.5)).toThrow(/client index 1.5/);
  });
  it('bytes needed: the data, plus 9 with colour', () => {
    expect(txBytesNeeded(0, true)).toBe(9);
    expect(txBytesNeeded(3, false)).toBe(3);
  });
  it('F11: never fits only when strictly larger than the capacity', () => {
    expect(txNeverFits(17, 16)).toBe(true);
    expect(txNeverFits(16, 16)).toBe(false);
  });
  it('split chunk: the capacity less the codes, null when no byte fits', () => {
    expect(txSplitChunk(10, true)).toBe(1);
    expect(txSplitChunk(9, true)).toBeNull();
    expect(txSplitChunk(1, false)).toBe(1);
    expect(txSplitChunk(0, false)).toBeNull();
  });
});

describe('tx_pending', () => {
  it('initial: clients + 1 entries, nobody pending, empty; 1..64 clients', () => {
    expect(txPendingInitial(3)).toStrictEqual({
      queue: [0, 0, 0, 0],
      pending: [false, false, false],
      head: 0,
      tail: 0,
    });
    expect(txPendingInitial(1).queue).toHaveLength(2);
    expect(txPendingInitial(64).pending).toHaveLength(64);
    expect(() => txPendingInitial(0)).toThrow(/0 serial clients/);
    expect(() => txPendingInitial(65)).toThrow(/65 serial clients/);
  });

  it('push: the id at tail, the bit set, tail + 1; a pending client is not queued twice', () => {
    const p0 = txPendingInitial(2);
    const p1 = ok(txPendingPush(p0, 1));
    expect(p1).toStrictEqual({ queue: [1, 0, 0], pending: [false, true], head: 0, tail: 1 });
    expect(p0).toStrictEqual(txPendingInitial(2)); // the old value is untouched
    const again = txPendingPush(p1, 1);
    expect('pending' in again && again.pending).toBe(p1);
    expect(txPendingLength(p1)).toBe(1);
  });

  it('push of a client out of range is our bug', () => {
    const p = txPendingInitial(2);
    expect(() => txPendingPush(p, 2)).toThrow(/client 2 of 2/);
    expect(() => txPendingPush(p, -1)).toThrow(/client -1 of 2/);
  });

  it('length wraps modulo clients + 1', () => {
    const p: TxPending = { queue: [0, 1, 0], pending: [true, true], head: 2, tail: 1 };
    expect(txPendingLength(p)).toBe(2);
    expect(txPendingLength({ ...p, head: 1 })).toBe(0);
    expect(txPendingLength({ ...p, head: 0, tail: 2 })).toBe(2);
  });

  it('tail and head wrap to 0 after the last entry', () => {
    let p = txPendingInitial(2);
    p = ok(txPendingPush(p, 0));
    p = ok(txPendingPush(p, 1));
    p = popOk(txPendingPop(p)).pending;
    p = ok(txPendingPush(p, 0));
    expect(p.tail).toBe(0);
    expect(p.queue).toEqual([0, 1, 0]);
    const a = popOk(txPendingPop(p));
    expect(a.client).toBe(1);
    const b = popOk(txPendingPop(a.pending));
    expect(b.client).toBe(0);
    expect(b.pending.head).toBe(0);
    expect(b.pending.pending).toEqual([false, false]);
  });

  it('pop: the oldest, its bit cleared; on an empty FIFO our bug', () => {
    let p = txPendingInitial(3);
    p = ok(txPendingPush(p, 2));
    p = ok(txPendingPush(p, 0));
    const a = popOk(txPendingPop(p));
    expect(a.client).toBe(2);
    expect(a.pending).toStrictEqual({
      queue: [2, 0, 0, 0],
      pending: [true, false, false],
      head: 1,
      tail: 2,
    });
    expect(() => txPendingPop(txPendingInitial(2))).toThrow(/empty FIFO/);
  });

  it('the C assert: a push with every client pending (corrupt bits) is refused', () => {
    const p: TxPending = { queue: [0, 1, 0], pending: [true, false], head: 0, tail: 2 };
    expect(txPendingPush(p, 1)).toEqual({
      broken: 'tx_pending_push: 2 clients already pending',
    });
  });

  it('FIFO order over any sequence of pushes and pops (model: an array without duplicates)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 5 }),
        fc.array(fc.integer({ min: -1, max: 4 }), { maxLength: 40 }),
        (n, ops) => {
          let p = txPendingInitial(n);
          const model: number[] = [];
          for (const op of ops) {
            if (op < 0 || op >= n) {
              if (model.length === 0) continue;
              const r = popOk(txPendingPop(p));
              expect(r.client).toBe(model.shift());
              p = r.pending;
            } else {
              p = ok(txPendingPush(p, op));
              if (!model.includes(op)) model.push(op);
            }
            expect(txPendingLength(p)).toBe(model.length);
            expect(p.pending.map((b, k) => (b ? k : -1)).filter((k) => k >= 0)).toEqual(
              [...model].sort((a, b) => a - b),
            );
          }
        },
      ),
    );
  });

  it('F22 (before 0e60979c): unbounded indices over an array of `clients` entries', () => {
    const f = { unbounded: true };
    let p = txPendingInitial(2);
    p = ok(txPendingPush(p, 0, f));
    p = ok(txPendingPush(p, 1, f));
    expect(p.tail).toBe(2); // not wrapped
    expect(txPendingLength(p, f)).toBe(2);
    const a = popOk(txPendingPop(p, f));
    const b = popOk(txPendingPop(a.pending, f));
    expect([a.client, b.client]).toEqual([0, 1]);
    expect(b.pending.head).toBe(2);
    // Both indices at 2: the array has 2 entries, so the next push writes past it.
    expect(txPendingPush(b.pending, 0, f)).toEqual({
      broken: 'tx_pending_push: queue[2] is past the 2 entries',
    });
    // The same FIFO at HEAD is fine (3 entries).
    expect('pending' in txPendingPush(b.pending, 0)).toBe(true);
    // A pop whose head is past the array.
    const past: TxPending = { queue: [0, 0, 0], pending: [true, false], head: 2, tail: 3 };
    expect(txPendingPop(past, f)).toEqual({
      broken: 'tx_pending_pop: queue[2] is past the 2 entries',
    });
    expect(txPendingLength(past, f)).toBe(1);
    // At HEAD head = 2 < 3 entries: a pop.
    expect(popOk(txPendingPop({ ...past, tail: 0 })).client).toBe(0);
  });

  it('F22 length is the u32 difference of the unbounded indices', () => {
    const p: TxPending = { queue: [0, 0], pending: [false], head: 0xffff_ffff, tail: 0 };
    expect(txPendingLength(p, { unbounded: true })).toBe(1);
    expect(txPendingLength({ ...p, head: 5, tail: 7 }, { unbounded: true })).toBe(2);
  });
});

describe("virt_rx's switch machine", () => {
  const cfg = { numClients: 3, switchChar: 28, terminateChar: 13 };
  const step = (s: RxSwitch, c: string | number) =>
    rxSwitchStep(s, typeof c === 'number' ? c : c.charCodeAt(0), cfg);
  const at = (mode: RxSwitch['mode'], digits = '', current = 1): RxSwitch => ({
    mode,
    current,
    digits,
  });

  it('normal: a byte is delivered, the switch char switches mode', () => {
    expect(step(at('normal'), 'a')).toEqual({
      next: at('normal'),
      action: { kind: 'deliver', byte: 97 },
    });
    expect(step(at('normal'), 28)).toEqual({ next: at('switched'), action: { kind: 'none' } });
    expect(RX_SWITCH_INITIAL).toEqual({ mode: 'normal', current: 0, digits: '' });
  });

  it("switched: a digit starts the number ('0' and '9' both digits)", () => {
    expect(step(at('switched'), '0')).toEqual({
      next: at('number', '0'),
      action: { kind: 'none' },
    });
    expect(step(at('switched'), '9').next).toEqual(at('number', '9'));
  });

  it("switched: '/' and ':' (around the digits) are invalid and logged", () => {
    for (const c of ['/', ':']) {
      expect(step(at('switched'), c)).toEqual({
        next: at('normal'),
        action: {
          kind: 'none',
          log: `VIRT_RX|LOG: User entered an invalid digit ${c.charCodeAt(0)}`,
        },
      });
    }
  });

  it('switched: a second switch char is a literal one, back to normal', () => {
    expect(step(at('switched'), 28)).toEqual({
      next: at('normal'),
      action: { kind: 'deliver', byte: 28 },
    });
  });

  it('number: digits accumulate up to four; a fifth or a non-digit resets with a log', () => {
    expect(step(at('number', '12'), '3')).toEqual({
      next: at('number', '123'),
      action: { kind: 'none' },
    });
    expect(step(at('number', '123'), '9').next).toEqual(at('number', '1239'));
    const tooLong = { kind: 'none', log: 'VIRT_RX|LOG: User entered too many or invalid digits' };
    expect(step(at('number', '1234'), '5')).toEqual({ next: at('normal'), action: tooLong });
    expect(step(at('number', '1'), 'x')).toEqual({ next: at('normal'), action: tooLong });
    expect(step(at('number', '1'), ':')).toEqual({ next: at('normal'), action: tooLong });
    expect(step(at('number', '1'), '/')).toEqual({ next: at('normal'), action: tooLong });
  });

  it('number + terminator: the last client switches, one past does not', () => {
    expect(step(at('number', '2'), 13)).toEqual({
      next: at('normal', '', 2),
      action: { kind: 'switch', from: 1, to: 2 },
    });
    expect(step(at('number', '0002'), 13).next.current).toBe(2);
    expect(step(at('number', '3'), 13)).toEqual({
      next: at('normal'),
      action: { kind: 'none', log: 'VIRT_RX|LOG: User requested to switch to an invalid client 3' },
    });
  });

  it('the terminator in normal mode is an ordinary byte', () => {
    expect(step(at('normal'), 13).action).toEqual({ kind: 'deliver', byte: 13 });
  });

  it('an input that is not a byte, or a current client out of range, is our bug', () => {
    expect(() => step(at('normal'), 256)).toThrow(/input 256 is a byte/);
    expect(() => step(at('normal'), -1)).toThrow(/input -1 is a byte/);
    expect(step(at('normal'), 255).action).toEqual({ kind: 'deliver', byte: 255 });
    expect(step(at('normal'), 0).action).toEqual({ kind: 'deliver', byte: 0 });
    expect(() => step(at('normal', '', 3), 'a')).toThrow(/current client 3/);
    expect(() => step(at('normal', '', -1), 'a')).toThrow(/current client -1/);
    expect(step(at('normal', '', 0), 'a').action).toEqual({ kind: 'deliver', byte: 97 });
    expect(step(at('normal', '', 2), 'a').next.current).toBe(2);
    expect(() => rxSwitchStep(at('normal'), 1.5, cfg)).toThrow(/is a byte/);
  });
});
