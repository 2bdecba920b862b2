// The rules of spec/system/audit/rules.ts at their edges (issue 12 part 7): each condition of each
// rule on both of its sides, with the roles given explicitly (no inference), comparing whole
// findings (which keys a finding has, its severity and its message), so that the rules' mutants
// have a test that tells them apart.
import { describe, expect, it } from 'vitest';
import { computeFacts } from '../../../../spec/system/audit/facts.ts';
import { runRules } from '../../../../spec/system/audit/rules.ts';
import type { Finding, RuleId } from '../../../../spec/system/audit/rules-meta.ts';
import type { MrKind, PdRole, Roles } from '../../../../spec/system/roles/vocabulary.ts';
import { sys, type SysSpec } from './build.ts';

type MrRole = MrKind | readonly [MrKind, string] | null;

function rolesOf(pds: Record<string, PdRole | null>, mrs: Record<string, MrRole>): Roles {
  return {
    pds: new Map(
      Object.entries(pds).map(([n, r]) => [
        n,
        r === null ? { reason: `why ${n}` } : { role: r, reason: 'given' },
      ]),
    ),
    mrs: new Map(
      Object.entries(mrs).map(([n, k]) => [
        n,
        k === null
          ? { reason: `why ${n}` }
          : typeof k === 'string'
            ? { kind: k, reason: 'given' }
            : { kind: k[0], owner: k[1], reason: 'given' },
      ]),
    ),
  };
}

function run(
  spec: SysSpec,
  pds: Record<string, PdRole | null>,
  mrs: Record<string, MrRole>,
): Finding[] {
  return runRules(computeFacts(sys(spec)), rolesOf(pds, mrs)).findings;
}

/** The findings of one rule as `pd mr severity`, in order. */
function short(fs: readonly Finding[], rule: RuleId): string[] {
  return fs
    .filter((f) => f.rule === rule)
    .map((f) => `${f.pd ?? '-'} ${f.mr ?? '-'} ${f.severity}`);
}

const one = (fs: readonly Finding[], rule: RuleId): Finding => {
  const hits = fs.filter((f) => f.rule === rule);
  expect(hits).toHaveLength(1);
  return hits[0]!;
};

describe('LP000 and the shape of a finding', () => {
  it('unclassified PDs and MRs: a note each, with the reason, and only the keys that apply', () => {
    const spec: SysSpec = {
      mrs: [['m'], ['k']],
      pds: [
        {
          name: 'p',
          maps: [
            ['m', 'rw'],
            ['k', 'rw'],
          ],
        },
        { name: 'q' },
      ],
    };
    const fs = run(spec, { p: null }, { m: null, k: 'config' });
    const lp000 = fs.filter((f) => f.rule === 'LP000');
    expect(lp000.map((f) => f.message)).toEqual([
      "PD 'p' could not be classified (why p); rules skipped for it",
      "PD 'q' could not be classified (no rule); rules skipped for it",
      "MR 'm' could not be classified (why m); rules skipped for it",
    ]);
    expect(lp000.map((f) => Object.keys(f).sort().join(','))).toEqual([
      'loc,message,pd,rule,severity',
      'loc,message,pd,rule,severity',
      'loc,message,mr,rule,severity',
    ]);
    expect(lp000.every((f) => f.severity === 'note')).toBe(true);
  });
});

describe('LP001: drivers never map payload', () => {
  const spec = (role: PdRole, mr: string, ring = false): SysSpec => ({
    mrs: [[mr], ['ring']],
    pds: [{ name: 'd', maps: [[mr, 'rw'], ...(ring ? [['ring', 'rw'] as const] : [])] }],
  });
  const cases: [PdRole, MrRole, boolean, boolean][] = [
    ['net.driver', 'net.tx_data', false, true],
    ['net.driver', 'net.rx_dma_data', false, true],
    ['net.driver', 'net.client_rx_data', false, true],
    ['blk.driver', 'blk.data', false, true],
    ['gpu.driver', 'blk.data', false, true],
    ['net.driver', 'queue', false, false],
    ['net.driver', 'i2c.data', false, false],
    ['i2c.driver', 'i2c.data', false, false], // D7: the i2c driver reads client data
    ['net.virt_rx', 'net.rx_dma_data', false, false],
    ['serial.driver', ['serial.data', 'c'], true, true], // serial with DMA, client data
    ['serial.driver', ['serial.data', 'c'], false, false], // no DMA: its queue data
    ['serial.driver', 'serial.data', true, false], // with DMA, but not a client's data
    ['serial.driver', 'net.tx_data', false, false],
  ];
  for (const [role, kind, ring, fires] of cases) {
    it(`${role} mapping ${JSON.stringify(kind)}${ring ? ' with a hw ring' : ''}: ${fires ? 'fires' : 'does not'}`, () => {
      const fs = run(
        spec(role, 'data', ring),
        { d: role, c: 'serial.client' },
        { data: kind, ring: 'hw_ring' },
      );
      expect(short(fs, 'LP001')).toEqual(fires ? ['d data error'] : []);
      if (fires)
        expect(one(fs, 'LP001').message).toMatch(
          /^driver 'd' \(.+\) maps data region 'data' \(.+\): the driver never accesses/,
        );
    });
  }
});

describe('LP002 and LP010: cached device registers and rings', () => {
  it('mmio cached: error; uncached: nothing; hw_ring cached: LP010 warning only', () => {
    const spec = (cached: boolean): SysSpec => ({
      mrs: [['regs'], ['ring']],
      pds: [
        {
          name: 'd',
          maps: [
            ['regs', 'rw', cached],
            ['ring', 'rw', cached],
          ],
        },
      ],
    });
    const roles = [
      { d: 'net.driver' as const },
      { regs: 'mmio' as const, ring: 'hw_ring' as const },
    ] as const;
    const cached = run(spec(true), ...roles);
    expect(short(cached, 'LP002')).toEqual(['d regs error']);
    expect(short(cached, 'LP010')).toEqual(['d ring warning']);
    expect(one(cached, 'LP002').message).toMatch(
      /^device registers 'regs' are mapped cached="true" into 'd': mmio must be uncached/,
    );
    expect(one(cached, 'LP010').message).toMatch(
      /^hardware ring 'ring' is mapped cached="true" into 'd'/,
    );
    const plain = run(spec(false), ...roles);
    expect(short(plain, 'LP002')).toEqual([]);
    expect(short(plain, 'LP010')).toEqual([]);
  });
});

describe('LP003: device memory outside its driver', () => {
  const spec: SysSpec = {
    mrs: [['regs'], ['ring']],
    pds: [
      {
        name: 'drv',
        maps: [
          ['regs', 'rw', false],
          ['ring', 'rw', false],
        ],
      },
      {
        name: 'other',
        maps: [
          ['regs', 'rw', false],
          ['ring', 'r', false],
        ],
      },
      { name: 'vmm', maps: [], vm: { name: 'guest', maps: [['regs', 'rw', false]] } },
    ],
  };
  it('owned: only the owner may map it; unowned: any driver may', () => {
    const owned = run(
      spec,
      { drv: 'net.driver', other: 'blk.driver', vmm: 'vmm' },
      { regs: ['mmio', 'drv'], ring: ['hw_ring', 'drv'] },
    );
    expect(short(owned, 'LP003')).toEqual(['other regs error', 'other ring error']);
    expect(owned.find((f) => f.rule === 'LP003')?.message).toMatch(
      /^mmio region 'regs' is mapped into 'other' \(blk\.driver\), which is not its driver/,
    );
    const unowned = run(
      spec,
      { drv: 'net.driver', other: 'blk.driver', vmm: 'vmm' },
      { regs: 'mmio', ring: 'hw_ring' },
    );
    expect(short(unowned, 'LP003')).toEqual([]);
    const virt = run(
      spec,
      { drv: 'net.driver', other: 'net.virt_rx', vmm: 'vmm' },
      { regs: 'mmio', ring: 'queue' },
    );
    expect(short(virt, 'LP003')).toEqual(['other regs error']);
  });
  it('a VM map is a pass-through; any other mapper is judged by the region (issue #10)', () => {
    // vmm's VM 'guest' maps regs: allowed. 'other' is a PD whatever its role: not the owner.
    const asVm = run(
      spec,
      { drv: 'net.driver', other: 'vm', vmm: 'vmm', guest: 'vm' },
      { regs: ['mmio', 'drv'], ring: 'hw_ring' },
    );
    expect(short(asVm, 'LP003')).toEqual(['other regs error', 'other ring error']);
    const unclassified = run(
      spec,
      { drv: 'net.driver', other: null, vmm: 'vmm' },
      { regs: ['mmio', 'drv'], ring: ['hw_ring', 'drv'] },
    );
    expect(short(unclassified, 'LP003')).toEqual(['other regs error', 'other ring error']);
    expect(unclassified.find((f) => f.rule === 'LP003')?.message).toContain(
      "into 'other' (unclassified)",
    );
  });
});

describe('LP004: the read-only list', () => {
  const spec = (perms: string, extra: readonly string[] = []): SysSpec => ({
    mrs: [['data']],
    pds: [
      { name: 'p', maps: [['data', perms]] },
      ...extra.map((name) => ({ name, maps: [['data', 'rw'] as const] })),
    ],
  });
  const cases: [PdRole, MrRole, readonly string[], Record<string, PdRole>, RegExp | null][] = [
    [
      'net.virt_rx',
      'net.rx_dma_data',
      [],
      {},
      /virt_rx only reads the Rx DMA data.*; D8: a writable cached mapping/,
    ],
    [
      'net.copier',
      'net.rx_dma_data',
      [],
      {},
      /the copier only copies from the Rx DMA data: map it perms="r"; D8/,
    ],
    [
      'net.virt_tx',
      'net.tx_data',
      [],
      {},
      /virt_tx only reads client Tx data \(translation, cache clean\): map it perms="r" \(/,
    ],
    ['net.virt_tx', 'net.rx_dma_data', [], {}, null],
    ['net.client', 'net.rx_dma_data', [], {}, null],
    [
      'serial.virt_tx',
      ['serial.data', 'c'],
      ['c'],
      { c: 'serial.client' },
      /serial virt_tx only reads client Tx data/,
    ],
    ['serial.virt_tx', ['serial.data', 'c'], ['c'], { c: 'serial.driver' }, null],
    ['serial.virt_tx', ['serial.data', 'c'], ['c'], {}, null], // owner without a role
    ['serial.virt_tx', 'serial.data', [], {}, null],
    [
      'serial.virt_rx',
      'serial.data',
      ['u'],
      { u: 'serial.driver' },
      /serial virt_rx only reads the driver Rx data/,
    ],
    ['serial.virt_rx', 'serial.data', ['u'], { u: 'serial.client' }, null],
    [
      'serial.virt_rx',
      ['serial.data', 'c'],
      ['c', 'u'],
      { c: 'serial.client', u: 'serial.driver' },
      null,
    ],
    ['blk.client', 'blk.storage_info', [], {}, /a blk client only reads its storage_info/],
    ['blk.virt', 'blk.storage_info', [], {}, null],
  ];
  for (const [role, kind, extra, others, want] of cases) {
    it(`${role} writing ${JSON.stringify(kind)} (${JSON.stringify(others)}): ${want ? 'warns' : 'fine'}`, () => {
      const fs = run(spec('rw', extra), { p: role, ...others }, { data: kind });
      expect(short(fs, 'LP004')).toEqual(want ? ['p data warning'] : []);
      if (want) expect(one(fs, 'LP004').message).toMatch(want);
      if (want) expect(one(fs, 'LP004').message).toMatch(/^'p' \(.+\) maps 'data' perms="rw" but /);
      expect(short(run(spec('r', extra), { p: role, ...others }, { data: kind }), 'LP004')).toEqual(
        [],
      );
    });
  }
});

describe('LP005: executable shared or I/O memory', () => {
  const spec = (holders: readonly [string, string][]): SysSpec => ({
    mrs: [['m']],
    pds: holders.map(([name, perms]) => ({ name, maps: [['m', perms]] })),
  });
  it('shared: fires whatever the kind, naming the count; one holder: only for I/O kinds', () => {
    const two = run(
      spec([
        ['a', 'rwx'],
        ['b', 'r'],
      ]),
      { a: 'other', b: 'other' },
      { m: 'config' },
    );
    expect(short(two, 'LP005')).toEqual(['a m error']);
    expect(one(two, 'LP005').message).toMatch(
      /^'a' maps 'm' executable \(perms="rwx"\); it is mapped into 2 PDs/,
    );
    const priv = run(spec([['a', 'rwx']]), { a: 'other' }, { m: 'config' });
    expect(short(priv, 'LP005')).toEqual([]);
    for (const kind of ['queue', 'mmio', 'hw_ring', 'net.tx_data', 'i2c.data'] as const) {
      const io = run(spec([['a', 'x']]), { a: 'other' }, { m: kind });
      expect(short(io, 'LP005')).toEqual(['a m error']);
      expect(one(io, 'LP005').message).toContain(`(perms="x"); it is a ${kind} region`);
    }
  });
  it('guest RAM, an unclassified MR or no x: nothing; a holder without a role: judged too', () => {
    const two: [string, string][] = [
      ['a', 'rwx'],
      ['b', 'rwx'],
    ];
    expect(short(run(spec(two), { a: 'vmm', b: 'vmm' }, { m: 'guest_ram' }), 'LP005')).toEqual([]);
    expect(short(run(spec(two), { a: 'vmm', b: 'vmm' }, { m: null }), 'LP005')).toEqual([]);
    // Region-based since issue #10: a holder without a role is judged too.
    expect(short(run(spec(two), { a: null, b: 'other' }, { m: 'queue' }), 'LP005')).toEqual([
      'a m error',
      'b m error',
    ]);
    expect(
      short(
        run(
          spec([
            ['a', 'rw'],
            ['b', 'r'],
          ]),
          { a: 'other', b: 'other' },
          { m: 'queue' },
        ),
        'LP005',
      ),
    ).toEqual([]);
  });
});

describe('LP006: a client maps another client’s region', () => {
  const spec: SysSpec = {
    mrs: [['m']],
    pds: [
      { name: 'c0', maps: [['m', 'rw']] },
      { name: 'c1', maps: [['m', 'rw']] },
    ],
  };
  it('only between two clients, and not into the owner itself', () => {
    const fs = run(spec, { c0: 'net.client', c1: 'net.client' }, { m: ['net.tx_data', 'c0'] });
    expect(short(fs, 'LP006')).toEqual(['c1 m error']);
    expect(one(fs, 'LP006').message).toMatch(/^client 'c1' maps 'm', which belongs to client 'c0'/);
    expect(
      short(
        run(spec, { c0: 'net.virt_tx', c1: 'net.client' }, { m: ['net.tx_data', 'c0'] }),
        'LP006',
      ),
    ).toEqual([]);
    expect(
      short(run(spec, { c0: null, c1: 'net.client' }, { m: ['net.tx_data', 'c0'] }), 'LP006'),
    ).toEqual([]);
    expect(
      short(
        run(spec, { c0: 'net.client', c1: 'net.virt_tx' }, { m: ['net.tx_data', 'c0'] }),
        'LP006',
      ),
    ).toEqual([]);
    expect(
      short(run(spec, { c0: 'net.client', c1: 'net.client' }, { m: 'net.tx_data' }), 'LP006'),
    ).toEqual([]);
  });
});

describe('LP007: Rx DMA data in clients', () => {
  const spec = (holders: readonly string[]): SysSpec => ({
    mrs: [['rx']],
    pds: holders.map((name) => ({ name, maps: [['rx', 'r']] })),
  });
  it('counts clients only: one client and a virt warn once; two clients are an error each', () => {
    const roles = { c0: 'net.client', c1: 'net.client', v: 'net.virt_rx', u: null } as const;
    const single = run(spec(['v', 'c0', 'u']), roles, { rx: 'net.rx_dma_data' });
    expect(short(single, 'LP007')).toEqual(['c0 rx warning']);
    expect(one(single, 'LP007').message).toMatch(
      /mapped into client 'c0' \(no copier\); acceptable only for a single trusted client/,
    );
    const two = run(spec(['c0', 'v', 'c1']), roles, { rx: 'net.rx_dma_data' });
    expect(short(two, 'LP007')).toEqual(['c0 rx error', 'c1 rx error']);
    expect(two.find((f) => f.rule === 'LP007')?.message).toMatch(
      /; 2 clients map it, so each reads every client's traffic/,
    );
    expect(short(run(spec(['c0', 'c1']), roles, { rx: 'net.tx_data' }), 'LP007')).toEqual([]);
  });
});

describe('LP008: a queue has exactly two ends', () => {
  const spec = (holders: readonly [string, string][]): SysSpec => ({
    mrs: [['q'], ['free']],
    pds: holders.map(([name, perms]) => ({ name, maps: [['q', perms]] })),
  });
  it('zero holders (LP012’s) and two holders: nothing; one: the MR, located at the MR', () => {
    expect(short(run(spec([]), {}, { q: 'queue', free: 'queue' }), 'LP008')).toEqual([]);
    const roles = { a: 'net.virt_rx', b: 'net.client', c: 'net.client', d: 'net.virt_tx' } as const;
    expect(
      short(
        run(
          spec([
            ['a', 'rw'],
            ['b', 'rw'],
          ]),
          roles,
          { q: 'queue' },
        ),
        'LP008',
      ),
    ).toEqual([]);
    const lone = run(spec([['a', 'rw']]), roles, { q: 'queue' });
    expect(short(lone, 'LP008')).toEqual(['a q error']);
    expect(one(lone, 'LP008').message).toMatch(
      /^queue 'q' is mapped into 1 PD \('a'\); a queue has exactly two ends/,
    );
    expect(one(lone, 'LP008').loc?.line).toBe(1); // the <memory_region>, not a <map>
    expect(short(run(spec([['a', 'rw']]), roles, { q: 'config' }), 'LP008')).toEqual([]);
  });
  it('three holders: the ends are the first pair of different tiers; the others are named', () => {
    const roles = { a: 'net.virt_rx', b: 'net.virt_tx', c: 'net.client', u: null } as const;
    const fs = run(
      spec([
        ['a', 'rw'],
        ['b', 'r'],
        ['c', 'rw'],
      ]),
      roles,
      { q: 'queue' },
    );
    expect(short(fs, 'LP008')).toEqual(['b q error']);
    expect(one(fs, 'LP008').message).toMatch(
      /^queue 'q' is mapped into 3 PDs; it is mapped into 'b', which is not one of its two ends \('a', 'c'\)/,
    );
    const w = run(
      spec([
        ['a', 'rw'],
        ['b', 'rw'],
        ['c', 'rw'],
      ]),
      roles,
      { q: 'queue' },
    );
    expect(one(w, 'LP008').message).toContain("it is writable into 'b'");
    // Unclassified holders pair with nobody; with no two tiers the first two are the ends.
    const none = run(
      spec([
        ['u', 'rw'],
        ['a', 'rw'],
        ['b', 'rw'],
      ]),
      roles,
      { q: 'queue' },
    );
    expect(short(none, 'LP008')).toEqual(['b q error']);
    expect(one(none, 'LP008').message).toContain("('u', 'a')");
    const late = run(
      spec([
        ['u', 'rw'],
        ['a', 'rw'],
        ['b', 'rw'],
        ['c', 'rw'],
      ]),
      roles,
      { q: 'queue' },
    );
    expect(short(late, 'LP008')).toEqual(['u q error', 'b q error']);
  });
});

describe('LP009: the I/O chain runs uphill in priority', () => {
  const spec = (lo: number, hi: number, caller?: string, twice = false): SysSpec => ({
    mrs: [],
    pds: [
      { name: 'c', prio: lo },
      { name: 'v', prio: hi },
    ],
    channels: [['c', 'v', caller], ...(twice ? [['v', 'c'] as const] : [])],
  });
  it('lower tier at or above the higher one warns once per pair; strictly below is fine', () => {
    const roles = { c: 'net.client', v: 'net.virt_rx' } as const;
    expect(short(run(spec(5, 5), roles, {}), 'LP009')).toEqual(['c - warning']);
    expect(short(run(spec(6, 5, undefined, true), roles, {}), 'LP009')).toEqual(['c - warning']);
    expect(short(run(spec(4, 5), roles, {}), 'LP009')).toEqual([]);
    const fs = run(spec(7, 5), roles, {});
    expect(one(fs, 'LP009').message).toMatch(
      /^'c' \(net\.client, priority 7\) is not below 'v' \(net\.virt_rx, priority 5\) that it is connected to/,
    );
    expect(Object.keys(one(fs, 'LP009')).sort()).toEqual([
      'loc',
      'message',
      'pd',
      'rule',
      'severity',
    ]);
    // Order of the ends does not matter: the lower tier is found either way.
    expect(short(run(spec(5, 7), { c: 'net.virt_rx', v: 'net.client' }, {}), 'LP009')).toEqual([
      'v - warning',
    ]);
  });
  it('same tier, a tier outside the chain, or an unclassified end: nothing', () => {
    expect(short(run(spec(9, 1), { c: 'net.virt_tx', v: 'net.virt_rx' }, {}), 'LP009')).toEqual([]);
    expect(short(run(spec(9, 1), { c: 'vmm', v: 'net.driver' }, {}), 'LP009')).toEqual([]);
    expect(short(run(spec(9, 1), { c: null, v: 'net.driver' }, {}), 'LP009')).toEqual([]);
  });
  it('a client and a driver: only when the client ppcalls into the driver (a passive server)', () => {
    const roles = { c: 'timer.client', v: 'timer.driver' } as const;
    expect(short(run(spec(9, 1), roles, {}), 'LP009')).toEqual([]);
    expect(short(run(spec(9, 1, 'v'), roles, {}), 'LP009')).toEqual([]);
    expect(short(run(spec(9, 1, 'c'), roles, {}), 'LP009')).toEqual(['c - warning']);
    expect(short(run(spec(9, 1), { c: 'net.copier', v: 'net.driver' }, {}), 'LP009')).toEqual([
      'c - warning',
    ]);
  });
});

describe('LP011 and LP012', () => {
  it('LP011: one finding per client pair, located at the first shared map, carrying the path', () => {
    const spec: SysSpec = {
      mrs: [['s'], ['t']],
      pds: [
        {
          name: 'c0',
          maps: [
            ['s', 'rw'],
            ['t', 'rw'],
          ],
        },
        {
          name: 'c1',
          maps: [
            ['s', 'rw'],
            ['t', 'rw'],
          ],
        },
      ],
    };
    const fs = run(spec, { c0: 'net.client', c1: 'net.client' }, { s: 'config', t: 'config' });
    const f = one(fs, 'LP011');
    expect(f).toMatchObject({ pd: 'c0', severity: 'error', path: ['c0', 's', 'c1'] });
    expect(f.loc?.line).toBe(4); // c0's map of s (lines: s, t, c0, its maps …)
    expect(f.message).toMatch(
      /^information can flow from client 'c0' to client 'c1' with no virtualiser or copier on the way: c0 → s → c1/,
    );
  });
  it('LP012: a declared MR nobody maps, at the MR, without a PD', () => {
    const fs = run(
      { mrs: [['lonely'], ['used']], pds: [{ name: 'p', maps: [['used', 'rw']] }] },
      { p: 'other' },
      { lonely: null, used: 'config' },
    );
    const f = one(fs, 'LP012');
    expect(Object.keys(f).sort()).toEqual(['loc', 'message', 'mr', 'rule', 'severity']);
    expect(f).toMatchObject({ mr: 'lonely', severity: 'warning' });
    expect(f.message).toMatch(/^memory region 'lonely' is declared but never mapped/);
  });
});

// ---------------------------------------------------------------- after the first mutation run

describe('rules on the conditions the first mutation run showed untested', () => {
  it('LP001: a driver mapping an owned region that is not payload is fine', () => {
    const spec: SysSpec = {
      mrs: [['q']],
      pds: [
        { name: 'd', maps: [['q', 'rw']] },
        { name: 'c', maps: [['q', 'rw']] },
      ],
    };
    expect(
      short(run(spec, { d: 'net.driver', c: 'net.client' }, { q: ['queue', 'c'] }), 'LP001'),
    ).toEqual([]);
  });

  it('LP001: a serial-driver role on a VM, and a map of an undeclared MR, do not break the rule', () => {
    const vm: SysSpec = {
      mrs: [['data']],
      pds: [
        { name: 'vmm', maps: [], vm: { name: 'guest', maps: [['data', 'rw']] } },
        { name: 'c', maps: [['data', 'rw']] },
      ],
    };
    expect(
      short(
        run(
          vm,
          { vmm: 'vmm', guest: 'serial.driver', c: 'serial.client' },
          { data: ['serial.data', 'c'] },
        ),
        'LP001',
      ),
    ).toEqual([]);
    const partial: SysSpec = {
      mrs: [['data']],
      pds: [
        {
          name: 'd',
          maps: [
            ['nosuch', 'rw'],
            ['data', 'rw'],
          ],
        },
        { name: 'c', maps: [['data', 'rw']] },
      ],
    };
    expect(
      short(
        run(partial, { d: 'serial.driver', c: 'serial.client' }, { data: ['serial.data', 'c'] }),
        'LP001',
      ),
    ).toEqual([]);
  });

  it('LP006: an owner that names no PD (a bad roles file) makes no finding and no crash', () => {
    const spec: SysSpec = { mrs: [['m']], pds: [{ name: 'c1', maps: [['m', 'rw']] }] };
    expect(
      short(run(spec, { c1: 'net.client' }, { m: ['net.tx_data', 'ghost'] }), 'LP006'),
    ).toEqual([]);
  });

  it('LP008: an unclassified holder between two tiers is not an end', () => {
    const spec: SysSpec = {
      mrs: [['q']],
      pds: ['a', 'u', 'c'].map((name) => ({ name, maps: [['q', 'rw'] as const] })),
    };
    const fs = run(spec, { a: 'net.virt_rx', u: null, c: 'net.client' }, { q: 'queue' });
    expect(short(fs, 'LP008')).toEqual(['u q error']);
    expect(one(fs, 'LP008').message).toContain("('a', 'c')");
  });

  it('LP009: a tier outside the chain is skipped whichever end has the higher priority; so is an unclassified second end', () => {
    const spec = (lo: number, hi: number): SysSpec => ({
      mrs: [],
      pds: [
        { name: 'c', prio: lo },
        { name: 'v', prio: hi },
      ],
      channels: [['c', 'v']],
    });
    for (const [a, b] of [
      [9, 1],
      [1, 9],
    ] as const) {
      expect(short(run(spec(a, b), { c: 'vmm', v: 'net.driver' }, {}), 'LP009')).toEqual([]);
      expect(short(run(spec(a, b), { c: 'net.virt_rx', v: 'other' }, {}), 'LP009')).toEqual([]);
      expect(short(run(spec(a, b), { c: 'net.virt_rx', v: null }, {}), 'LP009')).toEqual([]);
    }
  });

  it('LP009: only a ppcall from this client into this driver counts, among other channels', () => {
    const spec = (calls: readonly (readonly [string, string, string?])[]): SysSpec => ({
      mrs: [],
      pds: [
        { name: 'c', prio: 9 },
        { name: 'v', prio: 1 },
        { name: 'x', prio: 50 },
        { name: 'y', prio: 0 },
      ],
      channels: calls,
    });
    const roles = {
      c: 'timer.client',
      v: 'timer.driver',
      x: 'net.driver',
      y: 'timer.client',
    } as const;
    // c calls someone else, and someone else calls v: not a call from c into v.
    expect(
      short(
        run(
          spec([
            ['c', 'v'],
            ['c', 'x', 'c'],
            ['y', 'v', 'y'],
          ]),
          roles,
          {},
        ),
        'LP009',
      ),
    ).toEqual([]);
    // c calls v over one channel while another channel has no ppcall at all.
    expect(
      short(
        run(
          spec([
            ['c', 'v', 'c'],
            ['v', 'x'],
          ]),
          roles,
          {},
        ),
        'LP009',
      ),
    ).toEqual(['c - warning']);
  });

  it('LP011: one finding per pair of clients, each at the map of the first shared region', () => {
    const spec: SysSpec = {
      mrs: [['mine'], ['s']],
      pds: [
        {
          name: 'c0',
          maps: [
            ['mine', 'rw'],
            ['s', 'rw'],
          ],
        },
        { name: 'c1', maps: [['s', 'rw']] },
        { name: 'c2', maps: [['s', 'rw']] },
      ],
    };
    const fs = run(
      spec,
      { c0: 'net.client', c1: 'net.client', c2: 'net.client' },
      { mine: 'private', s: 'config' },
    );
    const lp011 = fs.filter((f) => f.rule === 'LP011');
    expect(lp011.map((f) => f.path?.join(' '))).toEqual(['c0 s c1', 'c0 s c2', 'c1 s c2']);
    // c0's map of s is on line 5 (lines: mine, s, c0, c0's map of mine, c0's map of s).
    expect(lp011[0]!.loc?.line).toBe(5);
  });

  it('LP011: a ppcall hop whose callee shares its name with a region is located at the caller', () => {
    const spec: SysSpec = {
      mrs: [['c1']],
      pds: [
        { name: 'c0', prio: 1 },
        { name: 'c1', prio: 2, maps: [['c1', 'rw']] },
      ],
      channels: [['c0', 'c1', 'c0']],
    };
    const f = one(run(spec, { c0: 'net.client', c1: 'net.client' }, { c1: 'config' }), 'LP011');
    expect(f.path).toEqual(['c0', 'c1']);
    expect(f.loc?.line).toBe(2); // c0's <protection_domain>
  });
});

describe('a channel whose first end names no declared PD (partial model)', () => {
  it('LP009 skips it without a crash', () => {
    const spec: SysSpec = { mrs: [], pds: [{ name: 'v', prio: 1 }], channels: [['ghost', 'v']] };
    expect(short(run(spec, { v: 'net.virt_rx' }, {}), 'LP009')).toEqual([]);
  });
});
