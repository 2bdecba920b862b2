// An ITF trace's states read back into a model's u32 state vectors, field by field as the model's
// layout names them (what `sddf replay --on impl` concretizes for the net and block replayers). A
// state's field that is not the u32 (or the array of u32s) the layout says is a located ITF error
// naming its JSON path: a hand-edited trace is input, never trusted.
import { UserError } from '../spec/common/diagnostic.ts';
import type { Layout } from '../proofs/models/layout.ts';
import type { ItfTrace } from '../traces/itf.ts';

export function itfStateVectors(itf: ItfTrace, layout: Layout, file: string): Uint32Array[] {
  const fields = layout.list();
  return itf.states.map((st, k) => {
    const s = new Uint32Array(layout.words);
    for (const f of fields) {
      const v = st[f.name];
      const bad = (): never => {
        throw new UserError({
          code: 'ITF',
          file,
          message: `at JSON path /states/${k}/${f.name}: ${f.length === 1 ? 'a u32' : `${f.length} u32 words`} expected`,
        });
      };
      const word = (x: unknown): number =>
        typeof x === 'number' && Number.isInteger(x) && x >= 0 && x < 2 ** 32 ? x : bad();
      if (f.length === 1) s[f.offset] = word(v);
      else if (Array.isArray(v) && v.length === f.length)
        v.forEach((x, i) => (s[f.offset + i] = word(x)));
      else bad();
    }
    return s;
  });
}
