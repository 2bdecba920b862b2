// PdCore's own checks (issue 12 part 7 survivors): a PD core gets its own PD's address space, and
// runs no entry point before a program is loaded.
import { describe, expect, it } from 'vitest';
import { PdCore, type PdKernel } from '../../../impl/runtime/microkit.ts';
import { AddressSpace } from '../../../impl/mem/address-space.ts';
import type { ComponentConfig } from '../../../impl/runtime/config.ts';

const config: ComponentConfig = {
  pd: 'a',
  programImage: 'a.elf',
  priority: 1,
  passive: false,
  maps: [],
  channels: [],
  irqs: [],
};
const kernel = {} as PdKernel;
const binding = { factory: () => ({ init: () => {}, notified: () => {} }) };

describe('PdCore', () => {
  it("refuses another PD's address space", () => {
    expect(() => new PdCore(config, new AddressSpace('b', []), binding, kernel, null)).toThrow(
      "address space of 'b' belongs to PD 'a'",
    );
    expect(
      () => new PdCore(config, new AddressSpace('a', []), binding, kernel, null),
    ).not.toThrow();
  });

  it('runs no entry point before load, and runs init after it', () => {
    const core = new PdCore(config, new AddressSpace('a', []), binding, kernel, null);
    expect(() => core.runInit()).toThrow("PD 'a' has a program loaded before it runs");
    core.load();
    expect(() => core.runInit()).not.toThrow();
  });
});
