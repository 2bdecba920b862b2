// The store-order explorer (store-order.ts) and the impl/queue instrumentation
// (queue-instrument.ts) checked on their own: SC cuts are the prefixes; the classic litmus shapes
// get each model's textbook answer; the TSO and PSO images equal those the model checker's
// store buffers (proofs/models/memory.ts) reach for the same spec operations; the
// instrumentation sees the impl's accesses in program order and leaves Atomics as it found them.
import { describe, expect, it } from 'vitest';
import { NetQueue } from '../../impl/queue/net.ts';
import { PdMemory, bufferWords, flushEntry, flushable } from '../../proofs/models/memory.ts';
import type { MemoryModel } from '../../proofs/models/types.ts';
import type { SharedMem } from '../../spec/common/memory.ts';
import { blkDequeue, blkEnqueue } from '../../spec/queue/blk.ts';
import { I2C_FLAVOUR_HEAD, i2cEnqueueRequest, i2cRequestCommit } from '../../spec/queue/i2c.ts';
import {
  NET_FLAVOUR_HEAD,
  netDequeue,
  netEnqueue,
  netRequestSignal,
} from '../../spec/queue/net.ts';
import { SERIAL_FLAVOUR_HEAD, serialEnqueue } from '../../spec/queue/serial.ts';
import { instrument } from './queue-instrument.ts';
import {
  RecordingSink,
  cuts,
  ordered,
  wordImage,
  wordMemory,
  type AccessEvent,
  type MemEvent,
  type OrderModel,
} from './store-order.ts';

const st = (offset: number, sc = false): AccessEvent => ({
  kind: 'store',
  region: 0,
  offset,
  size: 4,
  sc,
  bytes: new Uint8Array(4),
});
const ld = (offset: number, sc = false): AccessEvent => ({
  kind: 'load',
  region: 0,
  offset,
  size: 4,
  sc,
  bytes: null,
});

describe('preserved program order per model', () => {
  const models: OrderModel[] = ['sc', 'tso', 'pso', 'relaxed'];
  const table = (a: AccessEvent, b: AccessEvent, fences: Parameters<typeof ordered>[3] = []) =>
    Object.fromEntries(models.map((m) => [m, ordered(m, a, b, fences)]));

  it('store buffering (store x; load y): only SC, a seq_cst fence, or SC atomics order it', () => {
    expect(table(st(0), ld(4))).toEqual({ sc: true, tso: false, pso: false, relaxed: false });
    expect(table(st(0), ld(4), ['seq_cst'])).toEqual({
      sc: true,
      tso: true,
      pso: true,
      relaxed: true,
    });
    expect(table(st(0), ld(4), ['release'])).toEqual({
      sc: true,
      tso: false,
      pso: false,
      relaxed: false,
    });
    expect(table(st(0, true), ld(4, true))).toEqual({
      sc: true,
      tso: true,
      pso: true,
      relaxed: true,
    });
    // A plain load after an SC store: x86's xchg still orders it; Arm's stlr; ldr does not.
    expect(table(st(0, true), ld(4))).toEqual({ sc: true, tso: true, pso: false, relaxed: false });
  });

  it('message passing (store data; store flag): TSO keeps it, PSO and C11 need a release', () => {
    expect(table(st(0), st(4))).toEqual({ sc: true, tso: true, pso: false, relaxed: false });
    expect(table(st(0), st(4), ['release'])).toEqual({
      sc: true,
      tso: true,
      pso: true,
      relaxed: true,
    });
    expect(table(st(0), st(4, true))).toEqual({ sc: true, tso: true, pso: true, relaxed: true });
    expect(table(st(0), st(4), ['acquire'])).toEqual({
      sc: true,
      tso: true,
      pso: false,
      relaxed: false,
    });
  });

  it('loads: only C11 reorders them (and not after an acquire); same address stays in order', () => {
    expect(table(ld(0), ld(4))).toEqual({ sc: true, tso: true, pso: true, relaxed: false });
    expect(table(ld(0), ld(4), ['acquire'])).toEqual({
      sc: true,
      tso: true,
      pso: true,
      relaxed: true,
    });
    expect(table(ld(0, true), ld(4))).toEqual({ sc: true, tso: true, pso: true, relaxed: true });
    expect(table(ld(0), st(4))).toEqual({ sc: true, tso: true, pso: true, relaxed: false });
    expect(table(ld(0), ld(0))).toEqual({ sc: true, tso: true, pso: true, relaxed: true });
    expect(table(st(0), st(0))).toEqual({ sc: true, tso: true, pso: true, relaxed: true });
    // Forwarding: a load may read its own earlier store before others see it.
    expect(table(st(0), ld(0))).toEqual({ sc: true, tso: false, pso: false, relaxed: false });
  });
});

describe('cuts', () => {
  it('under SC are exactly the prefixes (the peer at each prefix of the accesses)', () => {
    const events: MemEvent[] = [ld(0), st(8), { kind: 'fence', fence: 'release' }, st(0), ld(4)];
    const prefixes = cuts('sc', events).map((c) => c.map((x) => (x ? 1 : 0)).join(''));
    expect(prefixes.sort()).toEqual(['00000', '10000', '11000', '11010', '11011']);
  });

  it('under relaxed, unordered stores give every subset', () => {
    expect(cuts('relaxed', [st(0), st(4), st(8)])).toHaveLength(8);
    expect(cuts('tso', [st(0), st(4), st(8)])).toHaveLength(4);
  });
});

// ---------------------------------------------------------------- agreement with the model checker

const WORDS = 8;

/** Images (first WORDS words) other PDs can see after `op` under PdMemory's store buffer. */
function checkerImages(
  model: MemoryModel,
  initial: number[],
  op: (m: SharedMem) => void,
): Set<string> {
  const base = { base: WORDS };
  const s = new Uint32Array(WORDS + bufferWords(model));
  s.set(initial);
  op(new PdMemory(s, model, base));
  const seen = new Set<string>();
  const todo = [s];
  for (let guard = 0; todo.length > 0; guard++) {
    expect(guard).toBeLessThan(1000);
    const cur = todo.pop()!;
    const img = Array.from(cur.subarray(0, WORDS)).join(',');
    const key = Array.from(cur).join(',');
    if (seen.has(key)) continue;
    seen.add(key);
    for (const i of flushable(cur, base, model)) {
      const next = cur.slice();
      flushEntry(next, base, i);
      todo.push(next);
    }
    seen.add(`image ${img}`);
  }
  return new Set([...seen].filter((k) => k.startsWith('image ')).map((k) => k.slice(6)));
}

/** The explorer's images for the same op: cuts holding every load (the step is over). */
function explorerImages(
  model: OrderModel,
  initial: number[],
  op: (m: SharedMem) => void,
): Set<string> {
  const rec = new RecordingSink(wordImage(initial));
  op(wordMemory(rec));
  const out = new Set<string>();
  for (const inS of cuts(model, rec.events)) {
    if (rec.events.some((e, i) => e.kind === 'load' && !inS[i])) continue;
    const w = initial.slice();
    rec.events.forEach((e, i) => {
      if (e.kind === 'store' && inS[i])
        w[e.offset / 4] = new DataView(e.bytes!.buffer).getUint32(0, true);
    });
    out.add(w.join(','));
  }
  return out;
}

describe('TSO and PSO images agree with proofs/models/memory.ts store buffers', () => {
  const start = [0xfffe, 0xfffe, 1, 9, 9, 0, 0, 0];
  const ops: [string, (m: SharedMem) => void][] = [
    [
      'net enqueue',
      (m) =>
        netEnqueue(
          m,
          { name: 'q', tail: 0, head: 1, consumerSignalled: 2, slots: 3, capacity: 2 },
          NET_FLAVOUR_HEAD,
          7,
        ),
    ],
    [
      'net dequeue after enqueue',
      (m) => {
        const q = { name: 'q', tail: 0, head: 1, consumerSignalled: 2, slots: 3, capacity: 2 };
        netEnqueue(m, q, NET_FLAVOUR_HEAD, 7);
        netDequeue(m, q, NET_FLAVOUR_HEAD);
      },
    ],
    [
      'net request_signal then enqueue',
      (m) => {
        const q = { name: 'q', tail: 0, head: 1, consumerSignalled: 2, slots: 3, capacity: 2 };
        netRequestSignal(m, q, NET_FLAVOUR_HEAD);
        netEnqueue(m, q, NET_FLAVOUR_HEAD, 5);
      },
    ],
    [
      'blk enqueue, dequeue',
      (m) => {
        const q = { name: 'q', head: 0, tail: 1, slots: 2, capacity: 2 };
        blkEnqueue(m, q, 3);
        blkDequeue(m, q);
      },
    ],
    [
      'serial enqueue',
      (m) =>
        serialEnqueue(
          m,
          { name: 'q', tail: 0, head: 1, producerSignalled: 2, data: 3, capacity: 2 },
          SERIAL_FLAVOUR_HEAD,
          0x41,
        ),
    ],
    [
      'i2c enqueue + commit',
      (m) => {
        const q = { name: 'q', stagedTail: 0, tail: 1, head: 2, slots: 3, capacity: 3 };
        i2cEnqueueRequest(m, q, I2C_FLAVOUR_HEAD, 6);
        i2cRequestCommit(m, q);
      },
    ],
  ];
  for (const [name, op] of ops) {
    it(name, () => {
      for (const model of ['tso', 'pso'] as const) {
        const a = [...checkerImages(model, start, op)].sort();
        const b = [...explorerImages(model, start, op)].sort();
        expect(b).toEqual(a);
        expect(a.length).toBeGreaterThan(1);
      }
    });
  }
});

// ---------------------------------------------------------------- instrumentation

describe('instrumenting an impl/queue handle', () => {
  function net() {
    const buf = new SharedArrayBuffer(NetQueue.sizeBytes(2));
    return {
      buf,
      inst: instrument(new NetQueue({ region: { buffer: buf, byteOffset: 0 }, capacity: 2 }), [
        buf,
      ]),
    };
  }

  it('sees net enqueue in program order: plain tail, SC head, plain tail, the slot, SC tail', () => {
    const { inst } = net();
    const rec = new RecordingSink([new Uint8Array(NetQueue.sizeBytes(2))]);
    expect(inst.run(rec, (q) => q.enqueue({ ioOrOffset: 0x1_0000_0002n, len: 3, oid: 4 }))).toBe(
      true,
    );
    const shape = rec.events.map((e) =>
      e.kind === 'fence' ? e.fence : `${e.kind} ${e.offset}+${e.size}${e.sc ? ' sc' : ''}`,
    );
    expect(shape).toEqual([
      'load 0+2',
      'load 2+2 sc',
      'load 0+2',
      'store 8+4',
      'store 12+4',
      'store 16+4',
      'store 20+4',
      'store 0+2 sc',
    ]);
    // The record reached the sink's image, not the real buffer.
    expect(Array.from(rec.image[0]!.subarray(8, 20))).toEqual([2, 0, 0, 0, 1, 0, 0, 0, 3, 0, 4, 0]);
  });

  it('leaves the real buffer alone and restores Atomics', () => {
    const { buf, inst } = net();
    const load = Atomics.load;
    const rec = new RecordingSink([new Uint8Array(buf.byteLength)]);
    inst.run(rec, (q) => q.enqueue({ ioOrOffset: 1n, len: 1, oid: 0 }));
    expect(Atomics.load).toBe(load);
    expect(new Uint8Array(buf).every((b) => b === 0)).toBe(true);
    expect(() => inst.handle.full()).toThrow(/outside run/);
  });

  it('refuses an access it cannot see', () => {
    const { inst } = net();
    const rec = new RecordingSink([new Uint8Array(NetQueue.sizeBytes(2))]);
    const views = inst.handle as unknown as { words: Uint32Array };
    expect(() => inst.run(rec, () => views.words.fill(0))).toThrow(
      /uninstrumented typed-array method fill/,
    );
    expect(() => instrument({ x: new Uint8Array(4) }, [])).toThrow(/not a region/);
    expect(() => instrument({ x: 1 }, [])).toThrow(/no typed-array view/);
  });
});
