// Offset → IO-address translation bounds, at u64 (sddf-protocols.md §3.3 virt_tx T1/T2, and the
// blk virt client bounds check of bug catalogue U6).
import { BLK_TRANSFER_SIZE_BYTES } from '../../spec/queue/blk.ts';
import { NET_BUFFER_SIZE_BYTES } from '../../spec/queue/net.ts';
import {
  bv,
  validityObligation,
  type Obligation,
  type Z3,
  type Z3BitVec,
  type Z3Bool,
} from './obligation.ts';

/** sddf-protocols.md §2.1: NET_BUFFER_SIZE (spec/queue/net.ts). */
const NET_BUFFER_SIZE = NET_BUFFER_SIZE_BYTES;
/** sddf-protocols.md §2.3: BLK_TRANSFER_SIZE (spec/queue/blk.ts). */
const BLK_TRANSFER_SIZE = BLK_TRANSFER_SIZE_BYTES;

/** `a + b` does not wrap at 64 bits. */
const noWrap = (z: Z3, a: Z3BitVec, b: Z3BitVec): Z3Bool =>
  a
    .zeroExt(1)
    .add(b.zeroExt(1))
    .ule(bv(z, (1n << 64n) - 1n, 65));

export interface VirtTxVariant {
  /** Seeded break: drop the `offset >= 2048 * num_buffers` check. */
  readonly dropRangeCheck?: boolean;
}

/**
 * virt_tx T1: a client buffer passes validation (`len` in (0, 2048], offset a multiple of 2048
 * below 2048 * num_buffers) ⇒ `io = io_addr + offset` and the whole buffer lie inside the
 * region's IO range, without u64 overflow, and T2's `io - io_addr` gives the offset back.
 */
export function virtTxTranslationObligation(variant: VirtTxVariant = {}): Obligation {
  return validityObligation(
    {
      name: 'translation.virt_tx.io-in-region',
      statement:
        'offset % 2048 == 0 ∧ offset < 2048·num_buffers ∧ 0 < len ≤ 2048 ∧ the region ' +
        '[io_addr, io_addr + 2048·num_buffers) fits in u64 ⇒ [io_addr + offset, +len) lies in the ' +
        'region, nothing wraps, and io − io_addr == offset',
      widthBits: 64,
      models:
        'net virt_tx tx_provide validation and `b.io = region.io_addr + off`; tx_return ' +
        'extract_offset (sddf-protocols.md §3.3 T1, T2)',
    },
    (z) => {
      const ioAddr: Z3BitVec = z.BitVec.const('io_addr', 64);
      const offset: Z3BitVec = z.BitVec.const('io_or_offset', 64);
      const numBuffers = z.BitVec.const('num_buffers', 32).zeroExt(32);
      const len = z.BitVec.const('len', 16).zeroExt(48);
      const regionSize = numBuffers.mul(NET_BUFFER_SIZE);
      const valid = z.And(
        offset.urem(NET_BUFFER_SIZE).eq(bv(z, 0, 64)),
        variant.dropRangeCheck === true ? z.Bool.val(true) : offset.ult(regionSize),
        len.neq(bv(z, 0, 64)),
        len.ule(bv(z, NET_BUFFER_SIZE, 64)),
      );
      const regionFits = noWrap(z, ioAddr, regionSize);
      const io = ioAddr.add(offset);
      const claim = z.Implies(
        z.And(valid, regionFits),
        z.And(
          noWrap(z, ioAddr, offset),
          noWrap(z, io, len),
          io.uge(ioAddr),
          io.add(len).ule(ioAddr.add(regionSize)),
          io.sub(ioAddr).eq(offset),
        ),
      );
      return {
        claim,
        witnesses: { io_addr: ioAddr, io_or_offset: offset, num_buffers: numBuffers, len, io },
      };
    },
  );
}

export type BlkBoundsForm = 'as-written' | 'corrected';

/**
 * blk virt: a client request passes the bounds check ⇒ [cli_offset, cli_offset + 4096·count)
 * lies inside the client data region [0, size). As written, `cli_offset + 4096 * count > size`
 * wraps for a huge offset (U6).
 */
export function blkBoundsObligation(form: BlkBoundsForm): Obligation {
  return validityObligation(
    {
      name: `translation.blk-virt.bounds.${form}`,
      statement:
        (form === 'as-written'
          ? '`cli_offset % 4096 == 0 && !(cli_offset + 4096 * count > size)`'
          : '`cli_offset % 4096 == 0 && cli_offset <= size && 4096 * count <= size - cli_offset`') +
        ' ⇒ [cli_offset, cli_offset + 4096·count) ⊆ [0, size), at u64',
      widthBits: 64,
      models:
        'blk virt client request bounds check (sddf-bug-catalogue.md U6; count is uint16_t, ' +
        'offsets and size are u64)' +
        (form === 'as-written' ? '; upstream defect U6' : ''),
      ...(form === 'as-written' ? { expected: 'refuted' as const, defect: 'U6' } : {}),
    },
    (z) => {
      const offset: Z3BitVec = z.BitVec.const('cli_offset', 64);
      const size: Z3BitVec = z.BitVec.const('size', 64);
      const count = z.BitVec.const('count', 16).zeroExt(48);
      const bytes = count.mul(BLK_TRANSFER_SIZE);
      const aligned = offset.urem(BLK_TRANSFER_SIZE).eq(bv(z, 0, 64));
      const passes =
        form === 'as-written'
          ? z.And(aligned, z.Not(offset.add(bytes).ugt(size)))
          : z.And(aligned, offset.ule(size), bytes.ule(size.sub(offset)));
      const inside = z.And(noWrap(z, offset, bytes), offset.add(bytes).ule(size));
      return {
        claim: z.Implies(passes, inside),
        witnesses: { cli_offset: offset, count, size, end: offset.add(bytes) },
      };
    },
  );
}

export function translationObligations(): readonly Obligation[] {
  return [
    virtTxTranslationObligation(),
    blkBoundsObligation('as-written'),
    blkBoundsObligation('corrected'),
  ];
}
