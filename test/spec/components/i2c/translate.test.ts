// The virt's command checks (spec/components/i2c/virt.ts parseHeader, headerAddress, translateBody;
// upstream au-ts/sddf 650ace5d include/sddf/i2c/queue.h i2c_parse_cmd_header, virt.c lines
// 210-261). Pre: a command as the client committed it. Post: a header parses to its batch_len
// (0 not a header, -1 malformed); a body command is accepted, with its pointer moved from the
// client's mapping of its data region to the driver's, exactly when its buffer lies in the region
// (U4: upstream's `data > vaddr + size`), its flags are known, it is not a header, and a repeated
// start follows a command in the same direction and is not a write-read.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { I2cErr, I2cFlag, i2cHeaderPayload, type I2cCmd } from '../../../../spec/queue/i2c.ts';
import {
  I2C_VIRT_FIXED,
  headerAddress,
  parseHeader,
  translateBody,
  type I2cVirtFlavour,
} from '../../../../spec/components/i2c/virt.ts';
import { bodyBoundsProblem } from '../../../../spec/components/i2c/invariants.ts';
import { CLIENT_VADDR, DATA_SIZE, DRIVER_VADDR, client, read, write } from './rig.ts';

const U4: I2cVirtFlavour = { ...I2C_VIRT_FIXED, pointerCheck: 'U4' };
const c0 = client(0);
const END = Number(DATA_SIZE);
const at = (payload: bigint, dataLen: number, flagMask: number): I2cCmd => ({
  payload,
  dataLen,
  flagMask,
});
const accepted = (cmd: I2cCmd, prev: I2cCmd | null = null, f = I2C_VIRT_FIXED) => {
  const t = translateBody(cmd, prev, c0, f);
  return 'cmd' in t;
};
const refusal = (cmd: I2cCmd, prev: I2cCmd | null = null, f = I2C_VIRT_FIXED) => {
  const t = translateBody(cmd, prev, c0, f);
  return 'error' in t ? t.error : null;
};

describe('i2c virt: headers', () => {
  it('parses batch_len; HEAD with other flags or batch_len 0 is malformed; no HEAD is 0', () => {
    expect(parseHeader(at(i2cHeaderPayload(3, 0x10), 0, I2cFlag.HEAD))).toBe(3);
    expect(parseHeader(at(i2cHeaderPayload(0xffff, 0x10), 0, I2cFlag.HEAD))).toBe(0xffff);
    expect(parseHeader(at(i2cHeaderPayload(0, 0x10), 0, I2cFlag.HEAD))).toBe(-1);
    expect(parseHeader(at(i2cHeaderPayload(2, 0x10), 0, I2cFlag.HEAD | I2cFlag.READ))).toBe(-1);
    expect(parseHeader(at(i2cHeaderPayload(2, 0x10), 0, I2cFlag.STOP))).toBe(0);
  });

  it('the address is the u8 at byte 2 of the union, whatever the bytes above it hold', () => {
    expect(headerAddress(at(i2cHeaderPayload(5, 0x7f), 0, I2cFlag.HEAD))).toBe(0x7f);
    expect(headerAddress(at(i2cHeaderPayload(5, 0xff), 0, I2cFlag.HEAD))).toBe(0xff);
    expect(headerAddress(at(0xabcd_1234_0055_0002n, 0, I2cFlag.HEAD))).toBe(0x55);
  });
});

describe('i2c virt: body commands, bounded (fixed)', () => {
  it('accepts a buffer from the first byte up to exactly the end, and translates it', () => {
    const whole = translateBody(write(0, END), null, c0, I2C_VIRT_FIXED);
    expect(whole).toEqual({ cmd: { ...write(0, END), payload: DRIVER_VADDR } });
    const last = translateBody(read(END - 1, 1), null, client(2), I2C_VIRT_FIXED);
    expect('cmd' in last && last.cmd.payload).toBe(DRIVER_VADDR + 0x2000n + DATA_SIZE - 1n);
  });

  it('refuses a buffer that starts before or ends past the region', () => {
    expect(refusal(at(CLIENT_VADDR - 1n, 1, I2cFlag.STOP))).toBe(I2cErr.MALFORMED_TRANSACTION);
    expect(refusal(write(END - 1, 2))).toBe(I2cErr.MALFORMED_TRANSACTION);
    expect(refusal(write(END, 1))).toBe(I2cErr.MALFORMED_TRANSACTION);
  });

  it('a write-read needs a register byte; a zero-length plain write or read is fine', () => {
    expect(refusal(write(0, 0, I2cFlag.WRRD))).toBe(I2cErr.MALFORMED_TRANSACTION);
    expect(accepted(write(0, 1, I2cFlag.WRRD))).toBe(true);
    expect(accepted(write(0, 0, I2cFlag.STOP))).toBe(true);
    expect(accepted(read(0, 0))).toBe(true);
  });

  it('refuses unknown flag bits and HEAD (under U4 as well)', () => {
    expect(refusal(write(0, 1, I2cFlag.STOP | 0x20))).toBe(I2cErr.MALFORMED_TRANSACTION);
    expect(refusal(write(0, 1, 0x80))).toBe(I2cErr.MALFORMED_TRANSACTION);
    for (const f of [I2C_VIRT_FIXED, U4])
      expect(refusal(write(0, 1, I2cFlag.HEAD | I2cFlag.STOP), null, f)).toBe(
        I2cErr.MALFORMED_TRANSACTION,
      );
  });
});

describe('i2c virt: repeated starts', () => {
  it('follows a command in the same direction', () => {
    expect(accepted(read(1, 1, I2cFlag.RSTART), read(0))).toBe(true);
    expect(accepted(write(1, 1, I2cFlag.RSTART), write(0))).toBe(true);
  });

  it('refuses one first in a transaction, after a change of direction, or after a write-read', () => {
    expect(refusal(read(1, 1, I2cFlag.RSTART), null)).toBe(I2cErr.MALFORMED_TRANSACTION);
    expect(refusal(read(1, 1, I2cFlag.RSTART), write(0))).toBe(I2cErr.MALFORMED_TRANSACTION);
    expect(refusal(write(1, 1, I2cFlag.RSTART), read(0))).toBe(I2cErr.MALFORMED_TRANSACTION);
    const wrrd = write(0, 1, I2cFlag.WRRD);
    expect(refusal(read(1, 1, I2cFlag.RSTART), wrrd)).toBe(I2cErr.MALFORMED_TRANSACTION);
    expect(refusal(write(1, 1, I2cFlag.RSTART), wrrd)).toBe(I2cErr.MALFORMED_TRANSACTION);
  });

  it('refuses a write-read with RSTART even after a write', () => {
    expect(refusal(write(1, 1, I2cFlag.WRRD | I2cFlag.RSTART), write(0))).toBe(
      I2cErr.MALFORMED_TRANSACTION,
    );
  });
});

describe('i2c virt: body commands, U4 (upstream pointer check)', () => {
  it('lets data == vaddr + size through and ignores data_len; refuses one byte past', () => {
    expect(accepted(at(CLIENT_VADDR + DATA_SIZE, 200, I2cFlag.READ), null, U4)).toBe(true);
    expect(accepted(at(CLIENT_VADDR, 1, I2cFlag.READ), null, U4)).toBe(true);
    expect(refusal(at(CLIENT_VADDR + DATA_SIZE + 1n, 0, I2cFlag.READ), null, U4)).toBe(
      I2cErr.MALFORMED_TRANSACTION,
    );
    expect(refusal(at(CLIENT_VADDR - 1n, 1, I2cFlag.READ), null, U4)).toBe(
      I2cErr.MALFORMED_TRANSACTION,
    );
  });
});

describe('i2c virt: translation postcondition (property)', () => {
  it('an accepted command keeps its length and flags, and its buffer lies in the driver mapping', () => {
    fc.assert(
      fc.property(
        fc.bigInt({ min: -0x20n, max: DATA_SIZE + 0x20n }),
        fc.integer({ min: 0, max: 0xff }),
        fc.integer({ min: 0, max: 0x3f }),
        fc.integer({ min: 0, max: 3 }),
        (off, len, flags, k) => {
          const cmd = at(CLIENT_VADDR + off, len, flags);
          const t = translateBody(cmd, null, client(k), I2C_VIRT_FIXED);
          const inRegion = off >= 0n && off + BigInt(len) <= DATA_SIZE;
          const flagsOk =
            (flags & ~0x1f) === 0 &&
            (flags & (I2cFlag.HEAD | I2cFlag.RSTART)) === 0 &&
            !((flags & I2cFlag.WRRD) !== 0 && len === 0);
          expect('cmd' in t).toBe(inRegion && flagsOk);
          if ('cmd' in t) {
            expect(t.cmd).toEqual({ ...cmd, payload: client(k).driverDataVaddr + off });
            expect(bodyBoundsProblem(t.cmd, [client(0), client(1), client(2), client(3)])).toBe(
              null,
            );
          }
        },
      ),
      { numRuns: 300 },
    );
  });
});
