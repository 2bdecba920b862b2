// `sddf replay --on impl` for `serial-tx` traces (issue 13 part 7; docs/adr/023-serial-subsystem.md
// §10): each wake of virt_tx in the trace (its `virt_tx.recv` to its pc back at PC_DONE) is run on
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
import { UserError } from '../../../spec/common/diagnostic.ts';
import { PC_DONE } from '../../../spec/components/program.ts';
import { SVT_CH_CLIENT, SVT_CH_DRIVER } from '../../../spec/components/serial.ts';
import { checkSerialCapacity } from '../../../spec/queue/serial.ts';
import { DEFERRED_EMPTY, decodeDeferred, dispatchOrder } from '../../../spec/microkit/semantics.ts';
import { txPendingLength } from '../../../spec/components/serial-virt.ts';
import { AddressSpace, type MappingSpec } from '../../../impl/mem/address-space.ts';
import type { MicrokitApi } from '../../../impl/runtime/api.ts';
import type { SerialConn } from '../../../impl/components/serial/port.ts';
import {
  serialVirtTxComponent,
  type SerialVirtTxConfig,
  type SerialVirtTxProbe,
} from '../../../impl/components/serial/virt_tx.ts';
import type { ImplDivergence, ImplReplayResult, ImplWake } from '../net/replay-impl.ts';
import { word, words, type ClassReplayInput, type ModelItfState } from '../replay-model.ts';
import { abstractQueue } from './checker.ts';

const PD = 'virt_tx';
const QUEUE_FIELDS = ['tail', 'head', 'producer_signalled'] as const;

interface QueueMem {
  readonly name: string;
  readonly capacity: number;
  readonly queue: SharedArrayBuffer;
  readonly data: SharedArrayBuffer;
  readonly conn: SerialConn;
}

/** The words of one queue of the model (proofs/models/serial-tx.ts `serialQueue`). */
function queueWords(name: string, capacity: number): string[] {
  return [
    ...QUEUE_FIELDS.map((f) => `${name}.${f}`),
    ...Array.from({ length: capacity }, (_, i) => `${name}.data[${i}]`),
  ];
}

function modelValue(s: ModelItfState, field: string): number {
  const m = /^(.*)\[(\d+)\]$/.exec(field);
  return m === null ? word(s, field) : words(s, m[1]!)[Number(m[2])]!;
}

/** Replays `input` (a `serial-tx` trace) on the implemented virt_tx; stops at the first divergence. */
export function replaySerialTxOnImpl(input: ClassReplayInput): ImplReplayResult {
  const { states, actions, bounds, file } = input;
  if ((bounds['era'] ?? 0) !== 0)
    throw new UserError({
      code: 'ITF_META',
      file,
      message:
        "at JSON path /#meta/options/bounds/era: --on impl replays era 0 (HEAD's serial queue with one flag); era 1 is the two-flag protocol of August 2024, which the implemented virt_tx does not speak",
    });
  const capacity = bounds['capacity'] ?? 2;
  const driverCapacity = bounds['driverCapacity'] || capacity;
  for (const [what, c] of [
    ['capacity', capacity],
    ['driverCapacity', driverCapacity],
  ] as const)
    if (checkSerialCapacity(c) !== null)
      throw new UserError({
        code: 'ITF_META',
        file,
        message: `at JSON path /#meta/options/bounds/${what}: --on impl needs a power of two (the implementation's serial queues index modulo their data region's size), not ${c}`,
      });

  let next = 0x3000_0000;
  const mk = (name: string, cap: number, id: number): QueueMem => {
    const queue = new SharedArrayBuffer(0x1000);
    const data = new SharedArrayBuffer(0x1000);
    const conn: SerialConn = {
      queue: { vaddr: next, sizeBytes: 0x1000 },
      data: { vaddr: next + 0x1000, sizeBytes: cap },
      id,
    };
    next += 0x2000;
    return { name, capacity: cap, queue, data, conn };
  };
  const client = mk('client_tx', capacity, SVT_CH_CLIENT);
  const driver = mk('driver_tx', driverCapacity, SVT_CH_DRIVER);
  const qs = [client, driver];
  const maps: MappingSpec[] = qs.flatMap((q) =>
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
  const config: SerialVirtTxConfig = {
    driver: driver.conn,
    clients: [client.conn],
    colour: false,
    beginStr: null,
    ...(input.bug === 'F11' ? { split: false } : {}),
  };
  const view = qs.flatMap((q) => queueWords(q.name, q.capacity));

  const write = (q: QueueMem, s: ModelItfState): void => {
    const w = new Uint32Array(q.queue, 0, 3);
    QUEUE_FIELDS.forEach((f, i) => (w[i] = word(s, `${q.name}.${f}`)));
    const d = new Uint8Array(q.data);
    words(s, `${q.name}.data`).forEach((b, i) => (d[i] = b & 0xff));
  };

  const instance = () => {
    const mem = new AddressSpace(PD, maps);
    const notified: number[] = [];
    let slot: number | null = null;
    const api: MicrokitApi = {
      name: PD,
      mem,
      notify: (ch) => void notified.push(ch),
      deferredNotify: (ch) => void (slot = ch),
      irqAck: () => {},
      deferredIrqAck: () => {},
      ppcall: () => {
        throw new Error('virt_tx makes no PPC');
      },
      deferredCurrent: () => slot,
    };
    let probe: SerialVirtTxProbe | null = null;
    const comp = serialVirtTxComponent({
      api,
      config: { pd: PD } as never,
      params: { config, probe: (p: SerialVirtTxProbe) => (probe = p) },
    });
    return {
      comp,
      mem,
      notified,
      slot: () => slot,
      pending: () => txPendingLength(probe!.pending()),
    };
  };

  const wakeList: ImplWake[] = [];
  let wakes = 0;
  let compared = 0;
  const notCompared: Record<string, number> = {};
  const skip = (why: string, w: ImplWake): void => {
    notCompared[why] = (notCompared[why] ?? 0) + 1;
    wakeList.push(w);
  };

  for (let i = 1; i < states.length; i++) {
    if (actions[i] !== 'virt_tx.recv') continue;
    wakes++;
    let j = i;
    while (j < states.length && word(states[j]!, 'virt_tx.pc') !== PC_DONE) j++;
    if (j >= states.length) {
      const why = 'the trace ends inside the wake';
      skip(why, { pd: PD, from: i, to: states.length - 1, compared: false, why });
      continue;
    }
    let interleaved: string | null = null;
    for (let k = i + 1; k <= j && interleaved === null; k++) {
      if ((actions[k] ?? '').startsWith(`${PD}.`)) continue;
      const f = view.find((x) => modelValue(states[k - 1]!, x) !== modelValue(states[k]!, x));
      if (f !== undefined) interleaved = `step ${k} (${actions[k]}) wrote ${f}`;
    }
    if (interleaved !== null) {
      skip(`another PD wrote virt_tx's queues inside the wake`, {
        pd: PD,
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
        pd: PD,
        wakeStep: i,
        where,
        trace: traceV,
        impl: implV,
      };
      return { steps: states.length - 1, wakes, compared, notCompared, wakeList, divergence };
    };
    const v = instance();
    // tx_pending through virt_tx: the client has a byte, the driver queue is full.
    const pending = words(pre, `${PD}.locals`)[0]!;
    if (pending !== 0) {
      new Uint32Array(client.queue, 0, 3).set([1, 0, 0]);
      new Uint32Array(driver.queue, 0, 3).set([driver.capacity, 0, 1]);
      v.comp.notified(SVT_CH_CLIENT);
      if (v.pending() !== 1) throw new Error('virt_tx did not queue a client that does not fit');
      v.notified.length = 0;
    }
    for (const q of qs) write(q, pre);
    wakeList.push({ pd: PD, from: i, to: j, compared: true });
    compared++;
    try {
      for (const ch of dispatchOrder(word(pre, `${PD}.notification`))) v.comp.notified(ch);
    } catch (e) {
      return diverge(
        'the handler',
        'completes',
        `faulted: ${e instanceof Error ? e.message : String(e)}`,
      );
    }
    // The queues: every word (the checker's abstraction reads these: a sanity check that the
    // implementation's queue is one, then word by word for the report).
    for (const q of qs) {
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
    const tracePending = words(post, `${PD}.locals`)[0]! === 0 ? 0 : 1;
    if (v.pending() !== tracePending)
      return diverge('tx_pending (clients)', tracePending, v.pending());
    const slot = v.slot();
    if (word(post, `${PD}.deferred`) !== DEFERRED_EMPTY || slot !== null)
      return diverge(
        'deferred slot',
        showSlot(word(post, `${PD}.deferred`)),
        slot === null ? 'empty' : `notify(${slot})`,
      );
    // Immediate notifications: the driver on channel SVT_CH_DRIVER (its channel 0), the client on
    // SVT_CH_CLIENT (its channel 0).
    for (const [ch, peer] of [
      [SVT_CH_DRIVER, 'driver'],
      [SVT_CH_CLIENT, 'client'],
    ] as const) {
      const bit = 1;
      let traceSet = false;
      for (let k = i + 1; k <= j; k++)
        if (
          (actions[k] ?? '').startsWith(`${PD}.`) &&
          (word(states[k - 1]!, `${peer}.notification`) & bit) === 0 &&
          (word(states[k]!, `${peer}.notification`) & bit) !== 0
        )
          traceSet = true;
      const implSet = v.notified.includes(ch);
      if (traceSet && !implSet)
        return diverge(`notify(${ch}) → ${peer}`, 'notified', 'not notified');
      const consumed = actions.slice(i + 1, j + 1).includes(`${peer}.recv`);
      if (implSet && !traceSet && !consumed && (word(post, `${peer}.notification`) & bit) === 0)
        return diverge(`notify(${ch}) → ${peer}`, 'not notified', 'notified');
    }
  }
  return { steps: states.length - 1, wakes, compared, notCompared, wakeList };
}

const showSlot = (w: number): string => {
  const d = decodeDeferred(w);
  return d === null ? 'empty' : `${d.kind}(${d.ch})`;
};
