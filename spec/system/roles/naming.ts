// Naming conventions of hand-written sDDF systems and of sdfgen (microkit-sdf.md §2.2 sdfgen
// names; §3.2 hand-written fixtures): a name split into words, and the device class its words
// name. A second signal only: structure decides first (./infer.ts), and only the names of memory
// regions and program images are read — never a PD's own name, so that renaming PDs cannot change
// a role (issue #10).

import type { DeviceClass } from './vocabulary.ts';

/** Lower-case words of a name: `net_virt_rx` → net virt rx; `benchIdle` → bench idle; digits dropped. */
export function nameTokens(name: string): string[] {
  const base = name.replace(/\.elf$/i, '');
  return base
    .replace(/([a-z])([A-Z])/g, '$1 $2')
    .toLowerCase()
    .split(/[^a-z0-9]+/)
    .map((t) => t.replace(/\d+$/, ''))
    .filter((t) => t.length > 0);
}

const CLASS_TOKENS: readonly (readonly [DeviceClass, readonly string[]])[] = [
  [
    'net',
    [
      'net',
      'eth',
      'ethernet',
      'network',
      'nic',
      'lwip',
      'copy',
      'copier',
      'vswitch',
      'genet',
      'dwmac',
    ],
  ],
  ['blk', ['blk', 'block', 'mmc', 'sdhc', 'usdhc', 'nvme', 'disk', 'storage']],
  ['serial', ['serial', 'uart', 'pl011', 'console', 'tty']],
  ['i2c', ['i2c']],
  ['gpu', ['gpu', 'display', 'hdmi']],
  ['timer', ['timer', 'gpt', 'hpet']],
  [
    'device',
    [
      'gpio',
      'pinctrl',
      'iomuxc',
      'clk',
      'pwm',
      'usb',
      'xhci',
      'pcie',
      'pci',
      'snd',
      'sound',
      'audio',
      'reset',
      'resets',
      'thermal',
      'spi',
    ],
  ],
];

export function classFromTokens(tokens: readonly string[]): DeviceClass | undefined {
  for (const t of tokens) {
    for (const [cls, words] of CLASS_TOKENS) if (words.includes(t)) return cls;
  }
  return undefined;
}

export const has = (tokens: readonly string[], ...words: string[]): boolean =>
  words.some((w) => tokens.includes(w));
