// The I²C driver's handlers (impl/drivers/i2c/driver.ts; upstream au-ts/sddf 650ace5d
// drivers/i2c/i2c_common.c and meson/i2c.c; reference sddf-protocols.md §2.5, §3.14), each with its
// pre- and post-condition, on the emulated controller (strict: any register or bus misuse is a
// recorded driver error). The test is the virt (it commits transactions and reads responses) and
// watches the bus from the target's side.
//
// Postconditions of one transaction: the bus carries, per command, START, [the write-read prefix
// ADDR_W + data[0] + repeated START], the address (unless RSTART), the data bytes or reads (the
// last read NACKed), [STOP] — whatever the FIFO chunking; the bytes read land at data[0..len);
// exactly one response {err_cmd, bus_address, error}, and the virt is notified.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { I2cReg, I2cToken } from '../../../../impl/hw/i2c.ts';
import { I2cRespQueue } from '../../../../impl/queue/i2c.ts';
import { InvariantError } from '../../../../spec/common/assert.ts';
import { I2C_CAPACITY, I2cErr, I2cFlag, type I2cCmd } from '../../../../spec/queue/i2c.ts';
import { driverTake, type I2cTransaction } from '../../../../spec/components/i2c/driver.ts';
import { readReqQueueState } from '../../../../impl/components/i2c/state.ts';
import { type BusEvent, IRQ_CH, TARGET, VIRT_CH, driverRig, head } from './rig.ts';

const { READ, WRRD, STOP, RSTART } = I2cFlag;
const HEAD_FLAG = I2cFlag.HEAD;
const OK = { errCmd: 0n, busAddress: TARGET, error: I2cErr.OK };

/** The token stream a command puts on the bus (its kinds, in order). */
function tokensOf(c: I2cCmd): number[] {
  const read = (c.flagMask & READ) !== 0;
  const t: number[] = [I2cToken.START];
  if ((c.flagMask & WRRD) !== 0) t.push(I2cToken.ADDR_WRITE, I2cToken.DATA, I2cToken.START);
  if ((c.flagMask & RSTART) === 0) t.push(read ? I2cToken.ADDR_READ : I2cToken.ADDR_WRITE);
  for (let i = 0; i < c.dataLen; i++)
    t.push(read ? (i === c.dataLen - 1 ? I2cToken.READ_LAST : I2cToken.READ) : I2cToken.DATA);
  if ((c.flagMask & STOP) !== 0) t.push(I2cToken.STOP);
  return t;
}

/** What the target sees of a command; reads as {read: -1} (any value). */
function eventsOf(c: I2cCmd, data: (i: number) => number): BusEvent[] {
  const read = (c.flagMask & READ) !== 0;
  const e: BusEvent[] = [];
  if ((c.flagMask & WRRD) !== 0) e.push({ start: 'write' }, { write: data(0) });
  e.push({ start: read ? 'read' : 'write' });
  for (let i = 0; i < c.dataLen; i++)
    e.push(read ? { read: -1, last: i === c.dataLen - 1 } : { write: data(i) });
  if ((c.flagMask & STOP) !== 0) e.push('stop');
  return e;
}

const anyRead = (e: BusEvent): BusEvent =>
  typeof e === 'object' && 'read' in e ? { read: -1, last: e.last } : e;

describe('i2c driver: a valid transaction (the bus sequence, the bytes, one response)', () => {
  it('writes bytes to the target: START, ADDR_W, data, STOP; responds OK with err_cmd 0', () => {
    const t = driverRig();
    t.bytes.set([0x10, 0xaa, 0xbb, 0xcc], 0);
    const cmd = t.body(0, 4, STOP);
    t.run([head(1), cmd]);
    expect(t.target.log).toEqual(eventsOf(cmd, (i) => t.bytes[i]!));
    expect(t.regs.lists().flat()).toEqual(tokensOf(cmd));
    expect(t.target.file.bytes.subarray(0x10, 0x13)).toEqual(new Uint8Array([0xaa, 0xbb, 0xcc]));
    expect(t.responses()).toEqual([OK]);
    expect(t.rec.notified).toEqual([VIRT_CH]);
    expect(t.controller.errors).toEqual([]);
    expect(t.counters()).toMatchObject({
      transactions: 1,
      commands: 1,
      errors: 0,
      discarded: 0,
      spuriousIrqs: 0,
      responsesDropped: 0,
    });
  });

  it('a write-read sends the register byte data[0], a repeated START, then reads into data[0..len)', () => {
    const t = driverRig();
    t.target.file.bytes.set([1, 2, 3, 4, 5], 0x20);
    t.bytes[8] = 0x20;
    const cmd = t.body(8, 5, WRRD | READ | STOP);
    t.run([head(1), cmd]);
    expect(t.regs.lists().flat()).toEqual(tokensOf(cmd));
    expect(t.target.log).toEqual([
      { start: 'write' },
      { write: 0x20 },
      { start: 'read' },
      { read: 1, last: false },
      { read: 2, last: false },
      { read: 3, last: false },
      { read: 4, last: false },
      { read: 5, last: true }, // the last read byte is NACKed (READ_LAST)
      'stop',
    ]);
    expect(t.bytes.subarray(8, 13)).toEqual(new Uint8Array([1, 2, 3, 4, 5]));
    expect(t.bytes[13]).toBe(0); // nothing past data_len
    expect(t.responses()).toEqual([OK]);
  });

  it('a command longer than the FIFO is carried in several lists, every byte once, in order', () => {
    const t = driverRig();
    const N = 40;
    for (let i = 0; i < N; i++) t.bytes[1 + i] = (i * 37 + 5) & 0xff;
    t.bytes[0] = 0x30; // the register pointer
    const w = t.body(0, N + 1, STOP);
    t.run([head(1), w]);
    t.bytes[0x100] = 0x30;
    const r = t.body(0x100, N, WRRD | READ | STOP);
    t.run([head(1), r]);
    expect(t.bytes.subarray(0x100, 0x100 + N)).toEqual(t.bytes.subarray(1, 1 + N));
    expect(t.regs.lists().flat()).toEqual([...tokensOf(w), ...tokensOf(r)]);
    expect(t.regs.lists().every((l) => l.length <= 16)).toBe(true);
    expect(t.counters()['lists']).toBeGreaterThan(4);
    expect(t.controller.errors).toEqual([]);
    expect(t.responses()).toEqual([OK, OK]);
  });

  it('a STOP that no longer fits the list after the data is sent in the next one', () => {
    // START + ADDR_W + 13 bytes fill the 15 tokens the driver puts in a list.
    const t = driverRig();
    const cmd = t.body(0, 13, STOP);
    t.run([head(1), cmd]);
    expect(t.target.log.at(-1)).toBe('stop');
    expect(t.target.log).toEqual(eventsOf(cmd, (i) => t.bytes[i]!));
    expect(t.responses()).toEqual([OK]);
  });

  it('a command without STOP keeps the bus: no stop condition reaches the target', () => {
    const t = driverRig();
    const a = t.body(0, 2, 0);
    const b = t.body(4, 2, READ | STOP);
    t.run([head(2), a, b]);
    expect(t.target.log.map(anyRead)).toEqual([
      ...eventsOf(a, (i) => t.bytes[i]!),
      ...eventsOf(b, () => 0),
    ]);
    expect(t.target.log.filter((e) => e === 'stop')).toHaveLength(1);
    expect(t.regs.lists().flat()).toEqual([...tokensOf(a), ...tokensOf(b)]);
    expect(t.responses()).toEqual([OK]);
  });

  it('a zero-length command is START, its address, and STOP if asked', () => {
    const t = driverRig();
    const a = t.body(0, 0, STOP);
    const b = t.body(0, 0, READ);
    t.run([head(2), a, b]);
    expect(t.target.log).toEqual([{ start: 'write' }, 'stop', { start: 'read' }]);
    expect(t.regs.lists().flat()).toEqual([...tokensOf(a), ...tokensOf(b)]);
    expect(t.responses()).toEqual([OK]);
  });

  it('property: any valid transaction puts its exact bus sequence on the bus and stores what was read', () => {
    const cmdArb = fc
      .record({
        read: fc.boolean(),
        wrrd: fc.boolean(),
        len: fc.integer({ min: 0, max: 40 }),
        stop: fc.boolean(),
      })
      .map((c) => ({ ...c, len: c.wrrd ? Math.max(1, c.len) : c.len }));
    fc.assert(
      fc.property(
        fc.array(cmdArb, { minLength: 1, maxLength: 4 }),
        fc.uint8Array({ minLength: 256, maxLength: 256 }),
        fc.uint8Array({ minLength: 256, maxLength: 256 }),
        (spec, device, buffer) => {
          const t = driverRig();
          t.target.file.bytes.set(device);
          t.bytes.set(buffer);
          const before = Uint8Array.from(t.bytes);
          const cmds = spec.map((c, k) =>
            t.body(k * 64, c.len, (c.read ? READ : 0) | (c.wrrd ? WRRD : 0) | (c.stop ? STOP : 0)),
          );
          t.run([head(cmds.length), ...cmds]);
          expect(t.responses()).toEqual([OK]);
          expect(t.controller.errors).toEqual([]);
          expect(t.regs.lists().flat()).toEqual(cmds.flatMap(tokensOf));
          const expected = cmds.flatMap((c, k) => eventsOf(c, (i) => before[k * 64 + i]!));
          expect(t.target.log.map(anyRead)).toEqual(expected);
          // The bytes read, in bus order, are what each read command's buffer now holds.
          const reads = t.target.log.flatMap((e) =>
            typeof e === 'object' && 'read' in e ? [e.read] : [],
          );
          const stored = cmds.flatMap((c, k) =>
            (c.flagMask & READ) !== 0 ? [...t.bytes.subarray(k * 64, k * 64 + c.dataLen)] : [],
          );
          expect(stored).toEqual(reads);
          expect(t.counters()).toMatchObject({
            transactions: 1,
            commands: cmds.length,
            errors: 0,
            responsesDropped: 0,
          });
        },
      ),
      { numRuns: 60 },
    );
  });
});

describe('i2c driver: bus errors end the transaction with the failing command’s index', () => {
  it('a NACK on a write address is NACK, err_cmd = the failing command (1-based); the controller is reset', () => {
    const t = driverRig();
    t.target.nackStart = 'write';
    t.run([head(2, TARGET), t.body(0, 1, READ | STOP), t.body(0, 1, STOP)]);
    expect(t.responses()).toEqual([{ errCmd: 2n, busAddress: TARGET, error: I2cErr.NACK }]);
    expect(t.regs.writes.at(-1)).toEqual([I2cReg.CTRL, 2]); // i2c_halt: RESET last
    expect(t.counters()).toMatchObject({ errors: 1, transactions: 1, commands: 2 });
    expect(t.rec.notified).toEqual([VIRT_CH]);
  });

  it('a NACK on a read address is NOREAD (meson state_cmd_ret)', () => {
    const t = driverRig();
    t.run([head(1, 0x51), t.body(0, 2, READ | STOP)]); // nothing at 0x51
    expect(t.responses()).toEqual([{ errCmd: 1n, busAddress: 0x51, error: I2cErr.NOREAD }]);
    expect(t.counters()['errors']).toBe(1);
  });

  it('a NACK on a read address after a write-read prefix is still NOREAD (the failing token is looked up by index)', () => {
    const t = driverRig();
    t.target.nackStart = 'read';
    t.bytes[0] = 3;
    t.run([head(1), t.body(0, 2, WRRD | READ | STOP)]);
    expect(t.responses()).toEqual([{ errCmd: 1n, busAddress: TARGET, error: I2cErr.NOREAD }]);
  });

  it('a NACK on a data byte is NACK; the rest of the transaction is discarded before the next header', () => {
    const t = driverRig();
    t.target.nackWrite = 0xee;
    t.bytes.set([0x01, 0xee], 0);
    t.run([head(3), t.body(4, 1, READ), t.body(0, 2, STOP), t.body(8, 1, READ | STOP)]);
    expect(t.responses()).toEqual([{ errCmd: 2n, busAddress: TARGET, error: I2cErr.NACK }]);
    expect(t.counters()).toMatchObject({ commands: 2, discarded: 1, errors: 1 });
    // The next transaction runs normally.
    t.run([head(1), t.body(0, 1, STOP)]);
    expect(t.responses()).toEqual([OK]);
    expect(t.counters()).toMatchObject({ transactions: 2, commands: 3, discarded: 1, errors: 1 });
  });

  it('a repeated START sends no address (i2c_common.c state_sel_cmd): this controller fails it with BADSEQ', () => {
    const t = driverRig();
    const a = t.body(0, 1, 0);
    const b = t.body(4, 1, RSTART | STOP);
    t.run([head(2), a, b]);
    expect(
      t.regs
        .lists()
        .flat()
        .slice(0, tokensOf(a).length + 2),
    ).toEqual([...tokensOf(a), I2cToken.START, I2cToken.DATA]);
    expect(t.responses()).toEqual([{ errCmd: 2n, busAddress: TARGET, error: I2cErr.BADSEQ }]);
    expect(t.controller.errorCodes()).toEqual(['bad-sequence']);
  });

  it('an error response is made only for an error: success leaves the controller unreset', () => {
    const t = driverRig();
    t.run([head(1), t.body(0, 1, STOP)]);
    const resets = t.regs.writes.filter(([o, v]) => o === I2cReg.CTRL && (v & 2) !== 0);
    expect(resets).toHaveLength(1); // init's only
    expect(t.counters()['errors']).toBe(0);
  });
});

describe('i2c driver: notifications', () => {
  it('a virt notification starts one list and yields until the IRQ; the response follows the IRQ', () => {
    const t = driverRig();
    t.commit([head(1), t.body(0, 3, READ | STOP)]);
    t.driver.notified(VIRT_CH);
    expect(t.regs.lists()).toHaveLength(1);
    expect(t.controller.irqAsserted()).toBe(true);
    expect(t.virtResp.empty()).toBe(true);
    expect(t.rec.notified).toEqual([]);
    // Another virt notification while the list is on the bus touches nothing.
    const w = t.regs.writes.length;
    t.driver.notified(VIRT_CH);
    expect(t.regs.writes).toHaveLength(w);
    expect(t.controller.irqAsserted()).toBe(true);
    // The IRQ completes it; the IRQ is acked (deferred) and cleared at the controller.
    t.driver.notified(IRQ_CH);
    t.flush();
    expect(t.rec.deferredIrqAcks).toEqual([IRQ_CH]);
    expect(t.controller.irqAsserted()).toBe(false);
    expect(t.responses()).toEqual([OK]);
    expect(t.rec.notified).toEqual([VIRT_CH]);
  });

  it('an IRQ while idle is spurious: counted, cleared at the controller, acked; queued work is not started', () => {
    const t = driverRig();
    t.commit([head(1), t.body(0, 1, STOP)]); // committed, but the virt has not notified
    const w = t.regs.writes.length;
    t.driver.notified(IRQ_CH);
    t.flush();
    expect(t.counters()['spuriousIrqs']).toBe(1);
    expect(t.regs.writes.slice(w)).toEqual([[I2cReg.IRQ_CLEAR, 1]]);
    expect(t.rec.deferredIrqAcks).toEqual([IRQ_CH]);
    expect(t.target.log).toEqual([]);
  });

  it('a notification on any other channel does nothing', () => {
    const t = driverRig();
    t.commit([head(1), t.body(0, 1, STOP)]);
    const w = t.regs.writes.length;
    t.driver.notified(5);
    t.flush();
    expect(t.regs.writes).toHaveLength(w);
    expect(t.counters()).toMatchObject({ transactions: 0, spuriousIrqs: 0 });
    expect(t.rec).toMatchObject({ notified: [], deferredIrqAcks: [] });
  });
});

describe('i2c driver: what the virt leaves in the queue', () => {
  it('non-header commands before a header are discarded (the rest of a failed transaction)', () => {
    const t = driverRig();
    t.run([t.body(0, 1, STOP), t.body(0, 1, READ), head(1), t.body(0, 1, STOP)]);
    expect(t.counters()).toMatchObject({ discarded: 2, transactions: 1, commands: 1 });
    expect(t.responses()).toEqual([OK]);
  });

  it('only non-headers: all discarded, no transaction, no response, the driver idles', () => {
    const t = driverRig();
    t.run([t.body(0, 1, STOP), t.body(0, 1, READ | STOP)]);
    expect(t.counters()).toMatchObject({ discarded: 2, transactions: 0 });
    expect(t.virtReq.length()).toBe(0);
    expect(t.responses()).toEqual([]);
    expect(t.regs.lists()).toEqual([]);
    // and it still serves the next transaction
    t.run([head(1), t.body(0, 1, STOP)]);
    expect(t.responses()).toEqual([OK]);
  });

  it('a header claiming more commands than committed is the virt’s bug: InvariantError (upstream asserts)', () => {
    const t = driverRig();
    t.commit([head(4), t.body(0, 1, STOP)]);
    expect(() => t.driver.notified(VIRT_CH)).toThrow(InvariantError);
    const u = driverRig();
    u.commit([head(4), u.body(0, 1, STOP)]);
    expect(() => u.driver.notified(VIRT_CH)).toThrow(/claims 4 commands, 1 committed/);
  });

  it('a header inside a transaction is the virt’s bug: InvariantError', () => {
    const t = driverRig();
    t.commit([head(2), t.body(0, 1, 0), head(1)]);
    expect(() => t.run([])).toThrow(/whole transactions/);
  });

  it('a response queue the virt never drains: the response is dropped and counted, the queue kept', () => {
    const t = driverRig();
    const filler = new I2cRespQueue({ region: { buffer: t.resp.buffer!, byteOffset: 0 } });
    const junk = { errCmd: 9n, busAddress: 0x7f, error: I2cErr.OTHER };
    for (let i = 0; i < I2C_CAPACITY - 1; i++) expect(filler.enqueue(junk)).toBe(true);
    t.run([head(1), t.body(0, 1, STOP)]);
    expect(t.counters()).toMatchObject({ responsesDropped: 1, transactions: 1 });
    const all = t.responses();
    expect(all).toHaveLength(I2C_CAPACITY - 1);
    expect(all.every((r) => r.errCmd === 9n)).toBe(true);
    expect(t.rec.notified).toEqual([VIRT_CH]);
  });

  it('a corrupt tail (2^22 commands claimed, none a header) cannot make one notification spin', () => {
    // Bounded work per notification: S_REQ discards at most CAP + 1 commands per pass, fsm() runs
    // at most 8·(CAP + 2) states; the rest waits for the next notification.
    const t = driverRig();
    const words = new Uint32Array(t.req.buffer!, 0, 3);
    words[0] = 1 << 22;
    words[1] = 1 << 22; // tail; head 0; every slot zero (not a header)
    t.driver.notified(VIRT_CH);
    const d = t.counters()['discarded']!;
    expect(d).toBeGreaterThan(0);
    expect(d).toBeLessThanOrEqual(8 * (I2C_CAPACITY + 2) * (I2C_CAPACITY + 1));
    expect(t.regs.lists()).toEqual([]);
  });

  it('property: the driver takes from its queue exactly what the spec’s driverTake takes (transactions, discards, head)', () => {
    // Junk non-headers (what a failed transaction leaves) between whole transactions.
    const item = fc.oneof(
      fc.record({
        junk: fc.constant(true as const),
        payload: fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }),
        flagMask: fc.integer({ min: 0, max: 255 }).map((f) => f & ~HEAD_FLAG),
      }),
      fc.record({
        junk: fc.constant(false as const),
        cmds: fc.array(fc.boolean(), { minLength: 1, maxLength: 3 }),
        address: fc.constantFrom(TARGET, 0x51),
      }),
    );
    fc.assert(
      fc.property(fc.array(item, { maxLength: 40 }), (items) => {
        const t = driverRig();
        const entries: I2cCmd[] = items.flatMap((it) =>
          it.junk
            ? [{ payload: it.payload, dataLen: 0, flagMask: it.flagMask }]
            : [
                head(it.cmds.length, it.address),
                ...it.cmds.map((r) => t.body(0, 1, (r ? READ : 0) | STOP)),
              ],
        );
        t.commit(entries);
        // The spec, on the same queue memory, before the driver runs.
        let q = readReqQueueState(t.req.buffer!, 0, I2C_CAPACITY);
        const taken: I2cTransaction[] = [];
        let discarded = 0;
        for (let i = 0; i <= entries.length; i++) {
          const d = driverTake(I2C_CAPACITY, q);
          expect(d.kind).not.toBe('incoherent');
          if (d.kind === 'incoherent') return;
          q = d.state;
          discarded += d.discarded;
          if (d.kind === 'empty') break;
          taken.push(d.transaction);
        }
        t.driver.notified(VIRT_CH);
        t.flush();
        t.pump();
        const after = readReqQueueState(t.req.buffer!, 0, I2C_CAPACITY);
        expect(after.head).toBe(q.head);
        // A transaction to 0x51 fails at its first command; S_REQ discards the rest of it.
        const failed = taken.filter((x) => x.address !== TARGET);
        const rest = failed.reduce((n, x) => n + x.body.length - 1, 0);
        expect(t.counters()).toMatchObject({
          discarded: discarded + rest,
          transactions: taken.length,
          commands: taken.reduce((n, x) => n + x.body.length, 0) - rest,
        });
        const rs = t.responses();
        expect(rs.map((r) => r.busAddress)).toEqual(taken.map((x) => x.address));
        // Nothing answers at 0x51: the first command's address is NACKed (NOREAD on a read).
        const expected = (x: I2cTransaction) =>
          x.address === TARGET
            ? I2cErr.OK
            : (x.body[0]!.flagMask & READ) !== 0
              ? I2cErr.NOREAD
              : I2cErr.NACK;
        expect(rs.map((r) => r.error)).toEqual(taken.map(expected));
      }),
      { numRuns: 80 },
    );
  });
});
