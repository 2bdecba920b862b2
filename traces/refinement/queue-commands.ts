// Model-based commands (fast-check `fc.commands`) holding each queue implementation
// (impl/queue) to the spec twice over: in lockstep with the spec's own operations (spec-twins.ts:
// same results, same shared index and flag words at their C offsets after every command) and
// against the abstract FIFO (spec/queue/abstract.ts) the spec refines. Shared by the vitest suite
// and by `runQueueRefinement` (queues.ts), so `sddf check` runs exactly what the tests run.
// Every command's `check(model)` only reads; `run(model, real)` asserts and then advances the model.
import fc from 'fast-check';
import { assert } from '../../spec/common/assert.ts';
import {
  abstractDequeue,
  abstractEmpty,
  abstractEnqueue,
  abstractIsEmpty,
  abstractIsFull,
  abstractLength,
  type AbstractQueue,
} from '../../spec/queue/abstract.ts';
import { BlkReqCode, BlkRespStatus, type BlkReq, type BlkResp } from '../../spec/queue/blk.ts';
import { I2C_CAPACITY, type I2cCmd } from '../../spec/queue/i2c.ts';
import { NET_OID_LIMIT, type NetBuffDesc, type NetFullCheck } from '../../spec/queue/net.ts';
import { BlkReqQueue, BlkRespQueue } from '../../impl/queue/blk.ts';
import { I2cReqQueue } from '../../impl/queue/i2c.ts';
import { NetQueue } from '../../impl/queue/net.ts';
import { SerialQueue } from '../../impl/queue/serial.ts';
import {
  BlkReqTwin,
  BlkRespTwin,
  I2cReqTwin,
  NetTwin,
  SerialTwin,
  type SharedWords,
  type SignalTwin,
  type SpecTwin,
} from './spec-twins.ts';

/** What every implemented queue offers the generic commands. */
export interface QueueUnderTest<T> {
  enqueue(item: T): boolean;
  dequeue(): T | null;
  empty(): boolean;
  full(): boolean;
  length(): number;
}

export interface QueueModel<T> {
  queue: AbstractQueue<T>;
  /** Net/serial only: the abstract signalling flag (0 = wants a signal). */
  flag: number;
  /** i2c only: commands staged but not committed. */
  staged: T[];
  /** The spec's operations run in lockstep (spec-twins.ts). */
  twin: SpecTwin<T> & Partial<SignalTwin>;
  /** The implementation's shared words, read from its SharedArrayBuffer at the C offsets. */
  readWords: () => SharedWords;
}

/** After every command: the implementation's shared words are the spec's. */
function sameWords<T>(what: string, m: QueueModel<T>): void {
  expectEqual(`${what}: shared words (impl vs spec)`, m.readWords(), m.twin.words());
}

/** A canonical text of an item: sorted keys, bigint as `123n`, prototype ignored. */
export function canonical(x: unknown): string {
  return JSON.stringify(x, (_k, v: unknown) => {
    if (typeof v === 'bigint') return `${v}n`;
    if (v !== null && typeof v === 'object' && !Array.isArray(v)) {
      return Object.fromEntries(Object.entries(v).sort(([a], [b]) => (a < b ? -1 : 1)));
    }
    return v;
  });
}

/** Item equality that understands bigint fields (io_or_offset, block_number). */
export function sameItem(a: unknown, b: unknown): boolean {
  return canonical(a) === canonical(b);
}

function expectEqual(what: string, seen: unknown, expected: unknown): void {
  assert(
    sameItem(seen, expected),
    () => `${what}: expected ${fc.stringify(expected)}, saw ${fc.stringify(seen)}`,
  );
}

class EnqueueCommand<T> implements fc.Command<QueueModel<T>, QueueUnderTest<T>> {
  constructor(readonly item: T) {}
  check(): boolean {
    return true;
  }
  run(m: QueueModel<T>, r: QueueUnderTest<T>): void {
    const got = r.enqueue(this.item);
    expectEqual('enqueue result (impl vs spec)', got, m.twin.enqueue(this.item));
    sameWords('enqueue', m);
    const next = abstractEnqueue(m.queue, this.item);
    expectEqual('enqueue result', got, next !== null);
    if (next !== null) m.queue = next;
  }
  toString(): string {
    return `enqueue(${fc.stringify(this.item)})`;
  }
}

class DequeueCommand<T> implements fc.Command<QueueModel<T>, QueueUnderTest<T>> {
  check(): boolean {
    return true;
  }
  run(m: QueueModel<T>, r: QueueUnderTest<T>): void {
    const got = r.dequeue();
    expectEqual('dequeue result (impl vs spec)', got, m.twin.dequeue());
    sameWords('dequeue', m);
    const next = abstractDequeue(m.queue);
    expectEqual('dequeue result', got, next === null ? null : next.item);
    if (next !== null) m.queue = next.queue;
  }
  toString(): string {
    return 'dequeue';
  }
}

class ObserveCommand<T> implements fc.Command<QueueModel<T>, QueueUnderTest<T>> {
  check(): boolean {
    return true;
  }
  run(m: QueueModel<T>, r: QueueUnderTest<T>): void {
    const [empty, full, length] = [r.empty(), r.full(), r.length()];
    expectEqual('empty (impl vs spec)', empty, m.twin.empty());
    expectEqual('full (impl vs spec)', full, m.twin.full());
    expectEqual('length (impl vs spec)', length, m.twin.length());
    expectEqual('empty', empty, abstractIsEmpty(m.queue));
    expectEqual('full', full, abstractIsFull(m.queue));
    expectEqual('length', length, abstractLength(m.queue));
  }
  toString(): string {
    return 'observe(empty, full, length)';
  }
}

/** Interface the signalling commands drive (net consumer_signalled, serial producer_signalled). */
interface Signalled {
  requestSignal(): void;
  cancelSignal(): void;
  requireSignal(): boolean;
}

class SignalCommand<T> implements fc.Command<QueueModel<T>, QueueUnderTest<T> & Signalled> {
  constructor(readonly op: 'request_signal' | 'cancel_signal' | 'require_signal') {}
  check(): boolean {
    return true;
  }
  run(m: QueueModel<T>, r: QueueUnderTest<T> & Signalled): void {
    const twin = m.twin as SpecTwin<T> & SignalTwin;
    switch (this.op) {
      case 'request_signal':
        r.requestSignal();
        twin.requestSignal();
        m.flag = 0;
        break;
      case 'cancel_signal':
        r.cancelSignal();
        twin.cancelSignal();
        m.flag = 1;
        break;
      case 'require_signal': {
        const got = r.requireSignal();
        expectEqual('require_signal (impl vs spec)', got, twin.requireSignal());
        expectEqual('require_signal', got, m.flag === 0);
        break;
      }
    }
    sameWords(this.op, m);
  }
  toString(): string {
    return this.op;
  }
}

function queueCommands<T>(item: fc.Arbitrary<T>) {
  return [
    item.map((x) => new EnqueueCommand<T>(x)),
    fc.constant(new DequeueCommand<T>()),
    fc.constant(new ObserveCommand<T>()),
  ];
}

function signalCommands<T>() {
  return (['request_signal', 'cancel_signal', 'require_signal'] as const).map((op) =>
    fc.constant(new SignalCommand<T>(op)),
  );
}

/** Options of one class's model-based property. */
export interface QueuePropertyOptions {
  /** Seeded bug: the net full check as C writes it (U1). */
  readonly netFullCheck?: NetFullCheck;
  /** Wrap the real queue (tests pass a deliberately broken one). */
  readonly wrap?: <T>(q: QueueUnderTest<T>) => QueueUnderTest<T>;
  readonly maxCommands?: number;
}

/** Starting indices: zero, just below the wrap, or anywhere (the wrap is where the bugs are). */
function startIndex(width: 16 | 32): fc.Arbitrary<number> {
  const max = width === 16 ? 0xffff : 0xffff_ffff;
  return fc.oneof(
    fc.constant(0),
    fc.constant(max - 2),
    fc.integer({ min: max - 40, max }),
    fc.integer({ min: 0, max }),
  );
}

function model<T>(opts: {
  readonly capacity: number;
  readonly twin: SpecTwin<T> & Partial<SignalTwin>;
  readonly readWords: () => SharedWords;
}): QueueModel<T> {
  return {
    queue: abstractEmpty<T>(opts.capacity),
    flag: 0,
    staged: [],
    twin: opts.twin,
    readWords: opts.readWords,
  };
}

export const netDescArb: fc.Arbitrary<NetBuffDesc> = fc.record({
  ioOrOffset: fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }),
  len: fc.integer({ min: 0, max: 0xffff }),
  oid: fc.integer({ min: 0, max: NET_OID_LIMIT - 1 }),
});

export function netProperty(opts: QueuePropertyOptions = {}) {
  const capacity = fc.constantFrom(1, 2, 4, 8);
  const cmds = fc.commands([...queueCommands(netDescArb), ...signalCommands<NetBuffDesc>()], {
    maxCommands: opts.maxCommands ?? 60,
    size: 'max',
  });
  return fc.property(capacity, startIndex(16), cmds, (cap, start, commands) => {
    const buffer = new SharedArrayBuffer(NetQueue.sizeBytes(cap));
    const dv = new DataView(buffer);
    // Set the initial indices by writing the shared words at their C offsets (tail @0, head @2).
    dv.setUint16(0, start, true);
    dv.setUint16(2, start, true);
    const real = new NetQueue({
      region: { buffer, byteOffset: 0 },
      capacity: cap,
      ...(opts.netFullCheck ? { fullCheck: opts.netFullCheck } : {}),
    });
    const wrapped = opts.wrap ? Object.assign(opts.wrap<NetBuffDesc>(real), signalsOf(real)) : real;
    const twin = new NetTwin(cap, start, opts.netFullCheck ?? 'corrected');
    const readWords = () => ({
      tail: dv.getUint16(0, true),
      head: dv.getUint16(2, true),
      consumer_signalled: dv.getUint32(4, true),
    });
    fc.modelRun(
      () => ({ model: model<NetBuffDesc>({ capacity: cap, twin, readWords }), real: wrapped }),
      commands,
    );
  });
}

function signalsOf(s: Signalled): Signalled {
  return {
    requestSignal: () => s.requestSignal(),
    cancelSignal: () => s.cancelSignal(),
    requireSignal: () => s.requireSignal(),
  };
}

const u64Arb = fc.bigInt({ min: 0n, max: (1n << 64n) - 1n });
const u32Arb = fc.integer({ min: 0, max: 0xffff_ffff });

export const blkReqArb: fc.Arbitrary<BlkReq> = fc.record({
  code: fc.constantFrom(...Object.values(BlkReqCode)),
  ioOrOffset: u64Arb,
  blockNumber: u64Arb,
  count: fc.integer({ min: 0, max: 0xffff }),
  id: u32Arb,
});

export const blkRespArb: fc.Arbitrary<BlkResp> = fc.record({
  status: fc.constantFrom(...Object.values(BlkRespStatus)),
  successCount: fc.integer({ min: 0, max: 0xffff }),
  id: u32Arb,
});

/** Sets head @0 and tail @4 (block puts head first); reads them back for the twin check. */
function blkRegion(sizeBytes: number, start: number) {
  const buffer = new SharedArrayBuffer(sizeBytes);
  const dv = new DataView(buffer);
  dv.setUint32(0, start, true);
  dv.setUint32(4, start, true);
  const readWords = () => ({ head: dv.getUint32(0, true), tail: dv.getUint32(4, true) });
  return { region: { buffer, byteOffset: 0 }, readWords };
}

export function blkReqProperty(opts: QueuePropertyOptions = {}) {
  const cmds = fc.commands(queueCommands(blkReqArb), {
    maxCommands: opts.maxCommands ?? 60,
    size: 'max',
  });
  return fc.property(fc.constantFrom(1, 2, 4, 8), startIndex(32), cmds, (cap, start, commands) => {
    const { region, readWords } = blkRegion(16 + 32 * cap, start);
    const real = new BlkReqQueue({ region, capacity: cap });
    const twin = new BlkReqTwin(cap, start);
    fc.modelRun(
      () => ({
        model: model<BlkReq>({ capacity: cap, twin, readWords }),
        real: opts.wrap ? opts.wrap(real) : real,
      }),
      commands,
    );
  });
}

export function blkRespProperty(opts: QueuePropertyOptions = {}) {
  const cmds = fc.commands(queueCommands(blkRespArb), {
    maxCommands: opts.maxCommands ?? 60,
    size: 'max',
  });
  return fc.property(fc.constantFrom(1, 2, 4, 8), startIndex(32), cmds, (cap, start, commands) => {
    const { region, readWords } = blkRegion(8 + 12 * cap, start);
    const real = new BlkRespQueue({ region, capacity: cap });
    const twin = new BlkRespTwin(cap, start);
    fc.modelRun(
      () => ({
        model: model<BlkResp>({ capacity: cap, twin, readWords }),
        real: opts.wrap ? opts.wrap(real) : real,
      }),
      commands,
    );
  });
}

/** Serial: the byte queue through its shared-tail, local and batch operations. */
class SerialAdapter implements QueueUnderTest<number>, Signalled {
  constructor(readonly q: SerialQueue) {}
  enqueue(c: number): boolean {
    return this.q.enqueue(c);
  }
  dequeue(): number | null {
    return this.q.dequeue();
  }
  empty(): boolean {
    return this.q.empty();
  }
  full(): boolean {
    return this.q.full();
  }
  length(): number {
    return this.q.length();
  }
  requestSignal(): void {
    this.q.requestConsumerSignal();
  }
  cancelSignal(): void {
    this.q.cancelConsumerSignal();
  }
  requireSignal(): boolean {
    return this.q.requireConsumerSignal();
  }
}

class SerialBatchCommand implements fc.Command<QueueModel<number>, SerialAdapter> {
  constructor(
    readonly bytes: number[],
    readonly mode: 'enqueue_batch' | 'enqueue_local',
  ) {}
  check(): boolean {
    return true;
  }
  run(m: QueueModel<number>, r: SerialAdapter): void {
    let n = 0;
    if (this.mode === 'enqueue_batch') {
      n = r.q.enqueueBatch(Uint8Array.from(this.bytes));
    } else {
      let local = r.q.sharedTail();
      for (const c of this.bytes) {
        const next = r.q.enqueueLocal(local, c);
        if (next === null) break;
        local = next;
        n++;
      }
      r.q.updateSharedTail(local);
    }
    const twin = m.twin as SerialTwin;
    const spec =
      this.mode === 'enqueue_batch' ? twin.enqueueBatch(this.bytes) : twin.enqueueLocal(this.bytes);
    expectEqual(`${this.mode} count (impl vs spec)`, n, spec);
    sameWords(this.mode, m);
    const free = m.queue.capacity - abstractLength(m.queue);
    expectEqual(`${this.mode} count`, n, Math.min(free, this.bytes.length));
    for (const c of this.bytes.slice(0, n)) {
      const next = abstractEnqueue(m.queue, c);
      assert(next !== null, 'model has room');
      m.queue = next;
    }
  }
  toString(): string {
    return `${this.mode}([${this.bytes.join(',')}])`;
  }
}

class SerialDequeueLocalCommand implements fc.Command<QueueModel<number>, SerialAdapter> {
  constructor(readonly count: number) {}
  check(): boolean {
    return true;
  }
  run(m: QueueModel<number>, r: SerialAdapter): void {
    let local = r.q.sharedHead();
    const got: number[] = [];
    for (let i = 0; i < this.count; i++) {
      const c = r.q.dequeueLocal(local);
      const next = abstractDequeue(m.queue);
      expectEqual('dequeue_local', c === null ? null : c.c, next === null ? null : next.item);
      if (c === null || next === null) break;
      got.push(c.c);
      local = c.localHead;
      m.queue = next.queue;
    }
    r.q.updateSharedHead(local);
    expectEqual(
      'dequeue_local (impl vs spec)',
      got,
      (m.twin as SerialTwin).dequeueLocal(this.count),
    );
    sameWords('dequeue_local', m);
  }
  toString(): string {
    return `dequeue_local(${this.count})`;
  }
}

export function serialProperty(opts: QueuePropertyOptions = {}) {
  const byte = fc.integer({ min: 0, max: 0xff });
  const cmds = fc.commands(
    [
      ...queueCommands(byte),
      ...signalCommands<number>(),
      fc.array(byte, { maxLength: 12 }).map((b) => new SerialBatchCommand(b, 'enqueue_batch')),
      fc.array(byte, { maxLength: 12 }).map((b) => new SerialBatchCommand(b, 'enqueue_local')),
      fc.integer({ min: 0, max: 10 }).map((n) => new SerialDequeueLocalCommand(n)),
    ] as fc.Arbitrary<fc.Command<QueueModel<number>, SerialAdapter>>[],
    { maxCommands: opts.maxCommands ?? 60, size: 'max' },
  );
  return fc.property(fc.constantFrom(1, 2, 4, 8), startIndex(32), cmds, (cap, start, commands) => {
    const qbuf = new SharedArrayBuffer(12);
    const dv = new DataView(qbuf);
    dv.setUint32(0, start, true); // tail @0
    dv.setUint32(4, start, true); // head @4
    const q = new SerialQueue({
      queue: { buffer: qbuf, byteOffset: 0 },
      data: { buffer: new SharedArrayBuffer(cap), byteOffset: 0 },
      capacity: cap,
    });
    const real = new SerialAdapter(q);
    if (opts.wrap) {
      const w = opts.wrap<number>(real);
      real.enqueue = (c) => w.enqueue(c);
      real.dequeue = () => w.dequeue();
    }
    const twin = new SerialTwin(cap, start);
    const readWords = () => ({
      tail: dv.getUint32(0, true),
      head: dv.getUint32(4, true),
      producer_signalled: dv.getUint32(8, true),
    });
    fc.modelRun(
      () => ({ model: model<number>({ capacity: cap, twin, readWords }), real }),
      commands,
    );
  });
}

/** I²C request queue: stage, commit, abort; the consumer sees committed commands only. */
/** Stages a transaction's commands one `i2c_enqueue_request` at a time. */
class I2cStageCommand implements fc.Command<QueueModel<I2cCmd>, I2cReqQueue> {
  constructor(readonly cmds: readonly I2cCmd[]) {}
  check(): boolean {
    return true;
  }
  run(m: QueueModel<I2cCmd>, r: I2cReqQueue): void {
    for (const cmd of this.cmds) {
      const got = r.enqueue(cmd);
      expectEqual('i2c_enqueue_request (impl vs spec)', got, m.twin.enqueue(cmd));
      sameWords('i2c_enqueue_request', m);
      const room = m.queue.items.length + m.staged.length < m.queue.capacity;
      expectEqual('i2c_enqueue_request', got, room);
      if (room) m.staged.push(cmd);
    }
  }
  toString(): string {
    return `stage(${this.cmds.length} cmds: ${fc.stringify(this.cmds[0])}…)`;
  }
}

class I2cCommitCommand implements fc.Command<QueueModel<I2cCmd>, I2cReqQueue> {
  constructor(readonly commit: boolean) {}
  check(): boolean {
    return true;
  }
  run(m: QueueModel<I2cCmd>, r: I2cReqQueue): void {
    const twin = m.twin as I2cReqTwin;
    if (this.commit) {
      r.commit();
      twin.commit();
      for (const c of m.staged) {
        const next = abstractEnqueue(m.queue, c);
        assert(next !== null, 'staging never exceeds capacity');
        m.queue = next;
      }
    } else {
      r.abort();
      twin.abort();
    }
    sameWords(this.commit ? 'commit' : 'abort', m);
    m.staged = [];
  }
  toString(): string {
    return this.commit ? 'commit' : 'abort';
  }
}

export const i2cCmdArb: fc.Arbitrary<I2cCmd> = fc.record({
  payload: u64Arb,
  dataLen: fc.integer({ min: 0, max: 0xff }),
  flagMask: fc.integer({ min: 0, max: 31 }),
});

/**
 * `atWrap: false` keeps the live window below the u32 wrap (the refinement holds there);
 * `atWrap: true` starts at 2^32 − 3, where capacity 254 breaks `% capacity` (bug U5).
 */
export function i2cProperty(
  opts: QueuePropertyOptions & { readonly atWrap?: boolean; readonly capacity?: number } = {},
) {
  const cap = opts.capacity ?? I2C_CAPACITY;
  const start = opts.atWrap
    ? fc.constant(0xffff_ffff - 2)
    : fc.integer({ min: 0, max: 0xffff_ffff - 4 * cap });
  const cmds = fc.commands(
    [
      fc.array(i2cCmdArb, { minLength: 1, maxLength: 64 }).map((c) => new I2cStageCommand(c)),
      fc.constant(new I2cCommitCommand(true)),
      fc.constant(new I2cCommitCommand(false)),
      fc.constant(new DequeueCommand<I2cCmd>()),
      fc.constant(new ObserveCommand<I2cCmd>()),
    ] as fc.Arbitrary<fc.Command<QueueModel<I2cCmd>, I2cReqQueue>>[],
    { maxCommands: opts.maxCommands ?? 40, size: 'max' },
  );
  return fc.property(start, cmds, (s, commands) => {
    const buffer = new SharedArrayBuffer(16 + 16 * cap);
    const dv = new DataView(buffer);
    dv.setUint32(0, s, true); // staged_active_tail @0
    dv.setUint32(4, s, true); // ctrl.tail @4
    dv.setUint32(8, s, true); // ctrl.head @8
    const real = new I2cReqQueue({ region: { buffer, byteOffset: 0 }, capacity: cap });
    const twin = new I2cReqTwin(cap, s);
    const readWords = () => ({
      staged_active_tail: dv.getUint32(0, true),
      tail: dv.getUint32(4, true),
      head: dv.getUint32(8, true),
    });
    // The abstract queue has CAP - 1 usable slots (one reserved, §2.5).
    fc.modelRun(
      () => ({ model: model<I2cCmd>({ capacity: cap - 1, twin, readWords }), real }),
      commands,
    );
  });
}
