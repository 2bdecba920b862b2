// Roles from structure first (issue #10 part 2), on systems built in code with names that say
// nothing (images `p0.elf`…) or that lie: each complaint of the issue as a case, and every role
// carrying its reason.
import { describe, expect, it } from 'vitest';
import { auditSystem } from '../../../../spec/system/audit/index.ts';
import { inferRoles } from '../../../../spec/system/roles/infer.ts';
import { sys, type SysSpec } from '../audit/build.ts';

const roleOf = (spec: SysSpec): Record<string, string> =>
  Object.fromEntries(
    [...inferRoles(sys(spec)).pds].map(([k, v]) => [
      k,
      `${v.role ?? 'unclassified'}${v.acts ? `+${v.acts}` : ''}`,
    ]),
  );
const kindOf = (spec: SysSpec, mr: string): string | undefined =>
  inferRoles(sys(spec)).mrs.get(mr)?.kind;
const rules = (spec: SysSpec): string[] =>
  auditSystem(sys(spec)).findings.map(
    (f) => `${f.rule} ${f.severity} ${f.pd ?? '-'} ${f.mr ?? '-'}`,
  );

/** A net subsystem whose PDs' names and images say nothing: roles must come from structure. */
const anonymousNet: SysSpec = {
  mrs: [
    ['regs', 0xa003000n],
    ['m_rx_free'],
    ['m_rx_active'],
    ['m_tx_free'],
    ['m_tx_active'],
    ['m_c0_q'],
    ['m_c1_q'],
    ['m_tx_c0_q'],
    ['m_tx_c1_q'],
  ],
  pds: [
    // Named "client", but it holds the IRQ and maps the registers uncached: the driver.
    {
      name: 'client',
      image: 'p0.elf',
      prio: 101,
      irq: 79,
      maps: [
        ['regs', 'rw', false],
        ['m_rx_free', 'rw'],
        ['m_rx_active', 'rw'],
        ['m_tx_free', 'rw'],
        ['m_tx_active', 'rw'],
      ],
    },
    // Named "driver": shares queues with the driver and serves two others, a virtualiser.
    {
      name: 'driver',
      image: 'p1.elf',
      prio: 99,
      maps: [
        ['m_rx_free', 'rw'],
        ['m_rx_active', 'rw'],
        ['m_c0_q', 'rw'],
        ['m_c1_q', 'rw'],
      ],
    },
    {
      name: 'virt',
      image: 'p2.elf',
      prio: 98,
      maps: [
        ['m_tx_free', 'rw'],
        ['m_tx_active', 'rw'],
        ['m_tx_c0_q', 'rw'],
        ['m_tx_c1_q', 'rw'],
      ],
    },
    // Named "virt0"/"virt1": they only talk to virtualisers, clients.
    {
      name: 'virt0',
      image: 'p3.elf',
      prio: 1,
      maps: [
        ['m_c0_q', 'rw'],
        ['m_tx_c0_q', 'rw'],
      ],
    },
    {
      name: 'virt1',
      image: 'p4.elf',
      prio: 1,
      maps: [
        ['m_c1_q', 'rw'],
        ['m_tx_c1_q', 'rw'],
      ],
    },
  ],
  channels: [
    ['client', 'driver'],
    ['client', 'virt'],
    ['driver', 'virt0'],
    ['driver', 'virt1'],
    ['virt', 'virt0'],
    ['virt', 'virt1'],
  ],
};

describe('roles from structure', () => {
  it('a PD holding the IRQ and mapping the registers is the driver, whatever its name', () => {
    const r = roleOf(anonymousNet);
    expect(r['client']).toMatch(/\.driver$/u);
    expect(r['driver']).toMatch(/\.virt/u);
    expect(r['virt']).toMatch(/\.virt/u);
    expect(r['virt0']).toMatch(/\.client$/u);
    expect(r['virt1']).toMatch(/\.client$/u);
    expect(inferRoles(sys(anonymousNet)).pds.get('client')).toMatchObject({
      source: 'structure',
      reason: "holds IRQ 79 and maps device region 'regs' (phys_addr)",
    });
  });

  it('the registers are mmio because of their address and who maps them, cached or not (LP002)', () => {
    expect(kindOf(anonymousNet, 'regs')).toBe('mmio');
    const cached: SysSpec = {
      ...anonymousNet,
      pds: anonymousNet.pds.map((p) =>
        p.name === 'client'
          ? { ...p, maps: [['regs', 'rw', true], ...(p.maps ?? []).slice(1)] }
          : p,
      ),
    };
    expect(kindOf(cached, 'regs')).toBe('mmio');
    expect(rules(cached)).toContain('LP002 error client regs');
  });

  it("a driver's private DMA buffer is private, not client data (no LP001)", () => {
    const spec: SysSpec = {
      mrs: [['regs', 0x9000000n], ['packet_buffer']],
      pds: [
        {
          name: 'nic',
          image: 'eth.elf',
          irq: 40,
          maps: [
            ['regs', 'rw', false],
            ['packet_buffer', 'rw'],
          ],
        },
      ],
    };
    expect(kindOf(spec, 'packet_buffer')).toBe('private');
    expect(rules(spec)).toEqual([]);
  });

  it('a LionsOS file-system server and its client: queues and share rw on both sides, no LP006/LP011', () => {
    // The server's own block side (driver and virtualiser) makes it a mediator by structure
    // (flow.ts anchoredMediators, issue 15): a server by image name alone forwards.
    const spec: SysSpec = {
      mrs: [
        ['blk_queue_drv'],
        ['blk_queue_fat'],
        ['fs_fat_command_queue'],
        ['fs_fat_completion_queue'],
        ['fs_fat_share'],
        ['fs_b_command_queue'],
        ['fs_b_completion_queue'],
        ['fs_b_share'],
      ],
      pds: [
        {
          name: 'blk_driver',
          image: 'blk_driver.elf',
          prio: 100,
          irq: 40,
          maps: [['blk_queue_drv', 'rw']],
        },
        {
          name: 'blk_virt',
          image: 'blk_virt.elf',
          prio: 99,
          maps: [
            ['blk_queue_drv', 'rw'],
            ['blk_queue_fat', 'rw'],
          ],
        },
        {
          name: 'fat',
          image: 'fat.elf',
          prio: 96,
          maps: [
            ['blk_queue_fat', 'rw'],
            ['fs_fat_command_queue', 'rw'],
            ['fs_fat_completion_queue', 'rw'],
            ['fs_fat_share', 'rw'],
            ['fs_b_command_queue', 'rw'],
            ['fs_b_completion_queue', 'rw'],
            ['fs_b_share', 'rw'],
          ],
        },
        {
          name: 'a',
          image: 'micropython.elf',
          prio: 1,
          maps: [
            ['fs_fat_command_queue', 'rw'],
            ['fs_fat_completion_queue', 'rw'],
            ['fs_fat_share', 'rw'],
          ],
        },
        {
          name: 'b',
          image: 'app.elf',
          prio: 1,
          maps: [
            ['fs_b_command_queue', 'rw'],
            ['fs_b_completion_queue', 'rw'],
            ['fs_b_share', 'rw'],
          ],
        },
      ],
      channels: [
        ['blk_driver', 'blk_virt'],
        ['blk_virt', 'fat'],
        ['fat', 'a'],
        ['fat', 'b'],
      ],
    };
    expect(roleOf(spec)).toEqual({
      blk_driver: 'blk.driver',
      blk_virt: 'blk.virt',
      fat: 'fs.server',
      a: 'fs.client',
      b: 'fs.client',
    });
    expect(kindOf(spec, 'fs_fat_command_queue')).toBe('queue');
    expect(kindOf(spec, 'fs_fat_share')).toBe('fs.share');
    expect(rules(spec)).toEqual([]);
  });

  it('the benchmark harness and its cycle counters are known roles (no LP011, no LP000)', () => {
    const spec: SysSpec = {
      ...anonymousNet,
      mrs: [...anonymousNet.mrs, ['cyclecounters']],
      pds: [
        ...anonymousNet.pds.map((p) =>
          p.name === 'virt0'
            ? { ...p, maps: [...(p.maps ?? []), ['cyclecounters', 'rw'] as const] }
            : p,
        ),
        { name: 'idle', image: 'idle.elf', prio: 1, maps: [['cyclecounters', 'rw']] },
      ],
    };
    expect(roleOf(spec)['idle']).toBe('bench');
    expect(kindOf(spec, 'cyclecounters')).toBe('bench.counters');
    expect(rules(spec).filter((r) => /LP011|LP000/u.test(r))).toEqual([]);
  });

  it('a VMM that is an sDDF client for its guest counts as a client endpoint for LP011', () => {
    const spec: SysSpec = {
      mrs: [['ram1'], ['ram2'], ['q1'], ['q2'], ['shared'], ['regs', 0x9000000n], ['dq']],
      pds: [
        {
          name: 'drv',
          image: 'uart_driver.elf',
          prio: 110,
          irq: 33,
          maps: [
            ['regs', 'rw', false],
            ['dq', 'rw'],
          ],
        },
        {
          name: 'mux',
          image: 'serial_virt_tx.elf',
          prio: 100,
          maps: [
            ['dq', 'rw'],
            ['q1', 'rw'],
            ['q2', 'rw'],
          ],
        },
        {
          name: 'g1',
          prio: 1,
          maps: [
            ['ram1', 'rw'],
            ['q1', 'rw'],
            ['shared', 'rw'],
          ],
          vm: { name: 'linux1', maps: [['ram1', 'rwx']] },
        },
        {
          name: 'g2',
          prio: 1,
          maps: [
            ['ram2', 'rw'],
            ['q2', 'rw'],
            ['shared', 'rw'],
          ],
          vm: { name: 'linux2', maps: [['ram2', 'rwx']] },
        },
      ],
      channels: [
        ['drv', 'mux'],
        ['mux', 'g1'],
        ['mux', 'g2'],
      ],
    };
    expect(roleOf(spec)).toMatchObject({ g1: 'vmm+client', g2: 'vmm+client', linux1: 'vm' });
    expect(kindOf(spec, 'ram1')).toBe('guest_ram');
    // `shared` fits no kind (two clients' private exchange): a note, and the flow it opens.
    expect(rules(spec)).toEqual(['LP000 note - shared', 'LP011 error g1 -']);
  });

  it('every PD and MR of a system gets a reason, classified or not', () => {
    const r = inferRoles(sys(anonymousNet));
    for (const info of [...r.pds.values(), ...r.mrs.values()]) {
      expect(info.reason.length).toBeGreaterThan(5);
    }
  });
});
