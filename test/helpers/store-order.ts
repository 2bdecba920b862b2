// Test helper: observe every intermediate memory image of one queue operation (issue 12 part 4).
//
// Tests and models treat an enqueue or dequeue as one step, so the order of the stores *within*
// an operation was invisible. Here an operation runs against a `MemorySink` that records its
// accesses (loads, stores, fences, each marked SC-atomic or plain) in program order. From that
// record, `explore` runs a peer operation (the other side of the queue) atomically at every point
// the chosen memory model allows the operation to have reached:
//
//   - a *cut* is a set S of the operation's accesses closed under its preserved program order
//     (ppo): S happens, then the peer runs on the resulting image, then the rest happens;
//   - under `sc` every access is ordered, so the cuts are exactly the prefixes of the operation's
//     accesses (the peer at each prefix of its stores and loads);
//   - under `tso` a store may be overtaken by a later load (x86-TSO; a JS SC store is a locked
//     `xchg` and is not overtaken); under `pso` loads stay in order and a store may be delayed
//     past later loads and stores unless a release fence (or an SC store) follows it, as the
//     model checker's store buffers (proofs/models/memory.ts `pso`, called `arm` before ADR 015 of
//     the weak-memory work); under `relaxed` (the ECMAScript / C11 model) plain accesses to
//     different addresses are unordered: only SC atomics, release stores, acquire loads, fences
//     and same-address accesses order anything. The checker's ARMv8 and RVWMO (Promising) models
//     are not mirrored here: `relaxed` allows at least what they allow for these programs
//     (it ignores dependencies), so a property that holds under `relaxed` holds there too.
//
// A load not yet performed at the cut reads the memory after the peer (or its own earlier store
// still in flight: store forwarding). The operation is then *re-executed* with exactly those
// load values; if it takes another path (different accesses) the cut is not an execution of the
// recorded path and is counted as `diverged`, never checked. Two paths are recorded: the
// operation alone, and the operation after the peer. Each execution is checked against the two
// sequential orders (op;peer and peer;op), or a custom check (a lost wakeup, for the signalling
// handshakes).
//
// The instrumentation that turns impl/queue's typed arrays into a sink is queue-instrument.ts;
// spec operations over `SharedMem` reach a sink through `wordMemory` below.
import type { FenceKind, LoadOptions, SharedMem, StoreOptions } from '../../spec/common/memory.ts';

export type OrderModel = 'sc' | 'tso' | 'pso' | 'relaxed';
export const ORDER_MODELS: readonly OrderModel[] = ['sc', 'tso', 'pso', 'relaxed'];

/** Where an access goes: a region (one SharedArrayBuffer) and a byte range in it. */
export interface AccessKey {
  readonly region: number;
  readonly offset: number;
  readonly size: number;
  /** A JS `Atomics` access (sequentially consistent) rather than a plain one. */
  readonly sc: boolean;
}

export interface AccessEvent extends AccessKey {
  readonly kind: 'load' | 'store';
  /** The bytes a store wrote (little-endian, as the C structs); null for a load. */
  readonly bytes: Uint8Array | null;
}

export interface FenceEvent {
  readonly kind: 'fence';
  readonly fence: FenceKind;
}

export type MemEvent = AccessEvent | FenceEvent;

/** What an instrumented operation calls for every memory access. */
export interface MemorySink {
  load(a: AccessKey): Uint8Array;
  store(a: AccessKey, bytes: Uint8Array): void;
  fence(kind: FenceKind): void;
}

/** A memory image: one byte array per region. */
export type Image = Uint8Array[];

export function cloneImage(img: Image): Image {
  return img.map((r) => r.slice());
}

function keyOf(a: AccessKey): string {
  return `r${a.region}@${a.offset}+${a.size}${a.sc ? ' sc' : ''}`;
}

/** Runs accesses straight against an image, in program order (the peer; sequential runs). */
export class DirectSink implements MemorySink {
  constructor(readonly image: Image) {}
  load(a: AccessKey): Uint8Array {
    return region(this.image, a).slice(a.offset, a.offset + a.size);
  }
  store(a: AccessKey, bytes: Uint8Array): void {
    region(this.image, a).set(bytes, a.offset);
  }
  fence(_kind: FenceKind): void {}
}

/** A DirectSink that also keeps the events: one recorded path. */
export class RecordingSink extends DirectSink {
  readonly events: MemEvent[] = [];
  override load(a: AccessKey): Uint8Array {
    this.events.push({ ...a, kind: 'load', bytes: null });
    return super.load(a);
  }
  override store(a: AccessKey, bytes: Uint8Array): void {
    this.events.push({ ...a, kind: 'store', bytes: bytes.slice() });
    super.store(a, bytes);
  }
  override fence(kind: FenceKind): void {
    this.events.push({ kind: 'fence', fence: kind });
  }
}

function region(img: Image, a: AccessKey): Uint8Array {
  const r = img[a.region];
  if (r === undefined || a.offset < 0 || a.offset + a.size > r.length)
    throw new Error(`access ${keyOf(a)} outside the image`);
  return r;
}

/** The re-executed operation took another path than the recorded one. */
export class Diverged extends Error {
  override name = 'Diverged';
}

/** Replays a recorded path: loads return the values the cut gives, stores must match the record. */
class ScriptedSink implements MemorySink {
  private pc = 0;
  constructor(
    private readonly events: readonly MemEvent[],
    private readonly values: readonly (Uint8Array | null)[],
  ) {}
  private next(kind: MemEvent['kind'], what: string): MemEvent {
    const e = this.events[this.pc];
    if (e === undefined || e.kind !== kind) throw new Diverged(`${what} at ${this.pc}`);
    return e;
  }
  load(a: AccessKey): Uint8Array {
    const e = this.next('load', `load ${keyOf(a)}`) as AccessEvent;
    if (keyOf(e) !== keyOf(a)) throw new Diverged(`load ${keyOf(a)} where ${keyOf(e)}`);
    const v = this.values[this.pc++];
    if (v === null || v === undefined) throw new Error(`no value for load ${this.pc - 1}`);
    return v.slice();
  }
  store(a: AccessKey, bytes: Uint8Array): void {
    const e = this.next('store', `store ${keyOf(a)}`) as AccessEvent;
    if (keyOf(e) !== keyOf(a) || !sameBytes(e.bytes, bytes))
      throw new Diverged(`store ${keyOf(a)} differs from the record`);
    this.pc++;
  }
  fence(kind: FenceKind): void {
    const e = this.next('fence', `fence ${kind}`) as FenceEvent;
    if (e.fence !== kind) throw new Diverged(`fence ${kind} where ${e.fence}`);
    this.pc++;
  }
  done(): void {
    if (this.pc !== this.events.length)
      throw new Diverged(`stopped after ${this.pc} of ${this.events.length} accesses`);
  }
}

function sameBytes(a: Uint8Array | null, b: Uint8Array | null): boolean {
  if (a === null || b === null) return a === b;
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

function overlap(a: AccessKey, b: AccessKey): boolean {
  return a.region === b.region && a.offset < b.offset + b.size && b.offset < a.offset + a.size;
}

/**
 * Preserved program order: must access `a` (earlier) take effect before `b` (later) under
 * `model`? `between` are the fences between them in program order.
 */
export function ordered(
  model: OrderModel,
  a: AccessEvent,
  b: AccessEvent,
  between: readonly FenceKind[],
): boolean {
  if (model === 'sc') return true;
  const full = between.includes('seq_cst');
  const release = full || between.includes('release');
  const acquire = full || between.includes('acquire');
  const same = overlap(a, b);
  switch (model) {
    case 'tso':
      // FIFO stores, in-order loads; only a store followed by a load may be reordered, unless a
      // seq_cst fence (mfence) or a locked SC store (xchg) separates them.
      if (a.kind === 'load' || b.kind === 'store') return true;
      return full || a.sc;
    case 'pso':
      // proofs/models/memory.ts 'pso': loads execute in order and before later stores; a
      // buffered store may be overtaken unless a release fence follows it; same-address stores
      // stay in order. JS Atomics as release stores and acquire loads (AArch64 STLR/LDAR): an SC
      // store orders everything before it, and is not overtaken by a later SC load (RCsc).
      if (a.kind === 'load') return true;
      if (b.kind === 'store') return same || release || b.sc;
      return full || (a.sc && b.sc);
    case 'relaxed':
      if (a.sc && b.sc) return true;
      if (b.kind === 'store' && b.sc) return true; // release store
      if (a.kind === 'load' && a.sc) return true; // acquire load
      if (full) return true;
      if (release && b.kind === 'store') return true;
      if (acquire && a.kind === 'load') return true;
      // Coherence: same-address accesses stay in order, except that a load may read its own
      // earlier store before that store is visible to others (forwarding).
      return same && !(a.kind === 'store' && b.kind === 'load');
  }
}

/** For each event index, the access indices that must take effect before it (accesses only). */
const MODELLED_FENCES: readonly FenceKind[] = ['release', 'acquire', 'seq_cst'];

function predecessors(model: OrderModel, events: readonly MemEvent[]): number[][] {
  for (const e of events) {
    // A hardware fence (dmb, fence.rw.rw …) would be read as no fence at all: refuse it.
    if (e.kind === 'fence' && !MODELLED_FENCES.includes(e.fence))
      throw new Error(`store-order: fence ${e.fence} is not modelled (C11 fences only)`);
  }
  const preds: number[][] = events.map(() => []);
  for (let j = 0; j < events.length; j++) {
    const b = events[j]!;
    if (b.kind === 'fence') continue;
    const fences: FenceKind[] = [];
    for (let i = j - 1; i >= 0; i--) {
      const a = events[i]!;
      if (a.kind === 'fence') fences.push(a.fence);
      else if (ordered(model, a, b, fences)) preds[j]!.push(i);
    }
  }
  return preds;
}

/** Bound on cuts per path (2^16): operations here have at most a few dozen accesses. */
const MAX_CUTS = 1 << 16;

/** Every set of accesses closed under ppo, as a membership array over event indices. */
export function cuts(model: OrderModel, events: readonly MemEvent[]): boolean[][] {
  const preds = predecessors(model, events);
  const out: boolean[][] = [];
  const inS = events.map(() => false);
  const go = (i: number): void => {
    if (out.length > MAX_CUTS) throw new Error(`more than ${MAX_CUTS} cuts`);
    if (i === events.length) {
      out.push(inS.slice());
      return;
    }
    const e = events[i]!;
    if (e.kind === 'fence') {
      go(i + 1);
      return;
    }
    go(i + 1); // i after the peer
    if (preds[i]!.every((p) => inS[p])) {
      inS[i] = true;
      go(i + 1);
      inS[i] = false;
    }
  };
  go(0);
  return out;
}

export interface Outcome<A, B> {
  readonly op: A;
  readonly peer: B;
  readonly image: Image;
}

export interface Observation<A, B> {
  readonly name: string;
  /** The memory before the operation. Not modified. */
  readonly initial: Image;
  /** The observed operation, every access through `mem`. */
  readonly op: (mem: MemorySink) => A;
  /** The other side, run atomically at each cut. */
  readonly peer: (mem: MemorySink) => B;
  /**
   * A problem with one execution, or null. Default: the results and the final image equal
   * those of op;peer or of peer;op (the two sequential orders).
   */
  check?(o: Outcome<A, B>, sequential: readonly Outcome<A, B>[]): string | null;
  /** Names a byte range for messages (`tail`, `slot 1`). */
  readonly name_of?: (a: AccessKey) => string;
}

export interface ExploreResult {
  /** Cuts whose re-execution followed the recorded path, each checked. */
  readonly executions: number;
  /** Cuts that are not executions of the recorded path (another path was taken). */
  readonly diverged: number;
  /** Distinct recorded paths. */
  readonly paths: number;
  /** The first few problems, each with the cut that shows it. */
  readonly violations: readonly string[];
}

/** Canonical text of a result: bigints and typed arrays compare by value. */
export function show(v: unknown): string {
  return JSON.stringify(v, (_k, x: unknown) => {
    if (typeof x === 'bigint') return `${x}n`;
    if (x instanceof Uint8Array) return Array.from(x);
    return x;
  });
}

function defaultCheck<A, B>(o: Outcome<A, B>, seq: readonly Outcome<A, B>[]): string | null {
  const seen = show({ op: o.op, peer: o.peer, image: o.image });
  if (seq.some((s) => show({ op: s.op, peer: s.peer, image: s.image }) === seen)) return null;
  return `op returned ${show(o.op)}, peer returned ${show(o.peer)}: neither op;peer (${show(
    seq[0]!.op,
  )}, ${show(seq[0]!.peer)}) nor peer;op (${show(seq[1]!.op)}, ${show(seq[1]!.peer)})${
    sameResults(o, seq) ? ' (results match one order; the memory left behind does not)' : ''
  }`;
}

function sameResults<A, B>(o: Outcome<A, B>, seq: readonly Outcome<A, B>[]): boolean {
  return seq.some((s) => show([s.op, s.peer]) === show([o.op, o.peer]));
}

/** Simulates one cut: S in program order, the peer, the rest; returns load values and the image. */
function simulate<A, B>(
  obs: Observation<A, B>,
  events: readonly MemEvent[],
  inS: readonly boolean[],
): { values: (Uint8Array | null)[]; peer: B; image: Image } {
  const image = cloneImage(obs.initial);
  const performed = events.map(() => false);
  const values: (Uint8Array | null)[] = events.map(() => null);
  const perform = (i: number): void => {
    const e = events[i]!;
    if (e.kind === 'fence') return;
    const r = region(image, e);
    if (e.kind === 'store') {
      r.set(e.bytes!, e.offset);
      performed[i] = true;
      return;
    }
    const v = r.slice(e.offset, e.offset + e.size);
    // Forwarding: a byte this side stored earlier and has not yet made visible reads as stored.
    for (let k = 0; k < e.size; k++) {
      for (let j = i - 1; j >= 0; j--) {
        const s = events[j]!;
        if (s.kind !== 'store' || !overlap(s, { ...e, offset: e.offset + k, size: 1 })) continue;
        if (!performed[j]) v[k] = s.bytes![e.offset + k - s.offset]!;
        break;
      }
    }
    values[i] = v;
  };
  for (let i = 0; i < events.length; i++) if (inS[i]) perform(i);
  const peer = obs.peer(new DirectSink(image));
  for (let i = 0; i < events.length; i++) if (!inS[i]) perform(i);
  return { values, peer, image };
}

function describeCut(
  obs: Observation<unknown, unknown>,
  events: readonly MemEvent[],
  inS: readonly boolean[],
): string {
  const name = (e: MemEvent): string =>
    e.kind === 'fence'
      ? `fence ${e.fence}`
      : `${e.kind} ${obs.name_of?.(e) ?? keyOf(e)}${e.sc ? ' (sc)' : ''}`;
  const before = events.filter((e, i) => inS[i] && e.kind !== 'fence').map(name);
  const after = events.filter((e, i) => !inS[i] && e.kind !== 'fence').map(name);
  return `[${before.join(', ')}] | peer | [${after.join(', ')}]`;
}

function sequential<A, B>(obs: Observation<A, B>, peerFirst: boolean): Outcome<A, B> {
  const image = cloneImage(obs.initial);
  const mem = new DirectSink(image);
  if (peerFirst) {
    const peer = obs.peer(mem);
    return { op: obs.op(mem), peer, image };
  }
  const op = obs.op(mem);
  return { op, peer: obs.peer(mem), image };
}

function record<A, B>(obs: Observation<A, B>, image: Image): MemEvent[] {
  const sink = new RecordingSink(image);
  obs.op(sink);
  return sink.events;
}

/** Runs the peer at every cut of the operation under `model`; see the file comment. */
export function explore<A, B>(
  obs: Observation<A, B>,
  model: OrderModel,
  opts: { readonly maxViolations?: number } = {},
): ExploreResult {
  const maxViolations = opts.maxViolations ?? 3;
  const seq = [sequential(obs, false), sequential(obs, true)];
  const afterPeer = cloneImage(obs.initial);
  obs.peer(new DirectSink(afterPeer));
  const paths: MemEvent[][] = [];
  for (const p of [record(obs, cloneImage(obs.initial)), record(obs, afterPeer)]) {
    if (!paths.some((q) => show(q) === show(p))) paths.push(p);
  }
  const check = (o: Outcome<A, B>, seq: readonly Outcome<A, B>[]): string | null =>
    obs.check !== undefined ? obs.check(o, seq) : defaultCheck(o, seq);
  let executions = 0;
  let diverged = 0;
  const violations: string[] = [];
  for (const events of paths) {
    for (const inS of cuts(model, events)) {
      let sim: ReturnType<typeof simulate<A, B>>;
      try {
        sim = simulate(obs, events, inS);
      } catch (e) {
        violations.push(`${model} ${describeCut(obs, events, inS)}: the peer threw ${String(e)}`);
        if (violations.length >= maxViolations)
          return { executions, diverged, paths: paths.length, violations };
        continue;
      }
      const script = new ScriptedSink(events, sim.values);
      let op: A;
      try {
        op = obs.op(script);
        script.done();
      } catch (e) {
        if (e instanceof Diverged) {
          diverged++;
          continue;
        }
        violations.push(
          `${model} ${describeCut(obs, events, inS)}: the operation threw ${String(e)}`,
        );
        if (violations.length >= maxViolations)
          return { executions, diverged, paths: paths.length, violations };
        continue;
      }
      executions++;
      const problem = check({ op, peer: sim.peer, image: sim.image }, seq);
      if (problem !== null) {
        violations.push(`${obs.name} under ${model}, ${describeCut(obs, events, inS)}: ${problem}`);
        if (violations.length >= maxViolations)
          return { executions, diverged, paths: paths.length, violations };
      }
    }
  }
  return { executions, diverged, paths: paths.length, violations };
}

/** The spec's word memory (`SharedMem`) over region 0 of a sink: word `a` is bytes [4a, 4a+4). */
export function wordMemory(sink: MemorySink): SharedMem {
  // Acquire/release annotations and dependencies are not modelled (the spec queues use plain
  // accesses and C11 fences): refuse them rather than read them as plain.
  const plainOnly = (opts: LoadOptions | StoreOptions | undefined): void => {
    if (opts !== undefined && Object.values(opts).some((v) => v !== undefined && v !== 'plain'))
      throw new Error(`store-order: access options ${JSON.stringify(opts)} are not modelled`);
  };
  return {
    load(addr: number, opts?: LoadOptions): number {
      plainOnly(opts);
      const b = sink.load({ region: 0, offset: 4 * addr, size: 4, sc: false });
      return ((b[0]! | (b[1]! << 8) | (b[2]! << 16) | (b[3]! << 24)) >>> 0) as number;
    },
    store(addr: number, value: number, opts?: StoreOptions): void {
      plainOnly(opts);
      const v = value >>> 0;
      const bytes = new Uint8Array([v & 0xff, (v >>> 8) & 0xff, (v >>> 16) & 0xff, v >>> 24]);
      sink.store({ region: 0, offset: 4 * addr, size: 4, sc: false }, bytes);
    },
    fence(kind: FenceKind): void {
      sink.fence(kind);
    },
  };
}

/** A word image of `words` u32 words (region 0 of a spec operation's memory). */
export function wordImage(words: readonly number[]): Image {
  const r = new Uint8Array(4 * words.length);
  const dv = new DataView(r.buffer);
  words.forEach((w, i) => dv.setUint32(4 * i, w >>> 0, true));
  return [r];
}

/** Word `addr` of region 0 of an image. */
export function wordAt(img: Image, addr: number): number {
  const r = img[0]!;
  return new DataView(r.buffer, r.byteOffset, r.byteLength).getUint32(4 * addr, true);
}
