// Isolation without blind spots (issue 15 part 5): a bad/good twin for each kind of flow edge
// (spec/system/audit/flow.ts), built from test/fixtures/audit/base.system (two net clients behind
// virtualisers and copiers, isolated). Each bad twin adds one way for information to move from
// client0 to client1; its good twin is the same system with that one way closed. Both the graph
// search and the Z3 proof must give the verdict, and must agree.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parseSystem } from '../../../impl/sdf/index.ts';
import { proveIsolation, releaseZ3 } from '../../../proofs/smt/isolation.ts';
import { auditSystem } from '../../../spec/system/audit/index.ts';
import { findFlowPath, nodeName, pdNode } from '../../../spec/system/audit/flow.ts';
import { AUDIT_FIXTURES } from '../../spec/system/audit/fixtures.ts';

afterAll(async () => {
  await releaseZ3();
});

const BASE = readFileSync(join(AUDIT_FIXTURES, 'base.system'), 'utf8');
const EXTRA_MRS =
  '<memory_region name="a" size="0x1000" /><memory_region name="b" size="0x1000" />';

/** base.system with two more regions, extra maps in the clients, and more PDs/channels. */
function variant(v: {
  readonly client0?: string;
  readonly client1?: string;
  readonly pds?: string;
  readonly channels?: string;
}): string {
  let t = BASE.replace('<system>', `<system>${EXTRA_MRS}`);
  const addTo = (pd: string, maps: string): void => {
    const at = t.indexOf(`<protection_domain name="${pd}"`);
    const end = t.indexOf('</protection_domain>', at);
    t = `${t.slice(0, end)}${maps}${t.slice(end)}`;
  };
  if (v.client0 !== undefined) addTo('client0', v.client0);
  if (v.client1 !== undefined) addTo('client1', v.client1);
  t = t.replace('</system>', `${v.pds ?? ''}${v.channels ?? ''}</system>`);
  return t;
}

const map = (mr: string, perms: string, at = '0x30000000'): string =>
  `<map mr="${mr}" vaddr="${at}" perms="${perms}" cached="true" />`;

async function verdict(text: string): Promise<{ flow: boolean; path: string[] | null }> {
  const parsed = parseSystem(text, { file: 'twin.system' });
  expect(parsed.errors.map((e) => e.message)).toEqual([]);
  const report = auditSystem(parsed.model!, {});
  const g = report.flow;
  const from = g.nodes.indexOf(pdNode('client0'));
  const to = g.nodes.indexOf(pdNode('client1'));
  expect(g.clients).toContain(from);
  expect(g.clients).toContain(to);
  const path = findFlowPath(g, from, to);
  const proof = await proveIsolation(g);
  const pair = proof.pairs.find((p) => p.from === from && p.to === to);
  expect(pair?.verdict).toBe(path === null ? 'isolated' : 'flow');
  const lp011 = report.findings.some(
    (f) => f.rule === 'LP011' && f.message.includes("'client0'") && f.message.includes("'client1'"),
  );
  expect(lp011).toBe(path !== null);
  return { flow: path !== null, path: path?.map((n) => nodeName(g.nodes[n] ?? '')) ?? null };
}

describe('isolation: a bad/good twin for each flow edge kind', () => {
  it('the base system is isolated', async () => {
    expect((await verdict(variant({}))).flow).toBe(false);
  });

  it('shared region, by permission: a writer and a reader flow; two readers do not', async () => {
    const bad = await verdict(variant({ client0: map('a', 'rw'), client1: map('a', 'r') }));
    expect(bad.path).toEqual(['client0', 'a', 'client1']);
    const good = await verdict(variant({ client0: map('a', 'r'), client1: map('a', 'r') }));
    expect(good.flow).toBe(false);
  });

  const helper = (pp: boolean): Parameters<typeof variant>[0] => ({
    client0: map('a', 'rw'),
    pds: `<protection_domain name="helper" priority="40"><program_image path="helper.elf" />${map('a', 'r')}</protection_domain>`,
    channels: `<channel><end pd="helper" id="1" pp="${pp}" /><end pd="client1" id="5" /></channel>`,
  });

  it('protected procedure call: a ppcall channel carries data; a notify-only channel does not', async () => {
    const bad = await verdict(variant(helper(true)));
    expect(bad.path).toEqual(['client0', 'a', 'helper', 'client1']);
    expect((await verdict(variant(helper(false)))).flow).toBe(false);
  });

  it('parent/child: a parent reads its child faults and writes its registers', async () => {
    // relay reads what client0 writes; as client1's parent it controls client1's registers.
    const base = variant({
      client0: map('a', 'rw'),
      pds: `<protection_domain name="relay" priority="120"><program_image path="relay.elf" />${map('a', 'r')}</protection_domain>`,
    });
    expect((await verdict(base)).flow).toBe(false);
    const start = base.indexOf('<protection_domain name="client1"');
    const end = base.indexOf('</protection_domain>', start) + '</protection_domain>'.length;
    const client1 = base.slice(start, end).replace('name="client1"', 'name="client1" id="1"');
    const nested = (base.slice(0, start) + base.slice(end)).replace(
      `${map('a', 'r')}</protection_domain>`,
      `${map('a', 'r')}${client1}</protection_domain>`,
    );
    const bad = await verdict(nested);
    expect(bad.path).toEqual(['client0', 'a', 'relay', 'client1']);
    // Fault delivery: client0 as relay's child, relay writes a region client1 reads.
    const c0s = base.indexOf('<protection_domain name="client0"');
    const c0e = base.indexOf('</protection_domain>', c0s) + '</protection_domain>'.length;
    const client0 = base.slice(c0s, c0e).replace('name="client0"', 'name="client0" id="1"');
    const faults = (base.slice(0, c0s) + base.slice(c0e))
      .replace(
        `${map('a', 'r')}</protection_domain>`,
        `${map('b', 'rw')}${client0}</protection_domain>`,
      )
      .replace(
        '<program_image path="echo.elf" />\n        <map mr="net_rx_queue_cli1"',
        `<program_image path="echo.elf" />${map('b', 'r')}\n        <map mr="net_rx_queue_cli1"`,
      );
    expect((await verdict(faults)).path).toEqual(['client0', 'relay', 'b', 'client1']);
  });

  const relay = (extra: string): Parameters<typeof variant>[0] => ({
    client0: map('a', 'rw'),
    client1: map('b', 'r'),
    // Named like the Rx virtualiser (its program image: the PD's own name is never read).
    pds: `<protection_domain name="relay" priority="40"><program_image path="network_virt_rx.elf" />${map('a', 'r')}${map('b', 'rw', '0x30200000')}${extra}</protection_domain>`,
  });

  it('renamed relay: a virtualiser by name only forwards; one the structure confirms mediates', async () => {
    const bad = await verdict(variant(relay('')));
    expect(bad.path).toEqual(['client0', 'a', 'relay', 'b', 'client1']);
    // The same PD sharing a queue with the driver is a virtualiser by structure: trusted.
    const good = await verdict(variant(relay(map('net_rx_queue_drv', 'rw', '0x30400000'))));
    expect(good.flow).toBe(false);
  });

  const vmm = (guestB: string): Parameters<typeof variant>[0] => ({
    client0: map('a', 'rw'),
    client1: map('b', 'r'),
    pds: `<protection_domain name="monitor" priority="40"><program_image path="monitor.elf" /><virtual_machine name="guest"><vcpu id="0" />${map('a', 'r')}${map('b', guestB, '0x30200000')}</virtual_machine></protection_domain>`,
  });

  it('VM monitoring: what a guest maps is its VMM’s (the VMM reads and writes guest memory)', async () => {
    const bad = await verdict(variant(vmm('rw')));
    expect(bad.path).toEqual(['client0', 'a', 'monitor', 'b', 'client1']);
    expect((await verdict(variant(vmm('r')))).flow).toBe(false);
  });

  it('every pair the policy separates: two PDs outside any I/O subsystem are checked too', async () => {
    const apps = (perms: string): string =>
      `<protection_domain name="app1" priority="30"><program_image path="app1.elf" />${map('a', perms)}</protection_domain>` +
      `<protection_domain name="app2" priority="30"><program_image path="app2.elf" />${map('a', 'r')}</protection_domain>`;
    const check = async (perms: string): Promise<boolean> => {
      const parsed = parseSystem(variant({ pds: apps(perms) }), { file: 'apps.system' });
      expect(parsed.errors).toEqual([]);
      const report = auditSystem(parsed.model!, {});
      const g = report.flow;
      const [a1, a2] = [g.nodes.indexOf(pdNode('app1')), g.nodes.indexOf(pdNode('app2'))];
      expect(g.clients).toEqual(expect.arrayContaining([a1, a2]));
      const proof = await proveIsolation(g);
      const pair = proof.pairs.find((p) => p.from === a1 && p.to === a2);
      expect(pair?.verdict).toBe(findFlowPath(g, a1, a2) === null ? 'isolated' : 'flow');
      return pair?.verdict === 'flow';
    };
    expect(await check('rw')).toBe(true); // app1 writes what app2 reads
    expect(await check('r')).toBe(false); // both only read it
  });
});
