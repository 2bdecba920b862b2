// The block system end to end (issue #13 part 1): runs, real image files, malformed tables, bad
// requests, faults, durability, and seeded bugs the monitors catch.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  BlkReqCode,
  BlkRespStatus,
  type BlkReq,
  type BlkResp,
} from '../../../../spec/queue/blk.ts';
import { openBlkConnection, type BlkClientConfig } from '../../../../impl/components/blk/config.ts';
import type { ComponentBinding } from '../../../../impl/runtime/registry.ts';
import type { ComponentContext } from '../../../../impl/runtime/api.ts';
import { MemoryBlockBackend } from '../../../../impl/hw/block_backend.ts';
import { runBlk, type RunBlkOptions } from '../../../../impl/systems/blk/run.ts';
import {
  buildGptImage,
  buildMbrImage,
  writeImageFile,
  type ImagePartition,
} from '../../../../impl/systems/blk/disk.ts';
import { tempDir } from '../../../helpers/temp.ts';
import { SHARED_SDF_FIXTURES, describeShared } from '../../../helpers/shared.ts';

const SIZE = 4 * 1024 * 1024;
const PARTS: ImagePartition[] = [
  { startSector: 2048, sectors: 2048 },
  { startSector: 4096, sectors: 2048 },
];
const quick = { seed: 5, rounds: 2, window: 8 } as const;

function run(o: Partial<RunBlkOptions> = {}) {
  const { result, errors } = runBlk({ ...quick, imageBytes: buildMbrImage(SIZE, PARTS), ...o });
  expect(errors).toEqual([]);
  return result!;
}

/** Every byte outside `[from, to)` sectors is as in `before`. */
function untouchedOutside(
  before: Uint8Array,
  after: Uint8Array,
  ranges: [number, number][],
): boolean {
  for (let s = 0; s < before.length / 512; s++) {
    if (ranges.some(([a, b]) => s >= a && s < b)) continue;
    for (let i = s * 512; i < (s + 1) * 512; i++) if (before[i] !== after[i]) return false;
  }
  return true;
}

const idle = (): ComponentBinding => ({ factory: () => ({ init: () => {}, notified: () => {} }) });

describe('sddf run blk', () => {
  it('the generated disk: both clients write, read back and verify; zero violations', () => {
    const { result } = runBlk({ seed: 1, rounds: 2, window: 8 });
    const r = result!;
    expect(r.ok).toBe(true);
    expect(r.invariantViolations).toBe(0);
    expect(r.clients.map((c) => [c.partition.startSector, c.verifiedBlocks, c.errors])).toEqual([
      ['2048', 16, 0],
      ['17376', 16, 0],
    ]);
    expect(r.durability.checkedBlocks).toBeGreaterThan(0);
    expect(r.driver.barriers + r.driver.flushes).toBe(8);
  });

  it('a real MBR image file: data lands inside the partitions only, and stays on the file', () => {
    const path = join(tempDir('blk-img'), 'disk.img');
    const before = buildMbrImage(SIZE, PARTS);
    writeImageFile(path, before);
    const { result, errors } = runBlk({ ...quick, image: path });
    expect(errors).toEqual([]);
    expect(result!.ok).toBe(true);
    const after = new Uint8Array(readFileSync(path));
    expect(untouchedOutside(before, after, [[2048, 6144]])).toBe(true);
    expect(untouchedOutside(before, after, [])).toBe(false); // something was written
    expect(result!.durability.lost).toBe(0);
  });

  it('a GPT image: both copies validated, partitions assigned', () => {
    const r = run({ imageBytes: buildGptImage(SIZE, PARTS) });
    expect(r.virt.failure).toBeNull();
    expect(r.ok).toBe(true);
    expect(r.clients.map((c) => c.partition.startSector)).toEqual(['2048', '4096']);
  });

  it('an unreadable or odd-sized image is a located error, not a crash', () => {
    const dir = tempDir('blk-img');
    expect(runBlk({ ...quick, image: join(dir, 'missing.img') }).errors[0]!.code).toBe('RUN_IMAGE');
    writeImageFile(join(dir, 'odd.img'), new Uint8Array(4096 + 512));
    expect(runBlk({ ...quick, image: join(dir, 'odd.img') }).errors[0]!.message).toMatch(/4 KiB/);
  });
});

describe('malformed partition tables: a clear error, no crash, nothing written', () => {
  const cases: [string, () => Uint8Array, RegExp][] = [
    [
      'MBR signature',
      () => {
        const b = buildMbrImage(SIZE, PARTS);
        b[510] = 0;
        return b;
      },
      /MBR signature/,
    ],
    [
      'an empty MBR partition',
      () => buildMbrImage(SIZE, PARTS.slice(0, 1)),
      /partition 1 is empty/,
    ],
    [
      'GPT header CRC',
      () => {
        const b = buildGptImage(SIZE, PARTS);
        b[512 + 40]! ^= 1;
        return b;
      },
      /primary GPT header CRC32/,
    ],
    [
      'GPT entry-array CRC',
      () => {
        const b = buildGptImage(SIZE, PARTS);
        b[1024 + 33]! ^= 1;
        return b;
      },
      /primary GPT partition entry array CRC32/,
    ],
    [
      'GPT mirror header',
      () => {
        const b = buildGptImage(SIZE, PARTS);
        b[SIZE - 512] = 0;
        return b;
      },
      /mirror GPT header signature/,
    ],
  ];
  for (const [name, image, message] of cases) {
    it(name, () => {
      const bytes = image();
      const before = bytes.slice();
      const r = run({ imageBytes: bytes });
      expect(r.virt.failure).toMatch(message);
      expect(r.ok).toBe(false);
      expect(r.invariantViolations).toBe(0);
      expect(r.faults.unexpected).toEqual([]);
      expect(r.status).toBe('quiescent');
      // Each client learnt it has no device: capacity 0 and one ERR_NO_DEVICE answer.
      expect(r.clients.map((c) => [c.capacityBlocks, c.errors, c.done])).toEqual([
        ['0', 1, true],
        ['0', 1, true],
      ]);
      expect(untouchedOutside(before, bytes, [])).toBe(true);
    });
  }
});

/** A client that sends fixed requests at once, and records the answers. */
function scripted(reqs: readonly BlkReq[], answers: BlkResp[], drain = true): ComponentBinding {
  return {
    factory: (ctx: ComponentContext) => {
      const cfg = ctx.params['config'] as BlkClientConfig;
      const q = openBlkConnection(ctx.api, cfg.conn);
      let sent = 0;
      const step = (): void => {
        if (ctx.api.mem.read8(cfg.conn.storageInfo.vaddr + 65) === 0) return; // not ready
        for (let r = drain ? q.resp.dequeue() : null; r !== null; r = q.resp.dequeue())
          answers.push(r);
        let any = false;
        while (sent < reqs.length) {
          const r = reqs[sent]!;
          const valid = r.code <= BlkReqCode.BARRIER;
          if (!q.req.enqueue(valid ? r : { ...r, code: BlkReqCode.READ })) break;
          if (!valid) {
            // A code no blk_req_code_t has: written as raw bytes, as a C client could.
            const tail = ctx.api.mem.read32(cfg.conn.req.vaddr + 4);
            const slot = (tail - 1) % cfg.conn.capacity;
            ctx.api.mem.write32(cfg.conn.req.vaddr + 16 + 32 * slot, r.code);
          }
          sent++;
          any = true;
        }
        if (any) ctx.api.notify(cfg.conn.id);
      };
      return { init: step, notified: step };
    },
  };
}

describe('bad requests: an error answer, nothing outside the partition touched', () => {
  const raw = (code: number, block: bigint, offset: bigint, count: number, id: number): BlkReq => ({
    code: code as BlkReqCode,
    blockNumber: block,
    ioOrOffset: offset,
    count,
    id,
  });
  const reqs = [
    raw(BlkReqCode.WRITE, 256n, 0n, 1, 1), // one past the 256-block partition
    raw(BlkReqCode.WRITE, 255n, 0n, 2, 2), // straddles its end
    raw(BlkReqCode.WRITE, (1n << 64n) - 257n - 256n, 0n, 2, 3), // block + count wraps (U6)
    raw(BlkReqCode.WRITE, 0n, (1n << 64n) - 4096n, 1, 4), // offset + size wraps (U6)
    raw(BlkReqCode.WRITE, 0n, 0x200000n, 1, 5), // beyond the data region
    raw(BlkReqCode.WRITE, 0n, 0x800n, 1, 6), // unaligned
    raw(BlkReqCode.READ, 0n, 0n, 0, 7), // zero blocks
    raw(7, 0n, 0n, 1, 8), // unknown code
    raw(BlkReqCode.WRITE, 255n, 0x1000n, 1, 9), // the partition's last block: fine
  ];

  it('each is refused with ERR_INVALID_PARAM; the in-range write succeeds', () => {
    const answers: BlkResp[] = [];
    const bytes = buildMbrImage(SIZE, PARTS);
    const before = bytes.slice();
    const r = run({
      imageBytes: bytes,
      rebind: (pd, b) =>
        pd === 'client0' ? { ...b, ...scripted(reqs, answers) } : pd === 'client1' ? idle() : b,
    });
    expect(r.faults.unexpected).toEqual([]);
    expect(answers.sort((a, b) => a.id - b.id).map((a) => [a.id, a.status])).toEqual([
      ...[1, 2, 3, 4, 5, 6, 7, 8].map((id) => [id, BlkRespStatus.ERR_INVALID_PARAM]),
      [9, BlkRespStatus.OK],
    ]);
    expect(r.virt.rejected).toBe(8);
    // Only client0's partition (sectors [2048, 4096)) changed: its last block.
    expect(untouchedOutside(before, bytes, [[4088, 4096]])).toBe(true);
    expect(r.device.writes).toBe(1);
    expect(r.invariantViolations).toBe(0);
  });

  it('seeded U6: upstream arithmetic forwards a wrapping offset: DMA into the other client region, caught', () => {
    const answers: BlkResp[] = [];
    const r = run({
      virt: { u6: true },
      rebind: (pd, b) =>
        pd === 'client0'
          ? { ...b, ...scripted(reqs.slice(3, 4), answers) }
          : pd === 'client1'
            ? idle()
            : b,
    });
    // io = client0's region − 4 KiB: the last block of client1's region, which the IOMMU allows.
    expect(answers.map((a) => a.status)).toEqual([BlkRespStatus.OK]);
    expect(r.device.writes).toBe(1);
    expect(r.violations.join('\n')).toMatch(/outside the client's data region/);
  });
});

describe('a client that stops taking answers (U7)', () => {
  const many = Array.from({ length: 200 }, (_, i): BlkReq => ({
    code: BlkReqCode.READ,
    ioOrOffset: BigInt((i % 256) * 4096),
    blockNumber: BigInt(i),
    count: 1,
    id: i,
  }));

  it('the virt takes only what it can answer: no crash, nothing waiting, nothing lost', () => {
    const r = run({
      rebind: (pd, b) =>
        pd === 'client0' ? { ...b, ...scripted(many, [], false) } : pd === 'client1' ? idle() : b,
    });
    expect(r.faults.unexpected).toEqual([]);
    expect(r.virt.waitingMax).toBe(0);
    expect(r.virt.answered).toBe(128); // the response queue's capacity
    expect(r.invariantViolations).toBe(0);
  });

  it('seeded U7: upstream admission takes more than the queue can answer', () => {
    const r = run({
      virt: { u7: true },
      rebind: (pd, b) =>
        pd === 'client0' ? { ...b, ...scripted(many, [], false) } : pd === 'client1' ? idle() : b,
    });
    expect(r.virt.waitingMax).toBeGreaterThan(0);
  });
});

describe('faults and durability', () => {
  it('a crash of the virt or of a client mid-stream: every acknowledged write is on the disk', () => {
    for (const crash of [
      [{ pd: 'virt', atWake: 6 }],
      [{ pd: 'client0', atWake: 4 }],
      [
        { pd: 'client1', atWake: 3 },
        { pd: 'virt', atWake: 12 },
      ],
    ]) {
      const r = run({ faults: { crash }, rounds: 3 });
      expect(r.faults.injected).toBe(crash.length);
      expect(r.ok, JSON.stringify(r.violations)).toBe(true);
      expect(r.durability.lost).toBe(0);
      expect(r.durability.checkedBlocks).toBeGreaterThan(0);
    }
  });

  it('seeded: upstream answers BARRIER at once, before the writes the device holds (caught)', () => {
    const r = run({ driver: { upstreamBarrier: true } });
    expect(r.invariantViolations).toBeGreaterThan(0);
    expect(r.violations.join('\n')).toMatch(/across a barrier/);
  });

  it('seeded: a disk that acknowledges writes it does not keep fails the durability check', () => {
    class LosingDisk extends MemoryBlockBackend {
      override write(): null {
        return null;
      }
    }
    const r = run({ backend: new LosingDisk({ bytes: buildMbrImage(SIZE, PARTS) }) });
    expect(r.durability.lost).toBeGreaterThan(0);
    expect(r.ok).toBe(false);
  });
});

describeShared("sDDF's own blk example system", () => {
  it('runs with the emulated virtio-blk: I/O addresses where Microkit places the regions, no virt metadata', () => {
    const { result, errors } = runBlk({
      ...quick,
      system: join(SHARED_SDF_FIXTURES, 'sddf_blk_qemu_virt_aarch64.system'),
    });
    expect(errors).toEqual([]);
    expect(result!.ok).toBe(true);
    expect(result!.clients.map((c) => [c.name, c.verifiedBlocks])).toEqual([['client', 16]]);
  });
});
