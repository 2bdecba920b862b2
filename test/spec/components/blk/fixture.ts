// The disk both partition test files use: 4 MiB, two 1 MiB partitions (MBR or GPT images from
// impl/systems/blk/disk.ts), and the problem code of a partition refusal.
import { SECTOR_BYTES, isPartitionProblem } from '../../../../spec/components/blk/partition.ts';

export const SIZE = 4 * 1024 * 1024;
export const SECTORS = BigInt(SIZE / SECTOR_BYTES);
export const PARTS = [
  { startSector: 2048, sectors: 2048 },
  { startSector: 4096, sectors: 2048 },
];

/** The code of a partition problem, or null for anything else (a parsed value). */
export function code(x: unknown): string | null {
  return isPartitionProblem(x) ? x.code : null;
}
