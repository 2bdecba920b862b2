// The bounds of `net-pipeline` and `echo`: defaults, ranges (user input, ADR 008 "Bounds are user
// input"), the constraints between them, and the seeded-bug variants with the smallest
// configuration in which each bug shows.
import type { BoundRange, BugVariant } from '../types.ts';

/** Per-bug bounds: the smallest configuration in which each seeded bug can show. */
export const PIPELINE_BUG_BOUNDS: Readonly<Record<string, Readonly<Record<string, number>>>> = {
  // Store buffering between copier0 (producer of virt.RxF) and virt_rx, second frame.
  O1: { clients: 1, frames: 2, rxBuffers: 2, clientRxBuffers: 1, hwRing: 2, fences: 0 },
  F3: { clients: 1, frames: 3, rxBuffers: 2, clientRxBuffers: 1 },
  F4: { clients: 1, frames: 0, sends: 2, txBuffers: 2, hwRing: 1 },
  // client1 is slow: frame 1 fills its only buffer, frame 2 must be dropped, frame 3 is client0's.
  F15: { clients: 2, frames: 3, rxBuffers: 1, clientRxBuffers: 1, slowClient: 2, pattern: 0x011 },
  F33: { clients: 1, frames: 2, rxBuffers: 2, clientRxBuffers: 1 },
  U15: { clients: 1, frames: 1, rxBuffers: 2, doubleReturn: 1 },
};

export const netPipelineBugs: readonly BugVariant[] = [
  {
    id: 'O1',
    bounds: PIPELINE_BUG_BOUNDS['O1']!,
    description:
      'net queues at HEAD (release fences only) on the whole Rx path: store-buffering lost wakeup between copier and virt_rx',
    expectedProperty: 'no-lost-wakeup',
    memoryModel: 'tso',
    fixedBounds: { fences: 1 },
  },
  {
    id: 'F3',
    bounds: PIPELINE_BUG_BOUNDS['F3']!,
    description:
      'virt_rx never clears notify_drv after notifying the driver (938d8051): spurious notifications',
    expectedProperty: 'no-spurious-notify',
  },
  {
    id: 'F4',
    bounds: PIPELINE_BUG_BOUNDS['F4']!,
    description:
      'driver IRQ path runs tx_return without tx_provide (PR #253): TxA entries beyond the HW ring stall',
    expectedProperty: 'no-lost-wakeup',
  },
  {
    id: 'F15',
    bounds: PIPELINE_BUG_BOUNDS['F15']!,
    description:
      'copier stops draining virt.RxA while its client has no free buffer (7d69d7ba): a slow client starves everyone',
    expectedProperty: 'no-lost-wakeup',
  },
  {
    id: 'F33',
    bounds: PIPELINE_BUG_BOUNDS['F33']!,
    description: "virt_rx sizes the copier queue handle with the client's capacity (97131509)",
    expectedProperty: 'no-assert-failure',
  },
  {
    id: 'U15',
    bounds: PIPELINE_BUG_BOUNDS['U15']!,
    description:
      'virt_rx rx_provide only asserts refcounts: a double return underflows the u8 refcount in release builds',
    expectedProperty: 'refcount',
  },
];

export const PIPELINE_DEFAULTS = {
  clients: 2,
  rxBuffers: 2,
  clientRxBuffers: 1,
  txBuffers: 1,
  hwRing: 1,
  frames: 2,
  sends: 0,
  echo: 0,
  fences: 0,
  acquire: 0,
  slowClient: 0,
  doubleReturn: 0,
  scheduling: 0,
  pattern: 0,
} as const;

/**
 * Ranges of the bounds. Capacities stay 1..4 (issue #3: "capacities 2–4"; queues are sized to the
 * next power of two), frames/sends ≤ 8 keep one pattern nibble per frame in a u32 and the state
 * space finite in practice.
 */
export const PIPELINE_RANGES: Readonly<Record<keyof typeof PIPELINE_DEFAULTS, BoundRange>> = {
  clients: { min: 1, max: 2, doc: 'clients, each with its own copier' },
  rxBuffers: { min: 1, max: 4, doc: 'Rx DMA buffers' },
  clientRxBuffers: { min: 1, max: 4, doc: "buffers in each client's Rx region" },
  txBuffers: { min: 1, max: 4, doc: "buffers in each client's Tx region" },
  hwRing: { min: 1, max: 4, doc: 'descriptors in each NIC ring' },
  frames: { min: 0, max: 8, doc: 'frames the NIC receives' },
  sends: { min: 0, max: 8, doc: 'packets each client sends' },
  echo: { min: 0, max: 1, doc: '1 = each client echoes what it receives' },
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
  slowClient: { min: 0, max: 2, doc: '0 = none, k = client k-1 stops consuming Rx (≤ clients)' },
  doubleReturn: { min: 0, max: 1, doc: '1 = copier0 returns one buffer twice' },
  scheduling: { min: 0, max: 1, doc: '0 = single-core priority, 1 = any interleaving' },
  pattern: {
    min: 0,
    max: 0xffff_ffff,
    doc: 'destinations, nibble k-1 for frame k: a client index, 0xe broadcast, 0xd no match; 0 = default cycle',
  },
};

/** Constraints between bounds (the ranges alone cannot say them). */
export function pipelineCrossCheck(bounds: Readonly<Record<string, number>>): string | null {
  const clients = bounds['clients'] ?? PIPELINE_DEFAULTS.clients;
  const slow = bounds['slowClient'] ?? 0;
  if (slow > clients) return `bound slowClient must be ≤ clients (${clients}); got ${slow}`;
  const pattern = bounds['pattern'] ?? 0;
  if (pattern === 0) return null;
  const frames = bounds['frames'] ?? PIPELINE_DEFAULTS.frames;
  for (let k = 1; k <= frames; k++) {
    const nib = Math.floor(pattern / 16 ** (k - 1)) % 16;
    if (nib >= clients && nib !== 0xe && nib !== 0xd)
      return `bound pattern: nibble ${k - 1} (frame ${k}) is ${nib}, not a client index < ${clients}, 0xe or 0xd`;
  }
  return null;
}
