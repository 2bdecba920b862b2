// The PDs of net-pipeline (reference §3.1): driver, virt_tx, virt_rx, and a copier and a client
// per client index, each a component program of spec/components/net, with their channels and the
// priorities of the §1.6 design rule (increasing towards the device).
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
import { netVirtRx } from '../../../spec/components/net/virt-rx.ts';
import { netVirtTx } from '../../../spec/components/net/virt-tx.ts';
import type { PdSpec } from '../runtime.ts';

export function pipelinePds(cfg: NetConfig, irqLine: (s: State) => boolean): PdSpec[] {
  const pds: PdSpec[] = [
    {
      name: 'driver',
      program: netDriver(cfg),
      priority: 4,
      channels: {
        [DRIVER_CH_VIRT_RX]: { pd: 'virt_rx', ch: 0 },
        [DRIVER_CH_VIRT_TX]: { pd: 'virt_tx', ch: 0 },
      },
      irqs: { [DRIVER_CH_IRQ]: irqLine },
      // init(): rx_provide(); tx_provide() — and virt_rx's init deferred-notifies the driver.
      initialNotif: 1 << DRIVER_CH_VIRT_RX,
    },
    {
      name: 'virt_tx',
      program: netVirtTx(cfg),
      priority: 3,
      channels: Object.fromEntries([
        [0, { pd: 'driver', ch: DRIVER_CH_VIRT_TX }],
        ...cfg.cliTx.map((_, c) => [1 + c, { pd: `client${c}`, ch: 1 }]),
      ]),
    },
    {
      name: 'virt_rx',
      program: netVirtRx(cfg),
      priority: 2,
      channels: Object.fromEntries([
        [0, { pd: 'driver', ch: DRIVER_CH_VIRT_RX }],
        ...cfg.cliRx.map((_, c) => [1 + c, { pd: `copier${c}`, ch: 0 }]),
      ]),
    },
  ];
  for (let c = 0; c < cfg.clients; c++) {
    pds.push({
      name: `copier${c}`,
      program: netCopier(cfg, c),
      priority: 2,
      channels: { 0: { pd: 'virt_rx', ch: 1 + c }, 1: { pd: `client${c}`, ch: 0 } },
    });
    pds.push({
      name: `client${c}`,
      program: netClient(cfg, c),
      priority: 1,
      channels: { 0: { pd: `copier${c}`, ch: 1 }, 1: { pd: 'virt_tx', ch: 1 + c } },
    });
  }
  return pds;
}
