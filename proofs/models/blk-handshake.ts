// `blk-handshake`: block request/response queues between a client and its server (reference
// §2.3). No flags: both sides always notify after enqueuing, so there is no handshake to lose —
// the model checks that this stays true under TSO and the Arm-like model, and U7.
import type { State } from '../../spec/common/transition.ts';
import {
  BG_COMPLETED,
  BG_SUBMITTED,
  BG_WANTED,
  BLK_GHOSTS,
  blkRequester,
  blkServer,
} from '../../spec/components/blk-peers.ts';
import { blkBoundsProblem, type BlkQueueFlavour, type BlkQueueRef } from '../../spec/queue/blk.ts';
import { INDEX_ACQUIRE_BY_BOUND, ringLength } from '../../spec/queue/ring.ts';
import { Layout } from './layout.ts';
import { buildSystem, type BuiltSystem } from './runtime.ts';
import type { BugVariant, ModelEntry, ModelOptions } from './types.ts';
import { boundOf, effectiveBounds, validateBounds } from './common.ts';

export const blkHandshakeBugs: readonly BugVariant[] = [
  {
    id: 'U7',
    description:
      'blk virt bounds requests in flight by its allocator, not by the client response capacity: a response does not fit',
    expectedProperty: 'no-assert-failure',
    upstream: [
      {
        commit: '650ace5d',
        file: 'blk/components/virt.c',
        before:
          '106-110 (handle_driver: "Response queue should never be full…", blk_enqueue_resp asserted)',
        after:
          'unconfirmed upstream (PR #248 review); the fixed run bounds in flight by the response capacity',
      },
    ],
    modelled: 'a server whose in-flight bound is twice the response queue',
    notModelled: 'ialloc, the driver behind the virt, partitions',
  },
  {
    id: 'F17',
    description:
      'blk queue.h before b36e5eea: full is tail - head + 1 == capacity, so a queue sized for every request holds one fewer and the asserted response enqueue fails',
    expectedProperty: 'no-assert-failure',
    upstream: [
      {
        commit: 'b36e5eea',
        file: 'include/sddf/blk/queue.h',
        before: '126-129, 138-141 (blk_queue_full_req/resp: `tail - head + 1 == capacity`)',
        after: '126-129, 138-141 (`tail - head == capacity`)',
      },
    ],
    modelled:
      'the full test of both queues; a requester that keeps up to `capacity` requests in flight',
    notModelled: 'blk virt and driver: the requester and server are abstract',
  },
  {
    id: 'F21',
    bounds: { hostile: 1 },
    description:
      "blk queue.h before 193fb6f6: the full check reads the queue size from shared memory; a client that shrinks it makes the trusted server's asserted response enqueue fail (a crash the client causes)",
    expectedProperty: 'no-assert-failure',
    upstream: [
      {
        commit: '193fb6f6',
        file: 'include/sddf/blk/queue.h',
        before:
          '133-136, 145-148 (blk_req/resp_queue_full: `… + 1 == h->req_queue->size`, size in the shared struct)',
        after: '135-138, 147-150 (`… == h->queue_size`, the private handle)',
      },
    ],
    modelled:
      "the size read from the shared word, a client that writes it; b36e5eea's full test, so that only F21 shows",
    notModelled:
      'the head/tail naming of that revision (swapped consistently, renamed in 696c1876: no behaviour)',
  },
  {
    id: 'U8',
    bounds: { capacity: 3, requests: 3, indexBase: 0xffff_fffe },
    description:
      'blk driver queue capacity = the sum of client capacities (not a power of two): across the u32 wrap `% capacity` maps two live indices to one slot',
    expectedProperty: 'fifo',
    fixedBounds: { capacity: 4 },
    upstream: [
      {
        commit: '650ace5d',
        file: 'include/sddf/blk/queue.h',
        before:
          '190, 226, 259 (slot `index % h->capacity` with a capacity sdfgen sets to Σ client capacities)',
        after: 'unconfirmed upstream; fixed run: a power-of-two capacity',
      },
    ],
    modelled: 'a capacity of 3 and indices that start two below 2^32',
    notModelled: 'sdfgen itself (au-ts/microkit_sdf_gen 5fc65101 src/sddf/blk.zig)',
  },
];

export const blkHandshakeEntry: ModelEntry = {
  name: 'blk-handshake',
  description: 'block request/response queues, always-notify (no flags), u32 indices',
  defaultBounds: { capacity: 2, requests: 4, indexBase: 0, hostile: 0, acquire: 0 },
  boundRanges: {
    capacity: {
      min: 1,
      max: 16,
      doc: 'capacity of the request and the response queue (any; sdfgen sums client capacities)',
    },
    requests: { min: 0, max: 16, doc: 'requests the client makes' },
    indexBase: {
      min: 0,
      max: 0xffff_ffff,
      doc: 'initial u32 tail = head of both queues (0xfffffffe: the wrap is reached)',
    },
    hostile: {
      min: 0,
      max: 1,
      doc: "1 = the client writes the response queue's shared size word (F21's threat)",
    },
    acquire: {
      min: 0,
      max: 2,
      doc: '0 = HEAD (plain index loads), 1 = acquire on the consumer tail load, 2 = on both sides',
    },
  },
  bugs: blkHandshakeBugs,
  build: (opts) => buildBlkHandshake(opts).ts,
};

export function buildBlkHandshake(opts: ModelOptions): BuiltSystem {
  const extra = blkHandshakeBugs.find((v) => v.id === opts.bug)?.bounds ?? {};
  const bounds = effectiveBounds(opts.bounds, blkHandshakeEntry.defaultBounds, extra);
  validateBounds(blkHandshakeEntry, bounds);
  const b = (k: string) => boundOf({ ...opts, bounds }, blkHandshakeEntry.defaultBounds, k);
  const capacity = b('capacity');
  const requests = b('requests');
  const base = b('indexBase');
  const layout = new Layout();
  const queue = (name: string): BlkQueueRef => ({
    name,
    head: layout.alloc(`${name}.head`),
    tail: layout.alloc(`${name}.tail`),
    slots: layout.alloc(`${name}.buffers`, capacity),
    capacity,
    size: layout.alloc(`${name}.size`),
  });
  const req = queue('req');
  const resp = queue('resp');
  const ghostBase = layout.alloc('ghost', BLK_GHOSTS);
  // F17: the wasted-slot full test; F21: the size from shared memory (with b36e5eea's full test,
  // so that only F21 shows); the acquire bound: docs/weak-memory.md.
  const flavour: BlkQueueFlavour = {
    fullCheck: opts.bug === 'F17' ? 'wasted-slot' : 'corrected',
    ...(opts.bug === 'F21' ? { sharedSize: true } : {}),
    acquire: INDEX_ACQUIRE_BY_BOUND[b('acquire')]!,
  };
  const cfg = {
    req,
    resp,
    requests,
    inFlightLimit: opts.bug === 'U7' ? 2 * capacity : capacity,
    flavour,
    // The hostile client shrinks the shared size to 1 (a growing size needs more requests in
    // flight than the client may have; shrinking needs none).
    ...(b('hostile') === 1 ? { hostileSize: 1 } : {}),
  };
  const g = (s: State, i: number) => s[ghostBase + i] ?? 0;
  const len = (s: State, q: BlkQueueRef) =>
    ringLength(32, { tail: s[q.tail] ?? 0, head: s[q.head] ?? 0 });
  return buildSystem({
    ...(opts.splitLocalSteps === true ? { splitLocalSteps: true } : {}),
    name: 'blk-handshake',
    layout,
    memoryModel: opts.memoryModel,
    scheduling: 'any',
    pds: [
      {
        name: 'client',
        program: blkRequester(cfg),
        priority: 1,
        channels: { 0: { pd: 'server', ch: 0 } },
      },
      {
        name: 'server',
        program: blkServer(cfg),
        priority: 2,
        channels: { 0: { pd: 'client', ch: 0 } },
      },
    ],
    devices: [
      {
        name: 'app',
        actions: [
          {
            name: 'submit_request',
            touches: 'client',
            run: (s, io) => {
              if (g(s, BG_WANTED) >= requests) return false;
              s[ghostBase + BG_WANTED] = g(s, BG_WANTED) + 1;
              io.signal('client', 1);
              return true;
            },
          },
        ],
      },
    ],
    ghostBase,
    ghostWords: BLK_GHOSTS,
    init: (s) => {
      for (const q of [req, resp]) {
        s[q.head] = base;
        s[q.tail] = base;
        s[q.size!] = capacity; // blk_queue_init wrote the size into the shared struct (pre-193fb6f6)
      }
    },
    invariants: [
      {
        name: 'queue-capacity',
        check: (s) =>
          blkBoundsProblem((a) => s[a] ?? 0, req) ?? blkBoundsProblem((a) => s[a] ?? 0, resp),
      },
    ],
    stranded: (s) => {
      if (len(s, req) > 0)
        return `lost wakeup: req holds ${len(s, req)} request(s), server blocked`;
      if (len(s, resp) > 0)
        return `lost wakeup: resp holds ${len(s, resp)} response(s), client blocked`;
      if (g(s, BG_COMPLETED) < requests) {
        return `stall: ${requests - g(s, BG_COMPLETED)} request(s) never completed (${g(s, BG_SUBMITTED)} submitted)`;
      }
      return null;
    },
    goal: (s) => g(s, BG_COMPLETED) >= requests,
  });
}
