// What every example network client has around its application: the native network interface and
// IP stack, serial output, the timer tick, counters, and the end-of-entry-point notification step.
// The application (echo over callbacks, or over blocking sockets) plugs in.

import type { ComponentContext, MicrokitApi } from '../runtime/api.ts';
import type { NetClientConfig } from '../components/net/config.ts';
import { Counters } from '../components/net/counters.ts';
import { timerSetTimeout } from './timer.ts';
import { SddfNetif, type TxWait } from './net/netif.ts';
import { IpStack } from './net/stack.ts';
import { SerialOut, type SerialClientConfig } from './serial_out.ts';

export const CLIENT_COUNTERS = [
  'rxFrames',
  'rxBytes',
  'txFrames',
  'txBytes',
  'txNoBuffer',
  'arpReplies',
  'icmpReplies',
  'udpIn',
  'udpEchoes',
  'broadcastIn',
  'malformed',
  'notForUs',
  'pendingDropped',
  'pendingRetries',
  'pending',
  'ticks',
] as const;
export type ClientCounter = (typeof CLIENT_COUNTERS)[number];

/** lib_sddf_lwip's LWIP_TICK_MS. */
export const LWIP_TICK_NS = 100_000_000;

export interface ClientParams {
  readonly config: NetClientConfig;
  /** `native` (default): arm the Tx free signal; `lwip`: never arm it, retry on the timer. */
  readonly txWait?: TxWait;
  readonly udpPort?: number;
  readonly serial?: SerialClientConfig;
  /** Timer channel and tick (lwIP's sys_check_timeouts period). */
  readonly timer?: { readonly id: number; readonly tickNs?: number };
  /**
   * On each tick also poll the Rx queue and kick the copier and virt_tx (a notification is
   * idempotent): recovers a notification lost on the client's channels. Not upstream.
   */
  readonly tickPoll?: boolean;
}

export class ClientShell {
  readonly api: MicrokitApi;
  readonly params: ClientParams;
  readonly netif: SddfNetif;
  readonly stack: IpStack;
  readonly serial: SerialOut | null;
  readonly counters: Counters<ClientCounter>;
  readonly restarts: number;
  ticks = 0;

  constructor(ctx: ComponentContext) {
    this.api = ctx.api;
    this.params = ctx.params as unknown as ClientParams;
    const cfg = this.params.config;
    this.netif = new SddfNetif(this.api, cfg, this.params.txWait ?? 'native');
    this.stack = new IpStack(this.netif, cfg.mac, cfg.ip);
    this.serial =
      this.params.serial === undefined ? null : new SerialOut(this.api, this.params.serial);
    this.counters = new Counters(CLIENT_COUNTERS, ctx.params['counters']);
    this.restarts = ctx.restarts ?? 0;
  }

  get udpPort(): number {
    return this.params.udpPort ?? 1235;
  }

  boot(banner: string): void {
    if (this.restarts === 0) this.netif.initBuffers();
    this.serial?.write(banner);
    this.armTick();
  }

  armTick(): void {
    const t = this.params.timer;
    if (t !== undefined) timerSetTimeout(this.api, t.id, BigInt(t.tickNs ?? LWIP_TICK_NS));
  }

  isTick(ch: number): boolean {
    return this.params.timer !== undefined && ch === this.params.timer.id;
  }

  /** A timer tick: lwIP's timeouts; in lwIP mode the retry of frames that found no Tx buffer. */
  tick(processRx: () => void): void {
    this.ticks++;
    this.armTick();
    if (this.params.tickPoll === true) {
      processRx();
      this.api.notify(this.params.config.rx.id);
      this.api.notify(this.params.config.tx.id);
    }
  }

  /**
   * Before returning from an entry point: send what waits, and in native mode arm the Tx free
   * signal while frames still wait (request + re-check, reference §2.2); then L4.
   */
  finish(): void {
    const stack = this.stack;
    // Bounded: each round either sends something or stops.
    for (let round = 0; round < 4 && stack.pendingCount > 0; round++) {
      stack.flushPending();
      if (stack.pendingCount === 0) break;
      if (this.netif.txWait === 'lwip' || !this.netif.armTxFree()) break;
    }
    this.netif.maybeNotify();
    this.publish();
  }

  publish(): void {
    const c = this.counters;
    const n = this.netif.stats;
    const s = this.stack.stats;
    const v = c.v;
    const i = c.i;
    v[i.rxFrames] = n.rxFrames;
    v[i.rxBytes] = n.rxBytes;
    v[i.txFrames] = n.txFrames;
    v[i.txBytes] = n.txBytes;
    v[i.txNoBuffer] = n.txNoBuffer;
    v[i.arpReplies] = s.arpReplies;
    v[i.icmpReplies] = s.icmpReplies;
    v[i.udpIn] = s.udpIn;
    v[i.broadcastIn] = s.broadcastIn;
    v[i.malformed] = s.malformed;
    v[i.notForUs] = s.notForUs;
    v[i.pendingDropped] = s.pendingDropped;
    v[i.pendingRetries] = s.pendingRetries;
    v[i.pending] = this.stack.pendingCount;
    v[i.ticks] = this.ticks;
  }
}
