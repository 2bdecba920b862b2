// Serial benchmark (issue 13 acceptance): `npm run bench:serial [-- --lines N --bytes B --runs R]`.
// Bytes per host-CPU second from clients to the UART:
//   through:  the built-in serial system: three clients → serial virt_tx (colour, whole strings)
//             → PL011 driver → emulated PL011;
//   straight: one client writing into the driver's Tx queue itself → the same driver → PL011
//             (a two-PD system written here: the client maps the driver's queue and data).
// Both deterministic, one thread, the same line count per client and line size; runs interleaved,
// min and median of R ≥ 3, and the ratio through/straight (colour codes are not counted as bytes).
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Pl011 } from '../impl/hw/pl011.ts';
import type { MmioDevice } from '../impl/mem/types.ts';
import { serialConsoleComponent } from '../impl/clients/serial_console.ts';
import { pl011DriverComponent } from '../impl/drivers/serial/pl011.ts';
import { DeterministicRuntime } from '../impl/runtime/deterministic.ts';
import { loadSystemModel } from '../impl/runtime/load.ts';
import { ComponentRegistry } from '../impl/runtime/registry.ts';
import { SerialSession } from '../impl/systems/serial/run.ts';

function arg(name: string, dflt: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : dflt;
}
const LINES = arg('lines', 2000);
const BYTES = arg('bytes', 64);
const RUNS = Math.max(3, arg('runs', 5));

const cpuNs = (): number => {
  const u = process.cpuUsage();
  return (u.user + u.system) * 1000;
};
const median = (xs: readonly number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 === 1
    ? s[(s.length - 1) / 2]!
    : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};

const DIRECT_SYSTEM = `<?xml version="1.0" encoding="UTF-8"?>
<system>
    <memory_region name="uart" size="0x1_000" phys_addr="0x9000000" />
    <memory_region name="tx_queue_driver" size="0x1_000" />
    <memory_region name="tx_data_driver" size="0x4_000" />
    <protection_domain name="uart" priority="100">
        <program_image path="uart_driver.elf" />
        <map mr="uart" vaddr="0x5_000_000" perms="rw" cached="false" />
        <map mr="tx_queue_driver" vaddr="0x4_001_000" perms="rw" cached="true" />
        <map mr="tx_data_driver" vaddr="0x4_004_000" perms="rw" cached="true" />
        <irq irq="33" id="0" />
    </protection_domain>
    <protection_domain name="client0" priority="97">
        <program_image path="serial_server.elf" />
        <map mr="tx_queue_driver" vaddr="0x4_001_000" perms="rw" cached="true" />
        <map mr="tx_data_driver" vaddr="0x4_004_000" perms="rw" cached="true" />
    </protection_domain>
    <channel>
        <end pd="uart" id="1" />
        <end pd="client0" id="0" />
    </channel>
</system>
`;

/** One client straight into the driver's queue; bytes shown per CPU second. */
function straight(file: string, clients: number): { bytes: number; ns: number } {
  const { model } = loadSystemModel(file);
  let shown = 0;
  const late: { rt?: DeterministicRuntime } = {};
  const uart = new Pl011({
    name: 'uart',
    output: () => shown++,
    onIrqLevel: (up) => (up ? late.rt?.irqs.assertLine(33) : late.rt?.irqs.deassertLine(33)),
  });
  const conn = {
    queue: { vaddr: 0x4_001_000, sizeBytes: 0x1000 },
    data: { vaddr: 0x4_004_000, sizeBytes: 0x4000 },
    id: 1,
  };
  const registry = new ComponentRegistry()
    .register('uart', {
      factory: pl011DriverComponent,
      params: {
        config: { regs: { vaddr: 0x5_000_000, sizeBytes: 0x1000 }, irqId: 0, tx: conn, rx: null },
      },
    })
    .register('client0', {
      factory: serialConsoleComponent,
      params: {
        config: {
          name: 'client0',
          index: 0,
          tx: { ...conn, id: 0 },
          rx: null,
          greeting: false,
          // The same total as the three clients of the system.
          lines: LINES * clients,
          lineBytes: BYTES,
        },
      },
    });
  const created = DeterministicRuntime.create(model!, {
    registry,
    mmio: new Map<string, MmioDevice>([['uart', uart]]),
  });
  const rt = created.runtime!;
  late.rt = rt;
  rt.irqs.attachLevelSource(33, () => uart.irqAsserted());
  const t0 = cpuNs();
  const r = rt.run({ maxSteps: 10_000_000 });
  const ns = cpuNs() - t0;
  if (r.status !== 'quiescent' || shown !== LINES * clients * BYTES)
    throw new Error(`straight run: ${r.status}, ${shown} bytes shown`);
  return { bytes: shown, ns };
}

function through(): { bytes: number; ns: number; clients: number } {
  // Boot and load excluded, as for the straight run: the run itself.
  const session = SerialSession.create({ lines: LINES, lineBytes: BYTES }).session!;
  const t0 = cpuNs();
  session.pump();
  const ns = cpuNs() - t0;
  const r = session.report();
  if (!r.ok) throw new Error(`serial run did not hold: ${r.violations.join('; ')}`);
  // Client data only: the greetings are in `written` too; colour codes are not.
  const bytes = r.clients.reduce((s, c) => s + c.shown, 0);
  return { bytes, ns, clients: r.clients.length };
}

const dir = mkdtempSync(join(tmpdir(), 'sddf-bench-serial-'));
try {
  const file = join(dir, 'direct.system');
  writeFileSync(file, DIRECT_SYSTEM);
  console.log(
    `serial: ${LINES} lines of ${BYTES} bytes per client, ${RUNS} runs each (interleaved), bytes per host-CPU second`,
  );
  const thr: number[] = [];
  const str: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    const t = through();
    thr.push((t.bytes * 1e9) / t.ns);
    const s = straight(file, t.clients);
    str.push((s.bytes * 1e9) / s.ns);
  }
  const line = (name: string, xs: number[]) =>
    console.log(
      `  ${name.padEnd(40)} min ${Math.round(Math.min(...xs))
        .toString()
        .padStart(10)} B/s   median ${Math.round(median(xs)).toString().padStart(10)} B/s`,
    );
  line('through virt_tx (3 clients, colour)', thr);
  line('straight to the driver (1 client)', str);
  console.log(
    `  ratio through/straight: median ${(median(thr) / median(str)).toFixed(2)}, of the minima ${(Math.min(...thr) / Math.min(...str)).toFixed(2)}`,
  );
} finally {
  rmSync(dir, { recursive: true, force: true });
}
