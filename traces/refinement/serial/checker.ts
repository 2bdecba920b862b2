// The online refinement check of the serial virtualisers (issue 13 part 4; docs/adr/
// 023-serial-subsystem.md). Every `notified(ch)` of the implemented serial virt_tx and virt_rx
// (impl/components/serial) must equal one application of the handler spec
// (spec/components/serial-handlers.ts `virtTxNotified`, `virtRxNotified`), seen through the
// abstraction function below: from the abstraction of the state before the handler, the spec's
// handler gives the abstraction of the state after it and the same notifications in the same
// order.
//
// Abstraction: a serial queue is the bytes at [head, tail) of its data region (read through the
// component's own maps), its capacity, `producer_signalled == 0`, and whether its indices claim
// more than its capacity (corrupt); the component's private state is its probe's (tx_pending;
// the switch machine).
//
// A handler must run without another PD running inside it. On one core the driver (priority 100)
// preempts virt_tx (99) and virt_rx (98) at their notify; under the check, a virtualiser's
// notifications are delivered when its handler returns, which is the same system with the
// virtualisers above the driver (a priority assignment the components must be correct under, §1.6).
// A handler that faulted (an injected crash) is counted as not checked.
import {
  absVirtTxInitial,
  virtRxNotified,
  virtTxNotified,
  type AbsSerialQueue,
  type AbsVirtRx,
  type AbsVirtTx,
} from '../../../spec/components/serial-handlers.ts';
import {
  SERIAL_SWITCH_CHAR,
  SERIAL_TERMINATE_NUM_CHAR,
} from '../../../spec/components/serial-virt.ts';
import { U32 } from '../../../spec/queue/arith.ts';
import { FLAG_WANTS_SIGNAL } from '../../../spec/signal/handshake.ts';
import type {
  Component,
  ComponentContext,
  ComponentFactory,
  MicrokitApi,
} from '../../../impl/runtime/api.ts';
import type { ComponentBinding } from '../../../impl/runtime/registry.ts';
import type { SerialConn } from '../../../impl/components/serial/port.ts';
import {
  serialVirtTxComponent,
  type SerialVirtTxConfig,
  type SerialVirtTxProbe,
} from '../../../impl/components/serial/virt_tx.ts';
import {
  serialVirtRxComponent,
  type SerialVirtRxConfig,
  type SerialVirtRxProbe,
} from '../../../impl/components/serial/virt_rx.ts';

export interface SerialRefinementViolation {
  readonly pd: string;
  readonly ch: number;
  /** 1-based count of this PD's handler executions. */
  readonly execution: number;
  readonly differences: readonly string[];
}

export interface SerialRefinementReport {
  readonly checked: number;
  readonly matched: number;
  readonly violations: number;
  readonly notChecked: Readonly<Record<string, number>>;
  readonly components: Readonly<
    Record<string, { checked: number; matched: number; violations: number }>
  >;
  readonly kept: readonly SerialRefinementViolation[];
}

/** Read a queue's abstraction through a PD's maps. */
export function abstractQueue(mem: MicrokitApi['mem'], conn: SerialConn): AbsSerialQueue {
  const tail = mem.read32(conn.queue.vaddr);
  const head = mem.read32(conn.queue.vaddr + 4);
  const flag = mem.read32(conn.queue.vaddr + 8);
  const capacity = conn.data.sizeBytes;
  const length = U32.sub(tail, head);
  const wantsSignal = flag === FLAG_WANTS_SIGNAL;
  if (length > capacity) return { bytes: [], capacity, wantsSignal, corrupt: true };
  const bytes: number[] = [];
  for (let i = 0; i < length; i++)
    bytes.push(mem.read8(conn.data.vaddr + (U32.add(head, i) % capacity)));
  return { bytes, capacity, wantsSignal, corrupt: false };
}

/** Where two abstract states differ, as `path: impl … spec …` lines (at most `limit`). */
export function differences(impl: unknown, spec: unknown, path = '', limit = 8): string[] {
  const out: string[] = [];
  const walk = (a: unknown, b: unknown, p: string): void => {
    if (out.length >= limit) return;
    if (Array.isArray(a) && Array.isArray(b) && a.every((x) => typeof x === 'number')) {
      if (a.length !== b.length || a.some((x, i) => x !== b[i]))
        out.push(
          `${p}: impl [${a.slice(0, 24).join(',')}${a.length > 24 ? ',…' : ''}] (${a.length}), spec [${(b as number[]).slice(0, 24).join(',')}${b.length > 24 ? ',…' : ''}] (${b.length})`,
        );
      return;
    }
    if (typeof a === 'object' && a !== null && typeof b === 'object' && b !== null) {
      const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
      for (const k of keys)
        walk((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k], `${p}.${k}`);
      return;
    }
    if (a !== b) out.push(`${p}: impl ${JSON.stringify(a)}, spec ${JSON.stringify(b)}`);
  };
  walk(impl, spec, path);
  return out;
}

/** The API a checked virtualiser gets: notifications recorded and delivered at handler end. */
class DeferringApi implements MicrokitApi {
  notified: number[] = [];
  constructor(private readonly inner: MicrokitApi) {}
  get name(): string {
    return this.inner.name;
  }
  get mem(): MicrokitApi['mem'] {
    return this.inner.mem;
  }
  notify(ch: number): void {
    this.notified.push(ch);
  }
  /** Deliver what the handler notified, in order. */
  flush(): void {
    const n = this.notified;
    this.notified = [];
    for (const ch of n) this.inner.notify(ch);
  }
  deferredNotify(ch: number): void {
    this.inner.deferredNotify(ch);
  }
  irqAck(ch: number): void {
    this.inner.irqAck(ch);
  }
  deferredIrqAck(ch: number): void {
    this.inner.deferredIrqAck(ch);
  }
  ppcall(ch: number, msg: Parameters<MicrokitApi['ppcall']>[1]): ReturnType<MicrokitApi['ppcall']> {
    return this.inner.ppcall(ch, msg);
  }
  deferredCurrent(): number | null {
    return this.inner.deferredCurrent();
  }
}

export interface SerialRefinementOptions {
  /** The PDs to check; absent: every PD bound to impl/components/serial's virt_tx or virt_rx. */
  readonly virtTx?: string;
  readonly virtRx?: string | null;
  readonly keep?: number;
}

export class SerialRefinement {
  private readonly stats = new Map<
    string,
    { checked: number; matched: number; violations: number; executions: number }
  >();
  private readonly notChecked: Record<string, number> = {};
  private readonly kept: SerialRefinementViolation[] = [];

  constructor(private readonly options: SerialRefinementOptions = {}) {}

  private stat(pd: string) {
    let s = this.stats.get(pd);
    if (s === undefined) {
      s = { checked: 0, matched: 0, violations: 0, executions: 0 };
      this.stats.set(pd, s);
    }
    return s;
  }

  /** The factory to run for `pd`: the binding's, checked when it is a serial virtualiser. */
  wrap(pd: string, binding: ComponentBinding): ComponentFactory {
    const o = this.options;
    if (o.virtTx === undefined ? binding.factory === serialVirtTxComponent : pd === o.virtTx)
      return this.wrapVirt(pd, binding, 'tx');
    if (o.virtRx === undefined ? binding.factory === serialVirtRxComponent : pd === o.virtRx)
      return this.wrapVirt(pd, binding, 'rx');
    return binding.factory;
  }

  private wrapVirt(pd: string, binding: ComponentBinding, kind: 'tx' | 'rx'): ComponentFactory {
    return (ctx: ComponentContext): Component => {
      const api = new DeferringApi(ctx.api);
      let probe: SerialVirtTxProbe | SerialVirtRxProbe | null = null;
      const inner = binding.factory({
        ...ctx,
        api,
        params: { ...ctx.params, probe: (p: SerialVirtTxProbe | SerialVirtRxProbe) => (probe = p) },
      });
      const config = ctx.params['config'] as SerialVirtTxConfig | SerialVirtRxConfig;
      const abstractTx = (): AbsVirtTx => {
        const c = config as SerialVirtTxConfig;
        // The spec's truth: colour as configured, the F11 split always (ADR 023).
        const s = absVirtTxInitial(
          abstractQueue(ctx.api.mem, c.driver),
          c.clients.map((q) => abstractQueue(ctx.api.mem, q)),
          c.colour,
        );
        return { ...s, pending: (probe as SerialVirtTxProbe).pending() };
      };
      const abstractRx = (): AbsVirtRx => {
        const c = config as SerialVirtRxConfig;
        return {
          driver: abstractQueue(ctx.api.mem, c.driver),
          clients: c.clients.map((q) => abstractQueue(ctx.api.mem, q)),
          sw: (probe as SerialVirtRxProbe).switchState(),
        };
      };
      return {
        init: () => {
          inner.init();
          api.flush();
        },
        notified: (ch) => {
          const s = this.stat(pd);
          s.executions++;
          let spec: { state: unknown; notified: readonly number[] };
          if (kind === 'tx') {
            const c = config as SerialVirtTxConfig;
            spec = virtTxNotified(abstractTx(), ch, {
              driver: c.driver.id,
              clients: c.clients.map((q) => q.id),
            });
          } else {
            const c = config as SerialVirtRxConfig;
            spec = virtRxNotified(
              abstractRx(),
              ch,
              { driver: c.driver.id, clients: c.clients.map((q) => q.id) },
              {
                switchChar: c.switchChar ?? SERIAL_SWITCH_CHAR,
                terminateChar: c.terminateChar ?? SERIAL_TERMINATE_NUM_CHAR,
              },
            );
          }
          try {
            inner.notified(ch);
          } catch (e) {
            this.notChecked['faulted'] = (this.notChecked['faulted'] ?? 0) + 1;
            api.notified = [];
            throw e;
          }
          const after = kind === 'tx' ? abstractTx() : abstractRx();
          const diffs = differences(after, spec.state, kind === 'tx' ? 'virt_tx' : 'virt_rx');
          if (
            api.notified.length !== spec.notified.length ||
            api.notified.some((x, i) => x !== spec.notified[i])
          )
            diffs.push(
              `notified: impl [${api.notified.join(',')}], spec [${spec.notified.join(',')}]`,
            );
          s.checked++;
          if (diffs.length === 0) s.matched++;
          else {
            s.violations++;
            if (this.kept.length < (this.options.keep ?? 20))
              this.kept.push({ pd, ch, execution: s.executions, differences: diffs });
          }
          api.flush();
        },
      };
    };
  }

  report(): SerialRefinementReport {
    let checked = 0;
    let matched = 0;
    let violations = 0;
    const components: Record<string, { checked: number; matched: number; violations: number }> = {};
    for (const [pd, s] of this.stats) {
      checked += s.checked;
      matched += s.matched;
      violations += s.violations;
      components[pd] = { checked: s.checked, matched: s.matched, violations: s.violations };
    }
    return {
      checked,
      matched,
      violations,
      notChecked: { ...this.notChecked },
      components,
      kept: this.kept,
    };
  }
}
