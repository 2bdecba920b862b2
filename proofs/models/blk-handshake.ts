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
import { ringLength } from '../../spec/queue/ring.ts';
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
  },
  {
    id: 'F17',
    description:
      'blk queue.h before b36e5eea: full is tail - head + 1 == capacity, so a queue sized for every request holds one fewer and the asserted response enqueue fails',
    expectedProperty: 'no-assert-failure',
  },
  {
    id: 'F21',
    bounds: { hostile: 1 },
    description:
      "blk queue.h before 193fb6f6: the full check reads the queue size from shared memory; a client that shrinks it makes the trusted server's asserted response enqueue fail (a crash the client causes)",
    expectedProperty: 'no-assert-failure',
  },
  {
    id: 'U8',
    bounds: { capacity: 3, requests: 3, indexBase: 0xffff_fffe },
    description:
      'blk driver queue capacity = the sum of client capacities (not a power of two): across the u32 wrap `% capacity` maps two live indices to one slot',
    expectedProperty: 'fifo',
    fixedBounds: { capacity: 4 },
  },
];

export const blkHandshakeEntry: ModelEntry = {
  name: 'blk-handshake',
  description: 'block request/response queues, always-notify (no flags), u32 indices',
  defaultBounds: { capacity: 2, requests: 4, indexBase: 0, hostile: 0 },
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
  },
  bugs: blkHandshakeBugs,
  build: (opts) => buildBlkHandshake(opts).ts,
};

export function buildBlkHandshake(opts: ModelOptions): BuiltSystem {
  const extra = blkHandshakeBugs.find((v) => v.id === opts.bug)?.bounds ?? {};
  const bounds = effectiveBounds(opts, blkHandshakeEntry.defaultBounds, extra);
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
  // so that only F21 shows).
  const flavour: BlkQueueFlavour = {
    fullCheck: opts.bug === 'F17' ? 'wasted-slot' : 'corrected',
    ...(opts.bug === 'F21' ? { sharedSize: true } : {}),
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
