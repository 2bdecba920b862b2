// Component rules (§3.2–3.6) on concrete states of the net-pipeline model.
import { describe, expect, it } from 'vitest';
import { buildNetPipeline } from '../../../proofs/models/net-pipeline.ts';
import { NGC_DROPPED, cg } from '../../../spec/components/net/config.ts';
import { VR_REFS } from '../../../spec/components/net/virt-rx.ts';
import { ENET_BD_WRAP, ENET_RXD_EMPTY } from '../../../spec/devices/enet.ts';
import { field, runWhile, take } from '../../proofs/models/helpers.ts';

const RX_IO = 0x1000_0000;

function pipeline(bounds: Record<string, number>) {
  return buildNetPipeline({ memoryModel: 'sc', bounds }).ts;
}

/** Driver init, then the NIC receives one frame, then the driver handles the IRQ. */
function afterOneFrame(bounds: Record<string, number>) {
  const ts = pipeline(bounds);
  let s = ts.initialStates()[0]!;
  s = runWhile(ts, s, ['driver.']);
  s = take(ts, s, 'nic.rx_frame');
  s = runWhile(ts, s, ['driver.']);
  return { ts, s };
}

describe('network components on concrete states', () => {
  it('D1 rx_provide: fills the HW Rx ring with E set (W on the last BD), then cancels its signal (ring full)', () => {
    const ts = pipeline({ clients: 1, rxBuffers: 2, hwRing: 2 });
    const s = runWhile(ts, ts.initialStates()[0]!, ['driver.']);
    expect(field(ts, s, 'hw_rx.addr')).toEqual([RX_IO, RX_IO + 2048]);
    expect(field(ts, s, 'hw_rx.stat')).toEqual([ENET_RXD_EMPTY, ENET_RXD_EMPTY | ENET_BD_WRAP]);
    expect(field(ts, s, 'drv_rx.free.head')).toBe(2);
    expect(field(ts, s, 'drv_rx.free.consumer_signalled')).toBe(1);
  });

  it('D2 rx_return: a completed descriptor goes to drv.RxA and virt_rx is notified', () => {
    const { ts, s } = afterOneFrame({ clients: 1, rxBuffers: 2, hwRing: 1, frames: 1 });
    expect(field(ts, s, 'drv_rx.active.tail')).toBe(1);
    expect(field(ts, s, 'drv_rx.active.buffers')).toEqual([RX_IO, 0]);
    expect(field(ts, s, 'virt_rx.notification')).toBe(1); // channel 0 = driver
  });

  it('R1 broadcast: refcount = number of clients and the buffer goes to every copier', () => {
    const { ts, s } = afterOneFrame({
      clients: 2,
      rxBuffers: 2,
      hwRing: 1,
      frames: 1,
      pattern: 0xe,
    });
    const t = runWhile(ts, s, ['virt_rx.']);
    expect((field(ts, t, 'virt_rx.locals') as number[])[VR_REFS]).toBe(2); // buffer_refs[0]
    expect(field(ts, t, 'virt_rx.copier0.active.tail')).toBe(1);
    expect(field(ts, t, 'virt_rx.copier1.active.tail')).toBe(1);
    expect(field(ts, t, 'copier0.notification')).toBe(1);
    expect(field(ts, t, 'copier1.notification')).toBe(1);
  });

  it('R1 no match: the frame goes straight back to drv.RxF as an IO address', () => {
    const { ts, s } = afterOneFrame({
      clients: 1,
      rxBuffers: 2,
      hwRing: 1,
      frames: 1,
      pattern: 0xd,
    });
    const before = field(ts, s, 'drv_rx.free.tail') as number;
    const t = runWhile(ts, s, ['virt_rx.']);
    expect(field(ts, t, 'drv_rx.free.tail')).toBe(before + 1);
    expect(field(ts, t, 'drv_rx.free.buffers') as number[]).toContain(RX_IO);
    expect(field(ts, t, 'virt_rx.copier0.active.tail')).toBe(0);
  });

  it('C1 drop path: with no client free buffer the copier returns the frame to virt_rx', () => {
    const bounds = {
      clients: 1,
      rxBuffers: 2,
      clientRxBuffers: 1,
      hwRing: 1,
      frames: 2,
      pattern: 0x00,
      slowClient: 1,
    };
    const { ts, s: s0 } = afterOneFrame(bounds);
    let s = s0;
    s = runWhile(ts, s, ['virt_rx.', 'copier0.', 'driver.']);
    s = take(ts, s, 'nic.rx_frame');
    s = runWhile(ts, s, ['driver.', 'virt_rx.', 'copier0.']);
    const ghost = field(ts, s, 'ghost') as number[];
    expect(ghost[cg(0, NGC_DROPPED)]).toBe(1);
    expect(field(ts, s, 'copier0.client0.active.tail')).toBe(1); // the slow client holds frame 1
  });
});
