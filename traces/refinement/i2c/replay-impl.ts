// `sddf replay --on impl` for `i2c` traces (issue 13 part 7; docs/adr/024-timer-and-i2c.md §9):
// each `virt.notified` step of the trace (one wake of the virt: every set bit, ascending, the
// driver on 0 and client c on 1 + c) is run on the implemented virt (impl/components/i2c/virt.ts).
// The model's steps are whole handlers, so every wake is compared, except one whose deferred queue
// cannot be installed (below). The model's driver is abstract (it takes a whole transaction and
// answers OK at once, on an address no device answers): the implemented driver
// (impl/drivers/i2c/driver.ts) talks to a bus controller and is not replayed.
//
// Concretization. Queues at the implementation's C layout (impl/components/i2c/state.ts), every
// index moved by one offset so that no queue wraps its u32 index in the implementation (the
// model's own indices may start anywhere: `indexBase`). The model's queues are small (capacity
// 3..8); the implementation's are I2C_CAPACITY = 254. Where the virt decides by room — the driver
// request queue (`fits`) and the client response queues (a full one drops) — the implementation's
// queue holds 254 − capacity filler entries ahead of the model's live ones, so its room is the
// model's (a driver that has not yet taken them; the virt never dequeues from these queues). The
// ownership list is installed by BUS_CLAIM (client c owns 0x10 + c, as in the model). The
// deferred queue is private, so it is installed through the virt itself: with the driver queue
// full, the first entry's client sends its header and is deferred; each later entry's client
// notifies while the virt is blocked and is queued behind it. That reaches a first entry with a
// header followed by entries without one; any other deferred queue is not installed and the wake
// is not compared (counted, with the reason).
//
// Abstraction back (checker.ts `queues`, spec/queue/i2c-state.ts abstractions), against the
// trace's state after the wake: every queue's indices and live entries (the filler still in front,
// untouched), the clients notified (`client.notification`), the driver's deferred notification
// (`driver.notification`), a dropped response (`ghost.violation` 3, the implementation's
// `droppedResponses` counter); and the deferred queue, read by experiment: the driver queue is
// emptied, each client's request queue given what the trace's entry needs (its header's body
// commands, or a one-command transaction of its own when the entry holds no header), and the
// driver's notification makes the virt serve its deferred work: the transactions it commits, in
// order, must be the trace's entries.
import {
  I2C_BUS_CLAIM,
  I2C_SUCCESS,
  parseHeader,
  type I2cVirtConfig as SpecVirtConfig,
} from '../../../spec/components/i2c/virt.ts';
import {
  I2C_CAPACITY,
  I2C_CMD_SIZE_BYTES,
  I2C_RESPONSE_SIZE_BYTES,
  I2cFlag,
  i2cHeaderPayload,
  type I2cCmd,
  type I2cErr,
  type I2cResponse,
} from '../../../spec/queue/i2c.ts';
import { i2cStateReqAbstraction, i2cStateRespAbstraction } from '../../../spec/queue/i2c-state.ts';
import type { I2cVirtConfig as ImplVirtConfig } from '../../../impl/components/i2c/config.ts';
import { I2C_VIRT_COUNTERS, i2cVirtComponent } from '../../../impl/components/i2c/virt.ts';
import { AddressSpace, type MappingSpec } from '../../../impl/mem/address-space.ts';
import {
  I2C_REQ_QUEUE_HEADER_BYTES,
  I2C_RESP_QUEUE_HEADER_BYTES,
} from '../../../impl/queue/i2c.ts';
import type { Component, MicrokitApi } from '../../../impl/runtime/api.ts';
import type { ImplDivergence, ImplReplayResult, ImplWake } from '../net/replay-impl.ts';
import { word, words, type ClassReplayInput, type ModelItfState } from '../replay-model.ts';
import { RecordingApi } from '../timer/recording.ts';
import { queues } from './checker.ts';

export interface I2cReplayInput extends ClassReplayInput {
  /** The model's virt configuration (proofs/models/i2c.ts i2cModelVirtConfig). */
  readonly virt: SpecVirtConfig;
  /** The bus address client c owns (proofs/models/i2c.ts i2cModelAddress). */
  readonly address: (c: number) => number;
}

const PD = 'virt';
/** Model indices are moved to start here in the implementation (no u32 wrap while replaying). */
const SHIFT = 0x1_0000;
/** The model encodes an empty slot with this dataLen/busAddress (proofs/models/i2c.ts UNDEF). */
const UNDEF = 0xffff_ffff;
const FILLER_CMD: I2cCmd = { payload: 0xf111_e500n, dataLen: 0, flagMask: 0 };
const FILLER_RESP: I2cResponse = { errCmd: 0xf111_e500n, busAddress: 0x7f, error: 0 as I2cErr };

const show = (x: unknown): string =>
  JSON.stringify(x, (_k, v: unknown) => (typeof v === 'bigint' ? `0x${v.toString(16)}` : v));

/** A queue of the model, as its words encode it (proofs/models/i2c.ts readReq/readResp). */
interface ModelQueue<T> {
  readonly name: string;
  readonly stagedTail: number;
  readonly tail: number;
  readonly head: number;
  readonly slots: readonly (T | undefined)[];
}

function modelReq(s: ModelItfState, name: string, cap: number): ModelQueue<I2cCmd> {
  const w = words(s, `${name}.cmds`);
  return {
    name,
    stagedTail: word(s, `${name}.staged_active_tail`),
    tail: word(s, `${name}.tail`),
    head: word(s, `${name}.head`),
    slots: Array.from({ length: cap }, (_, i) =>
      w[3 * i + 1] === UNDEF
        ? undefined
        : { payload: BigInt(w[3 * i]!), dataLen: w[3 * i + 1]!, flagMask: w[3 * i + 2]! },
    ),
  };
}

function modelResp(s: ModelItfState, name: string, cap: number): ModelQueue<I2cResponse> {
  const w = words(s, `${name}.responses`);
  const tail = word(s, `${name}.tail`);
  return {
    name,
    stagedTail: tail,
    tail,
    head: word(s, `${name}.head`),
    slots: Array.from({ length: cap }, (_, i) =>
      w[3 * i + 1] === UNDEF
        ? undefined
        : {
            errCmd: BigInt(w[3 * i]!),
            busAddress: w[3 * i + 1]!,
            error: (w[3 * i + 2]! - 1) as I2cErr,
          },
    ),
  };
}

/** The model's entries from head up to `to` (its slots by index mod capacity). */
function modelItems<T>(q: ModelQueue<T>, to: number, cap: number): (T | undefined)[] {
  const n = (to - q.head) >>> 0;
  return Array.from({ length: Math.min(n, cap) }, (_, k) => q.slots[((q.head + k) >>> 0) % cap]);
}

interface QueueMem {
  readonly vaddr: number;
  readonly buffer: SharedArrayBuffer;
}

function writeReqQueue(
  m: QueueMem,
  ix: { stagedTail: number; tail: number; head: number },
  items: readonly (I2cCmd | undefined)[],
): void {
  const v = new DataView(m.buffer);
  new Uint8Array(m.buffer).fill(0);
  v.setUint32(0, ix.stagedTail >>> 0, true);
  v.setUint32(4, ix.tail >>> 0, true);
  v.setUint32(8, ix.head >>> 0, true);
  items.forEach((c, k) => {
    const o =
      I2C_REQ_QUEUE_HEADER_BYTES + (((ix.head + k) >>> 0) % I2C_CAPACITY) * I2C_CMD_SIZE_BYTES;
    v.setBigUint64(o, c?.payload ?? 0n, true);
    v.setUint8(o + 8, c?.dataLen ?? 0);
    v.setUint8(o + 9, c?.flagMask ?? 0);
  });
}

function writeRespQueue(
  m: QueueMem,
  ix: { tail: number; head: number },
  items: readonly (I2cResponse | undefined)[],
): void {
  const v = new DataView(m.buffer);
  new Uint8Array(m.buffer).fill(0);
  v.setUint32(0, ix.tail >>> 0, true);
  v.setUint32(4, ix.head >>> 0, true);
  items.forEach((r, k) => {
    const o =
      I2C_RESP_QUEUE_HEADER_BYTES +
      (((ix.head + k) >>> 0) % I2C_CAPACITY) * I2C_RESPONSE_SIZE_BYTES;
    v.setBigUint64(o, r?.errCmd ?? 0n, true);
    v.setUint8(o + 8, r?.busAddress ?? 0); // i2c_addr_t is a uint8_t; bytes 9-11 padding
    v.setInt32(o + 12, r?.error ?? 0, true);
  });
}

interface DeferredEntry {
  readonly client: number;
  readonly header: I2cCmd | null;
}

/** `virt.deferred`: per slot client + 1 (0 ends), has header, header payload, num_cmds. */
function modelDeferred(s: ModelItfState): DeferredEntry[] {
  const w = words(s, 'virt.deferred');
  const out: DeferredEntry[] = [];
  for (let k = 0; 4 * k < w.length && w[4 * k] !== 0; k++)
    out.push({
      client: w[4 * k]! - 1,
      header:
        w[4 * k + 1] === 1
          ? { payload: BigInt(w[4 * k + 2]!), dataLen: 0, flagMask: I2cFlag.HEAD }
          : null,
    });
  return out;
}

const showEntries = (es: readonly DeferredEntry[]): string =>
  es.length === 0
    ? 'empty'
    : es
        .map((e) =>
          e.header === null
            ? `client${e.client} (no header)`
            : e.header.payload < 0n
              ? `client${e.client} (an entry of the other kind: its served work was refused)`
              : `client${e.client} (header 0x${e.header.payload.toString(16)})`,
        )
        .join(', ');

/** Replays `input` (an `i2c` trace) on the implemented virt; stops at the first divergence. */
export function replayI2cOnImpl(input: I2cReplayInput): ImplReplayResult {
  const { states, actions, virt: spec } = input;
  const cap = spec.capacity;
  const clients = spec.clients.length;
  const base = (input.bounds['indexBase'] ?? 0) >>> 0;
  const f = (i: number): number => (i - base + SHIFT) >>> 0;
  const g = (j: number): number => (j - SHIFT + base) >>> 0;
  const pad = I2C_CAPACITY - cap;

  // Memory: one page per queue.
  let next = 0x4000_0000;
  const page = (): QueueMem => {
    const m = { vaddr: next, buffer: new SharedArrayBuffer(0x1000) };
    next += 0x1000;
    return m;
  };
  const drvReq = page();
  const drvResp = page();
  const cliReq = spec.clients.map(page);
  const cliResp = spec.clients.map(page);
  const maps: MappingSpec[] = [drvReq, drvResp, ...cliReq, ...cliResp].map((m, i) => ({
    mr: `queue${i}`,
    vaddr: m.vaddr,
    sizeBytes: 0x1000,
    perms: { r: true, w: true, x: false },
    cached: true,
    buffer: m.buffer,
    mmio: null,
  }));
  const implCfg: ImplVirtConfig = {
    driver: { ch: 0, reqVaddr: drvReq.vaddr, respVaddr: drvResp.vaddr },
    clients: spec.clients.map((c, i) => ({
      pd: `client${i}`,
      ch: 1 + i,
      reqVaddr: cliReq[i]!.vaddr,
      respVaddr: cliResp[i]!.vaddr,
      dataVaddr: c.dataVaddr,
      dataSizeBytes: c.dataSizeBytes,
      driverDataVaddr: c.driverDataVaddr,
    })),
  };

  /** A fresh virt over the same memory, its addresses claimed. */
  const instance = (): { comp: Component; api: RecordingApi; counter: (n: string) => number } => {
    const mem = new AddressSpace(PD, maps);
    const inner: MicrokitApi = {
      name: PD,
      mem,
      notify: () => {},
      deferredNotify: () => {},
      irqAck: () => {},
      deferredIrqAck: () => {},
      ppcall: () => {
        throw new Error('the virt makes no PPC');
      },
      deferredCurrent: () => null,
    };
    const api = new RecordingApi(inner, () => false);
    const counters = new SharedArrayBuffer(8 * I2C_VIRT_COUNTERS.length);
    const comp = i2cVirtComponent({
      api,
      config: { pd: PD } as never,
      params: {
        config: implCfg,
        counters,
        ...(input.bug === 'U4' ? { flavour: { pointerCheck: 'U4' as const } } : {}),
      },
    });
    comp.init();
    for (let c = 0; c < clients; c++) {
      const r = comp.protected!(1 + c, { label: I2C_BUS_CLAIM, words: [BigInt(input.address(c))] });
      if (r.label !== I2C_SUCCESS)
        throw new Error(`virt refused client${c}'s claim of 0x${input.address(c).toString(16)}`);
    }
    const v = new Float64Array(counters);
    return {
      comp,
      api,
      counter: (n) => v[(I2C_VIRT_COUNTERS as readonly string[]).indexOf(n)]!,
    };
  };
  const dummyBody = (c: number): I2cCmd => ({
    payload: spec.clients[c]!.dataVaddr,
    dataLen: 1,
    flagMask: I2cFlag.STOP,
  });

  /** The one-command transaction a client without a header entry is served from. */
  const ownHeader = (c: number): I2cCmd => ({
    payload: i2cHeaderPayload(1, input.address(c)),
    dataLen: 0,
    flagMask: I2cFlag.HEAD,
  });

  const setReq = (c: number, items: readonly I2cCmd[]): void =>
    writeReqQueue(
      cliReq[c]!,
      { stagedTail: SHIFT + items.length, tail: SHIFT + items.length, head: SHIFT },
      items,
    );
  const bodies = (c: number, h: I2cCmd): I2cCmd[] =>
    Array.from({ length: Math.max(0, parseHeader(h)) }, () => dummyBody(c));
  /** The driver request queue with `room` free slots (all of it taken by filler). */
  const driverRoom = (room: number): void => {
    const n = I2C_CAPACITY - 1 - room;
    writeReqQueue(
      drvReq,
      { stagedTail: SHIFT + n, tail: SHIFT + n, head: SHIFT },
      Array<I2cCmd>(n).fill(FILLER_CMD),
    );
  };

  /**
   * Installs a deferred queue through the virt's own handlers; null when done, else why it cannot.
   * Reached: [header entry, entries without one...] (the driver queue full, the first client's
   * header deferred, the others queued behind it) and [entry without a header, header entry of
   * another client] (as before with a one-command transaction of the second client first, which
   * is then served into a driver queue with room for it alone, so its next header is deferred
   * behind the first client).
   */
  const install = (v: ReturnType<typeof instance>, es: readonly DeferredEntry[]): string | null => {
    if (es.length === 0) return null;
    const first = es[0]!;
    if (first.header !== null && es.slice(1).every((e) => e.header === null)) {
      driverRoom(0);
      setReq(first.client, [first.header, ...bodies(first.client, first.header)]);
      v.comp.notified(1 + first.client);
      for (const e of es.slice(1)) {
        setReq(e.client, [dummyBody(e.client)]);
        v.comp.notified(1 + e.client);
      }
      return null;
    }
    const second = es[1];
    if (
      es.length === 2 &&
      first.header === null &&
      second !== undefined &&
      second.header !== null &&
      second.client !== first.client
    ) {
      const a = second.client;
      driverRoom(0);
      setReq(a, [ownHeader(a), dummyBody(a)]);
      v.comp.notified(1 + a);
      setReq(first.client, [dummyBody(first.client)]);
      v.comp.notified(1 + first.client);
      driverRoom(2);
      setReq(a, [dummyBody(a), second.header, ...bodies(a, second.header)]);
      v.comp.notified(1 + a);
      return null;
    }
    return `no way to install this deferred queue through the virt (${showEntries(es)})`;
  };

  /**
   * The virt's deferred queue, by experiment: it serves its deferred work into an empty driver
   * queue, each client's request queue holding what `want`'s entry of it needs (its header's body
   * commands, or a one-command transaction of its own for an entry without a header); the
   * transactions committed, in order, are its entries. An entry of the other kind than `want`'s
   * commits nothing (its work is refused or discarded) and shows as a response or a gap.
   */
  const readDeferred = (
    v: ReturnType<typeof instance>,
    want: readonly DeferredEntry[],
  ): DeferredEntry[] => {
    driverRoom(I2C_CAPACITY - 1);
    writeRespQueue(drvResp, { tail: SHIFT, head: SHIFT }, []);
    for (let c = 0; c < clients; c++) {
      const e = want.find((x) => x.client === c);
      setReq(c, e?.header != null ? bodies(c, e.header) : [ownHeader(c), dummyBody(c)]);
      writeRespQueue(cliResp[c]!, { tail: SHIFT, head: SHIFT }, []);
    }
    v.comp.notified(0);
    const after = queues(v.api, implCfg);
    const served = i2cStateReqAbstraction(I2C_CAPACITY, after.driverReq).items;
    const got: DeferredEntry[] = [];
    for (let x = 0; x < served.length;) {
      const h = served[x]!;
      const address = Number((h.payload >> 16n) & 0xffn);
      const c =
        Array.from({ length: clients }, (_, i) => i).find((i) => input.address(i) === address) ??
        -1;
      const e = want.find((w) => w.client === c);
      // A transaction of the serving queue's own header: an entry without a header.
      got.push({
        client: c,
        header:
          e !== undefined && e.header === null && h.payload === ownHeader(c).payload ? null : h,
      });
      x += 1 + Math.max(1, parseHeader(h));
    }
    for (let c = 0; c < clients; c++)
      if (i2cStateRespAbstraction(I2C_CAPACITY, after.clientResp[c]!).items.length > 0)
        got.push({ client: c, header: { payload: -1n, dataLen: 0, flagMask: 0 } });
    return got;
  };

  /** The pre-state into memory (queues, filler where room decides). */
  const concretize = (s: ModelItfState): void => {
    const req = (m: QueueMem, name: string, p: number): void => {
      const q = modelReq(s, name, cap);
      writeReqQueue(
        m,
        { stagedTail: f(q.stagedTail), tail: f(q.tail), head: (f(q.head) - p) >>> 0 },
        [...Array<I2cCmd>(p).fill(FILLER_CMD), ...modelItems(q, q.stagedTail, cap)],
      );
    };
    const resp = (m: QueueMem, name: string, p: number): void => {
      const q = modelResp(s, name, cap);
      writeRespQueue(m, { tail: f(q.tail), head: (f(q.head) - p) >>> 0 }, [
        ...Array<I2cResponse>(p).fill(FILLER_RESP),
        ...modelItems(q, q.tail, cap),
      ]);
    };
    req(drvReq, 'driver.req', pad);
    resp(drvResp, 'driver.resp', 0);
    for (let c = 0; c < clients; c++) {
      req(cliReq[c]!, `client${c}.req`, 0);
      resp(cliResp[c]!, `client${c}.resp`, pad);
    }
  };

  const wakeList: ImplWake[] = [];
  let wakes = 0;
  let compared = 0;
  const notCompared: Record<string, number> = {};

  for (let k = 1; k < states.length; k++) {
    if (actions[k] !== 'virt.notified') continue;
    wakes++;
    const pre = states[k - 1]!;
    const post = states[k]!;
    const diverge = (
      where: string,
      traceV: number | string,
      implV: number | string,
    ): ImplReplayResult => {
      const divergence: ImplDivergence = {
        step: k,
        pd: PD,
        wakeStep: k,
        where,
        trace: traceV,
        impl: implV,
      };
      return { steps: states.length - 1, wakes, compared, notCompared, wakeList, divergence };
    };
    // The deferred queue is installed, and read back on a copy installed the same way.
    const had = modelDeferred(pre);
    const copy = instance();
    let why = install(copy, had);
    if (why === null && had.length > 0) {
      const got = readDeferred(copy, had);
      if (showEntries(got) !== showEntries(had))
        why = `the virt holds ${showEntries(got)} after installing ${showEntries(had)}`;
    }
    if (why !== null) {
      const reason = 'the trace’s deferred queue cannot be installed in the virt';
      notCompared[reason] = (notCompared[reason] ?? 0) + 1;
      wakeList.push({ pd: PD, from: k, to: k, compared: false, why });
      continue;
    }
    const v = instance();
    install(v, had);
    concretize(pre);
    v.api.start();
    const dropped0 = v.counter('droppedResponses');
    wakeList.push({ pd: PD, from: k, to: k, compared: true });
    compared++;
    const bits = word(pre, 'virt.notification');
    try {
      for (let ch = 0; ch <= clients; ch++) if (((bits >>> ch) & 1) !== 0) v.comp.notified(ch);
    } catch (e) {
      return diverge(
        'the handler',
        'completes',
        `faulted: ${e instanceof Error ? e.message : String(e)}`,
      );
    }

    // The queues.
    const impl = queues(v.api, implCfg);
    const check = <T>(
      name: string,
      q: { stagedTail?: number; tail: number; head: number },
      items: readonly T[],
      model: ModelQueue<T>,
      p: number,
      filler: T,
    ): ImplReplayResult | null => {
      const ix: [string, number, number][] = [
        ['head', (g(q.head) + p) >>> 0, model.head],
        ['tail', g(q.tail), model.tail],
        ...(q.stagedTail !== undefined
          ? [['staged_active_tail', g(q.stagedTail), model.stagedTail] as [string, number, number]]
          : []),
      ];
      for (const [field, implV, traceV] of ix)
        if (implV !== traceV) return diverge(`${name}.${field}`, traceV, implV);
      for (let x = 0; x < p; x++)
        if (show(items[x]) !== show(filler))
          return diverge(`${name} (entries the virt never takes)`, show(filler), show(items[x]));
      const want = modelItems(model, model.tail, cap);
      const got = items.slice(p);
      for (let x = 0; x < Math.max(want.length, got.length); x++)
        if (show(want[x]) !== show(got[x]))
          return diverge(`${name}.entries[${x}]`, show(want[x] ?? 'none'), show(got[x] ?? 'none'));
      return null;
    };
    let bad: ImplReplayResult | null;
    try {
      bad =
        check(
          'driver.req',
          impl.driverReq,
          i2cStateReqAbstraction(I2C_CAPACITY, impl.driverReq).items,
          modelReq(post, 'driver.req', cap),
          pad,
          FILLER_CMD,
        ) ??
        check(
          'driver.resp',
          impl.driverResp,
          i2cStateRespAbstraction(I2C_CAPACITY, impl.driverResp).items,
          modelResp(post, 'driver.resp', cap),
          0,
          FILLER_RESP,
        );
      for (let c = 0; c < clients && bad === null; c++)
        bad =
          check(
            `client${c}.req`,
            impl.clientReq[c]!,
            i2cStateReqAbstraction(I2C_CAPACITY, impl.clientReq[c]!).items,
            modelReq(post, `client${c}.req`, cap),
            0,
            FILLER_CMD,
          ) ??
          check(
            `client${c}.resp`,
            impl.clientResp[c]!,
            i2cStateRespAbstraction(I2C_CAPACITY, impl.clientResp[c]!).items,
            modelResp(post, `client${c}.resp`, cap),
            pad,
            FILLER_RESP,
          );
    } catch (e) {
      return diverge(
        'the queues',
        'keep their invariant',
        `broken: ${e instanceof Error ? e.message : String(e)}`,
      );
    }
    if (bad !== null) return bad;

    // The notifications.
    const preBits = words(pre, 'client.notification');
    const postBits = words(post, 'client.notification');
    for (let c = 0; c < clients; c++) {
      const traceSet = preBits[c] === 0 && postBits[c] === 1;
      const implSet = v.api.notified.includes(1 + c);
      if (traceSet && !implSet)
        return diverge(`notify(${1 + c}) → client${c}`, 'notified', 'not notified');
      if (implSet && !traceSet && postBits[c] === 0)
        return diverge(`notify(${1 + c}) → client${c}`, 'not notified', 'notified');
    }
    const drvSet =
      word(pre, 'driver.notification') === 0 && word(post, 'driver.notification') === 1;
    const drvImpl = v.api.deferred === 0;
    if (drvSet && !drvImpl)
      return diverge('deferred notify(0) → driver', 'notified', 'not notified');
    if (drvImpl && !drvSet && word(post, 'driver.notification') === 0)
      return diverge('deferred notify(0) → driver', 'not notified', 'notified');
    const droppedTrace = word(pre, 'ghost.violation') === 0 && word(post, 'ghost.violation') === 3;
    const droppedImpl = v.counter('droppedResponses') - dropped0;
    if (droppedTrace !== droppedImpl > 0)
      return diverge(
        'a response dropped (ghost.violation 3)',
        droppedTrace ? 'dropped' : 'none',
        droppedImpl > 0 ? `${droppedImpl} dropped` : 'none',
      );

    // The deferred queue, by experiment.
    const want = modelDeferred(post);
    const got = readDeferred(v, want);
    if (showEntries(got) !== showEntries(want))
      return diverge('virt.deferred', showEntries(want), showEntries(got));
  }
  return { steps: states.length - 1, wakes, compared, notCompared, wakeList };
}
