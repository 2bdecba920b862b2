// A rig that runs serial (and other word-memory) component programs step by step on a hand-set
// state: a sequentially consistent word memory (the fences it was asked for are recorded, not
// acted on), device words, ghosts, per-PD locals, and a record of what each PD asked of the
// kernel (`client: notify 0`, `virt_tx: deferred 1`) and the properties it reported broken. The
// serial queues are laid out as proofs/models/serial-tx.ts lays them out, with the old
// `consumer_signalled` word of the two-flag protocol. Weak memory is the model checker's business,
// not these handler tests'.
import type { FenceKind, SharedMem } from '../../../../spec/common/memory.ts';
import {
  PC_DONE,
  type ComponentProgram,
  type PdContext,
} from '../../../../spec/components/program.ts';
import {
  SERIAL_FLAVOUR_HEAD,
  serialDequeue,
  serialEnqueue,
  type SerialQueueRef,
} from '../../../../spec/queue/serial.ts';
import { FLAG_SIGNALLED, FLAG_WANTS_SIGNAL } from '../../../../spec/signal/handshake.ts';

export interface Failed {
  readonly pd: string;
  readonly property: string;
  readonly message: string;
}

/** Plain word memory; loads of words never written read 0 (zero-initialised regions). */
export class Words implements SharedMem {
  readonly w: number[] = [];
  readonly fences: FenceKind[] = [];
  load(addr: number): number {
    if (!Number.isInteger(addr) || addr < 0) throw new Error(`load of address ${addr}`);
    return this.w[addr] ?? 0;
  }
  store(addr: number, value: number): void {
    if (!Number.isInteger(addr) || addr < 0) throw new Error(`store to address ${addr}`);
    this.w[addr] = value >>> 0;
  }
  fence(kind: FenceKind): void {
    this.fences.push(kind);
  }
}

export class Rig {
  readonly mem = new Words();
  readonly devWords: number[] = [];
  readonly ghosts: number[] = [];
  readonly calls: string[] = [];
  readonly fails: Failed[] = [];
  readonly locals = new Map<string, number[]>();
  private next = 0;
  /** The deferred slot (-1: empty), as `sddf_deferred_notify_curr()` reads it. */
  deferredCurr = -1;

  /** `n` fresh words. */
  alloc(n = 1): number {
    const at = this.next;
    this.next += n;
    return at;
  }

  /** A serial queue laid out as the serial-tx model lays it out; both flags start 0 (wanted). */
  serialQueue(name: string, capacity: number): SerialQueueRef {
    const tail = this.alloc();
    const head = this.alloc();
    const producerSignalled = this.alloc();
    const consumerSignalled = this.alloc();
    const data = this.alloc(capacity);
    return { name, tail, head, producerSignalled, consumerSignalled, data, capacity };
  }

  local(prog: ComponentProgram, i: number): number {
    return this.localsOf(prog)[i] ?? 0;
  }
  setLocal(prog: ComponentProgram, i: number, v: number): void {
    this.localsOf(prog)[i] = v >>> 0;
  }
  ghost(i: number): number {
    return this.ghosts[i] ?? 0;
  }

  private localsOf(prog: ComponentProgram): number[] {
    let l = this.locals.get(prog.name);
    if (l === undefined) {
      l = new Array<number>(prog.localWords).fill(0);
      this.locals.set(prog.name, l);
    }
    return l;
  }

  ctx(prog: ComponentProgram): PdContext {
    const words = prog.localWords;
    const l = this.localsOf(prog);
    const checked = (i: number) => {
      if (!(Number.isInteger(i) && i >= 0 && i < words))
        throw new Error(`${prog.name}: local ${i} of ${words}`);
      return i;
    };
    const pd = prog.name;
    return {
      mem: this.mem,
      dev: {
        read: (a) => this.devWords[a] ?? 0,
        write: (a, v) => void (this.devWords[a] = v >>> 0),
      },
      local: (i) => l[checked(i)] ?? 0,
      setLocal: (i, v) => void (l[checked(i)] = v >>> 0),
      notify: (ch) => void this.calls.push(`${pd}: notify ${ch}`),
      deferredNotify: (ch) => {
        this.calls.push(`${pd}: deferred ${ch}`);
        this.deferredCurr = ch;
      },
      deferredIrqAck: (ch) => void this.calls.push(`${pd}: deferred_irq_ack ${ch}`),
      irqAck: (ch) => void this.calls.push(`${pd}: irq_ack ${ch}`),
      deferredNotifyCurr: () => this.deferredCurr,
      fail: (property, message) => void this.fails.push({ pd, property, message }),
      ghost: (i) => this.ghosts[i] ?? 0,
      setGhost: (i, v) => void (this.ghosts[i] = v >>> 0),
    };
  }

  /**
   * Runs `prog` from `pc` until PC_DONE; returns the step names it ran. With `limit`, stops after
   * that many steps; without, 1000 steps are an error (a handler that never returns).
   */
  run(prog: ComponentProgram, pc: number, limit?: number): string[] {
    const ctx = this.ctx(prog);
    const ran: string[] = [];
    for (let n = 0; pc !== PC_DONE; n++) {
      if (limit !== undefined && n >= limit) return ran;
      if (n > 1000) throw new Error(`${prog.name}: no return: ${ran.slice(-8).join(', ')}`);
      const name = prog.steps[pc];
      if (name === undefined || pc <= 0) throw new Error(`${prog.name}: pc ${pc} has no step`);
      ran.push(name);
      pc = prog.step(pc, ctx);
    }
    return ran;
  }

  /** One step of `prog` at the pc of the step named `name`; returns the next step's name. */
  step(prog: ComponentProgram, name: string): string {
    const pc = prog.steps.indexOf(name);
    if (pc <= 0) throw new Error(`${prog.name}: no step ${name}`);
    const next = prog.step(pc, this.ctx(prog));
    return next === PC_DONE ? 'DONE' : prog.steps[next]!;
  }

  /** `notified(ch)` of `prog`. */
  notified(prog: ComponentProgram, ch: number): string[] {
    this.deferredCurr = -1;
    return this.run(prog, prog.entry(ch));
  }

  /** `init()` of `prog`. */
  init(prog: ComponentProgram): string[] {
    this.deferredCurr = -1;
    if (prog.initPc === PC_DONE) throw new Error(`${prog.name} has no init`);
    return this.run(prog, prog.initPc);
  }

  // Serial queue helpers (HEAD accesses).
  put(q: SerialQueueRef, ...bytes: number[]): void {
    for (const b of bytes)
      if (!serialEnqueue(this.mem, q, SERIAL_FLAVOUR_HEAD, b)) throw new Error(`${q.name} full`);
  }
  drain(q: SerialQueueRef): number[] {
    const out: number[] = [];
    for (let c = serialDequeue(this.mem, q, SERIAL_FLAVOUR_HEAD); c !== null;) {
      out.push(c);
      c = serialDequeue(this.mem, q, SERIAL_FLAVOUR_HEAD);
    }
    return out;
  }
  /** The bytes a queue holds, without consuming them. */
  peek(q: SerialQueueRef): number[] {
    const out: number[] = [];
    const tail = this.mem.load(q.tail);
    for (let i = this.mem.load(q.head); i !== tail; i = (i + 1) >>> 0)
      out.push(this.mem.load(q.data + (i % q.capacity)));
    return out;
  }
  /** Sets a queue's indices (a queue that has carried `at` bytes, holding none). */
  at(q: SerialQueueRef, at: number): void {
    this.mem.store(q.tail, at);
    this.mem.store(q.head, at);
  }
  /** `producer_signalled` (and the old `consumer_signalled`) as booleans: armed = wants a signal. */
  armed(q: SerialQueueRef): boolean {
    return this.mem.load(q.producerSignalled) === FLAG_WANTS_SIGNAL;
  }
  armedOld(q: SerialQueueRef): boolean {
    return this.mem.load(q.consumerSignalled!) === FLAG_WANTS_SIGNAL;
  }
  setFlag(q: SerialQueueRef, armed: boolean, old = false): void {
    const addr = old ? q.consumerSignalled! : q.producerSignalled;
    this.mem.store(addr, armed ? FLAG_WANTS_SIGNAL : FLAG_SIGNALLED);
  }
}
