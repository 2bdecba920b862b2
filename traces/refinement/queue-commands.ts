// Model-based commands (fast-check `fc.commands`) holding each queue implementation
// (impl/queue) against the abstract FIFO (spec/queue/abstract.ts). Shared by the vitest suite
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
    const next = abstractEnqueue(m.queue, this.item);
    expectEqual('enqueue result', r.enqueue(this.item), next !== null);
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
    const next = abstractDequeue(m.queue);
    expectEqual('dequeue result', r.dequeue(), next === null ? null : next.item);
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
    expectEqual('empty', r.empty(), abstractIsEmpty(m.queue));
    expectEqual('full', r.full(), abstractIsFull(m.queue));
    expectEqual('length', r.length(), abstractLength(m.queue));
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
    switch (this.op) {
      case 'request_signal':
        r.requestSignal();
        m.flag = 0;
        return;
      case 'cancel_signal':
        r.cancelSignal();
        m.flag = 1;
        return;
      case 'require_signal':
        expectEqual('require_signal', r.requireSignal(), m.flag === 0);
        return;
    }
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

function model<T>(capacity: number): QueueModel<T> {
  return { queue: abstractEmpty<T>(capacity), flag: 0, staged: [] };
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
    fc.modelRun(() => ({ model: model<NetBuffDesc>(cap), real: wrapped }), commands);
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

/** Sets head @0 and tail @4 (block puts head first). */
function blkRegion(sizeBytes: number, start: number) {
  const buffer = new SharedArrayBuffer(sizeBytes);
  const dv = new DataView(buffer);
  dv.setUint32(0, start, true);
  dv.setUint32(4, start, true);
  return { buffer, byteOffset: 0 };
}

export function blkReqProperty(opts: QueuePropertyOptions = {}) {
  const cmds = fc.commands(queueCommands(blkReqArb), {
    maxCommands: opts.maxCommands ?? 60,
    size: 'max',
  });
  return fc.property(fc.constantFrom(1, 2, 4, 8), startIndex(32), cmds, (cap, start, commands) => {
    const real = new BlkReqQueue({ region: blkRegion(16 + 32 * cap, start), capacity: cap });
    fc.modelRun(
      () => ({ model: model<BlkReq>(cap), real: opts.wrap ? opts.wrap(real) : real }),
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
    const real = new BlkRespQueue({ region: blkRegion(8 + 12 * cap, start), capacity: cap });
    fc.modelRun(
      () => ({ model: model<BlkResp>(cap), real: opts.wrap ? opts.wrap(real) : real }),
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
    for (let i = 0; i < this.count; i++) {
      const got = r.q.dequeueLocal(local);
      const next = abstractDequeue(m.queue);
      expectEqual('dequeue_local', got === null ? null : got.c, next === null ? null : next.item);
      if (got === null || next === null) break;
      local = got.localHead;
      m.queue = next.queue;
    }
    r.q.updateSharedHead(local);
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
    fc.modelRun(() => ({ model: model<number>(cap), real }), commands);
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
      const room = m.queue.items.length + m.staged.length < m.queue.capacity;
      expectEqual('i2c_enqueue_request', r.enqueue(cmd), room);
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
    if (this.commit) {
      r.commit();
      for (const c of m.staged) {
        const next = abstractEnqueue(m.queue, c);
        assert(next !== null, 'staging never exceeds capacity');
        m.queue = next;
      }
    } else {
      r.abort();
    }
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
    // The abstract queue has CAP - 1 usable slots (one reserved, §2.5).
    fc.modelRun(() => ({ model: model<I2cCmd>(cap - 1), real }), commands);
  });
}
