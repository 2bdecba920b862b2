// A serial console client (sDDF examples/serial/client.c: it echoes what it is sent): reads its Rx
// queue from virt_rx, echoes each character to its Tx queue to virt_tx, and at the end of a line
// ('\r') prints what the line was. `greeting` is printed at init; `lines` more lines of
// `lineBytes` characters each are printed after it (the output load of tests and the bench).
//
// Output that does not fit waits in a private buffer (bounded: beyond it characters are dropped
// and counted); the client then arms `producer_signalled` and re-checks (§2.4), and virt_tx's
// signal resumes it.
import { SerialPort, type SerialConn } from '../components/serial/port.ts';
import type { Component, ComponentContext, MicrokitApi } from '../runtime/api.ts';

export interface SerialConsoleConfig {
  readonly name: string;
  readonly index: number;
  readonly tx: SerialConn;
  readonly rx: SerialConn | null;
  readonly greeting: boolean;
  readonly lines?: number;
  readonly lineBytes?: number;
}

/** Characters a client keeps waiting for room before it drops output (a bound on its memory). */
export const CONSOLE_BACKLOG_BYTES = 1 << 16;
/** A line typed at the console is kept up to this many characters. */
const MAX_LINE_BYTES = 256;

export interface SerialConsoleStats {
  typed: number;
  lines: number;
  written: number;
  dropped: number;
}

export function serialConsoleComponent(ctx: ComponentContext): Component {
  const tap = ctx.params['tap'];
  const c = new SerialConsole(
    ctx.api,
    ctx.params['config'] as SerialConsoleConfig,
    typeof tap === 'function' ? (tap as (b: Uint8Array) => void) : undefined,
  );
  const stats = ctx.params['stats'];
  if (typeof stats === 'function') (stats as (s: SerialConsoleStats) => void)(c.stats);
  return { init: () => c.init(), notified: (ch) => c.notified(ch) };
}

export class SerialConsole {
  readonly stats: SerialConsoleStats = { typed: 0, lines: 0, written: 0, dropped: 0 };
  private readonly tx: SerialPort;
  private readonly rx: SerialPort | null;
  private backlog: number[] = [];
  private linesLeft = 0;
  private line: number[] = [];

  constructor(
    private readonly api: MicrokitApi,
    private readonly config: SerialConsoleConfig,
    /** Sees every byte the client publishes (the run's monitor). */
    private readonly tap?: (bytes: Uint8Array) => void,
  ) {
    this.tx = new SerialPort(api, config.tx);
    this.rx = config.rx === null ? null : new SerialPort(api, config.rx);
  }

  init(): void {
    if (this.config.greeting) {
      this.print(`${this.config.name}: hello, I am client ${this.config.index}\r\n`);
    }
    this.linesLeft = this.config.lines ?? 0;
    this.refill();
    this.flush();
  }

  /** The next output lines, made as room frees up (so the backlog stays small). */
  private refill(): void {
    const body = 'abcdefghijklmnopqrstuvwxyz0123456789';
    const n = Math.max(3, this.config.lineBytes ?? 32);
    // Lines are made while the backlog is below twice the queue: a burst fills an empty queue.
    while (this.linesLeft > 0 && this.backlog.length < 2 * this.tx.capacity) {
      const i = (this.config.lines ?? 0) - this.linesLeft;
      let s = `${this.config.name} ${i}: `;
      while (s.length < n - 2) s += body[(s.length + i) % body.length];
      this.print(`${s.slice(0, n - 2)}\r\n`);
      this.linesLeft--;
    }
  }

  notified(ch: number): void {
    if (this.rx !== null && ch === this.config.rx!.id) this.receive();
    this.refill();
    this.flush();
  }

  private receive(): void {
    const rx = this.rx!;
    const n = rx.length();
    if (n === null || n === 0) return;
    const bytes = rx.read(rx.head, n);
    rx.consume(n);
    for (const c of bytes) {
      this.stats.typed++;
      if (c === 0x0d || c === 0x0a) {
        const text = new TextDecoder().decode(Uint8Array.from(this.line));
        this.line = [];
        this.stats.lines++;
        this.print(`\r\n${this.config.name} got: ${text}\r\n`);
      } else if (c === 0x7f || c === 0x08) {
        if (this.line.length > 0) {
          this.line.pop();
          this.print('\b \b');
        }
      } else {
        if (this.line.length < MAX_LINE_BYTES) this.line.push(c);
        this.queue([c]); // echo
      }
    }
  }

  private print(s: string): void {
    this.queue([...new TextEncoder().encode(s)]);
  }

  private queue(bytes: readonly number[]): void {
    const room = CONSOLE_BACKLOG_BYTES - this.backlog.length;
    if (bytes.length > room) this.stats.dropped += bytes.length - room;
    for (const b of bytes.slice(0, Math.max(0, room))) this.backlog.push(b);
  }

  /** Write what fits; notify virt_tx (a producer always does); arm the signal if some waits. */
  private flush(): void {
    // Every round writes at least one byte or returns: bounded by the bytes still to write.
    for (let round = 0; round < 1 << 24; round++) {
      this.refill();
      const free = this.tx.free() ?? 0;
      const n = Math.min(free, this.backlog.length);
      if (n > 0) {
        const bytes = Uint8Array.from(this.backlog.slice(0, n));
        this.tx.produce(bytes);
        this.tap?.(bytes);
        this.backlog = this.backlog.slice(n);
        this.stats.written += n;
        this.api.notify(this.config.tx.id);
      }
      if (this.backlog.length === 0 && this.linesLeft === 0) return;
      if (this.backlog.length === 0) continue; // more lines to make
      // The queue is full: ask virt_tx for a signal, then re-check (§2.2 phase 2).
      this.tx.requestConsumerSignal();
      if ((this.tx.free() ?? 0) === 0) return;
      this.tx.cancelConsumerSignal();
    }
  }
}
