// Block request semantics at one queue connection, once (reference sddf-protocols.md §2.3
// "Design semantics" [doc]; sDDF design doc §Storage): what a requester may rely on.
//  - Each request is answered exactly once, with the id the requester chose; answers may come in
//    any order.
//  - A buffer belongs to the device from the request until its answer: the requester does not
//    touch it, and two outstanding requests never share a buffer byte.
//  - BARRIER: every request before it is answered before the barrier is, and no request after it
//    is answered before the barrier is (so nothing is reordered across it).
//  - FLUSH: every WRITE answered OK before the flush is answered is durable when it is answered.
//    (Durability is checked against the disk image by impl tests; here only the order.)
// `BlkConnectionSpec` is a pure state machine over these events; its `problem` strings are the
// violations. The driver and the virt are each checked as the server of such a connection.
import {
  BLK_TRANSFER_SIZE_BYTES,
  BlkReqCode,
  BlkRespStatus,
  type BlkReq,
  type BlkResp,
} from '../../queue/blk.ts';

interface Outstanding {
  readonly req: BlkReq;
  /** Index of the barrier epoch it was submitted in (number of barriers before it). */
  readonly epoch: number;
}

export interface BlkConnectionState {
  readonly outstanding: ReadonlyMap<number, Outstanding>;
  /** Barriers submitted so far. */
  readonly epoch: number;
}

export function blkConnectionInitial(): BlkConnectionState {
  return { outstanding: new Map(), epoch: 0 };
}

function overlaps(a: BlkReq, b: BlkReq): boolean {
  const span = (r: BlkReq): [bigint, bigint] =>
    r.code === BlkReqCode.READ || r.code === BlkReqCode.WRITE
      ? [r.ioOrOffset, r.ioOrOffset + BigInt(BLK_TRANSFER_SIZE_BYTES * r.count)]
      : [0n, 0n];
  const [a0, a1] = span(a);
  const [b0, b1] = span(b);
  return a0 < b1 && b0 < a1;
}

/** The requester submits `req`: its id is not outstanding and its buffer is not the device's. */
export function blkSubmit(
  s: BlkConnectionState,
  req: BlkReq,
): { state: BlkConnectionState; problem: string | null } {
  if (s.outstanding.has(req.id))
    return { state: s, problem: `request id ${req.id} submitted while outstanding` };
  for (const o of s.outstanding.values()) {
    if (overlaps(o.req, req)) {
      return {
        state: s,
        problem: `request ${req.id}'s buffer overlaps request ${o.req.id}'s, which the device owns`,
      };
    }
  }
  const outstanding = new Map(s.outstanding);
  const epoch = s.epoch + (req.code === BlkReqCode.BARRIER ? 1 : 0);
  // A request's epoch is the number of barriers before it; barrier k (0-based) gets epoch k.
  outstanding.set(req.id, { req, epoch: s.epoch });
  return { state: { outstanding, epoch }, problem: null };
}

/** The server answers `resp`: an outstanding id, and nothing across a barrier. */
export function blkComplete(
  s: BlkConnectionState,
  resp: BlkResp,
): { state: BlkConnectionState; problem: string | null; req: BlkReq | null } {
  const o = s.outstanding.get(resp.id);
  if (o === undefined)
    return { state: s, problem: `response for id ${resp.id}, which is not outstanding`, req: null };
  const isBarrier = o.req.code === BlkReqCode.BARRIER;
  for (const other of s.outstanding.values()) {
    if (other.req.id === resp.id) continue;
    const otherBarrier = other.req.code === BlkReqCode.BARRIER;
    // Barrier k sits between epochs k and k+1. A request of epoch e waits for barriers < e; barrier
    // k waits for every request of epochs <= k and for barriers < k.
    const mustWait = isBarrier
      ? otherBarrier
        ? other.epoch < o.epoch
        : other.epoch <= o.epoch
      : otherBarrier && other.epoch < o.epoch;
    if (mustWait) {
      return {
        state: s,
        problem: `response for ${resp.id} overtakes request ${other.req.id} across a barrier`,
        req: o.req,
      };
    }
  }
  if (
    resp.status === BlkRespStatus.OK &&
    (o.req.code === BlkReqCode.READ || o.req.code === BlkReqCode.WRITE) &&
    resp.successCount !== o.req.count
  ) {
    return {
      state: s,
      problem: `response for ${resp.id} is OK with ${resp.successCount} of ${o.req.count} blocks`,
      req: o.req,
    };
  }
  const outstanding = new Map(s.outstanding);
  outstanding.delete(resp.id);
  return { state: { outstanding, epoch: s.epoch }, problem: null, req: o.req };
}
