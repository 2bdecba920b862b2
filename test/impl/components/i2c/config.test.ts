// wireI2cSystem (impl/components/i2c/config.ts): how an I²C .system file becomes the virt's, the
// driver's and each client's configuration. Postcondition on the built-in system: every channel id,
// virtual address and size is the one its XML gives (checked against the file, not against the
// function's own reading of it). Precondition failures: each missing piece of the wiring is a
// located RUN_I2C_WIRING diagnostic naming what is missing, and no wiring.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { wireI2cSystem } from '../../../../impl/components/i2c/config.ts';
import { parseSystem } from '../../../../impl/sdf/index.ts';
import { builtInSystemPath } from '../../../../impl/systems/index.ts';

const PATH = builtInSystemPath('i2c')!;
const XML = readFileSync(PATH, 'utf8');

function wire(xml: string) {
  const parsed = parseSystem(xml, { file: 'edited.system' });
  expect(parsed.errors, 'the edited file still parses').toEqual([]);
  return wireI2cSystem(parsed.model!);
}

/** Replaces exactly one occurrence (the edit must hit the file as written). */
function edit(from: string | RegExp, to: string): string {
  const hits = XML.split(from).length - 1;
  expect(hits, `'${String(from)}' occurs once in i2c.system`).toBe(1);
  return XML.replace(from, to);
}

describe('wireI2cSystem on the built-in i2c.system', () => {
  const { wiring, errors } = wire(XML);

  it('names the PDs, the controller region and its IRQ', () => {
    expect(errors).toEqual([]);
    expect(wiring).toMatchObject({ virt: 'virt', driver: 'driver', regsMr: 'i2c_bus', irq: 247 });
  });

  it('gives the virt its driver queues at the virt’s own addresses, and one entry per client', () => {
    expect(wiring!.virtConfig.driver).toEqual({
      ch: 0,
      reqVaddr: 0x6_000_000,
      respVaddr: 0x7_000_000,
    });
    expect(wiring!.virtConfig.clients).toEqual([
      {
        pd: 'client_ds3231',
        ch: 1,
        reqVaddr: 0x4_000_000,
        respVaddr: 0x5_000_000,
        dataVaddr: 0x6_000_000n,
        dataSizeBytes: 0x1000n,
        driverDataVaddr: 0x10_000_000n,
      },
      {
        pd: 'client_eeprom',
        ch: 2,
        reqVaddr: 0x4_001_000,
        respVaddr: 0x5_001_000,
        dataVaddr: 0x6_000_000n,
        dataSizeBytes: 0x1000n,
        driverDataVaddr: 0x10_001_000n,
      },
    ]);
  });

  it('gives the driver its queues, registers and IRQ channel at the driver’s addresses', () => {
    expect(wiring!.driverConfig).toEqual({
      virtCh: 0,
      reqVaddr: 0x4_000_000,
      respVaddr: 0x5_000_000,
      regsVaddr: 0x3_000_000,
      irqCh: 1,
    });
  });

  it('gives each client its own addresses, its channel to the virt and, if it has one, to the timer', () => {
    expect(wiring!.clientConfigs.get('client_ds3231')).toEqual({
      virtCh: 0,
      reqVaddr: 0x4_000_000,
      respVaddr: 0x5_000_000,
      dataVaddr: 0x6_000_000,
      dataSizeBytes: 0x1000,
      timerCh: 1,
    });
    expect(wiring!.clientConfigs.get('client_eeprom')).toEqual({
      virtCh: 0,
      reqVaddr: 0x4_000_000,
      respVaddr: 0x5_000_000,
      dataVaddr: 0x6_000_000,
      dataSizeBytes: 0x1000,
    });
    expect([...wiring!.clientConfigs.keys()]).toEqual(['client_ds3231', 'client_eeprom']);
  });

  it('finds the timer driver, its registers and IRQ', () => {
    expect(wiring!.timer).toEqual({ pd: 'timer', regsMr: 'timer_registers', irq: 42 });
  });
});

describe('wireI2cSystem: what a wiring needs, each missing piece a located error', () => {
  const cases: { name: string; xml: () => string; message: RegExp; at?: string }[] = [
    {
      name: 'no virt program',
      xml: () => edit('path="i2c_virt.elf"', 'path="other.elf"'),
      message: /one PD running i2c_virt\.elf and one running i2c_driver\.elf/,
    },
    {
      name: 'no driver program',
      xml: () => edit('path="i2c_driver.elf"', 'path="other.elf"'),
      message: /one PD running i2c_virt\.elf and one running i2c_driver\.elf/,
    },
    {
      name: 'no virt–driver channel',
      xml: () =>
        edit(
          /<channel>\s*<end pd="virt" id="0" \/>\s*<end pd="driver" id="0" \/>\s*<\/channel>/,
          '',
        ),
      message: /no channel between 'virt' and 'driver'/,
      at: 'virt',
    },
    {
      name: 'the virt does not map the driver’s request queue',
      xml: () => edit('<map mr="driver_request_region" vaddr="0x6_000_000" perms="rw" />', ''),
      message: /'driver' and 'virt' must share a request and a response region/,
      at: 'driver',
    },
    {
      name: 'the virt does not map the driver’s response queue',
      xml: () => edit('<map mr="driver_response_region" vaddr="0x7_000_000" perms="rw" />', ''),
      message: /must share a request and a response region/,
      at: 'driver',
    },
    {
      name: 'the driver has no IRQ',
      xml: () => edit('<irq irq="247" id="1" trigger="level" />', ''),
      message: /'driver' maps no I²C controller registers or has no IRQ/,
      at: 'driver',
    },
    {
      name: 'the driver maps no device registers',
      xml: () => edit('<map mr="i2c_bus" vaddr="0x3_000_000" perms="rw" cached="false" />', ''),
      message: /maps no I²C controller registers/,
      at: 'driver',
    },
    {
      name: 'a client without a data region the driver maps',
      xml: () => edit('<map mr="client_eeprom_data_region" vaddr="0x10_001_000" perms="rw" />', ''),
      message:
        /client 'client_eeprom' must map a request and a response region shared with 'virt' and a data region the driver maps/,
      at: 'client_eeprom',
    },
    {
      name: 'a client whose response queue the virt does not map',
      xml: () =>
        edit(
          '<map mr="client_ds3231_response_region" vaddr="0x5_000_000" perms="rw" />\n        <map mr="client_eeprom_request_region"',
          '<map mr="client_eeprom_request_region"',
        ),
      message: /client 'client_ds3231' must map/,
      at: 'client_ds3231',
    },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const { wiring, errors } = wire(c.xml());
      expect(wiring).toBeUndefined();
      expect(errors).toHaveLength(1);
      expect(errors[0]!.code).toBe('RUN_I2C_WIRING');
      expect(errors[0]!.message).toMatch(c.message);
      if (c.at !== undefined) {
        // Located at the PD's element in the file.
        const line = XML.split('\n').findIndex((l) => l.includes(`name="${c.at}"`)) + 1;
        expect(errors[0]!.file).toBe('edited.system');
        expect(errors[0]!.line === undefined ? 0 : Math.abs(errors[0]!.line - line)).toBeLessThan(
          40,
        );
      }
    });
  }

  it('a virt with no clients: both client channels gone', () => {
    const xml = XML.replace(/<channel>\s*<end pd="virt" id="[12]" \/>[\s\S]*?<\/channel>/g, '');
    const { wiring, errors } = wire(xml);
    expect(wiring).toBeUndefined();
    expect(errors.map((e) => e.message)).toEqual(["'virt' has no clients"]);
  });

  it('a system without a timer PD has no timer in its wiring', () => {
    const xml = XML.replace(
      /<protection_domain name="timer"[\s\S]*?<\/protection_domain>/,
      '',
    ).replace(/<channel>\s*<end pd="timer"[\s\S]*?<\/channel>/, '');
    const { wiring, errors } = wire(xml);
    expect(errors).toEqual([]);
    expect(wiring!.timer).toBeUndefined();
    expect(wiring!.clientConfigs.get('client_ds3231')!.timerCh).toBeUndefined();
  });
});
