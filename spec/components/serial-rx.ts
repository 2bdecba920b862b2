// Serial Rx path as model programs (reference §2.4, §3.10 S2, §3.12; drivers/serial/arm/uart.c
// `rx_return` and serial/components/virt_rx.c `rx_return` at au-ts/sddf 650ace5d): the UART's
// Rx FIFO → driver → serial queue → virt_rx → one serial queue per client → client. The driver is
// the producer of the driver queue: when it is full with characters still in the UART it turns
// the Rx interrupts off and arms `producer_signalled` (request, seq_cst fence), then re-checks;
// virt_rx, its consumer, drains it and, if the driver armed the flag (seq_cst fence, load),
// cancels and notifies: the asymmetric protocol's store-buffering pair (§2.2, §2.4). virt_rx runs
// every character through the switch machine (serial-virt.ts `rxSwitchStep`, the one definition)
// and drops characters for a full client queue, as upstream.
//
// Bug switch F7 (0d513ad8): the driver calls `serial_require_consumer_signal` (a load) where
// request belongs: the flag is never armed and the Rx path stalls with characters in the UART.
import { assert } from '../common/assert.ts';
import {
  serialCancelConsumerSignal,
  serialDequeue,
  serialEnqueue,
  serialEnqueueLocal,
  serialFullAt,
  serialRequestConsumerSignal,
  serialRequireConsumerSignal,
  serialUpdateSharedTail,
  type SerialQueueFlavour,
  type SerialQueueRef,
} from '../queue/serial.ts';
import { PC_DONE, type ComponentProgram, type PdContext } from './program.ts';
import {
  RX_SWITCH_INITIAL,
  rxSwitchStep,
  type RxMode,
  type RxSwitch,
  type RxSwitchConfig,
} from './serial-virt.ts';

export type SerialRxBug = 'F7';

/**
 * The UART's Rx side when characters arrive over time: a `keyboard` PD types them one at a time
 * into the Rx FIFO (`received`, written by the keyboard only) and raises the Rx interrupt (a
 * notification on the driver's IRQ channel) while the driver has it on (`imsc`, written by the
 * driver only). A PD rather than a device, so the same model runs under every memory model.
 */
export interface UartRxWords {
  /** Characters of the script typed into the FIFO so far. */
  readonly received: number;
  /** 1 while the driver has the Rx interrupts on. */
  readonly imsc: number;
}

export interface SerialRxConfig {
  readonly driver: SerialQueueRef;
  readonly clients: readonly SerialQueueRef[];
  /**
   * Characters arriving one at a time from the keyboard PD (an interrupt each), or null: every
   * character already waits in the FIFO at boot (the interrupt fires once, at boot: rx_return
   * runs from init), the smaller model, where the driver never races virt_rx.
   */
  readonly uart: UartRxWords | null;
  /** The characters typed, in order. */
  readonly script: readonly number[];
  readonly flavour: SerialQueueFlavour;
  readonly bug?: SerialRxBug;
  readonly switch: Omit<RxSwitchConfig, 'numClients'>;
}

// Ghosts: per client k, at 2k the characters it consumed, at 2k+1 the index into its expected
// stream of the last one matched.
export function rxGhost(k: number, field: 0 | 1): number {
  return 2 * k + field;
}
/** Ghost: characters the driver took from the UART (for the monitors; arrivals or not). */
export function rxTakenGhost(clients: number): number {
  return 2 * clients;
}
export function serialRxGhosts(clients: number): number {
  return 2 * clients + 1;
}

/** What each client should receive: the script through the switch machine (drops aside). */
export function expectedStreams(
  c: Pick<SerialRxConfig, 'script' | 'clients' | 'switch'>,
): number[][] {
  const streams: number[][] = c.clients.map(() => []);
  let s: RxSwitch = RX_SWITCH_INITIAL;
  for (const ch of c.script) {
    const r = rxSwitchStep(s, ch, { ...c.switch, numClients: c.clients.length });
    if (r.action.kind === 'deliver') streams[r.next.current]!.push(r.action.byte);
    s = r.next;
  }
  return streams;
}

export const DRIVER_RX_CH_IRQ = 0;
export const DRIVER_RX_CH_VIRT = 1;

const D_IRQ = 1;
const D_ENQUEUE = 2;
const D_FULL = 3;
const D_RECHECK = 4;
const D_NOTIFY = 5;
const D_ENABLE = 6;
const DL_MOVED = 0;
/** Characters the driver took from the FIFO (read DR). */
const DL_TAKEN = 1;

/** drivers/serial/arm/uart.c: the IRQ's and virt_rx's entries, both into rx_return (S2). */
export function serialRxDriver(c: SerialRxConfig): ComponentProgram {
  const f = c.flavour;
  const u = c.uart;
  const waiting = (ctx: PdContext) =>
    ctx.local(DL_TAKEN) < (u === null ? c.script.length : ctx.dev.read(u.received));
  const setImsc = (ctx: PdContext, on: number) => {
    if (u !== null) ctx.dev.write(u.imsc, on);
  };
  /** Read DR: the oldest character in the FIFO. */
  const pop = (ctx: PdContext): number => {
    const g = rxTakenGhost(c.clients.length);
    ctx.setGhost(g, ctx.ghost(g) + 1);
    const taken = ctx.local(DL_TAKEN);
    ctx.setLocal(DL_TAKEN, taken + 1);
    return c.script[taken]!;
  };
  const full = (ctx: PdContext) => serialFullAt(ctx.mem, c.driver, f, ctx.mem.load(c.driver.tail));
  return {
    name: 'driver',
    steps: [
      '',
      'handle_irq',
      'rx_return.enqueue',
      'rx_return.request_consumer_signal',
      'rx_return.recheck',
      'rx_return.notify(virt_rx)',
      'notified(virt_rx).enable_rx_irq',
    ],
    localWords: 2,
    initPc: u === null ? D_ENQUEUE : PC_DONE,
    entry: (ch) => (ch === DRIVER_RX_CH_IRQ ? D_IRQ : D_ENABLE),
    step(pc, ctx) {
      switch (pc) {
        case D_IRQ:
          return D_ENQUEUE;
        case D_ENABLE:
          setImsc(ctx, 1);
          return D_ENQUEUE;
        case D_ENQUEUE: {
          // One character from DR into the queue (a step per character: each is a publish).
          if (!waiting(ctx) || full(ctx)) return D_FULL;
          const ch = pop(ctx);
          assert(serialEnqueue(ctx.mem, c.driver, f, ch), 'the queue had room');
          ctx.setLocal(DL_MOVED, 1);
          return D_ENQUEUE;
        }
        case D_FULL:
          if (waiting(ctx) && full(ctx)) {
            setImsc(ctx, 0); // RX/RT interrupts off until virt_rx makes room
            if (c.bug === 'F7') serialRequireConsumerSignal(ctx.mem, c.driver, f);
            else serialRequestConsumerSignal(ctx.mem, c.driver, f);
          }
          return D_RECHECK;
        case D_RECHECK:
          if (waiting(ctx) && !full(ctx)) {
            serialCancelConsumerSignal(ctx.mem, c.driver, f);
            setImsc(ctx, 1);
            return D_ENQUEUE;
          }
          return D_NOTIFY;
        case D_NOTIFY:
          if (ctx.local(DL_MOVED) === 1) ctx.notify(DRIVER_RX_CH_VIRT);
          ctx.setLocal(DL_MOVED, 0);
          return PC_DONE;
        default:
          assert(false, `serial rx driver: bad pc ${pc}`);
      }
    },
  };
}

const K_TYPE = 1;
export const KEYBOARD_CH_DRIVER = 0;

/** The keyboard (arrivals): types the script, a character per step, an interrupt each. */
export function serialKeyboard(c: SerialRxConfig): ComponentProgram {
  const u = c.uart;
  assert(u !== null, 'the keyboard needs the UART words');
  return {
    name: 'keyboard',
    steps: ['', 'type'],
    localWords: 0,
    initPc: c.script.length > 0 ? K_TYPE : PC_DONE,
    entry: () => PC_DONE,
    step(pc, ctx) {
      assert(pc === K_TYPE, `keyboard: bad pc ${pc}`);
      // Device registers (uncached, strongly ordered): never through a store buffer.
      const typed = ctx.dev.read(u.received) + 1;
      ctx.dev.write(u.received, typed);
      if (ctx.dev.read(u.imsc) === 1) ctx.notify(KEYBOARD_CH_DRIVER);
      return typed < c.script.length ? K_TYPE : PC_DONE;
    },
  };
}

export const VIRT_RX_CH_DRIVER = 0;
/** virt_rx's channel to client k is 1 + k. */

const X_CHAR = 1;
const X_SIGNAL = 2;
const X_NOTIFY = 3;
// Locals: the switch machine (mode, current, digits as a number, digit count), local_tail,
// transferred.
const XL_MODE = 0;
const XL_CURRENT = 1;
const XL_DIGITS = 2;
const XL_NDIGITS = 3;
const XL_TAIL = 4;
const XL_XFER = 5;
const XL_TAIL_SET = 6;
const MODES: readonly RxMode[] = ['normal', 'switched', 'number'];

export function serialVirtRx(c: SerialRxConfig): ComponentProgram {
  const f = c.flavour;
  const n = c.clients.length;
  const sw = (ctx: PdContext): RxSwitch => ({
    mode: MODES[ctx.local(XL_MODE)]!,
    current: ctx.local(XL_CURRENT),
    digits:
      ctx.local(XL_NDIGITS) === 0
        ? ''
        : String(ctx.local(XL_DIGITS)).padStart(ctx.local(XL_NDIGITS), '0'),
  });
  const setSw = (ctx: PdContext, s: RxSwitch) => {
    ctx.setLocal(XL_MODE, MODES.indexOf(s.mode));
    ctx.setLocal(XL_CURRENT, s.current);
    ctx.setLocal(XL_DIGITS, s.digits === '' ? 0 : Number.parseInt(s.digits, 10));
    ctx.setLocal(XL_NDIGITS, s.digits.length);
  };
  const publish = (ctx: PdContext, k: number) => {
    const broken = serialUpdateSharedTail(ctx.mem, c.clients[k]!, f, ctx.local(XL_TAIL));
    if (broken !== null) ctx.fail('no-assert-failure', broken);
  };
  return {
    name: 'virt_rx',
    steps: ['', 'rx_return.dequeue', 'rx_return.notify_if(driver)', 'rx_return.notify(client)'],
    localWords: 7,
    initPc: PC_DONE,
    entry: () => X_CHAR,
    step(pc, ctx) {
      switch (pc) {
        case X_CHAR: {
          // `local_tail = rx_queue_handle_cli[current_client].queue->tail` at entry.
          if (ctx.local(XL_TAIL_SET) === 0) {
            ctx.setLocal(XL_TAIL, ctx.mem.load(c.clients[ctx.local(XL_CURRENT)]!.tail));
            ctx.setLocal(XL_TAIL_SET, 1);
          }
          const ch = serialDequeue(ctx.mem, c.driver, f);
          if (ch === null) {
            publish(ctx, ctx.local(XL_CURRENT));
            return X_SIGNAL;
          }
          const r = rxSwitchStep(sw(ctx), ch, { ...c.switch, numClients: n });
          if (r.action.kind === 'deliver') {
            const q = c.clients[r.next.current]!;
            const next = serialEnqueueLocal(ctx.mem, q, f, ctx.local(XL_TAIL), r.action.byte);
            if (next !== null) {
              ctx.setLocal(XL_TAIL, next);
              ctx.setLocal(XL_XFER, 1);
            } // else dropped (virt_rx.c: the client queue is full)
          } else if (r.action.kind === 'switch') {
            publish(ctx, r.action.from);
            if (ctx.local(XL_XFER) === 1) ctx.notify(1 + r.action.from);
            ctx.setLocal(XL_XFER, 0);
            ctx.setLocal(XL_TAIL, ctx.mem.load(c.clients[r.action.to]!.tail));
          }
          setSw(ctx, r.next);
          return X_CHAR;
        }
        case X_SIGNAL:
          // `!serial_queue_full(drv) && serial_require_consumer_signal(drv)`.
          if (
            !serialFullAt(ctx.mem, c.driver, f, ctx.mem.load(c.driver.tail)) &&
            serialRequireConsumerSignal(ctx.mem, c.driver, f)
          ) {
            serialCancelConsumerSignal(ctx.mem, c.driver, f);
            ctx.notify(VIRT_RX_CH_DRIVER);
          }
          return X_NOTIFY;
        case X_NOTIFY:
          if (ctx.local(XL_XFER) === 1) ctx.notify(1 + ctx.local(XL_CURRENT));
          ctx.setLocal(XL_XFER, 0);
          ctx.setLocal(XL_TAIL_SET, 0);
          return PC_DONE;
        default:
          assert(false, `serial virt_rx: bad pc ${pc}`);
      }
    },
  };
}

const C_TAKE = 1;

/** A client: takes what virt_rx gave it; each character must come in its expected order. */
export function serialRxClient(
  c: SerialRxConfig,
  k: number,
  expected: readonly number[],
): ComponentProgram {
  const q = c.clients[k]!;
  return {
    name: `client${k}`,
    steps: ['', 'notified.dequeue'],
    localWords: 0,
    initPc: PC_DONE,
    entry: () => C_TAKE,
    step(pc, ctx) {
      assert(pc === C_TAKE, `serial rx client: bad pc ${pc}`);
      const ch = serialDequeue(ctx.mem, q, c.flavour);
      if (ch === null) return PC_DONE;
      ctx.setGhost(rxGhost(k, 0), ctx.ghost(rxGhost(k, 0)) + 1);
      // Order: ch must be a later character of the expected stream (virt_rx may drop some).
      let i = ctx.ghost(rxGhost(k, 1));
      while (i < expected.length && expected[i] !== ch) i++;
      if (i >= expected.length)
        ctx.fail(
          'fifo',
          `client${k} received ${ch}, not next in its stream [${expected.join(',')}]`,
        );
      else ctx.setGhost(rxGhost(k, 1), i + 1);
      return C_TAKE;
    },
  };
}
