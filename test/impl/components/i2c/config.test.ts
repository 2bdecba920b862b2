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

describe('wireI2cSystem: where each error points, and the choices it makes', () => {
  const lineOf = (text: string): number => XML.split('\n').findIndex((l) => l.includes(text)) + 1;

  it('an error about a PD is at that PD’s element (file, line, column)', () => {
    const { errors } = wire(
      edit('<map mr="client_eeprom_data_region" vaddr="0x10_001_000" perms="rw" />', ''),
    );
    expect(errors[0]).toMatchObject({
      file: 'edited.system',
      line: lineOf('<protection_domain name="client_eeprom"'),
    });
    expect(errors[0]!.column).toBeGreaterThan(0);
  });

  it('an error about the whole system names the file, with no line', () => {
    const { errors } = wire(edit('path="i2c_virt.elf"', 'path="other.elf"'));
    expect(errors[0]!.file).toBe('edited.system');
    expect(errors[0]!.line).toBeUndefined();
  });

  it('a program image given with a directory is recognised by its stem', () => {
    const { wiring, errors } = wire(
      edit('path="i2c_virt.elf"', 'path="build/sddf/i2c_virt.elf"').replace(
        'path="i2c_driver.elf"',
        'path="./i2c_driver"',
      ),
    );
    expect(errors).toEqual([]);
    expect(wiring).toMatchObject({ virt: 'virt', driver: 'driver' });
  });

  it.each([
    ['request', '<map mr="driver_request_region" vaddr="0x4_000_000" perms="rw" />'],
    ['response', '<map mr="driver_response_region" vaddr="0x5_000_000" perms="rw" />'],
  ])('the driver maps no %s queue: a located error', (_what, map) => {
    const { wiring, errors } = wire(edit(map, ''));
    expect(wiring).toBeUndefined();
    expect(errors.map((e) => e.message)).toEqual([
      "'driver' and 'virt' must share a request and a response region",
    ]);
    expect(errors[0]!.line).toBe(lineOf('<protection_domain name="driver"'));
  });

  it.each([
    ['request', '<map mr="client_eeprom_request_region" vaddr="0x4_000_000" perms="rw" />'],
    ['response', '<map mr="client_eeprom_response_region" vaddr="0x5_000_000" perms="rw" />'],
  ])('a client that maps no %s queue: a located error', (_what, map) => {
    const { wiring, errors } = wire(edit(map, ''));
    expect(wiring).toBeUndefined();
    expect(errors).toHaveLength(1);
    expect(errors[0]!.message).toMatch(/client 'client_eeprom' must map a request and a response/);
    expect(errors[0]!.line).toBe(lineOf('<protection_domain name="client_eeprom"'));
  });

  it('the controller registers are the device region named i2c, not the first device region', () => {
    const xml = edit(
      '<map mr="driver_request_region" vaddr="0x4_000_000" perms="rw" />',
      '<map mr="gpio_registers" vaddr="0x2_000_000" perms="rw" cached="false" />\n        <map mr="driver_request_region" vaddr="0x4_000_000" perms="rw" />',
    ).replace(
      '<memory_region name="timer_registers"',
      '<memory_region name="gpio_registers" size="0x1000" phys_addr="0xff634000" />\n    <memory_region name="timer_registers"',
    );
    const { wiring, errors } = wire(xml);
    expect(errors).toEqual([]);
    expect(wiring).toMatchObject({ regsMr: 'i2c_bus' });
    expect(wiring!.driverConfig.regsVaddr).toBe(0x3_000_000);
  });

  it('a timer PD without device registers, or without an IRQ, gives no timer', () => {
    for (const xml of [
      edit('<map mr="timer_registers" vaddr="0x2_000_000" perms="rw" cached="false" />', ''),
      edit('<irq irq="42" id="0" trigger="level" />', ''),
    ]) {
      const { wiring, errors } = wire(xml);
      expect(errors).toEqual([]);
      expect(wiring!.timer).toBeUndefined();
    }
  });

  it('a client’s timer channel is to the PD running timer_driver, not to any PD it has a channel with', () => {
    const { wiring } = wire(edit('path="timer_driver.elf"', 'path="other.elf"'));
    expect(wiring!.clientConfigs.get('client_ds3231')!.timerCh).toBeUndefined();
  });

  it('the timer’s registers are its device region, not the first region it maps', () => {
    const xml = edit(
      '<map mr="timer_registers" vaddr="0x2_000_000" perms="rw" cached="false" />',
      '<map mr="timer_scratch" vaddr="0x1_000_000" perms="rw" />\n        <map mr="timer_registers" vaddr="0x2_000_000" perms="rw" cached="false" />',
    ).replace(
      '<memory_region name="timer_registers"',
      '<memory_region name="timer_scratch" size="0x1000" />\n    <memory_region name="timer_registers"',
    );
    const { wiring, errors } = wire(xml);
    expect(errors).toEqual([]);
    expect(wiring!.timer).toEqual({ pd: 'timer', regsMr: 'timer_registers', irq: 42 });
  });

  it('a client’s timer is the timer_driver PD it has a channel with, not the first in the file', () => {
    const xml = edit(
      '<protection_domain name="timer"',
      '<protection_domain name="spare_timer" priority="200" passive="true">\n        <program_image path="timer_driver.elf" />\n    </protection_domain>\n\n    <protection_domain name="timer"',
    );
    const { wiring, errors } = wire(xml);
    expect(errors).toEqual([]);
    expect(wiring!.clientConfigs.get('client_ds3231')!.timerCh).toBe(1);
  });
});
