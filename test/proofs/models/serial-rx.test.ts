// serial-rx (issue 13 part 3): the Rx path's asymmetric signalling holds at HEAD; without either
// seq_cst fence of the driver↔virt_rx pair it loses a wakeup under TSO (a store-buffering trace);
// F7 stalls under SC; two clients get their characters in order through the switch machine.
import { describe, expect, it } from 'vitest';
import { checkModel } from '../../../proofs/mc/engine.ts';
import { buildSerialRx, serialRxScript } from '../../../proofs/models/serial-rx.ts';
import { expectedStreams } from '../../../spec/components/serial-rx.ts';

const bfs = { search: 'bfs', maxStates: 200_000 } as const;

describe('serial-rx', () => {
  it('HEAD holds under SC and TSO with characters arriving (keyboard)', () => {
    for (const memoryModel of ['sc', 'tso'] as const) {
      const r = checkModel(
        buildSerialRx({ memoryModel, bounds: { chars: 3, arrivals: 1 } }).ts,
        bfs,
      );
      expect(r.verdict, memoryModel).toBe('holds');
    }
  }, 60_000);

  it('each seq_cst fence is necessary under TSO: removing either gives a lost wakeup', () => {
    for (const fences of [1, 2, 3]) {
      const r = checkModel(
        buildSerialRx({ memoryModel: 'tso', bounds: { chars: 3, arrivals: 1, fences } }).ts,
        { search: 'dfs', maxStates: 200_000 },
      );
      expect(r.property, `fences=${fences}`).toBe('no-lost-wakeup');
      // and SC does not need them
      const sc = checkModel(
        buildSerialRx({ memoryModel: 'sc', bounds: { chars: 3, arrivals: 1, fences } }).ts,
        bfs,
      );
      expect(sc.verdict, `fences=${fences} sc`).toBe('holds');
    }
  }, 60_000);

  it('F7 stalls the Rx path under SC', () => {
    const r = checkModel(buildSerialRx({ memoryModel: 'sc', bounds: {}, bug: 'F7' }).ts, bfs);
    expect(r.property).toBe('no-lost-wakeup');
  });

  it('two clients: the switch routes each character in order', () => {
    const script = serialRxScript(1, 2);
    const streams = expectedStreams({
      script,
      clients: [{}, {}] as never,
      switch: { switchChar: 28, terminateChar: 13 },
    });
    expect(streams).toEqual([[0x61], [0x41]]);
    const r = checkModel(
      buildSerialRx({ memoryModel: 'sc', bounds: { chars: 1, clients: 2, driverCapacity: 2 } }).ts,
      bfs,
    );
    expect(r.verdict).toBe('holds');
  }, 60_000);
});
