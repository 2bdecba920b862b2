// The Z3 isolation proof and the plain graph search must agree on every fixture (issue #4 part 4),
// and the Z3 witness must be a real flow path. A seeded break (a shared writable region between
// two clients) must turn an isolated pair into a flow in both.
import { afterAll, describe, expect, it } from 'vitest';
import { basename } from 'node:path';
import { proveIsolation, releaseZ3 } from '../../../proofs/smt/isolation.ts';
import {
  isolationByGraphSearch,
  isValidFlowPath,
  type FlowGraph,
} from '../../../spec/system/audit/flow.ts';
import {
  AUDIT_FIXTURES,
  SHARED_FIXTURES,
  auditFile,
  systemFiles,
} from '../../spec/system/audit/fixtures.ts';
import { itShared } from '../../helpers/shared.ts';

afterAll(async () => {
  await releaseZ3();
});

// Every shared fixture, our LP011 twins, and the variants of ours whose flow graphs differ (the
// other lpNNN twins share base.system's graph up to one map; running Z3 on each costs seconds).
const OURS = [
  'base',
  'lp006-bad',
  'lp007-bad',
  'lp008-bad',
  'lp011-bad',
  'lp011-good',
  'sdfgen-copier-rw',
];
const files = [
  ...systemFiles(SHARED_FIXTURES),
  ...systemFiles(AUDIT_FIXTURES).filter((f) => OURS.some((o) => f.endsWith(`/${o}.system`))),
];

async function agree(g: FlowGraph): Promise<{ flows: number; pairs: number }> {
  const proof = await proveIsolation(g);
  const search = isolationByGraphSearch(g);
  expect(proof.pairs.length).toBe(search.length);
  let flows = 0;
  for (const p of proof.pairs) {
    const s = search.find((x) => x.from === p.from && x.to === p.to);
    expect(s).toBeDefined();
    expect(p.verdict).not.toBe('unknown');
    expect(p.verdict === 'flow').toBe(s?.path !== null);
    if (p.verdict === 'flow') {
      flows++;
      expect(isValidFlowPath(g, p.path ?? [])).toBe(true);
      expect(p.path?.[0]).toBe(p.from);
      expect(p.path?.at(-1)).toBe(p.to);
    }
  }
  return { flows, pairs: proof.pairs.length };
}

describe('isolation proof (Z3) agrees with graph search', () => {
  for (const file of files) {
    it(basename(file), async () => {
      const report = auditFile(file);
      const { flows } = await agree(report.flow);
      const lp011 = report.findings.filter((f) => f.rule === 'LP011').length;
      // One LP011 finding per unordered client pair with a flow in either direction.
      expect(flows > 0).toBe(lp011 > 0);
    });
  }

  it('finds the witness of lp011-bad and proves lp011-good isolated', async () => {
    const bad = await agree(auditFile(`${AUDIT_FIXTURES}/lp011-bad.system`).flow);
    const good = await agree(auditFile(`${AUDIT_FIXTURES}/lp011-good.system`).flow);
    expect(bad.flows).toBeGreaterThan(0);
    expect(good.flows).toBe(0);
    // client0, client1 and logger (outside the I/O path: an endpoint since issue 15).
    expect(good.pairs).toBe(6);
  });

  itShared(
    'a seeded shared writable region between the echo-server clients is caught by both',
    async () => {
      const g = auditFile(`${SHARED_FIXTURES}/sddf_echo_server_qemu_virt_aarch64.system`).flow;
      const base = await agree(g);
      expect(base.flows).toBe(0);
      const [c0, c1] = g.clients;
      const mr = g.nodes.length;
      const broken: FlowGraph = {
        ...g,
        nodes: [...g.nodes, 'mr:seeded'],
        edges: [...g.edges, [c0 ?? -1, mr], [mr, c1 ?? -1]],
      };
      const after = await agree(broken);
      expect(after.flows).toBe(1);
    },
  );

  it('a flow through a mediator is not a flow (the mediator does not forward)', async () => {
    const g: FlowGraph = {
      nodes: ['pd:a', 'mr:x', 'pd:virt', 'mr:y', 'pd:b'],
      edges: [
        [0, 1],
        [1, 2],
        [2, 3],
        [3, 4],
      ],
      mediators: new Set([2]),
      clients: [0, 4],
      ancestors: new Map(),
    };
    expect((await agree(g)).flows).toBe(0);
    expect((await agree({ ...g, mediators: new Set<number>() })).flows).toBe(1);
  });

  it('a common ancestor of the pair does not forward between them; any other parent does', async () => {
    // a → p (a's fault) → b (p writes b's registers): a flow unless p is also a's ancestor.
    const g: FlowGraph = {
      nodes: ['pd:a', 'pd:p', 'pd:b'],
      edges: [
        [0, 1],
        [1, 0],
        [1, 2],
        [2, 1],
      ],
      mediators: new Set(),
      clients: [0, 2],
      ancestors: new Map([[2, new Set([1])]]),
    };
    expect((await agree(g)).flows).toBe(2);
    const common = {
      ...g,
      ancestors: new Map([
        [0, new Set([1])],
        [2, new Set([1])],
      ]),
    };
    expect((await agree(common)).flows).toBe(0);
  });
});
