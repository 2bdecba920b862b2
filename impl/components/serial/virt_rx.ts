// serial virt_rx (reference sddf-protocols.md §3.12; upstream serial/components/virt_rx.c at au-ts/sddf
// 650ace5d). X1 rx_return (the driver's notify): every character the driver queued goes through
// the switch-character state machine (spec/components/serial-virt.ts `rxSwitchStep`): Ctrl-\ then
// digits then '\r' makes another client current; other characters go to the current client,
// dropped when its queue is full (as upstream: a console does not block the UART on one client).
// The client's tail is private while a batch is built and published at a switch and at the end;
// a driver blocked on a full queue is signalled once there is room (§2.4).
//
// Hardened (ADR 023): a client queue whose indices claim more than its capacity is treated as
// full (its characters are dropped and counted); the driver's data region is mapped read-only.
import {
  RX_SWITCH_INITIAL,
  SERIAL_SWITCH_CHAR,
  SERIAL_TERMINATE_NUM_CHAR,
  rxSwitchStep,
  type RxSwitch,
} from '../../../spec/components/serial-virt.ts';
import type { Component, ComponentContext, MicrokitApi } from '../../runtime/api.ts';
import { Counters } from '../net/counters.ts';
import { SerialPort, type SerialConn } from './port.ts';

export interface SerialVirtRxConfig {
  readonly driver: SerialConn;
  readonly clients: readonly SerialConn[];
  readonly switchChar?: number;
  readonly terminateChar?: number;
}

export const SERIAL_VIRT_RX_COUNTERS = [
  'delivered',
  'dropped',
  'switches',
  'corruptQueue',
  'unknownChannel',
  'logs',
] as const;

export interface SerialVirtRxProbe {
  switchState(): RxSwitch;
}

export function serialVirtRxComponent(ctx: ComponentContext): Component {
  const v = new SerialVirtRx(
    ctx.api,
    ctx.params['config'] as SerialVirtRxConfig,
    ctx.params['counters'],
  );
  const probe = ctx.params['probe'];
  if (typeof probe === 'function') (probe as (p: SerialVirtRxProbe) => void)(v);
  return { init: () => undefined, notified: (ch) => v.notified(ch) };
}

export class SerialVirtRx implements SerialVirtRxProbe {
  private readonly drv: SerialPort;
  private readonly clients: SerialPort[];
  private sw: RxSwitch = RX_SWITCH_INITIAL;
  readonly c: Counters<(typeof SERIAL_VIRT_RX_COUNTERS)[number]>;
  /** virt_rx's log lines (sddf_dprintf): the first 16 kept, every one counted in `logs`. */
  readonly logs: string[] = [];

  constructor(
    private readonly api: MicrokitApi,
    private readonly config: SerialVirtRxConfig,
    counters?: unknown,
  ) {
    this.drv = new SerialPort(api, config.driver);
    this.clients = config.clients.map((c) => new SerialPort(api, c));
    this.c = new Counters(SERIAL_VIRT_RX_COUNTERS, counters);
  }

  switchState(): RxSwitch {
    return this.sw;
  }

  notified(ch: number): void {
    if (ch === this.config.driver.id) this.rxReturn();
    else this.c.inc('unknownChannel');
  }

  private rxReturn(): void {
    const cfg = {
      numClients: this.clients.length,
      switchChar: this.config.switchChar ?? SERIAL_SWITCH_CHAR,
      terminateChar: this.config.terminateChar ?? SERIAL_TERMINATE_NUM_CHAR,
    };
    const n = this.drv.length();
    if (n === null) {
      this.c.inc('corruptQueue');
      return;
    }
    const input = this.drv.read(this.drv.head, n);
    // The current client's batch: bytes to publish at a switch or at the end.
    let batch: number[] = [];
    let transferred = false;
    const publish = (): void => {
      if (batch.length === 0) return;
      this.clients[this.sw.current]!.produce(Uint8Array.from(batch));
      this.c.inc('delivered', batch.length);
      batch = [];
    };
    for (const c of input) {
      const r = rxSwitchStep(this.sw, c, cfg);
      const a = r.action;
      if (a.kind === 'switch') {
        publish();
        if (transferred) this.api.notify(this.config.clients[a.from]!.id);
        transferred = false;
        this.c.inc('switches');
      } else if (a.kind === 'deliver') {
        const free = this.clients[r.next.current]!.free();
        if (free === null) this.c.inc('corruptQueue');
        else if (batch.length < free) {
          batch.push(a.byte);
          transferred = true;
        } else this.c.inc('dropped');
      } else if (a.log !== undefined) {
        this.c.inc('logs');
        if (this.logs.length < 16) this.logs.push(a.log);
      }
      this.sw = r.next;
    }
    publish();
    this.drv.consume(n);
    // The driver queue is empty now: a driver that stopped on it full is signalled.
    if (this.drv.requireConsumerSignal()) {
      this.drv.cancelConsumerSignal();
      this.api.notify(this.config.driver.id);
    }
    if (transferred) this.api.notify(this.config.clients[this.sw.current]!.id);
  }
}
