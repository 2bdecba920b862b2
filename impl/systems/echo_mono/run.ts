// Running the monolithic baseline (mono.ts) deterministically under the same traffic peer, pacing
// and virtual-time wake cost as the modular echo server, so the benchmark compares the two on the
// host CPU each needs per answered request.

import type { Diagnostic } from '../../../spec/common/diagnostic.ts';
import { join } from 'node:path';
import { DeterministicRuntime } from '../../runtime/deterministic.ts';
import { loadSystemModel } from '../../runtime/load.ts';
import { ComponentRegistry } from '../../runtime/registry.ts';
import { VirtioNet } from '../../hw/virtio/net.ts';
import type { DmaPort, MmioDevice } from '../../mem/types.ts';
import { defaultClientAddress } from '../echo_server/wiring.ts';
import {
  DEFAULT_COST,
  ECHO_PORT,
  NIC_MAC,
  NIC_NAME,
  trafficOptions,
  type TrafficSpec,
} from '../run.ts';
import { TrafficPeer, type PeerStats } from '../traffic.ts';
import { monoEcho, type MonoParams } from './mono.ts';

export const ECHO_MONO_SYSTEM = join(import.meta.dirname, 'echo_mono.system');

export interface MonoResult {
  readonly generator: PeerStats;
  readonly complete: boolean;
  readonly elapsedNs: number;
  readonly wallMs: number;
  readonly cpuMs: number;
}

export function runMono(options: { packets: number; seed: number; traffic?: TrafficSpec }): {
  result?: MonoResult;
  errors: readonly Diagnostic[];
} {
  const { model, errors } = loadSystemModel(ECHO_MONO_SYSTEM);
  if (model === undefined) return { errors };
  const wall0 = performance.now();
  const u0 = process.cpuUsage();
  const pd = model.pds[0]!;
  const mapOf = (mr: string): { vaddr: number; sizeBytes: number; ioAddr: bigint } => {
    const m = pd.maps.find((x) => x.mr === mr)!;
    const r = model.memoryRegions.find((x) => x.name === mr)!;
    return { vaddr: Number(m.vaddr), sizeBytes: Number(r.sizeBytes), ioAddr: r.physAddr ?? 0n };
  };
  const clients = [0, 1].map((i) => defaultClientAddress(i));
  const params: MonoParams = {
    regs: mapOf('ethernet/virtio/regs'),
    hwRing: mapOf('ethernet/virtio/hw_ring_buffer'),
    rxData: mapOf('ethernet/net/rx/data/device'),
    txData: mapOf('ethernet/net/tx/data/mono'),
    irqId: pd.irqs[0]!.id,
    clients,
    udpPort: ECHO_PORT,
  };
  let now = 0;
  const peer = new TrafficPeer(trafficOptions(options, { clients }));
  const late: { rt?: DeterministicRuntime; port?: DmaPort } = {};
  const irq = pd.irqs[0]!;
  const nic = new VirtioNet({
    name: NIC_NAME,
    mac: new Uint8Array(NIC_MAC),
    dma: { read: (a, l) => late.port!.read(a, l), write: (a, d) => late.port!.write(a, d) },
    onIrqLevel: (up) => {
      const irqs = late.rt?.irqs;
      if (irqs === undefined) return;
      if (!up) irqs.deassertLine(irq.irq);
      else if (irq.trigger === 'edge') irqs.pulse(irq.irq);
      else irqs.assertLine(irq.irq);
    },
  });
  nic.connect({ receiveFrame: (f) => peer.receiveFrame(f) });
  let booted = false;
  const deliver = (): void => {
    if (booted) {
      peer.sendDue(now, (f) => nic.receiveFrame(f));
      peer.expire(now);
    }
  };
  const registry = new ComponentRegistry().register(pd.name, {
    factory: (ctx) => {
      const c = monoEcho(ctx);
      // The same per-wake virtual cost as the modular run (it makes no enqueues).
      const wake = (f: () => void): void => {
        deliver();
        f();
        now += DEFAULT_COST.wakeNs;
      };
      return { init: () => wake(() => c.init()), notified: (ch) => wake(() => c.notified(ch)) };
    },
    params: params as unknown as Record<string, unknown>,
  });
  let finished = false;
  const created = DeterministicRuntime.create(model, {
    registry,
    mmio: new Map<string, MmioDevice>([['ethernet/virtio/regs', nic]]),
    devices: [
      {
        device: NIC_NAME,
        ioMaps: [
          'ethernet/virtio/hw_ring_buffer',
          'ethernet/net/rx/data/device',
          'ethernet/net/tx/data/mono',
        ].map((mr) => ({ mr })),
      },
    ],
    seed: options.seed,
    onIdle: () => {
      booted = true;
      if (peer.done()) {
        finished = true;
        return false;
      }
      const next = Math.min(peer.nextSendAt() ?? Infinity, peer.nextExpiryAt() ?? Infinity);
      if (next === Infinity) return peer.expireAll() > 0;
      if (next > now) now = next;
      deliver();
      return true;
    },
  });
  if (created.runtime === undefined) return { errors: created.errors };
  late.rt = created.runtime;
  late.port = created.runtime.iommu.portFor(NIC_NAME);
  created.runtime.irqs.attachLevelSource(irq.irq, () => nic.irqAsserted());
  const r = created.runtime.run({ maxSteps: 100 * options.packets + 10_000 });
  const u = process.cpuUsage(u0);
  return {
    result: {
      generator: { ...peer.stats },
      complete: finished && r.status === 'quiescent' && created.runtime.faults.length === 0,
      elapsedNs: now,
      wallMs: performance.now() - wall0,
      cpuMs: (u.user + u.system) / 1000,
    },
    errors: [],
  };
}
