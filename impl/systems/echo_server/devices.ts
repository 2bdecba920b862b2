// The echo server's devices as hosted devices for worker mode (impl/runtime/hosted.ts): the
// virtio-net NIC with the traffic peer on its wire, in the driver's worker; the PL011 with its
// console, in the serial driver's worker. Host time from the shared system counter.

import type { HostedDevice, HostedDeviceContext } from '../../runtime/hosted.ts';
import { SystemCounter } from '../../components/net/clock.ts';
import { PcapWriter } from '../../hw/pcap.ts';
import { Pl011 } from '../../hw/pl011.ts';
import { NET_RX_QUEUE, VirtioNet } from '../../hw/virtio/net.ts';
import { EnetNicDevice, type EnetStats } from '../../hw/enet.ts';
import type { NetStats } from '../../hw/virtio/net.ts';
import { TrafficPeer, type TrafficOptions } from '../traffic.ts';

export interface NicAgentParams {
  readonly traffic: TrafficOptions;
  readonly mac: readonly number[];
  readonly negotiation: 'strict' | 'qemu';
  readonly queueNumMax?: number;
  readonly pcap: boolean;
  readonly systemCounter: SharedArrayBuffer;
}

/** The traffic peer on a NIC's wire, with the optional capture: what both NIC devices share. */
function peerOnWire(p: NicAgentParams) {
  const counter = new SystemCounter(p.systemCounter);
  const now = (): number => counter.nowNs();
  const pcap = p.pcap ? new PcapWriter({ clock: { nowNs: () => BigInt(now()) } }) : null;
  const peer = new TrafficPeer(p.traffic);
  /** The NIC's side of the wire: what it transmits reaches the peer. */
  const toPeer = {
    receiveFrame: (f: Uint8Array): void => {
      pcap?.record(f);
      peer.now = now();
      peer.receiveFrame(f);
    },
  };
  return { now, pcap, peer, toPeer };
}

/** The hosted device of a NIC with the peer on its wire; traffic starts once `ready()` says so. */
function peerDevice(
  nic: HostedDevice['mmio'] & { receiveFrame(f: Uint8Array): void; readonly errorCount: number },
  w: ReturnType<typeof peerOnWire>,
  ready: () => boolean,
  nicResult: () => { nic: NetStats; negotiatedFeatures: bigint },
): HostedDevice {
  const { now, pcap, peer } = w;
  const send = (f: Uint8Array): void => {
    pcap?.record(f);
    nic.receiveFrame(f);
  };
  return {
    mmio: nic,
    poll(): boolean {
      if (!ready()) return false;
      const t = now();
      return peer.sendDue(t, send) + peer.expire(t) > 0;
    },
    busy: () => !peer.done(),
    idleMs(): number {
      if (!ready()) return 1;
      const next = Math.min(peer.nextSendAt() ?? Infinity, peer.nextExpiryAt() ?? Infinity);
      return next === Infinity ? Infinity : Math.max(0, (next - now()) / 1e6);
    },
    result: () => {
      const r = nicResult();
      return {
        peer: { ...peer.stats },
        targets: peer.targets,
        nic: r.nic,
        nicErrors: nic.errorCount,
        negotiatedFeatures: r.negotiatedFeatures,
        pcap: pcap?.bytes(),
      };
    },
  };
}

export function nicWithPeer(ctx: HostedDeviceContext): HostedDevice {
  const p = ctx.params as unknown as NicAgentParams;
  const w = peerOnWire(p);
  const nic = new VirtioNet({
    name: ctx.name,
    mac: new Uint8Array(p.mac),
    dma: ctx.dma,
    negotiation: p.negotiation,
    ...(p.queueNumMax === undefined ? {} : { queueNumMax: p.queueNumMax }),
    onIrqLevel: ctx.onIrqLevel,
  });
  nic.connect(w.toPeer);
  // Traffic starts once the device is live and has receive buffers: the PDs start in parallel, so
  // DRIVER_OK alone can come before virt_rx has handed the driver any buffer (the first window
  // would be dropped). Deterministic runs start at the first quiescent point instead.
  let started = false;
  const ready = (): boolean => {
    if (started) return true;
    const q = nic.queueState(NET_RX_QUEUE);
    if (!nic.live || !q.ready) return false;
    const pending = q.pendingCount(ctx.dma);
    started = typeof pending === 'number' && pending > 0;
    return started;
  };
  return peerDevice(nic, w, ready, () => ({
    nic: { ...nic.stats },
    negotiatedFeatures: nic.negotiatedFeatures,
  }));
}

/**
 * The ENET's counters under the virtio-net NIC's names, so a run reports the same fields whatever
 * its NIC: no receive BD is `rxDroppedNoBuffer`; a stalled ENET counts as not ready; it has no
 * link-down fault. Bytes are counted from the device's frame events (without the FCS).
 */
export function enetNetStats(s: EnetStats, bytes: { tx: number; rx: number }): NetStats {
  return {
    txFrames: s.txFrames,
    txBytes: bytes.tx,
    rxFrames: s.rxFrames,
    rxBytes: bytes.rx,
    rxDroppedNoBuffer: s.rxDroppedNoDescriptor,
    rxDroppedNotReady: s.rxDroppedNotReady,
    rxDroppedStalled: 0,
    rxDroppedTooLong: s.rxDroppedTooLong,
    rxDroppedLinkDown: 0,
    txDroppedLinkDown: 0,
  };
}

/**
 * The ENET NIC with the traffic peer on its wire (the echo_server_enet system). Traffic starts once
 * the MAC is enabled and the Rx DMA engine runs (a BD was posted: RDAR set), for the same reason as
 * above. The result has the virtio-net NIC's fields (run.ts enetNetStats).
 */
export function enetWithPeer(ctx: HostedDeviceContext): HostedDevice {
  const p = ctx.params as unknown as NicAgentParams;
  const w = peerOnWire(p);
  const bytes = { tx: 0, rx: 0 };
  const nic = new EnetNicDevice({
    name: ctx.name,
    mac: new Uint8Array(p.mac),
    dma: ctx.dma,
    strict: true,
    onIrqLevel: ctx.onIrqLevel,
    observer: (e) => {
      if (e.kind === 'frame-tx') bytes.tx += e.lengthBytes;
      else if (e.kind === 'frame-rx') bytes.rx += e.lengthBytes;
    },
  });
  nic.connect(w.toPeer);
  let started = false;
  const ready = (): boolean => {
    started ||= nic.enabled && nic.rdarActive;
    return started;
  };
  return peerDevice(nic, w, ready, () => ({
    nic: enetNetStats(nic.stats, bytes),
    negotiatedFeatures: 0n,
  }));
}

export function uartWithConsole(ctx: HostedDeviceContext): HostedDevice {
  const max = Number(ctx.params['maxConsoleBytes'] ?? 65536);
  let text = '';
  const uart = new Pl011({
    name: ctx.name,
    output: (b) => {
      if (text.length < max) text += String.fromCharCode(b);
    },
    onIrqLevel: ctx.onIrqLevel,
  });
  return {
    mmio: uart,
    poll: () => false,
    busy: () => false,
    idleMs: () => Infinity,
    result: () => ({ console: text }),
  };
}
