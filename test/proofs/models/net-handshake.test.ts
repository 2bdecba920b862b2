import { describe, expect, it } from 'vitest';
import { checkModel } from '../../../proofs/mc/engine.ts';
import { buildNetHandshake } from '../../../proofs/models/net-handshake.ts';
import type { MemoryModel } from '../../../proofs/models/registry.ts';

function check(memoryModel: MemoryModel, bounds: Record<string, number> = {}, bug?: string) {
  const ts = buildNetHandshake({ memoryModel, bounds, ...(bug !== undefined ? { bug } : {}) }).ts;
  return checkModel(ts, { search: 'bfs', maxStates: 500_000 });
}

describe('net-handshake', () => {
  it('holds under SC', () => {
    expect(check('sc').verdict).toBe('holds');
  });

  it('O1: under TSO the HEAD fences lose a wakeup (store buffering) in at most 60 steps', () => {
    const r = check('tso');
    expect(r.verdict).toBe('violated');
    expect(r.property).toBe('no-lost-wakeup');
    expect(r.trace!.actions.length).toBeLessThanOrEqual(60);
  });

  it('with seq_cst fences (as the serial queue has them) the lost wakeup is gone, under TSO and Arm', () => {
    expect(check('tso', { fences: 1 }).verdict).toBe('holds');
    expect(check('pso', { fences: 1 }).verdict).toBe('holds');
  });

  it('under the Arm-like model the HEAD fences lose a wakeup too', () => {
    expect(check('pso').property).toBe('no-lost-wakeup');
  });

  it('an untrusted duplicate is harmless with the u16 full test, an overwrite with U1', () => {
    expect(check('sc', { untrusted: 1 }).verdict).toBe('holds');
    expect(check('sc', {}, 'U1').property).toBe('no-overwrite');
  });
});

describe('net-handshake buffer symmetry', () => {
  it('verdicts and counterexample lengths agree with and without symmetry reduction', () => {
    for (const bug of [undefined, 'F2', 'U1']) {
      const ts = buildNetHandshake({ memoryModel: 'sc', bounds: {}, ...(bug ? { bug } : {}) }).ts;
      expect(ts.canonicalize).toBeDefined();
      const on = checkModel(ts, { search: 'bfs', symmetry: true });
      const off = checkModel(ts, { search: 'bfs', symmetry: false });
      expect(on.verdict).toBe(off.verdict);
      expect(on.trace?.actions.length).toBe(off.trace?.actions.length);
    }
  });

  it('renames buffers consistently in slots and data', () => {
    const ts = buildNetHandshake({ memoryModel: 'sc', bounds: {} }).ts;
    const s = ts.initialStates()[0]!;
    const itf = ts.toItf(s);
    const names = Object.keys(itf);
    const at = (name: string) => {
      let off = 0;
      for (const n of names) {
        if (n === name) return off;
        const v = itf[n];
        off += Array.isArray(v) ? v.length : 1;
      }
      throw new Error(name);
    };
    const x = new Uint32Array(s);
    x[at('free.tail')] = (x[at('free.head')]! + 2) & 0xffff; // free holds buffers 1 then 0
    const slot = (i: number) => at('free.buffers') + ((x[at('free.head')]! + i) % 2);
    x[slot(0)] = 2048;
    x[slot(1)] = 0;
    x[at('data') + 1] = 7;
    const out = new Uint32Array(x.length);
    ts.canonicalize!(x, out);
    expect(out[slot(0)]).toBe(0); // first seen is now buffer 0 ...
    expect(out[slot(1)]).toBe(2048);
    expect(out[at('data')]).toBe(7); // ... and its payload moved with it
  });
});

describe('net-handshake monitors break on purpose', () => {
  it('fifo: a payload out of order is caught where the consumer reads it', async () => {
    const { runWhile, take, violations } = await import('./helpers.ts');
    const ts = buildNetHandshake({ memoryModel: 'sc', bounds: {} }).ts;
    let s = runWhile(ts, ts.initialStates()[0]!, ['producer.init']);
    s = take(ts, s, 'app.send_request');
    s = runWhile(ts, s, ['producer.']);
    expect(violations(ts, s)).toEqual([]);
    const itf = ts.toItf(s);
    let off = 0;
    for (const [k, v] of Object.entries(itf)) {
      if (k === 'data') break;
      off += Array.isArray(v) ? v.length : 1;
    }
    const bad = new Uint32Array(s);
    for (let i = 0; i < 2; i++) bad[off + i] = 9; // every buffer now carries item 9
    const after = runWhile(ts, bad, ['consumer.']);
    expect(violations(ts, after).join()).toMatch(/^fifo: active: received item 9, expected 1/);
  });
});
