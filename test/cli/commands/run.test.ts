// `sddf run` (../shared/CLI.md): one JSON document, exit 0 when the run holds, 2 for bad input;
// --pcap writes the wire; --sweep reports points. The 100 000-request acceptance run of issue 9
// (deterministic: the same JSON twice, times aside; every echo answered) is the last test; the
// default run sends 20 000 (12 s → 2.5 s of the 2.5-minute suite, issue 8), `npm run test:full`
// the acceptance's 100 000.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { main } from '../../../cli/main.ts';
import { captureIo } from '../../helpers/io.ts';
import { tempDir } from '../../helpers/temp.ts';
import { FULL_TESTS } from '../../helpers/heavy.ts';

const ACCEPTANCE_REQUESTS = FULL_TESTS ? 100_000 : 20_000;

async function sddf(args: string[]): Promise<{ status: number; out: string[]; err: string[] }> {
  const io = captureIo();
  const status = await main(args, io);
  return { status, out: io.stdout, err: io.stderr };
}

describe('sddf run', () => {
  it('runs the echo server: one JSON document, per-client counts, 0 violations, exit 0', async () => {
    const r = await sddf(['run', 'echo', '--packets', '500', '--seed', '1', '--format', 'json']);
    expect(r.status).toBe(0);
    expect(r.out).toHaveLength(1);
    const doc = JSON.parse(r.out[0]!) as {
      ok: boolean;
      system: string;
      invariantViolations: number;
      clients: { name: string; sent: number; received: number; dropped: number }[];
    };
    expect(doc).toMatchObject({ ok: true, system: 'echo_server', invariantViolations: 0 });
    expect(doc.clients.map((c) => c.name)).toEqual(['client0', 'client1']);
    for (const c of doc.clients)
      expect(c).toEqual(
        expect.objectContaining({
          sent: expect.any(Number),
          received: expect.any(Number),
          dropped: 0,
        }),
      );
  });

  it('--nic enet runs the echo server on the ENET NIC and its driver, with the same fields', async () => {
    const [enet, virtio] = await Promise.all(
      [['--nic', 'enet'], []].map((nic) =>
        sddf(['run', 'echo', ...nic, '--packets', '300', '--seed', '2', '--format', 'json']),
      ),
    );
    expect(enet!.status).toBe(0);
    const doc = JSON.parse(enet!.out[0]!) as Record<string, unknown> & {
      device: Record<string, unknown>;
    };
    const other = JSON.parse(virtio!.out[0]!) as typeof doc;
    expect(doc).toMatchObject({ ok: true, system: 'echo_server_enet', invariantViolations: 0 });
    expect(doc.device).toMatchObject({ errors: 0, rxFrames: 300 });
    expect(Object.keys(doc).sort()).toEqual(Object.keys(other).sort());
    expect(Object.keys(doc.device).sort()).toEqual(Object.keys(other.device).sort());
  });

  it('writes a pcap file and prints a text summary', async () => {
    const file = join(tempDir('run'), 'wire.pcap');
    const r = await sddf(['run', 'echo', '--packets', '200', '--pcap', file]);
    expect(r.status).toBe(0);
    expect(existsSync(file)).toBe(true);
    expect(readFileSync(file).readUInt32LE(0)).toBe(0xa1b2c3d4);
    expect(r.out.join('\n')).toMatch(/client0\s+native/);
    expect(r.out.join('\n')).toMatch(/ok: \d+ invariant checks, 0 violations/);
  });

  it('--sweep prints one point per offered rate', async () => {
    const r = await sddf([
      'run',
      'echo',
      '--packets',
      '300',
      '--sweep',
      '10000:400000:2',
      '--format',
      'json',
    ]);
    expect(r.status).toBe(0);
    const doc = JSON.parse(r.out[0]!) as { points: { offeredPps: number; achievedPps: number }[] };
    expect(doc.points.map((p) => p.offeredPps)).toEqual([10000, 400000]);
  });

  it.each([
    [['run', 'echo', '--packets', 'many']],
    [['run', 'echo', '--tx-wait', 'sometimes']],
    [['run', 'echo', '--faults', 'explode:everything']],
    [['run', 'echo', '--sweep', '1:2']],
    [['run', 'echo', '--rate', '0']],
    [['run', 'no/such/file.system', '--packets', '1']],
    [['run', 'echo', '--nic', 'e1000']],
    [['run', 'echo_server_enet', '--nic', 'virtio', '--packets', '1']],
  ])('exits 2 on bad input (%j), with a message and no stack trace', async (args) => {
    const r = await sddf(args);
    expect(r.status).toBe(2);
    expect(r.out).toEqual([]);
    expect(r.err.join('\n')).not.toMatch(/\n\s+at /);
    expect(r.err.join('\n').length).toBeGreaterThan(0);
  });

  it(`acceptance: ${ACCEPTANCE_REQUESTS} requests, seed 1, twice: the same JSON (times aside), every echo answered`, async () => {
    const docs: Record<string, unknown>[] = [];
    for (let i = 0; i < 2; i++) {
      const r = await sddf([
        'run',
        'echo',
        '--packets',
        String(ACCEPTANCE_REQUESTS),
        '--seed',
        '1',
        '--format',
        'json',
      ]);
      expect(r.status).toBe(0);
      const doc = JSON.parse(r.out[0]!) as Record<string, unknown> & { times?: unknown };
      delete doc.times;
      docs.push(doc);
    }
    expect(docs[0]).toEqual(docs[1]);
    const g = docs[0]!['generator'] as {
      sent: number;
      expected: number;
      answered: number;
      lost: number;
    };
    expect(g.sent).toBe(ACCEPTANCE_REQUESTS);
    expect(g.answered).toBe(g.expected);
    expect(g.lost).toBe(0);
    expect(docs[0]!['invariantViolations']).toBe(0);
  }, 600_000);
});
