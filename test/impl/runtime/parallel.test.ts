import { describe, expect, it } from 'vitest';
import { ParallelRuntime, workerDataFor } from '../../../impl/runtime/parallel.ts';
import { DeterministicRuntime } from '../../../impl/runtime/deterministic.ts';
import { loadSystemModel } from '../../../impl/runtime/load.ts';
import { planSystem } from '../../../impl/runtime/plan.ts';
import { ComponentRegistry } from '../../../impl/runtime/registry.ts';
import { pingPongBindings, pongReply } from '../../../impl/runtime/components/ping_pong.ts';
import { system } from './build.ts';
import * as C from './worker-components.ts';

const PING_PONG = 'test/fixtures/runtime/ping_pong.system';
const model = loadSystemModel(PING_PONG).model!;

function registry(rounds: number): ComponentRegistry {
  const b = pingPongBindings(rounds);
  return new ComponentRegistry().register('ping', b.ping).register('pong', b.pong);
}

function log(rt: { region(n: string): { buffer: SharedArrayBuffer | null } }): number[] {
  const words = new Uint32Array(rt.region('ping_log').buffer!);
  return [...words.slice(1, 1 + words[0]!)];
}

const bind = (exportName: keyof typeof C, params: Record<string, unknown> = {}) => ({
  factory: C[exportName],
  moduleUrl: new URL('./worker-components.ts', import.meta.url).href,
  exportName,
  params,
});

describe('ParallelRuntime (one worker_thread per PD)', () => {
  it('delivers the same ping-pong messages as the deterministic scheduler', async () => {
    const rounds = 3000;
    const det = DeterministicRuntime.create(model, { registry: registry(rounds) }).runtime!;
    expect(det.run({ maxSteps: 100_000 }).status).toBe('quiescent');
    const par = ParallelRuntime.create(model, {
      registry: registry(rounds),
      record: true,
    }).runtime!;
    const r = await par.run({ timeoutMs: 30_000 });
    expect(r).toMatchObject({ status: 'quiescent', faults: [] });
    // Each worker records its own events (there is no global order across threads).
    expect(r.events.get('pong')!.filter((e) => e.action === 'notified')).toHaveLength(rounds);
    expect(log(par)).toEqual(log(det));
    expect(log(par)).toHaveLength(rounds);
    expect(log(par)[rounds - 1]).toBe(pongReply(rounds));
    expect(r.wakes.get('ping')).toBe(rounds + 1);
  });

  it('hands a worker only the regions its PD maps and the control blocks of its channel peers', () => {
    const plan = planSystem(model, { registry: registry(1) }).plan!;
    const ctrlByPd = new Map(plan.pds.map((p) => [p.config.pd, new SharedArrayBuffer(4)]));
    const pong = workerDataFor({
      plan: plan.pds[1]!,
      ctrlByPd,
      global: new SharedArrayBuffer(8),
      options: {},
    });
    expect(pong.config.pd).toBe('pong');
    expect(pong.mappings.map((m) => m.mr)).toEqual(['shared']);
    expect(pong.mappings[0]!.buffer).toBe(plan.regions.get('shared')!.buffer);
    expect(pong.peers.map((p) => p.pd)).toEqual(['ping']);
  });

  it('a worker faults on memory its PD does not map, and only that PD stops', async () => {
    const m = system({
      mrs: [{ name: 'secret', size: 0x1000 }],
      pds: [
        { name: 'owner', priority: 1, maps: [{ mr: 'secret', vaddr: 0x10_000 }] },
        { name: 'snoop', priority: 1 },
      ],
    });
    const reg = new ComponentRegistry()
      .register('owner', bind('snoopComponent', { vaddr: 0x10_000 }))
      .register('snoop', bind('snoopComponent', { vaddr: 0x10_000 }));
    const r = await ParallelRuntime.create(m, { registry: reg }).runtime!.run({
      timeoutMs: 20_000,
    });
    expect(r.status).toBe('quiescent');
    expect(r.faults).toEqual([
      expect.objectContaining({ pd: 'snoop', kind: 'unmapped', vaddr: 0x10_000 }),
    ]);
  });

  it('restarts a crashed PD in its worker; the shared state is kept and the exchange completes', async () => {
    const rounds = 200;
    const par = ParallelRuntime.create(model, {
      registry: registry(rounds),
      faults: { crash: [{ pd: 'ping', atWake: 50 }] },
      restart: { ping: { maxRestarts: 1 } },
    }).runtime!;
    const r = await par.run({ timeoutMs: 30_000 });
    expect(r.faults.map((f) => [f.pd, f.kind])).toEqual([['ping', 'injected']]);
    expect(log(par)).toEqual(Array.from({ length: rounds }, (_, i) => pongReply(i + 1)));
  });

  it('ppcall across workers: synchronous, message words and label carried both ways', async () => {
    const m = system({
      mrs: [{ name: 'log', size: 0x1000 }],
      pds: [
        { name: 'client', priority: 1, maps: [{ mr: 'log', vaddr: 0x20_000 }] },
        { name: 'server', priority: 2, passive: true },
      ],
      channels: [
        [
          { pd: 'client', id: 0, pp: true },
          { pd: 'server', id: 9 },
        ],
      ],
    });
    const calls = 100;
    const reg = new ComponentRegistry()
      .register('client', bind('ppcClientComponent', { calls }))
      .register('server', bind('ppcServerComponent'));
    const par = ParallelRuntime.create(m, { registry: reg }).runtime!;
    const r = await par.run({ timeoutMs: 20_000 });
    expect(r).toMatchObject({ status: 'quiescent', faults: [] });
    const words = new Uint32Array(par.region('log').buffer!);
    expect([...words.slice(0, calls)]).toEqual(Array.from({ length: calls }, (_, i) => i * 10 + 1));
    expect(words[0x800 / 4 + 5]).toBe(8);
  });

  it('delivers IRQs to a worker; its acks reach the main-thread controller and a held level line re-fires', async () => {
    const m = system({
      mrs: [{ name: 'log', size: 0x1000 }],
      pds: [
        {
          name: 'driver',
          priority: 254,
          maps: [{ mr: 'log', vaddr: 0x30_000 }],
          irqs: [{ irq: 79, id: 2, trigger: 'level' }],
        },
      ],
    });
    const par = ParallelRuntime.create(m, {
      registry: new ComponentRegistry().register(
        'driver',
        bind('irqCounterComponent', { acks: 5 }),
      ),
    }).runtime!;
    par.irqs.assertLine(79);
    const r = await par.run({ timeoutMs: 20_000 });
    expect(r).toMatchObject({ status: 'quiescent', faults: [] });
    expect(new Uint32Array(par.region('log').buffer!)[0]).toBe(5);
    expect(par.irqs.isMasked(79)).toBe(true);
  });

  it('a callee that faults in protected() (and restarts) leaves its caller reported blocked, not hung', async () => {
    const m = system({
      mrs: [{ name: 'log', size: 0x1000 }],
      pds: [
        { name: 'client', priority: 1, maps: [{ mr: 'log', vaddr: 0x20_000 }] },
        { name: 'server', priority: 2 },
      ],
      channels: [
        [
          { pd: 'client', id: 0, pp: true },
          { pd: 'server', id: 9 },
        ],
      ],
    });
    const reg = new ComponentRegistry()
      .register('client', bind('ppcClientComponent', { calls: 1 }))
      .register('server', bind('faultyServerComponent'));
    const r = await ParallelRuntime.create(m, {
      registry: reg,
      restart: { server: { maxRestarts: 1 } },
    }).runtime!.run({
      timeoutMs: 20_000,
    });
    expect(r.status).toBe('quiescent');
    expect(r.faults.map((f) => [f.pd, f.kind]).sort()).toEqual([
      ['client', 'blocked'],
      ['server', 'unmapped'],
    ]);
  });

  it('refuses fault injection it cannot honour in worker mode', () => {
    const { runtime, errors } = ParallelRuntime.create(model, {
      registry: registry(1),
      faults: { dropNotify: [{ to: 'pong', nth: 1 }] },
    });
    expect(runtime).toBeUndefined();
    expect(errors.map((e) => e.code)).toEqual(['RUNTIME_WORKER_FAULTS']);
  });

  it('refuses a binding a worker cannot import', () => {
    const reg = new ComponentRegistry()
      .register('ping', { factory: C.snoopComponent })
      .register('pong', pingPongBindings(1).pong);
    const { errors } = ParallelRuntime.create(model, { registry: reg });
    expect(errors.map((e) => e.code)).toEqual(['RUNTIME_WORKER_BINDING']);
  });
});
