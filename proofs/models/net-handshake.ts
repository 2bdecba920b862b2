// `net-handshake`: one network queue pair between an abstract producer and consumer (reference
// §2.1–2.2), under SC, TSO or the Arm-like model. The model of upstream shared/bench/spsc.pml,
// but with the exact u16 indices, the flag polarity and the fence placement of queue.h.
import type { State } from '../../spec/common/transition.ts';
import { isPowerOfTwo, u16 } from '../../spec/common/int.ts';
import { netNoBufferTwiceProblem } from '../../spec/components/net/invariants.ts';
import {
  netBoundsProblem,
  netLengthIn,
  netLiveDescriptors,
  netOrderingFlavour,
  NET_FLAVOUR_HEAD,
  type NetQueueFlavour,
  type NetQueueRef,
} from '../../spec/queue/net.ts';
import {
  NET_BUFFER_SIZE,
  G_DROPPED,
  G_RECEIVED,
  G_REQUESTED,
  G_SENT,
  PEER_GHOSTS,
  netConsumer,
  netProducer,
} from '../../spec/components/net-peers.ts';
import { Layout } from './layout.ts';
import { buildSystem } from './runtime.ts';
import type { BugVariant, ModelEntry, ModelOptions } from './types.ts';
import { allocNetQueue, boundOf, validateBounds } from './common.ts';

export const netHandshakeBugs: readonly BugVariant[] = [
  {
    id: 'O1',
    description:
      'net queue at HEAD: release fences only, no seq_cst fence between request_signal and the re-check load, nor before require_signal: store-buffering lost wakeup (§2.2)',
    expectedProperty: 'no-lost-wakeup',
    memoryModel: 'tso',
    bounds: { fences: 0 },
    fixedBounds: { fences: 1 },
  },
  {
    id: 'F2',
    description:
      'pre-2023 signalling: the consumer arms its signal without re-checking the queue (lost wakeup)',
    expectedProperty: 'no-lost-wakeup',
  },
  {
    id: 'F17',
    description:
      'old full test tail+1-head == capacity with net_buffers_init filling the whole queue',
    expectedProperty: 'no-assert-failure',
  },
  {
    id: 'U1',
    description:
      "full test evaluated in C int across the u16 wrap: an untrusted producer's duplicate (O2) overwrites a live slot",
    expectedProperty: 'no-overwrite',
  },
];

export const netHandshakeEntry: ModelEntry = {
  name: 'net-handshake',
  description:
    'net queue pair: producer/consumer signalling handshake with u16 indices near the wrap',
  defaultBounds: { capacity: 2, items: 3, fences: 0, acquire: 0, indexBase: 65534, untrusted: 0 },
  boundRanges: {
    capacity: { min: 1, max: 16, doc: 'queue capacity = buffers, a power of two' },
    items: { min: 0, max: 16, doc: 'items the application asks the producer to send' },
    fences: {
      min: 0,
      max: 3,
      doc: '0 = HEAD (release only), 1 = seq_cst fences, 2 = seq_cst in request only, 3 = in require only',
    },
    acquire: {
      min: 0,
      max: 2,
      doc: '0 = HEAD (plain index loads), 1 = acquire on the consumer tail load, 2 = on both sides',
    },
    indexBase: { min: 0, max: 0xffff, doc: 'initial u16 tail = head (65534: the wrap is reached)' },
    untrusted: { min: 0, max: 1, doc: '1 = the producer publishes one duplicate (O2)' },
  },
  crossCheck: (bounds) => {
    const cap = bounds['capacity'] ?? 0;
    return isPowerOfTwo(cap) ? null : `bound capacity must be a power of two; got ${cap}`;
  },
  bugs: netHandshakeBugs,
  build: (opts) => buildNetHandshake(opts).ts,
};

export function buildNetHandshake(opts: ModelOptions) {
  const bug = opts.bug;
  validateBounds(netHandshakeEntry, opts.bounds);
  const b = (k: string) => boundOf(opts, netHandshakeEntry.defaultBounds, k);
  const capacity = b('capacity');
  const items = b('items');
  const untrusted = bug === 'U1' || b('untrusted') === 1;
  const flavour: NetQueueFlavour = netOrderingFlavour(
    { fences: bug === 'O1' ? 0 : b('fences'), acquire: b('acquire') },
    {
      ...NET_FLAVOUR_HEAD,
      fullCheck: bug === 'U1' ? 'int-promoted' : bug === 'F17' ? 'wasted-slot' : 'corrected',
    },
  );
  const layout = new Layout();
  const free = allocNetQueue(layout, 'free', capacity);
  const active = allocNetQueue(layout, 'active', capacity);
  const data = layout.alloc('data', capacity);
  const ghostBase = layout.alloc('ghost', PEER_GHOSTS);
  const base = u16(b('indexBase'));
  const cfg = {
    free,
    active,
    flavour,
    data,
    buffers: capacity,
    items,
    peerCh: 0,
    untrusted,
    noRecheck: bug === 'F2',
  };
  const g = (s: State, i: number) => s[ghostBase + i] ?? 0;
  const read = (s: State) => (a: number) => s[a] ?? 0;
  const queues: NetQueueRef[] = [free, active];
  const sys = buildSystem({
    ...(opts.splitLocalSteps === true ? { splitLocalSteps: true } : {}),
    name: 'net-handshake',
    layout,
    memoryModel: opts.memoryModel,
    scheduling: 'any',
    pds: [
      {
        name: 'producer',
        program: netProducer(cfg),
        priority: 1,
        channels: { 0: { pd: 'consumer', ch: 0 } },
      },
      {
        name: 'consumer',
        program: netConsumer(cfg),
        priority: 2,
        channels: { 0: { pd: 'producer', ch: 0 } },
      },
    ],
    devices: [
      {
        name: 'app',
        actions: [
          {
            name: 'send_request',
            touches: 'producer',
            // The application asks the producer to send one item, at any time (bounded).
            run: (s, io) => {
              if (g(s, G_REQUESTED) >= items) return false;
              s[ghostBase + G_REQUESTED] = g(s, G_REQUESTED) + 1;
              io.signal('producer', 1);
              return true;
            },
          },
        ],
      },
    ],
    ghostBase,
    ghostWords: PEER_GHOSTS,
    ownedBy: [
      [free.head, active.tail],
      [active.head, free.tail],
    ],
    init: (s) => {
      for (const q of queues) {
        s[q.tail] = base;
        s[q.head] = base;
      }
    },
    invariants: [
      {
        name: 'queue-capacity',
        check: (s) => netBoundsProblem(read(s), free) ?? netBoundsProblem(read(s), active),
      },
      {
        name: 'buffer-conservation',
        // §3.15.1 in memory, as others see it; the untrusted producer duplicates on purpose (O2).
        check: (s) => (untrusted ? null : netNoBufferTwiceProblem(read(s), queues)),
      },
    ],
    stranded: (s) => {
      const sent = g(s, G_SENT);
      const received = g(s, G_RECEIVED);
      const stranded = netLengthIn(read(s), active);
      if (stranded > 0)
        return `lost wakeup: ${stranded} item(s) stranded in active, consumer blocked`;
      if (sent < g(s, G_REQUESTED) && netLengthIn(read(s), free) > 0)
        return `lost wakeup: producer blocked with ${items - sent} item(s) to send and free buffers available`;
      if (received + g(s, G_DROPPED) < items && !untrusted)
        return `stall: ${items - received} item(s) never delivered`;
      return null;
    },
    goal: (s) => g(s, G_RECEIVED) >= items,
  });
  if (opts.memoryModel !== 'sc') return sys; // buffered stores name buffers in addresses too
  return {
    ...sys,
    ts: { ...sys.ts, canonicalize: bufferSymmetry({ free, active, data, capacity }) },
  };
}

/**
 * Symmetry over buffer identities (data independence): the components never look at which buffer
 * they hold, only at its payload, so renaming buffers consistently everywhere (queue slots, live
 * or stale, and the data region) maps runs to runs. Representative: buffers renamed in order of
 * first appearance in the live parts of free then active; the rest keep their relative order.
 */
export function bufferSymmetry(q: {
  free: NetQueueRef;
  active: NetQueueRef;
  data: number;
  capacity: number;
}): (s: State, out: State) => void {
  const n = q.capacity;
  const rename = new Int32Array(n);
  return (s, out) => {
    out.set(s);
    rename.fill(-1);
    let next = 0;
    for (const queue of [q.free, q.active]) {
      for (const d of netLiveDescriptors((a) => s[a] ?? 0, queue)) {
        const b = d / NET_BUFFER_SIZE;
        if (Number.isInteger(b) && b >= 0 && b < n && rename[b] === -1) rename[b] = next++;
      }
    }
    for (let b = 0; b < n; b++) if (rename[b] === -1) rename[b] = next++;
    for (const queue of [q.free, q.active]) {
      for (let i = 0; i < queue.capacity; i++) {
        const d = s[queue.slots + i] ?? 0;
        const b = d / NET_BUFFER_SIZE;
        if (Number.isInteger(b) && b >= 0 && b < n)
          out[queue.slots + i] = NET_BUFFER_SIZE * rename[b]!;
      }
    }
    for (let b = 0; b < n; b++) out[q.data + rename[b]!] = s[q.data + b] ?? 0;
  };
}
