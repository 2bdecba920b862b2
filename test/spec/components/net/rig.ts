// A rig that runs one network component's handlers, step by step, on a hand-set state: the layout
// and configuration of a net-pipeline instance (proofs/models/net-pipeline.ts, the state `init`
// leaves), one PD's spec program (spec/components/net) and a PdContext over the state vector that
// records what the PD asked of the kernel (notifies, deferred slot, IRQ acks) and the properties
// it reported broken. Memory is sequentially consistent (the model's PdMemory without a store
// buffer); weak memory is the model checker's business, not these handler tests'.
import { PdMemory } from '../../../../proofs/models/memory.ts';
import { buildNetPipeline } from '../../../../proofs/models/net-pipeline.ts';
import type { PipelineInstance } from '../../../../proofs/models/net-pipeline/config.ts';
import type { DeviceMem } from '../../../../spec/common/memory.ts';
import { netClient } from '../../../../spec/components/net/client.ts';
import type { NetConfig } from '../../../../spec/components/net/config.ts';
import { netCopier } from '../../../../spec/components/net/copier.ts';
import { netDriver } from '../../../../spec/components/net/driver.ts';
import { netVirtRx } from '../../../../spec/components/net/virt-rx.ts';
import { netVirtTx } from '../../../../spec/components/net/virt-tx.ts';
import { netVirtioDriver } from '../../../../spec/components/net/virtio-driver.ts';
import {
  PC_DONE,
  type ComponentProgram,
  type PdContext,
} from '../../../../spec/components/program.ts';
import { netDequeue, netEnqueue, netLength, type NetQueueRef } from '../../../../spec/queue/net.ts';

export interface Failed {
  readonly property: string;
  readonly message: string;
}

export interface NetRig {
  readonly cfg: NetConfig;
  readonly inst: PipelineInstance;
  readonly s: Uint32Array;
  readonly mem: PdMemory;
  readonly dev: DeviceMem;
  /** What the PD asked of the kernel, in order: `notify 1`, `deferred 2`, `deferred_irq_ack 0`, `irq_ack 0`. */
  readonly calls: string[];
  readonly fails: Failed[];
  /** The deferred slot's channel as `sddf_deferred_notify_curr()` reads it (-1: empty). */
  deferredCurr: number;
  ctx(pd: string): PdContext;
  program(pd: string): ComponentProgram;
  local(pd: string, i: number): number;
  setLocal(pd: string, i: number, v: number): void;
  ghost(i: number): number;
  setGhost(i: number, v: number): void;
  /**
   * Runs `pd` from `pc` to PC_DONE; returns the names of the steps it ran. With `limit`, stops
   * after that many steps (a handler that would not return); without, 1000 steps are an error.
   */
  runFrom(pd: string, pc: number, limit?: number): string[];
  /** Runs `notified(ch)` of `pd`. */
  notified(pd: string, ch: number): string[];
  /** Runs `init()` of `pd` (the instance must be built with boot=1). */
  init(pd: string): string[];
  /** Queue helpers over the rig's memory (HEAD flavour of the instance). */
  enq(q: NetQueueRef, v: number): void;
  drain(q: NetQueueRef): number[];
  len(q: NetQueueRef): number;
  /** The words of the state named `name` in the model's layout. */
  at(name: string): number;
}

/** A rig over a fresh net-pipeline instance (`net-virtio` when `bounds.driver` is 1). */
export function netRig(bounds: Record<string, number>, bug?: string): NetRig {
  const model = bounds['driver'] === 1 ? 'net-virtio' : 'net-pipeline';
  const built = buildNetPipeline(
    { memoryModel: 'sc', bounds, ...(bug !== undefined ? { bug } : {}) },
    model,
  );
  const inst = built.instance;
  const cfg = inst.cfg;
  const s = new Uint32Array(built.ts.initialStates()[0]!);
  const mem = new PdMemory(s, 'sc', null);
  const dev: DeviceMem = { read: (a) => s[a] ?? 0, write: (a, v) => void (s[a] = v >>> 0) };
  const calls: string[] = [];
  const fails: Failed[] = [];
  const programs = new Map<string, ComponentProgram>();
  const program = (pd: string): ComponentProgram => {
    let p = programs.get(pd);
    if (p === undefined) {
      if (pd === 'driver') p = cfg.hw.kind === 'enet' ? netDriver(cfg) : netVirtioDriver(cfg);
      else if (pd === 'virt_rx') p = netVirtRx(cfg);
      else if (pd === 'virt_tx') p = netVirtTx(cfg);
      else if (pd.startsWith('copier')) p = netCopier(cfg, Number(pd.slice(6)));
      else p = netClient(cfg, Number(pd.slice(6)));
      programs.set(pd, p);
    }
    return p;
  };
  const localBase = (pd: string) => built.pdWords(pd).locals;
  const rig: NetRig = {
    cfg,
    inst,
    s,
    mem,
    dev,
    calls,
    fails,
    deferredCurr: -1,
    program,
    local: (pd, i) => s[localBase(pd) + i]!,
    setLocal: (pd, i, v) => void (s[localBase(pd) + i] = v >>> 0),
    ghost: (i) => s[inst.ghostBase + i]!,
    setGhost: (i, v) => void (s[inst.ghostBase + i] = v >>> 0),
    ctx(pd) {
      const words = program(pd).localWords;
      const checked = (i: number) => {
        if (!(i >= 0 && i < words)) throw new Error(`${pd}: local ${i} of ${words}`);
        return localBase(pd) + i;
      };
      return {
        mem,
        dev,
        local: (i) => s[checked(i)]!,
        setLocal: (i, v) => void (s[checked(i)] = v >>> 0),
        notify: (ch) => void calls.push(`notify ${ch}`),
        deferredNotify: (ch) => {
          calls.push(`deferred ${ch}`);
          rig.deferredCurr = ch;
        },
        deferredIrqAck: (ch) => void calls.push(`deferred_irq_ack ${ch}`),
        irqAck: (ch) => void calls.push(`irq_ack ${ch}`),
        deferredNotifyCurr: () => rig.deferredCurr,
        fail: (property, message) => void fails.push({ property, message }),
        ghost: (i) => s[inst.ghostBase + i]!,
        setGhost: (i, v) => void (s[inst.ghostBase + i] = v >>> 0),
      };
    },
    runFrom(pd, pc, limit) {
      const prog = program(pd);
      const ctx = rig.ctx(pd);
      const ran: string[] = [];
      for (let n = 0; pc !== PC_DONE; n++) {
        if (limit !== undefined && n >= limit) return ran;
        if (n > 1000)
          throw new Error(`${pd}: no return after 1000 steps: ${ran.slice(-8).join(', ')}`);
        ran.push(prog.steps[pc]!);
        pc = prog.step(pc, ctx);
      }
      return ran;
    },
    notified(pd, ch) {
      rig.deferredCurr = -1; // the runtime flushed the slot when the last handler returned
      return rig.runFrom(pd, program(pd).entry(ch));
    },
    init(pd) {
      rig.deferredCurr = -1;
      const pc = program(pd).initPc;
      if (pc === PC_DONE) throw new Error(`${pd}: the instance starts after init (boot=0)`);
      return rig.runFrom(pd, pc);
    },
    enq(q, v) {
      if (!netEnqueue(mem, q, cfg.flavour, v)) throw new Error(`${q.name} full`);
    },
    drain(q) {
      const out: number[] = [];
      for (let v = netDequeue(mem, q, cfg.flavour); v !== null; v = netDequeue(mem, q, cfg.flavour))
        out.push(v);
      return out;
    },
    len: (q) => netLength(mem, q),
    at: (name) => inst.layout.field(name).offset,
  };
  return rig;
}
