// Composition of Microkit PDs (spec/components programs), devices and a memory model into one
// TransitionSystem (spec/common/transition.ts). The Microkit part follows spec/microkit: the
// handler loop (flush the deferred slot, else seL4_Recv, then `notified` per set bit ascending),
// coalescing notifications, IRQs held until acked, fixed-priority or any-interleaving scheduling.
import { assert } from '../../spec/common/assert.ts';
import type {
  ActionInfo,
  Invariant,
  ItfValue,
  State,
  TransitionSystem,
} from '../../spec/common/transition.ts';
import type { DeviceMem } from '../../spec/components/mem.ts';
import { PC_DONE, type ComponentProgram, type PdContext } from '../../spec/components/program.ts';
import {
  DEFERRED_EMPTY,
  MAX_CHANNEL,
  clearChannel,
  decodeDeferred,
  deferSignal,
  irqAck,
  irqAssert,
  isRunnable,
  nextChannel,
  notifyWord,
  schedulable,
  slotAfterPassiveInit,
  type Scheduling,
} from '../../spec/microkit/semantics.ts';
import { Layout } from './layout.ts';
import { createMemorySystem, isAbandonedRun, type BufferRef, type PdSharedMem } from './memory.ts';
import type { MemoryModel } from './types.ts';

export interface ChannelEnd {
  readonly pd: string;
  readonly ch: number;
}

export interface PdSpec {
  readonly name: string;
  readonly program: ComponentProgram;
  readonly priority: number;
  /** The core the PD runs on (scheduling `cores`; 0 when absent). */
  readonly core?: number;
  /** Local channel id → the other end (notify target). IRQ channels are not listed here. */
  readonly channels: Readonly<Record<number, ChannelEnd>>;
  /** IRQ channel ids of this PD, with the device line that drives each. */
  readonly irqs?: Readonly<Record<number, (s: State) => boolean>>;
  /** Notification bits pending in the initial state (what `init()` left behind). */
  readonly initialNotif?: number;
  /**
   * A passive PD (SDF `passive="true"`): after `init()` its `main()` overwrites the deferred slot
   * with the "I am passive" signal to the monitor, so a deferred call made in `init` is lost
   * (reference §1.3; seL4/microkit cfd52163 libmicrokit/src/main.c `main`).
   */
  readonly passive?: boolean;
}

export interface DeviceAction {
  readonly name: string;
  readonly touches?: string;
  /** Performs the action on `s` if enabled; returns false (leaving `s` untouched) when not. */
  run(s: State, io: DeviceIo): boolean;
}

export interface DeviceIo {
  /** Re-evaluates the IRQ lines after a device register changed. */
  raiseIrqs(): void;
  /** An event from outside the modelled PDs (an application request, a timer tick). */
  signal(pd: string, ch: number): void;
  fail(property: string, message: string): void;
}

export interface SystemSpec {
  readonly name: string;
  readonly layout: Layout;
  readonly pds: readonly PdSpec[];
  readonly devices: readonly { readonly name: string; readonly actions: readonly DeviceAction[] }[];
  readonly memoryModel: MemoryModel;
  readonly scheduling: Scheduling;
  /** Ghost words (monitors), allocated in `layout` before `buildSystem`. */
  readonly ghostBase: number;
  readonly ghostWords: number;
  /** Words of memory only `pds[i]` writes (single-writer knowledge for POR). */
  readonly ownedBy?: readonly (readonly number[])[];
  readonly init: (s: State) => void;
  readonly invariants: readonly Invariant[];
  readonly stranded: (s: State) => string | null;
  readonly goal?: (s: State) => boolean;
  /** One transition per handler step, local or not (ModelOptions.splitLocalSteps). */
  readonly splitLocalSteps?: boolean;
  /**
   * `debug` (default): a failed C assert (`no-assert-failure`) crashes the PD, the run is a
   * violation. `release`: asserts are compiled out (NDEBUG); the step goes on as the C would.
   */
  readonly build?: CBuild;
}

/** C build semantics: asserts checked (`debug`) or compiled out (`release`, NDEBUG). */
export type CBuild = 'debug' | 'release';

/** Monitor verdict word: 0 = fine, else index+1 into the failure table of the system. */
export interface Failure {
  readonly property: string;
  readonly message: string;
}

interface PdWords {
  readonly pc: number;
  /** 0 while `init()` runs (the PD boots), 1 in the handler loop; -1: the PD starts after init. */
  readonly phase: number;
  readonly notif: number;
  readonly badge: number;
  readonly ch: number;
  readonly deferred: number;
  readonly held: number;
  readonly locals: number;
  readonly buffer: BufferRef | null;
}

export interface BuiltSystem {
  readonly ts: TransitionSystem;
  /**
   * The state with every store buffer drained in program order: each index and slot as its single
   * writer last wrote it. Invariants about queue contents read this view (a buffer dequeued with a
   * still-buffered head store is not "in two places").
   */
  readonly drained: (s: State) => State;
  readonly failureOf: (s: State) => Failure | null;
  readonly pdWords: (name: string) => PdWords;
}

const FAIL_WORD = 'monitor.failure';

/** A failed C assert (PdContext.fail): a violation in a debug build only. */
export const NO_ASSERT_FAILURE = 'no-assert-failure';

/** Properties the in-step monitors report (PdContext.fail); others appear as `monitors`. */
export const MONITOR_PROPERTIES: readonly string[] = [
  NO_ASSERT_FAILURE,
  'address-domain',
  'fifo',
  'no-spurious-notify',
  'no-overwrite',
  'refcount',
  'device-init',
  'frame-integrity',
  'hw-ownership',
  /** Block: answers obey spec/components/blk/requests.ts (once each, nothing across a barrier). */
  'request-semantics',
];

/** A handler step's action: `rx_provide.recheck(RxF)` touches the queue named in parentheses. */
function stepInfo(pd: string, step: string): ActionInfo {
  const touches = /\(([^)]+)\)$/.exec(step)?.[1];
  return touches === undefined
    ? { name: `${pd}.${step}`, pd }
    : { name: `${pd}.${step}`, pd, touches };
}

export function buildSystem(spec: SystemSpec): BuiltSystem {
  const layout = spec.layout;
  const failWord = layout.alloc(FAIL_WORD);
  const failures: Failure[] = [];
  const failureIndex = new Map<string, number>();
  // The memory model (proofs/models/memory.ts): store buffers or Promising's views and messages.
  // It runs a PD alone through `runner` (Promising certification), used only after the build.
  const memory = createMemorySystem(
    spec.memoryModel,
    spec.pds.map((pd) => pd.name),
    {
      pcWord: (p) => words[p]!.pc,
      step: (s, p) => {
        const a = pdStep(s, p, null);
        if (a >= 0) mergeLocalSteps(s, p, null);
        return a;
      },
      privateWords: (p) => {
        const w = words[p]!;
        const out: [number, number][] = [w.pc, w.notif, w.badge, w.ch, w.deferred, w.held].map(
          (a) => [a, 1],
        );
        const localWords = spec.pds[p]!.program.localWords;
        if (localWords > 0) out.push([w.locals, localWords]);
        return out;
      },
    },
  );
  const words: PdWords[] = spec.pds.map((pd, p) => {
    const w = {
      pc: layout.alloc(`${pd.name}.pc`),
      phase: pd.program.initPc !== PC_DONE ? layout.alloc(`${pd.name}.phase`) : -1,
      notif: layout.alloc(`${pd.name}.notification`),
      badge: layout.alloc(`${pd.name}.badge`),
      ch: layout.alloc(`${pd.name}.notified_ch`),
      deferred: layout.alloc(`${pd.name}.deferred`),
      held: layout.alloc(`${pd.name}.irq_held`),
      locals:
        pd.program.localWords > 0 ? layout.alloc(`${pd.name}.locals`, pd.program.localWords) : -1,
    };
    memory.allocPd(layout, p);
    return { ...w, buffer: memory.buffer(p) };
  });
  memory.allocShared(layout);
  const pdIndex = new Map(spec.pds.map((p, i) => [p.name, i]));
  const pdIndexOf = (name: string): number => pdIndex.get(name)!;
  const stateWords = layout.words;

  // Action table: per PD: recv, deferred, one per program step, flush entries; then devices.
  const actions: ActionInfo[] = [];
  const recvAction: number[] = [];
  const deferredAction: number[] = [];
  const stepAction: number[][] = [];
  const flushAction: number[][] = [];
  spec.pds.forEach((pd) => {
    recvAction.push(
      actions.push({ name: `${pd.name}.recv`, pd: pd.name, memory: 'seL4_Recv' }) - 1,
    );
    deferredAction.push(
      actions.push({ name: `${pd.name}.deferred_flush`, pd: pd.name, memory: 'seL4_NBSendRecv' }) -
        1,
    );
    stepAction.push(
      pd.program.steps.map((st, pc) => (pc === 0 ? -1 : actions.push(stepInfo(pd.name, st)) - 1)),
    );
    flushAction.push(
      memory
        .internalActions(pdIndexOf(pd.name))
        .map(
          (m) => actions.push({ name: `${pd.name}.${m.name}`, pd: pd.name, memory: m.kind }) - 1,
        ),
    );
  });
  // Each device is its own process (pd = its name): weak fairness then holds per device, so a
  // timer that ticks forever cannot starve the NIC's transmit in a liveness run.
  const deviceAction: number[][] = spec.devices.map((d) =>
    d.actions.map((a) => {
      const info: ActionInfo =
        a.touches === undefined
          ? { name: `${d.name}.${a.name}`, pd: d.name }
          : { name: `${d.name}.${a.name}`, pd: d.name, touches: a.touches };
      return actions.push(info) - 1;
    }),
  );

  function fail(s: State, property: string, message: string): void {
    if ((s[failWord] ?? 0) !== 0) return; // keep the first failure
    if (spec.build === 'release' && property === NO_ASSERT_FAILURE) return; // NDEBUG
    const key = `${property}\u0000${message}`;
    let idx = failureIndex.get(key);
    if (idx === undefined) {
      idx = failures.push({ property, message }) - 1;
      failureIndex.set(key, idx);
    }
    s[failWord] = idx + 1;
  }

  function raiseIrqs(s: State): void {
    spec.pds.forEach((pd, i) => {
      const w = words[i]!;
      for (const [chText, line] of Object.entries(pd.irqs ?? {})) {
        if (!line(s)) continue;
        const r = irqAssert({ notif: s[w.notif] ?? 0, held: s[w.held] ?? 0 }, Number(chText));
        s[w.notif] = r.notif;
        s[w.held] = r.held;
      }
    });
  }

  function deliver(s: State, from: number, ch: number): void {
    const end = spec.pds[from]!.channels[ch];
    assert(end !== undefined, () => `${spec.pds[from]!.name}: no channel ${ch}`);
    const t = pdIndex.get(end.pd);
    assert(t !== undefined, `no PD ${end.pd}`);
    const tw = words[t]!;
    s[tw.notif] = notifyWord(s[tw.notif] ?? 0, end.ch);
  }

  /**
   * `init()` returned: Microkit's `main()` then (1) for a passive PD, overwrites the deferred slot
   * with its signal to the monitor (what `init` deferred is lost; the monitor's signal is not
   * modelled, so the slot is left empty), and (2) enters `handler_loop`, which acks every IRQ of
   * the PD before the first Recv (an asserted level IRQ re-fires at once).
   */
  function finishInit(s: State, p: number): void {
    const w = words[p]!;
    const pd = spec.pds[p]!;
    s[w.phase] = 1;
    s[w.deferred] = slotAfterPassiveInit(s[w.deferred] ?? 0, pd.passive === true).slot;
    for (const chText of Object.keys(pd.irqs ?? {})) ackIrq(s, p, Number(chText));
  }

  function ackIrq(s: State, p: number, ch: number): void {
    const w = words[p]!;
    const line = spec.pds[p]!.irqs?.[ch];
    assert(line !== undefined, `${spec.pds[p]!.name}: irq_ack on non-IRQ channel ${ch}`);
    const r = irqAck({ notif: s[w.notif] ?? 0, held: s[w.held] ?? 0 }, ch, line(s));
    s[w.notif] = r.notif;
    s[w.held] = r.held;
  }

  /**
   * What a step did. `signals`: notify, deferred calls, ghost writes (POR: never safe-local).
   * `shared`: anything another PD, a device or an invariant can see: a fence, a device register
   * or ring access, a ghost read or write, a notify, a monitor failure (loads and stores are in
   * their own lists). The deferred slot is not shared: only the PD's own flush reads it.
   */
  type StepLog = { loads: number[]; stores: number[]; signals: number; shared: number };

  /** One reusable context per PD (no closures per step: the engine calls this millions of times). */
  class StepContext implements PdContext {
    s: State = new Uint32Array(0);
    log: StepLog | null = null;
    readonly mem: PdSharedMem;
    readonly dev: DeviceMem;
    private readonly w: PdWords;
    private readonly localWords: number;
    constructor(private readonly p: number) {
      this.w = words[p]!;
      this.localWords = spec.pds[p]!.program.localWords;
      this.mem = memory.pdMemory(p);
      this.dev = {
        read: (a) => {
          if (this.log) this.log.shared++;
          return this.s[a] ?? 0;
        },
        write: (a, v) => {
          if (this.log) this.log.shared++;
          this.s[a] = v >>> 0;
        },
      };
    }
    bind(s: State, log: StepLog | null): this {
      this.s = s;
      this.log = log;
      this.mem.s = s;
      this.mem.accessLog = log;
      return this;
    }
    local(i: number): number {
      if (!(i >= 0 && i < this.localWords)) assert(false, `local ${i} of ${this.localWords}`);
      return this.s[this.w.locals + i] ?? 0;
    }
    setLocal(i: number, v: number): void {
      if (!(i >= 0 && i < this.localWords)) assert(false, `local ${i} of ${this.localWords}`);
      this.s[this.w.locals + i] = v >>> 0;
    }
    notify(ch: number): void {
      if (this.log) {
        this.log.signals++;
        this.log.shared++;
      }
      this.mem.syscall();
      deliver(this.s, this.p, ch);
    }
    deferredNotify(ch: number): void {
      if (this.log) this.log.signals++;
      this.s[this.w.deferred] = deferSignal(this.s[this.w.deferred] ?? 0, 'notify', ch).slot;
    }
    deferredIrqAck(ch: number): void {
      if (this.log) this.log.signals++;
      this.s[this.w.deferred] = deferSignal(this.s[this.w.deferred] ?? 0, 'irq_ack', ch).slot;
    }
    irqAck(ch: number): void {
      if (this.log) {
        this.log.signals++;
        this.log.shared++;
      }
      this.mem.syscall();
      ackIrq(this.s, this.p, ch);
    }
    deferredNotifyCurr(): number {
      return decodeDeferred(this.s[this.w.deferred] ?? 0)?.ch ?? -1;
    }
    fail(property: string, message: string): void {
      if (this.log) this.log.shared++;
      fail(this.s, property, message);
    }
    ghost(i: number): number {
      if (!(i >= 0 && i < spec.ghostWords)) assert(false, `ghost ${i}`);
      if (this.log) {
        // Devices (the application) write ghosts too: a ghost read is a load of the ghost word,
        // safe-local only where the model lists that word as owned by this PD (ADR 007).
        this.log.shared++;
        this.log.loads.push(spec.ghostBase + i);
      }
      return this.s[spec.ghostBase + i] ?? 0;
    }
    setGhost(i: number, v: number): void {
      if (!(i >= 0 && i < spec.ghostWords)) assert(false, `ghost ${i}`);
      if (this.log) {
        this.log.signals++; // a ghost write is visible to invariants: never "safe local"
        this.log.shared++;
      }
      this.s[spec.ghostBase + i] = v >>> 0;
    }
  }
  const contexts = spec.pds.map((_, p) => new StepContext(p));

  /** Runs PD p's next runtime/handler step on `s` in place; returns the action index or -1. */
  function pdStep(s: State, p: number, log: StepLog | null): number {
    const w = words[p]!;
    const prog = spec.pds[p]!.program;
    const ctx = contexts[p]!.bind(s, log);
    const mem = ctx.mem;
    const pc = s[w.pc] ?? 0;
    if (pc !== PC_DONE) {
      const action = stepAction[p]![pc];
      assert(action !== undefined && action >= 0, () => `${prog.name}: bad pc ${pc}`);
      const next = prog.step(pc, ctx);
      assert(
        next >= 0 && next < prog.steps.length,
        () => `${prog.name}: step ${pc} returned pc ${next}`,
      );
      if (next !== PC_DONE) {
        s[w.pc] = next;
      } else if (w.phase >= 0 && s[w.phase] === 0) {
        // init() returned: main() goes on into handler_loop (never merged: it acks IRQs).
        if (log) {
          log.signals++;
          log.shared++;
        }
        s[w.pc] = PC_DONE;
        finishInit(s, p);
      } else {
        const ch = nextChannel(s[w.badge] ?? 0);
        if (ch >= 0) {
          s[w.badge] = clearChannel(s[w.badge] ?? 0, ch);
          s[w.ch] = ch;
          s[w.pc] = prog.entry(ch);
        } else {
          s[w.pc] = PC_DONE;
        }
      }
      return action;
    }
    const slot = s[w.deferred] ?? 0;
    if (slot !== DEFERRED_EMPTY) {
      // §1.1: seL4_NBSendRecv(deferred cap): send, clear the slot, then block in Recv.
      const d = decodeDeferred(slot)!;
      if (log) log.signals++;
      mem.syscall(); // counted as shared by the access log
      s[w.deferred] = DEFERRED_EMPTY;
      if (d.kind === 'notify') deliver(s, p, d.ch);
      else ackIrq(s, p, d.ch);
      return deferredAction[p]!;
    }
    const notif = s[w.notif] ?? 0;
    if (notif !== 0) {
      if (log) log.signals++;
      mem.syscall();
      const ch = nextChannel(notif);
      s[w.notif] = 0;
      s[w.badge] = clearChannel(notif, ch);
      s[w.ch] = ch;
      s[w.pc] = prog.entry(ch);
      return recvAction[p]!;
    }
    return -1;
  }

  /** pdStep on a probe copy; false when the memory model abandoned the run (a load it made). */
  function probeStep(s: State, p: number, log: StepLog): boolean {
    try {
      pdStep(s, p, log);
      return true;
    } catch (e) {
      if (isAbandonedRun(e)) return false;
      throw e;
    }
  }

  // Step grain (ADR 008 "Granularity"): after a step, the PD's following handler steps that touch
  // nothing shared (no load, store, fence, device access, ghost, notify or monitor; only its pc,
  // locals and deferred slot) run in the same transition. Such a step is invisible to every other
  // PD, device and invariant and commutes with all their steps (only this PD writes or reads what
  // it touches), so running it right after the step before it removes no interleaving of shared
  // accesses or store-buffer flushes: every run of the split system has an equivalent run of the
  // merged one with the same shared-memory history, and no state an invariant or the quiescence
  // oracle could tell apart is lost (a PD inside a handler is runnable, so never quiescent).
  // Invariants may read PD locals only where a shared access writes them too (HW ring indices,
  // buffer_refs, the echo count), which keeps merged-away states invisible.
  const MAX_LOCAL_MERGE = 16;
  const mergeProbe = new Uint32Array(stateWords);
  const mergeLog: StepLog = { loads: [], stores: [], signals: 0, shared: 0 };
  function mergeLocalSteps(s: State, p: number, outer: StepLog | null): void {
    if (spec.splitLocalSteps === true) return;
    const w = words[p]!;
    for (let i = 0; i < MAX_LOCAL_MERGE; i++) {
      // pc DONE: next comes the deferred flush or seL4_Recv, syscalls that are never local.
      if ((s[w.pc] ?? 0) === PC_DONE) return;
      mergeProbe.set(s);
      mergeLog.loads.length = 0;
      mergeLog.stores.length = 0;
      mergeLog.signals = 0;
      mergeLog.shared = 0;
      // A probe the memory model abandons (no value it may read: see isAbandonedRun) made a
      // load, so the step is not local either way.
      if (!probeStep(mergeProbe, p, mergeLog)) return;
      const local =
        mergeLog.loads.length === 0 && mergeLog.stores.length === 0 && mergeLog.shared === 0;
      if (!local) return;
      s.set(mergeProbe);
      if (outer !== null) outer.signals += mergeLog.signals; // deferred calls: never POR-safe
    }
    assert(false, () => `${spec.pds[p]!.name}: more than ${MAX_LOCAL_MERGE} local steps in a row`);
  }

  function runnable(s: State, p: number): boolean {
    const w = words[p]!;
    return isRunnable({ pc: s[w.pc] ?? 0, deferred: s[w.deferred] ?? 0, notif: s[w.notif] ?? 0 });
  }

  const priorities = spec.pds.map((p) => p.priority);
  const cores = spec.pds.map((p) => p.core ?? 0);
  // The models' notification word is a u32 (spec/microkit/semantics.ts): channel ids 0..31.
  spec.pds.forEach((pd) => {
    for (const ch of [...Object.keys(pd.channels), ...Object.keys(pd.irqs ?? {})].map(Number))
      assert(ch >= 0 && ch <= MAX_CHANNEL, () => `${pd.name}: channel ${ch} beyond the model word`);
  });
  const runnableNow: boolean[] = spec.pds.map(() => false);
  function canRun(s: State): boolean[] {
    for (let p = 0; p < spec.pds.length; p++) runnableNow[p] = runnable(s, p);
    return schedulable(runnableNow, priorities, spec.scheduling, cores);
  }

  const scratch = new Uint32Array(stateWords);
  /** One reusable DeviceIo (bound to the state being built) instead of closures per action. */
  class BoundDeviceIo implements DeviceIo {
    s: State = new Uint32Array(0);
    raiseIrqs(): void {
      raiseIrqs(this.s);
    }
    signal(pd: string, ch: number): void {
      const t = pdIndex.get(pd);
      assert(t !== undefined, `no PD ${pd}`);
      this.s[words[t]!.notif] = notifyWord(this.s[words[t]!.notif] ?? 0, ch);
    }
    fail(property: string, message: string): void {
      fail(this.s, property, message);
    }
  }
  const boundIo = new BoundDeviceIo();
  const deviceIo = (s: State): DeviceIo => {
    boundIo.s = s;
    return boundIo;
  };

  function successors(s: State, emit: (action: number, next: State) => void): void {
    if ((s[failWord] ?? 0) !== 0) return; // a violation ends the run
    const may = canRun(s).slice();
    for (let p = 0; p < spec.pds.length; p++) {
      if (!may[p]) continue;
      // Once per memory outcome of the step (one outcome under sc, tso and pso).
      memory.exploreStep(
        s,
        p,
        scratch,
        () => {
          scratch.set(s);
          const a = pdStep(scratch, p, null);
          if (a >= 0) mergeLocalSteps(scratch, p, null);
          return a;
        },
        (a) => emit(a, scratch),
      );
    }
    for (let p = 0; p < spec.pds.length; p++) {
      // Store-buffer flushes, or promises (Promising).
      memory.internalSuccessors(s, p, may[p] === true, scratch, (k, next) =>
        emit(flushAction[p]![k]!, next),
      );
    }
    for (let di = 0; di < spec.devices.length; di++) {
      const d = spec.devices[di]!;
      for (let ai = 0; ai < d.actions.length; ai++) {
        scratch.set(s);
        if (d.actions[ai]!.run(scratch, deviceIo(scratch))) emit(deviceAction[di]![ai]!, scratch);
      }
    }
  }

  function isQuiescent(s: State): boolean {
    for (let p = 0; p < spec.pds.length; p++) {
      if (runnable(s, p)) return false;
      if (!memory.idle(s, p)) return false;
    }
    const probe = new Uint32Array(s);
    for (const d of spec.devices) {
      for (const a of d.actions) {
        probe.set(s);
        if (a.run(probe, deviceIo(probe))) return false;
      }
    }
    return true;
  }

  const failureOf = (s: State): Failure | null => {
    const f = s[failWord] ?? 0;
    return f === 0 ? null : (failures[f - 1] ?? null);
  };

  // One invariant per monitored property, so a violation names the property it breaks.
  const monitorInvariant = (name: string): Invariant => ({
    name,
    check: (s) => {
      const f = failureOf(s);
      if (f === null) return null;
      if (name === 'monitors' ? MONITOR_PROPERTIES.includes(f.property) : f.property !== name)
        return null;
      return f.message;
    },
  });
  // A model invariant reads the memory model's invariant view: the state itself, the drained view
  // (Promising), or nothing where no consistent snapshot exists (a PD holds a promise; ADR 015).
  // In-step monitors are assertions a PD made on values it read: always checked.
  const onView = (own: Invariant): ((s: State) => string | null) => {
    return (s) => {
      const v = memory.invariantView(s);
      return v === null ? null : own.check(v);
    };
  };
  // A model invariant and an in-step monitor of the same property become one invariant.
  const invariants: Invariant[] = [
    ...MONITOR_PROPERTIES.map((name) => {
      const monitor = monitorInvariant(name);
      const own = spec.invariants.find((i) => i.name === name);
      if (own === undefined) return monitor;
      const ownCheck = onView(own);
      return { name, check: (s: State) => monitor.check(s) ?? ownCheck(s) };
    }),
    monitorInvariant('monitors'),
    ...spec.invariants
      .filter((i) => !MONITOR_PROPERTIES.includes(i.name))
      .map((i) => ({ name: i.name, check: onView(i) })),
  ];

  const ts: TransitionSystem = {
    name: spec.name,
    stateWords,
    actions,
    initialStates: () => {
      const s = new Uint32Array(stateWords);
      spec.pds.forEach((pd, i) => {
        const w = words[i]!;
        s[w.pc] = pd.program.initPc;
        s[w.notif] = pd.initialNotif ?? 0;
        if (w.phase >= 0) {
          // Booting: no IRQ is delivered before handler_loop acks them all (finishInit).
          for (const chText of Object.keys(pd.irqs ?? {}))
            s[w.held] = (s[w.held] ?? 0) | (1 << Number(chText));
        }
      });
      spec.init(s);
      return [s];
    },
    successors,
    invariants,
    isQuiescent,
    quiescentViolation: (s) => {
      if (!isQuiescent(s)) return null;
      return spec.stranded(s);
    },
    ...(spec.goal ? { goal: spec.goal } : {}),
    isSafeLocal: (s, action) => {
      // Single-writer knowledge: a handler step that stores nothing shared, signals nobody and
      // loads only words no other PD writes commutes with every other PD's step.
      const p = stepAction.findIndex((row) => row.includes(action));
      if (p < 0 || spec.ownedBy === undefined) return false;
      const w = words[p]!;
      if ((s[w.pc] ?? 0) === PC_DONE || stepAction[p]![s[w.pc] ?? 0] !== action) return false;
      if (!canRun(s)[p]) return false;
      const probe = new Uint32Array(s);
      const log: StepLog = { loads: [], stores: [], signals: 0, shared: 0 };
      if (!probeStep(probe, p, log)) return false;
      mergeLocalSteps(probe, p, log);
      const owned = new Set(spec.ownedBy[p] ?? []);
      return log.signals === 0 && log.stores.length === 0 && log.loads.every((a) => owned.has(a));
    },
    toItf: (s): Record<string, ItfValue> => layout.toItf(s),
  };
  const drained = (s: State): State => memory.drained(s);
  return { ts, drained, failureOf, pdWords: (name) => words[pdIndex.get(name) ?? -1]! };
}
