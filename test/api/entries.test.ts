// Each public entry point of package.json `exports` imports by its package name (self-reference,
// as a user's code or model module would) and offers what its documentation promises.
import { describe, expect, it } from 'vitest';

describe('public entry points', () => {
  it('sddf-model: the commands as library calls and the error codes', async () => {
    const root = await import('sddf-model');
    expect(typeof root.modelCheck).toBe('function');
    expect(typeof root.runCheck).toBe('function');
    expect(typeof root.replayFile).toBe('function');
    expect(typeof root.loadModelModule).toBe('function');
    expect(root.ERROR_CODES.MC_BOUND).toMatch(/bound/);
  });

  it('sddf-model/spec: shared types, errors, exact widths, the queue specs', async () => {
    const spec = await import('sddf-model/spec');
    expect(spec.u16(0x1_0001)).toBe(1);
    expect(new spec.UserError({ code: 'ITF', message: 'x' })).toBeInstanceOf(spec.UserError);
    expect(typeof spec.netQueue).toBe('object');
  });

  it('sddf-model/mc: the engine, the builder, the built-in models', async () => {
    const mc = await import('sddf-model/mc');
    expect(mc.listModels().map((m) => m.name)).toContain('spsc');
    const ts = mc.guardedSystem({
      name: 'count',
      vars: { n: 0 },
      actions: [{ name: 'a.inc', pd: 'a', when: (s) => s.n < 3, then: (s) => void (s.n += 1) }],
    });
    expect(mc.checkModel(ts, { search: 'bfs' })).toMatchObject({ verdict: 'holds', states: 4 });
  });

  it('sddf-model/traces: ITF, replay, rendering', async () => {
    const traces = await import('sddf-model/traces');
    expect(typeof traces.parseItf).toBe('function');
    expect(typeof traces.replayItf).toBe('function');
    expect(typeof traces.renderMermaid).toBe('function');
  });

  it('sddf-model/sdf: parse and audit a system description', async () => {
    const sdf = await import('sddf-model/sdf');
    const r = sdf.runAudit({ system: 'echo_server' });
    expect(r.ok).toBe(true);
    expect(sdf.builtInSystems()).toContain('echo_server');
    // A corpus and its SARIF log, as `sddf audit DIR/ --format sarif` (issue #10).
    const entries = sdf.auditCorpus([sdf.resolveSystemPath('echo_server')]);
    expect(sdf.corpusExit(entries)).toBe(0);
    expect(sdf.auditToSarif(entries, { base: '.', toolVersion: 'test' }).version).toBe('2.1.0');
  });

  it('sddf-model/runtime: the Microkit-like runtime', async () => {
    const runtime = await import('sddf-model/runtime');
    expect(typeof runtime.DeterministicRuntime).toBe('function');
    expect(typeof runtime.loadSystemModel).toBe('function');
  });
});
