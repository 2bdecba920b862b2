// Where everything of one net-pipeline instance lives in the state vector, and the component
// configuration (spec/components/net/config.ts NetConfig) that names it: the queue pairs (sized
// to the next power of two of what they must hold, §2.1 capacity discipline), the data regions,
// the NIC (spec/devices/enet.ts), the NIC-side monitor words and the ghost words.
import { ceilPow2 } from '../../../spec/common/int.ts';
import {
  DEST_BROADCAST,
  DEST_NONE,
  netGhostWords,
  type DataRegion,
  type NetBug,
  type NetConfig,
  type NetQueuePair,
} from '../../../spec/components/net/config.ts';
import type { EnetNic, EnetRing } from '../../../spec/devices/enet.ts';
import { netOrderingFlavour } from '../../../spec/queue/net.ts';
import { allocNetQueue } from '../common.ts';
import { Layout } from '../layout.ts';

/** IO addresses of the Rx DMA region and of client c's Tx region (`TX_IO_BASE + c * stride`). */
export const RX_IO_BASE = 0x1000_0000;
export const TX_IO_BASE = 0x2000_0000;
const TX_IO_STRIDE = 0x0100_0000;

const NET_BUGS: readonly NetBug[] = ['F3', 'F4', 'F15', 'F33', 'U15'];

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
    rxNext: layout.alloc('nic.rx_next'),
    txNext: layout.alloc('nic.tx_next'),
  };
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
    nic,
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
  };
}
