// `sddf replay --on impl` for `serial-tx` and `serial-rx` traces (issue 13 part 7; docs/adr/
// 023-serial-subsystem.md §11, §12). serial-tx: each wake of virt_tx in the trace (its `virt_tx.recv` to its pc back at PC_DONE) is run on
// the implemented virt_tx (impl/components/serial/virt_tx.ts), as the net replayer does
// (net/replay-impl.ts; ADR 020 §7). Era 0 only (HEAD's one-flag queue, one client): era 1 is the
// two-flag protocol of August 2024, which the implementation (HEAD) does not speak, and is refused
// with the reason. The model's driver and client are not replayed: the model's driver drains its
// queue into an ideal UART, a step per character (the PL011 driver is a register program of
// another shape), and the client is not a component of the implementation.
//
// Concretization: each queue's tail, head and producer_signalled at the C offsets (the port's three
// u32 words) and its data words as the data region's bytes; virt_tx's tx_pending (the model's
// local `pending`, one client) is private, so it is installed through virt_tx itself (a client
// with bytes notifies while the driver queue is full: virt_tx requests a signal, re-checks, and
// queues the client) and checked through its probe. The queues' `consumer_signalled` words are
// the old protocol's (F6) and nobody in era 0 writes them: not concretized, not compared.
//
// Compared after the wake (checker.ts's abstraction reads the same words: `abstractQueue`): every
// queue word and data byte, tx_pending (the probe), the deferred slot (empty: virt_tx notifies at
// once) and the notifications to the driver and to the client. A wake during which the client or
// the driver wrote a word of virt_tx's queues is not compared (an atomic handler cannot see a value
// written in its middle), and neither is a wake the trace ends in.
//
// serial-rx, the same for virt_rx (impl/components/serial/virt_rx.ts): the driver queue and each
// client's queue; virt_rx's switch machine (mode, current client, digits typed: the model's locals
// 0..3) is private, so it is installed by typing it to virt_rx through the driver queue (Ctrl-\,
// the current client's number, '\r'; then Ctrl-\ and the digits for a machine in the middle of
// a switch) and read back through its probe. The model's other locals are scratch of one wake
// (its private tail, whether it transferred). The PL011 driver's Rx path is a register program
// (FIFO, interrupt mask) of another shape than the model's driver and is not replayed.
import { UserError } from '../../../spec/common/diagnostic.ts';
import { PC_DONE } from '../../../spec/components/program.ts';
import { SVT_CH_CLIENT, SVT_CH_DRIVER } from '../../../spec/components/serial.ts';
import { DRIVER_RX_CH_VIRT, VIRT_RX_CH_DRIVER } from '../../../spec/components/serial-rx.ts';
import {
  SERIAL_SWITCH_CHAR,
  SERIAL_TERMINATE_NUM_CHAR,
  type RxMode,
  type RxSwitch,
} from '../../../spec/components/serial-virt.ts';
import { checkSerialCapacity } from '../../../spec/queue/serial.ts';
import { DEFERRED_EMPTY, dispatchOrder } from '../../../spec/microkit/semantics.ts';
import { txPendingLength } from '../../../spec/components/serial-virt.ts';
import { AddressSpace, type MappingSpec } from '../../../impl/mem/address-space.ts';
import type { Component, ComponentFactory, MicrokitApi } from '../../../impl/runtime/api.ts';
import type { SerialConn } from '../../../impl/components/serial/port.ts';
import {
  serialVirtTxComponent,
  type SerialVirtTxConfig,
  type SerialVirtTxProbe,
} from '../../../impl/components/serial/virt_tx.ts';
import {
  serialVirtRxComponent,
  type SerialVirtRxConfig,
  type SerialVirtRxProbe,
} from '../../../impl/components/serial/virt_rx.ts';
import type { ImplDivergence, ImplReplayResult, ImplWake } from '../net/replay-impl.ts';
import { word, words, type ClassReplayInput, type ModelItfState } from '../replay-model.ts';
import { abstractQueue } from './checker.ts';
import { showSlot } from '../replay-signals.ts';

const QUEUE_FIELDS = ['tail', 'head', 'producer_signalled'] as const;

interface QueueMem {
  readonly name: string;
  readonly capacity: number;
  readonly queue: SharedArrayBuffer;
  readonly data: SharedArrayBuffer;
  readonly conn: SerialConn;
}

function modelValue(s: ModelItfState, field: string): number {
  const m = /^(.*)\[(\d+)\]$/.exec(field);
  return m === null ? word(s, field) : words(s, m[1]!)[Number(m[2])]!;
}

function powerOfTwo(file: string, what: string, c: number): void {
  if (checkSerialCapacity(c) !== null)
    throw new UserError({
      code: 'ITF_META',
      file,
      message: `at JSON path /#meta/options/bounds/${what}: --on impl needs a power of two (the implementation's serial queues index modulo their data region's size), not ${c}`,
    });
}

/** The queues of a serial virtualiser in the implementation's memory. */
class SerialWorld {
  private next = 0x3000_0000;
  readonly queues: QueueMem[] = [];

  queue(name: string, capacity: number, id: number): QueueMem {
    const q: QueueMem = {
      name,
      capacity,
      queue: new SharedArrayBuffer(0x1000),
      data: new SharedArrayBuffer(0x1000),
      conn: {
        queue: { vaddr: this.next, sizeBytes: 0x1000 },
        data: { vaddr: this.next + 0x1000, sizeBytes: capacity },
        id,
      },
    };
    this.next += 0x2000;
    this.queues.push(q);
    return q;
  }

  space(pd: string): AddressSpace {
    const maps: MappingSpec[] = this.queues.flatMap((q) =>
      (['queue', 'data'] as const).map((k) => ({
        mr: `${q.name}.${k}`,
        vaddr: q.conn[k].vaddr,
        sizeBytes: 0x1000,
        perms: { r: true, w: true, x: false },
        cached: true,
        buffer: q[k],
        mmio: null,
      })),
    );
    return new AddressSpace(pd, maps);
  }

  /** A queue's words and data bytes as the model state has them. */
  write(q: QueueMem, s: ModelItfState): void {
    const w = new Uint32Array(q.queue, 0, 3);
    QUEUE_FIELDS.forEach((f, i) => (w[i] = word(s, `${q.name}.${f}`)));
    const d = new Uint8Array(q.data);
    words(s, `${q.name}.data`).forEach((b, i) => (d[i] = b & 0xff));
  }

  /** The model's fields a queue's words are. */
  fields(): string[] {
    return this.queues.flatMap((q) => [
      ...QUEUE_FIELDS.map((f) => `${q.name}.${f}`),
      ...Array.from({ length: q.capacity }, (_, i) => `${q.name}.data[${i}]`),
    ]);
  }
}

/** One instance of the replayed virtualiser, with what it did. */
interface Instance {
  readonly comp: Component;
  readonly mem: AddressSpace;
  readonly notified: number[];
  readonly slot: () => number | null;
}

function instance(
  pd: string,
  world: SerialWorld,
  factory: ComponentFactory,
  params: object,
  probe: (p: never) => void,
): Instance {
  const mem = world.space(pd);
  const notified: number[] = [];
  let slot: number | null = null;
  const api: MicrokitApi = {
    name: pd,
    mem,
    notify: (ch) => void notified.push(ch),
    deferredNotify: (ch) => void (slot = ch),
    irqAck: () => {},
    deferredIrqAck: () => {},
    ppcall: () => {
      throw new Error(`${pd} makes no PPC`);
    },
    deferredCurrent: () => slot,
  };
  const comp = factory({ api, config: { pd } as never, params: { ...params, probe } });
  return { comp, mem, notified, slot: () => slot };
}

/** What differs between the serial virtualisers' replays. */
interface SerialPd<P> {
  readonly pd: string;
  readonly world: SerialWorld;
  /** A fresh instance and its probe. */
  readonly make: () => { readonly v: Instance; readonly probe: () => P };
  /** Installs the model's private state at the wake's start (null: done; else why not). */
  readonly install: (v: Instance, probe: () => P, pre: ModelItfState) => string | null;
  /** The private state after the wake against the model's: [where, trace, impl] or null. */
  readonly privateDiff: (
    probe: () => P,
    post: ModelItfState,
  ) => [string, string | number, string | number] | null;
  /** Channel → the PD and channel at the other end. */
  readonly channels: Readonly<Record<number, { readonly pd: string; readonly ch: number }>>;
}

function replaySerial<P>(input: ClassReplayInput, o: SerialPd<P>): ImplReplayResult {
  const { states, actions } = input;
  const { pd, world } = o;
  const view = world.fields();
  const wakeList: ImplWake[] = [];
  let wakes = 0;
  let compared = 0;
  const notCompared: Record<string, number> = {};
  const skip = (why: string, w: ImplWake): void => {
    notCompared[why] = (notCompared[why] ?? 0) + 1;
    wakeList.push(w);
  };

  for (let i = 1; i < states.length; i++) {
    if (actions[i] !== `${pd}.recv`) continue;
    wakes++;
    let j = i;
    while (j < states.length && word(states[j]!, `${pd}.pc`) !== PC_DONE) j++;
    if (j >= states.length) {
      const why = 'the trace ends inside the wake';
      skip(why, { pd, from: i, to: states.length - 1, compared: false, why });
      continue;
    }
    let interleaved: string | null = null;
    for (let k = i + 1; k <= j && interleaved === null; k++) {
      if ((actions[k] ?? '').startsWith(`${pd}.`)) continue;
      const f = view.find((x) => modelValue(states[k - 1]!, x) !== modelValue(states[k]!, x));
      if (f !== undefined) interleaved = `step ${k} (${actions[k]}) wrote ${f}`;
    }
    if (interleaved !== null) {
      skip(`another PD wrote ${pd}'s queues inside the wake`, {
        pd,
        from: i,
        to: j,
        compared: false,
        why: interleaved,
      });
      continue;
    }
    const pre = states[i - 1]!;
    const post = states[j]!;
    const diverge = (
      where: string,
      traceV: number | string,
      implV: number | string,
    ): ImplReplayResult => {
      const divergence: ImplDivergence = {
        step: j,
        pd,
        wakeStep: i,
        where,
        trace: traceV,
        impl: implV,
      };
      return { steps: states.length - 1, wakes, compared, notCompared, wakeList, divergence };
    };
    const { v, probe } = o.make();
    const why = o.install(v, probe, pre);
    if (why !== null) {
      const reason = `the trace's private state of ${pd} cannot be installed`;
      skip(reason, { pd, from: i, to: j, compared: false, why });
      continue;
    }
    v.notified.length = 0;
    for (const q of world.queues) world.write(q, pre);
    wakeList.push({ pd, from: i, to: j, compared: true });
    compared++;
    try {
      for (const ch of dispatchOrder(word(pre, `${pd}.notification`))) v.comp.notified(ch);
    } catch (e) {
      return diverge(
        'the handler',
        'completes',
        `faulted: ${e instanceof Error ? e.message : String(e)}`,
      );
    }
    // The queues: the checker's abstraction must find each one a queue, then word by word.
    for (const q of world.queues) {
      if (abstractQueue(v.mem, q.conn).corrupt)
        return diverge(`${q.name} (tail − head)`, 'at most the capacity', 'more than the capacity');
      const w = new Uint32Array(q.queue, 0, 3);
      for (let x = 0; x < QUEUE_FIELDS.length; x++) {
        const f = `${q.name}.${QUEUE_FIELDS[x]}`;
        if (w[x] !== word(post, f)) return diverge(f, word(post, f), w[x]!);
      }
      const d = new Uint8Array(q.data);
      const t = words(post, `${q.name}.data`);
      for (let x = 0; x < q.capacity; x++)
        if (d[x] !== (t[x]! & 0xff)) return diverge(`${q.name}.data[${x}]`, t[x]!, d[x]!);
    }
    const priv = o.privateDiff(probe, post);
    if (priv !== null) return diverge(...priv);
    const slot = v.slot();
    if (word(post, `${pd}.deferred`) !== DEFERRED_EMPTY || slot !== null)
      return diverge(
        'deferred slot',
        showSlot(word(post, `${pd}.deferred`)),
        slot === null ? 'empty' : `notify(${slot})`,
      );
    // Immediate notifications: a peer's bit the wake's own steps set must be one the
    // implementation notified; one it notified must be set at the wake's end (or consumed inside).
    for (const [chText, end] of Object.entries(o.channels)) {
      const ch = Number(chText);
      const bit = 1 << end.ch;
      const field = `${end.pd}.notification`;
      let traceSet = false;
      for (let k = i + 1; k <= j; k++)
        if (
          (actions[k] ?? '').startsWith(`${pd}.`) &&
          (word(states[k - 1]!, field) & bit) === 0 &&
          (word(states[k]!, field) & bit) !== 0
        )
          traceSet = true;
      const implSet = v.notified.includes(ch);
      if (traceSet && !implSet)
        return diverge(`notify(${ch}) → ${end.pd}`, 'notified', 'not notified');
      const consumed = actions.slice(i + 1, j + 1).includes(`${end.pd}.recv`);
      if (implSet && !traceSet && !consumed && (word(post, field) & bit) === 0)
        return diverge(`notify(${ch}) → ${end.pd}`, 'not notified', 'notified');
    }
  }
  return { steps: states.length - 1, wakes, compared, notCompared, wakeList };
}

/** Replays `input` (a `serial-tx` trace) on the implemented virt_tx; stops at the first divergence. */
export function replaySerialTxOnImpl(input: ClassReplayInput): ImplReplayResult {
  const { bounds, file } = input;
  if ((bounds['era'] ?? 0) !== 0)
    throw new UserError({
      code: 'ITF_META',
      file,
      message:
        "at JSON path /#meta/options/bounds/era: --on impl replays era 0 (HEAD's serial queue with one flag); era 1 is the two-flag protocol of August 2024, which the implemented virt_tx does not speak",
    });
  const capacity = bounds['capacity'] ?? 2;
  const driverCapacity = bounds['driverCapacity'] || capacity;
  powerOfTwo(file, 'capacity', capacity);
  powerOfTwo(file, 'driverCapacity', driverCapacity);
  const world = new SerialWorld();
  const client = world.queue('client_tx', capacity, SVT_CH_CLIENT);
  const driver = world.queue('driver_tx', driverCapacity, SVT_CH_DRIVER);
  const config: SerialVirtTxConfig = {
    driver: driver.conn,
    clients: [client.conn],
    colour: false,
    beginStr: null,
    ...(input.bug === 'F11' ? { split: false } : {}),
  };
  const PD = 'virt_tx';
  const pendingOf = (probe: () => SerialVirtTxProbe): number => txPendingLength(probe().pending());
  return replaySerial<SerialVirtTxProbe>(input, {
    pd: PD,
    world,
    make: () => {
      let p: SerialVirtTxProbe | null = null;
      const v = instance(
        PD,
        world,
        serialVirtTxComponent,
        { config },
        (x: SerialVirtTxProbe) => (p = x),
      );
      return { v, probe: () => p! };
    },
    install: (v, probe, pre) => {
      // tx_pending through virt_tx: the client has a byte, the driver queue is full.
      if (words(pre, `${PD}.locals`)[0] === 0) return null;
      new Uint32Array(client.queue, 0, 3).set([1, 0, 0]);
      new Uint32Array(driver.queue, 0, 3).set([driver.capacity, 0, 1]);
      v.comp.notified(SVT_CH_CLIENT);
      return pendingOf(probe) === 1 ? null : 'virt_tx did not queue a client that does not fit';
    },
    privateDiff: (probe, post) => {
      const trace = words(post, `${PD}.locals`)[0]! === 0 ? 0 : 1;
      return pendingOf(probe) === trace ? null : ['tx_pending (clients)', trace, pendingOf(probe)];
    },
    channels: {
      [SVT_CH_DRIVER]: { pd: 'driver', ch: 0 },
      [SVT_CH_CLIENT]: { pd: 'client', ch: 0 },
    },
  });
}

const MODES: readonly RxMode[] = ['normal', 'switched', 'number'];

/** The model's switch machine (spec/components/serial-rx.ts serialVirtRx: locals 0..3). */
function modelSwitch(s: ModelItfState): RxSwitch | string {
  const l = words(s, 'virt_rx.locals');
  const mode = MODES[l[0]!];
  if (mode === undefined) return `mode ${l[0]}`;
  const digits = l[3] === 0 ? '' : String(l[2]).padStart(l[3]!, '0');
  return { mode, current: l[1]!, digits };
}

const showSwitch = (s: RxSwitch | string): string =>
  typeof s === 'string' ? s : `${s.mode}, client ${s.current}, digits '${s.digits}'`;

/** Replays `input` (a `serial-rx` trace) on the implemented virt_rx; stops at the first divergence. */
export function replaySerialRxOnImpl(input: ClassReplayInput): ImplReplayResult {
  const { bounds, file } = input;
  const capacity = bounds['capacity'] ?? 1;
  const driverCapacity = bounds['driverCapacity'] ?? 1;
  powerOfTwo(file, 'capacity', capacity);
  powerOfTwo(file, 'driverCapacity', driverCapacity);
  const clients = bounds['clients'] ?? 1;
  const world = new SerialWorld();
  const driver = world.queue('driver_rx', driverCapacity, VIRT_RX_CH_DRIVER);
  const cli = Array.from({ length: clients }, (_, k) =>
    world.queue(`client${k}_rx`, capacity, 1 + k),
  );
  const config: SerialVirtRxConfig = {
    driver: driver.conn,
    clients: cli.map((q) => q.conn),
    switchChar: SERIAL_SWITCH_CHAR,
    terminateChar: SERIAL_TERMINATE_NUM_CHAR,
  };
  const PD = 'virt_rx';
  const same = (a: RxSwitch, b: RxSwitch | string): boolean =>
    typeof b !== 'string' && a.mode === b.mode && a.current === b.current && a.digits === b.digits;
  /** Types `bytes` to virt_rx through the driver queue (the client queues wide open). */
  const type = (v: Instance, bytes: number[]): void => {
    if (bytes.length === 0) return;
    for (const q of cli) new Uint32Array(q.queue, 0, 3).set([0, 0, 1]);
    const d = new Uint8Array(driver.data);
    let tail = 0;
    for (const b of bytes) {
      // One batch at most the driver queue's capacity.
      if (tail === driver.capacity) {
        new Uint32Array(driver.queue, 0, 3).set([tail, 0, 1]);
        v.comp.notified(VIRT_RX_CH_DRIVER);
        tail = 0;
      }
      d[tail % driver.capacity] = b;
      tail++;
    }
    new Uint32Array(driver.queue, 0, 3).set([tail, 0, 1]);
    v.comp.notified(VIRT_RX_CH_DRIVER);
  };
  return replaySerial<SerialVirtRxProbe>(input, {
    pd: PD,
    world,
    make: () => {
      let p: SerialVirtRxProbe | null = null;
      const v = instance(
        PD,
        world,
        serialVirtRxComponent,
        { config },
        (x: SerialVirtRxProbe) => (p = x),
      );
      return { v, probe: () => p! };
    },
    install: (v, probe, pre) => {
      const want = modelSwitch(pre);
      if (typeof want === 'string') return `the switch machine's ${want} is no mode`;
      const digit = (n: number): number[] => [...String(n)].map((c) => c.charCodeAt(0));
      type(v, [
        ...(want.current !== 0
          ? [SERIAL_SWITCH_CHAR, ...digit(want.current), SERIAL_TERMINATE_NUM_CHAR]
          : []),
        ...(want.mode !== 'normal' ? [SERIAL_SWITCH_CHAR] : []),
        ...[...want.digits].map((c) => c.charCodeAt(0)),
      ]);
      return same(probe().switchState(), want)
        ? null
        : `typed to ${showSwitch(want)}, virt_rx is at ${showSwitch(probe().switchState())}`;
    },
    privateDiff: (probe, post) => {
      const want = modelSwitch(post);
      const got = probe().switchState();
      return same(got, want) ? null : ['the switch machine', showSwitch(want), showSwitch(got)];
    },
    channels: Object.fromEntries([
      [VIRT_RX_CH_DRIVER, { pd: 'driver', ch: DRIVER_RX_CH_VIRT }],
      ...cli.map((_, k) => [1 + k, { pd: `client${k}`, ch: 0 }]),
    ]),
  });
}
