// A block client that writes, reads back and verifies (issue #13 part 1; the shape of sDDF's
// examples/blk client): it waits until its storage info is ready, then runs rounds. A round writes
// a seeded pattern to distinct random blocks of its partition, puts a BARRIER after the writes,
// reads the same blocks into other buffers, FLUSHes, and when every answer is in, compares what
// it read with what it wrote. A buffer is never touched while a request on it is outstanding (the
// device owns it, spec/components/blk/requests.ts).
//
// Restart: a restarted client does not know which requests its previous instance left in flight,
// but the queues do: `req.tail - resp.head` answers are still owed to it. It discards that many
// before it reuses any buffer (each owed answer still owns a buffer until it arrives).

import { assert } from '../../../spec/common/assert.ts';
import {
  BLK_TRANSFER_SIZE_BYTES,
  BlkReqCode,
  BlkRespStatus,
  type BlkReq,
  type BlkResp,
} from '../../../spec/queue/blk.ts';
import { U32 } from '../../../spec/queue/arith.ts';
import {
  openBlkConnection,
  readStorageInfo,
  type BlkClientConfig,
} from '../../components/blk/config.ts';
import type { BlkQueueHandle } from '../../queue/blk.ts';
import type { Component, ComponentContext, MicrokitApi } from '../../runtime/api.ts';
import { Prng } from '../../runtime/prng.ts';

export interface BlkClientParams {
  readonly config: BlkClientConfig;
  /** Rounds to run (each: writes, barrier, reads, flush, verify). */
  readonly rounds: number;
  /** Writes per round (bounded by the queue capacity and the data region). */
  readonly window: number;
  readonly seed: number;
  /** Deterministic runs: every submitted request and every answer, for the durability check. */
  readonly journal?: (e: BlkJournalEntry) => void;
  readonly probe?: (c: BlkClient) => void;
}

export type BlkJournalEntry =
  | { readonly kind: 'submit'; readonly req: BlkReq; readonly data?: Uint8Array }
  | {
      readonly kind: 'answer';
      readonly req: BlkReq;
      readonly resp: BlkResp;
      readonly data?: Uint8Array;
    }
  /** An answer owed to an earlier instance, discarded after a restart. */
  | { readonly kind: 'stale'; readonly resp: BlkResp };

export interface BlkClientStats {
  rounds: number;
  writes: number;
  reads: number;
  barriers: number;
  flushes: number;
  verifiedBlocks: number;
  mismatches: number;
  errors: number;
  staleDiscarded: number;
  unexpected: number;
}

export function blkClient(ctx: ComponentContext): Component {
  const p = ctx.params as unknown as BlkClientParams;
  const c = new BlkClient(ctx.api, p, ctx.restarts ?? 0);
  p.probe?.(c);
  return { init: () => c.step(), notified: () => c.step() };
}

/** The bytes a write of `block` carries in round `round` of generation `gen`. */
export function blkPattern(seed: number, gen: number, round: number, block: bigint): Uint8Array {
  const out = new Uint8Array(BLK_TRANSFER_SIZE_BYTES);
  const v = new DataView(out.buffer);
  let x =
    (seed ^
      Math.imul(gen + 1, 0x9e3779b1) ^
      Math.imul(round + 1, 0x85ebca6b) ^
      Number(block & 0xffff_ffffn)) >>>
    0;
  for (let i = 0; i < out.length; i += 4) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    v.setUint32(i, x >>> 0, true);
  }
  return out;
}

interface Pending {
  readonly req: BlkReq;
  /** For a READ: the block it reads and the pattern it must find. */
  readonly expect?: Uint8Array;
}

export class BlkClient {
  readonly stats: BlkClientStats = {
    rounds: 0,
    writes: 0,
    reads: 0,
    barriers: 0,
    flushes: 0,
    verifiedBlocks: 0,
    mismatches: 0,
    errors: 0,
    staleDiscarded: 0,
    unexpected: 0,
  };
  /** Capacity published in the storage info, in blocks (0 until ready). */
  capacityBlocks = 0n;
  /** The storage info said ready. */
  ready = false;
  done = false;
  private readonly q: BlkQueueHandle;
  private readonly rng: Prng;
  private readonly pending = new Map<number, Pending>();
  private toSubmit: Pending[] = [];
  private owed: number;
  private nextId = 0;
  private round = 0;
  private readonly buffers: number;

  constructor(
    private readonly api: MicrokitApi,
    private readonly p: BlkClientParams,
    private readonly gen: number,
  ) {
    this.q = openBlkConnection(api, p.config.conn);
    this.rng = Prng.fromSeed((p.seed ^ Math.imul(gen, 0x27d4eb2d)) >>> 0);
    this.buffers = Math.floor(p.config.data.sizeBytes / BLK_TRANSFER_SIZE_BYTES);
    // Answers owed to an earlier instance (0 at boot): tail of our request queue minus the head
    // of our response queue, both u32 words in shared memory (head @0, tail @4).
    const reqTail = api.mem.read32(p.config.conn.req.vaddr + 4);
    const respHead = api.mem.read32(p.config.conn.resp.vaddr);
    this.owed = U32.sub(reqTail, respHead);
    assert(this.owed <= this.q.capacity * 2, 'owed answers are bounded by the queues');
    // Ids of this generation are distinct from every earlier one's.
    this.nextId = (gen << 20) >>> 0;
  }

  get inFlight(): number {
    return this.pending.size;
  }

  step(): void {
    this.collect();
    if (this.done) return;
    if (!this.ready) {
      const info = readStorageInfo(this.api, this.p.config.conn.storageInfo);
      if (!info.ready) return; // the virt notifies when it is
      this.ready = true;
      this.capacityBlocks = info.capacity;
      if (info.capacity === 0n) {
        // No device (the virt refused the partition table): one request shows the error.
        this.toSubmit.push({ req: this.req(BlkReqCode.READ, 0n, 0) });
      }
    }
    if (this.owed > 0) return;
    if (this.pending.size === 0 && this.toSubmit.length === 0) {
      if (this.round >= this.p.rounds || this.capacityBlocks === 0n) {
        this.done = true;
        return;
      }
      this.plan();
    }
    this.submit();
  }

  private req(code: BlkReqCode, block: bigint, buffer: number, count = 1): BlkReq {
    const id = this.nextId;
    this.nextId = (this.nextId + 1) >>> 0;
    return {
      code,
      ioOrOffset: BigInt(buffer * BLK_TRANSFER_SIZE_BYTES),
      blockNumber: block,
      count,
      id,
    };
  }

  /** One round: writes, BARRIER, reads of the same blocks, FLUSH. */
  private plan(): void {
    const n = Math.max(
      1,
      Math.min(this.p.window, Math.floor(this.buffers / 2), Number(this.capacityBlocks)),
    );
    const blocks = new Set<bigint>();
    const cap = this.capacityBlocks;
    for (let tries = 0; blocks.size < n && tries < 8 * n; tries++) {
      const hi = BigInt(this.rng.nextU32());
      const lo = BigInt(this.rng.nextU32());
      blocks.add(((hi << 32n) | lo) % cap);
    }
    const list = [...blocks];
    const r = this.round++;
    const writes: Pending[] = list.map((b, i) => {
      const data = blkPattern(this.p.seed, this.gen, r, b);
      return { req: this.req(BlkReqCode.WRITE, b, i), expect: data };
    });
    const reads: Pending[] = list.map((b, i) => ({
      req: this.req(BlkReqCode.READ, b, n + i),
      expect: blkPattern(this.p.seed, this.gen, r, b),
    }));
    this.toSubmit = [
      ...writes,
      { req: this.req(BlkReqCode.BARRIER, 0n, 0, 0) },
      ...reads,
      { req: this.req(BlkReqCode.FLUSH, 0n, 0, 0) },
    ];
    this.stats.rounds++;
  }

  private submit(): void {
    const data = this.p.config.data;
    let any = false;
    while (this.toSubmit.length > 0 && this.pending.size < this.q.capacity && !this.q.req.full()) {
      const x = this.toSubmit.shift()!;
      const r = x.req;
      let written: Uint8Array | undefined;
      if (r.code === BlkReqCode.WRITE && x.expect !== undefined) {
        this.api.mem.writeBytes(data.vaddr + Number(r.ioOrOffset), x.expect);
        written = x.expect;
        this.stats.writes++;
      } else if (r.code === BlkReqCode.READ) {
        // Poison the buffer: a read that does not land is seen.
        this.api.mem.writeBytes(
          data.vaddr + Number(r.ioOrOffset),
          new Uint8Array(BLK_TRANSFER_SIZE_BYTES).fill(0xa5),
        );
        this.stats.reads++;
      } else if (r.code === BlkReqCode.BARRIER) this.stats.barriers++;
      else if (r.code === BlkReqCode.FLUSH) this.stats.flushes++;
      const ok = this.q.req.enqueue(r);
      assert(ok, 'the request queue had room (checked above)');
      this.pending.set(r.id, x);
      this.p.journal?.({
        kind: 'submit',
        req: r,
        ...(written === undefined ? {} : { data: written }),
      });
      any = true;
    }
    if (any) this.api.notify(this.p.config.conn.id);
  }

  private collect(): void {
    for (let r = this.q.resp.dequeue(); r !== null; r = this.q.resp.dequeue()) {
      if (this.owed > 0) {
        this.owed--;
        this.stats.staleDiscarded++;
        this.p.journal?.({ kind: 'stale', resp: r });
        continue;
      }
      const x = this.pending.get(r.id);
      if (x === undefined) {
        this.stats.unexpected++;
        continue;
      }
      this.pending.delete(r.id);
      let read: Uint8Array | undefined;
      if (r.status !== BlkRespStatus.OK) this.stats.errors++;
      else if (x.req.code === BlkReqCode.READ && x.expect !== undefined) {
        read = this.api.mem.readBytes(
          this.p.config.data.vaddr + Number(x.req.ioOrOffset),
          BLK_TRANSFER_SIZE_BYTES,
        );
        if (equal(read, x.expect)) this.stats.verifiedBlocks++;
        else this.stats.mismatches++;
      }
      this.p.journal?.({
        kind: 'answer',
        req: x.req,
        resp: r,
        ...(x.req.code === BlkReqCode.WRITE && x.expect !== undefined ? { data: x.expect } : {}),
      });
    }
  }
}

function equal(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
