// A rig that runs the block components' spec programs (spec/components/blk/programs.ts and
// spec/components/blk-peers.ts) handler by handler on a hand-set state, without the model checker:
// a flat, sequentially consistent word memory that refuses an address outside it (a PD reads and
// writes only what is mapped), PD locals and ghost words that refuse an index outside the program's
// own, and a PdContext that records what the PD asked of the kernel and the properties it reported
// broken. The same shape as test/spec/components/net/rig.ts, over a layout built here.
import type { DeviceMem, SharedMem } from '../../../../spec/common/memory.ts';
import {
  PC_DONE,
  type ComponentProgram,
  type PdContext,
} from '../../../../spec/components/program.ts';
import {
  BLK_FLAVOUR_HEAD,
  BlkReqCode,
  blkDequeue,
  blkEnqueue,
  type BlkQueueFlavour,
  type BlkQueueRef,
} from '../../../../spec/queue/blk.ts';
import type { BlkModelConfig, BlkScriptEntry } from '../../../../spec/components/blk/programs.ts';

export interface Failed {
  readonly property: string;
  readonly message: string;
}

/** Word memory of `size` words; an access outside it is an error (an unmapped address). */
export class FlatMem implements SharedMem {
  readonly words: Uint32Array;
  constructor(size: number) {
    this.words = new Uint32Array(size);
  }
  private check(addr: number): number {
    if (!Number.isInteger(addr) || addr < 0 || addr >= this.words.length)
      throw new Error(`address ${addr} outside the ${this.words.length}-word memory`);
    return addr;
  }
  load(addr: number): number {
    return this.words[this.check(addr)]!;
  }
  store(addr: number, value: number): void {
    this.words[this.check(addr)] = value >>> 0;
  }
  fence(): void {}
}

/** Allocates words in order; `queue` lays out head, tail, slots. */
export class Alloc {
  next = 0;
  word(n = 1): number {
    const a = this.next;
    this.next += n;
    return a;
  }
  queue(name: string, capacity: number, extra: { size?: boolean } = {}): BlkQueueRef {
    return {
      name,
      head: this.word(),
      tail: this.word(),
      slots: this.word(capacity),
      capacity,
      ...(extra.size === true ? { size: this.word() } : {}),
    };
  }
}

export class PdRig {
  readonly calls: string[] = [];
  readonly fails: Failed[] = [];
  readonly locals: Uint32Array;
  deferredCurr = -1;
  constructor(
    readonly program: ComponentProgram,
    readonly mem: FlatMem,
    readonly ghosts: Uint32Array,
  ) {
    this.locals = new Uint32Array(program.localWords);
  }
  ctx(): PdContext {
    const inRange = (what: string, i: number, n: number): number => {
      if (!(Number.isInteger(i) && i >= 0 && i < n))
        throw new Error(`${this.program.name}: ${what} ${i} of ${n}`);
      return i;
    };
    const dev: DeviceMem = { read: (a) => this.mem.load(a), write: (a, v) => this.mem.store(a, v) };
    return {
      mem: this.mem,
      dev,
      local: (i) => this.locals[inRange('local', i, this.locals.length)]!,
      setLocal: (i, v) => void (this.locals[inRange('local', i, this.locals.length)] = v >>> 0),
      notify: (ch) => void this.calls.push(`notify ${ch}`),
      deferredNotify: (ch) => {
        this.calls.push(`deferred ${ch}`);
        this.deferredCurr = ch;
      },
      deferredIrqAck: (ch) => void this.calls.push(`deferred_irq_ack ${ch}`),
      irqAck: (ch) => void this.calls.push(`irq_ack ${ch}`),
      deferredNotifyCurr: () => this.deferredCurr,
      fail: (property, message) => void this.fails.push({ property, message }),
      ghost: (i) => this.ghosts[inRange('ghost', i, this.ghosts.length)]!,
      setGhost: (i, v) => void (this.ghosts[inRange('ghost', i, this.ghosts.length)] = v >>> 0),
    };
  }
  /** Runs from `pc` to PC_DONE; the names of the steps run. 1000 steps without return: an error. */
  runFrom(pc: number): string[] {
    const ctx = this.ctx();
    const ran: string[] = [];
    for (let n = 0; pc !== PC_DONE; n++) {
      if (n > 1000) throw new Error(`${this.program.name}: no return after 1000 steps`);
      ran.push(this.program.steps[pc]!);
      pc = this.program.step(pc, ctx);
    }
    return ran;
  }
  notified(ch: number): string[] {
    this.deferredCurr = -1;
    return this.runFrom(this.program.entry(ch));
  }
  init(): string[] {
    this.deferredCurr = -1;
    if (this.program.initPc === PC_DONE) throw new Error(`${this.program.name}: no init`);
    return this.runFrom(this.program.initPc);
  }
}

export function enq(
  mem: SharedMem,
  q: BlkQueueRef,
  v: number,
  f: BlkQueueFlavour = BLK_FLAVOUR_HEAD,
): void {
  if (!blkEnqueue(mem, q, v, f)) throw new Error(`${q.name} full`);
}

export function drain(
  mem: SharedMem,
  q: BlkQueueRef,
  f: BlkQueueFlavour = BLK_FLAVOUR_HEAD,
): number[] {
  const out: number[] = [];
  for (let v = blkDequeue(mem, q, f); v !== null; v = blkDequeue(mem, q, f)) out.push(v);
  return out;
}

/** What `drain` would return, without consuming. */
export function peek(mem: FlatMem, q: BlkQueueRef): number[] {
  const head = mem.load(q.head);
  const tail = mem.load(q.tail);
  const out: number[] = [];
  for (let i = head; i !== tail; i = (i + 1) >>> 0) out.push(mem.load(q.slots + (i % q.capacity)));
  return out;
}

/** The model's script (proofs/models/blk-virt.ts): WRITE, BARRIER, READ. */
export const MODEL_SCRIPT: readonly BlkScriptEntry[] = [
  { code: BlkReqCode.WRITE, block: 0n, offset: 0n, count: 1 },
  { code: BlkReqCode.BARRIER, block: 0n, offset: 0n, count: 0 },
  { code: BlkReqCode.READ, block: 0n, offset: 4096n, count: 1 },
];

export interface BlkSetup {
  readonly cfg: BlkModelConfig;
  readonly mem: FlatMem;
  /** The client's ghosts: BG_READY and one state per script entry. */
  readonly ghosts: Uint32Array;
}

/**
 * A block-virt configuration with its own capacities. The device's `held` words come last in
 * memory, `done` right before them: a driver that indexes past its slots touches unmapped memory.
 */
export function blkSetup(
  o: {
    readonly capacity?: number;
    readonly cRespCapacity?: number;
    readonly dReqCapacity?: number;
    readonly driverIds?: number;
    readonly script?: readonly BlkScriptEntry[];
    readonly bug?: string;
  } = {},
): BlkSetup {
  const cap = o.capacity ?? 4;
  const ids = o.driverIds ?? cap;
  const script = o.script ?? MODEL_SCRIPT;
  const a = new Alloc();
  const cReq = a.queue('client.req', cap);
  const cResp = a.queue('client.resp', o.cRespCapacity ?? cap);
  const dReq = a.queue('driver.req', o.dReqCapacity ?? cap);
  const dResp = a.queue('driver.resp', cap);
  const badMirror = a.word();
  const done = a.word(ids);
  const held = a.word(ids);
  const cfg: BlkModelConfig = {
    cReq,
    cResp,
    dReq,
    dResp,
    script,
    client: {
      partition: { startSector: 16n, sectors: 32n }, // blocks [2, 6)
      dataSizeBytes: 4n * 4096n,
      dataIoAddr: 0x10000n,
      dataVaddr: 0x20000n,
    },
    driverIds: ids,
    held,
    done,
    badMirror,
    ghost: 0,
    ...(o.bug === undefined ? {} : { bug: o.bug }),
  };
  return { cfg, mem: new FlatMem(a.next), ghosts: new Uint32Array(1 + script.length) };
}
