// `sddf run blk [--image FILE] [--format json]` (issue #13 part 1): one JSON document, zero
// invariant violations, exit 0; a real image file built by the test; bad input exits 2.
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { main } from '../../../cli/main.ts';
import { buildMbrImage, writeImageFile } from '../../../impl/systems/blk/disk.ts';
import { captureIo } from '../../helpers/io.ts';
import { tempDir } from '../../helpers/temp.ts';

async function sddf(args: string[]): Promise<{ status: number; out: string[]; err: string[] }> {
  const io = captureIo();
  const status = await main(args, io);
  return { status, out: io.stdout, err: io.stderr };
}

interface Doc {
  ok: boolean;
  invariantViolations: number;
  clients: {
    name: string;
    verifiedBlocks: number;
    mismatches: number;
    partition: { startSector: string };
  }[];
  durability: { lost: number };
}

describe('sddf run blk', () => {
  it('the generated disk (MBR, two partitions): one JSON document, 0 violations, exit 0', async () => {
    const r = await sddf(['run', 'blk', '--rounds', '2', '--format', 'json']);
    expect(r.status).toBe(0);
    expect(r.out).toHaveLength(1);
    const doc = JSON.parse(r.out[0]!) as Doc;
    expect(doc).toMatchObject({ ok: true, invariantViolations: 0, durability: { lost: 0 } });
    expect(doc.clients.map((c) => c.name)).toEqual(['client0', 'client1']);
    for (const c of doc.clients) expect(c.verifiedBlocks).toBeGreaterThan(0);
  });

  it('--image on a real disk-image file with an MBR and two partitions', async () => {
    const path = join(tempDir('blk-cli'), 'disk.img');
    writeImageFile(
      path,
      buildMbrImage(8 << 20, [
        { startSector: 2048, sectors: 4096 },
        { startSector: 8192, sectors: 4096 },
      ]),
    );
    const r = await sddf(['run', 'blk', '--image', path, '--rounds', '2', '--format', 'json']);
    expect(r.status).toBe(0);
    const doc = JSON.parse(r.out[0]!) as Doc;
    expect(doc.clients.map((c) => c.partition.startSector)).toEqual(['2048', '8192']);
    expect(doc.invariantViolations).toBe(0);
  });

  it('text output, and exit 2 with the reason for a missing image or a bad --faults', async () => {
    const t = await sddf(['run', 'blk', '--rounds', '1']);
    expect(t.status).toBe(0);
    expect(t.out.at(-1)).toMatch(/^ok: \d+ invariant checks, 0 violations/);
    const missing = await sddf(['run', 'blk', '--image', '/nonexistent/disk.img']);
    expect(missing.status).toBe(2);
    expect(missing.err.join('\n')).toMatch(/cannot open the disk image/);
    const json = await sddf(['run', 'blk', '--image', '/nonexistent/disk.img', '--format', 'json']);
    expect(json.status).toBe(2);
    expect(json.out).toHaveLength(1);
    expect(JSON.parse(json.out[0]!)).toMatchObject({ error: { code: 'RUN_IMAGE' } });
    const faults = await sddf(['run', 'blk', '--faults', 'crash:virt']);
    expect(faults.status).toBe(2);
    const notBlk = await sddf(['run', 'echo', '--image', 'disk.img']);
    expect(notBlk.status).toBe(2);
    expect(notBlk.err.join('\n')).toMatch(/--image is for block systems \(sddf run blk\)/);
  });

  it("--check-refinement: every virt decision is the spec's", async () => {
    const r = await sddf(['run', 'blk', '--rounds', '1', '--check-refinement', '--format', 'json']);
    expect(r.status).toBe(0);
    const doc = JSON.parse(r.out[0]!) as { refinement: { decisions: number; violations: number } };
    expect(doc.refinement.violations).toBe(0);
    expect(doc.refinement.decisions).toBeGreaterThan(0);
  });

  it('a virt crash mid-stream: still 0 violations, nothing acknowledged lost', async () => {
    const r = await sddf([
      'run',
      'blk',
      '--rounds',
      '2',
      '--faults',
      'crash:virt@5',
      '--format',
      'json',
    ]);
    expect(r.status).toBe(0);
    expect(JSON.parse(r.out[0]!)).toMatchObject({
      ok: true,
      faults: { injected: 1 },
      durability: { lost: 0 },
    });
  });
});
