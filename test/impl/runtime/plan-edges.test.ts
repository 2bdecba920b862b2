// planSystem's load errors at their edges (issue 12 part 7 survivors): a map past 2^53, a channel
// that names an unknown PD (either end), channel ids outside 0..61 (negative, fractional, 62),
// the 1.x PD-level pp granting the call right only downwards (both ends), and region errors kept.
import { describe, expect, it } from 'vitest';
import { DeterministicRuntime } from '../../../impl/runtime/deterministic.ts';
import { registryOf, system } from './build.ts';
import type { SystemModel } from '../../../spec/system/model.ts';

const idle = registryOf({ a: () => ({}), b: () => ({}), c: () => ({}) });
const errorsOf = (m: SystemModel) => DeterministicRuntime.create(m, { registry: idle }).errors;

describe('planSystem load errors', () => {
  it('a map whose end lies beyond 2^53 is refused; one ending just below is planned', () => {
    const at = (vaddr: number) =>
      errorsOf(
        system({
          mrs: [{ name: 'm', size: 0x1000 }],
          pds: [{ name: 'a', maps: [{ mr: 'm', vaddr }] }],
        }),
      );
    const e = at(2 ** 53 - 0x1000);
    expect(e.map((x) => x.code)).toEqual(['RUNTIME_MAP_VADDR']);
    expect(e[0]!.message).toMatch(/map of 'm' in PD 'a' at vaddr 0x1ffffffffff000 is beyond 2\^53/);
    expect(at(2 ** 53 - 0x2000 - 1)).toEqual([]);
  });

  it('a channel naming an unknown PD at either end is an error naming that PD', () => {
    for (const [x, y, bad] of [
      ['a', 'zz', 'zz'],
      ['yy', 'a', 'yy'],
    ] as const) {
      const e = errorsOf(
        system({
          pds: [{ name: 'a' }],
          channels: [
            [
              { pd: x, id: 0 },
              { pd: y, id: 1 },
            ],
          ],
        }),
      );
      expect(e.map((d) => [d.code, d.message])).toEqual([
        ['RUNTIME_CHANNEL_PD', `channel names unknown PD '${bad}'`],
      ]);
    }
  });

  it('channel ids are integers in 0..61', () => {
    const ids = (id: number) =>
      errorsOf(
        system({
          pds: [{ name: 'a' }, { name: 'b' }],
          channels: [
            [
              { pd: 'a', id },
              { pd: 'b', id: 0 },
            ],
          ],
        }),
      ).map((d) => d.message);
    expect(ids(61)).toEqual([]);
    expect(ids(0)).toEqual([]);
    expect(ids(62)).toEqual(["id 62 in PD 'a' is outside 0..61"]);
    expect(ids(-1)).toEqual(["id -1 in PD 'a' is outside 0..61"]);
    expect(ids(1.5)).toEqual(["id 1.5 in PD 'a' is outside 0..61"]);
  });

  it('1.x: a pp PD is callable by strictly lower-priority peers only, whichever end it is', () => {
    // The pp PD 'b' (priority 5) is at end B in one channel and end A in the other.
    const model = (bPriority: number, aPriority: number): SystemModel =>
      system({
        dialect: '1',
        pds: [
          { name: 'a', priority: aPriority },
          { name: 'b', priority: bPriority, ppLegacy: true },
        ],
        channels: [
          [
            { pd: 'a', id: 0 },
            { pd: 'b', id: 0 },
          ],
          [
            { pd: 'b', id: 1 },
            { pd: 'a', id: 1 },
          ],
        ],
      });
    const calls = (m: SystemModel): string[] => {
      const out: string[] = [];
      const rt = DeterministicRuntime.create(m, {
        registry: registryOf({
          a: ({ api }) => ({
            init: () => {
              for (const ch of [0, 1]) {
                try {
                  api.ppcall(ch, { label: 0, words: [] });
                  out.push(`a calls on ${ch}`);
                } catch {
                  out.push(`a refused on ${ch}`);
                }
              }
            },
          }),
          b: () => ({ protected: () => ({ label: 0, words: [] }) }),
        }),
      });
      expect(rt.errors).toEqual([]);
      rt.runtime!.run({ maxSteps: 20 });
      return out;
    };
    expect(calls(model(5, 1))).toEqual(['a calls on 0', 'a calls on 1']);
    // Equal priority: no right (a load error would be wrong too: 1.x only warns).
    expect(calls(model(5, 5))).toEqual(['a refused on 0', 'a refused on 1']);
    expect(calls(model(5, 9))).toEqual(['a refused on 0', 'a refused on 1']);
  });
});

describe('planSystem load errors (2)', () => {
  it("a region's own error (size 0) reaches the load errors", () => {
    const e = errorsOf(system({ mrs: [{ name: 'm', size: 0 }], pds: [{ name: 'a' }] }));
    expect(e.map((d) => d.code)).toContain('RUNTIME_MR_SIZE');
  });

  it('2.x: the pp end may be either end of the channel', () => {
    const model = system({
      pds: [
        { name: 'b', priority: 10 },
        { name: 'a', priority: 1 },
      ],
      channels: [
        [
          { pd: 'b', id: 0 },
          { pd: 'a', id: 3, pp: true },
        ],
      ],
    });
    let reply = -1;
    const { runtime, errors } = DeterministicRuntime.create(model, {
      registry: registryOf({
        a: ({ api }) => ({
          init: () => void (reply = api.ppcall(3, { label: 4, words: [] }).label),
        }),
        b: () => ({ protected: (_c, m) => ({ label: m.label + 1, words: [] }) }),
      }),
    });
    expect(errors).toEqual([]);
    expect(runtime!.run({ maxSteps: 20 }).faults).toEqual([]);
    expect(reply).toBe(5);
  });
});
