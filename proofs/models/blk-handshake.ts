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
import { BLK_FLAVOUR_HEAD, blkBoundsProblem, type BlkQueueRef } from '../../spec/queue/blk.ts';
import { INDEX_ACQUIRE_BY_BOUND, ringLength } from '../../spec/queue/ring.ts';
import { Layout } from './layout.ts';
import { buildSystem, type BuiltSystem } from './runtime.ts';
import type { BugVariant, ModelEntry, ModelOptions } from './types.ts';
import { boundOf, validateBounds } from './common.ts';

export const blkHandshakeBugs: readonly BugVariant[] = [
  {
    id: 'U7',
    description:
      'blk virt bounds requests in flight by its allocator, not by the client response capacity: a response does not fit',
    expectedProperty: 'no-assert-failure',
  },
];

export const blkHandshakeEntry: ModelEntry = {
  name: 'blk-handshake',
  description: 'block request/response queues, always-notify (no flags), u32 indices',
  defaultBounds: { capacity: 2, requests: 4, acquire: 0 },
  boundRanges: {
    capacity: { min: 1, max: 16, doc: 'capacity of the request and the response queue' },
    requests: { min: 0, max: 16, doc: 'requests the client makes' },
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
  validateBounds(blkHandshakeEntry, opts.bounds);
  const b = (k: string) => boundOf(opts, blkHandshakeEntry.defaultBounds, k);
  const capacity = b('capacity');
  const requests = b('requests');
  const layout = new Layout();
  const queue = (name: string): BlkQueueRef => ({
    name,
    head: layout.alloc(`${name}.head`),
    tail: layout.alloc(`${name}.tail`),
    slots: layout.alloc(`${name}.buffers`, capacity),
    capacity,
  });
  const req = queue('req');
  const resp = queue('resp');
  const ghostBase = layout.alloc('ghost', BLK_GHOSTS);
  const cfg = {
    req,
    resp,
    flavour: { ...BLK_FLAVOUR_HEAD, acquire: INDEX_ACQUIRE_BY_BOUND[b('acquire')]! },
    requests,
    inFlightLimit: opts.bug === 'U7' ? 2 * capacity : capacity,
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
    init: () => undefined,
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
