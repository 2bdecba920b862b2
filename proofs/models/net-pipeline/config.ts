// Where everything of one net-pipeline instance lives in the state vector, and the component
// configuration (spec/components/net/config.ts NetConfig) that names it: the queue pairs (sized
// to the next power of two of what they must hold, §2.1 capacity discipline), the data regions,
// the NIC (spec/devices/enet.ts or spec/devices/virtio-net.ts), the NIC-side monitor words and the
// ghost words.
import { ceilPow2 } from '../../../spec/common/int.ts';
import {
  DEST_BROADCAST,
  DEST_NONE,
  netGhostWords,
  type DataRegion,
  type NetBug,
  type NetConfig,
  type NetHw,
  type NetQueuePair,
} from '../../../spec/components/net/config.ts';
import {
  ENET_SDDF_TX_COALESCE_FRAMES,
  type EnetNic,
  type EnetRing,
} from '../../../spec/devices/enet.ts';
import type { VirtioNetDev, VirtqRef } from '../../../spec/devices/virtio-net.ts';
import { netOrderingFlavour } from '../../../spec/queue/net.ts';
import { allocNetQueue } from '../common.ts';
import { Layout } from '../layout.ts';

/** IO addresses of the Rx DMA region and of client c's Tx region (`TX_IO_BASE + c * stride`). */
export const RX_IO_BASE = 0x1000_0000;
export const TX_IO_BASE = 0x2000_0000;
const TX_IO_STRIDE = 0x0100_0000;
/** IO address of virtio header slot 0 (one slot per header, in the driver's hw_ring_buffer). */
export const VIRTIO_HDR_IO_BASE = 0x3000_0000;

export const NET_BUGS: readonly NetBug[] = [
  'F3',
  'F4',
  'F5',
  'F14',
  'F15',
  'F18',
  'F19',
  'F33',
  'U10',
  'U11',
  'U15',
  'no-rx-recheck',
  'no-tx-recheck',
];

/** The driver a net-pipeline instance runs (bound `driver`). */
export type NetDriverKind = 'enet' | 'virtio';

export interface PipelineInstance {
  readonly layout: Layout;
  readonly cfg: NetConfig;
  /** NIC-side monitors, per client: last own seq transmitted, last echo seq, echoes transmitted. */
  readonly txLastOwn: number;
  readonly txLastEcho: number;
  readonly txEchoCount: number;
  readonly ghostBase: number;
  readonly ghostWords: number;
  readonly frames: number;
  /** Frame k's destination: a client index, DEST_BROADCAST or DEST_NONE. */
  readonly destOf: (k: number) => number;
  /** Frames each client must get (its own and broadcasts). */
  readonly expectedRx: readonly number[];
  /** The starting u16 index of both virtqueues (bound `virtqBase`). */
  readonly virtqBase: number;
}

function allocVirtq(layout: Layout, name: string, num: number): VirtqRef {
  const a = (field: string, n = 1) => layout.alloc(`${name}.${field}`, n);
  return {
    name,
    num,
    descAddr: a('desc.addr', num),
    descLen: a('desc.len', num),
    descFlags: a('desc.flags', num),
    descNext: a('desc.next', num),
    availFlags: a('avail.flags'),
    availIdx: a('avail.idx'),
    availRing: a('avail.ring', num),
    usedFlags: a('used.flags'),
    usedIdx: a('used.idx'),
    usedId: a('used.id', num),
    usedLen: a('used.len', num),
    ready: a('queue_ready'),
    lastAvail: a('last_avail_idx'),
    waitKick: a('wait_notify'),
  };
}

function allocHw(layout: Layout, b: (key: string) => number, kind: NetDriverKind): NetHw {
  const coalesce = b('coalesce') === 1;
  if (kind === 'enet') {
    const ring = (name: string): EnetRing => ({
      addr: layout.alloc(`${name}.addr`, b('hwRing')),
      stat: layout.alloc(`${name}.stat`, b('hwRing')),
      capacity: b('hwRing'),
    });
    const rx = ring('hw_rx');
    const tx = ring('hw_tx');
    const nic: EnetNic = {
      rx,
      tx,
      eir: layout.alloc('nic.eir'),
      eimr: layout.alloc('nic.eimr'),
      ecr: layout.alloc('nic.ecr'),
      rdar: layout.alloc('nic.rdar'),
      tdar: layout.alloc('nic.tdar'),
      rxNext: layout.alloc('nic.rx_next'),
      txNext: layout.alloc('nic.tx_next'),
      txCoalesced: layout.alloc('nic.tx_coalesced'),
      txCoalesceFrames: coalesce ? ENET_SDDF_TX_COALESCE_FRAMES : 0,
    };
    return { kind: 'enet', nic };
  }
  const num = b('virtqNum');
  const dev: VirtioNetDev = {
    rx: allocVirtq(layout, 'rx_virtq', num),
    tx: allocVirtq(layout, 'tx_virtq', num),
    status: layout.alloc('virtio.status'),
    driverFeatures0: layout.alloc('virtio.driver_features0'),
    driverFeatures1: layout.alloc('virtio.driver_features1'),
    isr: layout.alloc('virtio.interrupt_status'),
    irqPending: layout.alloc('virtio.irq_pending'),
    // Tx headers then Rx headers: room for `num` each (the upstream layout, num/2 each, fits).
    hdrBase: layout.alloc('virtio.headers', 2 * num),
    hdrSlots: 2 * num,
    hdrIoBase: VIRTIO_HDR_IO_BASE,
    strict: b('virtioStrict') === 1,
    coalesce,
  };
  return { kind: 'virtio', dev };
}

/** Lays out one instance at bounds `b` (already validated). */
export function allocatePipeline(
  b: (key: string) => number,
  bug: string | undefined,
): PipelineInstance {
  const clients = b('clients');
  const rxBuffers = b('rxBuffers');
  const frames = b('frames');
  const layout = new Layout();
  const pair = (name: string, cap: number): NetQueuePair => ({
    free: allocNetQueue(layout, `${name}.free`, cap),
    active: allocNetQueue(layout, `${name}.active`, cap),
  });
  const drvRx = pair('drv_rx', ceilPow2(rxBuffers));
  const drvTx = pair('drv_tx', ceilPow2(clients * b('txBuffers')));
  const virtRx: NetQueuePair[] = [];
  const cliRx: NetQueuePair[] = [];
  const cliTx: NetQueuePair[] = [];
  for (let c = 0; c < clients; c++) {
    virtRx.push(pair(`virt_rx.copier${c}`, ceilPow2(rxBuffers)));
    cliRx.push(pair(`copier${c}.client${c}`, ceilPow2(b('clientRxBuffers'))));
    cliTx.push(pair(`client${c}.virt_tx`, ceilPow2(b('txBuffers'))));
  }
  const region = (name: string, count: number, ioBase: number): DataRegion => ({
    data: layout.alloc(name, count),
    count,
    ioBase,
  });
  const rxDma = region('rx_dma.data', rxBuffers, RX_IO_BASE);
  const cliRxData = cliRx.map((_, c) => region(`client${c}.rx.data`, b('clientRxBuffers'), 0));
  const cliTxData = cliTx.map((_, c) =>
    region(`client${c}.tx.data`, b('txBuffers'), TX_IO_BASE + c * TX_IO_STRIDE),
  );
  const hw = allocHw(layout, b, b('driver') === 1 ? 'virtio' : 'enet');
  const txLastOwn = layout.alloc('nic.tx_last_own', clients);
  const txLastEcho = layout.alloc('nic.tx_last_echo', clients);
  const txEchoCount = layout.alloc('nic.tx_echo_count', clients);
  const ghostWords = netGhostWords(clients);
  const ghostBase = layout.alloc('ghost', ghostWords);
  const netBug = NET_BUGS.find((x) => x === bug);
  const cfg: NetConfig = {
    clients,
    flavour: netOrderingFlavour({ fences: b('fences'), acquire: b('acquire') }),
    drvRx,
    drvTx,
    virtRx,
    cliRx,
    cliTx,
    rxDma,
    cliRxData,
    cliTxData,
    hw,
    boot: b('boot') === 1,
    lwip: b('lwip') === 1,
    echo: b('echo') === 1,
    sends: b('sends'),
    slowClient: b('slowClient') - 1, // bound 0 = none, k = client k-1
    doubleReturn: b('doubleReturn') === 1,
    ...(netBug !== undefined ? { bug: netBug } : {}),
  };
  // Frame k's destination: nibble k-1 of the `pattern` bound (0..1 client, 0xe broadcast,
  // 0xd no match), or by default clients in order, then broadcast, then no match, cycling.
  const patternBound = b('pattern');
  const destOf = (k: number): number => {
    if (patternBound > 0) {
      const nib = Math.floor(patternBound / 16 ** (k - 1)) % 16;
      return nib === 0xe ? DEST_BROADCAST : nib === 0xd ? DEST_NONE : nib;
    }
    const pattern = [...Array.from({ length: clients }, (_, c) => c), DEST_BROADCAST, DEST_NONE];
    return pattern[(k - 1) % pattern.length]!;
  };
  const expectedRx = Array.from({ length: clients }, (_, c) => {
    let n = 0;
    for (let k = 1; k <= frames; k++) if (destOf(k) === c || destOf(k) === DEST_BROADCAST) n++;
    return n;
  });
  return {
    layout,
    cfg,
    txLastOwn,
    txLastEcho,
    txEchoCount,
    ghostBase,
    ghostWords,
    frames,
    destOf,
    expectedRx,
    virtqBase: b('virtqBase'),
  };
}
