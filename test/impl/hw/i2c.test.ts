import { describe, expect, it } from 'vitest';
import { VirtualClock } from '../../../impl/hw/clock.ts';
import { Ds3231, fromBcd, secondsOf, timeOf, toBcd } from '../../../impl/hw/ds3231.ts';
import {
  I2cBusError,
  I2cController,
  I2cCtrl,
  I2cReg,
  I2cRegisterFile,
  I2cStatus,
  I2cToken,
} from '../../../impl/hw/i2c.ts';

function controller() {
  const levels: boolean[] = [];
  const c = new I2cController({ name: 'i2c', onIrqLevel: (l) => levels.push(l) });
  const clock = new VirtualClock();
  const rtc = new Ds3231({ clock });
  const eeprom = new I2cRegisterFile(0x50);
  c.attach(rtc);
  c.attach(eeprom);
  const tok = (kind: number, byte = 0) => c.write32(I2cReg.TOKEN, kind | (byte << 8));
  const run = (addr: number, tokens: [number, number?][]) => {
    c.write32(I2cReg.ADDR, addr);
    for (const [k, b] of tokens) tok(k, b ?? 0);
    c.write32(I2cReg.CTRL, I2cCtrl.START);
    const status = c.read32(I2cReg.STATUS);
    const reads: number[] = [];
    for (let n = (c.read32(I2cReg.LEVELS) >>> 8) & 0xff; n > 0; n--)
      reads.push(c.read32(I2cReg.RDATA));
    c.write32(I2cReg.IRQ_CLEAR, 1);
    return { status, reads };
  };
  return { c, clock, rtc, eeprom, run, levels };
}

const { START, ADDR_WRITE, ADDR_READ, DATA, READ, READ_LAST, STOP } = I2cToken;

describe('emulated I²C controller', () => {
  it('writes then reads back an EEPROM with a write-read, across two token lists', () => {
    const { run, eeprom, levels, c } = controller();
    // 1 + 16 data bytes do not fit one 16-token list: the first list ends without STOP.
    const data = Array.from({ length: 16 }, (_, i) => i * 7);
    const first = run(0x50, [
      [START],
      [ADDR_WRITE],
      [DATA, 0x20],
      ...data.slice(0, 12).map((b) => [DATA, b] as [number, number]),
    ]);
    expect(first.status & I2cStatus.ERROR).toBe(0);
    run(0x50, [...data.slice(12).map((b) => [DATA, b] as [number, number]), [STOP]]);
    expect([...eeprom.bytes.subarray(0x20, 0x30)]).toEqual(data);
    const r = run(0x50, [
      [START],
      [ADDR_WRITE],
      [DATA, 0x21],
      [START],
      [ADDR_READ],
      [READ],
      [READ_LAST],
      [STOP],
    ]);
    expect(r.reads).toEqual([data[1], data[2]]);
    expect(levels.filter((l) => l).length).toBe(3);
    expect(c.errorCount).toBe(0);
  });

  it('a missing target NACKs its address; a read address NACK is reported at its token', () => {
    const { run } = controller();
    const r = run(0x33, [[START], [ADDR_READ], [READ_LAST], [STOP]]);
    expect(r.status & I2cStatus.ERROR).toBe(I2cStatus.ERROR);
    expect((r.status >>> 8) & 0xff).toBe(1);
    expect((r.status >>> 16) & 0xf).toBe(I2cBusError.NACK_ADDR);
  });

  it('strict: bad sequences, FIFO overflow, empty RDATA, wide addresses are driver errors', () => {
    const { c, run } = controller();
    const r = run(0x50, [[DATA, 1]]);
    expect((r.status >>> 16) & 0xf).toBe(I2cBusError.BADSEQ);
    for (let i = 0; i < 17; i++) c.write32(I2cReg.TOKEN, START);
    c.read32(I2cReg.RDATA);
    c.write32(I2cReg.ADDR, 0x1ff);
    c.write32(I2cReg.CTRL, I2cCtrl.RESET);
    c.write32(I2cReg.CTRL, I2cCtrl.START);
    expect(c.errorCodes()).toEqual([
      'bad-sequence',
      'token-overflow',
      'rdata-empty',
      'addr-width',
      'empty-start',
    ]);
    expect(c.write16(I2cReg.CTRL, 1)).not.toBeNull(); // 32-bit only: refused on the bus
  });
});

describe('DS3231', () => {
  it('BCD both ways; calendar seconds round-trip', () => {
    for (let v = 0; v < 100; v++) expect(fromBcd(toBcd(v))).toBe(v);
    expect(fromBcd(0x5a)).toBeNull();
    const t = { second: 59, minute: 59, hour: 23, dayOfWeek: 7, date: 31, month: 12, year: 99 };
    expect(timeOf(secondsOf(t), 7)).toEqual(t);
  });

  it('counts on the clock and rolls over the year; a burst read is latched at START', () => {
    const { run, clock, rtc } = controller();
    // Set 2025-12-31 23:59:58, day 3.
    run(0x68, [
      [START],
      [ADDR_WRITE],
      [DATA, 0],
      ...[0x58, 0x59, 0x23, 3, 0x31, 0x12, 0x25].map((b) => [DATA, b] as [number, number]),
      [STOP],
    ]);
    clock.advanceByNs(3_000_000_000n);
    const r = run(0x68, [
      [START],
      [ADDR_WRITE],
      [DATA, 0],
      [START],
      [ADDR_READ],
      [READ],
      [READ],
      [READ],
      [READ],
      [READ],
      [READ],
      [READ_LAST],
      [STOP],
    ]);
    expect(r.reads).toEqual([0x01, 0x00, 0x00, 4, 0x01, 0x01, 0x26]);
    expect(rtc.errorCount).toBe(0);
  });

  it('strict: a value out of range is a recorded error and changes nothing', () => {
    const { run, rtc } = controller();
    run(0x68, [[START], [ADDR_WRITE], [DATA, 0], [DATA, 0x61], [STOP]]);
    expect(rtc.errors.map((e) => e.code)).toEqual(['bad-time-value']);
    expect(rtc.now().second).toBe(0);
  });
});
