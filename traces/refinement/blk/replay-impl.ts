// `sddf replay --on impl` for the block class (issue 13 part 7; docs/adr/022-block-subsystem.md
// "Replaying blk-virt traces on the implementation"): a trace of the `blk-virt` model, a sequence
// of spec states, replayed on the implemented virt (impl/components/blk/virt.ts), the same design
// as the net replayer (traces/refinement/net/replay-impl.ts, ADR 020 §7). Each wake of the model's
// virt — its boot (`virt.init.*`, until main() enters the handler loop) and each `virt.recv` until
// the handler returns with no channel left in the badge — runs on the implementation: the trace's
// state at the wake's start is concretized into the virt's shared memory (the four queues at their
// C offsets, the virt's metadata region with its phase, partition and request table, the driver's
// storage info and the MBR block the partition read lands in), `init()` or `notified(ch)` runs for
// the channels the wake consumed, and the result, read back through the abstraction, must equal
// the trace's state at the wake's end: every queue word, the virt's locals (init state, requests in
// flight, the driver-id table), its deferred slot and its immediate notifications.
//
// Only the virt is compared. The model's client (a fixed script of three requests, checking each
// answer) and driver (hands requests to a device that completes them in a barrier-keeping order)
// are abstractions of impl/clients/blk/client.ts (write, read back, verify) and
// impl/drivers/blk/virtio.ts (virtqueue descriptors on an emulated device): their steps are not the
// implementation's steps, so there is nothing to run them on.
//
// Not compared, with the reason (as for the net):
//  - a wake during which the client, the driver or the device wrote a word of the virt's view (the
//    implementation's handler is atomic; it cannot see a value written in its middle);
//  - the partition-init wake on a disk whose mirror GPT header differs (`disk.mirror_differs`, the
//    U9 bound): the model reads the partition table in one READ and compares abstract headers; the
//    implementation reads a GPT in two more driver requests the model has no steps for. The model
//    is otherwise concretized as an MBR disk whose first partition is the client's.
// A wake the trace ends in (a violation found in the middle of a handler: the model has no step
// after it) is compared as a prefix: every queue the implementation's whole handler moved at least
// as far as the trace's wake so far, and the slots the trace filled hold the same records. Driver
// ids are compared up to a renaming (driverIdRenaming: the choice of a free id is the virt's).
// The request records are a function of the script id in the model (programs.ts): a client
// request slot is concretized as the script's record, a driver request word `id | code << 4` as a
// request of that code and id, a response word `id | status << 8` as that response with the
// success count the client expects (the request's count for an OK READ or WRITE, else 0).
import { InvariantError } from '../../../spec/common/assert.ts';
import { blkScriptReq, type BlkModelConfig } from '../../../spec/components/blk/programs.ts';
import { blkVirtTranslate } from '../../../spec/components/blk/virt.ts';
import { PC_DONE } from '../../../spec/components/program.ts';
import { dispatchOrder } from '../../../spec/microkit/semantics.ts';
import { BlkReqCode, BlkRespStatus, type BlkQueueRef } from '../../../spec/queue/blk.ts';
import { AddressSpace, type MappingSpec } from '../../../impl/mem/address-space.ts';
import {
  BLK_REQ_QUEUE_HEADER_BYTES,
  BLK_REQ_SIZE_BYTES,
  BLK_RESP_QUEUE_HEADER_BYTES,
  BLK_RESP_SIZE_BYTES,
  blkReqQueueSizeBytes,
  blkRespQueueSizeBytes,
} from '../../../impl/queue/blk.ts';
import type { BlkVirtConfig } from '../../../impl/components/blk/config.ts';
import {
  BLK_VIRT_MAX_CLIENTS,
  BlkVirt,
  blkVirtComponent,
  blkVirtMetadataBytes,
  type BlkVirtOptions,
} from '../../../impl/components/blk/virt.ts';
import { buildMbrImage } from '../../../impl/systems/blk/disk.ts';
import type {
  ImplDivergence,
  ImplReplayResult,
  ImplWake,
  ModelPdWords,
} from '../net/replay-impl.ts';
import { recordingApi, showSlot } from '../replay-signals.ts';

export type { ImplDivergence, ImplReplayResult, ImplWake };

/** A `blk-virt` trace, as the spec replayed it. */
export interface BlkModelTrace {
  readonly cfg: BlkModelConfig;
  /** states[0] is the initial state; states[k] follows step k. */
  readonly states: readonly Uint32Array[];
  /** actions[k] (k ≥ 1): the action of step k (`virt.recv`, `disk.complete_0`, ...). */
  readonly actions: readonly string[];
  readonly pdWords: (pd: string) => ModelPdWords & { readonly phase: number };
  /** Per PD: local channel → the PD and channel at the other end. */
  readonly channels: (pd: string) => Readonly<Record<number, { pd: string; ch: number }>>;
  /** The seeded bug the implementation runs with, where it has a switch for it (U6, U9). */
  readonly bug?: string;
}

/** The model bugs the implemented virt has a switch for (BlkVirtOptions). */
export function blkImplOptions(bug: string | undefined): BlkVirtOptions {
  return bug === 'U6' ? { u6: true } : bug === 'U9' ? { u9: true } : {};
}

// The model virt's locals (spec/components/blk/programs.ts, the comment above VL_INIT: not
// exported there): [0] init (0 no, 1 ready, 2 failed), [1] driver notify, [2] client notify,
// [3] in flight, [4..4+driverIds) the driver-id table: client request id + 1, MBR_MARK, 0 free.
const VL_INIT = 0;
const VL_IN_FLIGHT = 3;
const VL_TABLE = 4;
const MBR_MARK = 0xff;
/** The model's channels: the virt's to the driver is 0, to the client 1 (programs.ts). */
const CH_DRIVER = 0;
const CH_CLIENT = 1;

// The implemented virt's metadata region (impl/components/blk/virt.ts, the comment above M_MAGIC:
// not exported there). Checked against blkVirtMetadataBytes when a replay starts, so a change of
// the table's place or entry size there stops the replay rather than misreading the region.
const META_MAGIC = 0x626c6b76;
const PHASE_MBR_SENT = 1;
const PHASE_READY = 3;
const PHASE_FAILED = 4;
const M_MAGIC = 0;
const M_PHASE = 1;
const M_MBR_ID = 2;
const M_PARTS = 8;
const M_TABLE = M_PARTS + 4 * BLK_VIRT_MAX_CLIENTS;
const ENTRY_WORDS = 5;
const INIT_CLIENT = 0xffff_ffff;
function checkMetadataLayout(): void {
  for (const n of [0, 1, 4])
    if (blkVirtMetadataBytes(n) !== 4 * (M_TABLE + ENTRY_WORDS * n))
      throw new InvariantError(
        'blk replay: the virt metadata layout changed (impl/components/blk)',
      );
}

const PREFIX =
  'the trace ends inside the wake: compared up to its last step (queue progress, slots)';

/** The disk the model's partition init reads: an MBR whose partition 0 is the client's. */
const DISK_BLOCKS = 16;

const TWO_32 = 0x1_0000_0000;

interface Region {
  readonly name: string;
  readonly buffer: SharedArrayBuffer;
  readonly vaddr: number;
}

/** The implemented virt's memory for one wake: fresh buffers, the model's addresses. */
class VirtWorld {
  private next = 0x1000_0000;
  readonly regions: Region[] = [];
  readonly cReq: Region;
  readonly cResp: Region;
  readonly dReq: Region;
  readonly dResp: Region;
  readonly drvInfo: Region;
  readonly cliInfo: Region;
  readonly drvData: Region;
  readonly meta: Region;
  readonly config: BlkVirtConfig;

  constructor(readonly cfg: BlkModelConfig) {
    const cap = cfg.cReq.capacity;
    this.cReq = this.region('client.req', blkReqQueueSizeBytes(cap));
    this.cResp = this.region('client.resp', blkRespQueueSizeBytes(cap));
    this.dReq = this.region('driver.req', blkReqQueueSizeBytes(cfg.dReq.capacity));
    this.dResp = this.region('driver.resp', blkRespQueueSizeBytes(cfg.dResp.capacity));
    this.drvInfo = this.region('driver.storage_info', 0x1000);
    this.cliInfo = this.region('client.storage_info', 0x1000);
    this.drvData = this.region('driver.data', 0x1000);
    this.meta = this.region('virt_metadata', blkVirtMetadataBytes(cfg.driverIds));
    const res = (r: Region) => ({ vaddr: r.vaddr, sizeBytes: r.buffer.byteLength });
    this.config = {
      driver: {
        conn: {
          storageInfo: res(this.drvInfo),
          req: res(this.dReq),
          resp: res(this.dResp),
          capacity: cfg.dReq.capacity,
          id: CH_DRIVER,
        },
        data: { ...res(this.drvData), ioAddr: 0x100_0000n },
      },
      clients: [
        {
          conn: {
            storageInfo: res(this.cliInfo),
            req: res(this.cReq),
            resp: res(this.cResp),
            capacity: cap,
            id: CH_CLIENT,
          },
          // The model's view of the client's data region: the virt translates with it and never
          // touches the bytes, so it is not mapped.
          data: {
            vaddr: Number(cfg.client.dataVaddr),
            sizeBytes: Number(cfg.client.dataSizeBytes),
            ioAddr: cfg.client.dataIoAddr,
          },
          partition: 0,
        },
      ],
      metadata: res(this.meta),
    };
  }

  private region(name: string, size: number): Region {
    const bytes = Math.max(0x1000, Math.ceil(size / 0x1000) * 0x1000);
    const r = { name, buffer: new SharedArrayBuffer(bytes), vaddr: this.next };
    this.next += Math.ceil(bytes / 0x20_0000) * 0x20_0000;
    this.regions.push(r);
    return r;
  }

  space(): AddressSpace {
    const rw = { r: true, w: true, x: false };
    const maps: MappingSpec[] = this.regions.map((r) => ({
      mr: r.name,
      vaddr: r.vaddr,
      sizeBytes: r.buffer.byteLength,
      perms: rw,
      cached: true,
      buffer: r.buffer,
      mmio: null,
    }));
    return new AddressSpace('virt', maps);
  }
}

type QueueKind = 'client.req' | 'client.resp' | 'driver.req' | 'driver.resp';

interface QueueView {
  readonly kind: QueueKind;
  readonly ref: BlkQueueRef;
  readonly region: Region;
}

function queues(world: VirtWorld): QueueView[] {
  const c = world.cfg;
  return [
    { kind: 'client.req', ref: c.cReq, region: world.cReq },
    { kind: 'client.resp', ref: c.cResp, region: world.cResp },
    { kind: 'driver.req', ref: c.dReq, region: world.dReq },
    { kind: 'driver.resp', ref: c.dResp, region: world.dResp },
  ];
}

/** The count and code of the request a driver id carries in the model's table (pre-state). */
function tableEntry(
  cfg: BlkModelConfig,
  mark: number,
): { client: number; clientId: number; count: number; code: number } | null {
  if (mark === 0) return null;
  if (mark === MBR_MARK) return { client: INIT_CLIENT, clientId: 0, count: 1, code: 0 };
  const e = cfg.script[mark - 2];
  if (e === undefined) return null;
  return { client: 0, clientId: mark - 1, count: e.count, code: e.code };
}

/** The success count the model's client expects with a response (programs.ts C_RESP). */
function successCount(cfg: BlkModelConfig, id: number, status: number): number {
  const e = cfg.script[id - 1];
  if (e === undefined || status !== BlkRespStatus.OK) return 0;
  return e.code === BlkReqCode.READ || e.code === BlkReqCode.WRITE ? e.count : 0;
}

const respWord = (id: number, status: number): number => (id | (status << 8)) >>> 0;

function writeQueue(
  q: QueueView,
  s: Uint32Array,
  cfg: BlkModelConfig,
  locals: number,
  bad: (where: string, why: string) => never,
): void {
  const dv = new DataView(q.region.buffer);
  const r = q.ref;
  dv.setUint32(0, s[r.head]!, true);
  dv.setUint32(4, s[r.tail]!, true);
  const isReq = q.kind.endsWith('.req');
  const header = isReq ? BLK_REQ_QUEUE_HEADER_BYTES : BLK_RESP_QUEUE_HEADER_BYTES;
  const size = isReq ? BLK_REQ_SIZE_BYTES : BLK_RESP_SIZE_BYTES;
  for (let i = 0; i < r.capacity; i++) {
    const at = header + size * i;
    const w = s[r.slots + i]!;
    const where = `${q.ref.name}.buffers/${i}`;
    if (q.kind === 'client.req') {
      // A script id: the client's record for it; another word is a record of that id only.
      const e = cfg.script[w - 1];
      const req =
        e !== undefined
          ? blkScriptReq(cfg.script, w)
          : { code: 0, ioOrOffset: 0n, blockNumber: 0n, count: 0, id: w };
      dv.setUint32(at, req.code, true);
      dv.setBigUint64(at + 8, BigInt.asUintN(64, req.ioOrOffset), true);
      dv.setBigUint64(at + 16, BigInt.asUintN(64, req.blockNumber), true);
      dv.setUint16(at + 24, req.count, true);
      dv.setUint32(at + 28, req.id, true);
    } else if (q.kind === 'driver.req') {
      if (w >> 4 > BlkReqCode.BARRIER) bad(where, `a driver request word (id | code << 4)`);
      const e = tableEntry(cfg, s[locals + VL_TABLE + (w & 0xf)] ?? 0);
      dv.setUint32(at, w >> 4, true);
      dv.setBigUint64(at + 8, 0n, true);
      dv.setBigUint64(at + 16, 0n, true);
      dv.setUint16(at + 24, e?.count ?? 0, true);
      dv.setUint32(at + 28, w & 0xf, true);
    } else {
      const status = w >>> 8;
      if (status > 0xff) bad(where, 'a response word (id | status << 8)');
      const id = w & 0xff;
      const count =
        q.kind === 'client.resp'
          ? successCount(cfg, id, status)
          : status === BlkRespStatus.OK
            ? (tableEntry(cfg, s[locals + VL_TABLE + id] ?? 0)?.count ?? 0)
            : 0;
      dv.setUint32(at, status, true);
      dv.setUint16(at + 4, count, true);
      dv.setUint16(at + 6, 0, true);
      dv.setUint32(at + 8, id, true);
    }
  }
}

/** α of one queue: head, tail and each slot as the model's word. */
function queueFields(
  q: QueueView,
  cfg: BlkModelConfig,
  /** Driver ids the implementation chose → the trace's (driver.req, the slots enqueued now). */
  perm: readonly number[] | null,
  preTail: number,
): { where: string; value: number; extra?: { where: string; value: number; want: number } }[] {
  const dv = new DataView(q.region.buffer);
  const name = q.ref.name;
  const out: {
    where: string;
    value: number;
    extra?: { where: string; value: number; want: number };
  }[] = [
    { where: `${name}.head`, value: dv.getUint32(0, true) },
    { where: `${name}.tail`, value: dv.getUint32(4, true) },
  ];
  const isReq = q.kind.endsWith('.req');
  const header = isReq ? BLK_REQ_QUEUE_HEADER_BYTES : BLK_RESP_QUEUE_HEADER_BYTES;
  const size = isReq ? BLK_REQ_SIZE_BYTES : BLK_RESP_SIZE_BYTES;
  for (let i = 0; i < q.ref.capacity; i++) {
    const at = header + size * i;
    const where = `${name}.buffers[${i}]`;
    if (q.kind === 'client.req') out.push({ where, value: dv.getUint32(at + 28, true) });
    else if (q.kind === 'driver.req') {
      const tail = dv.getUint32(4, true);
      const fresh =
        (i - (preTail % q.ref.capacity) + q.ref.capacity) % q.ref.capacity < (tail - preTail) >>> 0;
      const id = dv.getUint32(at + 28, true);
      const mapped = fresh && perm !== null ? (perm[id] ?? id) : id;
      out.push({ where, value: (mapped | (dv.getUint32(at, true) << 4)) >>> 0 });
    } else {
      const status = dv.getUint32(at, true);
      const id = dv.getUint32(at + 8, true);
      const value = id < 0x100 && status < 0x100 ? respWord(id, status) : id + status * TWO_32;
      out.push({
        where,
        value,
        ...(q.kind === 'client.resp'
          ? {
              extra: {
                where: `${where}.success_count`,
                value: dv.getUint16(at + 4, true),
                want: successCount(cfg, id, status),
              },
            }
          : {}),
      });
    }
  }
  return out;
}

function traceQueueFields(q: QueueView, s: Uint32Array): number[] {
  const r = q.ref;
  const out = [s[r.head]!, s[r.tail]!];
  for (let i = 0; i < r.capacity; i++) out.push(s[r.slots + i]!);
  return out;
}

/** The virt's metadata as the model's locals say it is. */
function writeMeta(
  world: VirtWorld,
  s: Uint32Array,
  locals: number,
  bad: (where: string, why: string) => never,
): void {
  const cfg = world.cfg;
  const m = new Uint32Array(world.meta.buffer, 0, blkVirtMetadataBytes(cfg.driverIds) / 4);
  m.fill(0);
  m[M_MAGIC] = META_MAGIC;
  const init = s[locals + VL_INIT]!;
  if (init > 2) bad(`virt.locals/${VL_INIT}`, 'an init state 0, 1 or 2');
  let inFlight = 0;
  for (let d = 0; d < cfg.driverIds; d++) {
    const mark = s[locals + VL_TABLE + d]!;
    if (mark !== 0 && tableEntry(cfg, mark) === null)
      bad(`virt.locals/${VL_TABLE + d}`, `0, ${MBR_MARK} (the MBR read) or a request id + 1`);
    if (mark !== 0 && mark !== MBR_MARK) inFlight++;
  }
  // The implementation counts requests in flight from its table (BlkVirt.restore).
  if (s[locals + VL_IN_FLIGHT] !== inFlight)
    bad(`virt.locals/${VL_IN_FLIGHT}`, `${inFlight} (the requests in the driver-id table)`);
  m[M_PHASE] = init === 1 ? PHASE_READY : init === 2 ? PHASE_FAILED : PHASE_MBR_SENT;
  if (init === 1) {
    const p = cfg.client.partition;
    m[M_PARTS] = Number(p.startSector & 0xffff_ffffn);
    m[M_PARTS + 1] = Number(p.startSector >> 32n);
    m[M_PARTS + 2] = Number(p.sectors & 0xffff_ffffn);
    m[M_PARTS + 3] = Number(p.sectors >> 32n);
  }
  for (let d = 0; d < cfg.driverIds; d++) {
    const mark = s[locals + VL_TABLE + d]!;
    if (mark === MBR_MARK) m[M_MBR_ID] = d;
    const e = tableEntry(cfg, mark);
    if (e === null) continue;
    const at = M_TABLE + ENTRY_WORDS * d;
    m[at] = 1;
    m[at + 1] = e.client;
    m[at + 2] = e.clientId;
    m[at + 3] = e.count;
    m[at + 4] = e.code;
  }
}

/** α of the virt's locals: its init state, requests in flight and driver-id table. */
function implLocals(
  world: VirtWorld,
  v: BlkVirt,
  perm: readonly number[],
): { where: string; value: number }[] {
  const cfg = world.cfg;
  const m = new Uint32Array(world.meta.buffer, 0, blkVirtMetadataBytes(cfg.driverIds) / 4);
  const out = [
    {
      where: `virt.locals[${VL_INIT}] (initialised)`,
      value: v.ready ? 1 : v.initialised() ? 2 : 0,
    },
    // The refinement checker's abstraction (checker.ts): requests in flight per client.
    { where: `virt.locals[${VL_IN_FLIGHT}] (requests in flight)`, value: v.inFlightCounts()[0]! },
  ];
  const inverse = perm.map((_, t) => perm.indexOf(t));
  for (let d = 0; d < cfg.driverIds; d++) {
    const at = M_TABLE + ENTRY_WORDS * inverse[d]!;
    const value =
      m[at] === 0
        ? 0
        : m[at + 1] === INIT_CLIENT
          ? MBR_MARK
          : m[at + 1] === 0
            ? m[at + 2]! + 1
            : -1;
    out.push({ where: `virt.locals[${VL_TABLE + d}] (driver id ${d})`, value });
  }
  return out;
}

/**
 * The driver ids are the virt's free choice (the protocol only needs a free one; checker.ts takes
 * any): the model's allocator takes the lowest free id, the implementation's free list the last
 * freed. So the wake's result is compared up to a renaming of the ids it allocated: the k-th
 * request the implementation enqueued to the driver in this wake is named by the k-th the trace
 * enqueued, when both enqueued as many, each id once; every other id keeps its name where it can.
 * Returns the permutation impl id → trace id (the identity when there is nothing to rename).
 */
function driverIdRenaming(
  world: VirtWorld,
  pre: Uint32Array,
  post: Uint32Array,
  /** The trace ends inside the wake: rename the first requests the implementation enqueued. */
  prefix: boolean,
): number[] {
  const cfg = world.cfg;
  const n = cfg.driverIds;
  const identity = Array.from({ length: n }, (_, d) => d);
  const r = cfg.dReq;
  const dv = new DataView(world.dReq.buffer);
  const from = pre[r.tail]!;
  const implCount = (dv.getUint32(4, true) - from) >>> 0;
  const traceCount = (post[r.tail]! - from) >>> 0;
  if ((prefix ? implCount < traceCount : implCount !== traceCount) || traceCount > r.capacity)
    return identity;
  const sigma = new Map<number, number>();
  for (let k = 0; k < traceCount; k++) {
    const slot = (from + k) % r.capacity;
    const implId = dv.getUint32(BLK_REQ_QUEUE_HEADER_BYTES + BLK_REQ_SIZE_BYTES * slot + 28, true);
    const traceId = post[r.slots + slot]! & 0xf;
    if (implId >= n || traceId >= n || sigma.has(implId)) return identity;
    if ([...sigma.values()].includes(traceId)) return identity;
    sigma.set(implId, traceId);
  }
  const perm = identity.map((d) => sigma.get(d) ?? -1);
  const taken = new Set(sigma.values());
  for (let d = 0; d < n; d++)
    if (perm[d] === -1 && !taken.has(d)) {
      perm[d] = d;
      taken.add(d);
    }
  const spare = identity.filter((t) => !taken.has(t));
  return perm.map((t) => (t === -1 ? spare.shift()! : t));
}

/**
 * The model's driver request word is `id | code << 4`; the rest of the record is a function of the
 * request the id's table entry names, as the spec translates it (blkVirtTranslate with the model's
 * view of the client; the MBR read is block 0, one block, at the driver data region). Every
 * request the implementation enqueued to the driver in the wake must be that record.
 */
function forwardedProblem(
  world: VirtWorld,
  pre: Uint32Array,
  bug: string | undefined,
): { where: string; trace: string; impl: string } | null {
  const cfg = world.cfg;
  const r = cfg.dReq;
  const dv = new DataView(world.dReq.buffer);
  const m = new Uint32Array(world.meta.buffer, 0, blkVirtMetadataBytes(cfg.driverIds) / 4);
  const from = pre[r.tail]!;
  const n = (dv.getUint32(4, true) - from) >>> 0;
  const show = (x: { code: number; io: bigint; block: bigint; count: number }): string =>
    `code ${x.code}, io_or_offset 0x${x.io.toString(16)}, block_number ${x.block}, count ${x.count}`;
  for (let k = 0; k < Math.min(n, r.capacity); k++) {
    const slot = (from + k) % r.capacity;
    const at = BLK_REQ_QUEUE_HEADER_BYTES + BLK_REQ_SIZE_BYTES * slot;
    const impl = {
      code: dv.getUint32(at, true),
      io: dv.getBigUint64(at + 8, true),
      block: dv.getBigUint64(at + 16, true),
      count: dv.getUint16(at + 24, true),
    };
    const id = dv.getUint32(at + 28, true);
    const e = M_TABLE + ENTRY_WORDS * id;
    if (id >= cfg.driverIds || m[e] !== 1) {
      return {
        where: `driver.req.buffers[${slot}].id`,
        trace: 'an id the virt holds',
        impl: String(id),
      };
    }
    let want: { code: number; io: bigint; block: bigint; count: number };
    if (m[e + 1] === INIT_CLIENT) {
      want = { code: BlkReqCode.READ, io: world.config.driver.data.ioAddr, block: 0n, count: 1 };
    } else {
      const req = blkScriptReq(cfg.script, m[e + 2]!);
      const t = blkVirtTranslate(req, cfg.client, bug === 'U6' ? { u6: true } : {});
      if (t.kind !== 'forward') {
        return {
          where: `driver.req.buffers[${slot}]`,
          trace: `request ${req.id} answered ${t.status} (${t.reason})`,
          impl: `forwarded: ${show(impl)}`,
        };
      }
      want = {
        code: t.code,
        io: BigInt.asUintN(64, t.ioAddr),
        block: BigInt.asUintN(64, t.driverBlock),
        count: t.count,
      };
    }
    if (show(want) !== show(impl))
      return {
        where: `driver.req.buffers[${slot}] (the record)`,
        trace: show(want),
        impl: show(impl),
      };
  }
  return null;
}

/** A located problem with a trace state the replayer cannot concretize. */
export class BlkTraceProblem extends Error {
  constructor(
    readonly step: number,
    readonly where: string,
    readonly why: string,
  ) {
    super(`state ${step}, ${where}: ${why} expected`);
  }
}

/** Replays `trace` on the implemented blk virt; stops at the first divergence. */
export function replayBlkOnImpl(trace: BlkModelTrace): ImplReplayResult {
  checkMetadataLayout();
  const { states, actions, cfg } = trace;
  const w = trace.pdWords('virt');
  const notCompared: Record<string, number> = {};
  let wakes = 0;
  let compared = 0;
  const wakeList: ImplWake[] = [];
  const skip = (pd: string, from: number, to: number, reason: string, why = reason): void => {
    notCompared[reason] = (notCompared[reason] ?? 0) + 1;
    wakeList.push({ pd, from, to, compared: false, why });
  };
  const viewWords = (() => {
    const out: { word: number; name: string }[] = [];
    for (const r of [cfg.cReq, cfg.cResp, cfg.dReq, cfg.dResp]) {
      out.push({ word: r.head, name: r.name }, { word: r.tail, name: r.name });
      for (let x = 0; x < r.capacity; x++) out.push({ word: r.slots + x, name: r.name });
    }
    out.push({ word: cfg.badMirror, name: 'disk.mirror_differs' });
    return out;
  })();
  for (let i = 1; i < states.length; i++) {
    const action = actions[i] ?? '';
    const boot = action.startsWith('virt.') && states[i - 1]![w.phase] === 0;
    if (action !== 'virt.recv' && !boot) continue;
    wakes++;
    const pd = 'virt';
    let j = i;
    while (j < states.length && (boot ? states[j]![w.phase] === 0 : states[j]![w.pc] !== PC_DONE))
      j++;
    // A trace that ends inside the wake (a violation found mid-handler) is compared as a prefix.
    const partial = j >= states.length;
    if (partial) j = states.length - 1;
    let interleaved: string | null = null;
    for (let k = i + 1; k <= j && interleaved === null; k++) {
      if ((actions[k] ?? '').startsWith('virt.')) continue;
      const a = states[k - 1]!;
      const b = states[k]!;
      const hit = viewWords.find((x) => a[x.word] !== b[x.word]);
      if (hit !== undefined) interleaved = `step ${k} (${actions[k]}) wrote ${hit.name}`;
    }
    if (interleaved !== null) {
      skip(pd, i, j, "another PD or a device wrote the virt's view inside the wake", interleaved);
      continue;
    }
    const pre = states[i - 1]!;
    const post = states[j]!;
    if (!boot && pre[w.locals + VL_INIT] === 0 && pre[cfg.badMirror] !== 0) {
      skip(
        pd,
        i,
        j,
        'partition init on a GPT disk whose mirror header differs (the implementation reads a GPT in two more driver requests; the model in one)',
      );
      continue;
    }
    wakeList.push({
      pd,
      from: i,
      to: j,
      compared: true,
      ...(partial ? { why: PREFIX } : {}),
    });
    // Concretize the state at the wake's start.
    const world = new VirtWorld(cfg);
    const bad = (where: string, why: string): never => {
      throw new BlkTraceProblem(i - 1, where, why);
    };
    for (const q of queues(world)) writeQueue(q, pre, cfg, w.locals, bad);
    // The driver is ready (the model's driver needs no setup); the disk is 16 blocks.
    const info = new DataView(world.drvInfo.buffer);
    info.setUint16(66, 512, true);
    info.setUint16(68, 1, true);
    info.setUint16(70, cfg.dReq.capacity, true);
    info.setBigUint64(80, BigInt(DISK_BLOCKS), true);
    info.setUint8(65, 1);
    // The partition read lands at the start of the driver's data region.
    const p = cfg.client.partition;
    const mbr = buildMbrImage(DISK_BLOCKS * 4096, [
      { startSector: Number(p.startSector), sectors: Number(p.sectors) },
    ]);
    new Uint8Array(world.drvData.buffer).set(mbr.subarray(0, 4096));
    if (!boot) writeMeta(world, pre, w.locals, bad);
    const rec = recordingApi('virt', world.space());
    let virt: BlkVirt | undefined;
    const component = blkVirtComponent({
      api: rec.api,
      config: { name: 'virt' } as never,
      params: {
        config: world.config,
        options: blkImplOptions(trace.bug),
        probe: (x: BlkVirt) => (virt = x),
      },
      restarts: boot ? 0 : 1,
    });
    if (virt === undefined) throw new InvariantError('blk virt: no probe call');
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
    if (!boot) {
      // A restarted virt rebuilds its allocator and in-flight counts from the metadata region
      // (BlkVirt.restore, private: what init() runs first on a restart); init() would then also
      // handle the driver's queue, which a wake on the client's channel alone does not.
      const restore = (virt as unknown as { restore?: unknown }).restore;
      if (typeof restore !== 'function')
        throw new InvariantError('blk replay: BlkVirt.restore is gone (impl/components/blk)');
      (restore as () => void).call(virt);
    }
    try {
      if (boot) component.init();
      else for (const ch of dispatchOrder(pre[w.notif]!)) component.notified(ch);
    } catch (e) {
      return diverge(
        'the handler',
        'completes',
        `faulted: ${e instanceof Error ? e.message : String(e)}`,
      );
    }
    compared++;
    const perm = driverIdRenaming(world, pre, post, partial);
    const fwd = forwardedProblem(world, pre, trace.bug);
    if (fwd !== null) return diverge(fwd.where, fwd.trace, fwd.impl);
    if (partial) {
      // What the trace's wake did so far the implementation's whole handler must have done too:
      // each queue moved at least as far, and every slot the trace filled holds the same.
      for (const q of queues(world)) {
        const impl = queueFields(q, cfg, q.kind === 'driver.req' ? perm : null, pre[q.ref.tail]!);
        const tr = traceQueueFields(q, post);
        const produces = q.kind === 'client.resp' || q.kind === 'driver.req';
        const x = produces ? 1 : 0;
        const from = pre[produces ? q.ref.tail : q.ref.head]!;
        const traceN = (tr[x]! - from) >>> 0;
        if (traceN > (impl[x]!.value - from) >>> 0)
          return diverge(`${impl[x]!.where} (the trace's wake so far)`, tr[x]!, impl[x]!.value);
        if (!produces) continue;
        for (let k = 0; k < traceN; k++) {
          const slot = 2 + ((from + k) % q.ref.capacity);
          const f = impl[slot]!;
          if (f.value !== tr[slot]) return diverge(f.where, tr[slot]!, f.value);
          if (f.extra !== undefined && f.extra.value !== f.extra.want)
            return diverge(f.extra.where, f.extra.want, f.extra.value);
        }
      }
      continue;
    }
    for (const q of queues(world)) {
      const impl = queueFields(q, cfg, q.kind === 'driver.req' ? perm : null, pre[q.ref.tail]!);
      const tr = traceQueueFields(q, post);
      for (let x = 0; x < impl.length; x++) {
        const f = impl[x]!;
        if (f.value !== tr[x]) return diverge(f.where, tr[x]!, f.value);
        if (f.extra !== undefined && f.extra.value !== f.extra.want)
          return diverge(f.extra.where, f.extra.want, f.extra.value);
      }
    }
    for (const f of implLocals(world, virt, perm)) {
      const at = Number(/^virt\.locals\[(\d+)\]/.exec(f.where)![1]);
      const tr = post[w.locals + at]!;
      if (f.value !== tr) return diverge(f.where, tr, f.value);
    }
    if (virt.ready) {
      const got = virt.partitions()[0]!;
      const want = cfg.client.partition;
      if (got.startSector !== want.startSector || got.sectors !== want.sectors)
        return diverge(
          'the client partition (sectors)',
          `[${want.startSector}, +${want.sectors})`,
          `[${got.startSector}, +${got.sectors})`,
        );
    }
    if (rec.slot() !== post[w.deferred])
      return diverge('deferred slot', showSlot(post[w.deferred]!), showSlot(rec.slot()));
    const chans = trace.channels(pd);
    for (const [chText, end] of Object.entries(chans)) {
      const ch = Number(chText);
      const tw = trace.pdWords(end.pd);
      const bit = 1 << end.ch;
      let traceSet = false;
      for (let k = i; k <= j; k++)
        if (
          (actions[k] ?? '').startsWith(`${pd}.`) &&
          (states[k - 1]![tw.notif]! & bit) === 0 &&
          (states[k]![tw.notif]! & bit) !== 0
        )
          traceSet = true;
      const implSet = rec.notified.includes(ch);
      if (traceSet && !implSet)
        return diverge(`notify(${ch}) → ${end.pd}`, 'notified', 'not notified');
      const consumed = actions.slice(i + 1, j + 1).includes(`${end.pd}.recv`);
      if (implSet && !traceSet && !consumed && (post[tw.notif]! & bit) === 0)
        return diverge(`notify(${ch}) → ${end.pd}`, 'not notified', 'notified');
    }
  }
  return { steps: states.length - 1, wakes, compared, notCompared, wakeList };
}
