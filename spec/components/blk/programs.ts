// Step semantics of the block client, virt and driver for the model checker (reference
// sddf-protocols.md §3.9; upstream blk/components/virt.c notified/handle_driver/handle_client,
// partitioning.c, drivers/blk/virtio/block.c at au-ts/sddf 650ace5d). The decisions are the ones
// the implementation takes: blkVirtTranslate, blkForwardProblem and blkVirtAdmit (virt.ts),
// gptCompareHeaders (partition.ts), and the client's monitor is blkSubmit/blkComplete
// (requests.ts). At the model's grain:
//  - a request record is a function of its client id (`BlkScriptEntry`, fixed by the bounds): the
//    client never changes a record after submitting it, so the virt reading it is modelled as
//    looking it up; a request queue slot holds the id;
//  - a driver request word is `drvId | code << 4`, a response word `id | status << 8`;
//  - partition init is one READ (the MBR/GPT block); its answer carries the disk's mirror header
//    shape (a disk word), which the virt compares with gptCompareHeaders;
//  - the driver hands requests to a device that holds them (`held` words) and completes any of
//    them, in the order the driver's barrier policy allows (a device action).
import { assert } from '../../common/assert.ts';
import {
  blkDequeue,
  blkEnqueue,
  type BlkQueueRef,
  BlkReqCode,
  BlkRespStatus,
  type BlkReq,
} from '../../queue/blk.ts';
import { PC_DONE, type ComponentProgram, type PdContext } from '../program.ts';
import { gptCompareHeaders, type GptHeader } from './partition.ts';
import { blkComplete, blkSubmit, type BlkConnectionState } from './requests.ts';
import {
  blkForwardProblem,
  blkVirtAdmit,
  blkVirtTranslate,
  type BlkVirtClientView,
} from './virt.ts';

/** A request of the client's script: its id is its index + 1 (id 0 is never used). */
export interface BlkScriptEntry {
  readonly code: BlkReqCode;
  readonly block: bigint;
  readonly offset: bigint;
  readonly count: number;
}

export interface BlkModelConfig {
  readonly cReq: BlkQueueRef;
  readonly cResp: BlkQueueRef;
  readonly dReq: BlkQueueRef;
  readonly dResp: BlkQueueRef;
  readonly script: readonly BlkScriptEntry[];
  /** The partition and data region the virt finds for the client. */
  readonly client: BlkVirtClientView;
  /** Driver ids the virt's allocator has (the driver queue capacity, U8). */
  readonly driverIds: number;
  /** Device-held requests: `held + k` is `drvWord + 1` (0 = empty), `done + k` marks completion. */
  readonly held: number;
  readonly done: number;
  /** The disk: 1 when the mirror GPT header disagrees with the primary. */
  readonly badMirror: number;
  readonly ghost: number;
  readonly bug?: string;
}

// Ghost words.
/** 0 = not yet, 1 = storage info ready, 2 = ready with no device (the table was refused). */
export const BG_READY = 0;
/** Per script entry i: `BG_STATE + i`: 0 unsent, 1 outstanding, 2 answered. */
export const BG_STATE = 1;

export function blkScriptReq(script: readonly BlkScriptEntry[], id: number): BlkReq {
  const e = script[id - 1];
  assert(e !== undefined, `request id ${id} is in the script`);
  return { code: e.code, ioOrOffset: e.offset, blockNumber: e.block, count: e.count, id };
}

/** The spec's connection state, rebuilt from the ghost words (submission order = id order). */
function connectionOf(c: BlkModelConfig, ctx: PdContext): BlkConnectionState {
  let s: BlkConnectionState = { outstanding: new Map(), epoch: 0 };
  for (let id = 1; id <= c.script.length; id++) {
    const st = ctx.ghost(BG_STATE + id - 1);
    if (st === 0) break;
    const r = blkSubmit(s, blkScriptReq(c.script, id)).state;
    s =
      st === 2
        ? { outstanding: new Map([...r.outstanding].filter(([k]) => k !== id)), epoch: r.epoch }
        : r;
  }
  return s;
}

const C_RESP = 1;
const C_SUBMIT = 2;
const C_NOTIFY = 3;
const CL_SUBMITTED = 0;

/** The client: waits for ready, submits its script in order, checks every answer. */
export function blkModelClient(c: BlkModelConfig): ComponentProgram {
  return {
    name: 'client',
    steps: ['', 'collect.dequeue', 'submit.enqueue', 'submit.notify'],
    localWords: 1,
    initPc: PC_DONE,
    entry: () => C_RESP,
    step(pc, ctx) {
      const mem = ctx.mem;
      switch (pc) {
        case C_RESP: {
          const w = blkDequeue(mem, c.cResp);
          if (w === null) return C_SUBMIT;
          const id = w & 0xff;
          const status = (w >> 8) as BlkRespStatus;
          const known = id >= 1 && id <= c.script.length;
          const count = known ? c.script[id - 1]!.count : 0;
          const code = known ? c.script[id - 1]!.code : BlkReqCode.READ;
          const data = code === BlkReqCode.READ || code === BlkReqCode.WRITE;
          const r = blkComplete(connectionOf(c, ctx), {
            status,
            successCount: status === BlkRespStatus.OK && data ? count : 0,
            id,
          });
          if (r.problem !== null) ctx.fail('request-semantics', r.problem);
          else ctx.setGhost(BG_STATE + id - 1, 2);
          return C_RESP;
        }
        case C_SUBMIT: {
          if (ctx.ghost(BG_READY) !== 1) return C_NOTIFY;
          let next = 0;
          while (next < c.script.length && ctx.ghost(BG_STATE + next) !== 0) next++;
          if (next >= c.script.length) return C_NOTIFY;
          // The requester's contract (blk-peers.ts): unanswered requests ≤ the response capacity.
          let unanswered = 0;
          for (let i = 0; i < next; i++) if (ctx.ghost(BG_STATE + i) === 1) unanswered++;
          if (unanswered >= c.cResp.capacity) return C_NOTIFY;
          if (!blkEnqueue(mem, c.cReq, next + 1)) return C_NOTIFY;
          ctx.setGhost(BG_STATE + next, 1);
          ctx.setLocal(CL_SUBMITTED, 1);
          return C_SUBMIT;
        }
        case C_NOTIFY:
          if (ctx.local(CL_SUBMITTED) === 1) ctx.notify(0);
          ctx.setLocal(CL_SUBMITTED, 0);
          return PC_DONE;
        default:
          assert(false, `blk client: bad pc ${pc}`);
      }
    },
  };
}

// Virt locals: [0] initialised (0 no, 1 yes, 2 failed), [1] driver notify flag, [2] client
// notify flag, [3] in flight, [4..4+driverIds) reqsbk: client id + 1, or MBR_MARK, 0 = free.
const VL_INIT = 0;
const VL_DRV_NOTIFY = 1;
const VL_CLI_NOTIFY = 2;
const VL_IN_FLIGHT = 3;
const VL_TABLE = 4;
const MBR_MARK = 0xff;
const V_BOOT = 1;
const V_INIT = 2;
const V_DRV = 3;
const V_CLI = 4;
const V_NOTIFY = 5;
/** virt_partition_init entered from the client's channel (then handle_clients only). */
const V_INIT_CLIENT = 6;
/** The virt's channel to the driver is 0, to the client 1. */
export const VIRT_CH_DRIVER = 0;
export const VIRT_CH_CLIENT = 1;

const PRIMARY: GptHeader = {
  signature: 'EFI PART',
  revision: 0x10000,
  headerSize: 0x5c,
  crc32Header: 0,
  lbaHeader: 1n,
  lbaAltHeader: 8191n,
  guid: '11'.repeat(16),
  lbaStart: 2n,
  numEntries: 128,
  entrySize: 128,
  crc32EntryArray: 0x1234,
};

export function blkModelVirt(c: BlkModelConfig): ComponentProgram {
  const u6 = c.bug === 'U6';
  const noPartition: BlkVirtClientView = {
    ...c.client,
    partition: { startSector: 0n, sectors: 0n },
  };
  return {
    name: 'virt',
    steps: [
      '',
      'init.mbr_request',
      'virt_partition_init',
      'handle_driver',
      'handle_client',
      'notify',
      'virt_partition_init',
    ],
    localWords: VL_TABLE + c.driverIds,
    initPc: V_BOOT,
    entry: (ch) => (ch === VIRT_CH_DRIVER ? V_INIT : V_INIT_CLIENT),
    step(pc, ctx) {
      const mem = ctx.mem;
      const fromClient = pc === V_INIT_CLIENT;
      const then = (next: number): number => next;
      switch (pc) {
        case V_BOOT: {
          // mbr_request: id from the allocator (the first), READ block 0, deferred notify.
          ctx.setLocal(VL_TABLE, MBR_MARK);
          const ok = blkEnqueue(mem, c.dReq, 0 | (BlkReqCode.READ << 4));
          if (!ok) ctx.fail('no-assert-failure', 'the MBR request does not fit the driver queue');
          ctx.deferredNotify(VIRT_CH_DRIVER);
          return PC_DONE;
        }
        case V_INIT:
        case V_INIT_CLIENT: {
          if (ctx.local(VL_INIT) !== 0) return then(fromClient ? V_CLI : V_DRV);
          const w = blkDequeue(mem, c.dResp);
          if (w === null) {
            // F16 (before 04374d58): the virt goes on to post-init handling anyway.
            return c.bug === 'F16' ? then(fromClient ? V_CLI : V_DRV) : PC_DONE;
          }
          ctx.setLocal(VL_TABLE + (w & 0xff), 0); // ialloc_free
          const mirror: GptHeader =
            mem.load(c.badMirror) === 1 ? { ...PRIMARY, numEntries: 64 } : PRIMARY;
          const mirrorCopy = {
            ...mirror,
            lbaHeader: PRIMARY.lbaAltHeader,
            lbaAltHeader: PRIMARY.lbaHeader,
          };
          const bad = gptCompareHeaders(PRIMARY, mirrorCopy, c.bug === 'U9' ? { u9: true } : {});
          ctx.setLocal(VL_INIT, bad === null ? 1 : 2);
          ctx.setGhost(BG_READY, bad === null ? 1 : 2);
          ctx.notify(VIRT_CH_CLIENT); // storage info ready
          return then(fromClient ? V_CLI : V_DRV);
        }
        case V_DRV: {
          const w = blkDequeue(mem, c.dResp);
          if (w === null) return then(V_CLI);
          const d = w & 0xff;
          const status = w >> 8;
          const bk = ctx.local(VL_TABLE + d);
          ctx.setLocal(VL_TABLE + d, 0);
          // reqsbk of an id never bookkept (the MBR's) is zeros: client 0, request id 0.
          const cliId = bk === MBR_MARK || bk === 0 ? 0 : bk - 1;
          if (bk !== MBR_MARK && bk !== 0) ctx.setLocal(VL_IN_FLIGHT, ctx.local(VL_IN_FLIGHT) - 1);
          if (!blkEnqueue(mem, c.cResp, cliId | (status << 8)))
            ctx.fail('no-assert-failure', 'a response does not fit the client response queue');
          ctx.setLocal(VL_CLI_NOTIFY, 1);
          return then(V_DRV);
        }
        case V_CLI: {
          const inFlight = ctx.local(VL_IN_FLIGHT);
          const respLength = (mem.load(c.cResp.tail) - mem.load(c.cResp.head)) >>> 0;
          const admit = blkVirtAdmit({
            inFlight,
            waiting: 0,
            respLength,
            respCapacity: c.cResp.capacity,
          });
          let free = -1;
          for (let d = 0; d < c.driverIds && free < 0; d++)
            if (ctx.local(VL_TABLE + d) === 0) free = d;
          const dLen = (mem.load(c.dReq.tail) - mem.load(c.dReq.head)) >>> 0;
          if (!admit || free < 0 || dLen >= c.dReq.capacity) return then(V_NOTIFY);
          const id = blkDequeue(mem, c.cReq);
          if (id === null) return then(V_NOTIFY);
          const req = blkScriptReq(c.script, id);
          const view = ctx.local(VL_INIT) === 1 ? c.client : noPartition;
          const t =
            ctx.local(VL_INIT) === 2
              ? ({
                  kind: 'reject',
                  status: BlkRespStatus.ERR_NO_DEVICE,
                  reason: 'no device',
                } as const)
              : blkVirtTranslate(req, view, u6 ? { u6: true } : {});
          if (t.kind === 'reject') {
            if (!blkEnqueue(mem, c.cResp, id | (t.status << 8)))
              ctx.fail('no-assert-failure', 'a rejection does not fit the client response queue');
            ctx.setLocal(VL_CLI_NOTIFY, 1);
            return then(V_CLI);
          }
          const problem = blkForwardProblem(t, view);
          if (problem !== null) ctx.fail('address-domain', problem);
          ctx.setLocal(VL_TABLE + free, id + 1);
          ctx.setLocal(VL_IN_FLIGHT, inFlight + 1);
          blkEnqueue(mem, c.dReq, free | (req.code << 4));
          ctx.setLocal(VL_DRV_NOTIFY, 1);
          return then(V_CLI);
        }
        case V_NOTIFY:
          if (ctx.local(VL_CLI_NOTIFY) === 1) ctx.notify(VIRT_CH_CLIENT);
          if (ctx.local(VL_DRV_NOTIFY) === 1) ctx.notify(VIRT_CH_DRIVER);
          ctx.setLocal(VL_CLI_NOTIFY, 0);
          ctx.setLocal(VL_DRV_NOTIFY, 0);
          return PC_DONE;
        default:
          assert(false, `blk virt: bad pc ${pc}`);
      }
    },
  };
}

const D_TAKE = 1;
const D_ANSWER = 2;
/** The driver's channel to the virt is 0; the device completion (its IRQ) arrives on 1. */
export const DRIVER_CH_VIRT = 0;
export const DRIVER_CH_IRQ = 1;

export function blkModelDriver(c: BlkModelConfig): ComponentProgram {
  const slots = c.driverIds;
  return {
    name: 'driver',
    steps: ['', 'handle_request.take', 'handle_irq.answer'],
    localWords: 0,
    initPc: PC_DONE,
    entry: (ch) => (ch === DRIVER_CH_IRQ ? D_ANSWER : D_TAKE),
    step(pc, ctx) {
      const mem = ctx.mem;
      switch (pc) {
        case D_TAKE: {
          let k = 0;
          while (k < slots && mem.load(c.held + k) !== 0) k++;
          if (k >= slots) return PC_DONE;
          const w = blkDequeue(mem, c.dReq);
          if (w === null) return PC_DONE;
          mem.store(c.held + k, w + 1);
          return D_TAKE;
        }
        case D_ANSWER: {
          let any = false;
          // Answer in held order; compact the held list.
          const keep: number[] = [];
          for (let k = 0; k < slots; k++) {
            const h = mem.load(c.held + k);
            if (h === 0) continue;
            if (mem.load(c.done + k) === 1) {
              const d = (h - 1) & 0xf;
              if (!blkEnqueue(mem, c.dResp, d | (BlkRespStatus.OK << 8)))
                ctx.fail('no-assert-failure', 'a response does not fit the driver response queue');
              any = true;
            } else keep.push(h);
          }
          for (let k = 0; k < slots; k++) {
            mem.store(c.held + k, keep[k] ?? 0);
            mem.store(c.done + k, 0);
          }
          if (any) ctx.notify(DRIVER_CH_VIRT);
          return PC_DONE;
        }
        default:
          assert(false, `blk driver: bad pc ${pc}`);
      }
    },
  };
}

/**
 * May the device complete held slot `k` now? The fixed driver keeps order across a barrier: a
 * BARRIER only when nothing is held before it, anything else only when no BARRIER is held before
 * it. `blk-barrier` (upstream block.c) answers a barrier at once, whatever is held.
 */
export function blkModelMayComplete(held: readonly number[], k: number, bug?: string): boolean {
  const h = held[k] ?? 0;
  if (h === 0) return false;
  const code = (h - 1) >> 4;
  const before = held.slice(0, k).filter((x) => x !== 0);
  if (code === BlkReqCode.BARRIER) return bug === 'blk-barrier' || before.length === 0;
  return !before.some((x) => (x - 1) >> 4 === BlkReqCode.BARRIER);
}
