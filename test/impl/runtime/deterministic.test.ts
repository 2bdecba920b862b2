import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  DeterministicRuntime,
  type DeterministicOptions,
} from '../../../impl/runtime/deterministic.ts';
import { deterministicFromFile } from '../../../impl/runtime/load.ts';
import { ComponentRegistry } from '../../../impl/runtime/registry.ts';
import { pingPongBindings, pongReply } from '../../../impl/runtime/components/ping_pong.ts';
import { ScriptedFaults } from '../../../impl/runtime/faults.ts';
import { registryOf, system } from './build.ts';
import { parseItf } from '../../../traces/itf.ts';

const PING_PONG = 'test/fixtures/runtime/ping_pong.system';

function pingPong(rounds: number, opts: DeterministicOptions = {}) {
  const b = pingPongBindings(rounds);
  const registry = new ComponentRegistry().register('ping', b.ping).register('pong.elf', b.pong);
  const { runtime, errors } = deterministicFromFile(PING_PONG, { registry, ...opts });
  expect(errors).toEqual([]);
  return runtime!;
}

export function pingLog(rt: { region(n: string): { buffer: SharedArrayBuffer | null } }): number[] {
  const words = new Uint32Array(rt.region('ping_log').buffer!);
  return [...words.slice(1, 1 + words[0]!)];
}

const expectedLog = (rounds: number) => Array.from({ length: rounds }, (_, i) => pongReply(i + 1));

// Four equal-priority PDs, each notifying two others until its private counter reaches a bound.
const chatter = system({
  mrs: ['p0', 'p1', 'p2', 'p3'].map((n) => ({ name: `${n}_state`, size: 0x1000 })),
  pds: ['p0', 'p1', 'p2', 'p3'].map((name) => ({
    name,
    priority: 7,
    maps: [{ mr: `${name}_state`, vaddr: 0x10_000 }],
  })),
  channels: [
    [
      { pd: 'p0', id: 1 },
      { pd: 'p1', id: 0 },
    ],
    [
      { pd: 'p1', id: 2 },
      { pd: 'p2', id: 1 },
    ],
    [
      { pd: 'p2', id: 3 },
      { pd: 'p3', id: 2 },
    ],
    [
      { pd: 'p3', id: 0 },
      { pd: 'p0', id: 3 },
    ],
    [
      { pd: 'p0', id: 2 },
      { pd: 'p2', id: 0 },
    ],
    [
      { pd: 'p1', id: 3 },
      { pd: 'p3', id: 1 },
    ],
  ],
});
const chatterScript = () =>
  registryOf(
    Object.fromEntries(
      ['p0', 'p1', 'p2', 'p3'].map((n) => [
        n,
        ({ api, config }) => ({
          init: () => api.notify(config.channels[0]!.id),
          notified: (ch: number) => {
            const c = api.mem.read32(0x10_000) + 1;
            api.mem.write32(0x10_000, c);
            if (c > 20) return;
            for (const x of config.channels) if (x.id !== ch || c % 3 === 0) api.notify(x.id);
          },
        }),
      ]),
    ),
  );

function streamHash(seed: number, mode: 'priority' | 'random'): string {
  const { runtime } = DeterministicRuntime.create(chatter, {
    registry: chatterScript(),
    mode,
    seed,
    record: true,
  });
  const r = runtime!.run({ maxSteps: 10_000 });
  expect(r.status).toBe('quiescent');
  return createHash('sha256').update(JSON.stringify(runtime!.rec!.events)).digest('hex');
}

describe('DeterministicRuntime', () => {
  it('runs the ping-pong fixture from its .system file and delivers every message in order', () => {
    const rt = pingPong(50, { record: true });
    const r = rt.run({ maxSteps: 1000 });
    expect(r).toMatchObject({ status: 'quiescent', faults: [] });
    expect(pingLog(rt)).toEqual(expectedLog(50));
    expect(rt.rec!.count('notified')).toBe(100);
  });

  it('reports incomplete, not quiescent, when the step bound is hit with work left', () => {
    const r = pingPong(50).run({ maxSteps: 10 });
    expect(r.status).toBe('incomplete');
  });

  it('gives the same event stream for the same seed (hash over 100 seeds), different streams across seeds', () => {
    const hashes = new Set<string>();
    for (let seed = 0; seed < 100; seed++) {
      const h = streamHash(seed, 'random');
      expect(streamHash(seed, 'random')).toBe(h);
      hashes.add(h);
    }
    expect(hashes.size).toBeGreaterThan(90);
    // Priority mode ignores the seed: one schedule.
    expect(streamHash(1, 'priority')).toBe(streamHash(2, 'priority'));
  });

  it('records nothing when recording is off', () => {
    const rt = pingPong(5);
    rt.run({ maxSteps: 100 });
    expect(rt.rec).toBeNull();
    expect(() => rt.traceItf()).toThrow(/record: true/);
  });

  it('writes the schedule as an ITF trace', () => {
    const rt = pingPong(2, { record: true, seed: 9 });
    rt.run({ maxSteps: 100 });
    const itf = rt.traceItf() as {
      vars: string[];
      states: Record<string, unknown>[];
      '#meta': Record<string, unknown>;
    };
    expect(itf.vars).toEqual(['step', 'pd', 'action', 'detail']);
    expect(itf['#meta']).toMatchObject({ format: 'ITF', seed: 9, mode: 'priority' });
    expect(itf.states[0]).toMatchObject({ step: 0, pd: 'pong', action: 'init' });
    for (const s of itf.states) for (const v of itf.vars) expect(s).toHaveProperty(v);
    // The project's ITF reader (schema + every state defines every var) accepts it.
    expect(parseItf(JSON.stringify(itf), 'runtime.itf.json').states).toHaveLength(
      itf.states.length,
    );
  });
});

describe('faults and restart', () => {
  it('a write through a read-only map stops only that PD; the others keep running', () => {
    const model = system({
      mrs: [{ name: 'q', size: 0x1000 }],
      pds: [
        { name: 'bad', priority: 1, maps: [{ mr: 'q', vaddr: 0x1000, perms: 'r' }] },
        { name: 'good', priority: 2, maps: [{ mr: 'q', vaddr: 0x2000 }] },
      ],
      channels: [
        [
          { pd: 'bad', id: 0 },
          { pd: 'good', id: 0 },
        ],
      ],
    });
    let goodRan = 0;
    const { runtime } = DeterministicRuntime.create(model, {
      registry: registryOf({
        bad: ({ api }) => ({ init: () => api.mem.write32(0x1000, 1) }),
        good: ({ api }) => ({ init: () => (api.mem.write32(0x2000, 5), goodRan++) }),
      }),
    });
    const r = runtime!.run({ maxSteps: 100 });
    expect(r.faults).toEqual([
      expect.objectContaining({ pd: 'bad', kind: 'permission', vaddr: 0x1000, access: 'write' }),
    ]);
    expect(goodRan).toBe(1);
    expect(runtime!.status('bad').status).toBe('stopped');
    expect(runtime!.status('good').status).toBe('ready');
    expect(new Uint32Array(runtime!.region('q').buffer!)[0]).toBe(5);
  });

  it('records DMA and DMA faults through the IOMMU; a faulting device stops no PD', () => {
    const model = system({
      mrs: [
        { name: 'rx_dma', size: 0x1000, phys: 0x5000_0000n },
        { name: 'private', size: 0x1000, phys: 0x5100_0000n },
      ],
      pds: [{ name: 'driver', priority: 1, maps: [{ mr: 'rx_dma', vaddr: 0x1000 }] }],
    });
    const { runtime } = DeterministicRuntime.create(model, {
      registry: registryOf({ driver: () => ({}) }),
      devices: [{ device: 'nic', ioMaps: [{ mr: 'rx_dma' }] }],
      record: true,
    });
    const rt = runtime!;
    const port = rt.iommu.portFor('nic');
    expect(port.write(0x5000_0010n, new Uint8Array([1, 2]))).toBeNull();
    expect(port.write(0x5100_0000n, new Uint8Array([1]))).not.toBeNull();
    expect(rt.run({ maxSteps: 10 })).toMatchObject({ status: 'quiescent', faults: [] });
    expect(
      rt
        .rec!.events.filter((e) => e.action === 'dma' || e.action === 'dma_fault')
        .map((e) => [e.action, e.pd, e.ioAddr]),
    ).toEqual([
      ['dma', 'nic', '0x50000010'],
      ['dma_fault', 'nic', '0x51000000'],
    ]);
    expect(new Uint8Array(rt.region('private').buffer!)[0]).toBe(0);
  });

  it('from its MicrokitApi a component reaches no region buffer and not the runtime, even ignoring types', () => {
    const captured: unknown[] = [];
    const b = pingPongBindings(1);
    const spy = {
      ...b.pong,
      factory: (ctx: Parameters<typeof b.pong.factory>[0]) => (
        captured.push(ctx),
        b.pong.factory(ctx)
      ),
    };
    const registry = new ComponentRegistry().register('ping', b.ping).register('pong', spy);
    const rt = deterministicFromFile(PING_PONG, { registry }).runtime!;
    rt.run({ maxSteps: 100 });
    const seen = new Set<unknown>();
    const leaks: string[] = [];
    const walk = (v: unknown, path: string, depth: number): void => {
      if (v instanceof SharedArrayBuffer) leaks.push(path);
      if (v === rt) leaks.push(`${path} (the runtime)`);
      if (typeof v !== 'object' || v === null || seen.has(v) || depth > 8) return;
      seen.add(v);
      for (const [k, x] of Object.entries(v)) walk(x, `${path}.${k}`, depth + 1);
    };
    walk(captured[0], 'ctx', 0);
    expect(captured).toHaveLength(1);
    expect(leaks).toEqual([]);
  });

  it('an exception in a handler is a fault of that PD, not of the runtime', () => {
    const model = system({ pds: [{ name: 'a', priority: 1 }] });
    const { runtime } = DeterministicRuntime.create(model, {
      registry: registryOf({
        a: () => ({
          init: () => {
            throw new Error('assert(!err) failed');
          },
        }),
      }),
    });
    expect(runtime!.run({ maxSteps: 10 }).faults).toEqual([
      expect.objectContaining({ pd: 'a', kind: 'exception', message: 'a: assert(!err) failed' }),
    ]);
  });

  it('a crashed PD restarts under its policy and the shared state is kept: the run completes unchanged', () => {
    const rt = pingPong(30, {
      faults: new ScriptedFaults({ crash: [{ pd: 'ping', atWake: 7 }] }),
      restart: { ping: { maxRestarts: 1 } },
      record: true,
    });
    const r = rt.run({ maxSteps: 1000 });
    expect(r.status).toBe('quiescent');
    expect(r.faults.map((f) => [f.pd, f.kind])).toEqual([['ping', 'injected']]);
    expect(rt.status('ping').restarts).toBe(1);
    expect(pingLog(rt)).toEqual(expectedLog(30));
    expect(rt.rec!.count('restart')).toBe(1);
  });

  it('without a restart policy the crashed PD stays stopped and the exchange stops there', () => {
    const rt = pingPong(30, { faults: new ScriptedFaults({ crash: [{ pd: 'ping', atWake: 7 }] }) });
    rt.run({ maxSteps: 1000 });
    expect(rt.status('ping').status).toBe('stopped');
    expect(pingLog(rt)).toEqual(expectedLog(5));
    expect(rt.status('pong').status).toBe('ready');
  });

  it('a dropped notification stalls the exchange (a lost wakeup); a duplicated one is a spurious extra wake', () => {
    const dropped = pingPong(10, {
      faults: new ScriptedFaults({ dropNotify: [{ to: 'pong', nth: 4 }] }),
    });
    expect(dropped.run({ maxSteps: 1000 }).status).toBe('quiescent');
    expect(pingLog(dropped)).toEqual(expectedLog(3));
    const dup = pingPong(10, {
      faults: new ScriptedFaults({ duplicateNotify: [{ to: 'pong', nth: 4 }] }),
      record: true,
    });
    dup.run({ maxSteps: 1000 });
    expect(dup.rec!.events.filter((e) => e.action === 'notified' && e.pd === 'pong').length).toBe(
      11,
    );
  });

  it('binds components by PD name, program_image path, base name or stem; a PD without one is a located error', () => {
    const r = new ComponentRegistry().register('x.elf', {
      factory: () => ({ init() {}, notified() {} }),
    });
    expect(r.resolve({ name: 'x', programImage: 'build/x.elf' })).toBeDefined();
    const { errors } = deterministicFromFile(PING_PONG, { registry: r });
    expect(errors.map((e) => [e.code, e.line])).toEqual([
      ['RUNTIME_NO_COMPONENT', 9],
      ['RUNTIME_NO_COMPONENT', 15],
    ]);
  });
});
