// The deterministic runtime's device-timing options reach the adversarial scheduler (issue 12
// part 7 survivors): a fake device agent counts the actions it is given while a driver PD makes
// register accesses through its map. Every MMIO access is a yield point only under device timing;
// actPer256 0 lets no yield point act, 256 every one; maxBurst bounds the actions per yield point;
// hostile false offers only settling actions.
import { describe, expect, it } from 'vitest';
import {
  DeterministicRuntime,
  type DeviceTimingOptions,
} from '../../../impl/runtime/deterministic.ts';
import type { AgentAction, DeviceAgent } from '../../../impl/hw/agent.ts';
import type { MmioDevice } from '../../../impl/mem/types.ts';
import { registryOf, system } from './build.ts';

const ACCESSES = 20;

function run(kinds: AgentAction[], timing: Omit<DeviceTimingOptions, 'agents'> | null) {
  const performed: string[] = [];
  const agent: DeviceAgent = {
    name: 'dev',
    agentActions: () => kinds,
    agentPerform: (a) => void performed.push(a.kind),
    agentBusy: () => false,
  };
  let mmioReads = 0;
  const dev: MmioDevice = {
    name: 'dev',
    sizeBytes: 0x1000,
    read32: () => (mmioReads++, 0),
    write32: () => {},
    irqAsserted: () => false,
  };
  const model = system({
    mrs: [{ name: 'regs', size: 0x1000, phys: 0x900_0000n }],
    pds: [{ name: 'drv', priority: 1, maps: [{ mr: 'regs', vaddr: 0x500_0000 }] }],
  });
  const { runtime, errors } = DeterministicRuntime.create(model, {
    mmio: new Map([['regs', dev]]),
    registry: registryOf({
      drv: ({ api }) => ({
        init: () => {
          for (let i = 0; i < ACCESSES; i++) api.mem.read32(0x500_0000);
        },
      }),
    }),
    ...(timing === null ? {} : { deviceAgents: { agents: [agent], seed: 7, ...timing } }),
  });
  expect(errors).toEqual([]);
  expect(runtime!.run({ maxSteps: 10 }).status).toBe('quiescent');
  expect(mmioReads).toBe(ACCESSES);
  return performed;
}

const poll: AgentAction = { kind: 'poll', queue: 0 };
const spurious: AgentAction = { kind: 'spurious-interrupt' };

describe('device timing options', () => {
  it('without device timing the devices never act', () => {
    expect(run([poll], null)).toEqual([]);
  });

  it('actPer256 256 with bursts of 1: one action per yield point (each MMIO access, and each scheduler step: the wake and the look that finds nothing)', () => {
    expect(run([poll], { actPer256: 256, maxBurst: 1 })).toHaveLength(ACCESSES + 2);
  });

  it('actPer256 0: no yield point acts', () => {
    expect(run([poll], { actPer256: 0 })).toEqual([]);
  });

  it('maxBurst 3 gives more actions than 1 at the same yield points', () => {
    const burst = run([poll], { actPer256: 256, maxBurst: 3 }).length;
    expect(burst).toBeGreaterThan(ACCESSES + 2);
    expect(burst).toBeLessThanOrEqual(3 * (ACCESSES + 2));
  });

  it('hostile false: a spurious interrupt (not a settling action) is never taken; by default it is', () => {
    expect(run([spurious], { actPer256: 256, hostile: false })).toEqual([]);
    expect(run([spurious], { actPer256: 256 }).length).toBeGreaterThan(0);
  });
});

describe('device timing at the step bound', () => {
  it('a run that reaches its bound while a device still owes work is incomplete, not quiescent', () => {
    const agent: DeviceAgent = {
      name: 'dev',
      agentActions: () => [],
      agentPerform: () => {},
      agentBusy: () => true,
    };
    const { runtime } = DeterministicRuntime.create(system({ pds: [{ name: 'drv' }] }), {
      registry: registryOf({ drv: () => ({}) }),
      deviceAgents: { agents: [agent], actPer256: 0 },
    });
    expect(runtime!.run({ maxSteps: 1 })).toMatchObject({ status: 'incomplete', steps: 1 });
  });
});
