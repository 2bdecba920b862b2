// The seeded-bug variants of `net-pipeline` (ENET-like NIC) and `net-virtio` (virtio-net): each
// the upstream code before its fix at the model's grain (sddf-bug-catalogue.md), with the
// smallest configuration in which it shows, the upstream source it re-creates (file and lines
// before and after the fix, au-ts/sddf unless said) and what is and is not modelled.
import type { BugVariant } from '../types.ts';

const HEAD = '650ace5d';

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
    upstream: [
      {
        commit: HEAD,
        file: 'include/sddf/network/queue.h',
        before:
          '263-269 (net_request_signal_free: store, release fence), 315-318 (net_require_signal_free: plain load)',
        after:
          'open (PR #732); the fixed run puts seq_cst fences there, as the serial queue got in 57d50b7c',
      },
    ],
    modelled:
      "queue.h's loads, stores and release fences in C order under TSO; the placement of examples/echo_server/core_config/two_core.json (driver core 1, virt_rx core 0), each core by priority",
    notModelled:
      'the Arm memory model of real hardware beyond store buffering; the driver and virt_rx code are HEAD (imx ethernet.c rx_provide lines 76-115, virt_rx.c rx_provide 130-176)',
  },
  {
    id: 'F3',
    bounds: { clients: 1, frames: 3, rxBuffers: 2, clientRxBuffers: 1 },
    description:
      'virt_rx never clears notify_drv after notifying the driver (before 938d8051): spurious notifications',
    expectedProperty: 'no-spurious-notify',
    upstream: [
      {
        commit: '938d8051',
        file: 'network/components/virt_rx.c',
        before: '153-206 (rx_provide: no `notify_drv = false` after the deferred notify)',
        after: '153-207 (line 205 added)',
      },
    ],
    modelled: 'virt_rx rx_provide at HEAD without the reset of notify_drv',
    notModelled: 'the rest of virt_rx.c at 938d8051^ (that revision differs elsewhere)',
  },
  {
    id: 'F4',
    bounds: { clients: 1, frames: 0, sends: 2, txBuffers: 2, hwRing: 1 },
    description:
      'driver IRQ path runs tx_return without tx_provide (before 49326d3f, PR #253): TxA entries beyond the HW ring stall',
    expectedProperty: 'no-lost-wakeup',
    upstream: [
      {
        commit: '49326d3f',
        file: 'drivers/network/imx/ethernet.c',
        before: '200-219 (handle_irq: TXF → tx_return() only)',
        after: '200-220 (tx_provide() added after tx_return(), line 208)',
      },
    ],
    modelled: 'handle_irq at HEAD without the tx_provide() call',
    notModelled: 'the meson driver part of the same commit',
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
    upstream: [
      {
        commit: '7d69d7ba',
        file: 'network/components/copy.c',
        before:
          '19-83 (rx_return: loop while both virt.RxA and client.RxF are non-empty; request virt.RxA, then request or cancel client.RxF; re-check both; one `enqueued` flag)',
        after: '19-87 (drop the frame when client.RxF is empty; client_enqueued/virt_enqueued)',
      },
    ],
    modelled:
      "the old loop, both signal requests (as two steps), the joint re-check and the single flag; the client's maybe_notify wakes the copier on RxF",
    notModelled: 'the copy length (frames are one payload word)',
  },
  {
    id: 'F18',
    bounds: { clients: 1, frames: 1, rxBuffers: 1, hwRing: 1 },
    description:
      'driver HW ring indices bounded by % capacity with full = !((tail - head + 1) % cap) (before 75e2eef9): one BD never used',
    expectedProperty: 'no-lost-wakeup',
    upstream: [
      {
        commit: '75e2eef9',
        file: 'drivers/network/imx/ethernet.c',
        before:
          '51-54 (hw_ring_full: `!((tail - head + 1) % capacity)`), 56-59 (hw_ring_empty), tails advanced `% RX_COUNT`',
        after: '53-56, 58-61 (free-running u32 indices, `tail - head == capacity`)',
      },
    ],
    modelled:
      "bounded indices and both old checks; at the model's one-BD ring the wasted BD is the whole ring, so no frame is ever received (upstream's 256-BD ring lost 1/256 of its capacity, not its liveness)",
    notModelled: 'the descr_mdata array of that revision',
  },
  {
    id: 'F33',
    bounds: { clients: 1, frames: 2, rxBuffers: 2, clientRxBuffers: 1 },
    description:
      "virt_rx initialises the copier queue handles with the client's size (before 97131509)",
    expectedProperty: 'no-assert-failure',
    upstream: [
      {
        commit: '97131509',
        file: 'examples/echo_server/include/ethernet_config/ethernet_config.h',
        before:
          '141-152 (virt_queue_init_sys: net_queue_init(&cli_queue[1..2], …, RX_QUEUE_SIZE_CLI0/1))',
        after: '141-152 (RX_QUEUE_SIZE_COPY0/1)',
      },
    ],
    modelled:
      "one capacity per handle (net_queue_init), so both queues of virt_rx's pair with copier c get the client's capacity, smaller here than the copier's",
    notModelled:
      'at 97131509^ both macros were 512, so the bug was latent upstream; the model uses sizes where they differ',
  },
  {
    id: 'U15',
    bounds: { clients: 1, frames: 1, rxBuffers: 2, doubleReturn: 1 },
    description:
      'virt_rx rx_provide only asserts the refcount: a double return crashes a debug build',
    expectedProperty: 'no-assert-failure',
    upstream: [
      {
        commit: HEAD,
        file: 'network/components/virt_rx.c',
        before: '143 (`assert(buffer_refs[ref_index] != 0)` then `buffer_refs[ref_index]--`)',
        after: 'unconfirmed upstream; our spec rejects and counts the buffer (NG_RX_REJECTED)',
      },
    ],
    modelled: 'the assert and the u8 decrement; a copier that returns one buffer twice',
    notModelled: 'the broadcast use-after-free form (two clients, one returning twice)',
  },
  {
    id: 'U15-release',
    bounds: { clients: 1, frames: 1, rxBuffers: 2, doubleReturn: 1 },
    description:
      'U15 in a release build (asserts compiled out): the double return underflows the u8 refcount to 255',
    expectedProperty: 'refcount',
    upstream: [
      {
        commit: HEAD,
        file: 'network/components/virt_rx.c',
        before: '143-145 (the assert compiled out: `buffer_refs[ref_index]--` from 0)',
        after: 'unconfirmed upstream; our spec rejects and counts the buffer',
      },
    ],
    modelled: 'NDEBUG: no-assert-failure is compiled out and the step continues as the C does',
    notModelled:
      'the leak that follows (the buffer is never returned to the driver) is not waited for: the refcount invariant sees 255 first',
  },
  {
    id: 'passive-init',
    bounds: { clients: 1, frames: 1, boot: 1 },
    description:
      'seeded (Microkit): virt_rx made passive: main() overwrites the deferred notify of its init, the driver never learns of its Rx buffers',
    expectedProperty: 'no-lost-wakeup',
    upstream: [
      {
        repo: 'seL4/microkit',
        commit: 'cfd52163',
        file: 'libmicrokit/src/main.c',
        before:
          '203-221 (main: init(), then `if (microkit_passive) microkit_have_signal = …` overwrites the slot)',
        after: 'seeded: upstream virt_rx is not passive (examples/echo_server/meta.py)',
      },
      {
        commit: HEAD,
        file: 'network/components/virt_rx.c',
        before: '184-205 (init: net_buffers_init, then sddf_deferred_notify(driver) at 203)',
        after: 'seeded',
      },
    ],
    modelled: 'every init() from boot, priorities of meta.py, the passive overwrite in main()',
    notModelled: 'the monitor and the scheduling-context handover of a passive PD',
  },
  {
    id: 'no-rx-recheck',
    bounds: { clients: 1, frames: 2, rxBuffers: 2, hwRing: 2, scheduling: 2 },
    description:
      'seeded: the ENET driver without its re-check after request_signal(RxF) in rx_provide: lost wakeup',
    expectedProperty: 'no-lost-wakeup',
    upstream: [
      {
        commit: HEAD,
        file: 'drivers/network/imx/ethernet.c',
        before: '76-115 (rx_provide; the re-check removed is lines 110-113)',
        after: 'seeded: HEAD has the re-check',
      },
    ],
    modelled: "upstream's two-core placement: virt_rx refills drv.RxF in the window",
  },
  {
    id: 'no-tx-recheck',
    // The driver alone on its core: virt_tx enqueues while the driver is between its TxA check
    // and request_signal (upstream's placements put virt_tx with the driver, where it cannot).
    bounds: { clients: 1, frames: 0, sends: 3, txBuffers: 2, hwRing: 1, scheduling: 4 },
    description:
      'seeded: the ENET driver without its re-check after request_signal(TxA) in tx_provide: lost wakeup once virt_tx runs on another core',
    expectedProperty: 'no-lost-wakeup',
    upstream: [
      {
        commit: HEAD,
        file: 'drivers/network/imx/ethernet.c',
        before: '148-182 (tx_provide; the re-check removed is lines 177-180)',
        after: 'seeded: HEAD has the re-check',
      },
    ],
    modelled:
      'the driver alone on core 1: a late notification from virt_tx is consumed by a tx_provide that finds nothing, and the packet enqueued in its window has nothing in flight to rescue it',
    notModelled:
      "upstream's two_core/four_core placements, where virt_tx shares the driver's core and cannot run in the window (the re-check is then not needed)",
  },
];

export const netVirtioBugs: readonly BugVariant[] = [
  {
    id: 'F4',
    bounds: { clients: 1, frames: 0, sends: 2, txBuffers: 2, virtqNum: 2 },
    description:
      'virtio driver IRQ path runs tx_return without tx_provide (before 7b9e09ce): TxA entries beyond the virtqueue stall',
    expectedProperty: 'no-lost-wakeup',
    upstream: [
      {
        commit: '7b9e09ce',
        file: 'drivers/network/virtio/ethernet.c',
        before: '290-305 (handle_irq: rx_return(); tx_return())',
        after: '290-306 (tx_provide() added)',
      },
    ],
    modelled: 'handle_irq at HEAD (ack, tx_return, rx_return) without tx_provide',
    notModelled: 'the IRQ path order of that revision (rx_return first, ack last)',
  },
  {
    id: 'F5',
    bounds: { clients: 1, frames: 2, rxBuffers: 1 },
    description:
      'virtio rx_provide never writes QueueNotify (before ef74b2af): a device that ran out of buffers never sees the new ones',
    expectedProperty: 'no-lost-wakeup',
    upstream: [
      {
        commit: 'ef74b2af',
        file: 'drivers/network/virtio/ethernet.c',
        before: '101-148 (rx_provide: no QueueNotify)',
        after: '101-156 (`if (transferred) regs->QueueNotify = VIRTIO_NET_RX_QUEUE`)',
      },
    ],
    modelled:
      'a device that, having found no buffer for a frame, waits for a QueueNotify of the receive queue (QEMU virtio-net)',
    notModelled:
      'the Tx half (af8817c0: QueueNotify only when something was added) is an optimisation, not a bug',
  },
  {
    id: 'F19',
    bounds: { clients: 1, frames: 2, rxBuffers: 2, virtqBase: 65535 },
    description:
      'virtio used index tracked in size_t (before f6dd6347): across the u16 wrap rx_return walks stale used entries and hands virt_rx a buffer the device still owns',
    expectedProperty: 'buffer-conservation',
    upstream: [
      {
        commit: 'f6dd6347',
        file: 'drivers/network/virtio/ethernet.c',
        before:
          '133-172 (rx_return: `size_t i = rx_last_seen_used; size_t curr_idx = used->idx; while (i != curr_idx)`, then `rx_last_seen_used = curr_idx`), 230-267 (tx_return, `int i`)',
        after: '133-172, 230-269 (uint16_t i and curr_idx, last_seen += transferred)',
      },
    ],
    modelled:
      'the wider loop counter against the u16 used index, the stale used elements and ialloc_free of indices still in use; the queues start at index 65535 (the state after 65535 packets, virtqBase)',
    notModelled: 'the rx_last_desc_idx accounting of that revision',
  },
  {
    id: 'U10',
    bounds: { clients: 1, frames: 1, boot: 1 },
    description:
      'virtio feature negotiation writes bit numbers as masks: VERSION_1 never negotiated, a modern-only device refuses FEATURES_OK',
    expectedProperty: 'device-init',
    upstream: [
      {
        commit: HEAD,
        file: 'drivers/network/virtio/common/ethernet.c',
        before:
          '316-317 (`set_driver_features(&dev, 0, VIRTIO_NET_F_MAC)`, `(1, VIRTIO_F_VERSION_1)`: bits 0, 2 and page-1 bit 5), 319-324 (FEATURES_OK check: log and return)',
        after: 'unconfirmed upstream; our spec writes `1 << bit` masks and uses the 12-byte header',
      },
    ],
    modelled:
      "a strict (modern-only) device that refuses FEATURES_OK without VERSION_1; the driver's 10-byte header (ethernet.h 73-82)",
    notModelled:
      'QEMU accepts the legacy negotiation (virtioStrict=0): then the 10-byte header is right',
  },
  {
    id: 'U11',
    bounds: { clients: 1, frames: 1, sends: 2, txBuffers: 2, rxBuffers: 1, virtqNum: 4 },
    description:
      'virtio header regions sized for num/2 headers but indexed by descriptor: a Tx header shares its slot with an Rx header',
    expectedProperty: 'frame-integrity',
    upstream: [
      {
        commit: HEAD,
        file: 'drivers/network/virtio/common/ethernet.c',
        before:
          '368-370 (tx_headers_size = num/2 headers; rx headers start right after), 99 and 203 (header address = base + hdr_idx * sizeof, hdr_idx up to num − 1)',
        after: 'unconfirmed upstream; our spec sizes each region for num headers',
      },
    ],
    modelled: 'one word per header slot; the device writes an Rx header where a Tx header waits',
    notModelled: 'the Rx headers past their region (they land in unused memory of the region)',
  },
  {
    id: 'no-rx-recheck',
    bounds: { clients: 1, frames: 2, rxBuffers: 2, scheduling: 2 },
    description:
      'seeded: the virtio driver without its re-check after request_signal(RxF) in rx_provide: lost wakeup',
    expectedProperty: 'no-lost-wakeup',
    upstream: [
      {
        commit: HEAD,
        file: 'drivers/network/virtio/common/ethernet.c',
        before: '80-135 (rx_provide; the re-check removed is lines 125-128)',
        after: 'seeded: HEAD has the re-check',
      },
    ],
    modelled:
      "upstream's two-core placement; the IRQ path never calls rx_provide, so nothing rescues it",
  },
  {
    id: 'no-tx-recheck',
    bounds: { clients: 1, frames: 0, sends: 3, txBuffers: 2, virtqNum: 2, scheduling: 4 },
    description:
      'seeded: the virtio driver without its re-check after request_signal(TxA) in tx_provide: lost wakeup once virt_tx runs on another core',
    expectedProperty: 'no-lost-wakeup',
    upstream: [
      {
        commit: HEAD,
        file: 'drivers/network/virtio/common/ethernet.c',
        before: '179-239 (tx_provide; the re-check removed is lines 228-231)',
        after: 'seeded: HEAD has the re-check',
      },
    ],
    modelled: 'the driver alone on core 1 (as no-tx-recheck of net-pipeline)',
  },
];

/** Per-bug bounds of both models, by id. */
export function bugBounds(
  list: readonly BugVariant[],
  id: string | undefined,
): Readonly<Record<string, number>> {
  return list.find((v) => v.id === id)?.bounds ?? {};
}
