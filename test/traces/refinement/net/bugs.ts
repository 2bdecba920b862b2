// Seeded bugs for the refinement check of the network components, installed through runSystem's
// `rebind` (tests only). Each replaces one component's binding by the real component with one
// wrong step; where the bug acts at a known handler execution it records the first one, so a test
// can tell that the check reported the first divergent handler and nothing before it.
import type { MicrokitApi } from '../../../../impl/runtime/api.ts';
import type { ComponentBinding } from '../../../../impl/runtime/registry.ts';
import type {
  NetCopyConfig,
  NetVirtRxConfig,
  NetVirtTxConfig,
} from '../../../../impl/components/net/config.ts';
import { NET_DESC_SIZE_BYTES, NET_QUEUE_HEADER_BYTES } from '../../../../spec/queue/net.ts';

export type Rebind = (pd: string, binding: ComponentBinding) => ComponentBinding;

/** A seeded bug: the rebind, and the 1-based handler execution at which it first acted (or -1). */
export interface SeededBug {
  readonly pd: string;
  readonly rebind: Rebind;
  firstActed: () => number;
}

/** The MicrokitApi `api`, with `notify`/`deferredNotify` replaced. */
function apiWith(
  api: MicrokitApi,
  over: Partial<Pick<MicrokitApi, 'notify' | 'deferredNotify'>>,
): MicrokitApi {
  return {
    get name() {
      return api.name;
    },
    get mem() {
      return api.mem;
    },
    notify: over.notify ?? ((ch) => api.notify(ch)),
    deferredNotify: over.deferredNotify ?? ((ch) => api.deferredNotify(ch)),
    irqAck: (ch) => api.irqAck(ch),
    deferredIrqAck: (ch) => api.deferredIrqAck(ch),
    ppcall: (ch, msg) => api.ppcall(ch, msg),
    deferredCurrent: () => api.deferredCurrent(),
  };
}

/** Counts the handler executions of `pd` (init and notified, across restarts). */
function counted(
  pd: string,
  make: (b: ComponentBinding, exec: () => number) => ComponentBinding['factory'],
): { rebind: Rebind } {
  let executions = 0;
  return {
    rebind: (name, b) => {
      if (name !== pd) return b;
      const factory = make(b, () => executions);
      return {
        ...b,
        factory: (ctx) => {
          const c = factory(ctx);
          return {
            init: () => {
              executions++;
              c.init();
            },
            notified: (ch) => {
              executions++;
              c.notified(ch);
            },
          };
        },
      };
    },
  };
}

/** From handler execution `from` on, the copier does not signal its client (a lost wakeup). */
export function copierForgetsClientSignal(pd: string, from: number): SeededBug {
  let first = -1;
  const { rebind } = counted(pd, (b, exec) => (ctx) => {
    const client = (ctx.params['config'] as NetCopyConfig).client.id;
    const drop = (ch: number, real: (ch: number) => void): void => {
      if (ch === client && exec() >= from) {
        if (first < 0) first = exec();
        return;
      }
      real(ch);
    };
    const api = apiWith(ctx.api, {
      notify: (ch) => drop(ch, (c) => ctx.api.notify(c)),
      deferredNotify: (ch) => drop(ch, (c) => ctx.api.deferredNotify(c)),
    });
    return b.factory({ ...ctx, api });
  });
  return { pd, rebind, firstActed: () => first };
}

/**
 * From handler execution `from` on, the copier corrupts one byte of the last frame it handed its
 * client in that handler (a wrong copy: the data region, not the queues, is wrong).
 */
export function copierCorruptsCopy(pd: string, from: number): SeededBug {
  let first = -1;
  const { rebind } = counted(pd, (b, exec) => (ctx) => {
    const cfg = ctx.params['config'] as NetCopyConfig;
    const cap = cfg.client.numBuffers;
    const size = NET_QUEUE_HEADER_BYTES + NET_DESC_SIZE_BYTES * cap;
    const w = ctx.api.mem.sharedWindow(cfg.client.active.vaddr, size, 8);
    const active = new DataView(w.buffer, w.byteOffset, size);
    const data = ctx.api.mem.sharedWindow(cfg.clientData.vaddr, cfg.clientData.sizeBytes, 1);
    const bytes = new Uint8Array(data.buffer, data.byteOffset, cfg.clientData.sizeBytes);
    const c = b.factory(ctx);
    const around = (run: () => void): void => {
      const tail = active.getUint16(0, true);
      run();
      const now = active.getUint16(0, true);
      if (now === tail || exec() < from) return;
      const slot = ((now - 1) & 0xffff) % cap;
      const off = Number(
        active.getBigUint64(NET_QUEUE_HEADER_BYTES + NET_DESC_SIZE_BYTES * slot, true),
      );
      bytes[off + 20] = bytes[off + 20]! ^ 0x5a;
      if (first < 0) first = exec();
    };
    return { init: () => around(() => c.init()), notified: (ch) => around(() => c.notified(ch)) };
  });
  return { pd, rebind, firstActed: () => first };
}

/** virt_rx demultiplexes with clients 0 and 1's MAC addresses swapped (frames to the wrong copier). */
export function virtRxSwapsMacs(pd: string): SeededBug {
  const rebind: Rebind = (name, b) =>
    name !== pd
      ? b
      : {
          ...b,
          factory: (ctx) => {
            const cfg = ctx.params['config'] as NetVirtRxConfig;
            const clients = [...cfg.clients];
            clients[0] = { ...cfg.clients[0]!, macAddrs: cfg.clients[1]!.macAddrs };
            clients[1] = { ...cfg.clients[1]!, macAddrs: cfg.clients[0]!.macAddrs };
            return b.factory({ ...ctx, params: { ...ctx.params, config: { ...cfg, clients } } });
          },
        };
  return { pd, rebind, firstActed: () => -1 };
}

/** virt_tx translates client 0's offsets one buffer too far (a wrong I/O address to the NIC). */
export function virtTxTranslatesWrong(pd: string): SeededBug {
  const rebind: Rebind = (name, b) =>
    name !== pd
      ? b
      : {
          ...b,
          factory: (ctx) => {
            const cfg = ctx.params['config'] as NetVirtTxConfig;
            const clients = cfg.clients.map((cl, k) =>
              k !== 0
                ? cl
                : {
                    ...cl,
                    regions: cl.regions.map((r) => ({
                      ...r,
                      data: { ...r.data, ioAddr: r.data.ioAddr + 2048n },
                    })),
                  },
            );
            return b.factory({ ...ctx, params: { ...ctx.params, config: { ...cfg, clients } } });
          },
        };
  return { pd, rebind, firstActed: () => -1 };
}

/**
 * Not a bug in a refined component: a client that stops handling its notifications after its
 * `after`-th (it never consumes or returns another buffer), so its copier has to drop (F15's
 * situation).
 */
export function clientStalls(pd: string, after: number): Rebind {
  return (name, b) =>
    name !== pd
      ? b
      : {
          ...b,
          factory: (ctx) => {
            const c = b.factory(ctx);
            let n = 0;
            return {
              init: () => c.init(),
              notified: (ch) => {
                if (++n <= after) c.notified(ch);
              },
            };
          },
        };
}
