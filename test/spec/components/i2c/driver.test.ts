// The driver's side of the I²C request queue (spec/components/i2c/driver.ts driverTake; upstream
// au-ts/sddf 650ace5d drivers/i2c/i2c_common.c state_req, state_sel_cmd). Pre: the committed
// part of the queue. Post: commands before the next header are discarded and counted; the header
// and its batch_len body commands are taken as one transaction addressed to the header's u8
// address; a header claiming more than I2C_MAX_DATA_SIZE or more than is committed is
// `incoherent` (upstream asserts: the virt is broken); with no header left the queue is empty.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { I2C_MAX_DATA_SIZE, driverTake } from '../../../../spec/components/i2c/driver.ts';
import { i2cStateReqInitial } from '../../../../spec/queue/i2c-state.ts';
import { I2cFlag, type I2cCmd } from '../../../../spec/queue/i2c.ts';
import { CAP, head, push, read, txn, write } from './rig.ts';

const queue = (cmds: readonly I2cCmd[], cap = CAP) => push(i2cStateReqInitial(cap), cmds, cap);

describe('i2c driver: taking a transaction', () => {
  it('takes a header and exactly its body, leaving the next transaction', () => {
    const t = driverTake(CAP, queue([...txn(0x21, 2), ...txn(0x22, 1)]));
    expect(t.kind).toBe('transaction');
    if (t.kind !== 'transaction') return;
    expect(t.discarded).toBe(0);
    expect(t.transaction).toEqual({
      address: 0x21,
      header: head(2, 0x21),
      body: [write(0), write(1)],
    });
    const next = driverTake(CAP, t.state);
    expect(next.kind === 'transaction' && next.transaction.address).toBe(0x22);
    expect(driverTake(CAP, next.state)).toEqual({ kind: 'empty', state: next.state, discarded: 0 });
  });

  it('discards and counts the commands before a header (the rest of a failed request)', () => {
    const t = driverTake(CAP, queue([write(5), read(6), ...txn(0x30, 1)]));
    expect(
      t.kind === 'transaction' && [t.discarded, t.transaction.address, t.transaction.body],
    ).toEqual([2, 0x30, [write(0)]]);
    const none = driverTake(CAP, queue([write(1), write(2), write(3)]));
    expect(none.kind).toBe('empty');
    expect(none.kind === 'empty' && none.discarded).toBe(3);
    expect(none.state.head).toBe(3);
  });

  it('discards a whole queue of non-headers, capacity − 1 of them', () => {
    const cmds = Array.from({ length: CAP - 1 }, (_, k) => write(k));
    const none = driverTake(CAP, queue(cmds));
    expect(none).toMatchObject({ kind: 'empty', discarded: CAP - 1 });
    expect(none.state.head).toBe(none.state.tail);
  });

  it('a header claiming more than is committed is incoherent', () => {
    const t = driverTake(CAP, queue([head(3, 0x10), write(0), write(1)]));
    expect(t.kind).toBe('incoherent');
    expect(t.kind === 'incoherent' && t.why).toMatch(/claims 3 commands, 2 committed/);
  });

  it('batch_len up to I2C_MAX_DATA_SIZE (256) is taken; 257 is incoherent however much is committed', () => {
    const cap = 300;
    const big = (n: number) => [
      head(n, 0x10),
      ...Array.from({ length: n }, (_, k) => write(k % 256)),
    ];
    const t = driverTake(cap, queue(big(I2C_MAX_DATA_SIZE), cap));
    expect(t.kind === 'transaction' && t.transaction.body.length).toBe(256);
    const over = driverTake(cap, queue(big(I2C_MAX_DATA_SIZE + 1), cap));
    expect(over.kind).toBe('incoherent');
    expect(over.kind === 'incoherent' && over.why).toMatch(/claims 257 commands, 257 committed/);
  });

  it('property: the taken transactions and discards account for every committed command', () => {
    const cmd = fc.oneof(
      fc.integer({ min: 1, max: 3 }).map((n) => txn(0x10 + n, n)),
      fc.constant([write(9, 1, I2cFlag.STOP)]),
    );
    fc.assert(
      fc.property(fc.array(cmd, { maxLength: 6 }), (parts) => {
        const cmds = parts.flat().slice(0, CAP - 1);
        let q = queue(cmds);
        const seen: I2cCmd[] = [];
        for (let k = 0; k < CAP; k++) {
          const t = driverTake(CAP, q);
          if (t.kind === 'incoherent') {
            // Only a header whose body the slice cut off (it did not fit the queue).
            const h = cmds.findIndex((c, i) => i >= seen.length && c.flagMask === I2cFlag.HEAD);
            expect(h + 1 + Number(cmds[h]!.payload & 0xffffn)).toBeGreaterThan(cmds.length);
            return;
          }
          q = t.state;
          if (t.kind === 'empty') {
            expect(seen.length + t.discarded).toBe(cmds.length);
            return;
          }
          for (let d = 0; d < t.discarded; d++) seen.push(cmds[seen.length]!);
          expect(cmds.slice(seen.length, seen.length + 1 + t.transaction.body.length)).toEqual([
            t.transaction.header,
            ...t.transaction.body,
          ]);
          seen.push(t.transaction.header, ...t.transaction.body);
        }
      }),
      { numRuns: 200 },
    );
  });
});
