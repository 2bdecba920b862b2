// ARMv8-A and RISC-V (RVWMO) as Promising-ARM/RISC-V (Pulte, Pichon-Pharabod, Kang, Lee, Hur:
// "Promising-ARM/RISC-V: a simpler and faster operational concurrency model", PLDI 2019; Coq
// definition snu-sf/promising-arm src/promising/Promising.v, proved equivalent to the axiomatic
// ARMv8 and RISC-V models there). Design, encoding and the deviations: docs/adr/015-weak-memory.md.
//
// Memory is one list of messages (loc, value, writer) in coherence order: a message's timestamp
// is its position (1-based; 0 is the initial/base value of every location). Each PD has views
// (timestamps): vrn/vwn (lower bounds for later reads/writes, raised by fences and acquires),
// vro/vwo (views of its reads/writes so far), vcap (control and address dependencies), vrel (its
// last release store), a coherence view per location and dependency registers. A load may read
// any message of the location at or after the newest one below max(coherence view, pre-view): a
// load is reordered with earlier accesses by reading an older value. A store appends a message
// (or fulfils a promise): a PD may promise a store early, as a transition of its own, when it can
// certify it (run alone and reach that store): this is load→store reordering (LB). Every PD sees
// the same messages (multi-copy atomic); a PD reads its own latest store early through the
// forward bank (other-multi-copy atomicity).
//
// State (all in the engine's u32 vector): a message count; MAX_MESSAGES messages of three words
// [value, meta, coh mask]; per PD two words of five 6-bit slots (six views, then four dependency
// registers).
// After every transition the list is garbage-collected and renumbered (canonicalize): messages no
// PD between handlers can still read merge into the base words, which are the model's memory
// (`s[addr]`), so quiescent states carry no messages at all.
import { assert } from '../../../spec/common/assert.ts';
import {
  DEP_REGISTERS,
  rmwResult,
  type FenceKind,
  type LoadOptions,
  type LoadOrder,
  type RmwOp,
  type RmwOptions,
  type StoreOptions,
} from '../../../spec/components/mem.ts';
import { ModelLimitReached, type State } from '../../../spec/common/transition.ts';
import type { Layout } from '../layout.ts';
import { Chooser } from './choice.ts';
import { FULL, ISB, RR, RW, WR, WW, fenceBits } from './fences.ts';
import type { AccessLog, BufferRef, MemorySystem, PdRunner, PdSharedMem } from './system.ts';

/**
 * Messages in flight at once (timestamps are 6 bits). Exceeding it is never a cut: the search stops
 * as `incomplete` (ModelLimitReached, reason `modelLimit`). 24 (5-bit views) was too few for the
 * net pipeline with two frames: a guided ARMv8 run dropped 1 255 branches there; 63 drops none
 * (docs/weak-memory.md "The net pipeline"), for ~10 % more bytes per stored state.
 */
export const MAX_MESSAGES = 63;
const VIEW_BITS = 6;
/** View/dependency slots per word (five 6-bit fields in 30 bits). */
const SLOTS_PER_WORD = 5;
const VIEW_MASK = (1 << VIEW_BITS) - 1;
const MSG_WORDS = 3;
const ADDR_MASK = 0xffff;
const WRITER_SHIFT = 16;
const WRITER_MASK = 0xf;
const PROMISED = 1 << 20;
const EXCL = 1 << 21;
const FWD_SHIFT = 22;
/** Most PDs a message's 4-bit writer field can name. */
export const MAX_PDS = 16;
/**
 * Steps a PD may run on its own to fulfil its promises (certification) or find its stores; a
 * promise cannot outlive the handler (its syscalls), so this bounds a handler's steps. Exceeding
 * it is an error, never a cut.
 */
const MAX_SOLO_STEPS = 64;

// Per-PD view slots in the first view word.
const VRN = 0;
const VWN = 1;
const VRO = 2;
const VWO = 3;
const VCAP = 4;
const VREL = 5;
const VIEWS = 6;

type Arch = 'armv8' | 'rvwmo';

/**
 * Thrown by a PD's memory when the current run of a step cannot continue (no message it may
 * read, no timestamp for its store, a promise lost at a syscall): the step's code must not go on
 * with a made-up value (its own asserts would fire), so the run is abandoned and the next
 * combination of memory answers tried. Never escapes the memory system.
 */
class DeadRun {
  readonly dead = true;
}
const DEAD = new DeadRun();

/** True for the exception a memory model throws to abandon one run of a step (runtime probes). */
export function isAbandonedRun(e: unknown): boolean {
  return e === DEAD;
}

export class PromisingSystem implements MemorySystem {
  private countWord = -1;
  private msgBase = -1;
  private readonly viewWord: number[];
  private readonly mems: PromisingMemory[];
  private readonly choosers: Chooser[] = [new Chooser()];
  private depth = 0;
  private readonly drainedView: { v: Uint32Array } = { v: new Uint32Array(0) };

  constructor(
    readonly model: Arch,
    private readonly pdNames: readonly string[],
    private readonly runner: PdRunner,
  ) {
    assert(pdNames.length <= MAX_PDS, `Promising memory: at most ${MAX_PDS} PDs`);
    this.viewWord = pdNames.map(() => -1);
    this.mems = pdNames.map((_, p) => new PromisingMemory(this, p));
  }

  allocPd(layout: Layout, p: number): void {
    assert(this.viewWord[p] === -1, `views of PD ${p} allocated twice`);
    this.viewWord[p] = layout.alloc(`${this.pdNames[p]}.views`, 2);
  }

  allocShared(layout: Layout): void {
    assert(
      this.viewWord.every((w) => w >= 0),
      'allocate every PD before the message list',
    );
    this.countWord = layout.alloc('memory.messages');
    this.msgBase = layout.alloc('memory.message', MSG_WORDS * MAX_MESSAGES);
  }

  // ---- encoding ------------------------------------------------------------------------------

  count(s: State): number {
    return s[this.countWord] ?? 0;
  }
  private w(i: number, k: number): number {
    return this.msgBase + MSG_WORDS * i + k;
  }
  /** Message at timestamp t (1..count). */
  addrOf(s: State, t: number): number {
    return (s[this.w(t - 1, 1)] ?? 0) & ADDR_MASK;
  }
  valueOf(s: State, t: number): number {
    return s[this.w(t - 1, 0)] ?? 0;
  }
  writerOf(s: State, t: number): number {
    return ((s[this.w(t - 1, 1)] ?? 0) >>> WRITER_SHIFT) & WRITER_MASK;
  }
  promised(s: State, t: number): boolean {
    return ((s[this.w(t - 1, 1)] ?? 0) & PROMISED) !== 0;
  }
  private exclusive(s: State, t: number): boolean {
    return ((s[this.w(t - 1, 1)] ?? 0) & EXCL) !== 0;
  }
  private fwdView(s: State, t: number): number {
    return ((s[this.w(t - 1, 1)] ?? 0) >>> FWD_SHIFT) & VIEW_MASK;
  }
  private setMeta(s: State, t: number, meta: number): void {
    s[this.w(t - 1, 1)] = meta >>> 0;
  }

  /** Slot i of p's two words: views 0..5, then dependency registers at 6..9. */
  private slot(s: State, p: number, i: number): number {
    const word = this.viewWord[p]! + Math.floor(i / SLOTS_PER_WORD);
    return ((s[word] ?? 0) >>> (VIEW_BITS * (i % SLOTS_PER_WORD))) & VIEW_MASK;
  }
  private setSlot(s: State, p: number, i: number, v: number): void {
    const word = this.viewWord[p]! + Math.floor(i / SLOTS_PER_WORD);
    const sh = VIEW_BITS * (i % SLOTS_PER_WORD);
    s[word] = (((s[word] ?? 0) & ~(VIEW_MASK << sh)) | ((v & VIEW_MASK) << sh)) >>> 0;
  }
  view(s: State, p: number, k: number): number {
    return this.slot(s, p, k);
  }
  setView(s: State, p: number, k: number, v: number): void {
    this.setSlot(s, p, k, v);
  }
  raise(s: State, p: number, k: number, v: number): void {
    if (v > this.view(s, p, k)) this.setView(s, p, k, v);
  }
  dep(s: State, p: number, r: number): number {
    return this.slot(s, p, VIEWS + r);
  }
  setDep(s: State, p: number, r: number, v: number): void {
    assert(r >= 0 && r < DEP_REGISTERS, `dependency register ${r} (0..${DEP_REGISTERS - 1})`);
    this.setSlot(s, p, VIEWS + r, v);
  }
  /** Join of the dependency registers in `mask`. */
  deps(s: State, p: number, mask: number | undefined): number {
    if (mask === undefined || mask === 0) return 0;
    assert(mask > 0 && mask < 1 << DEP_REGISTERS, `dependency mask ${mask}`);
    let v = 0;
    for (let r = 0; r < DEP_REGISTERS; r++)
      if ((mask & (1 << r)) !== 0) v = Math.max(v, this.dep(s, p, r));
    return v;
  }

  /** Newest message of `addr` at or before timestamp `v` (0: the base value). */
  lastAt(s: State, addr: number, v: number): number {
    for (let t = Math.min(v, this.count(s)); t >= 1; t--) if (this.addrOf(s, t) === addr) return t;
    return 0;
  }
  /** PD p's coherence view of `addr`: the message its bit marks, or 0. */
  cohOf(s: State, p: number, addr: number): number {
    const bit = 1 << p;
    for (let t = this.count(s); t >= 1; t--) {
      if (this.addrOf(s, t) === addr && ((s[this.w(t - 1, 2)] ?? 0) & bit) !== 0) return t;
    }
    return 0;
  }
  setCoh(s: State, p: number, addr: number, t: number): void {
    const bit = 1 << p;
    const n = this.count(s);
    for (let u = 1; u <= n; u++) {
      if (this.addrOf(s, u) === addr)
        s[this.w(u - 1, 2)] = ((s[this.w(u - 1, 2)] ?? 0) & ~bit) >>> 0;
    }
    if (t > 0) s[this.w(t - 1, 2)] = ((s[this.w(t - 1, 2)] ?? 0) | bit) >>> 0;
  }
  /** PD p's newest fulfilled store to `addr` (its forward bank), or 0. */
  private ownLatest(s: State, p: number, addr: number): number {
    for (let t = this.count(s); t >= 1; t--) {
      if (this.addrOf(s, t) === addr && this.writerOf(s, t) === p && !this.promised(s, t)) return t;
    }
    return 0;
  }
  private ownPromise(s: State, p: number, t: number): boolean {
    return this.promised(s, t) && this.writerOf(s, t) === p;
  }
  /** No store to `addr` by a PD other than p in timestamps (from, to]. */
  private noOtherBetween(s: State, p: number, addr: number, from: number, to: number): boolean {
    for (let u = from + 1; u <= to; u++)
      if (this.addrOf(s, u) === addr && this.writerOf(s, u) !== p) return false;
    return true;
  }
  /** Value of the newest store to addr before timestamp t (the base value when none). */
  private valueBefore(s: State, addr: number, t: number): number {
    const r = this.lastAt(s, addr, t - 1);
    return r === 0 ? (s[addr] ?? 0) : this.valueOf(s, r);
  }
  /** Scratch for option lists (one decision at a time: filled, then picked from at once). */
  private readonly options = new Int32Array(MAX_MESSAGES + 2);

  hasPromises(s: State, p: number): boolean {
    const n = this.count(s);
    for (let t = 1; t <= n; t++) if (this.promised(s, t) && this.writerOf(s, t) === p) return true;
    return false;
  }
  live(s: State, p: number): boolean {
    return (s[this.runner.pcWord(p)] ?? 0) !== 0;
  }
  get arch(): Arch {
    return this.model;
  }

  // ---- memory operations (called by PromisingMemory) ------------------------------------------

  chooser(): Chooser {
    return this.choosers[this.depth]!;
  }

  /**
   * A read of `addr` by p (Promising.v `Local.read`): returns [value, timestamp read, post-view],
   * or null when no message can be read (the run is dead).
   */
  read(
    s: State,
    p: number,
    addr: number,
    order: LoadOrder,
    addrDeps: number | undefined,
    pick: (n: number) => number,
  ): [number, number, number] | null {
    const va = this.deps(s, p, addrDeps);
    const vpre = Math.max(
      va,
      this.view(s, p, VRN),
      order === 'acquire' ? this.view(s, p, VREL) : 0,
    );
    const coh = this.cohOf(s, p, addr);
    const floor = this.lastAt(s, addr, Math.max(coh, vpre));
    const n = this.count(s);
    // Options: the floor and every newer message of addr. A PD never reads its own unfulfilled
    // promise (that store is after this load in program order; Promising.v lets it and then can
    // never fulfil the promise: pruned here at once).
    const options = this.options;
    let k = 0;
    if (floor === 0 || !this.ownPromise(s, p, floor)) options[k++] = floor;
    for (let t = floor + 1; t <= n; t++)
      if (this.addrOf(s, t) === addr && !this.ownPromise(s, p, t)) options[k++] = t;
    if (k === 0) return null;
    const t = options[pick(k)]!;
    const value = t === 0 ? (s[addr] ?? 0) : this.valueOf(s, t);
    // Forward bank (Promising.v FwdItem.read_view): reading its own newest store gives the PD the
    // store's address/data view instead of its timestamp, unless the store was exclusive and the
    // read is an acquire (ARMv8) or the architecture is RISC-V (PPO rule 3).
    let vmsg = t;
    if (t > 0 && this.writerOf(s, t) === p && this.ownLatest(s, p, addr) === t) {
      const ex = this.exclusive(s, t);
      if (!(ex && (this.model === 'rvwmo' || order !== 'plain'))) vmsg = this.fwdView(s, t);
    }
    const vpost = Math.max(vpre, vmsg);
    this.setCoh(s, p, addr, this.lastAt(s, addr, Math.max(coh, vpost)));
    if (order !== 'plain') {
      this.raise(s, p, VRN, vpost);
      this.raise(s, p, VWN, vpost);
    }
    this.raise(s, p, VRO, vpost);
    this.raise(s, p, VCAP, va);
    return [value, t, vpost];
  }

  /**
   * A store of `value` to `addr` by p that must be at a timestamp after `vpre` (Promising.v
   * `Local.fulfill`): either a new message or the fulfilment of one of p's promises. `exclFrom`
   * (≥ 0) makes it the write of an exclusive pair whose read was at that timestamp: no other PD's
   * store to `addr` may lie between. Returns the timestamp, or 0 when impossible (dead run).
   */
  write(
    s: State,
    p: number,
    addr: number,
    value: number,
    vpre: number,
    fwd: number,
    release: boolean,
    excl: boolean,
    exclFrom: number,
    pick: (n: number) => number,
  ): number {
    assert(addr >= 0 && addr <= ADDR_MASK, `Promising memory: address ${addr} above ${ADDR_MASK}`);
    const n = this.count(s);
    const coh = this.cohOf(s, p, addr);
    // Options: p's promises of this store, then a new message (fulfilling first makes the
    // certification search find its path sooner; the main search takes every option anyway).
    const options = this.options;
    let k = 0;
    for (let t = 1; t <= n; t++) {
      if (!this.ownPromise(s, p, t) || this.addrOf(s, t) !== addr) continue;
      if (this.valueOf(s, t) !== value >>> 0 || t <= vpre || t <= coh) continue;
      if (exclFrom >= 0 && !this.noOtherBetween(s, p, addr, exclFrom, t)) continue;
      options[k++] = t;
    }
    if (exclFrom < 0 || this.noOtherBetween(s, p, addr, exclFrom, n)) {
      // A full list would silently cut this outcome: an error unless running alone (solo).
      if (n < MAX_MESSAGES) options[k++] = n + 1;
      else throw new ModelLimitReached(this.overflow(s));
    }
    if (k === 0) return 0;
    const t = options[pick(k)]!;
    if (t === n + 1) {
      s[this.countWord] = n + 1;
      s[this.w(n, 0)] = value >>> 0;
      s[this.w(n, 2)] = 0;
    }
    this.setMeta(
      s,
      t,
      (addr | (p << WRITER_SHIFT) | (excl ? EXCL : 0) | (Math.min(fwd, VIEW_MASK) << FWD_SHIFT)) >>>
        0,
    );
    this.setCoh(s, p, addr, t);
    this.raise(s, p, VWO, t);
    if (release) this.raise(s, p, VREL, t);
    return t;
  }

  /**
   * A RISC-V AMO: one memory operation that is both a load and a store (RVWMO: "an aligned AMO
   * gives rise to a single memory operation"), placed at timestamp t; it reads the newest store
   * to `addr` before t. Returns [old value, t, the newest message it had to follow] or null
   * (dead run).
   */
  amo(
    s: State,
    p: number,
    addr: number,
    op: RmwOp,
    o: RmwOptions,
    pick: (n: number) => number,
  ): [number, number, number] | null {
    const va = this.deps(s, p, o.addrDeps);
    const vd = this.deps(s, p, o.dataDeps);
    const annotated = o.acquire === true || o.release === true;
    const vpre = Math.max(
      va,
      vd,
      this.view(s, p, VCAP),
      this.view(s, p, VRN),
      this.view(s, p, VWN),
      o.release === true ? Math.max(this.view(s, p, VRO), this.view(s, p, VWO)) : 0,
      annotated ? this.view(s, p, VREL) : 0, // PPO rule 7: RCsc annotations are ordered
    );
    const n = this.count(s);
    const coh = this.cohOf(s, p, addr);
    // Options: a fresh message at the end, or one of p's promises of this store (its value must
    // be what the AMO computes from the store before it).
    const options = this.options;
    let k = 0;
    for (let t = 1; t <= n; t++) {
      if (!this.ownPromise(s, p, t) || this.addrOf(s, t) !== addr || t <= vpre || t <= coh)
        continue;
      if (rmwResult(op, this.valueBefore(s, addr, t)) !== this.valueOf(s, t)) continue;
      options[k++] = t;
    }
    if (rmwResult(op, this.valueBefore(s, addr, n + 1)) !== null) {
      if (n < MAX_MESSAGES) options[k++] = n + 1;
      else throw new ModelLimitReached(this.overflow(s));
    }
    if (k === 0) return null;
    const t = options[pick(k)]!;
    const old = this.valueBefore(s, addr, t);
    const next = rmwResult(op, old)!;
    if (t === n + 1) {
      s[this.countWord] = n + 1;
      s[this.w(n, 0)] = next;
      s[this.w(n, 2)] = 0;
    }
    this.setMeta(s, t, (addr | (p << WRITER_SHIFT) | EXCL) >>> 0);
    this.setCoh(s, p, addr, t);
    this.raise(s, p, VRO, t);
    this.raise(s, p, VWO, t);
    this.raise(s, p, VCAP, va);
    if (o.acquire === true) {
      this.raise(s, p, VRN, t);
      this.raise(s, p, VWN, t);
    }
    if (o.release === true) this.raise(s, p, VREL, t);
    if (o.into !== undefined) this.setDep(s, p, o.into, t);
    // Third: the newest message this AMO had to follow (its pre-view, the store it read).
    return [old, t, Math.max(vpre, this.lastAt(s, addr, t - 1))];
  }

  /** Fence bits (./fences.ts) on p's views (Promising.v `Local.dmb`, `Local.isb`). */
  fence(s: State, p: number, bits: number): void {
    if ((bits & ISB) !== 0) {
      assert(this.model === 'armv8', 'isb is an AArch64 instruction');
      this.raise(s, p, VRN, this.view(s, p, VCAP));
    }
    const ro = this.view(s, p, VRO);
    const wo = this.view(s, p, VWO);
    this.raise(s, p, VRN, Math.max((bits & RR) !== 0 ? ro : 0, (bits & WR) !== 0 ? wo : 0));
    this.raise(s, p, VWN, Math.max((bits & RW) !== 0 ? ro : 0, (bits & WW) !== 0 ? wo : 0));
  }

  /**
   * A syscall (seL4 notify, Recv, the deferred flush). With the kernel's lock every syscall is
   * ordered with every earlier one and is a full barrier: afterwards the PD's views are at least
   * the newest message (it reads nothing older than what any PD had stored before its syscall),
   * and a promise it still holds can never be fulfilled (returns false: the run is dead).
   */
  syscall(s: State, p: number): boolean {
    const dead = this.hasPromises(s, p);
    const t = this.count(s);
    this.resetPd(s, p, t);
    return !dead;
  }

  /** Sets every view and dependency of p to `t` and forgets its coherence marks. */
  private resetPd(s: State, p: number, t: number): void {
    for (let i = 0; i < VIEWS + DEP_REGISTERS; i++) this.setSlot(s, p, i, t);
    const bit = 1 << p;
    const n = this.count(s);
    for (let u = 1; u <= n; u++) s[this.w(u - 1, 2)] = ((s[this.w(u - 1, 2)] ?? 0) & ~bit) >>> 0;
  }

  // ---- garbage collection and canonical form ----------------------------------------------------

  /**
   * Canonical form after a transition (docs/adr/015-weak-memory.md "Canonical form"; each rule
   * merges states that no future step can tell apart, and the litmus suite checks the outcome sets
   * stay herd7's).
   *
   * 1. A PD between handlers (pc 0) makes a syscall before its next access, which lifts all its
   *    views to the newest message: its views, dependencies, coherence marks and forward
   *    information are dead, so they are zeroed.
   * 2. Per location L, the read floor F(L): the oldest message of L any live PD (inside a handler)
   *    may still read, min over them of the newest message of L at or before max(its coherence
   *    view of L, its vrn) (every later read has a pre-view ≥ vrn and starts at that floor; a PD
   *    between handlers reads only the newest). Unpromised messages of L older than F(L) are
   *    dropped. F(L) itself moves into the base word (`s[L]`) when it is at or below V, the
   *    smallest live vrn, and no promise of L precedes it: reading it there gives view 0 instead
   *    of its timestamp, the same for every live PD because its pre-view is ≥ vrn ≥ V. A base word
   *    nobody can read holds the newest unpromised value (what `drained` shows).
   * 3. Timestamps are renumbered: a view v becomes the number of kept messages at or before v,
   *    which keeps every comparison between a view and a kept message.
   * 4. Views a PD can no longer use are zeroed. With m = min(vrn, vwn) of a live PD: vro, vwo,
   *    vcap, vrel, a dependency register, or its coherence mark of a location, at or below m,
   *    is dominated wherever it is used (a read's pre-view is ≥ vrn, a write's ≥ vwn, a fence
   *    raises vrn/vwn to vro/vwo, ISB raises vrn to vcap, a new read or write raises vro/vwo
   *    past vrn/vwn), and stays dominated (vrn and vwn only grow); a forward view at or below
   *    its writer's vrn is dominated the same way (only the writer reads it).
   */
  canonicalize(s: State): void {
    const n = this.count(s);
    const pds = this.pdNames.length;
    let V = n;
    const livePds: number[] = [];
    for (let p = 0; p < pds; p++) {
      if (!this.live(s, p)) {
        assert(!this.hasPromises(s, p), () => `${this.pdNames[p]} left a handler with a promise`);
        s[this.viewWord[p]!] = 0;
        s[this.viewWord[p]! + 1] = 0;
        for (let u = 1; u <= n; u++) {
          if (this.writerOf(s, u) === p)
            this.setMeta(s, u, (this.addrOf(s, u) | (p << WRITER_SHIFT)) >>> 0);
          s[this.w(u - 1, 2)] = ((s[this.w(u - 1, 2)] ?? 0) & ~(1 << p)) >>> 0;
        }
      } else {
        livePds.push(p);
        V = Math.min(V, this.view(s, p, VRN));
      }
    }
    if (n > 0) this.collect(s, n, V, livePds);
    for (const p of livePds) this.dropDominatedViews(s, p);
  }

  /** Rules 2 and 3 of `canonicalize`: drop unreadable messages, renumber. */
  private collect(s: State, n: number, V: number, livePds: readonly number[]): void {
    const keep = this.keep;
    keep.fill(1, 0, n + 1);
    let dropped = 0;
    const done = this.seenAddr;
    done.clear();
    for (let t0 = 1; t0 <= n; t0++) {
      const addr = this.addrOf(s, t0);
      if (done.has(addr)) continue;
      done.add(addr);
      // F(addr): min over live PDs of the newest message at or before max(coh, vrn); with no
      // live PD, the newest message (every PD reads only that after its syscall).
      let floor = livePds.length === 0 ? this.lastAt(s, addr, n) : n;
      for (const q of livePds) {
        const f = this.lastAt(s, addr, Math.max(this.cohOf(s, q, addr), this.view(s, q, VRN)));
        if (f < floor) floor = f;
      }
      if (floor === 0) continue;
      let newestValue = -1; // the newest unpromised message's value
      let promiseBefore = false;
      for (let t = 1; t <= n; t++) {
        if (this.addrOf(s, t) !== addr) continue;
        const promised = this.promised(s, t);
        if (!promised) newestValue = this.valueOf(s, t);
        if (t < floor && !promised) {
          keep[t] = 0;
          dropped++;
        } else if (t === floor && !promised && floor <= V && !promiseBefore) {
          keep[t] = 0;
          dropped++;
        }
        if (promised && t < floor) promiseBefore = true;
      }
      // The base word: F(addr)'s value when it moved there (readable), else nobody reads it:
      // the newest unpromised value (what `drained` shows; canonical).
      if (keep[floor] === 0) s[addr] = this.valueOf(s, floor);
      else if (newestValue >= 0) s[addr] = newestValue >>> 0;
    }
    if (dropped === 0) return;
    const map = this.renumber;
    for (let t = 1, k = 0; t <= n; t++) {
      if (keep[t] === 1) k++;
      map[t] = k;
    }
    map[0] = 0;
    for (const p of livePds) {
      for (let k = 0; k < VIEWS; k++) this.setView(s, p, k, map[this.view(s, p, k)]!);
      for (let r = 0; r < DEP_REGISTERS; r++) this.setDep(s, p, r, map[this.dep(s, p, r)]!);
    }
    let to = 0;
    for (let t = 1; t <= n; t++) {
      if (keep[t] !== 1) continue;
      const meta = s[this.w(t - 1, 1)] ?? 0;
      const fwd = (meta >>> FWD_SHIFT) & VIEW_MASK;
      const v0 = s[this.w(t - 1, 0)] ?? 0;
      const c = s[this.w(t - 1, 2)] ?? 0;
      s[this.w(to, 0)] = v0;
      s[this.w(to, 1)] = ((meta & ~(VIEW_MASK << FWD_SHIFT)) | (map[fwd]! << FWD_SHIFT)) >>> 0;
      s[this.w(to, 2)] = c;
      to++;
    }
    for (let i = to; i < n; i++) {
      s[this.w(i, 0)] = 0;
      s[this.w(i, 1)] = 0;
      s[this.w(i, 2)] = 0;
    }
    s[this.countWord] = to;
  }
  private readonly keep = new Uint8Array(MAX_MESSAGES + 2);
  private readonly renumber = new Int32Array(MAX_MESSAGES + 2);
  private readonly seenAddr = new Set<number>();

  /** Rule 4 of `canonicalize`: zero what live PD p can no longer use. */
  private dropDominatedViews(s: State, p: number): void {
    const vrn = this.view(s, p, VRN);
    const m = Math.min(vrn, this.view(s, p, VWN));
    for (const k of [VRO, VWO, VCAP, VREL]) if (this.view(s, p, k) <= m) this.setView(s, p, k, 0);
    for (let r = 0; r < DEP_REGISTERS; r++) if (this.dep(s, p, r) <= m) this.setDep(s, p, r, 0);
    const n = this.count(s);
    const bit = 1 << p;
    for (let t = 1; t <= Math.min(m, n); t++) {
      const c = s[this.w(t - 1, 2)] ?? 0;
      if ((c & bit) !== 0) s[this.w(t - 1, 2)] = (c & ~bit) >>> 0;
    }
    for (let t = 1; t <= n; t++) {
      if (this.writerOf(s, t) !== p || this.fwdView(s, t) === 0 || this.fwdView(s, t) > vrn)
        continue;
      const meta = s[this.w(t - 1, 1)] ?? 0;
      this.setMeta(s, t, (meta & ~(VIEW_MASK << FWD_SHIFT)) >>> 0);
    }
  }

  // ---- running one PD alone: certification and the promises it can make ------------------------

  private overflow(s: State): string {
    const names = Array.from(
      { length: this.count(s) },
      (_, i) => `${this.pdNames[this.writerOf(s, i + 1)]}:${this.addrOf(s, i + 1)}`,
    );
    return (
      `Promising memory: more than ${MAX_MESSAGES} stores in flight (${names.join(' ')}); ` +
      'a PD inside a handler keeps old stores readable; smaller bounds keep fewer in flight'
    );
  }

  /**
   * Runs p alone from `s` (nobody else steps) through every memory outcome, up to
   * its next syscall (or the end of its handler), depth first. `visit` sees each state reached
   * after a step; returning true stops the search (and `solo` returns true).
   */
  private solo(
    s: State,
    p: number,
    visit: (st: State) => boolean,
    gc: boolean,
    depth = 0,
  ): boolean {
    if (!this.live(s, p)) return false;
    // Cutting the search would reject promises the PD can keep (behaviours lost): an error.
    assert(
      depth < MAX_SOLO_STEPS,
      () => `${this.pdNames[p]}: a handler longer than ${MAX_SOLO_STEPS} steps`,
    );
    this.depth++;
    if (this.choosers.length <= this.depth) this.choosers.push(new Chooser());
    const ch = this.choosers[this.depth]!;
    const mem = this.mems[p]!;
    // One scratch vector per recursion level: a level only reads its input and rewrites its own.
    while (this.soloBufs.length <= depth) this.soloBufs.push(new Uint32Array(s.length));
    let tmp = this.soloBufs[depth]!;
    if (tmp.length !== s.length) tmp = this.soloBufs[depth] = new Uint32Array(s.length);
    let found = false;
    try {
      ch.reset();
      do {
        ch.begin();
        tmp.set(s);
        mem.dead = false;
        this.soloDepthNow = depth;
        this.onSoloStep?.(depth);
        let a: number;
        try {
          a = this.runner.step(tmp, p);
        } catch (e) {
          if (e === DEAD) continue;
          throw e;
        }
        if (a < 0 || mem.dead) continue;
        if (!this.live(tmp, p) && this.hasPromises(tmp, p)) continue; // left the handler owing
        if (this.doomed(tmp, p)) continue;
        if (gc) this.canonicalize(tmp);
        if (visit(tmp) || this.solo(tmp, p, visit, gc, depth + 1)) {
          found = true;
          break;
        }
      } while (ch.advance());
    } finally {
      this.depth--;
    }
    return found;
  }
  private readonly soloBufs: Uint32Array[] = [];
  /** Depth of the solo step running now (soloStores files the stores it makes under it). */
  private soloDepthNow = 0;
  /** Called before each solo step runs (soloStores clears what it filed at that depth). */
  private onSoloStep: ((depth: number) => void) | null = null;

  /**
   * True when some promise of p can never be fulfilled whatever p does: a store must lie after
   * p's vwn and vcap and after p's coherence view of its location, and those only grow.
   */
  private doomed(s: State, p: number): boolean {
    const n = this.count(s);
    const floor = Math.max(this.view(s, p, VWN), this.view(s, p, VCAP));
    for (let t = 1; t <= n; t++) {
      if (!this.ownPromise(s, p, t)) continue;
      if (t <= floor || t <= this.cohOf(s, p, this.addrOf(s, t))) return true;
    }
    return false;
  }

  /** Promising's certification: p, running alone, can fulfil every promise it has made. */
  certify(s: State, p: number): boolean {
    if (!this.hasPromises(s, p)) return true;
    if (this.doomed(s, p)) return false;
    return this.soloCache.get(this.soloKey(s, p), p, 'certify', () =>
      this.solo(s, p, (st) => !this.hasPromises(st, p), true),
    );
  }

  /**
   * What a solo run of p can depend on: the state without the other PDs' private words (their
   * pc, locals, notification bookkeeping: PdRunner.privateWords), views and coherence marks.
   * p's solo run never reads those (its steps touch its own words, shared memory, ghosts and
   * devices), so two states with the same key have the same solo runs.
   */
  private soloKey(s: State, p: number): Uint32Array {
    const key =
      this.keyBuf.length === s.length ? this.keyBuf : (this.keyBuf = new Uint32Array(s.length));
    key.set(s);
    for (let q = 0; q < this.pdNames.length; q++) {
      if (q === p) continue;
      for (const [at, len] of this.privateOf(q)) key.fill(0, at, at + len);
      key[this.viewWord[q]!] = 0;
      key[this.viewWord[q]! + 1] = 0;
    }
    const n = this.count(s);
    for (let t = 1; t <= n; t++) key[this.w(t - 1, 2)] = (key[this.w(t - 1, 2)]! & (1 << p)) >>> 0;
    return key;
  }
  private keyBuf = new Uint32Array(0);
  private readonly privateCache: (readonly (readonly [number, number])[])[] = [];
  private privateOf(q: number): readonly (readonly [number, number])[] {
    return (this.privateCache[q] ??= this.runner.privateWords(q));
  }
  private readonly soloCache = new SoloCache();

  /**
   * The promises p can make now: the stores (addr, value) p makes as new messages on some solo
   * run from `s` (alone, every memory outcome, up to its next syscall) whose lower bound (`after`:
   * its pre-view, p's coherence view of addr, the message an RMW read) lies within the messages of
   * `s`, on a run that holds no promise at that store or at some point after it. The argument
   * that exactly these certify once promised at timestamp count(s)+1 (the same run fulfils the
   * promise at that store instead of appending) has a gap: a serial-tx state offers a candidate
   * that does not certify (test/proofs/protocols), so every candidate is still certified.
   * The list is not garbage-collected during the search, so timestamps up to count(s) are the
   * messages of `s`.
   */
  private soloStores(s: State, p: number): Map<string, [number, number]> {
    return this.soloCache.get(this.soloKey(s, p), p, 'stores', () => this.searchSoloStores(s, p));
  }

  private searchSoloStores(s: State, p: number): Map<string, [number, number]> {
    const out = new Map<string, [number, number]>();
    const mem = this.mems[p]!;
    const n0 = this.count(s);
    // Stores filed per solo depth along the current path; a promise-free point certifies them all.
    const path: [string, number, number][][] = [];
    this.onSoloStep = (depth) => {
      while (path.length <= depth) path.push([]);
      path[depth]!.length = 0;
    };
    mem.onNewStore = (addr, value, after) => {
      if (after <= n0) path[this.soloDepthNow]!.push([`${addr}:${value}`, addr, value]);
    };
    try {
      this.solo(
        s,
        p,
        (st) => {
          if (this.hasPromises(st, p)) return false;
          for (let d = 0; d <= this.soloDepthNow; d++)
            for (const [key, addr, value] of path[d]!) out.set(key, [addr, value]);
          return false;
        },
        false,
      );
    } finally {
      mem.onNewStore = null;
      this.onSoloStep = null;
    }
    return out;
  }

  // ---- MemorySystem ----------------------------------------------------------------------------

  buffer(): BufferRef | null {
    return null;
  }

  pdMemory(p: number): PdSharedMem {
    const m = this.mems[p];
    assert(m !== undefined, `no PD ${p}`);
    return m;
  }

  internalActions(): readonly { name: string; kind: string }[] {
    return [{ name: 'promise', kind: 'promise' }];
  }

  internalSuccessors(
    s: State,
    p: number,
    scheduled: boolean,
    scratch: State,
    emit: (k: number, next: State) => void,
  ): void {
    // Only a PD inside a handler can promise: one between handlers makes a syscall first.
    if (!scheduled || !this.live(s, p)) return;
    const n = this.count(s);
    for (const [addr, value] of this.soloStores(s, p).values()) {
      if (n >= MAX_MESSAGES) throw new ModelLimitReached(this.overflow(s));
      scratch.set(s);
      scratch[this.countWord] = n + 1;
      scratch[this.w(n, 0)] = value;
      scratch[this.w(n, 1)] = (addr | (p << WRITER_SHIFT) | PROMISED) >>> 0;
      scratch[this.w(n, 2)] = 0;
      // soloStores keeps the stores of promise-free solo paths, a superset of what certifies in
      // practice (test/proofs/protocols found a serial-tx candidate that does not): certify each.
      if (!this.certify(scratch, p)) continue;
      this.canonicalize(scratch);
      emit(0, scratch);
    }
  }

  exploreStep(
    _s: State,
    p: number,
    scratch: State,
    run: () => number,
    emit: (action: number) => void,
  ): void {
    const ch = this.chooser();
    const mem = this.mems[p]!;
    ch.reset();
    do {
      ch.begin();
      mem.dead = false;
      let a: number;
      try {
        a = run();
      } catch (e) {
        if (e === DEAD) continue;
        throw e;
      }
      if (a < 0 || mem.dead) continue;
      if (!this.certify(scratch, p)) continue;
      this.canonicalize(scratch);
      emit(a);
    } while (ch.advance());
  }

  idle(s: State, p: number): boolean {
    return !this.hasPromises(s, p);
  }

  invariantView(s: State): State | null {
    const n = this.count(s);
    for (let t = 1; t <= n; t++) if (this.promised(s, t)) return null;
    return this.drained(s);
  }

  drained(s: State): State {
    if (this.drainedView.v.length !== s.length) this.drainedView.v = new Uint32Array(s.length);
    const v = this.drainedView.v;
    v.set(s);
    const n = this.count(s);
    for (let t = 1; t <= n; t++)
      if (!this.promised(s, t)) v[this.addrOf(s, t)] = this.valueOf(s, t);
    return v;
  }
}

/**
 * Memo of solo-run results (promise candidates, certification) by exact key (`soloKey`): a
 * hash table whose buckets compare whole keys, so a hash collision never returns another
 * state's answer. Bounded: cleared when full (a cache, never a cut).
 */
class SoloCache {
  private static readonly MAX_ENTRIES = 1 << 16;
  private readonly table = new Map<number, { key: Uint32Array; tag: string; value: unknown }[]>();
  private entries = 0;

  get<T>(key: Uint32Array, p: number, tag: string, compute: () => T): T {
    const fullTag = `${tag}:${p}`;
    const h = hashWords(key, p);
    const bucket = this.table.get(h);
    if (bucket !== undefined) {
      for (const e of bucket) if (e.tag === fullTag && sameWords(e.key, key)) return e.value as T;
    }
    const value = compute();
    if (this.entries >= SoloCache.MAX_ENTRIES) {
      this.table.clear();
      this.entries = 0;
    }
    const entry = { key: key.slice(), tag: fullTag, value };
    const b = this.table.get(h);
    if (b === undefined) this.table.set(h, [entry]);
    else b.push(entry);
    this.entries++;
    return value;
  }
}

function hashWords(a: Uint32Array, seed: number): number {
  let h = (0x811c9dc5 ^ seed) >>> 0;
  for (let i = 0; i < a.length; i++) {
    h = Math.imul(h ^ a[i]!, 0x01000193) >>> 0;
    h = (h ^ (h >>> 15)) >>> 0;
  }
  return h;
}

function sameWords(a: Uint32Array, b: Uint32Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** One PD's SharedMem under Promising. */
class PromisingMemory implements PdSharedMem {
  s: State = new Uint32Array(0);
  accessLog: AccessLog | null = null;
  /** Set when this run cannot continue (no readable message, promise lost at a syscall). */
  dead = false;
  /** Set by the promise search: called for each store made as a new message. */
  onNewStore: ((addr: number, value: number, after: number) => void) | null = null;
  private readonly pick = (n: number): number =>
    this.accessLog !== null ? 0 : this.sys.chooser().choose(n);

  constructor(
    private readonly sys: PromisingSystem,
    private readonly p: number,
  ) {}

  /** Probe runs (the runtime's merge and POR checks) only look at which accesses a step makes. */
  private get probe(): boolean {
    return this.accessLog !== null;
  }

  /** Ends this run (see DeadRun; the runtime's probe runs catch it too). */
  private die(): never {
    this.dead = true;
    throw DEAD;
  }

  load(addr: number, o?: LoadOptions): number {
    this.accessLog?.loads.push(addr);
    if (this.dead) return this.s[addr] ?? 0;
    const r = this.sys.read(this.s, this.p, addr, o?.order ?? 'plain', o?.addrDeps, this.pick);
    if (r === null) this.die();
    if (o?.into !== undefined) this.sys.setDep(this.s, this.p, o.into, r[2]);
    return r[0];
  }

  store(addr: number, value: number, o?: StoreOptions): void {
    this.accessLog?.stores.push(addr);
    if (this.probe || this.dead) return;
    const s = this.s;
    const p = this.p;
    const sys = this.sys;
    const va = sys.deps(s, p, o?.addrDeps);
    const vd = sys.deps(s, p, o?.dataDeps);
    const release = o?.order === 'release';
    const vpre = Math.max(
      va,
      vd,
      sys.view(s, p, VCAP),
      sys.view(s, p, VWN),
      release ? Math.max(sys.view(s, p, VRO), sys.view(s, p, VWO)) : 0,
    );
    const n = sys.count(s);
    const coh = this.onNewStore === null ? 0 : sys.cohOf(s, p, addr);
    const t = sys.write(s, p, addr, value, vpre, Math.max(va, vd), release, false, -1, this.pick);
    if (t === 0) this.die();
    sys.raise(s, p, VCAP, va);
    if (t === n + 1) this.onNewStore?.(addr, value >>> 0, Math.max(vpre, coh));
  }

  rmw(addr: number, op: RmwOp, o: RmwOptions = {}): number {
    this.accessLog?.loads.push(addr);
    this.accessLog?.stores.push(addr);
    if (this.probe || this.dead) return this.s[addr] ?? 0;
    const s = this.s;
    const p = this.p;
    const sys = this.sys;
    if (sys.arch === 'rvwmo') {
      if (op.kind === 'cas' && this.pick(2) === 1) {
        // A CAS that fails writes nothing: it is a load (acquire if annotated) of a value other
        // than the expected one (Zacas; RVWMO has no store for it).
        const r = sys.read(
          s,
          p,
          addr,
          o.acquire === true ? 'acquire' : 'plain',
          o.addrDeps,
          this.pick,
        );
        if (r === null || r[0] === op.expected >>> 0) return this.die();
        if (o.into !== undefined) sys.setDep(s, p, o.into, r[2]);
        return r[0];
      }
      const n = sys.count(s);
      const coh = this.onNewStore === null ? 0 : sys.cohOf(s, p, addr);
      const r = sys.amo(s, p, addr, op, o, this.pick);
      if (r === null) return this.die();
      if (r[1] === n + 1) this.onNewStore?.(addr, sys.valueOf(s, r[1]), Math.max(r[2], coh));
      return r[0];
    }
    // ARMv8: an exclusive pair (read, then a write with no other store to addr between) that
    // succeeds; with both acquire and release (SWPAL, LDADDAL, CASAL) also a full barrier
    // (aarch64.cat: po; [A]; amo; [L]; po).
    const full = o.acquire === true && o.release === true;
    if (full) sys.fence(s, p, FULL);
    const r = sys.read(s, p, addr, o.acquire === true ? 'acquire' : 'plain', o.addrDeps, this.pick);
    if (r === null) return this.die();
    const [old, tr, vpost] = r;
    if (o.into !== undefined) sys.setDep(s, p, o.into, vpost);
    const next = rmwResult(op, old);
    if (next === null) return old; // a failed CAS only reads
    const va = sys.deps(s, p, o.addrDeps);
    // LDADD's value is computed from the value read (a data dependency); SWP's and CAS's are not.
    const vd = Math.max(sys.deps(s, p, o.dataDeps), op.kind === 'add' ? vpost : 0);
    const release = o.release === true;
    const vpre = Math.max(
      va,
      vd,
      sys.view(s, p, VCAP),
      sys.view(s, p, VWN),
      release ? Math.max(sys.view(s, p, VRO), sys.view(s, p, VWO)) : 0,
    );
    const n = sys.count(s);
    const coh = this.onNewStore === null ? 0 : sys.cohOf(s, p, addr);
    const t = sys.write(s, p, addr, next, vpre, Math.max(va, vd), release, true, tr, this.pick);
    if (t === 0) return this.die();
    if (t === n + 1) this.onNewStore?.(addr, next, Math.max(vpre, coh, tr));
    if (full) sys.fence(s, p, FULL);
    return old;
  }

  ctrl(deps: number): void {
    // Done on probe runs too: a step that only branches is "local" to the runtime (it merges it
    // into the step before, keeping the probe's state), and the branch's view must survive.
    if (this.dead) return;
    this.sys.raise(this.s, this.p, VCAP, this.sys.deps(this.s, this.p, deps));
  }

  fence(kind: FenceKind): void {
    if (this.accessLog) this.accessLog.shared = (this.accessLog.shared ?? 0) + 1;
    if (this.probe || this.dead) return;
    this.sys.fence(this.s, this.p, fenceBits(kind, this.sys.arch));
  }

  syscall(): void {
    if (this.accessLog) this.accessLog.shared = (this.accessLog.shared ?? 0) + 1;
    if (this.probe || this.dead) return;
    if (!this.sys.syscall(this.s, this.p)) this.die();
  }
}
