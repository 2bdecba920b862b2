// Configuration of the network components, shaped like the structs microkit_sdf_gen serialises into
// each ELF (sDDF include/sddf/network/config.h: net_connection_resource_t, net_virt_rx_config_t,
// net_virt_tx_config_t, net_copy_config_t, net_driver_config_t, net_client_config_t). Plain data
// (numbers, bigints, arrays), so it crosses to a worker thread unchanged; impl/systems derives it
// from the system description as sdfgen does (reference microkit-sdf.md §2.5).

import { assert } from '../../../spec/common/assert.ts';
import { NET_BUFFER_SIZE_BYTES, netQueueSizeBytes } from '../../../spec/queue/net.ts';
import type { MicrokitApi } from '../../runtime/api.ts';
import { createNetQueueHandle, type NetQueueHandle } from '../../queue/net.ts';

/** `region_resource_t`: a mapped region as this PD sees it. */
export interface RegionResource {
  readonly vaddr: number;
  readonly sizeBytes: number;
}

/** `device_region_resource_t`: a mapped region and its I/O address (MR paddr, sdfgen io_addr). */
export interface DeviceRegion extends RegionResource {
  readonly ioAddr: bigint;
}

/** `net_connection_resource_t`: one free/active queue pair and the channel to the peer. */
export interface NetConnection {
  readonly free: RegionResource;
  readonly active: RegionResource;
  /** Queue capacity (sdfgen rounds up to a power of two). */
  readonly numBuffers: number;
  /** Channel id at this end. */
  readonly id: number;
}

export interface NetVirtRxClient {
  readonly conn: NetConnection;
  /** `mac_addrs[]`: each 6 bytes. */
  readonly macAddrs: readonly (readonly number[])[];
}

/** `net_virt_rx_config_t`. */
export interface NetVirtRxConfig {
  readonly driver: NetConnection;
  /** The Rx DMA region (mapped read-only here: reference §3.4). */
  readonly data: DeviceRegion;
  /** `buffer_metadata`: one u8 refcount per Rx DMA buffer (sdfgen "virt_metadata"). */
  readonly bufferMetadata: RegionResource;
  readonly clients: readonly NetVirtRxClient[];
}

export interface NetTxRegion {
  readonly data: DeviceRegion;
  readonly numBuffers: number;
}

/** `net_virt_tx_config_t`. */
export interface NetVirtTxConfig {
  readonly driver: NetConnection;
  readonly clients: readonly {
    readonly conn: NetConnection;
    readonly regions: readonly NetTxRegion[];
  }[];
}

/** `net_copy_config_t`. */
export interface NetCopyConfig {
  /** virt_rx ↔ copier (Rx DMA offsets; `rx` in the C). */
  readonly virt: NetConnection;
  /** copier ↔ client (client Rx offsets). */
  readonly client: NetConnection;
  readonly clientData: RegionResource;
  /** `rx_data[oid]`: the Rx DMA region(s) buffers can come from (oid 0 without the vswitch). */
  readonly rxData: readonly DeviceRegion[];
}

/** `net_driver_config_t` + the driver's device resources. */
export interface NetDriverConfig {
  readonly regs: RegionResource;
  /** Virtqueues, virtio-net headers and the driver's persistent metadata (sdfgen hw_ring_buffer). */
  readonly hwRing: DeviceRegion;
  readonly irqId: number;
  readonly virtRx: NetConnection;
  readonly virtTx: NetConnection;
  /** A timer channel for the watchdog (as meta.py gives the rpi4b driver), or absent. */
  readonly timerId?: number;
}

/** `net_client_config_t` + lib_sddf_lwip's address: what a client needs. */
export interface NetClientConfig {
  readonly rx: NetConnection;
  readonly tx: NetConnection;
  readonly rxData: RegionResource;
  readonly txData: RegionResource;
  readonly mac: readonly number[];
  /** IPv4 address as a u32 (10.0.2.10 = 0x0a00020a). */
  readonly ip: number;
}

/** The sDDF queue handle of a connection, over this PD's own `rw` maps of the two queue MRs. */
export function openConnection(api: MicrokitApi, conn: NetConnection): NetQueueHandle {
  const sizeBytes = netQueueSizeBytes(conn.numBuffers);
  assert(
    conn.free.sizeBytes >= sizeBytes && conn.active.sizeBytes >= sizeBytes,
    () =>
      `queue MRs of ${conn.free.sizeBytes}/${conn.active.sizeBytes} bytes hold ${conn.numBuffers} descriptors (${sizeBytes} bytes)`,
  );
  const free = api.mem.sharedWindow(conn.free.vaddr, sizeBytes, 8);
  const active = api.mem.sharedWindow(conn.active.vaddr, sizeBytes, 8);
  return createNetQueueHandle({
    free: { buffer: free.buffer, byteOffset: free.byteOffset },
    active: { buffer: active.buffer, byteOffset: active.byteOffset },
    capacity: conn.numBuffers,
  });
}

/**
 * A client-side offset names one of `numBuffers` buffers: a multiple of NET_BUFFER_SIZE below
 * `NET_BUFFER_SIZE * numBuffers` (reference §2.1). Offsets come from an untrusted peer, so every
 * user checks them where they are used (STYLE.md).
 */
export function validOffset(offset: number, numBuffers: number): boolean {
  return (
    Number.isSafeInteger(offset) &&
    offset >= 0 &&
    offset % NET_BUFFER_SIZE_BYTES === 0 &&
    offset < NET_BUFFER_SIZE_BYTES * numBuffers
  );
}

/**
 * Room for one more entry: `length < capacity`. Stricter than `!full()` (length == capacity) when a
 * peer has written indices claiming more than the capacity: then there is no room, so nothing is
 * ever enqueued past a queue's capacity (bug catalogue O2, O3).
 */
export function hasRoom(q: { length(): number; readonly capacity: number }): boolean {
  return q.length() < q.capacity;
}

/** The u64 `io_or_offset` of a dequeued descriptor as a number when it is below 2^53, else -1. */
export function offsetOf(ioLow: number, ioHigh: number): number {
  if (ioHigh >= 0x20_0000) return -1;
  return ioHigh * 0x1_0000_0000 + ioLow;
}

export function macEquals(
  a: readonly number[] | Uint8Array,
  b: readonly number[] | Uint8Array,
): boolean {
  return (
    a[0] === b[0] &&
    a[1] === b[1] &&
    a[2] === b[2] &&
    a[3] === b[3] &&
    a[4] === b[4] &&
    a[5] === b[5]
  );
}

export function macString(m: readonly number[] | Uint8Array): string {
  return Array.from(m, (b) => b.toString(16).padStart(2, '0')).join(':');
}

export function ipString(ip: number): string {
  return [ip >>> 24, (ip >>> 16) & 0xff, (ip >>> 8) & 0xff, ip & 0xff].join('.');
}
