// `sddf check --system FILE` checks FILE (issue 8 part 3): the protocols and their instances come
// from the system description and its inferred roles; classes without a model are listed.
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseSystemFile } from '../../../impl/sdf/index.ts';
import { builtInSystemPath } from '../../../impl/systems/index.ts';
import { auditSystem } from '../../../spec/system/audit/index.ts';
import type { SystemModel } from '../../../spec/system/model.ts';
import {
  netCapacityFitting,
  planModelChecks,
  type CheckPlan,
} from '../../../proofs/models/from-system.ts';
import { findModel } from '../../../proofs/models/registry.ts';
import { SHARED_SDF_FIXTURES, describeShared } from '../../helpers/shared.ts';

function load(path: string): SystemModel {
  const r = parseSystemFile(path);
  if (r.model === undefined) throw new Error(`${path}: ${JSON.stringify(r.errors)}`);
  return r.model;
}

function plan(path: string): CheckPlan {
  const model = load(path);
  return planModelChecks(model, auditSystem(model).roles);
}

const models = (p: CheckPlan): string[] => [...new Set(p.runs.map((r) => r.model))].sort();
const fixture = (name: string): string => join(SHARED_SDF_FIXTURES, name);

describe('planModelChecks', () => {
  it('the built-in echo server: the net models with its two clients, the serial Tx path', () => {
    const p = plan(builtInSystemPath('echo_server') as string);
    // Its NIC is virtio-net (the driver maps ethernet/virtio/*): net-virtio, not the ENET model
    // (changed on purpose: the virtio-net driver is modelled now, issue 9).
    // The timer protocol is modelled now (issue 13): its run joins the plan.
    expect(models(p)).toEqual(['echo', 'net-handshake', 'net-virtio', 'serial-tx', 'timer']);
    const net = p.instances.find((i) => i.deviceClass === 'net');
    expect(net?.nic).toBe('virtio');
    expect(net?.clients).toEqual(['client0', 'client1']);
    // 0x3000-byte queue regions: 8 + 16 * 512 fits, 8 + 16 * 1024 does not.
    expect(net?.maxQueueCapacity).toBe(512);
    expect(p.runs.find((r) => r.model === 'echo')?.bounds['driver']).toBe(1);
    const pipeline = p.runs.find((r) => r.model === 'net-virtio' && r.memoryModel === 'sc');
    expect(pipeline?.bounds['clients']).toBe(2);
    expect(p.notChecked).toEqual([]);
    expect(p.runs.find((r) => r.model === 'timer')?.bounds['clients']).toBe(3);
  });

  it('every planned run names a registered model with bounds in its ranges', () => {
    for (const r of plan(builtInSystemPath('echo_server') as string).runs) {
      const entry = findModel(r.model);
      expect(entry, r.model).toBeDefined();
      for (const [k, v] of Object.entries(r.bounds)) {
        const range = entry?.boundRanges?.[k];
        expect(range, `${r.model} bound ${k}`).toBeDefined();
        expect(v).toBeGreaterThanOrEqual(range?.min ?? Infinity);
        expect(v).toBeLessThanOrEqual(range?.max ?? -Infinity);
      }
    }
  });

  it('queue capacity from a region size: the largest power of two whose queue fits', () => {
    expect(netCapacityFitting(0x3000n)).toBe(512);
    expect(netCapacityFitting(BigInt(8 + 16 * 1024))).toBe(1024);
    expect(netCapacityFitting(BigInt(8 + 16 * 1024 - 1))).toBe(512);
    expect(netCapacityFitting(0x200000n)).toBe(0x8000); // capped at the u16 limit
    expect(netCapacityFitting(23n)).toBe(0); // not even one descriptor
  });
});

describeShared('planModelChecks on the shared sDDF examples', () => {
  it('blk: the blk protocol and no net model', () => {
    const p = plan(fixture('sddf_blk_qemu_virt_aarch64.system'));
    expect(models(p)).toEqual(['blk-handshake', 'blk-virt']);
    const virt = p.runs.find((r) => r.model === 'blk-virt')!;
    // The file's queue regions are 2 MiB: the largest request queue that fits, scaled to 2.
    expect(p.instances.find((i) => i.deviceClass === 'blk')?.maxQueueCapacity).toBe(0x8000);
    expect(virt.bounds).toEqual({ capacity: 2, spurious: 1 });
    expect(virt.scaled.join(' ')).toMatch(/queue capacity ≤ 32768 \(what/);
    expect(p.notChecked).toEqual([]);
  });

  // Issue 13 part 6 added the Rx path: the fixture has a serial virt_rx and two clients, so the
  // serial-rx runs join serial-tx (the Rx model takes both clients, the Tx model one).
  it('serial: the Tx path scaled from two clients to one, the Rx path with both clients', () => {
    const p = plan(fixture('sddf_serial_qemu_virt_aarch64.system'));
    expect(models(p)).toEqual(['serial-rx', 'serial-tx']);
    const tx = p.runs.filter((r) => r.model === 'serial-tx');
    expect(tx.every((r) => r.scaled.some((s) => /clients 2 → 1/.test(s)))).toBe(true);
    const rxSc = p.runs.find((r) => r.model === 'serial-rx' && r.memoryModel === 'sc');
    expect(rxSc?.bounds['clients']).toBe(2);
    expect(p.instances.find((i) => i.deviceClass === 'serial')?.hasRx).toBe(true);
  });

  // Changed on purpose (issue 13 part 6): the i2c and timer protocols have models now.
  it('i2c and timer: each class is model-checked from the file, scaled and saying so', () => {
    const i2c = plan(fixture('sddf_i2c_odroidc4.system'));
    expect(models(i2c)).toEqual(['i2c', 'timer']);
    expect(i2c.notChecked).toEqual([]);
    expect(i2c.runs.find((r) => r.model === 'i2c')?.bounds['clients']).toBe(2);
    expect(i2c.runs.find((r) => r.model === 'i2c')?.scaled.join(' ')).toMatch(/254 .* → 4/);
    const timer = plan(fixture('sddf_timer_qemu_virt_aarch64.system'));
    expect(models(timer)).toEqual(['timer']);
    expect(timer.runs[0]?.bounds['clients']).toBe(1);
    expect(timer.notChecked).toEqual([]);
  });

  it('the upstream echo server: net models with the two clients of its file', () => {
    const p = plan(fixture('sddf_echo_server_qemu_virt_aarch64.system'));
    // eth_regs at 0xa003000 is a virtio-mmio transport of QEMU virt: the virtio-net model.
    expect(models(p)).toContain('net-virtio');
    const net = p.instances.find((i) => i.deviceClass === 'net');
    expect(net?.nic).toBe('virtio');
    expect(net?.clients.length).toBe(2);
    expect(
      p.runs.find((r) => r.model === 'net-virtio' && r.memoryModel === 'sc')?.bounds['clients'],
    ).toBe(2);
  });
});
