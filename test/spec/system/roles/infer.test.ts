// Role inference (least-privilege-policy.md "Roles") on the shared fixtures.
import { expect, it } from 'vitest';
import { inferRoles } from '../../../../spec/system/roles/infer.ts';
import { nameTokens } from '../../../../spec/system/roles/naming.ts';
import { SHARED_FIXTURES, loadModel } from '../audit/fixtures.ts';
import { describeShared } from '../../../helpers/shared.ts';

const echo = (): ReturnType<typeof loadModel> =>
  loadModel(`${SHARED_FIXTURES}/sddf_echo_server_qemu_virt_aarch64.system`);

function rolesOf(file: string): Record<string, string> {
  const r = inferRoles(loadModel(`${SHARED_FIXTURES}/${file}`));
  return Object.fromEntries([...r.pds].map(([k, v]) => [k, v.role ?? 'unclassified']));
}

describeShared('role inference on the shared fixtures', () => {
  it('echo server: drivers and virtualisers by structure, copiers by image, clients by what they talk to', () => {
    expect(rolesOf('sddf_echo_server_qemu_virt_aarch64.system')).toEqual({
      // The benchmark harness (benchmark.elf, idle.elf) is a known role (issue #10).
      bench: 'bench',
      benchIdle: 'bench',
      client0: 'net.client',
      client1: 'net.client',
      copy0: 'net.copier',
      copy1: 'net.copier',
      eth: 'net.driver',
      net_virt_rx: 'net.virt_rx',
      net_virt_tx: 'net.virt_tx',
      serial_virt_tx: 'serial.virt_tx',
      timer: 'timer.driver',
      uart: 'serial.driver',
    });
    const r = inferRoles(echo());
    expect(r.pds.get('eth')?.source).toBe('structure');
    expect(r.mrs.get('eth_regs')?.kind).toBe('mmio');
    expect(r.mrs.get('hw_ring_buffer')?.kind).toBe('hw_ring');
    expect(r.mrs.get('net_rx_buffer_data_region')?.kind).toBe('net.rx_dma_data');
    expect(r.mrs.get('net_tx_buffer_data_region_cli1')).toMatchObject({
      kind: 'net.tx_data',
      owner: 'client1',
    });
    expect(r.mrs.get('net_rx_buffer_data_region_cli0')).toMatchObject({
      kind: 'net.client_rx_data',
      owner: 'client0',
    });
    expect(r.mrs.get('net_rx_free_drv')?.kind).toBe('queue');
    expect(r.mrs.get('serial_tx_data_client0')).toMatchObject({
      kind: 'serial.data',
      owner: 'client0',
    });
    expect(r.mrs.get('cyclecounters')?.kind).toBe('bench.counters');
    expect(r.pds.get('net_virt_rx')).toMatchObject({ source: 'structure' });
    expect(r.pds.get('net_virt_rx')?.reason).toMatch(/shares a queue region with driver 'eth'/);
  });

  it('blk, i2c, gpu, serial, timer: classes from names and structure', () => {
    expect(rolesOf('sddf_blk_qemu_virt_aarch64.system')).toEqual({
      driver: 'blk.driver',
      virt: 'blk.virt',
      client: 'blk.client',
    });
    expect(rolesOf('sddf_i2c_odroidc4.system')).toEqual({
      driver: 'i2c.driver',
      virt: 'i2c.virt',
      client_ds3231: 'i2c.client',
      client_pn532: 'i2c.client',
      timer: 'timer.driver',
    });
    expect(rolesOf('sddf_gpu_qemu_virt_aarch64.system')).toEqual({
      gpu_driver: 'gpu.driver',
      timer_driver: 'timer.driver',
      gpu_virt: 'gpu.virt',
      client: 'gpu.client',
    });
    expect(rolesOf('sddf_serial_qemu_virt_aarch64.system')).toMatchObject({
      serial_virt_rx: 'serial.virt_rx',
      client1: 'serial.client',
    });
    expect(rolesOf('sddf_timer_qemu_virt_aarch64.system')).toEqual({
      timer: 'timer.driver',
      client: 'timer.client',
    });
  });

  it('gpu data regions are kind other, owned by their client (LP006 still applies)', () => {
    const r = inferRoles(loadModel(`${SHARED_FIXTURES}/sddf_gpu_qemu_virt_aarch64.system`));
    expect(r.mrs.get('gpu_client_data')).toMatchObject({ kind: 'other', owner: 'client' });
    expect(r.mrs.get('gpu_driver_data')?.owner).toBeUndefined();
    expect(r.mrs.get('virtio_data')?.kind).toBe('hw_ring');
  });

  it('splits names into words the naming conventions key on', () => {
    expect(nameTokens('net_virt_rx')).toEqual(['net', 'virt', 'rx']);
    expect(nameTokens('benchIdle')).toEqual(['bench', 'idle']);
    expect(nameTokens('ethernet/net/queue/client0_net_copier/client0/free')).toEqual([
      'ethernet',
      'net',
      'queue',
      'client',
      'net',
      'copier',
      'client',
      'free',
    ]);
    expect(nameTokens('eth_driver.elf')).toEqual(['eth', 'driver']);
  });
});
