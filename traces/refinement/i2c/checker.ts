// The online refinement check of the I²C virt (issue #13 part 7) against spec/components/i2c/
// virt.ts. Abstraction: the queues are read from shared memory as the spec's values
// (impl/components/i2c/state.ts); the ownership list and the deferred queue are private to the
// virt, so their abstraction is the spec state driven by the same history (a shadow, reset when the
// virt restarts). Each handler must take the abstraction before it to the abstraction after it as
// the spec's step does — every queue's indices and live entries — and notify the same clients and
// the driver; a protected call must give the spec's reply.
import { readReqQueueState, readRespQueueState } from '../../../impl/components/i2c/state.ts';
import { reqQueueBytes, respQueueBytes } from '../../../impl/components/i2c/virt.ts';
import type { I2cVirtConfig as ImplConfig } from '../../../impl/components/i2c/config.ts';
import type { Component, ComponentFactory, MicrokitApi } from '../../../impl/runtime/api.ts';
import type { ComponentBinding } from '../../../impl/runtime/registry.ts';
import {
  I2C_BUS_ADDRESS_MAX,
  BUS_UNCLAIMED,
  I2C_VIRT_FIXED,
  virtNotified,
  virtProtected,
  type DeferredEntry,
  type I2cVirtConfig,
  type I2cVirtState,
} from '../../../spec/components/i2c/virt.ts';
import { I2C_CAPACITY } from '../../../spec/queue/i2c.ts';
import {
  i2cStateReqAbstraction,
  i2cStateRespAbstraction,
  type I2cReqQueueState,
  type I2cRespQueueState,
} from '../../../spec/queue/i2c-state.ts';
import {
  RecordingApi,
  RefinementLog,
  differ,
  type Difference,
  type RefinementReport,
} from '../timer/recording.ts';

/** The abstraction of the virt's queues: each read from shared memory as the spec's value. */
export function queues(api: MicrokitApi, cfg: ImplConfig) {
  const req = (vaddr: number): I2cReqQueueState => {
    const w = api.mem.sharedWindow(vaddr, reqQueueBytes(), 8);
    return readReqQueueState(w.buffer, w.byteOffset, I2C_CAPACITY);
  };
  const resp = (vaddr: number): I2cRespQueueState => {
    const w = api.mem.sharedWindow(vaddr, respQueueBytes(), 8);
    return readRespQueueState(w.buffer, w.byteOffset, I2C_CAPACITY);
  };
  return {
    clientReq: cfg.clients.map((c) => req(c.reqVaddr)),
    clientResp: cfg.clients.map((c) => resp(c.respVaddr)),
    driverReq: req(cfg.driver.reqVaddr),
    driverResp: resp(cfg.driver.respVaddr),
  };
}

function compareQueues(impl: ReturnType<typeof queues>, spec: I2cVirtState, d: Difference[]): void {
  const req = (name: string, a: I2cReqQueueState, b: I2cReqQueueState) => {
    differ(`${name} indices`, [a.stagedTail, a.tail, a.head], [b.stagedTail, b.tail, b.head], d);
    differ(
      `${name} entries`,
      i2cStateReqAbstraction(I2C_CAPACITY, a).items,
      i2cStateReqAbstraction(I2C_CAPACITY, b).items,
      d,
    );
  };
  const resp = (name: string, a: I2cRespQueueState, b: I2cRespQueueState) => {
    differ(`${name} indices`, [a.tail, a.head], [b.tail, b.head], d);
    differ(
      `${name} entries`,
      i2cStateRespAbstraction(I2C_CAPACITY, a).items,
      i2cStateRespAbstraction(I2C_CAPACITY, b).items,
      d,
    );
  };
  impl.clientReq.forEach((q, c) => req(`client${c}.req`, q, spec.clientReq[c]!));
  impl.clientResp.forEach((q, c) => resp(`client${c}.resp`, q, spec.clientResp[c]!));
  req('driver.req', impl.driverReq, spec.driverReq);
  resp('driver.resp', impl.driverResp, spec.driverResp);
}

export class I2cRefinement {
  readonly log = new RefinementLog();

  /** The virt (`virtPd`, or by default the PD bound to `i2cVirtComponent`) is checked. */
  wrap(pd: string, binding: ComponentBinding, virtPd?: string): ComponentFactory {
    const isVirt = virtPd === undefined ? binding.exportName === 'i2cVirtComponent' : pd === virtPd;
    if (!isVirt) return binding.factory;
    const log = this.log;
    const implCfg = (binding.params as { config: ImplConfig }).config;
    const cfg: I2cVirtConfig = {
      clients: implCfg.clients.map((c) => ({
        dataVaddr: c.dataVaddr,
        dataSizeBytes: c.dataSizeBytes,
        driverDataVaddr: c.driverDataVaddr,
      })),
      capacity: I2C_CAPACITY,
      flavour: I2C_VIRT_FIXED,
    };
    const clientByCh = new Map(implCfg.clients.map((c, i) => [c.ch, i]));
    return (ctx) => {
      const api = new RecordingApi(ctx.api, () => false);
      const inner = binding.factory({ ...ctx, api });
      let security: readonly number[] = new Array<number>(I2C_BUS_ADDRESS_MAX + 1).fill(
        BUS_UNCLAIMED,
      );
      let deferred: readonly DeferredEntry[] = [];
      let executions = 0;
      const out: Component = {
        init: () => {
          executions++;
          inner.init();
          security = new Array<number>(I2C_BUS_ADDRESS_MAX + 1).fill(BUS_UNCLAIMED);
          deferred = [];
        },
        notified: (ch) => {
          executions++;
          const before = queues(api, implCfg);
          api.start();
          inner.notified(ch);
          const after = queues(api, implCfg);
          const client = clientByCh.get(ch);
          const source =
            ch === implCfg.driver.ch
              ? ({ kind: 'driver' } as const)
              : client === undefined
                ? null
                : ({ kind: 'client', client } as const);
          const d: Difference[] = [];
          if (source === null) {
            differ('a stray notification changes nothing', after, before, d);
          } else {
            const s = virtNotified(cfg, { security, deferred, ...before }, source);
            compareQueues(after, s.state, d);
            differ(
              'notified clients',
              [...new Set(api.notified.map((c) => clientByCh.get(c) ?? -1))].sort((a, b) => a - b),
              s.effects.notifiedClients,
              d,
            );
            differ(
              'notified driver (deferred)',
              api.deferred === implCfg.driver.ch,
              s.effects.notifiedDriver,
              d,
            );
            deferred = s.state.deferred;
          }
          log.record({ pd, handler: `notified(${ch})`, execution: executions }, d);
        },
        protected: (ch, msg) => {
          executions++;
          const reply = inner.protected!(ch, msg);
          const s = virtProtected(
            security,
            { client: clientByCh.get(ch) ?? -1, label: msg.label, words: msg.words },
            cfg.clients.length,
          );
          const d: Difference[] = [];
          differ('reply label', reply.label, s.reply, d);
          log.record(
            { pd, handler: `protected(${ch}, label ${msg.label})`, execution: executions },
            d,
          );
          security = s.security;
          return reply;
        },
      };
      return out;
    };
  }

  report(): RefinementReport {
    return this.log.report();
  }
}
