// The cross-component invariants of spec/components/net/invariants.ts (reference
// sddf-protocols.md §3.15) on hand-built states just inside and just outside each one: address
// domains per queue, buffer conservation per pool, refcounts, the HW ring's posted buffers.
import { describe, expect, it } from 'vitest';
import {
  netConservationProblem,
  netDomainProblem,
  netHwRingBuffers,
  netMissingBufferProblem,
  netNoBufferTwiceProblem,
  netQueueDomains,
  netRefcountProblem,
} from '../../../../spec/components/net/invariants.ts';
import { netRig, type NetRig } from './rig.ts';

const BUF = 2048;
/** Two clients, nothing in any queue: the state before any buffer is given out. */
function empty(bounds: Record<string, number> = {}) {
  const r = netRig({ clients: 2, rxBuffers: 2, clientRxBuffers: 2, txBuffers: 2, ...bounds });
  const c = r.cfg;
  for (const pair of [c.drvRx, c.drvTx, ...c.virtRx, ...c.cliRx, ...c.cliTx]) {
    r.drain(pair.free);
    r.drain(pair.active);
  }
  return r;
}
const read = (r: NetRig) => (a: number) => r.s[a]!;
const noHw = { rx: [], tx: [] };

describe('§3.15.3 address domains', () => {
  it('every queue of the configuration has a domain (both of each pair, every client)', () => {
    const r = empty();
    const c = r.cfg;
    const names = netQueueDomains(c).map((d) => d.queue.name);
    const all = [c.drvRx, c.drvTx, ...c.virtRx, ...c.cliRx, ...c.cliTx].flatMap((p) => [
      p.free.name,
      p.active.name,
    ]);
    expect(names.sort()).toEqual(all.sort());
  });

  it('accepts each queue holding its own kind of descriptor; names the first that does not', () => {
    const r = empty();
    const c = r.cfg;
    r.enq(c.drvRx.free, c.rxDma.ioBase + BUF);
    r.enq(c.drvTx.active, c.cliTxData[1]!.ioBase);
    r.enq(c.drvTx.free, c.cliTxData[0]!.ioBase + BUF);
    r.enq(c.virtRx[1]!.active, BUF);
    r.enq(c.cliRx[1]!.free, BUF);
    r.enq(c.cliTx[1]!.active, BUF);
    expect(netDomainProblem(c, read(r))).toBeNull();
    const cases: [() => void, RegExp][] = [
      [
        () => r.enq(c.drvRx.active, c.rxDma.ioBase + 2 * BUF),
        /drv_rx\.active: .* is not an Rx DMA IO address/,
      ],
      [() => r.enq(c.drvTx.free, c.rxDma.ioBase), /drv_tx\.free: .* is not a client Tx IO address/],
      [
        () => r.enq(c.virtRx[1]!.free, 2 * BUF),
        /virt_rx\.copier1\.free: 4096 is not an Rx DMA offset/,
      ],
      [() => r.enq(c.cliRx[1]!.active, 2 * BUF), /is not a client1 Rx offset/],
      [() => r.enq(c.cliTx[1]!.free, 1), /is not a client1 Tx offset/],
    ];
    for (const [bad, msg] of cases) {
      const s = new Uint32Array(r.s);
      bad();
      expect(netDomainProblem(c, read(r))).toMatch(msg);
      r.s.set(s);
    }
  });
});

describe('§3.15.1 buffer conservation', () => {
  it('a state where every buffer is in one place holds', () => {
    const r = empty();
    const c = r.cfg;
    r.enq(c.drvRx.free, c.rxDma.ioBase);
    r.enq(c.virtRx[0]!.active, BUF);
    r.enq(c.virtRx[1]!.active, BUF); // a broadcast: one buffer with two copiers is fine
    r.enq(c.cliRx[0]!.free, 0);
    r.enq(c.cliRx[0]!.active, BUF);
    r.enq(c.drvTx.active, c.cliTxData[0]!.ioBase);
    r.enq(c.cliTx[0]!.free, BUF);
    r.enq(c.cliTx[1]!.free, 0);
    expect(
      netConservationProblem(c, read(r), { rx: [], tx: [c.cliTxData[1]!.ioBase + BUF] }),
    ).toBeNull();
  });

  it('catches each way of holding a buffer twice', () => {
    const r = empty();
    const c = r.cfg;
    const io = c.rxDma.ioBase;
    const check = (setup: () => void, hw: { rx: number[]; tx: number[] }, msg: RegExp) => {
      const s = new Uint32Array(r.s);
      setup();
      expect(netConservationProblem(c, read(r), hw)).toMatch(msg);
      r.s.set(s);
    };
    check(
      () => r.enq(c.drvRx.free, io + BUF),
      { rx: [io + BUF], tx: [] },
      /twice on the driver side: 1,1/,
    );
    check(() => r.enq(c.drvRx.active, io), { rx: [io], tx: [] }, /twice on the driver side/);
    check(
      () => (r.enq(c.virtRx[1]!.free, BUF), r.enq(c.virtRx[1]!.active, BUF)),
      noHw,
      /copier1 side holds an Rx DMA buffer twice/,
    );
    check(
      () => (r.enq(c.drvRx.free, io + BUF), r.enq(c.virtRx[1]!.active, BUF)),
      noHw,
      /Rx DMA buffer 1 is on the driver side and with copier1/,
    );
    check(
      () => r.enq(c.virtRx[0]!.free, 0),
      { rx: [io], tx: [] },
      /Rx DMA buffer 0 is on the driver side and with copier0/,
    );
    check(
      () => (r.enq(c.cliRx[1]!.free, BUF), r.enq(c.cliRx[1]!.active, BUF)),
      noHw,
      /client1 Rx buffer twice/,
    );
    const tx1 = c.cliTxData[1]!.ioBase;
    check(
      () => (r.enq(c.drvTx.free, tx1 + BUF), r.enq(c.cliTx[1]!.active, BUF)),
      noHw,
      /a Tx buffer is in two places/,
    );
    check(
      () => r.enq(c.cliTx[1]!.free, BUF),
      { rx: [], tx: [tx1 + BUF] },
      /a Tx buffer is in two places/,
    );
    check(() => r.enq(c.drvTx.active, tx1), { rx: [], tx: [tx1] }, /a Tx buffer is in two places/);
    // The same offset in two clients' Tx queues is two different buffers.
    const s = new Uint32Array(r.s);
    r.enq(c.cliTx[0]!.free, BUF);
    r.enq(c.cliTx[1]!.free, BUF);
    expect(netConservationProblem(c, read(r), noHw)).toBeNull();
    r.s.set(s);
  });

  it('the doubleReturn configuration is exempt', () => {
    const r = empty({ doubleReturn: 1 });
    r.enq(r.cfg.drvRx.free, r.cfg.rxDma.ioBase);
    r.enq(r.cfg.drvRx.active, r.cfg.rxDma.ioBase);
    expect(netConservationProblem(r.cfg, read(r), noHw)).toBeNull();
  });

  it('netNoBufferTwiceProblem and netMissingBufferProblem over one pool', () => {
    const r = empty();
    const { free, active } = r.cfg.cliRx[0]!;
    r.enq(free, 0);
    r.enq(active, BUF);
    expect(netNoBufferTwiceProblem(read(r), [free, active])).toBeNull();
    expect(netMissingBufferProblem(read(r), [free, active], [0, BUF])).toBeNull();
    expect(netMissingBufferProblem(read(r), [free, active], [0, BUF, 2 * BUF])).toMatch(
      /buffer 4096 is in no queue: lost \(1 missing, 0 dropped\)/,
    );
    expect(netMissingBufferProblem(read(r), [free, active], [0, BUF, 2 * BUF], 1)).toBeNull();
    r.drain(free);
    r.enq(free, BUF);
    expect(netNoBufferTwiceProblem(read(r), [free, active])).toBe(
      `buffer ${BUF} is in two queues at once (${active.name})`,
    );
  });
});

describe('§3.15.2 virt_rx refcounts', () => {
  it('refs equal to the client-side places holds; one more or less, or above the clients, does not', () => {
    const r = empty();
    const c = r.cfg;
    r.enq(c.virtRx[0]!.active, BUF);
    r.enq(c.virtRx[1]!.free, BUF);
    const refs = (b0: number, b1: number) => (b: number) => (b === 0 ? b0 : b1);
    expect(netRefcountProblem(c, read(r), refs(0, 2))).toBeNull();
    expect(netRefcountProblem(c, read(r), refs(0, 1))).toBe(
      'buffer_refs[1] = 1 but 2 client-side place(s) hold it',
    );
    expect(netRefcountProblem(c, read(r), refs(1, 2))).toBe(
      'buffer_refs[0] = 1 but 0 client-side place(s) hold it',
    );
    expect(netRefcountProblem(c, read(r), refs(3, 2))).toBe(
      'buffer_refs[0] = 3 exceeds the number of clients (2)',
    );
    const d = empty({ doubleReturn: 1 });
    expect(netRefcountProblem(d.cfg, read(d), refs(1, 2))).toBeNull();
    expect(netRefcountProblem(d.cfg, read(d), refs(0, 3))).toMatch(/exceeds/);
  });
});

describe('netHwRingBuffers', () => {
  const ring = { addr: 10, capacity: 4 };
  const mem = (a: number) => a * 100;
  it('the BDs head … tail − 1 over the slots, across the u32 wrap, at most the capacity', () => {
    expect(netHwRingBuffers(mem, ring, 6, 3)).toEqual([1300, 1000, 1100]);
    expect(netHwRingBuffers(mem, ring, 3, 3)).toEqual([]);
    expect(netHwRingBuffers(mem, ring, 1, 0xffff_fffe)).toEqual([1200, 1300, 1000]);
    expect(netHwRingBuffers(mem, ring, 9, 3)).toHaveLength(4);
  });
  it('F18 bounded indices count (tail − head) % capacity', () => {
    expect(netHwRingBuffers(mem, ring, 1, 3, true)).toEqual([1300, 1000]);
    expect(netHwRingBuffers(mem, ring, 3, 3, true)).toEqual([]);
  });
  it('F18 at a capacity that does not divide 2^32: the count is modulo the capacity, not the u32 wrap', () => {
    // Bounded tail 0, head 1 of 3 BDs: BDs 1 and 2 are posted (what the F18 driver's own empty
    // test, wrapping at 2^32, misreads as none; driver.test.ts "F18 at a 3-BD ring").
    const three = { addr: 10, capacity: 3 };
    expect(netHwRingBuffers(mem, three, 0, 1, true)).toEqual([1100, 1200]);
    expect(netHwRingBuffers(mem, three, 2, 0, true)).toEqual([1000, 1100]);
    expect(netHwRingBuffers(mem, three, 1, 1, true)).toEqual([]);
  });
});
