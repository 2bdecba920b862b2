import { describe, expect, it } from 'vitest';
import { AUTO_PHYS_BASE, buildRegions, MAX_REGION_SIZE_BYTES } from '../../../impl/mem/region.ts';

const loc = { file: 't.system', line: 3, column: 5 };
const mr = (name: string, size: bigint, physAddr?: bigint) => ({
  name,
  sizeBytes: size,
  pageSizeBytes: 0x1000n,
  pageSizeExplicit: false,
  ...(physAddr === undefined ? {} : { physAddr }),
  loc,
});

describe('buildRegions', () => {
  it('zero-fills regions and places MRs without phys_addr above the fixed ones, page aligned, without overlap', () => {
    const { regions, errors } = buildRegions({
      regions: [mr('a', 0x1000n), mr('dev', 0x1800n, 0x7000_0000n), mr('b', 0x3000n)],
    });
    expect(errors).toEqual([]);
    const a = regions.get('a')!;
    const b = regions.get('b')!;
    expect(a.physAddr).toBe(0x7000_2000n); // above dev's end 0x7000_1800, page aligned
    expect(a.physAddr >= AUTO_PHYS_BASE).toBe(true);
    expect(b.physAddr).toBe(a.physAddr + 0x1000n);
    expect(regions.get('dev')!.physFixed).toBe(true);
    expect(new Uint8Array(b.buffer!).every((x) => x === 0)).toBe(true);
  });

  it('reports a region too large to emulate as a located diagnostic', () => {
    const { errors } = buildRegions({
      regions: [mr('huge', BigInt(MAX_REGION_SIZE_BYTES) + 0x1000n)],
    });
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatchObject({
      code: 'RUNTIME_MR_SIZE',
      file: 't.system',
      line: 3,
      column: 5,
    });
  });
});
