// The PL011 driver's handlers (impl/drivers/serial/pl011.ts; reference sddf-protocols.md §3.10
// S1–S3 and §5.3) on the emulated PL011 (impl/hw/pl011.ts, strict, Tx FIFO drained by the test
// so TXFF and the TX interrupt happen), its registers behind the recording wrapper of the net
// driver tests; the test stands at virt_tx's end of the Tx queue and virt_rx's end of the Rx
// queue. Pre-/post-conditions:
//   init (uart_setup): UART off while the line is programmed (no line-control write while
//     enabled, also on a restart), 8 bits, FIFOs on, 115200 baud from 24 MHz, Rx and Tx levels
//     1/8, RX/RT unmasked iff Rx is enabled, RXE iff Rx is enabled; TX masked when nothing waits.
//   S1 tx_provide: characters go to DR in queue order while the Tx FIFO has room, never more than
//     the queue holds; TXIM on iff characters are left; virt_tx notified iff it asked and
//     characters moved.
//   S2 rx_return: characters from DR into the Rx queue while both allow; at a full queue with
//     characters waiting, RX/RT masked and the consumer's signal requested (F7: not `require`);
//     the flag and mask are left alone otherwise; virt_rx notified iff characters moved.
//   S3 the IRQ: RX/RT → rx_return (Rx enabled only), TX → tx_provide, until MIS is clear, a
//     bounded number of rounds; the ack is deferred.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  PL011_DRIVER_COUNTERS,
  pl011DriverComponent,
  type Pl011DriverConfig,
  type Pl011DriverOptions,
} from '../../../../impl/drivers/serial/pl011.ts';
import { Counters } from '../../../../impl/components/net/counters.ts';
import { Cr, Fr, Int, LCRH_FEN, Pl011, Pl011Reg } from '../../../../impl/hw/pl011.ts';
import { res } from '../../components/net/fixture.ts';
import {
  FLAG_SIGNALLED,
  FLAG_WANTS_SIGNAL,
  Layout,
  bytesOf,
  context,
  recordingApi,
  serialQueue,
} from '../../components/serial/fixture.ts';
import { RecordingMmio } from '../net/virtio-rig.ts';

const IRQ = 1;
const TX = 2;
const RX = 3;
const WLEN_8 = 0b11 << 5;
const LCRH_STP2 = 1 << 3;

function rig(
  o: { rx?: boolean; txCap?: number; rxCap?: number; options?: Pl011DriverOptions } = {},
) {
  const out: number[] = [];
  const uart = new Pl011({ name: 'uart', output: (b) => out.push(b), txMode: 'stepped' });
  const regs = new RecordingMmio(uart);
  const l = new Layout();
  const regsRegion = l.add('uart', 0x1000, { mmio: regs });
  const tx = serialQueue(l, 'tx', o.txCap ?? 32, { dataPerms: 'r' });
  const rx = o.rx === false ? null : serialQueue(l, 'rx', o.rxCap ?? 8);
  tx.flag = FLAG_SIGNALLED;
  if (rx !== null) rx.flag = FLAG_SIGNALLED;
  const config: Pl011DriverConfig = {
    regs: res(regsRegion),
    irqId: IRQ,
    tx: tx.conn(TX),
    rx: rx === null ? null : rx.conn(RX),
  };
  const { api, rec, flush } = recordingApi('uart_driver', l.space('uart_driver'));
  const counterBuf = Counters.buffer(PL011_DRIVER_COUNTERS.length);
  const make = () =>
    pl011DriverComponent(context(api, { config, options: o.options ?? {}, counters: counterBuf }));
  const comp = make();
  const counters = (): Record<string, number> =>
    new Counters(PL011_DRIVER_COUNTERS, counterBuf).snapshot();
  /** A register the driver programs (never DR: reading it pops the Rx FIFO). */
  const reg = (off: number): number => uart.read32(off);
  /** The UART interrupts: the driver's IRQ handler runs, its deferred ack is flushed. */
  const irq = (): void => {
    comp.notified(IRQ);
    flush();
  };
  /** The line sends everything in the Tx FIFO. */
  const drain = (): void => void uart.drainTx(16);
  const clear = (): void => void rec.notified.splice(0);
  const sent = (): string => Buffer.from(out).toString('latin1');
  return { uart, regs, comp, make, tx, rx: rx!, rec, counters, reg, irq, drain, clear, sent };
}

describe('init (uart_setup)', () => {
  it('programs 8 bits, FIFOs on, one stop bit, 115200 baud from 24 MHz, levels 1/8, and enables the UART', () => {
    const t = rig();
    t.uart.write32(Pl011Reg.LCR_H, LCRH_STP2); // reset-time junk the driver must clear
    t.uart.write32(Pl011Reg.IFLS, 0x3f);
    t.comp.init();
    expect(t.reg(Pl011Reg.LCR_H) & (WLEN_8 | LCRH_FEN | LCRH_STP2)).toBe(WLEN_8 | LCRH_FEN);
    // 24e6 / (16 × 115200) = 13.0208…: IBRD 13, FBRD round(0.0208 × 64) = 1 (a 6-bit field).
    expect(t.regs.writes.filter(([off]) => off === Pl011Reg.IBRD)).toEqual([[Pl011Reg.IBRD, 13]]);
    expect(t.regs.writes.filter(([off]) => off === Pl011Reg.FBRD)).toEqual([[Pl011Reg.FBRD, 1]]);
    expect(t.reg(Pl011Reg.IFLS)).toBe(0);
    expect(t.reg(Pl011Reg.CR) & (Cr.UARTEN | Cr.TXE | Cr.RXE)).toBe(Cr.UARTEN | Cr.TXE | Cr.RXE);
    expect(t.reg(Pl011Reg.IMSC) & (Int.RX | Int.RT | Int.TX)).toBe(Int.RX | Int.RT);
    expect(t.uart.errorCodes()).toEqual([]);
  });

  it('with Rx off: no RXE, RX/RT masked, the Rx level left alone', () => {
    const t = rig({ rx: false });
    t.uart.write32(Pl011Reg.IFLS, 0x3f);
    t.comp.init();
    expect(t.reg(Pl011Reg.CR) & (Cr.UARTEN | Cr.TXE | Cr.RXE)).toBe(Cr.UARTEN | Cr.TXE);
    expect(t.reg(Pl011Reg.IMSC) & (Int.RX | Int.RT | Int.TX)).toBe(0);
    expect(t.reg(Pl011Reg.IFLS)).toBe(0x38);
    expect(t.uart.errorCodes()).toEqual([]);
  });

  it('a restarted driver disables the enabled UART before reprogramming the line, and sends what is queued', () => {
    const t = rig();
    t.comp.init();
    t.tx.push('left over');
    const again = t.make();
    again.init();
    expect(t.uart.errorCodes()).toEqual([]);
    t.drain();
    expect(t.sent()).toBe('left over');
    expect(t.tx.length).toBe(0);
  });

  it('lets the transmitter finish before it turns the UART off (a restart with characters in the Tx FIFO)', () => {
    const t = rig();
    t.comp.init();
    t.tx.push('xyz');
    t.comp.notified(TX);
    expect(t.uart.txLevel).toBe(3);
    // A line that sends one character per status read; the first CR write must find it idle.
    t.regs.reads.set(Pl011Reg.FR, () => {
      t.uart.drainTx(1);
      return t.uart.read32(Pl011Reg.FR);
    });
    let sentAtDisable: string | null = null;
    t.regs.onWrite = (off) => {
      if (off === Pl011Reg.CR && sentAtDisable === null) sentAtDisable = t.sent();
    };
    t.make().init();
    expect(sentAtDisable).toBe('xyz');
  });

  it('finishes even when the transmitter never reports idle (BUSY stuck)', () => {
    const t = rig();
    let reads = 0;
    t.regs.reads.set(Pl011Reg.FR, (v) => {
      if (++reads > 10_000) throw new Error('init spins on FR.BUSY');
      return v | Fr.BUSY;
    });
    t.comp.init();
    expect(t.reg(Pl011Reg.CR) & Cr.UARTEN).toBe(Cr.UARTEN);
  });
});

describe('S1 tx_provide', () => {
  it('sends the queue in order and masks TX when nothing is left', () => {
    const t = rig();
    t.comp.init();
    t.tx.push('hello');
    t.comp.notified(TX);
    expect(t.uart.txLevel).toBe(5);
    expect([t.tx.head, t.tx.tail]).toEqual([5, 5]);
    t.drain();
    expect(t.sent()).toBe('hello');
    expect(t.reg(Pl011Reg.IMSC) & Int.TX).toBe(0);
    expect(t.rec.notified).toEqual([]);
    expect(t.counters()['txChars']).toBe(5);
  });

  it('stops at a full Tx FIFO with TX unmasked, and sends the rest on the TX interrupt', () => {
    const t = rig();
    t.comp.init();
    const text = 'abcdefghijklmnopqrst'; // 20 > the FIFO's 16
    t.tx.push(text);
    t.comp.notified(TX);
    expect(t.uart.txLevel).toBe(16);
    expect(t.tx.length).toBe(4);
    expect(t.reg(Pl011Reg.IMSC) & Int.TX).toBe(Int.TX);
    t.drain();
    expect(t.reg(Pl011Reg.MIS) & Int.TX).toBe(Int.TX);
    t.irq();
    expect(t.tx.length).toBe(0);
    expect(t.reg(Pl011Reg.IMSC) & Int.TX).toBe(0);
    expect(t.rec.deferredIrqAcks).toEqual([IRQ]);
    t.drain();
    expect(t.sent()).toBe(text);
  });

  it('wraps around the end of the Tx data region', () => {
    const t = rig({ txCap: 8 });
    t.comp.init();
    t.tx.startAt(6);
    t.tx.push('wxyz');
    t.comp.notified(TX);
    t.drain();
    expect(t.sent()).toBe('wxyz');
  });

  it('notifies virt_tx iff it asked and characters moved, and disarms its flag', () => {
    const t = rig();
    t.comp.init();
    t.tx.flag = FLAG_WANTS_SIGNAL;
    t.comp.notified(TX); // nothing queued: nothing moved
    expect(t.rec.notified).toEqual([]);
    expect(t.tx.flag).toBe(FLAG_WANTS_SIGNAL);
    t.tx.push('a');
    t.comp.notified(TX);
    expect(t.rec.notified).toEqual([TX]);
    expect(t.tx.flag).toBe(FLAG_SIGNALLED);
    t.clear();
    t.tx.push('b');
    t.comp.notified(TX);
    expect(t.rec.notified).toEqual([]);
  });

  it('does not send from a Tx queue whose indices claim more than its capacity', () => {
    const t = rig();
    t.comp.init();
    t.tx.tail = 1000;
    t.comp.notified(TX);
    expect([t.uart.txLevel, t.tx.head]).toEqual([0, 0]);
    expect(t.reg(Pl011Reg.IMSC) & Int.TX).toBe(0);
  });
});

describe('S2 rx_return', () => {
  it('moves received characters into the Rx queue on the RX/RT interrupt and notifies virt_rx', () => {
    const t = rig();
    t.comp.init();
    t.uart.receive(Uint8Array.from(bytesOf('abc')));
    expect(t.uart.irqAsserted()).toBe(true);
    t.irq();
    expect(t.rx.text()).toBe('abc');
    expect(t.rec.notified).toEqual([RX]);
    expect(t.rec.deferredIrqAcks).toEqual([IRQ]);
    expect(t.uart.irqAsserted()).toBe(false);
    expect(t.rx.flag).toBe(FLAG_SIGNALLED);
    expect(t.reg(Pl011Reg.IMSC) & (Int.RX | Int.RT)).toBe(Int.RX | Int.RT);
  });

  it('leaves an armed flag alone when it does not stop at a full queue (zeroed memory arms it)', () => {
    const t = rig();
    t.comp.init();
    t.rx.flag = FLAG_WANTS_SIGNAL;
    t.uart.receive(Uint8Array.from(bytesOf('abc')));
    t.irq();
    expect(t.rx.text()).toBe('abc');
    expect(t.rx.flag).toBe(FLAG_WANTS_SIGNAL);
  });

  it('fills the Rx queue exactly without masking RX/RT or touching the flag when the FIFO empties too', () => {
    const t = rig({ rxCap: 8 });
    t.comp.init();
    t.uart.receive(Uint8Array.from(bytesOf('12345678')));
    t.irq();
    expect(t.rx.text()).toBe('12345678');
    expect(t.reg(Pl011Reg.IMSC) & (Int.RX | Int.RT)).toBe(Int.RX | Int.RT);
    expect(t.rx.flag).toBe(FLAG_SIGNALLED);
    expect(t.counters()).toMatchObject({ rxChars: 8, rxFullStops: 0 });
  });

  it('stops at a full Rx queue: RX/RT masked, signal requested; virt_rx’s notify resumes', () => {
    const t = rig({ rxCap: 8 });
    t.comp.init();
    t.uart.receive(Uint8Array.from(bytesOf('abcdefghijk')));
    t.irq();
    expect(t.rx.text()).toBe('abcdefgh');
    expect(t.rx.outsideUntouched()).toBe(true);
    expect(t.uart.rxLevel).toBe(3);
    expect(t.reg(Pl011Reg.IMSC) & (Int.RX | Int.RT)).toBe(0);
    expect(t.rx.flag).toBe(FLAG_WANTS_SIGNAL);
    expect(t.uart.irqAsserted()).toBe(false);
    expect(t.rec.notified).toEqual([RX]);
    expect(t.counters()['rxFullStops']).toBe(1);
    // virt_rx empties the queue, cancels the flag (§3.12) and notifies the driver.
    t.clear();
    t.rx.take();
    t.rx.flag = FLAG_SIGNALLED;
    t.comp.notified(RX);
    expect(t.rx.text()).toBe('ijk');
    expect(t.reg(Pl011Reg.IMSC) & (Int.RX | Int.RT)).toBe(Int.RX | Int.RT);
    expect(t.rec.notified).toEqual([RX]);
  });

  it('F7 seeded bug (require where request belongs): the full stop leaves the flag unarmed', () => {
    const t = rig({ rxCap: 8, options: { f7RequireForRequest: true } });
    t.comp.init();
    t.uart.receive(Uint8Array.from(bytesOf('abcdefghijk')));
    t.irq();
    expect(t.reg(Pl011Reg.IMSC) & (Int.RX | Int.RT)).toBe(0);
    expect(t.rx.flag).toBe(FLAG_SIGNALLED);
  });

  it('on virt_rx’s notify with nothing received: RX/RT unmasked, nobody notified', () => {
    const t = rig();
    t.comp.init();
    t.uart.write32(Pl011Reg.IMSC, 0);
    t.comp.notified(RX);
    expect(t.reg(Pl011Reg.IMSC) & (Int.RX | Int.RT)).toBe(Int.RX | Int.RT);
    expect(t.rec.notified).toEqual([]);
    expect(t.rx.tail).toBe(0);
  });
});

describe('S3 the IRQ: each source to its own handler', () => {
  it('an RX interrupt does not send what virt_tx queued but has not announced', () => {
    const t = rig();
    t.comp.init();
    t.tx.push('out');
    t.uart.receive(Uint8Array.from(bytesOf('in')));
    t.irq();
    expect(t.rx.text()).toBe('in');
    expect([t.uart.txLevel, t.tx.length]).toEqual([0, 3]);
  });

  it('a TX interrupt does not read the Rx FIFO while RX/RT are masked after a full stop', () => {
    const t = rig({ rxCap: 8 });
    t.comp.init();
    t.uart.receive(Uint8Array.from(bytesOf('abcdefghijk')));
    t.irq();
    t.rx.take(); // virt_rx has room again but has not notified yet
    t.tx.push('x'.repeat(20));
    t.comp.notified(TX);
    t.drain();
    t.irq();
    expect(t.tx.length).toBe(0);
    expect(t.rx.length).toBe(0);
    expect(t.uart.rxLevel).toBe(3);
  });

  it('handles a TX interrupt with Rx disabled', () => {
    const t = rig({ rx: false });
    t.comp.init();
    t.tx.push('y'.repeat(20));
    t.comp.notified(TX);
    t.drain();
    t.irq();
    t.drain();
    expect(t.sent()).toBe('y'.repeat(20));
  });

  it('returns from a device whose MIS never clears (a bounded number of rounds), Rx on or off', () => {
    for (const rx of [true, false]) {
      const t = rig({ rx });
      t.comp.init();
      let reads = 0;
      t.regs.reads.set(Pl011Reg.MIS, () => {
        if (++reads > 10_000) throw new Error('the IRQ handler spins on MIS');
        return Int.TX | Int.RX | Int.RT;
      });
      t.irq();
      expect(t.rec.deferredIrqAcks).toEqual([IRQ]);
    }
  });
});

describe('other channels', () => {
  it('counts a notification on an unknown channel and touches nothing', () => {
    for (const rx of [true, false]) {
      const t = rig({ rx });
      t.comp.init();
      t.tx.push('a');
      const imsc = t.reg(Pl011Reg.IMSC);
      t.comp.notified(RX + 10);
      expect([t.uart.txLevel, t.reg(Pl011Reg.IMSC), t.rec.notified]).toEqual([0, imsc, []]);
      expect(t.counters()['unknownChannel']).toBe(1);
    }
  });

  it('with Rx disabled, virt_rx’s channel id is just another unknown channel', () => {
    const t = rig({ rx: false });
    t.comp.init();
    t.comp.notified(RX);
    expect(t.counters()['unknownChannel']).toBe(1);
    expect(t.reg(Pl011Reg.IMSC) & (Int.RX | Int.RT)).toBe(0);
  });
});

describe('property: S1 and S3 send the Tx queue in order whatever the line’s pace', () => {
  it('every character queued is sent once, in order, and TX ends masked', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 0, maxLength: 64 }),
        fc.array(fc.integer({ min: 1, max: 16 }), { minLength: 1, maxLength: 8 }),
        fc.integer({ min: 0, max: 0xffff_ffff }),
        (data, paces, at) => {
          const t = rig({ txCap: 64 });
          t.comp.init();
          t.tx.startAt(at);
          t.tx.push([...data]);
          t.comp.notified(TX);
          // The line sends a few characters at a time; each TX interrupt refills the FIFO.
          for (let i = 0; i < 200 && (t.tx.length > 0 || t.uart.txLevel > 0); i++) {
            t.uart.drainTx(paces[i % paces.length]!);
            if (t.uart.irqAsserted()) t.irq();
          }
          expect([...Buffer.from(t.sent(), 'latin1')]).toEqual([...data]);
          expect(t.reg(Pl011Reg.IMSC) & Int.TX).toBe(0);
          expect(t.counters()['txChars']).toBe(data.length);
        },
      ),
    );
  });
});
