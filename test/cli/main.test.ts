import { describe, expect, it } from 'vitest';
import { main } from '../../cli/main.ts';
import { captureIo } from '../helpers/io.ts';

describe('sddf command', () => {
  it('exits 2 on an unknown subcommand, with a message on stderr only', async () => {
    const io = captureIo();
    expect(await main(['no-such-command'], io)).toBe(2);
    expect(io.stdout).toEqual([]);
    expect(io.stderr.join('')).toMatch(/unknown command/);
  });

  it('exits 2 on a bad --format value', async () => {
    const io = captureIo();
    expect(await main(['check', '--format', 'yaml'], io)).toBe(2);
    expect(io.stderr.join('')).toMatch(/--format must be one of/);
  });

  it('prints help with exit 0', async () => {
    const io = captureIo();
    expect(await main(['--help'], io)).toBe(0);
    expect(io.stdout.join('')).toMatch(/Usage: sddf/);
  });
});
