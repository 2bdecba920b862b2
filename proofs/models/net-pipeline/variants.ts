// The seeded-bug variants of `net-pipeline` (ENET-like NIC) and `net-virtio` (virtio-net): each
// the upstream code before its fix at the model's grain (sddf-bug-catalogue.md), with the
// smallest configuration in which it shows.
import type { BugVariant } from '../types.ts';

export const netPipelineBugs: readonly BugVariant[] = [
  {
    id: 'O1',
    // Upstream's two-core placement (two_core.json): virt_rx on core 0, the driver on core 1.
    bounds: { clients: 1, frames: 1, rxBuffers: 1, hwRing: 1, scheduling: 2, fences: 0 },
    description:
      'net queues at HEAD (release fences only) with the driver and virt_rx on two cores: store-buffering lost wakeup on drv.RxF',
    expectedProperty: 'no-lost-wakeup',
    memoryModel: 'tso',
    fixedBounds: { fences: 1 },
  },
  {
    id: 'F3',
    bounds: { clients: 1, frames: 3, rxBuffers: 2, clientRxBuffers: 1 },
    description:
      'virt_rx never clears notify_drv after notifying the driver (938d8051): spurious notifications',
    expectedProperty: 'no-spurious-notify',
  },
  {
    id: 'F4',
    bounds: { clients: 1, frames: 0, sends: 2, txBuffers: 2, hwRing: 1 },
    description:
      'driver IRQ path runs tx_return without tx_provide (49326d3f, PR #253): TxA entries beyond the HW ring stall',
    expectedProperty: 'no-lost-wakeup',
  },
  {
    id: 'F15',
    // client1 is slow: frame 1 fills its only buffer, frame 2 must be dropped, frame 3 is client0's.
    bounds: {
      clients: 2,
      frames: 3,
      rxBuffers: 1,
      clientRxBuffers: 1,
      slowClient: 2,
      pattern: 0x011,
    },
    description:
      'copier waits for a free client buffer instead of dropping (before 7d69d7ba): a slow client starves everyone',
    expectedProperty: 'no-lost-wakeup',
  },
  {
    id: 'F18',
    bounds: { clients: 1, frames: 1, rxBuffers: 1, hwRing: 1 },
    description:
      'driver HW ring indices bounded by % capacity with full = !((tail - head + 1) % cap) (before 75e2eef9): one BD never used',
    expectedProperty: 'no-lost-wakeup',
  },
  {
    id: 'F33',
    bounds: { clients: 1, frames: 2, rxBuffers: 2, clientRxBuffers: 1 },
    description:
      "virt_rx initialises the copier queue handles with the client's size (before 97131509)",
    expectedProperty: 'no-assert-failure',
  },
  {
    id: 'U15',
    bounds: { clients: 1, frames: 1, rxBuffers: 2, doubleReturn: 1 },
    description:
      'virt_rx rx_provide only asserts the refcount: a double return crashes a debug build',
    expectedProperty: 'no-assert-failure',
  },
  {
    id: 'U15-release',
    bounds: { clients: 1, frames: 1, rxBuffers: 2, doubleReturn: 1 },
    description:
      'U15 in a release build (asserts compiled out): the double return underflows the u8 refcount to 255',
    expectedProperty: 'refcount',
  },
  {
    id: 'passive-init',
    bounds: { clients: 1, frames: 1, boot: 1 },
    description:
      'seeded (Microkit): virt_rx made passive: main() overwrites the deferred notify of its init, the driver never learns of its Rx buffers',
    expectedProperty: 'no-lost-wakeup',
  },
  {
    id: 'no-rx-recheck',
    bounds: { clients: 1, frames: 2, rxBuffers: 2, hwRing: 2, scheduling: 2 },
    description:
      'seeded: the ENET driver without its re-check after request_signal(RxF) in rx_provide: lost wakeup',
    expectedProperty: 'no-lost-wakeup',
  },
  {
    id: 'no-tx-recheck',
    // The driver alone on its core: virt_tx enqueues while the driver is between its TxA check
    // and request_signal (upstream's placements put virt_tx with the driver, where it cannot).
    bounds: { clients: 1, frames: 0, sends: 3, txBuffers: 2, hwRing: 1, scheduling: 4 },
    description:
      'seeded: the ENET driver without its re-check after request_signal(TxA) in tx_provide: lost wakeup once virt_tx runs on another core',
    expectedProperty: 'no-lost-wakeup',
  },
];

export const netVirtioBugs: readonly BugVariant[] = [
  {
    id: 'F4',
    bounds: { clients: 1, frames: 0, sends: 2, txBuffers: 2, virtqNum: 2 },
    description:
      'virtio driver IRQ path runs tx_return without tx_provide (before 7b9e09ce): TxA entries beyond the virtqueue stall',
    expectedProperty: 'no-lost-wakeup',
  },
  {
    id: 'F5',
    bounds: { clients: 1, frames: 2, rxBuffers: 1 },
    description:
      'virtio rx_provide never writes QueueNotify (before ef74b2af): a device that ran out of buffers never sees the new ones',
    expectedProperty: 'no-lost-wakeup',
  },
  {
    id: 'F19',
    bounds: { clients: 1, frames: 2, rxBuffers: 2, virtqBase: 65535 },
    description:
      'virtio used index tracked in size_t (before f6dd6347): across the u16 wrap rx_return walks stale used entries and hands virt_rx a buffer the device still owns',
    expectedProperty: 'buffer-conservation',
  },
  {
    id: 'U10',
    bounds: { clients: 1, frames: 1, boot: 1 },
    description:
      'virtio feature negotiation writes bit numbers as masks: VERSION_1 never negotiated, a modern-only device refuses FEATURES_OK',
    expectedProperty: 'device-init',
  },
  {
    id: 'U11',
    bounds: { clients: 1, frames: 1, sends: 2, txBuffers: 2, rxBuffers: 1, virtqNum: 4 },
    description:
      'virtio header regions sized for num/2 headers but indexed by descriptor: a Tx header shares its slot with an Rx header',
    expectedProperty: 'frame-integrity',
  },
  {
    id: 'no-rx-recheck',
    bounds: { clients: 1, frames: 2, rxBuffers: 2, scheduling: 2 },
    description:
      'seeded: the virtio driver without its re-check after request_signal(RxF) in rx_provide: lost wakeup',
    expectedProperty: 'no-lost-wakeup',
  },
  {
    id: 'no-tx-recheck',
    bounds: { clients: 1, frames: 0, sends: 3, txBuffers: 2, virtqNum: 2, scheduling: 4 },
    description:
      'seeded: the virtio driver without its re-check after request_signal(TxA) in tx_provide: lost wakeup once virt_tx runs on another core',
    expectedProperty: 'no-lost-wakeup',
  },
];

/** Per-bug bounds of both models, by id. */
export function bugBounds(
  list: readonly BugVariant[],
  id: string | undefined,
): Readonly<Record<string, number>> {
  return list.find((v) => v.id === id)?.bounds ?? {};
}
