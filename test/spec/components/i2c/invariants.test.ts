// The I²C invariants (spec/components/i2c/invariants.ts) on hand-built queues just inside and just
// outside each one: atomicity (the committed driver queue is whole transactions, no header inside
// a body), translation (each body buffer inside one client's data region as the driver maps it)
// and ownership (the security list names only clients). Each problem says where it is.
import { describe, expect, it } from 'vitest';
import {
  bodyBoundsProblem,
  securityProblem,
  transactionsProblem,
} from '../../../../spec/components/i2c/invariants.ts';
import { BUS_UNCLAIMED } from '../../../../spec/components/i2c/virt.ts';
import { I2cFlag, type I2cCmd } from '../../../../spec/queue/i2c.ts';
import { DATA_SIZE, DRIVER_VADDR, client, head } from './rig.ts';

const clients = [client(0), client(1)];
/** A body command as the driver sees it: a pointer into client k's driver mapping. */
const body = (k: number, off: bigint, len = 1, flagMask: number = I2cFlag.STOP): I2cCmd => ({
  payload: DRIVER_VADDR + 0x1000n * BigInt(k) + off,
  dataLen: len,
  flagMask,
});

describe('i2c invariants: atomicity', () => {
  it('whole transactions pass, back to back', () => {
    expect(
      transactionsProblem(
        [head(1, 0x10), body(0, 0n), head(2, 0x11), body(1, 1n), body(1, 2n)],
        clients,
      ),
    ).toBe(null);
    expect(transactionsProblem([], clients)).toBe(null);
  });

  it('names a body command or a malformed header where a header belongs, at its entry', () => {
    expect(transactionsProblem([head(1, 0x10), body(0, 0n), body(0, 1n)], clients)).toBe(
      'atomicity: driver queue entry 2 is a body command where a transaction header belongs',
    );
    const bad: I2cCmd = { ...head(1, 0x10), flagMask: I2cFlag.HEAD | I2cFlag.READ };
    expect(transactionsProblem([bad, body(0, 0n)], clients)).toBe(
      'atomicity: driver queue entry 0 is a malformed header where a transaction header belongs',
    );
  });

  it('a transaction cut short, at any position, says how many commands follow', () => {
    expect(transactionsProblem([head(3, 0x10), body(0, 0n), body(0, 1n)], clients)).toBe(
      'atomicity: a transaction of 3 commands at entry 0 is cut short (2 follow)',
    );
    expect(
      transactionsProblem(
        [head(1, 0x10), body(0, 0n), head(3, 0x10), body(0, 0n), body(0, 1n)],
        clients,
      ),
    ).toBe('atomicity: a transaction of 3 commands at entry 2 is cut short (2 follow)');
    expect(transactionsProblem([head(1, 0x10), body(0, 0n), head(1, 0x10)], clients)).toBe(
      'atomicity: a transaction of 1 commands at entry 2 is cut short (0 follow)',
    );
  });

  it('a header inside a body is found at its entry, before its bounds are looked at', () => {
    expect(
      transactionsProblem(
        [head(1, 0x10), body(0, 0n), head(2, 0x10), body(0, 0n), head(1, 0x11), body(1, 0n)],
        clients,
      ),
    ).toBe('atomicity: entry 4 is a header inside the transaction at 2');
  });
});

describe('i2c invariants: translation', () => {
  it('a buffer is inside when it ends exactly at the end of a region; one byte more is not', () => {
    expect(bodyBoundsProblem(body(1, DATA_SIZE - 4n, 4), clients)).toBe(null);
    expect(bodyBoundsProblem(body(1, 0n, Number(DATA_SIZE)), clients)).toBe(null);
    expect(bodyBoundsProblem(body(1, DATA_SIZE - 4n, 5), clients)).toMatch(/not inside/);
    expect(bodyBoundsProblem(body(0, -1n, 1), clients)).toMatch(/not inside/);
    // client 2's region exists only when client 2 does
    expect(bodyBoundsProblem(body(2, 0n), clients)).toMatch(/not inside/);
  });

  it('names the body entry whose buffer is outside', () => {
    expect(
      transactionsProblem(
        [head(1, 0x10), body(0, 0n), head(2, 0x10), body(0, 0n), body(0, DATA_SIZE)],
        clients,
      ),
    ).toMatch(/^translation: entry 4: buffer \[0x10000100, \+1\)/);
  });
});

describe('i2c invariants: ownership', () => {
  const list = (entries: Record<number, number>) => {
    const s = new Array<number>(128).fill(BUS_UNCLAIMED);
    for (const [a, o] of Object.entries(entries)) s[Number(a)] = o;
    return s;
  };

  it('unclaimed addresses and owners 0 .. clientCount − 1 pass', () => {
    expect(securityProblem(list({}), 3)).toBe(null);
    expect(securityProblem(list({ 0: 0, 0x20: 2, 0x7f: 1 }), 3)).toBe(null);
  });

  it('an owner that is not a client (≥ count, negative, fractional) is named with its address', () => {
    expect(securityProblem(list({ 0x20: 3 }), 3)).toBe(
      'bus address 0x20 is owned by 3, not a client',
    );
    expect(securityProblem(list({ 0x7f: 4 }), 3)).toBe(
      'bus address 0x7f is owned by 4, not a client',
    );
    expect(securityProblem(list({ 0x21: -2 }), 3)).toBe(
      'bus address 0x21 is owned by -2, not a client',
    );
    expect(securityProblem(list({ 0x22: 1.5 }), 3)).toBe(
      'bus address 0x22 is owned by 1.5, not a client',
    );
    expect(securityProblem(list({ 0: 0 }), 0)).toBe('bus address 0x0 is owned by 0, not a client');
  });
});
