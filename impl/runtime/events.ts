// Observability (issue #5 part 6): PD entries, notifications, IRQs, faults and DMA as events in the
// sDDF vocabulary, with counters. The runtime holds `Recorder | null`; every record site is
// `if (rec !== null) rec.push({...})`, so with recording off no event object is allocated.

import type { ItfValue } from '../../spec/common/transition.ts';

export type RuntimeEvent =
  | { readonly action: 'init'; readonly pd: string }
  | { readonly action: 'notified'; readonly pd: string; readonly ch: number }
  | {
      readonly action: 'protected';
      readonly pd: string;
      readonly ch: number;
      readonly label: number;
    }
  | {
      readonly action: 'notify';
      readonly pd: string;
      readonly ch: number;
      readonly to: string;
      readonly toCh: number;
      readonly deferred: boolean;
    }
  | { readonly action: 'ppcall'; readonly pd: string; readonly ch: number; readonly to: string }
  | {
      readonly action: 'deferred_overwrite';
      readonly pd: string;
      readonly lost: string;
      readonly by: string;
    }
  | {
      readonly action: 'deferred_lost';
      readonly pd: string;
      readonly lost: string;
      readonly why: string;
    }
  | { readonly action: 'irq'; readonly pd: string; readonly ch: number; readonly irq: number }
  | {
      readonly action: 'irq_ack';
      readonly pd: string;
      readonly ch: number;
      readonly irq: number;
      readonly deferred: boolean;
    }
  | {
      readonly action: 'fault';
      readonly pd: string;
      readonly kind: string;
      readonly vaddr: number;
      readonly message: string;
    }
  | { readonly action: 'restart'; readonly pd: string; readonly restarts: number }
  | {
      readonly action: 'dma';
      readonly pd: string;
      readonly ioAddr: string;
      readonly lengthBytes: number;
      readonly write: boolean;
    }
  | {
      readonly action: 'dma_fault';
      readonly pd: string;
      readonly ioAddr: string;
      readonly reason: string;
    }
  | { readonly action: 'inject'; readonly pd: string; readonly what: string };

export type RuntimeAction = RuntimeEvent['action'];

/** Events kept per run; past this the recorder only counts (a long run must not eat the heap). */
export const MAX_RECORDED_EVENTS = 2_000_000;

export class Recorder {
  readonly events: RuntimeEvent[] = [];
  readonly counters = new Map<RuntimeAction, number>();
  truncated = false;

  push(e: RuntimeEvent): void {
    this.counters.set(e.action, (this.counters.get(e.action) ?? 0) + 1);
    if (this.events.length < MAX_RECORDED_EVENTS) this.events.push(e);
    else this.truncated = true;
  }

  count(action: RuntimeAction): number {
    return this.counters.get(action) ?? 0;
  }
}

/**
 * The schedule as an ITF trace (verification-tools.md §2): one state per event, variables `step`,
 * `pd`, `action` and `detail` (the rest of the event as a record). impl/ may not import traces/
 * (eslint layer rule), so the few lines of ITF shape live here.
 */
export function eventsToItf(
  events: readonly RuntimeEvent[],
  meta: Record<string, string | number>,
): Record<string, ItfValue> {
  const states: ItfValue[] = events.map((e, index) => {
    const detail: Record<string, ItfValue> = {};
    for (const [k, v] of Object.entries(e)) {
      if (k === 'pd' || k === 'action') continue;
      detail[k] = v as ItfValue;
    }
    return {
      '#meta': { index, action: e.action, pd: e.pd },
      step: index,
      pd: e.pd,
      action: e.action,
      detail,
    };
  });
  return {
    '#meta': {
      format: 'ITF',
      'format-description': 'https://apalache-mc.org/docs/adr/015adr-trace.html',
      source: 'sddf-model',
      model: 'runtime',
      ...meta,
    },
    vars: ['step', 'pd', 'action', 'detail'],
    states,
  };
}
