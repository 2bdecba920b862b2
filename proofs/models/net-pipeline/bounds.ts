// The bounds of `net-pipeline`, `net-virtio` and `echo`: defaults, ranges (user input, ADR 008
// "Bounds are user input"), the constraints between them. The seeded-bug variants with their
// upstream sources are in variants.ts.
import type { BoundRange } from '../types.ts';

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
  driver: 0,
  boot: 0,
  release: 0,
  coalesce: 1,
  passive: 0,
  lwip: 0,
  ticks: 0,
  periodicTimer: 0,
  virtqNum: 4,
  virtqBase: 0,
  virtioStrict: 1,
} as const;

/**
 * Ranges of the bounds. Capacities stay 1..4 (issue #3: "capacities 2–4"; queues are sized to the
 * next power of two), frames/sends ≤ 8 keep one pattern nibble per frame in a u32 and the state
 * space finite in practice.
 */
export const PIPELINE_RANGES: Readonly<Record<keyof typeof PIPELINE_DEFAULTS, BoundRange>> = {
  clients: { min: 1, max: 4, doc: 'clients, each with its own copier' },
  rxBuffers: { min: 1, max: 4, doc: 'Rx DMA buffers' },
  clientRxBuffers: { min: 1, max: 4, doc: "buffers in each client's Rx region" },
  txBuffers: { min: 1, max: 4, doc: "buffers in each client's Tx region" },
  hwRing: { min: 1, max: 4, doc: 'descriptors in each ENET ring (driver=0)' },
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
  slowClient: { min: 0, max: 4, doc: '0 = none, k = client k-1 stops consuming Rx (≤ clients)' },
  doubleReturn: { min: 0, max: 1, doc: '1 = copier0 returns one buffer twice' },
  scheduling: {
    min: 0,
    max: 4,
    doc: "0 = single-core priority, 1 = any interleaving, 2/3 = upstream's two_core/four_core placement, 4 = the driver alone on a second core; priority per core",
  },
  pattern: {
    min: 0,
    max: 0xffff_ffff,
    doc: 'destinations, nibble k-1 for frame k: a client index, 0xe broadcast, 0xd no match; 0 = default cycle',
  },
  driver: { min: 0, max: 1, doc: '0 = i.MX ENET-like NIC and driver, 1 = virtio-net' },
  boot: {
    min: 0,
    max: 1,
    doc: '1 = start at boot: every PD runs init() (0: the state init leaves)',
  },
  release: { min: 0, max: 1, doc: '1 = C release build: asserts compiled out (NDEBUG)' },
  coalesce: {
    min: 0,
    max: 1,
    doc: '1 = interrupt coalescing: ENET TXIC0 as sDDF programs it (net-pipeline default), virtio notification coalescing (not negotiated by sDDF: net-virtio default 0)',
  },
  passive: { min: 0, max: 1, doc: '1 = virt_rx is passive (its init deferred notify is lost)' },
  lwip: {
    min: 0,
    max: 1,
    doc: '1 = clients as lib_sddf_lwip: never arm the Tx free signal, retry on lwIP timer ticks',
  },
  ticks: { min: 0, max: 8, doc: 'lwIP timer ticks each client gets (lwip=1)' },
  periodicTimer: {
    min: 0,
    max: 1,
    doc: '1 = the lwIP timer ticks forever (for --liveness; no state is quiescent)',
  },
  virtqNum: { min: 2, max: 8, doc: 'descriptors per virtqueue (driver=1), a power of two' },
  virtqBase: {
    min: 0,
    max: 0xffff,
    doc: 'starting u16 avail/used index of both virtqueues (65535: the wrap is reached; needs boot=0)',
  },
  virtioStrict: {
    min: 0,
    max: 1,
    doc: '1 = a modern-only device that refuses FEATURES_OK without VERSION_1',
  },
};

/** Constraints between bounds (the ranges alone cannot say them). */
export function pipelineCrossCheck(bounds: Readonly<Record<string, number>>): string | null {
  const at = (k: keyof typeof PIPELINE_DEFAULTS) => bounds[k] ?? PIPELINE_DEFAULTS[k];
  const clients = at('clients');
  const slow = at('slowClient');
  if (slow > clients) return `bound slowClient must be ≤ clients (${clients}); got ${slow}`;
  const num = at('virtqNum');
  if ((num & (num - 1)) !== 0) return `bound virtqNum must be a power of two; got ${num}`;
  if (at('boot') === 1 && at('virtqBase') !== 0)
    return 'bound virtqBase needs boot=0: a device reset starts the virtqueues at index 0';
  const pattern = at('pattern');
  if (pattern === 0) return null;
  const frames = at('frames');
  for (let k = 1; k <= frames; k++) {
    const nib = Math.floor(pattern / 16 ** (k - 1)) % 16;
    if (nib >= clients && nib !== 0xe && nib !== 0xd)
      return `bound pattern: nibble ${k - 1} (frame ${k}) is ${nib}, not a client index < ${clients}, 0xe or 0xd`;
  }
  return null;
}
