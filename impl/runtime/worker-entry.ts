// One PD in its own worker_thread (issue #5 part 3b). The Microkit loop of sddf-protocols.md §1.1
// over shared memory: take the whole notification word (Atomics.exchange), dispatch it through
// PdCore (the same code as the deterministic scheduler), or wait on the futex word. The worker can
// reach only the buffers in its WorkerData: its own maps, its control block and its peers'.

import { parentPort, workerData } from 'node:worker_threads';
import { assert } from '../../spec/common/assert.ts';
import { AddressSpace } from '../mem/address-space.ts';
import { PdFaultTrap, type PdFault } from '../mem/fault.ts';
import type { ComponentFactory, PpcMessage } from './api.ts';
import type { ChannelConfig, IrqConfig } from './config.ts';
import { Recorder } from './events.ts';
import type { HostedDevice, HostedDeviceFactory } from './hosted.ts';
import { IrqController } from './irq.ts';
import { Iommu } from '../mem/iommu.ts';
import { PdCore, type PdKernel } from './microkit.ts';
import * as P from './worker-protocol.ts';

/** How long one wait blocks before re-checking the stop flag. */
const WAIT_MS = 200;
/** Bounded spin on a busy PPC endpoint (each round waits up to WAIT_MS). */
const MAX_PPC_WAIT_ROUNDS = 1_000_000;

const data = workerData as P.WorkerData;
function requirePort(): NonNullable<typeof parentPort> {
  assert(parentPort !== null, 'worker-entry.ts runs inside a worker_thread');
  return parentPort;
}
const port = requirePort();

const ctrl = new Int32Array(data.ctrl);
const global = new Int32Array(data.global);
const peers = new Map(data.peers.map((p) => [p.pd, new Int32Array(p.ctrl)]));
const rec = data.record ? new Recorder() : null;
/** IRQ lines of hosted devices, by IRQ number. */
const localIrqs = new Map<number, IrqController>();

/** Instantiate the devices this PD's worker hosts (hosted.ts); returns them by register MR. */
async function hostDevices(): Promise<Map<string, HostedDevice>> {
  const out = new Map<string, HostedDevice>();
  for (const d of data.devices ?? []) {
    const mod = (await import(d.moduleUrl)) as Record<string, unknown>;
    const factory = mod[d.exportName];
    assert(typeof factory === 'function', `module ${d.moduleUrl} exports device '${d.exportName}'`);
    const regions = new Map(
      d.dma.map((r) => [
        r.mr,
        {
          name: r.mr,
          physAddr: r.ioAddr,
          sizeBytes: r.buffer.byteLength,
          physFixed: true,
          buffer: r.buffer,
          mmio: null,
        },
      ]),
    );
    const { iommu, errors } = Iommu.build(regions, [
      { device: d.mr, ioMaps: d.dma.map((r) => ({ mr: r.mr })) },
    ]);
    assert(
      errors.length === 0,
      () => `I/O windows of ${d.mr}: ${errors.map((e) => e.message).join('; ')}`,
    );
    let irqs: IrqController | null = null;
    if (d.irq !== undefined) {
      const irq = d.irq;
      irqs = new IrqController(
        [{ irq: irq.irq, pd: data.config.pd, ch: irq.id, trigger: irq.trigger }],
        (_pd, ch) => P.signalBlock(ctrl, ch),
        rec,
        null,
      );
      localIrqs.set(irq.irq, irqs);
    }
    const dev = (factory as HostedDeviceFactory)({
      name: d.mr,
      dma: iommu.portFor(d.mr),
      params: d.params,
      onIrqLevel: (up) => {
        if (irqs === null || d.irq === undefined) return;
        if (!up) irqs.deassertLine(d.irq.irq);
        else if (d.irq.trigger === 'edge') irqs.pulse(d.irq.irq);
        else irqs.assertLine(d.irq.irq);
      },
    });
    if (irqs !== null && d.irq !== undefined)
      irqs.attachLevelSource(d.irq.irq, () => dev.mmio.irqAsserted());
    out.set(d.mr, dev);
  }
  return out;
}

function stopping(): boolean {
  return Atomics.load(global, P.GLOBAL_STOP) !== 0;
}

const kernel: PdKernel = {
  signal(from: PdCore, channel: ChannelConfig, deferred: boolean): void {
    const peer = peers.get(channel.peer);
    assert(
      peer !== undefined,
      `worker of '${from.name}' holds the control block of peer '${channel.peer}'`,
    );
    if (rec !== null)
      rec.push({
        action: 'notify',
        pd: from.name,
        ch: channel.id,
        to: channel.peer,
        toCh: channel.peerId,
        deferred,
      });
    P.signalBlock(peer, channel.peerId);
  },
  irqAck(_from: PdCore, irq: IrqConfig, deferred: boolean): void {
    // The IRQ of a device hosted here is this worker's own (hosted.ts).
    if (localIrqs.has(irq.irq)) return localIrqs.get(irq.irq)!.ack(irq.irq, deferred);
    Atomics.add(ctrl, P.CTRL_IRQ_ACKS, 1);
    port.postMessage({ t: 'irq_ack', irq: irq.irq, deferred } satisfies P.WorkerMessage);
  },
  ppcall(from: PdCore, channel: ChannelConfig, msg: PpcMessage): PpcMessage {
    const callee = peers.get(channel.peer);
    assert(
      callee !== undefined,
      `worker of '${from.name}' holds the control block of callee '${channel.peer}'`,
    );
    if (rec !== null)
      rec.push({ action: 'ppcall', pd: from.name, ch: channel.id, to: channel.peer });
    for (
      let i = 0;
      Atomics.compareExchange(callee, P.CTRL_PPC, P.PPC_FREE, P.PPC_CLAIMED) !== P.PPC_FREE;
      i++
    ) {
      assert(i < MAX_PPC_WAIT_ROUNDS, `PPC endpoint of '${channel.peer}' frees up`);
      Atomics.wait(callee, P.CTRL_PPC, Atomics.load(callee, P.CTRL_PPC), WAIT_MS);
    }
    callee[P.CTRL_PPC_CH] = channel.peerId;
    writeMessage(callee, msg);
    Atomics.store(callee, P.CTRL_PPC, P.PPC_REQUEST);
    Atomics.add(callee, P.CTRL_SEQ, 1);
    Atomics.notify(callee, P.CTRL_SEQ);
    for (let i = 0; Atomics.load(callee, P.CTRL_PPC) !== P.PPC_REPLY; i++) {
      const calleeStopped = Atomics.load(callee, P.CTRL_STATE) === P.STATE_STOPPED;
      if (Atomics.load(callee, P.CTRL_PPC) === P.PPC_FAILED || calleeStopped) {
        Atomics.store(callee, P.CTRL_PPC, P.PPC_FREE);
        Atomics.notify(callee, P.CTRL_PPC);
        throw new PdFaultTrap({
          kind: 'blocked',
          pd: from.name,
          vaddr: 0,
          access: 'none',
          lengthBytes: 0,
          message: `${from.name}: callee '${channel.peer}' faulted or is stopped: the caller blocks forever`,
        });
      }
      if (stopping() || i >= MAX_PPC_WAIT_ROUNDS) {
        throw new PdFaultTrap({
          kind: 'blocked',
          pd: from.name,
          vaddr: 0,
          access: 'none',
          lengthBytes: 0,
          message: `${from.name}: ppcall to '${channel.peer}' got no reply`,
        });
      }
      Atomics.wait(callee, P.CTRL_PPC, P.PPC_REQUEST, WAIT_MS);
    }
    const reply = readMessage(callee);
    Atomics.store(callee, P.CTRL_PPC, P.PPC_FREE);
    Atomics.notify(callee, P.CTRL_PPC);
    return reply;
  },
};

function writeMessage(block: Int32Array, msg: PpcMessage): void {
  block[P.CTRL_PPC_LABEL] = msg.label;
  block[P.CTRL_PPC_COUNT] = msg.words.length;
  msg.words.forEach((w, i) => {
    const v = BigInt.asUintN(64, w);
    block[P.CTRL_PPC_WORDS + 2 * i] = Number(v & 0xffff_ffffn) | 0;
    block[P.CTRL_PPC_WORDS + 2 * i + 1] = Number(v >> 32n) | 0;
  });
}

function readMessage(block: Int32Array): PpcMessage {
  const count = block[P.CTRL_PPC_COUNT]!;
  const words: bigint[] = [];
  for (let i = 0; i < count; i++) {
    words.push(
      (BigInt(block[P.CTRL_PPC_WORDS + 2 * i + 1]! >>> 0) << 32n) |
        BigInt(block[P.CTRL_PPC_WORDS + 2 * i]! >>> 0),
    );
  }
  return { label: block[P.CTRL_PPC_LABEL]! >>> 0, words };
}

async function main(): Promise<void> {
  const mod = (await import(data.moduleUrl)) as Record<string, unknown>;
  const factory = mod[data.exportName];
  assert(
    typeof factory === 'function',
    `module ${data.moduleUrl} exports factory '${data.exportName}'`,
  );
  const hosted = await hostDevices();
  const devices = [...hosted.values()];
  const mem = new AddressSpace(
    data.config.pd,
    data.mappings.map((m) => {
      const dev = hosted.get(m.mr);
      return dev === undefined ? { ...m, mmio: null } : { ...m, buffer: null, mmio: dev.mmio };
    }),
  );
  /** Let hosted devices act; keep the busy flag (read by scanQuiescent) up to date. */
  const pollDevices = (): boolean => {
    if (devices.length === 0) return false;
    let did = false;
    for (const d of devices) did = d.poll() || did;
    const busy = devices.some((d) => d.busy()) ? 1 : 0;
    if (Atomics.load(ctrl, P.CTRL_DEVICE_BUSY) !== busy) {
      // Every change a quiescence scan reads bumps the epoch first (see setState).
      Atomics.add(global, P.GLOBAL_EPOCH, 1);
      Atomics.store(ctrl, P.CTRL_DEVICE_BUSY, busy);
    }
    return did;
  };
  const idleWaitMs = (): number =>
    Math.max(0, Math.min(WAIT_MS, ...devices.map((d) => d.idleMs())));
  const core = new PdCore(
    data.config,
    mem,
    { factory: factory as ComponentFactory, params: data.params },
    kernel,
    rec,
  );
  let wakes = 0;
  let restarts = 0;
  /** Instances whose init() returned: what a restarted program is told (ComponentContext). */
  let initsCompleted = 0;
  let needInit = true;
  let inProtected = false;
  core.load();

  const onFault = (e: unknown): void => {
    const fault: PdFault =
      e instanceof PdFaultTrap
        ? e.fault
        : {
            kind: 'exception',
            pd: core.name,
            vaddr: 0,
            access: 'none',
            lengthBytes: 0,
            message: `${core.name}: ${e instanceof Error ? e.message : String(e)}`,
          };
    core.abandon();
    if (inProtected) {
      // The reply cap dies with the thread: tell the blocked caller instead of leaving it forever.
      inProtected = false;
      Atomics.store(ctrl, P.CTRL_PPC, P.PPC_FAILED);
      Atomics.notify(ctrl, P.CTRL_PPC);
    }
    if (rec !== null)
      rec.push({
        action: 'fault',
        pd: core.name,
        kind: fault.kind,
        vaddr: fault.vaddr,
        message: fault.message,
      });
    const restart = restarts < data.maxRestarts;
    port.postMessage({ t: 'fault', fault, restarted: restart } satisfies P.WorkerMessage);
    if (restart) {
      restarts++;
      core.load(initsCompleted);
      needInit = true;
      if (rec !== null) rec.push({ action: 'restart', pd: core.name, restarts });
    } else {
      P.setState(ctrl, global, P.STATE_STOPPED);
    }
  };
  const crash = (): void => {
    if (data.crashAtWakes.includes(wakes)) {
      throw new PdFaultTrap({
        kind: 'injected',
        pd: core.name,
        vaddr: 0,
        access: 'none',
        lengthBytes: 0,
        message: `${core.name}: injected crash at wake ${wakes}`,
      });
    }
  };

  // The handler loop; each iteration is one wake. Ends when the main thread sets the stop flag.
  while (!stopping()) {
    if (Atomics.load(ctrl, P.CTRL_STATE) === P.STATE_STOPPED) {
      Atomics.wait(ctrl, P.CTRL_SEQ, Atomics.load(ctrl, P.CTRL_SEQ), WAIT_MS);
      continue;
    }
    const seq = Atomics.load(ctrl, P.CTRL_SEQ);
    try {
      if (needInit) {
        needInit = false;
        wakes++;
        crash();
        core.runInit();
        initsCompleted++;
      } else {
        // A pending notification is delivered before an endpoint message (seL4 receiveIPC
        // completes an active bound notification first).
        const lo = Atomics.exchange(ctrl, P.CTRL_LO, 0);
        const hi = Atomics.exchange(ctrl, P.CTRL_HI, 0);
        if ((lo | hi) !== 0) {
          wakes++;
          crash();
          core.runNotified(lo >>> 0, hi >>> 0);
        } else if (Atomics.load(ctrl, P.CTRL_PPC) === P.PPC_REQUEST) {
          // Endpoint message: protected(), reply after the deferred flush (seL4_ReplyRecv, §1.1).
          const msg = readMessage(ctrl);
          wakes++;
          inProtected = true;
          const reply = core.runProtected(ctrl[P.CTRL_PPC_CH]!, msg);
          inProtected = false;
          writeMessage(ctrl, reply);
          Atomics.store(ctrl, P.CTRL_PPC, P.PPC_REPLY);
          Atomics.notify(ctrl, P.CTRL_PPC);
        } else if (pollDevices()) {
          // A hosted device acted (it may have raised this PD's IRQ): look again before sleeping.
          continue;
        } else {
          // seL4_Recv: publish WAITING, then re-check, then sleep. Every state change goes
          // through setState, which bumps the epoch first (scanQuiescent depends on it).
          P.setState(ctrl, global, P.STATE_WAITING);
          if (
            (Atomics.load(ctrl, P.CTRL_LO) | Atomics.load(ctrl, P.CTRL_HI)) === 0 &&
            Atomics.load(ctrl, P.CTRL_PPC) !== P.PPC_REQUEST
          ) {
            Atomics.wait(ctrl, P.CTRL_SEQ, seq, devices.length === 0 ? WAIT_MS : idleWaitMs());
          }
          P.setState(ctrl, global, P.STATE_RUNNING);
          continue;
        }
      }
    } catch (e) {
      onFault(e);
    }
    Atomics.store(ctrl, P.CTRL_WAKES, wakes);
    if (Atomics.load(ctrl, P.CTRL_STATE) === P.STATE_BOOT)
      P.setState(ctrl, global, P.STATE_RUNNING);
  }
  port.postMessage({
    t: 'done',
    events: rec?.events ?? [],
    wakes,
    restarts,
    ...(devices.length === 0 ? {} : { devices: devices.map((d) => d.result()) }),
  } satisfies P.WorkerMessage);
}

void main().catch((e: unknown) => {
  // Loading the component failed: report as a fault of this PD, never an unhandled rejection.
  const message = e instanceof Error ? e.message : String(e);
  port.postMessage({
    t: 'fault',
    fault: {
      kind: 'exception',
      pd: data.config.pd,
      vaddr: 0,
      access: 'none',
      lengthBytes: 0,
      message,
    },
    restarted: false,
  } satisfies P.WorkerMessage);
  P.setState(ctrl, global, P.STATE_STOPPED);
  port.postMessage({ t: 'done', events: [], wakes: 0, restarts: 0 } satisfies P.WorkerMessage);
});
