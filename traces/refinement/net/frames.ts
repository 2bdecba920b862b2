// The abstraction of frame bytes to the spec's payload word (spec/components/net/config.ts
// `payload(kind, who, seq)`). The spec carries one word per buffer: what virt_rx demultiplexes on
// (`who`) and what the copier copies. A frame of the implementation is the bytes [0, len) of a
// buffer, `len` coming from the descriptor that hands the buffer over (the spec's descriptor is
// its io_or_offset alone, so the length travels with the frame here). Its word is
//   payload(KIND_RX, destination, crc16(frame))
// where the destination is the demultiplexing rule of reference sddf-protocols.md §3.4
// (`get_mac_addr_match`: the first client, in index order, owning the destination MAC; else the
// broadcast address; else no match), and a frame too short to carry an Ethernet header or longer
// than a buffer has no destination (virt_rx returns it to the driver). The CRC stands for the
// content: a copy that changes a byte or the length changes the word (up to CRC collisions).
import {
  DEST_BROADCAST,
  DEST_NONE,
  KIND_RX,
  payload,
} from '../../../spec/components/net/config.ts';
import { NET_BUFFER_SIZE_BYTES } from '../../../spec/queue/net.ts';

/** Destination MAC (6) + source MAC (6) + EtherType (2). */
export const ETH_HEADER_BYTES = 14;

/** CRC-16/CCITT-FALSE (poly 0x1021, init 0xffff) over `bytes`. */
export function crc16(bytes: Uint8Array): number {
  let crc = 0xffff;
  for (const b of bytes) {
    crc ^= b << 8;
    for (let i = 0; i < 8; i++)
      crc = crc & 0x8000 ? ((crc << 1) ^ 0x1021) & 0xffff : (crc << 1) & 0xffff;
  }
  return crc;
}

/** Each client's MAC addresses, in client index order (virt_rx's `mac_addrs`). */
export type ClientMacs = readonly (readonly (readonly number[])[])[];

/**
 * The spec's destination of a frame of `len` bytes whose first bytes are `frame` (at most a
 * buffer's worth): a client index, DEST_BROADCAST or DEST_NONE.
 */
export function frameDestination(frame: Uint8Array, len: number, macs: ClientMacs): number {
  if (len < ETH_HEADER_BYTES || len > NET_BUFFER_SIZE_BYTES) return DEST_NONE;
  const same = (m: readonly number[]): boolean => m.every((x, i) => frame[i] === x);
  for (let c = 0; c < macs.length; c++) if (macs[c]!.some(same)) return c;
  return frame.subarray(0, 6).every((x) => x === 0xff) ? DEST_BROADCAST : DEST_NONE;
}

/**
 * The payload word of a frame of `len` bytes; `frame` holds its first min(len, buffer size) bytes
 * (a length beyond the buffer is part of the word through the CRC of the length's low byte).
 */
export function framePayload(frame: Uint8Array, len: number, macs: ClientMacs): number {
  const crc = len > NET_BUFFER_SIZE_BYTES ? crc16(frame) ^ (len & 0xff) : crc16(frame);
  return payload(KIND_RX, frameDestination(frame, len, macs), crc);
}
