// `sddf run serial`: the serial system (a .system file wired by wiring.ts) on the emulated PL011,
// under the deterministic runtime. A `SerialSession` is the system booted; `type(bytes)` is the
// keyboard (characters reach the UART's Rx FIFO a few at a time, at quiescent points, as a person
// types: the 16-deep FIFO never overruns), `pump()` runs until nothing is left to do, `output()`
// is what the UART sent since the last call. The scripted run (`runSerial`) types its whole input
// and reports; the interactive console (cli/commands/run.ts) types what the terminal sends.
//
// Monitors, checked at every quiescent point and at the end: every serial queue's
// `(u32)(tail - head) <= capacity`; the UART's output, split by colour code, gives each client's
// stream, which must be a prefix of what that client wrote (nothing mixed, reordered or invented;
// at the end, with nothing waiting, all of it); no PD faulted.
import type { Diagnostic } from '../../../spec/common/diagnostic.ts';
import { COLOUR_BEGIN_LEN, COLOUR_END } from '../../../spec/components/serial-virt.ts';
import { U32 } from '../../../spec/queue/arith.ts';
import type { PdFault } from '../../mem/fault.ts';
import type { MmioDevice } from '../../mem/types.ts';
import { Pl011 } from '../../hw/pl011.ts';
import type { ComponentFactory } from '../../runtime/api.ts';
import { DeterministicRuntime } from '../../runtime/deterministic.ts';
import { ScriptedFaults, type FaultScript } from '../../runtime/faults.ts';
import { loadSystemModel } from '../../runtime/load.ts';
import { ComponentRegistry, type ComponentBinding } from '../../runtime/registry.ts';
import { Counters, readCounters } from '../../components/net/counters.ts';
import { SERIAL_VIRT_RX_COUNTERS, serialVirtRxComponent } from '../../components/serial/virt_rx.ts';
import { SERIAL_VIRT_TX_COUNTERS, serialVirtTxComponent } from '../../components/serial/virt_tx.ts';
import {
  PL011_DRIVER_COUNTERS,
  pl011DriverComponent,
  type Pl011DriverOptions,
} from '../../drivers/serial/pl011.ts';
import {
  serialConsoleComponent,
  type SerialConsoleConfig,
  type SerialConsoleStats,
} from '../../clients/serial_console.ts';
import { builtInSystemPath } from '../index.ts';
import { wireSerial, type SerialWiring } from './wiring.ts';

export interface SerialRunOptions {
  /** `serial` (built in) or a .system path. */
  readonly system?: string;
  readonly seed?: number;
  readonly schedule?: 'priority' | 'random';
  readonly faults?: FaultScript;
  /** Lines each client prints at init after its greeting (output load). */
  readonly lines?: number;
  readonly lineBytes?: number;
  /** Colour codes around each client's output (default on). */
  readonly colour?: boolean;
  /** Characters the keyboard delivers per quiescent point (default 8: half the UART's FIFO). */
  readonly typeChunk?: number;
  readonly driver?: Pl011DriverOptions;
  /** virt_tx splits data that never fits whole (default true; false = upstream, catalogue F11). */
  readonly split?: boolean;
  /** Tests: replace a PD's binding (a hostile client). */
  readonly rebind?: (pd: string, binding: ComponentBinding) => ComponentBinding;
  /** An observer wrapping a PD's component (traces/refinement/serial). */
  readonly wrapComponent?: (pd: string, binding: ComponentBinding) => ComponentFactory;
  readonly maxSteps?: number;
}

export interface SerialRunResult {
  readonly ok: boolean;
  readonly system: string;
  readonly seed: number;
  readonly status: 'complete' | 'incomplete';
  readonly clients: readonly {
    readonly name: string;
    readonly colour: number;
    readonly typed: number;
    readonly lines: number;
    readonly written: number;
    readonly shown: number;
    readonly dropped: number;
  }[];
  readonly uart: { readonly txChars: number; readonly rxChars: number; readonly overruns: number };
  readonly components: Record<string, Record<string, number>>;
  readonly invariantViolations: number;
  readonly violations: readonly string[];
  readonly monitorChecks: number;
  readonly faults: { readonly injected: number; readonly unexpected: readonly PdFault[] };
  /** The UART's output (the terminal's view), at most MAX_CONSOLE_BYTES. */
  readonly console: string;
}

export const MAX_CONSOLE_BYTES = 256 * 1024;
const MAX_VIOLATIONS = 50;

export function resolveSerialSystem(system: string | undefined): string {
  const s = system ?? 'serial';
  return builtInSystemPath(s) ?? s;
}

/** A booted serial system. */
export class SerialSession {
  private readonly rt: DeterministicRuntime;
  private readonly uart: Pl011;
  private readonly input: number[] = [];
  /** The UART's output for the report (the first MAX_CONSOLE_BYTES). */
  private readonly out: number[] = [];
  /** What the UART sent since the last `output()` (the interactive console drains it). */
  private unread: number[] = [];
  private readonly demux: ColourDemux;
  /** Per client: characters of its output the UART showed, and whether they matched so far. */
  private readonly shown: number[];
  private readonly mismatch: (string | null)[];
  private readonly written: number[][];
  private readonly stats: SerialConsoleStats[] = [];
  private readonly counters = new Map<
    string,
    { names: readonly string[]; buffer: SharedArrayBuffer }
  >();
  readonly violations: string[] = [];
  violationCount = 0;
  monitorChecks = 0;
  private status: 'complete' | 'incomplete' = 'complete';

  private constructor(
    readonly wiring: SerialWiring,
    readonly file: string,
    private readonly options: SerialRunOptions,
    build: (s: SerialSession) => { rt?: DeterministicRuntime; errors: readonly Diagnostic[] },
    uart: Pl011,
  ) {
    this.uart = uart;
    this.written = wiring.clients.map(() => []);
    this.shown = wiring.clients.map(() => 0);
    this.mismatch = wiring.clients.map(() => null);
    this.demux = new ColourDemux(wiring.clients.length, (k, b) => this.showByte(k, b));
    const r = build(this);
    this.rt = r.rt!;
  }

  static create(options: SerialRunOptions): {
    session?: SerialSession;
    errors: readonly Diagnostic[];
  } {
    const file = resolveSerialSystem(options.system);
    const { model, errors } = loadSystemModel(file);
    if (model === undefined) return { errors };
    const wired = wireSerial(model);
    if (wired.wiring === undefined) return { errors: wired.errors };
    const wiring = wired.wiring;
    const late: { rt?: DeterministicRuntime; session?: SerialSession } = {};
    const uart = new Pl011({
      name: 'uart',
      output: (b) => late.session?.emit(b),
      // The UART's IRQ line follows the device (level-triggered, §5.3).
      onIrqLevel: (up) => {
        if (late.rt === undefined) return;
        if (up) late.rt.irqs.assertLine(wiring.irq);
        else late.rt.irqs.deassertLine(wiring.irq);
      },
    });
    let failed: readonly Diagnostic[] = [];
    const session = new SerialSession(
      wiring,
      file,
      options,
      (s) => {
        const registry = new ComponentRegistry();
        for (const [pd, b] of s.bindings()) {
          const binding = options.rebind === undefined ? b : options.rebind(pd, b);
          registry.register(pd, {
            ...binding,
            factory: options.wrapComponent?.(pd, binding) ?? binding.factory,
          });
        }
        const created = DeterministicRuntime.create(model, {
          registry,
          mmio: new Map<string, MmioDevice>([[wiring.uartMr, uart]]),
          mode: options.schedule ?? 'priority',
          seed: options.seed ?? 1,
          restart: Object.fromEntries(model.pds.map((p) => [p.name, { maxRestarts: 8 }] as const)),
          onIdle: () => s.onIdle(),
          ...(options.faults === undefined ? {} : { faults: new ScriptedFaults(options.faults) }),
        });
        if (created.runtime === undefined) {
          failed = created.errors;
          return { errors: created.errors };
        }
        const rt = created.runtime;
        late.rt = rt;
        rt.irqs.attachLevelSource(wiring.irq, () => uart.irqAsserted());
        return { rt, errors: [] };
      },
      uart,
    );
    if (failed.length > 0) return { errors: failed };
    late.session = session;
    return { session, errors: [] };
  }

  private bindings(): Map<string, ComponentBinding> {
    const w = this.wiring;
    const o = this.options;
    const counters = (pd: string, names: readonly string[]): SharedArrayBuffer => {
      const buffer = Counters.buffer(names.length);
      this.counters.set(pd, { names, buffer });
      return buffer;
    };
    const m = new Map<string, ComponentBinding>();
    m.set(w.driver, {
      factory: pl011DriverComponent,
      params: {
        config: w.driverConfig,
        options: o.driver ?? {},
        counters: counters(w.driver, PL011_DRIVER_COUNTERS),
      },
    });
    m.set(w.virtTx, {
      factory: serialVirtTxComponent,
      params: {
        config: {
          ...w.virtTxConfig,
          colour: o.colour ?? true,
          ...(o.split === undefined ? {} : { split: o.split }),
        },
        counters: counters(w.virtTx, SERIAL_VIRT_TX_COUNTERS),
      },
    });
    if (w.virtRx !== null) {
      m.set(w.virtRx, {
        factory: serialVirtRxComponent,
        params: { config: w.virtRxConfig, counters: counters(w.virtRx, SERIAL_VIRT_RX_COUNTERS) },
      });
    }
    w.clientConfigs.forEach((c, i) => {
      const config: SerialConsoleConfig = {
        ...c,
        ...(o.lines === undefined ? {} : { lines: o.lines }),
        ...(o.lineBytes === undefined ? {} : { lineBytes: o.lineBytes }),
      };
      m.set(w.clients[i]!, {
        factory: (ctx) => {
          const comp = serialConsoleComponent({
            ...ctx,
            params: { ...ctx.params, stats: (s: SerialConsoleStats) => (this.stats[i] = s) },
          });
          return comp;
        },
        params: { config, tap: (b: Uint8Array) => this.written[i]!.push(...b) },
      });
    });
    return m;
  }

  private emit(b: number): void {
    if (this.out.length < MAX_CONSOLE_BYTES) this.out.push(b);
    if (this.unread.length < MAX_CONSOLE_BYTES) this.unread.push(b);
    this.demux.feed(b);
  }

  /** Client k's byte on the UART: the next one it wrote, or the first mismatch is kept. */
  private showByte(k: number, b: number): void {
    const i = this.shown[k]!;
    this.shown[k] = i + 1;
    const want = this.written[k]![i];
    if (this.mismatch[k] === null && want !== b) {
      this.mismatch[k] =
        `client${k}: the UART showed ${JSON.stringify(String.fromCharCode(b))} at its character ${i}, it wrote ${want === undefined ? 'nothing there' : JSON.stringify(String.fromCharCode(want))}: not a prefix of what it wrote`;
    }
  }

  /** Characters from the keyboard (delivered by `pump`). */
  type(bytes: Uint8Array | readonly number[]): void {
    for (const b of bytes) this.input.push(b & 0xff);
  }

  private onIdle(): boolean {
    this.check();
    if (this.input.length === 0) return false;
    const chunk = this.input.splice(0, Math.max(1, this.options.typeChunk ?? 8));
    this.uart.receive(Uint8Array.from(chunk));
    return true;
  }

  /** Run until nothing is runnable and no typed character is left. */
  pump(): void {
    const r = this.rt.run({ maxSteps: this.options.maxSteps ?? 1_000_000 });
    if (r.status !== 'quiescent') this.status = 'incomplete';
  }

  /** What the UART sent since the last call. */
  output(): Uint8Array {
    const o = Uint8Array.from(this.unread);
    this.unread = [];
    return o;
  }

  private violation(v: string): void {
    this.violationCount++;
    if (this.violations.length < MAX_VIOLATIONS) this.violations.push(v);
  }

  /** The monitors (see the header). */
  check(final = false): void {
    this.monitorChecks++;
    for (const q of this.wiring.queues) {
      const words = new Uint32Array(this.rt.region(q.queueMr).buffer!, 0, 3);
      const length = U32.sub(words[0]!, words[1]!);
      if (length > q.capacity)
        this.violation(`${q.queueMr}: tail - head = ${length} > capacity ${q.capacity}`);
    }
    if (this.options.colour === false) return; // nothing tells the clients apart
    this.wiring.clients.forEach((_, k) => {
      const m = this.mismatch[k] ?? null;
      if (m !== null && m !== '') {
        this.violation(m);
        this.mismatch[k] = ''; // reported once
      } else if (m === null && final && this.shown[k] !== this.written[k]!.length)
        this.violation(
          `client${k}: wrote ${this.written[k]!.length} characters, the UART showed ${this.shown[k]}`,
        );
    });
  }

  private clientWritten(k: number): readonly number[] {
    return this.written[k]!;
  }

  report(): SerialRunResult {
    this.check(true);
    const components: Record<string, Record<string, number>> = {};
    for (const [pd, c] of this.counters) components[pd] = readCounters(c.names, c.buffer);
    const unexpected = this.rt.faults.filter((f) => f.kind !== 'injected');
    for (const f of unexpected.slice(0, 5)) this.violation(`${f.pd}: ${f.kind}: ${f.message}`);
    return {
      ok: this.violationCount === 0 && this.status === 'complete',
      system:
        builtInSystemPath(this.options.system ?? 'serial') === undefined
          ? this.file
          : (this.options.system ?? 'serial'),
      seed: this.options.seed ?? 1,
      status: this.status,
      clients: this.wiring.clients.map((name, k) => ({
        name,
        colour: 31 + (k % 6),
        typed: this.stats[k]?.typed ?? 0,
        lines: this.stats[k]?.lines ?? 0,
        written: this.written[k]!.length,
        shown: this.shown[k]!,
        dropped: this.stats[k]?.dropped ?? 0,
      })),
      uart: {
        txChars: this.uart.txCount,
        rxChars: this.uart.rxCount,
        overruns: this.uart.overruns,
      },
      components,
      invariantViolations: this.violationCount,
      violations: this.violations,
      monitorChecks: this.monitorChecks,
      faults: { injected: this.rt.faultCount - unexpected.length, unexpected },
      console: String.fromCharCode(...this.out.slice(0, 64 * 1024)),
    };
  }
}

/** `demuxColours` one byte at a time (escape sequences may span calls). */
export class ColourDemux {
  private esc: number[] = [];
  private cur = -1;
  constructor(
    private readonly clients: number,
    private readonly onByte: (client: number, byte: number) => void,
  ) {}
  feed(b: number): void {
    if (this.esc.length === 0 && b !== 0x1b) {
      if (this.cur >= 0) this.onByte(this.cur, b);
      return;
    }
    this.esc.push(b);
    const e = this.esc;
    const prefixOf = (code: readonly (number | null)[]) =>
      e.length <= code.length && e.every((x, i) => code[i] === null || code[i] === x);
    const begin = [0x1b, 0x5b, 0x33, null, 0x6d];
    if (e.length === COLOUR_BEGIN_LEN && prefixOf(begin)) {
      const k = e[3]! - 0x31;
      this.cur = k >= 0 && k < this.clients ? k : -1;
      this.esc = [];
    } else if (e.length === COLOUR_END.length && prefixOf(COLOUR_END)) {
      this.cur = -1;
      this.esc = [];
    } else if (!prefixOf(begin) && !prefixOf(COLOUR_END)) {
      // Not a colour code: the bytes are data.
      this.esc = [];
      for (const x of e) if (this.cur >= 0) this.onByte(this.cur, x);
    }
  }
}

/**
 * Split the UART's output by virt_tx's colour codes (`\x1b[3Xm` … `\x1b[0m`): client k's stream
 * is what appeared inside its colour (colours are unambiguous for at most six clients).
 */
export function demuxColours(out: readonly number[], clients: number): number[][] {
  const streams: number[][] = Array.from({ length: clients }, () => []);
  let cur = -1;
  for (let i = 0; i < out.length; i++) {
    const b = out[i]!;
    if (b === 0x1b && out[i + 1] === 0x5b) {
      if (out[i + 2] === 0x33 && out[i + 4] === 0x6d) {
        const k = out[i + 3]! - 0x31;
        cur = k >= 0 && k < clients ? k : -1;
        i += COLOUR_BEGIN_LEN - 1;
        continue;
      }
      if (COLOUR_END.every((c, j) => out[i + j] === c)) {
        cur = -1;
        i += COLOUR_END.length - 1;
        continue;
      }
    }
    if (cur >= 0) streams[cur]!.push(b);
  }
  return streams;
}

/** The scripted run: boot, type `input`, run to the end, report. */
export function runSerial(options: SerialRunOptions & { readonly input?: Uint8Array }): {
  result?: SerialRunResult;
  errors: readonly Diagnostic[];
} {
  const { session, errors } = SerialSession.create(options);
  if (session === undefined) return { errors };
  session.type(options.input ?? new Uint8Array());
  session.pump();
  return { result: session.report(), errors: [] };
}

/**
 * Whether `sddf run SYSTEM` is a serial run: the built-in `serial`, or a .system file that is a
 * serial system and nothing else (every PD is its driver, a virtualiser or a client; the echo
 * server has serial PDs too, and is not one).
 */
export function isSerialSystem(system: string): boolean {
  if (system === 'serial') return true;
  if (!system.endsWith('.system')) return false;
  const { model } = loadSystemModel(system);
  if (model === undefined) return false;
  const { wiring } = wireSerial(model);
  if (wiring === undefined) return false;
  const roles = new Set([wiring.driver, wiring.virtTx, wiring.virtRx, ...wiring.clients]);
  return model.pds.every((p) => roles.has(p.name));
}
