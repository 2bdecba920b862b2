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

  it('--format json and bad arguments: exit 2 and one JSON error document (code USAGE)', async () => {
    for (const args of [
      ['mc', 'spsc', '--bogus', '--format', 'json'],
      ['no-such-command', '--format=json'],
      ['mc', 'spsc', '--search', 'sideways', '--format', 'json'],
    ]) {
      const io = captureIo();
      expect(await main(args, io), args.join(' ')).toBe(2);
      expect(io.stdout).toHaveLength(1);
      const doc = JSON.parse(io.stdout[0]!) as { error: { code: string; message: string } };
      expect(doc.error.code).toBe('USAGE');
      expect(doc.error.message).not.toBe('');
    }
  });

  it('loads only the command it runs: the others are stubs in the help', async () => {
    const io = captureIo();
    expect(await main(['help', 'mc'], io)).toBe(0);
    expect(io.stdout.join('')).toMatch(/--check-hints/);
    const top = captureIo();
    expect(await main(['--help'], top)).toBe(0);
    expect(top.stdout.join('')).toMatch(/audit <file>/);
    expect(top.stdout.join('')).toMatch(/replay <trace>/);
  });
});
