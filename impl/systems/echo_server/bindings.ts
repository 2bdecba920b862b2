// Which component runs in which echo-server PD, with its parameters (the ELF + config sections of
// a real build). Both schedulers use these bindings: the worker imports `exportName` from
// `moduleUrl`, so params are plain, cloneable data (probes and hooks are added only in
// deterministic runs).

import type { ComponentBinding } from '../../runtime/registry.ts';
import { virtioNetDriver, type VirtioNetDriverOptions } from '../../drivers/net/virtio.ts';
import { enetDriver, type EnetDriverOptions } from '../../drivers/net/imx.ts';
import { virtRxComponent, type VirtRxOptions } from '../../components/net/virt_rx.ts';
import { virtTxComponent, type VirtTxOptions } from '../../components/net/virt_tx.ts';
import { copierComponent, type CopierOptions } from '../../components/net/copier.ts';
import { echoClient } from '../../clients/echo.ts';
import { blockingEchoClient } from '../../clients/echo_blocking.ts';
import { hostileClient, type HostileParams } from '../../clients/hostile.ts';
import type { TxWait } from '../../clients/net/netif.ts';
import { timerStandin } from '../standins/timer.ts';
import { serialDriverStandin, serialVirtTxStandin } from '../standins/serial.ts';
import type { EchoServerNames, EchoWiring } from './wiring.ts';

const url = (rel: string): string => new URL(rel, import.meta.url).href;

export const MODULES = {
  driver: {
    moduleUrl: url('../../drivers/net/virtio.ts'),
    exportName: 'virtioNetDriver',
    factory: virtioNetDriver,
  },
  enetDriver: {
    moduleUrl: url('../../drivers/net/imx.ts'),
    exportName: 'enetDriver',
    factory: enetDriver,
  },
  virtRx: {
    moduleUrl: url('../../components/net/virt_rx.ts'),
    exportName: 'virtRxComponent',
    factory: virtRxComponent,
  },
  virtTx: {
    moduleUrl: url('../../components/net/virt_tx.ts'),
    exportName: 'virtTxComponent',
    factory: virtTxComponent,
  },
  copier: {
    moduleUrl: url('../../components/net/copier.ts'),
    exportName: 'copierComponent',
    factory: copierComponent,
  },
  echo: { moduleUrl: url('../../clients/echo.ts'), exportName: 'echoClient', factory: echoClient },
  blocking: {
    moduleUrl: url('../../clients/echo_blocking.ts'),
    exportName: 'blockingEchoClient',
    factory: blockingEchoClient,
  },
  hostile: {
    moduleUrl: url('../../clients/hostile.ts'),
    exportName: 'hostileClient',
    factory: hostileClient,
  },
  timer: {
    moduleUrl: url('../standins/timer.ts'),
    exportName: 'timerStandin',
    factory: timerStandin,
  },
  serialVirtTx: {
    moduleUrl: url('../standins/serial.ts'),
    exportName: 'serialVirtTxStandin',
    factory: serialVirtTxStandin,
  },
  serialDriver: {
    moduleUrl: url('../standins/serial.ts'),
    exportName: 'serialDriverStandin',
    factory: serialDriverStandin,
  },
} as const satisfies Record<string, ComponentBinding>;

export type ClientApi = 'native' | 'blocking' | 'hostile';

export interface EchoBindingOptions {
  readonly driver: VirtioNetDriverOptions;
  /** The ENET driver's options (used when the system's NIC is an ENET). */
  readonly enetDriver?: EnetDriverOptions;
  readonly virtRx: VirtRxOptions;
  readonly virtTx: VirtTxOptions;
  readonly copier: CopierOptions;
  readonly clientApi: readonly ClientApi[];
  readonly txWait: TxWait;
  readonly tickPoll: boolean;
  readonly tickNs: number;
  readonly udpPort: number;
  readonly hostile: HostileParams;
  /** Shared buffers the harness provides. */
  readonly counters: ReadonlyMap<string, SharedArrayBuffer>;
  readonly systemCounter: SharedArrayBuffer;
  readonly timerRegs: SharedArrayBuffer;
}

/** PD name → binding for every PD of the echo server. */
export function echoBindings(
  names: EchoServerNames,
  wiring: EchoWiring,
  o: EchoBindingOptions,
): Map<string, ComponentBinding> {
  const b = new Map<string, ComponentBinding>();
  const counters = (pd: string): Record<string, unknown> => {
    const c = o.counters.get(pd);
    return c === undefined ? {} : { counters: c };
  };
  b.set(names.driver, {
    ...(wiring.nic === 'enet' ? MODULES.enetDriver : MODULES.driver),
    params: {
      config: wiring.driver,
      options: wiring.nic === 'enet' ? (o.enetDriver ?? {}) : o.driver,
      ...counters(names.driver),
    },
  });
  b.set(names.virtRx, {
    ...MODULES.virtRx,
    params: { config: wiring.virtRx, options: o.virtRx, ...counters(names.virtRx) },
  });
  b.set(names.virtTx, {
    ...MODULES.virtTx,
    params: {
      config: wiring.virtTx,
      options: o.virtTx,
      systemCounter: o.systemCounter,
      ...counters(names.virtTx),
    },
  });
  names.clients.forEach(({ client, copier }, i) => {
    b.set(copier, {
      ...MODULES.copier,
      params: { config: wiring.copiers[i], options: o.copier, ...counters(copier) },
    });
    const api = o.clientApi[i] ?? 'native';
    const common = {
      config: wiring.clients[i],
      txWait: o.txWait,
      udpPort: o.udpPort,
      serial: wiring.clientSerial[i],
      timer: { id: wiring.clientTimer[i], tickNs: o.tickNs },
      tickPoll: o.tickPoll,
      ...counters(client),
    };
    const module =
      api === 'blocking' ? MODULES.blocking : api === 'hostile' ? MODULES.hostile : MODULES.echo;
    b.set(client, { ...module, params: api === 'hostile' ? { ...common, ...o.hostile } : common });
  });
  b.set(names.timer, {
    ...MODULES.timer,
    params: {
      irqId: wiring.timerIrq.id,
      systemCounter: o.systemCounter,
      regs: o.timerRegs,
    },
  });
  b.set(names.serialVirtTx, { ...MODULES.serialVirtTx, params: { ...wiring.serialVirtTx } });
  b.set(names.serialDriver, { ...MODULES.serialDriver, params: { ...wiring.serialDriver } });
  return b;
}
