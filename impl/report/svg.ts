// DOT → SVG through Graphviz compiled to WASM (@hpcc-js/wasm-graphviz): no system `dot` binary
// needed, same output on every machine. The WASM module is loaded once per process.

import { Graphviz } from '@hpcc-js/wasm-graphviz';
import { assert } from '../../spec/common/assert.ts';

let graphviz: Promise<Graphviz> | undefined;

export async function renderSvg(dot: string): Promise<string> {
  assert(dot.trimStart().startsWith('digraph') || dot.trimStart().startsWith('graph'), 'DOT text');
  graphviz ??= Graphviz.load();
  const gv = await graphviz;
  const svg = gv.dot(dot, 'svg');
  assert(svg.includes('<svg'), 'Graphviz returned an SVG document');
  return svg;
}
