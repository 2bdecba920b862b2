// Issue 12 part 4, spec side: the queue operations of spec/queue (written once over word memory
// in C load/store/fence order, docs/adr/013-one-queue-truth.md), with the peer run at every cut
// of an operation (test/helpers/store-order.ts) under SC, TSO, the model checker's PSO
// memory and the C11 relaxed model. The verdicts restate, per class, what the reference says of
// queue.h at 650ace5d: every class is correct on SC/TSO/PSO for its data; on C11 the net,
// blk and i2c consumers have no acquire (O1's first half; sddf-protocols.md §2.1, §2.3, §2.5)
// and serial has (F9 fixed); net's request/require lack a seq_cst fence (O1), serial's have it
// (57d50b7c) and lose it in F9. Seeded: `publishBeforeWrite`, and a memory that drops release
// fences.
import { describe, expect, it } from 'vitest';
import type { FenceKind, SharedMem } from '../../../spec/common/memory.ts';
import { blkDequeue, blkEnqueue, type BlkQueueRef } from '../../../spec/queue/blk.ts';
import {
  I2C_FLAVOUR_HEAD,
  i2cDequeueRequest,
  i2cDequeueResponse,
  i2cEnqueueRequest,
  i2cEnqueueResponse,
  i2cRequestCommit,
  type I2cReqQueueRef,
  type I2cRespQueueRef,
} from '../../../spec/queue/i2c.ts';
import {
  NET_FLAVOUR_HEAD,
  netDequeue,
  netEmpty,
  netEnqueue,
  netRequestSignal,
  netRequireSignal,
  type NetQueueFlavour,
  type NetQueueRef,
} from '../../../spec/queue/net.ts';
import {
  SERIAL_FLAVOUR_HEAD,
  serialDequeue,
  serialEnqueue,
  serialFree,
  serialRequestConsumerSignal,
  serialRequireConsumerSignal,
  type SerialQueueFlavour,
  type SerialQueueRef,
} from '../../../spec/queue/serial.ts';
import {
  DirectSink,
  ORDER_MODELS,
  explore,
  wordImage,
  wordMemory,
  type Image,
  type MemorySink,
  type Observation,
  type OrderModel,
} from '../../helpers/store-order.ts';

const CAP = 2;
const NET: NetQueueRef = {
  name: 'net',
  tail: 0,
  head: 1,
  consumerSignalled: 2,
  slots: 3,
  capacity: CAP,
};
const BLK: BlkQueueRef = { name: 'blk', head: 0, tail: 1, slots: 2, capacity: CAP };
const SERIAL: SerialQueueRef = {
  name: 'serial',
  tail: 0,
  head: 1,
  producerSignalled: 2,
  data: 3,
  capacity: CAP,
};
const I2C_REQ: I2cReqQueueRef = {
  name: 'i2c req',
  stagedTail: 0,
  tail: 1,
  head: 2,
  slots: 3,
  capacity: 3,
};
const I2C_RESP: I2cRespQueueRef = { name: 'i2c resp', tail: 0, head: 1, slots: 2, capacity: 3 };

/** A word memory whose release fences do nothing: the C with `THREAD_MEMORY_RELEASE` dropped. */
function dropRelease(mem: SharedMem): SharedMem {
  return {
    load: (a) => mem.load(a),
    store: (a, v) => mem.store(a, v),
    fence: (k: FenceKind) => {
      if (k !== 'release') mem.fence(k);
    },
  };
}

type Mem = (sink: MemorySink) => SharedMem;
const plain: Mem = wordMemory;
const noRelease: Mem = (s) => dropRelease(wordMemory(s));

interface SpecClass {
  readonly name: string;
  readonly words: number;
  readonly start: (words: number[], start: number) => void;
  readonly put: (mem: SharedMem, v: number) => boolean;
  readonly take: (mem: SharedMem) => number | null;
  readonly usable: number;
}

const CLASSES: readonly SpecClass[] = [
  {
    name: 'net',
    words: 3 + CAP,
    start: (w, s) => ((w[0] = s & 0xffff), (w[1] = s & 0xffff)),
    put: (m, v) => netEnqueue(m, NET, NET_FLAVOUR_HEAD, v),
    take: (m) => netDequeue(m, NET, NET_FLAVOUR_HEAD),
    usable: CAP,
  },
  {
    name: 'blk',
    words: 2 + CAP,
    start: (w, s) => ((w[0] = s), (w[1] = s)),
    put: (m, v) => blkEnqueue(m, BLK, v),
    take: (m) => blkDequeue(m, BLK),
    usable: CAP,
  },
  {
    name: 'serial',
    words: 3 + CAP,
    start: (w, s) => ((w[0] = s), (w[1] = s)),
    put: (m, v) => serialEnqueue(m, SERIAL, SERIAL_FLAVOUR_HEAD, v),
    take: (m) => serialDequeue(m, SERIAL, SERIAL_FLAVOUR_HEAD),
    usable: CAP,
  },
  {
    name: 'i2c request',
    words: 3 + 3,
    start: (w, s) => ((w[0] = s), (w[1] = s), (w[2] = s)),
    put: (m, v) => {
      if (!i2cEnqueueRequest(m, I2C_REQ, I2C_FLAVOUR_HEAD, v)) return false;
      i2cRequestCommit(m, I2C_REQ);
      return true;
    },
    take: (m) => i2cDequeueRequest(m, I2C_REQ, I2C_FLAVOUR_HEAD),
    usable: 2,
  },
  {
    name: 'i2c response',
    words: 2 + 3,
    start: (w, s) => ((w[0] = s), (w[1] = s)),
    put: (m, v) => i2cEnqueueResponse(m, I2C_RESP, I2C_FLAVOUR_HEAD, v),
    take: (m) => i2cDequeueResponse(m, I2C_RESP, I2C_FLAVOUR_HEAD),
    usable: 2,
  },
];

/** Near the wrap, slots holding stale records; empty or full. */
function image(c: SpecClass, fill: 'empty' | 'full'): Image {
  const w = new Array<number>(c.words).fill(0);
  c.start(w, 0xffff_ffff);
  const img = wordImage(w);
  const mem = wordMemory(new DirectSink(img));
  for (let i = 0; i < c.usable; i++) {
    expect(c.put(mem, 0x100 + i)).toBe(true);
    expect(c.take(mem)).toBe(0x100 + i);
  }
  if (fill === 'full') for (let i = 0; i < c.usable; i++) expect(c.put(mem, 0x200 + i)).toBe(true);
  return img;
}

function producer(
  c: SpecClass,
  fill: 'empty' | 'full',
  mem: Mem,
): Observation<boolean, number | null> {
  return {
    name: `${c.name} enqueue`,
    initial: image(c, fill),
    op: (s) => c.put(mem(s), 0x777),
    peer: (s) => c.take(plain(s)),
  };
}

function consumer(
  c: SpecClass,
  fill: 'empty' | 'full',
  mem: Mem,
): Observation<number | null, boolean> {
  return {
    name: `${c.name} dequeue`,
    initial: image(c, fill),
    op: (s) => c.take(mem(s)),
    peer: (s) => c.put(plain(s), 0x777),
  };
}

function verdicts<A, B>(obs: () => Observation<A, B>): Record<OrderModel, boolean> {
  const out = {} as Record<OrderModel, boolean>;
  for (const m of ORDER_MODELS) {
    const r = explore(obs(), m);
    expect(r.executions).toBeGreaterThanOrEqual(2);
    out[m] = r.violations.length > 0;
  }
  return out;
}

const HOLDS = { sc: false, tso: false, pso: false, relaxed: false };

describe('spec queue operations at HEAD, the peer at every cut', () => {
  for (const c of CLASSES) {
    it(`${c.name}: enqueue holds on every model (written, release, published)`, () => {
      expect(verdicts(() => producer(c, 'empty', plain))).toEqual(HOLDS);
    });

    // Into a full queue: the full check's head load has no acquire in net and blk, so on C11
    // the slot store may take effect before the consumer's read of that slot (ADR 003: "a
    // release-only C queue cannot promise this"; hardware keeps load→store control dependencies,
    // C11 does not). serial loads head with acquire; i2c's reserved slot keeps the producer one
    // slot short of the one being read.
    const guarded = c.name === 'serial' || c.name.startsWith('i2c');
    it(`${c.name}: enqueue into a full queue holds on SC/TSO/PSO${guarded ? ' and C11' : '; on C11 it overwrites the slot being read'}`, () => {
      expect(verdicts(() => producer(c, 'full', plain))).toEqual({ ...HOLDS, relaxed: !guarded });
    });

    // No acquire after the consumer's tail load except in serial (F9's fix added it).
    const acquire = c.name === 'serial';
    it(`${c.name}: dequeue holds on SC/TSO/PSO${acquire ? ' and C11' : '; on C11 it reads a stale slot (no acquire)'}`, () => {
      expect(verdicts(() => consumer(c, 'empty', plain))).toEqual({ ...HOLDS, relaxed: !acquire });
      // The hand-back is ordered after the read by the release fence (reserved slot or not).
      expect(verdicts(() => consumer(c, 'full', plain))).toEqual(HOLDS);
    });

    it(`${c.name}: without the release fence the producer fails on PSO and C11`, () => {
      expect(verdicts(() => producer(c, 'empty', noRelease))).toEqual({
        sc: false,
        tso: false,
        pso: true,
        relaxed: true,
      });
    });
  }

  it('net publishBeforeWrite (seeded flavour) fails on every model, SC included', () => {
    const f: NetQueueFlavour = { ...NET_FLAVOUR_HEAD, publishBeforeWrite: true };
    const net = CLASSES[0]!;
    const obs = (): Observation<boolean, number | null> => ({
      ...producer(net, 'empty', plain),
      op: (s) => netEnqueue(wordMemory(s), NET, f, 0x777),
    });
    expect(verdicts(obs)).toEqual({ sc: true, tso: true, pso: true, relaxed: true });
  });
});

// ---------------------------------------------------------------- handshakes

function lost(sleeps: boolean, notifies: boolean): string | null {
  return sleeps && !notifies ? 'lost wakeup' : null;
}

function handshake(
  initial: Image,
  waiter: (s: MemorySink) => boolean,
  waker: (s: MemorySink) => boolean,
): Record<OrderModel, boolean> {
  const a = verdicts(() => ({
    name: 'waiter',
    initial,
    op: waiter,
    peer: waker,
    check: (o) => lost(o.op, o.peer),
  }));
  const b = verdicts(() => ({
    name: 'waker',
    initial,
    op: waker,
    peer: waiter,
    check: (o) => lost(o.peer, o.op),
  }));
  const out = {} as Record<OrderModel, boolean>;
  for (const m of ORDER_MODELS) out[m] = a[m] || b[m];
  return out;
}

function netHandshake(f: NetQueueFlavour): Record<OrderModel, boolean> {
  const w = [0xfffe, 0xfffe, 1, 0, 0]; // empty, consumer_signalled = 1 (not armed)
  return handshake(
    wordImage(w),
    (s) => {
      netRequestSignal(wordMemory(s), NET, f);
      return netEmpty(wordMemory(s), NET, f);
    },
    (s) => {
      netEnqueue(wordMemory(s), NET, f, 0x777);
      return netRequireSignal(wordMemory(s), NET, f);
    },
  );
}

function serialHandshake(f: SerialQueueFlavour): Record<OrderModel, boolean> {
  const w = [CAP + 5, 5, 1, 0x41, 0x42]; // full, producer_signalled = 1 (not armed)
  return handshake(
    wordImage(w),
    (s) => {
      serialRequestConsumerSignal(wordMemory(s), SERIAL, f);
      return serialFree(wordMemory(s), SERIAL, f) === 0;
    },
    (s) => {
      serialDequeue(wordMemory(s), SERIAL, f);
      return serialRequireConsumerSignal(wordMemory(s), SERIAL, f);
    },
  );
}

describe('spec signalling orders, the peer at every cut', () => {
  it('net at HEAD (release fences only) loses a wakeup on TSO, PSO and C11: O1', () => {
    expect(netHandshake(NET_FLAVOUR_HEAD)).toEqual({
      sc: false,
      tso: true,
      pso: true,
      relaxed: true,
    });
  });

  it('net with seq_cst fences in request/require (the fix direction) holds everywhere', () => {
    expect(netHandshake({ ...NET_FLAVOUR_HEAD, fences: 'seq_cst' })).toEqual(HOLDS);
  });

  it('serial at HEAD holds everywhere; without the seq_cst fences (F9) it loses a wakeup', () => {
    expect(serialHandshake(SERIAL_FLAVOUR_HEAD)).toEqual(HOLDS);
    expect(serialHandshake({ fences: 'none' })).toEqual({
      sc: false,
      tso: true,
      pso: true,
      relaxed: true,
    });
  });
});
