// `sddf replay --on impl` (issue 9 part 6; docs/adr/020-net-refinement.md §7): a trace of a net
// model (net-pipeline, echo), a sequence of spec states, replayed on the implemented virt_tx,
// virt_rx and copiers. Each wake of one of them in the trace (from its seL4_Recv to the end of its
// last handler) is run on the implemented component: the trace's state at the wake's start is
// concretized into the component's shared memory (queues at their C offsets, frames in the data
// regions, virt_rx's refcounts and `notify_drv`), the component's handlers run for the channels the
// wake consumed, and the result, read back through the abstraction, must equal the trace's state at
// the wake's end in every word of the component's view (queue fields, data words, virt_rx's locals)
// and in its signals (the deferred slot; immediate notifications). The first difference is the
// divergence, with the trace's value and the implementation's.
//
// The implementation runs a handler without interruption; the model interleaves steps. A wake
// during which another PD or a device wrote a word of the component's view cannot be compared (an
// atomic handler cannot see a value written in its middle): it is counted as not compared, with the
// reason, and so is a wake the trace ends in. Frames are concretized injectively (the spec's
// payload word sits in the frame after the Ethernet header, the destination MAC is the one of the
// client the word names), so the abstraction back is exact here (frames.ts's CRC is for frames the
// implementation made itself).
import { InvariantError } from '../../../spec/common/assert.ts';
import {
  DEST_BROADCAST,
  payloadWho,
  type DataRegion,
  type NetConfig,
} from '../../../spec/components/net/config.ts';
import { VR_NOTIFY_DRV, VR_REFS } from '../../../spec/components/net/virt-rx.ts';
import { PC_DONE } from '../../../spec/components/program.ts';
import { recordingApi, showSlot } from '../replay-signals.ts';
import { dispatchOrder } from '../../../spec/microkit/semantics.ts';
import {
  NET_BUFFER_SIZE_BYTES,
  NET_DESC_SIZE_BYTES,
  NET_QUEUE_HEADER_BYTES,
  netQueueSizeBytes,
  type NetQueueRef,
} from '../../../spec/queue/net.ts';
import { AddressSpace, type MappingSpec } from '../../../impl/mem/address-space.ts';
import type { Component, ComponentFactory } from '../../../impl/runtime/api.ts';
import type {
  NetConnection,
  NetCopyConfig,
  NetVirtRxConfig,
  NetVirtTxConfig,
} from '../../../impl/components/net/config.ts';
import { copierComponent } from '../../../impl/components/net/copier.ts';
import { virtRxComponent, type VirtRxState } from '../../../impl/components/net/virt_rx.ts';
import { virtTxComponent } from '../../../impl/components/net/virt_tx.ts';

/** The PD words of one PD in a model state (proofs/models/runtime.ts `pdWords`). */
export interface ModelPdWords {
  readonly pc: number;
  readonly notif: number;
  readonly deferred: number;
  readonly locals: number;
}

/** A net model's trace, as the spec replayed it. */
export interface ModelTrace {
  readonly cfg: NetConfig;
  /** states[0] is the initial state; states[k] follows step k. */
  readonly states: readonly Uint32Array[];
  /** actions[k] (k ≥ 1): the action of step k (`virt_rx.recv`, `nic.rx_frame`, ...). */
  readonly actions: readonly string[];
  readonly pdWords: (pd: string) => ModelPdWords;
  /** Per PD: local channel → the PD and channel at the other end. */
  readonly channels: (pd: string) => Readonly<Record<number, { pd: string; ch: number }>>;
  /** The seeded bug the trace was found with (the implementation runs with it where it has it). */
  readonly bug?: string;
}

export interface ImplDivergence {
  /** The trace step at which the implementation's state first differs (the wake's last step). */
  readonly step: number;
  readonly pd: string;
  /** The step at which the wake began (its seL4_Recv). */
  readonly wakeStep: number;
  readonly where: string;
  readonly trace: number | string;
  readonly impl: number | string;
}

export interface ImplReplayResult {
  readonly steps: number;
  readonly wakes: number;
  readonly compared: number;
  readonly notCompared: Readonly<Record<string, number>>;
  /** Each wake of a refined PD: its PD, first and last step, and whether it was compared. */
  readonly wakeList: readonly ImplWake[];
  readonly divergence?: ImplDivergence;
}

export interface ImplWake {
  readonly pd: string;
  readonly from: number;
  readonly to: number;
  readonly compared: boolean;
  /**
   * Why it was not compared (the step that wrote into its view); on a compared wake, how it was
   * compared when only in part (blk: a wake the trace ends in, compared as a prefix).
   */
  readonly why?: string;
}

/** Bytes of a concretized frame: Ethernet header, the payload word, padding to a minimal frame. */
export const REPLAY_FRAME_BYTES = 60;
const WORD_AT = 14;
const UNKNOWN_MAC = [0x02, 0, 0, 0, 0, 0xfd];
const clientMac = (c: number): number[] => [0x02, 0, 0, 0, 0x10, c];

const REFINED = /^(virt_tx|virt_rx|copier\d+)$/;

interface QueueMem {
  readonly name: string;
  readonly ref: NetQueueRef;
  readonly buffer: SharedArrayBuffer;
  readonly vaddr: number;
}

interface RegionMem {
  readonly name: string;
  readonly region: DataRegion;
  readonly buffer: SharedArrayBuffer;
  readonly vaddr: number;
}

/** The implementation's shared memory for a model's queues and regions, and its PDs' configs. */
class ImplWorld {
  private next = 0x1000_0000;
  readonly queues = new Map<number, QueueMem>();
  readonly regions = new Map<number, RegionMem>();
  readonly refs: { buffer: SharedArrayBuffer; vaddr: number };
  readonly rxSlots: number;

  constructor(readonly cfg: NetConfig) {
    this.rxSlots = Math.max(cfg.rxDma.count, cfg.drvRx.free.capacity);
    const queue = (ref: NetQueueRef): QueueMem => {
      let q = this.queues.get(ref.tail);
      if (q === undefined) {
        q = {
          name: ref.name,
          ref,
          buffer: new SharedArrayBuffer(Math.max(0x1000, netQueueSizeBytes(ref.capacity))),
          vaddr: this.alloc(netQueueSizeBytes(ref.capacity)),
        };
        this.queues.set(ref.tail, q);
      }
      return q;
    };
    const region = (name: string, r: DataRegion, slots = r.count): RegionMem => {
      let m = this.regions.get(r.data);
      if (m === undefined) {
        const size = Math.max(0x1000, slots * NET_BUFFER_SIZE_BYTES);
        m = { name, region: r, buffer: new SharedArrayBuffer(size), vaddr: this.alloc(size) };
        this.regions.set(r.data, m);
      }
      return m;
    };
    for (const p of [cfg.drvRx, cfg.drvTx, ...cfg.virtRx, ...cfg.cliRx, ...cfg.cliTx]) {
      queue(p.free);
      queue(p.active);
    }
    // virt_rx sizes its view of the Rx DMA region and the refcounts by its driver queue's capacity
    // (a power of two, possibly above the buffer count).
    region('rx_dma.data', cfg.rxDma, this.rxSlots);
    cfg.cliRxData.forEach((r, c) => region(`client${c}.rx.data`, r));
    cfg.cliTxData.forEach((r, c) => region(`client${c}.tx.data`, r));
    const refsSize = Math.max(0x1000, this.rxSlots);
    this.refs = { buffer: new SharedArrayBuffer(refsSize), vaddr: this.alloc(refsSize) };
  }

  private alloc(size: number): number {
    const at = this.next;
    this.next += Math.ceil(Math.max(size, 1) / 0x20_0000) * 0x20_0000;
    return at;
  }

  queue(ref: NetQueueRef): QueueMem {
    const q = this.queues.get(ref.tail);
    if (q === undefined) throw new InvariantError(`no queue at word ${ref.tail}`);
    return q;
  }

  region(r: DataRegion): RegionMem {
    const m = this.regions.get(r.data);
    if (m === undefined) throw new InvariantError(`no region at word ${r.data}`);
    return m;
  }

  conn(pair: { free: NetQueueRef; active: NetQueueRef }, id: number): NetConnection {
    const f = this.queue(pair.free);
    const a = this.queue(pair.active);
    return {
      free: { vaddr: f.vaddr, sizeBytes: netQueueSizeBytes(f.ref.capacity) },
      active: { vaddr: a.vaddr, sizeBytes: netQueueSizeBytes(a.ref.capacity) },
      numBuffers: pair.free.capacity,
      id,
    };
  }

  /** Every queue, region and the refcounts mapped read-write (the view decides what is compared). */
  space(pd: string): AddressSpace {
    const maps: MappingSpec[] = [];
    const rw = { r: true, w: true, x: false };
    for (const q of this.queues.values())
      maps.push({
        mr: q.name,
        vaddr: q.vaddr,
        sizeBytes: q.buffer.byteLength,
        perms: rw,
        cached: true,
        buffer: q.buffer,
        mmio: null,
      });
    for (const r of this.regions.values())
      maps.push({
        mr: r.name,
        vaddr: r.vaddr,
        sizeBytes: r.buffer.byteLength,
        perms: rw,
        cached: true,
        buffer: r.buffer,
        mmio: null,
      });
    maps.push({
      mr: 'virt_metadata',
      vaddr: this.refs.vaddr,
      sizeBytes: this.refs.buffer.byteLength,
      perms: rw,
      cached: true,
      buffer: this.refs.buffer,
      mmio: null,
    });
    return new AddressSpace(pd, maps);
  }
}

/** What one refined PD of the model sees, and how to build its implementation. */
interface PdView {
  readonly queues: readonly NetQueueRef[];
  /** Regions whose words are compared after a wake (the ones the PD writes or reads). */
  readonly regions: readonly { readonly name: string; readonly region: DataRegion }[];
  readonly factory: ComponentFactory;
  readonly params: Record<string, unknown>;
  /** virt_rx: its locals (refcounts, notify_drv) are compared too. */
  readonly virtRx: boolean;
}

function viewOf(pd: string, world: ImplWorld, bug: string | undefined): PdView {
  const cfg = world.cfg;
  const macs = (c: number): number[][] => [clientMac(c)];
  const dma = world.region(cfg.rxDma);
  if (pd === 'virt_tx') {
    const config: NetVirtTxConfig = {
      driver: world.conn(cfg.drvTx, 0),
      clients: cfg.cliTx.map((p, c) => ({
        conn: world.conn(p, 1 + c),
        regions: [
          {
            data: {
              vaddr: world.region(cfg.cliTxData[c]!).vaddr,
              sizeBytes: cfg.cliTxData[c]!.count * NET_BUFFER_SIZE_BYTES,
              ioAddr: BigInt(cfg.cliTxData[c]!.ioBase),
            },
            numBuffers: cfg.cliTxData[c]!.count,
          },
        ],
      })),
    };
    return {
      queues: [cfg.drvTx.free, cfg.drvTx.active, ...cfg.cliTx.flatMap((p) => [p.free, p.active])],
      regions: [],
      factory: virtTxComponent,
      params: { config },
      virtRx: false,
    };
  }
  if (pd === 'virt_rx') {
    const config: NetVirtRxConfig = {
      driver: world.conn(cfg.drvRx, 0),
      data: {
        vaddr: dma.vaddr,
        sizeBytes: world.rxSlots * NET_BUFFER_SIZE_BYTES,
        ioAddr: BigInt(cfg.rxDma.ioBase),
      },
      bufferMetadata: { vaddr: world.refs.vaddr, sizeBytes: world.rxSlots },
      clients: cfg.virtRx.map((p, c) => ({ conn: world.conn(p, 1 + c), macAddrs: macs(c) })),
    };
    return {
      queues: [cfg.drvRx.free, cfg.drvRx.active, ...cfg.virtRx.flatMap((p) => [p.free, p.active])],
      regions: [{ name: 'rx_dma.data', region: cfg.rxDma }],
      factory: virtRxComponent,
      params: { config, options: bug === 'U15' ? { bugs: ['U15'] } : {} },
      virtRx: true,
    };
  }
  const c = Number(/^copier(\d+)$/.exec(pd)![1]);
  const cli = world.region(cfg.cliRxData[c]!);
  const config: NetCopyConfig = {
    virt: world.conn(cfg.virtRx[c]!, 0),
    client: world.conn(cfg.cliRx[c]!, 1),
    clientData: { vaddr: cli.vaddr, sizeBytes: cli.buffer.byteLength },
    rxData: [
      {
        vaddr: dma.vaddr,
        sizeBytes: world.rxSlots * NET_BUFFER_SIZE_BYTES,
        ioAddr: BigInt(cfg.rxDma.ioBase),
      },
    ],
  };
  return {
    queues: [cfg.virtRx[c]!.free, cfg.virtRx[c]!.active, cfg.cliRx[c]!.free, cfg.cliRx[c]!.active],
    regions: [
      { name: 'rx_dma.data', region: cfg.rxDma },
      { name: `client${c}.rx.data`, region: cfg.cliRxData[c]! },
    ],
    factory: copierComponent,
    params: { config, options: bug === 'F15' ? { bugs: ['F15'] } : {} },
    virtRx: false,
  };
}

const TWO_32 = 0x1_0000_0000;

function writeQueue(q: QueueMem, s: Uint32Array): void {
  const dv = new DataView(q.buffer);
  const r = q.ref;
  dv.setUint16(0, s[r.tail]! & 0xffff, true);
  dv.setUint16(2, s[r.head]! & 0xffff, true);
  dv.setUint32(4, s[r.consumerSignalled]!, true);
  for (let i = 0; i < r.capacity; i++) {
    const at = NET_QUEUE_HEADER_BYTES + NET_DESC_SIZE_BYTES * i;
    const io = s[r.slots + i]!;
    dv.setUint32(at, io, true);
    dv.setUint32(at + 4, 0, true);
    // len: a whole concretized frame; oid 0 (one region per client, no vswitch).
    dv.setUint16(at + 8, REPLAY_FRAME_BYTES, true);
    dv.setUint16(at + 10, 0, true);
  }
}

function queueFields(q: QueueMem): { where: string; value: number }[] {
  const dv = new DataView(q.buffer);
  const out = [
    { where: `${q.name}.tail`, value: dv.getUint16(0, true) },
    { where: `${q.name}.head`, value: dv.getUint16(2, true) },
    { where: `${q.name}.consumer_signalled`, value: dv.getUint32(4, true) },
  ];
  for (let i = 0; i < q.ref.capacity; i++) {
    const at = NET_QUEUE_HEADER_BYTES + NET_DESC_SIZE_BYTES * i;
    out.push({
      where: `${q.name}.buffers[${i}].io_or_offset`,
      value: dv.getUint32(at, true) + dv.getUint32(at + 4, true) * TWO_32,
    });
  }
  return out;
}

function traceQueueFields(q: QueueMem, s: Uint32Array): number[] {
  const r = q.ref;
  const out = [s[r.tail]! & 0xffff, s[r.head]! & 0xffff, s[r.consumerSignalled]!];
  for (let i = 0; i < r.capacity; i++) out.push(s[r.slots + i]!);
  return out;
}

function writeFrame(bytes: Uint8Array, at: number, word: number, clients: number): void {
  bytes.fill(0, at, at + NET_BUFFER_SIZE_BYTES);
  if (word === 0) return;
  const who = payloadWho(word);
  const mac =
    who === DEST_BROADCAST
      ? [0xff, 0xff, 0xff, 0xff, 0xff, 0xff]
      : who < clients
        ? clientMac(who)
        : UNKNOWN_MAC;
  bytes.set(mac, at);
  bytes.set([0x02, 0, 0, 0, 0, 0x01, 0x08, 0x00], at + 6);
  new DataView(bytes.buffer, bytes.byteOffset).setUint32(at + WORD_AT, word, true);
}

function frameWord(bytes: Uint8Array, at: number): number {
  return new DataView(bytes.buffer, bytes.byteOffset).getUint32(at + WORD_AT, true);
}

/** Replays `trace` on the implemented components; stops at the first divergence. */
export function replayOnImpl(trace: ModelTrace): ImplReplayResult {
  const world = new ImplWorld(trace.cfg);
  const { states, actions } = trace;
  const notCompared: Record<string, number> = {};
  const skip = (why: string): void => {
    notCompared[why] = (notCompared[why] ?? 0) + 1;
  };
  let wakes = 0;
  let compared = 0;
  const wakeList: ImplWake[] = [];
  const views = new Map<string, PdView>();
  const view = (pd: string): PdView => {
    let v = views.get(pd);
    if (v === undefined) {
      v = viewOf(pd, world, trace.bug);
      views.set(pd, v);
    }
    return v;
  };
  for (let i = 1; i < states.length; i++) {
    const m = /^([^.]+)\.recv$/.exec(actions[i] ?? '');
    if (m === null || !REFINED.test(m[1]!)) continue;
    const pd = m[1]!;
    wakes++;
    const w = trace.pdWords(pd);
    let j = i;
    while (j < states.length && states[j]![w.pc] !== PC_DONE) j++;
    if (j >= states.length) {
      skip('the trace ends inside the wake');
      wakeList.push({
        pd,
        from: i,
        to: states.length - 1,
        compared: false,
        why: 'the trace ends inside the wake',
      });
      continue;
    }
    const v = view(pd);
    const qs = v.queues.map((r) => world.queue(r));
    const rs = v.regions.map((r) => world.region(r.region));
    // Another PD's (or a device's) write to this view inside the wake: not comparable.
    let interleaved: string | null = null;
    for (let k = i + 1; k <= j && interleaved === null; k++) {
      if ((actions[k] ?? '').startsWith(`${pd}.`)) continue;
      const a = states[k - 1]!;
      const b = states[k]!;
      for (const q of qs) {
        const r = q.ref;
        const words = [
          r.tail,
          r.head,
          r.consumerSignalled,
          ...Array.from({ length: r.capacity }, (_, x) => r.slots + x),
        ];
        if (words.some((x) => a[x] !== b[x]))
          interleaved = `step ${k} (${actions[k]}) wrote ${q.name}`;
      }
      for (const r of rs)
        for (let x = 0; x < r.region.count && interleaved === null; x++)
          if (a[r.region.data + x] !== b[r.region.data + x])
            interleaved = `step ${k} (${actions[k]}) wrote ${r.name}`;
    }
    if (interleaved !== null) {
      skip(`another PD or a device wrote this component's view inside the wake`);
      wakeList.push({ pd, from: i, to: j, compared: false, why: interleaved });
      continue;
    }
    wakeList.push({ pd, from: i, to: j, compared: true });
    const pre = states[i - 1]!;
    const post = states[j]!;
    // Concretize the state at the wake's start.
    for (const q of qs) writeQueue(q, pre);
    for (const r of world.regions.values()) {
      const bytes = new Uint8Array(r.buffer);
      for (let b = 0; b < r.region.count; b++)
        writeFrame(bytes, b * NET_BUFFER_SIZE_BYTES, pre[r.region.data + b]!, trace.cfg.clients);
    }
    const refs = new Uint8Array(world.refs.buffer);
    if (v.virtRx)
      for (let b = 0; b < trace.cfg.rxDma.count; b++) refs[b] = pre[w.locals + VR_REFS + b]! & 0xff;
    const mem = world.space(pd);
    const rec = recordingApi(pd, mem);
    let state: unknown;
    const component: Component = v.factory({
      api: rec.api,
      config: { name: pd } as never,
      params: { ...v.params, probe: (s: unknown) => (state = s) },
      // A restarted instance: it re-attaches to the queues and never initialises them.
      restarts: 1,
    });
    if (v.virtRx) (state as VirtRxState).notify_drv = pre[w.locals + VR_NOTIFY_DRV] !== 0;
    const diverge = (
      where: string,
      traceV: number | string,
      implV: number | string,
    ): ImplReplayResult => ({
      steps: states.length - 1,
      wakes,
      compared,
      notCompared,
      wakeList,
      divergence: { step: j, pd, wakeStep: i, where, trace: traceV, impl: implV },
    });
    try {
      for (const ch of dispatchOrder(pre[w.notif]!)) component.notified(ch);
    } catch (e) {
      return diverge(
        'the handler',
        'completes',
        `faulted: ${e instanceof Error ? e.message : String(e)}`,
      );
    }
    compared++;
    // Compare the state at the wake's end.
    for (const q of qs) {
      const impl = queueFields(q);
      const tr = traceQueueFields(q, post);
      for (let x = 0; x < impl.length; x++)
        if (impl[x]!.value !== tr[x]) return diverge(impl[x]!.where, tr[x]!, impl[x]!.value);
    }
    for (const r of rs) {
      const bytes = new Uint8Array(r.buffer);
      for (let b = 0; b < r.region.count; b++) {
        const impl = frameWord(bytes, b * NET_BUFFER_SIZE_BYTES);
        const tr = post[r.region.data + b]!;
        if (impl !== tr) return diverge(`${r.name}[${b}]`, tr, impl);
      }
    }
    if (v.virtRx) {
      for (let b = 0; b < trace.cfg.rxDma.count; b++)
        if (refs[b] !== (post[w.locals + VR_REFS + b]! & 0xff))
          return diverge(`buffer_refs[${b}]`, post[w.locals + VR_REFS + b]!, refs[b]!);
      const nd = (state as VirtRxState).notify_drv ? 1 : 0;
      if (nd !== (post[w.locals + VR_NOTIFY_DRV]! === 0 ? 0 : 1))
        return diverge('notify_drv', post[w.locals + VR_NOTIFY_DRV]!, nd);
    }
    if (rec.slot() !== post[w.deferred])
      return diverge('deferred slot', showSlot(post[w.deferred]!), showSlot(rec.slot()));
    // Immediate notifications: a target's bit the trace set during the wake's own steps must be
    // one the implementation notified; one it notified must be set in the trace at the wake's end.
    const chans = trace.channels(pd);
    for (const [chText, end] of Object.entries(chans)) {
      const ch = Number(chText);
      const tw = trace.pdWords(end.pd);
      const bit = 1 << end.ch;
      let traceSet = false;
      for (let k = i + 1; k <= j; k++)
        if (
          (actions[k] ?? '').startsWith(`${pd}.`) &&
          (states[k - 1]![tw.notif]! & bit) === 0 &&
          (states[k]![tw.notif]! & bit) !== 0
        )
          traceSet = true;
      const implSet = rec.notified.includes(ch);
      if (traceSet && !implSet)
        return diverge(`notify(${ch}) → ${end.pd}`, 'notified', 'not notified');
      // The implementation notified, the trace did not set the bit, and nobody consumed it inside
      // the wake: the trace's end state shows no such notification.
      const consumed = actions.slice(i + 1, j + 1).includes(`${end.pd}.recv`);
      if (implSet && !traceSet && !consumed && (post[tw.notif]! & bit) === 0)
        return diverge(`notify(${ch}) → ${end.pd}`, 'not notified', 'notified');
    }
  }
  return { steps: states.length - 1, wakes, compared, notCompared, wakeList };
}
