// The `sddf` bin runs the command compiled and cached (bin/compile.mjs, docs/adr/001): the first
// run builds, later runs reuse the build until a source's content changes; user model modules
// still load (through tsx) from the compiled command.
import { spawnSync } from 'node:child_process';
import {
  cpSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../helpers/shared.ts';

const cache = mkdtempSync(join(tmpdir(), 'sddf-bin-cache-'));
const out = mkdtempSync(join(tmpdir(), 'sddf-bin-out-'));
afterAll(() => {
  rmSync(cache, { recursive: true, force: true });
  rmSync(out, { recursive: true, force: true });
});

function sddf(
  args: string[],
  root = REPO_ROOT,
  cacheDir = cache,
): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [join(root, 'bin/sddf.mjs'), ...args], {
    cwd: root,
    encoding: 'utf8',
    env: { ...process.env, SDDF_CACHE_DIR: cacheDir, NO_COLOR: '1' },
  });
  // Never the slow path by accident: the bin says when it runs uncompiled.
  expect(r.stderr).not.toMatch(/running uncompiled/);
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

interface Manifest {
  dir: string;
  inputs: { path: string; size: number; mtimeMs: number; sha1: string }[];
}
const manifestPath = join(cache, 'cli.json');
const manifest = (): Manifest => JSON.parse(readFileSync(manifestPath, 'utf8')) as Manifest;
const builds = (): string[] => readdirSync(cache).filter((d) => d.startsWith('build-'));

describe('bin/sddf.mjs: compiled once, cached by source content', () => {
  it('the first run builds; the next reuses the build', () => {
    const help = sddf(['--help']);
    expect(help.status).toBe(0);
    expect(help.stdout).toMatch(/Usage: sddf/);
    const first = manifest();
    expect(first.inputs.map((i) => i.path)).toContain(join('cli', 'main.ts'));
    expect(builds()).toEqual([first.dir]);
    const stamp = statSync(manifestPath).mtimeMs;
    expect(sddf(['--version']).stdout.trim()).toBe('0.1.0');
    expect(statSync(manifestPath).mtimeMs).toBe(stamp);
  });

  it('a changed source rebuilds; a touched but unchanged one does not', () => {
    const m = manifest();
    // A stamp that no longer matches, same content (a `touch`, a checkout): re-hashed, kept.
    m.inputs[0]!.mtimeMs -= 1000;
    writeFileSync(manifestPath, JSON.stringify(m));
    expect(sddf(['--help']).status).toBe(0);
    expect(manifest().dir).toBe(m.dir);
    expect(manifest().inputs[0]!.mtimeMs).toBe(m.inputs[0]!.mtimeMs + 1000);
    // Content that differs from what the build was made from: rebuilt.
    const changed = manifest();
    changed.inputs[0]!.sha1 = '0'.repeat(40);
    changed.inputs[0]!.mtimeMs -= 1000;
    writeFileSync(manifestPath, JSON.stringify(changed));
    expect(sddf(['--help']).status).toBe(0);
    expect(manifest().inputs[0]!.sha1).not.toBe('0'.repeat(40));
  });

  it('compiled commands: audit, a user model module and its replay, a JSON error', () => {
    const audit = sddf(['audit', 'echo_server', '--format', 'json']);
    expect(audit.status).toBe(0);
    expect(JSON.parse(audit.stdout)).toHaveProperty('findings');
    const example = join(REPO_ROOT, 'examples/lost-wakeup.ts');
    const mc = sddf([
      'mc',
      '--model',
      example,
      '--bug',
      'no-recheck',
      '--out',
      out,
      '--format',
      'json',
    ]);
    expect(mc.status).toBe(1);
    const trace = (JSON.parse(mc.stdout) as { trace: string }).trace;
    const replay = sddf(['replay', trace, '--format', 'json']);
    expect(replay.status).toBe(0);
    expect(JSON.parse(replay.stdout)).toMatchObject({ replayed: true, model: 'lost-wakeup' });
    const bad = sddf(['mc', 'no-such-model', '--format', 'json']);
    expect(bad.status).toBe(2);
    expect(JSON.parse(bad.stdout)).toMatchObject({ error: { code: 'MC_MODEL' } });
  });

  it('two checkouts with the same sources sharing one cache do not share a build', () => {
    // The bundle bakes in absolute source paths: a build made from another checkout would send
    // this one to the other's files (here: the built-in systems of a deleted copy).
    // The copy builds first, into a fresh cache that this checkout then uses.
    const copy = mkdtempSync(join(tmpdir(), 'sddf-bin-copy-'));
    const shared = mkdtempSync(join(tmpdir(), 'sddf-bin-shared-cache-'));
    try {
      for (const d of ['api', 'bin', 'cli', 'impl', 'proofs', 'spec', 'traces', 'package.json'])
        cpSync(join(REPO_ROOT, d), join(copy, d), { recursive: true });
      symlinkSync(join(REPO_ROOT, 'node_modules'), join(copy, 'node_modules'), 'dir');
      expect(sddf(['audit', 'echo_server', '--format', 'json'], copy, shared).status).toBe(0);
      rmSync(copy, { recursive: true, force: true });
      const ours = sddf(['audit', 'echo_server', '--format', 'json'], REPO_ROOT, shared);
      expect(ours.stderr).toBe('');
      expect(ours.status).toBe(0);
    } finally {
      rmSync(copy, { recursive: true, force: true });
      rmSync(shared, { recursive: true, force: true });
    }
  });
});
