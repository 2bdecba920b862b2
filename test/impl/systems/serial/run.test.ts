// The serial system end to end (issue 13 part 2): typed input reaches the current client, Ctrl-\ N
// Enter switches, every client's output comes back whole in its colour; the monitors catch a
// virt_tx that colours wrongly and the F11 stall; a hostile client cannot crash the virtualisers
// or disturb its neighbours (part 5).
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { tempDir } from '../../../helpers/temp.ts';
import { SHARED_SDF_FIXTURES, itShared } from '../../../helpers/shared.ts';
import type { Component, ComponentContext } from '../../../../impl/runtime/api.ts';
import { builtInSystemPath } from '../../../../impl/systems/index.ts';
import { demuxColours, isSerialSystem, runSerial } from '../../../../impl/systems/serial/run.ts';
import type { SerialVirtTxConfig } from '../../../../impl/components/serial/virt_tx.ts';
import type { SerialConsoleConfig } from '../../../../impl/clients/serial_console.ts';

const enc = (s: string) => new TextEncoder().encode(s);
const SWITCH = '\x1c';
const dir = tempDir('sddf-serial');

describe('sddf run serial', () => {
  it('typing goes to the current client; Ctrl-\\ N switches; outputs whole, in colour', () => {
    const input = enc(
      `one\r${SWITCH}2\rtwo\r${SWITCH}1\rthree\r${SWITCH}7\rfour\r${SWITCH}${SWITCH}\r`,
    );
    const r = runSerial({ input }).result!;
    expect(r.ok).toBe(true);
    expect(r.invariantViolations).toBe(0);
    expect(r.status).toBe('complete');
    const con = r.console;
    expect(con).toContain('\x1b[31mone\r\nclient0 got: one\r\n\x1b[0m');
    expect(con).toContain('client2 got: two');
    // client 7 does not exist: "four" stays with client 1; a doubled switch char is literal.
    expect(con).toContain('client1 got: three');
    expect(con).toContain('client1 got: four');
    expect(con).toContain(`client1 got: ${SWITCH}\r\n`);
    expect(r.clients.map((c) => c.lines)).toEqual([1, 3, 1]);
    for (const c of r.clients) expect(c.shown).toBe(c.written);
    expect(r.components['serial_virt_rx']!['switches']).toBe(2);
    expect(r.components['serial_virt_rx']!['logs']).toBe(1);
  });

  it('the same seed gives the same run; a random schedule keeps the invariants', () => {
    const input = enc(`abc\r${SWITCH}1\rdef\r`);
    const a = runSerial({ input, seed: 5 }).result!;
    const b = runSerial({ input, seed: 5 }).result!;
    expect(a.console).toBe(b.console);
    const c = runSerial({ input, seed: 9, schedule: 'random', lines: 40 }).result!;
    expect(c.ok).toBe(true);
  });

  it('isSerialSystem: the built-in yes, the echo server no', () => {
    expect(isSerialSystem('serial')).toBe(true);
    expect(isSerialSystem(builtInSystemPath('echo_server')!)).toBe(false);
  });

  itShared('isSerialSystem: the sDDF serial fixture yes', () => {
    expect(isSerialSystem(join(SHARED_SDF_FIXTURES, 'sddf_serial_qemu_virt_aarch64.system'))).toBe(
      true,
    );
  });

  it('the colour monitor catches a virt_tx that colours a client as another', () => {
    const r = runSerial({
      input: enc('x\r'),
      rebind: (pd, b) => {
        if (pd !== 'serial_virt_tx') return b;
        const cfg = b.params!['config'] as SerialVirtTxConfig;
        const clients = [cfg.clients[1]!, cfg.clients[0]!, cfg.clients[2]!];
        return { ...b, params: { ...b.params, config: { ...cfg, clients } } };
      },
    }).result!;
    expect(r.ok).toBe(false);
    expect(r.violations.join('\n')).toMatch(/not a prefix of what it wrote/);
  });

  it('demuxColours splits by colour code', () => {
    const out = [...enc('\x1b[31mab\x1b[0mzz\x1b[32mc\x1b[0m\x1b[31md')];
    expect(demuxColours(out, 2).map((s) => String.fromCharCode(...s))).toEqual(['abd', 'c']);
  });
});

describe('catalogue F11: colour codes and a driver region no larger than a client region', () => {
  const file = join(dir, 'serial_f11.system');
  writeFileSync(
    file,
    readFileSync(builtInSystemPath('serial')!, 'utf8').replace(
      '<memory_region name="tx_data_driver" size="0x4_000" />',
      '<memory_region name="tx_data_driver" size="0x2_000" />',
    ),
  );
  // 150 lines of 64 characters: more than a client's 8 KiB queue holds, so a full queue plus
  // the colour codes exceeds the driver's 8 KiB.
  it('virt_tx splits what never fits whole: everything is shown', () => {
    const r = runSerial({ system: file, lines: 150, lineBytes: 64 }).result!;
    expect(r.components['serial_virt_tx']!['splits']).toBeGreaterThan(0);
    expect(r.ok).toBe(true);
    for (const c of r.clients) expect(c.shown).toBe(c.written);
  });
  it('upstream (no split) stalls: the final check sees output never shown', () => {
    const r = runSerial({ system: file, lines: 150, lineBytes: 64, split: false }).result!;
    expect(r.ok).toBe(false);
    expect(r.violations.join('\n')).toMatch(/wrote \d+ characters, the UART showed \d+/);
  });
});

describe('a hostile client1 (issue 13 part 5)', () => {
  /** Writes garbage into its Tx and Rx queue indices and flags, then notifies both virtualisers. */
  function hostile(ctx: ComponentContext): Component {
    const cfg = ctx.params['config'] as SerialConsoleConfig;
    const tx = ctx.api.mem.atomicsU32(cfg.tx.queue.vaddr, 3);
    const rx = ctx.api.mem.atomicsU32(cfg.rx!.queue.vaddr, 3);
    let round = 0;
    const garbage = [0xffff_ffff, 0x8000_0000, 0x1234_5678, 3, 0x2001, 0xdead_beef];
    const attack = (): void => {
      for (let i = 0; i < 3; i++) {
        tx[i] = garbage[(round + i) % garbage.length]!;
        rx[i] = garbage[(round + 2 * i + 1) % garbage.length]!;
      }
      round++;
      ctx.api.notify(cfg.tx.id);
    };
    return { init: attack, notified: attack };
  }

  it('no crash, no fault, the other clients served whole, the corrupt queues counted', () => {
    const input = enc(`hi\r${SWITCH}1\rto the hostile one\r${SWITCH}2\rthere\r${SWITCH}0\rback\r`);
    const r = runSerial({
      input,
      lines: 20,
      rebind: (pd, b) => (pd === 'client1' ? { ...b, factory: hostile } : b),
    }).result!;
    expect(r.faults.unexpected).toEqual([]);
    expect(r.status).toBe('complete');
    // client1's own output is whatever garbage it claims: the monitor's prefix check is for the
    // honest clients, whose output must be whole.
    for (const k of [0, 2]) expect(r.clients[k]!.shown).toBe(r.clients[k]!.written);
    expect(r.clients[0]!.lines).toBe(2);
    expect(r.clients[2]!.lines).toBe(1);
    expect(r.components['serial_virt_tx']!['corruptQueue']).toBeGreaterThan(0);
    expect(r.violations.filter((v) => !v.startsWith('client1') && !v.includes('client1'))).toEqual(
      [],
    );
  });
});
