// The PDs of net-pipeline (reference §3.1): driver, virt_tx, virt_rx, and a copier and a client
// per client index, each a component program of spec/components/net, with their channels and the
// priorities of upstream's echo server (examples/echo_server/meta.py at au-ts/sddf 650ace5d:
// ethernet_driver 101, net_virt_tx 100, net_virt_rx 99, client copiers 98, clients 97), which
// increase towards the device as the §1.6 design rule asks.
import type { State } from '../../../spec/common/transition.ts';
import { netClient } from '../../../spec/components/net/client.ts';
import type { NetConfig } from '../../../spec/components/net/config.ts';
import { netCopier } from '../../../spec/components/net/copier.ts';
import {
  DRIVER_CH_IRQ,
  DRIVER_CH_VIRT_RX,
  DRIVER_CH_VIRT_TX,
  netDriver,
} from '../../../spec/components/net/driver.ts';
import { netVirtioDriver } from '../../../spec/components/net/virtio-driver.ts';
import { netVirtRx } from '../../../spec/components/net/virt-rx.ts';
import { netVirtTx } from '../../../spec/components/net/virt-tx.ts';
import type { PdSpec } from '../runtime.ts';

/** examples/echo_server/meta.py at au-ts/sddf 650ace5d. */
export const NET_PRIORITIES = {
  driver: 101,
  virt_tx: 100,
  virt_rx: 99,
  copier: 98,
  client: 97,
} as const;

/**
 * Core placements of upstream's echo server (examples/echo_server/core_config/*.json at au-ts/sddf
 * 650ace5d): `two`: driver and virt_tx on core 1, everything else on core 0; `four`: client k and
 * its copier on core 2 + k. `driver-alone` (not upstream's): the driver on core 1, every other PD
 * on core 0, so virt_tx runs in parallel with the driver.
 */
export type NetPlacement = 'one' | 'two' | 'four' | 'driver-alone';

export interface PdOptions {
  /** virt_rx is passive (its `init` deferred notify is lost, reference §1.3). */
  readonly passiveVirtRx: boolean;
  readonly placement: NetPlacement;
}

function coreOf(placement: NetPlacement, pd: 'driver' | 'virt_tx' | 'virt_rx' | 'client', c = 0) {
  if (placement === 'one') return 0;
  if (placement === 'driver-alone') return pd === 'driver' ? 1 : 0;
  if (pd === 'driver' || pd === 'virt_tx') return 1;
  if (pd === 'virt_rx' || placement === 'two') return 0;
  return 2 + c;
}

export function pipelinePds(
  cfg: NetConfig,
  irqLine: (s: State) => boolean,
  opts: PdOptions,
): PdSpec[] {
  const pds: PdSpec[] = [
    {
      name: 'driver',
      program: cfg.hw.kind === 'enet' ? netDriver(cfg) : netVirtioDriver(cfg),
      priority: NET_PRIORITIES.driver,
      core: coreOf(opts.placement, 'driver'),
      channels: {
        [DRIVER_CH_VIRT_RX]: { pd: 'virt_rx', ch: 0 },
        [DRIVER_CH_VIRT_TX]: { pd: 'virt_tx', ch: 0 },
      },
      irqs: { [DRIVER_CH_IRQ]: irqLine },
      // Started after init: init() ran rx_provide(); tx_provide() with nothing in the queues, and
      // virt_rx's init deferred-notified the driver once it filled drv.RxF.
      ...(cfg.boot ? {} : { initialNotif: 1 << DRIVER_CH_VIRT_RX }),
    },
    {
      name: 'virt_tx',
      program: netVirtTx(cfg),
      priority: NET_PRIORITIES.virt_tx,
      core: coreOf(opts.placement, 'virt_tx'),
      channels: Object.fromEntries([
        [0, { pd: 'driver', ch: DRIVER_CH_VIRT_TX }],
        ...cfg.cliTx.map((_, c) => [1 + c, { pd: `client${c}`, ch: 1 }]),
      ]),
    },
    {
      name: 'virt_rx',
      program: netVirtRx(cfg),
      priority: NET_PRIORITIES.virt_rx,
      core: coreOf(opts.placement, 'virt_rx'),
      channels: Object.fromEntries([
        [0, { pd: 'driver', ch: DRIVER_CH_VIRT_RX }],
        ...cfg.cliRx.map((_, c) => [1 + c, { pd: `copier${c}`, ch: 0 }]),
      ]),
      ...(opts.passiveVirtRx ? { passive: true } : {}),
    },
  ];
  for (let c = 0; c < cfg.clients; c++) {
    pds.push({
      name: `copier${c}`,
      program: netCopier(cfg, c),
      priority: NET_PRIORITIES.copier,
      core: coreOf(opts.placement, 'client', c),
      channels: { 0: { pd: 'virt_rx', ch: 1 + c }, 1: { pd: `client${c}`, ch: 0 } },
    });
    pds.push({
      name: `client${c}`,
      program: netClient(cfg, c),
      priority: NET_PRIORITIES.client,
      core: coreOf(opts.placement, 'client', c),
      channels: { 0: { pd: `copier${c}`, ch: 1 }, 1: { pd: 'virt_tx', ch: 1 + c } },
    });
  }
  return pds;
}
