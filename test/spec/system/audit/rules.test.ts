// Unit tests of the rules on models built in code: each edge case of least-privilege-policy.md
// that the minimal fixtures do not show, with the rule firing on the bad variant and not on the
// good one.
import { describe, expect, it } from 'vitest';
import { auditSystem } from '../../../../spec/system/audit/index.ts';
import type { RuleId } from '../../../../spec/system/audit/rules-meta.ts';
import { parseRolesFile } from '../../../../impl/audit/roles-file.ts';
import { sys, type SysSpec } from './build.ts';

function fired(
  spec: SysSpec,
  rule: RuleId,
  rolesJson?: string,
): { pd?: string; severity: string }[] {
  const roles = rolesJson === undefined ? undefined : parseRolesFile(rolesJson, 'roles.json').roles;
  const report = auditSystem(sys(spec), roles === undefined ? {} : { roles });
  return report.findings
    .filter((f) => f.rule === rule)
    .map((f) => ({ ...(f.pd !== undefined ? { pd: f.pd } : {}), severity: f.severity }));
}

/** A small net system without copiers: the driver, virt_rx, virt_tx and `clients`. */
function net(clients: readonly string[], clientMapsRxDma: boolean): SysSpec {
  return {
    mrs: [
      ['eth_regs', 0xa003000n],
      ['net_rx_buffer_data_region'],
      ['net_rx_free_drv'],
      ...clients.map((c) => [`net_rx_free_${c}`] as const),
    ],
    pds: [
      {
        name: 'eth',
        prio: 101,
        irq: 79,
        maps: [
          ['eth_regs', 'rw', false],
          ['net_rx_free_drv', 'rw'],
        ],
      },
      {
        name: 'net_virt_rx',
        prio: 99,
        maps: [
          ['net_rx_free_drv', 'rw'],
          ['net_rx_buffer_data_region', 'r'],
          ...clients.map((c) => [`net_rx_free_${c}`, 'rw'] as const),
        ],
      },
      ...clients.map((c) => ({
        name: c,
        prio: 90,
        maps: [
          [`net_rx_free_${c}`, 'rw'] as const,
          ...(clientMapsRxDma ? [['net_rx_buffer_data_region', 'r'] as const] : []),
        ],
      })),
    ],
    channels: [['eth', 'net_virt_rx'], ...clients.map((c) => ['net_virt_rx', c] as const)],
  };
}

describe('LP007: Rx DMA region in a client', () => {
  it('one copier-less client: warning; two: error for each; none: nothing', () => {
    expect(fired(net(['client0'], true), 'LP007')).toEqual([
      { pd: 'client0', severity: 'warning' },
    ]);
    expect(fired(net(['client0', 'client1'], true), 'LP007')).toEqual([
      { pd: 'client0', severity: 'error' },
      { pd: 'client1', severity: 'error' },
    ]);
    expect(fired(net(['client0', 'client1'], false), 'LP007')).toEqual([]);
  });
});

describe('LP001: drivers and data', () => {
  const i2c = (driverMapsData: boolean, cls: 'i2c' | 'net'): SysSpec => ({
    mrs: [
      ['bus_regs', 0xffd1d000n],
      [`${cls}_client_data_region`],
      [`${cls}_driver_request_region`],
      ['client_request_region'],
    ],
    pds: [
      {
        name: 'driver',
        image: `${cls}_driver.elf`,
        irq: 40,
        prio: 100,
        maps: [
          ['bus_regs', 'rw', false],
          [`${cls}_driver_request_region`, 'rw'],
          ...(driverMapsData ? [[`${cls}_client_data_region`, 'rw'] as const] : []),
        ],
      },
      {
        name: 'virt',
        image: `${cls}_virt.elf`,
        prio: 99,
        maps: [
          [`${cls}_driver_request_region`, 'rw'],
          ['client_request_region', 'rw'],
        ],
      },
      {
        name: 'client',
        prio: 1,
        maps: [
          ['client_request_region', 'rw'],
          [`${cls}_client_data_region`, 'rw'],
        ],
      },
    ],
    channels: [
      ['driver', 'virt'],
      ['client', 'virt'],
    ],
  });
  it('an I2C driver may map client data (D7); a net driver may not (D1)', () => {
    expect(fired(i2c(true, 'i2c'), 'LP001')).toEqual([]);
    expect(fired(i2c(true, 'net'), 'LP001')).toEqual([{ pd: 'driver', severity: 'error' }]);
    expect(fired(i2c(false, 'net'), 'LP001')).toEqual([]);
  });
});

// Changed on purpose (issue #10 part 3): rules that depend only on a region's nature run on every
// mapper, with or without a role; LP000 still says which PDs no role was found for.
describe('LP000: unclassified PDs get a note; region rules still apply to them', () => {
  const spec: SysSpec = {
    mrs: [['eth_regs', 0xa003000n], ['q']],
    pds: [
      {
        name: 'eth',
        prio: 101,
        irq: 79,
        maps: [
          ['eth_regs', 'rw', false],
          ['q', 'rw'],
        ],
      },
      { name: 'mystery', prio: 1, maps: [['eth_regs', 'rw', true]] },
    ],
  };
  it('a PD nobody can classify gets LP000, and LP002/LP003 on the registers it maps cached', () => {
    expect(fired(spec, 'LP000').map((f) => f.pd)).toContain('mystery');
    expect(fired(spec, 'LP002')).toEqual([{ pd: 'mystery', severity: 'error' }]);
    expect(fired(spec, 'LP003')).toEqual([{ pd: 'mystery', severity: 'error' }]);
  });
  it('with a role from the roles file, the same findings and no LP000', () => {
    const roles = '{"pds": {"mystery": "net.client"}}';
    expect(fired(spec, 'LP002', roles)).toEqual([{ pd: 'mystery', severity: 'error' }]);
    expect(fired(spec, 'LP003', roles)).toEqual([{ pd: 'mystery', severity: 'error' }]);
    expect(fired(spec, 'LP000', roles).map((f) => f.pd)).not.toContain('mystery');
  });
});

describe('LP003: a VM with pass-through may map device memory', () => {
  it('the VM map is allowed, the VMM map is not', () => {
    const spec = (vmmMaps: boolean): SysSpec => ({
      mrs: [['eth_regs', 0xa003000n], ['guest_ram_linux']],
      pds: [
        { name: 'eth', prio: 101, irq: 79, maps: [['eth_regs', 'rw', false]] },
        {
          name: 'vmm_linux',
          prio: 50,
          maps: [
            ['guest_ram_linux', 'rw'],
            ...(vmmMaps ? [['eth_regs', 'rw', false] as const] : []),
          ],
          vm: {
            name: 'linux',
            maps: [
              ['guest_ram_linux', 'rwx'],
              ['eth_regs', 'rw', false],
            ],
          },
        },
      ],
    });
    expect(fired(spec(false), 'LP003')).toEqual([]);
    expect(fired(spec(true), 'LP003')).toEqual([{ pd: 'vmm_linux', severity: 'error' }]);
    // guest RAM is rwx in its VM by design (microkit-sdf.md §2.4): not LP005.
    expect(fired(spec(false), 'LP005')).toEqual([]);
  });
});

describe('LP004: the read-only list', () => {
  const serial = (perms: string): SysSpec => ({
    mrs: [
      ['uart', 0x9000000n],
      ['rx_data_driver'],
      ['rx_queue_driver'],
      ['rx_data_client0'],
      ['rx_queue_client0'],
    ],
    pds: [
      {
        name: 'uart',
        irq: 33,
        prio: 100,
        maps: [
          ['uart', 'rw', false],
          ['rx_queue_driver', 'rw'],
          ['rx_data_driver', 'rw'],
        ],
      },
      {
        name: 'serial_virt_rx',
        prio: 99,
        maps: [
          ['rx_queue_driver', 'rw'],
          ['rx_data_driver', perms],
          ['rx_queue_client0', 'rw'],
          ['rx_data_client0', 'rw'],
        ],
      },
      {
        name: 'client0',
        prio: 1,
        maps: [
          ['rx_queue_client0', 'rw'],
          ['rx_data_client0', 'rw'],
        ],
      },
    ],
    channels: [
      ['uart', 'serial_virt_rx'],
      ['serial_virt_rx', 'client0'],
    ],
  });
  it('serial virt_rx → driver Rx data rw: warning; r: nothing; its client Rx data rw is fine', () => {
    expect(fired(serial('rw'), 'LP004')).toEqual([{ pd: 'serial_virt_rx', severity: 'warning' }]);
    expect(fired(serial('r'), 'LP004')).toEqual([]);
  });
  it('blk client → its storage_info rw: warning', () => {
    const blk = (perms: string): SysSpec => ({
      mrs: [['blk_client_storage_info'], ['blk_client_request']],
      pds: [
        {
          name: 'blk_virt',
          prio: 99,
          maps: [
            ['blk_client_storage_info', 'rw'],
            ['blk_client_request', 'rw'],
          ],
        },
        {
          name: 'client',
          prio: 1,
          maps: [
            ['blk_client_storage_info', perms],
            ['blk_client_request', 'rw'],
          ],
        },
      ],
      channels: [['client', 'blk_virt']],
    });
    expect(fired(blk('rw'), 'LP004')).toEqual([{ pd: 'client', severity: 'warning' }]);
    expect(fired(blk('r'), 'LP004')).toEqual([]);
  });
});

describe('LP008: queue ends', () => {
  // Changed on purpose (issue #10): a region one PD maps is not shared, so it is private by
  // structure whatever its name; LP008 is about queues shared by other than two PDs.
  it('a queue-named region mapped into one PD is private; a queue mapped into three is flagged', () => {
    const spec = (both: boolean): SysSpec => ({
      mrs: [['net_rx_free_drv'], ['eth_regs', 0xa003000n]],
      pds: [
        {
          name: 'eth',
          prio: 101,
          irq: 79,
          maps: [
            ['eth_regs', 'rw', false],
            ['net_rx_free_drv', 'rw'],
          ],
        },
        { name: 'net_virt_rx', prio: 99, maps: both ? [['net_rx_free_drv', 'rw']] : [] },
      ],
    });
    expect(fired(spec(false), 'LP008')).toEqual([]);
    expect(fired(spec(true), 'LP008')).toEqual([]);
    const three: SysSpec = {
      ...spec(true),
      pds: [...spec(true).pds, { name: 'client0', prio: 1, maps: [['net_rx_free_drv', 'rw']] }],
      channels: [['net_virt_rx', 'client0']],
    };
    expect(fired(three, 'LP008')).toEqual([{ pd: 'client0', severity: 'error' }]);
  });
});

describe('LP009: priorities along ppcall into a passive server', () => {
  it('a client at or above the timer it calls: warning', () => {
    const spec = (clientPrio: number): SysSpec => ({
      mrs: [],
      pds: [
        { name: 'timer', prio: 101, irq: 30, passive: true },
        { name: 'client', prio: clientPrio },
      ],
      channels: [['client', 'timer', 'client']],
    });
    expect(fired(spec(150), 'LP009')).toEqual([{ pd: 'client', severity: 'warning' }]);
    expect(fired(spec(101), 'LP009')).toEqual([{ pd: 'client', severity: 'warning' }]);
    expect(fired(spec(100), 'LP009')).toEqual([]);
  });
});

describe('LP011: ppcall carries data, notifications do not', () => {
  // The driver makes net_virt_rx a virtualiser by structure (a mediator: flow.ts, issue 15).
  const spec = (caller?: string): SysSpec => ({
    mrs: [['net_rx_queue_drv'], ['net_rx_free_client0'], ['net_rx_free_client1']],
    pds: [
      {
        name: 'eth',
        image: 'eth_driver.elf',
        prio: 101,
        irq: 79,
        maps: [['net_rx_queue_drv', 'rw']],
      },
      {
        name: 'net_virt_rx',
        prio: 99,
        maps: [
          ['net_rx_queue_drv', 'rw'],
          ['net_rx_free_client0', 'rw'],
          ['net_rx_free_client1', 'rw'],
        ],
      },
      { name: 'client0', prio: 1, maps: [['net_rx_free_client0', 'rw']] },
      { name: 'client1', prio: 2, maps: [['net_rx_free_client1', 'rw']] },
    ],
    channels: [
      ['eth', 'net_virt_rx'],
      ['client0', 'net_virt_rx'],
      ['client1', 'net_virt_rx'],
      ['client0', 'client1', caller],
    ],
  });
  it('a notify-only channel between clients is not a flow; a ppcall one is', () => {
    expect(fired(spec(), 'LP011')).toEqual([]);
    expect(fired(spec('client0'), 'LP011')).toEqual([{ pd: 'client0', severity: 'error' }]);
  });
});

describe('partial models (the file has Microkit validation errors) are still audited', () => {
  it('a channel to an undeclared PD, a map of an undeclared MR and a repeated MR name do not break the audit', () => {
    const spec: SysSpec = {
      mrs: [['eth_regs', 0xa003000n], ['eth_regs', 0xa004000n], ['q']],
      pds: [
        {
          name: 'eth',
          prio: 101,
          irq: 79,
          maps: [
            ['eth_regs', 'rw', true],
            ['nosuch', 'rw'],
            ['q', 'rw'],
          ],
        },
        { name: 'client0', prio: 1, maps: [['q', 'rw']] },
      ],
      channels: [
        ['client0', 'ghost', 'client0'],
        ['client0', 'eth'],
      ],
    };
    expect(fired(spec, 'LP002')).toEqual([{ pd: 'eth', severity: 'error' }]);
  });
});
