// i2c_addr_t is a uint8_t upstream (include/sddf/i2c/queue.h at au-ts/sddf 650ace5d, line 66;
// issue 12 part 3): a bus address is a u8 in the HEAD command and in the response.
import { describe, expect, it } from 'vitest';
import { InvariantError } from '../../../spec/common/assert.ts';
import {
  I2C_ADDR_MAX,
  i2cAddrProblem,
  i2cHeaderPayload,
  i2cResponseProblem,
} from '../../../spec/queue/i2c.ts';

describe('i2c bus addresses are u8', () => {
  it('0..255 fit, 256 and -1 do not', () => {
    expect(I2C_ADDR_MAX).toBe(0xff);
    expect(i2cAddrProblem(0)).toBeNull();
    expect(i2cAddrProblem(0x7f)).toBeNull();
    expect(i2cAddrProblem(0xff)).toBeNull();
    expect(i2cAddrProblem(0x100)).toMatch(/u8/);
    expect(i2cAddrProblem(-1)).toMatch(/u8/);
  });

  it('a HEAD payload: batch_len in bytes 0-1, the address in byte 2', () => {
    expect(i2cHeaderPayload(3, 0x50)).toBe(0x50_0003n);
    expect(i2cHeaderPayload(0xffff, 0xff)).toBe(0xff_ffffn);
    expect(() => i2cHeaderPayload(1, 0x100)).toThrow(InvariantError);
    expect(() => i2cHeaderPayload(0x1_0000, 1)).toThrow(InvariantError);
  });

  it('a response with a 9-bit bus address is rejected', () => {
    expect(i2cResponseProblem({ errCmd: 0n, busAddress: 0x50, error: 0 })).toBeNull();
    expect(i2cResponseProblem({ errCmd: 0n, busAddress: 0x150, error: 0 })).toMatch(/u8/);
    expect(i2cResponseProblem({ errCmd: 0n, busAddress: 1, error: 42 as never })).toMatch(
      /i2c_err_t/,
    );
  });
});
