// `net-handshake`: one network queue pair between an abstract producer and consumer (reference
// §2.1–2.2), under SC, TSO or the Arm-like model. The model of upstream shared/bench/spsc.pml,
// but with the exact u16 indices, the flag polarity and the fence placement of queue.h.
import type { State } from '../../spec/common/transition.ts';
import { isPowerOfTwo, u16 } from '../../spec/common/int.ts';
import {
  netMissingBufferProblem,
  netNoBufferTwiceProblem,
} from '../../spec/components/net/invariants.ts';
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
    upstream: [
      {
        commit: '650ace5d',
        file: 'include/sddf/network/queue.h',
        before:
          '263-269 (net_request_signal_free: store, release fence), 315-318 (net_require_signal_free: plain load)',
        after:
          'open (issues #129, #369, PR #732); fixed run: seq_cst fences as the serial queue (57d50b7c)',
      },
    ],
    modelled: "queue.h's accesses and fences in C order under TSO (the store-buffering litmus)",
    notModelled: 'the components around the queue (abstract producer and consumer)',
  },
  {
    id: 'F2',
    description:
      'pre-2023 signalling: the consumer arms its signal without re-checking the queue (lost wakeup)',
    expectedProperty: 'no-lost-wakeup',
    upstream: [
      {
        commit: '2ec506c5',
        file: 'network/components/mux_tx.c',
        before: '99-127 (process_tx_ready), 134-163 (process_tx_complete): no arm + re-check',
        after:
          '104-141, 149-189 (`notify_reader = true; THREAD_MEMORY_FENCE(); if (!ring_empty) { notify_reader = false; goto … }`)',
      },
    ],
    modelled: "the consumer's request_signal without the re-check that follows it at HEAD",
    notModelled:
      "the 2023 ring library's notify_reader flag and polarity (modelled as queue.h's flag)",
  },
  {
    id: 'F17',
    description:
      'queue.h before 8a15a202: full test tail+1-head == capacity and net_buffers_init of capacity-1 buffers: one buffer of every pool never circulates',
    expectedProperty: 'buffer-conservation',
    upstream: [
      {
        commit: '8a15a202',
        file: 'include/sddf/network/queue.h',
        before:
          '86-89, 98-101 (net_queue_full_free/active: `tail + 1 - head == capacity`), 216-223 (net_buffers_init: `i < capacity - 1`)',
        after: '86-89, 98-101 (`tail - head == capacity`), 216-223 (`i < capacity`)',
      },
    ],
    modelled:
      'both halves of the change: the old full test (flavour wasted-slot) and the old init count; the pool is `capacity` buffers, as sdfgen sizes it',
    notModelled: 'nothing failed upstream: the lost buffer is capacity, not a crash',
  },
  {
    id: 'F1',
    description:
      'the 2023 ring library (before ce131da5): the release barrier after write_idx++, so on Arm the consumer can see the index before the slot',
    // A published index whose slot is not yet written is what a consumer reads as a stale
    // descriptor: on the memory others see, the buffer is live in two slots at once.
    expectedProperty: 'buffer-conservation',
    memoryModel: 'pso',
    // With the seq_cst fences of the handshake (O1 fixed), so that only F1 is left.
    bounds: { fences: 1 },
    fixedBounds: { fences: 1 },
    upstream: [
      {
        commit: 'ce131da5',
        file: 'echo_server/libsharedringbuffer/include/shared_ringbuffer.h',
        before: '103-118 (enqueue: slot stores, `write_idx++`, then THREAD_MEMORY_RELEASE())',
        after: '103-118 (the barrier before `write_idx++`)',
      },
    ],
    modelled:
      "the net queue's enqueue with the barrier after the index store, under the Arm-like model (stores to different words may pass each other)",
    notModelled: "the 2023 ring's other fields (len, cookie) and its index names",
  },
  {
    id: 'U1',
    description:
      "full test evaluated in C int across the u16 wrap: an untrusted producer's duplicate (O2) overwrites a live slot",
    expectedProperty: 'no-overwrite',
    upstream: [
      {
        commit: '650ace5d',
        file: 'include/sddf/network/queue.h',
        before:
          '108-111, 120-123 (net_queue_full_free/active: uint16_t `tail - head` promoted to int)',
        after: 'unconfirmed upstream; our spec casts to uint16_t (flavour corrected)',
      },
    ],
    modelled:
      'the int promotion across the wrap (indices start at 65534), an untrusted producer that publishes one duplicate',
    notModelled: 'how an untrusted client gets to duplicate (O2, acknowledged upstream)',
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
      ...(bug === 'F1' ? { releaseAfterPublish: true } : {}),
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
    oldBuffersInit: bug === 'F17',
  };
  const g = (s: State, i: number) => s[ghostBase + i] ?? 0;
  const read = (s: State) => (a: number) => s[a] ?? 0;
  const queues: NetQueueRef[] = [free, active];
  const offsets = Array.from({ length: capacity }, (_, i) => NET_BUFFER_SIZE * i);
  let built: ReturnType<typeof buildSystem> | null = null;
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
    // Single-writer words (POR, ADR 007): each index its side alone stores, and the ghost counters
    // each peer alone writes. G_REQUESTED is the application's (a device): a step that reads it is
    // never safe-local, since app.send_request changes what that step does.
    ownedBy: [
      [free.head, active.tail, ghostBase + G_SENT],
      [active.head, free.tail, ghostBase + G_RECEIVED, ghostBase + G_DROPPED],
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
        // §3.15.1 in memory, as others see it: no buffer twice, and once the producer's init has
        // run, every buffer of the data region in a queue (a transfer is one step, so none is ever
        // in flight between queues). The untrusted producer duplicates on purpose (O2).
        check: (s) => {
          if (untrusted) return null;
          const twice = netNoBufferTwiceProblem(read(s), queues);
          if (twice !== null || built === null || s[built.pdWords('producer').phase] !== 1)
            return twice;
          // Buffered stores count as done: the drained view (proofs/models/runtime.ts).
          return netMissingBufferProblem(read(built.drained(s)), queues, offsets, g(s, G_DROPPED));
        },
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
  built = sys;
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
