// Network benchmark (issue 9): `npm run bench:net [-- --packets N --runs R --sweep-packets M]`.
//  1. The modular echo server (driver, virt_rx, virt_tx, two copiers, two clients; deterministic,
//     one thread) against the monolithic baseline (one PD: driver + demultiplexing + echo on the
//     same emulated NIC, no queues; impl/systems/echo_mono), same traffic, same pacing: answered
//     requests per host-CPU second and host CPU per request. Runs interleaved, min and median of
//     R ≥ 3; the goal is a ratio ≥ 0.8.
//  2. A load sweep: offered load (requests per virtual second, open loop) against achieved
//     throughput and CPU per request, written as out/net-sweep.svg and out/net-sweep.json.
//  3. Worker mode (every PD in its own thread) against deterministic mode, wall time, on this
//     machine's cores.
//  4. The wire as out/net-echo.pcap; if `tshark` is installed (bench/net-tshark.sh installs it on
//     Debian), it opens the file and counts frames. CI does not need it.
// Everything but the tshark step is this process; numbers go to out/net-bench.json too.

import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { runMono } from '../impl/systems/echo_mono/run.ts';
import { linePlot } from '../impl/systems/plot.ts';
import { runSystem } from '../impl/systems/run.ts';
import { runSweep } from '../impl/systems/sweep.ts';
import { runSystemWorkers } from '../impl/systems/workers.ts';

function arg(name: string, dflt: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : dflt;
}

const PACKETS = arg('packets', 30_000);
const RUNS = Math.max(3, arg('runs', 3));
const SWEEP_PACKETS = arg('sweep-packets', 6_000);
const OUT = 'out';
const NO_MONITORS = Number.MAX_SAFE_INTEGER;

const median = (xs: readonly number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 === 1
    ? s[(s.length - 1) / 2]!
    : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};
const min = (xs: readonly number[]): number => Math.min(...xs);
const max = (xs: readonly number[]): number => Math.max(...xs);
const r0 = (x: number): number => Math.round(x);

mkdirSync(OUT, { recursive: true });
const report: Record<string, unknown> = {
  packets: PACKETS,
  runs: RUNS,
  cores: availableParallelism(),
};

// 1. Modular against monolithic.
console.log(
  `1. modular pipeline vs monolithic baseline: ${PACKETS} requests, ${RUNS} runs each (interleaved)`,
);
const mod: { nsPerReq: number; reqPerCpuSec: number }[] = [];
const mono: { nsPerReq: number; reqPerCpuSec: number }[] = [];
for (let i = 0; i < RUNS; i++) {
  const m = runSystem({ packets: PACKETS, seed: 1, monitorEvery: NO_MONITORS }).result!;
  if (!m.ok) throw new Error(`modular run ${i} did not hold: ${m.violations.join('; ')}`);
  mod.push({
    nsPerReq: (m.times.cpuMs * 1e6) / m.generator.answered,
    reqPerCpuSec: (m.generator.answered / m.times.cpuMs) * 1000,
  });
  const b = runMono({ packets: PACKETS, seed: 1 }).result!;
  if (!b.complete || b.generator.answered !== b.generator.expected)
    throw new Error(`monolithic run ${i} did not answer everything`);
  mono.push({
    nsPerReq: (b.cpuMs * 1e6) / b.generator.answered,
    reqPerCpuSec: (b.generator.answered / b.cpuMs) * 1000,
  });
  console.log(
    `   run ${i + 1}: modular ${r0(mod[i]!.nsPerReq)} ns/req, monolithic ${r0(mono[i]!.nsPerReq)} ns/req`,
  );
}
const modPps = mod.map((x) => x.reqPerCpuSec);
const monoPps = mono.map((x) => x.reqPerCpuSec);
const ratioMedian = median(modPps) / median(monoPps);
const ratioBest = max(modPps) / max(monoPps);
console.log(
  `   requests per CPU second  modular  min ${r0(min(modPps))}  median ${r0(median(modPps))}`,
);
console.log(
  `                            monolith min ${r0(min(monoPps))}  median ${r0(median(monoPps))}`,
);
console.log(
  `   CPU per request          modular  min ${r0(min(mod.map((x) => x.nsPerReq)))} ns  median ${r0(median(mod.map((x) => x.nsPerReq)))} ns`,
);
console.log(
  `                            monolith min ${r0(min(mono.map((x) => x.nsPerReq)))} ns  median ${r0(median(mono.map((x) => x.nsPerReq)))} ns`,
);
console.log(
  `   ratio modular/monolithic: median ${ratioMedian.toFixed(2)}, best ${ratioBest.toFixed(2)} (goal ≥ 0.8)`,
);
report['pipeline'] = { modular: mod, monolithic: mono, ratioMedian, ratioBest };

// 2. Load sweep.
const rates = [
  25_000, 50_000, 100_000, 150_000, 200_000, 250_000, 300_000, 350_000, 400_000, 500_000, 650_000,
  800_000,
];
console.log(
  `2. load sweep: ${rates.length} offered rates, ${SWEEP_PACKETS} requests each (open loop, virtual time)`,
);
const sweep = runSweep(
  { packets: SWEEP_PACKETS, seed: 1, monitorEvery: NO_MONITORS },
  { rates },
).result!;
for (const p of sweep.points) {
  console.log(
    `   offered ${String(p.offeredPps).padStart(7)}/s  achieved ${String(p.achievedPps).padStart(7)}/s  lost ${String(p.lost).padStart(5)}  util ${p.utilisation.toFixed(2)}  virtual ${p.virtualNsPerPacket} ns/req  host ${p.hostNsPerPacket} ns/req`,
  );
}
const k = (x: number): number => x / 1000;
const svg = linePlot({
  title: 'sddf-model echo server: offered load vs achieved throughput and CPU per request',
  xLabel: 'offered load (thousand requests per virtual second)',
  panels: [
    {
      yLabel: 'thousand requests / s',
      series: [
        {
          name: 'achieved',
          colour: '#1f77b4',
          points: sweep.points.map((p) => [k(p.offeredPps), k(p.achievedPps)]),
        },
        {
          name: 'offered',
          colour: '#999',
          dashed: true,
          points: sweep.points.map((p) => [k(p.offeredPps), k(p.offeredPps)]),
        },
      ],
    },
    {
      yLabel: 'CPU µs per request',
      series: [
        {
          name: 'virtual (model)',
          colour: '#d62728',
          points: sweep.points.map((p) => [k(p.offeredPps), p.virtualNsPerPacket / 1000]),
        },
        {
          name: 'host',
          colour: '#2ca02c',
          points: sweep.points.map((p) => [k(p.offeredPps), p.hostNsPerPacket / 1000]),
        },
      ],
    },
    {
      yLabel: 'utilisation (virtual CPU)',
      series: [
        {
          name: 'utilisation',
          colour: '#9467bd',
          points: sweep.points.map((p) => [k(p.offeredPps), p.utilisation]),
        },
      ],
    },
  ],
});
writeFileSync(`${OUT}/net-sweep.svg`, svg);
writeFileSync(`${OUT}/net-sweep.json`, JSON.stringify(sweep, null, 2));
console.log(`   wrote ${OUT}/net-sweep.svg and ${OUT}/net-sweep.json`);
report['sweep'] = sweep.points;

// 3. Workers against deterministic.
console.log(
  `3. worker mode vs deterministic mode: ${PACKETS} requests, ${RUNS} runs each, ${availableParallelism()} cores`,
);
const det: number[] = [];
const wrk: number[] = [];
for (let i = 0; i < RUNS; i++) {
  const d = runSystem({ packets: PACKETS, seed: 1, monitorEvery: NO_MONITORS }).result!;
  det.push(d.times.wallMs);
  const w = (await runSystemWorkers({ packets: PACKETS, seed: 1, timeoutMs: 600_000 })).result!;
  if (!w.ok) throw new Error(`worker run ${i} did not hold: ${w.violations.join('; ')}`);
  wrk.push(w.times.wallMs);
  console.log(
    `   run ${i + 1}: deterministic ${d.times.wallMs} ms, workers ${w.times.wallMs} ms (incl. starting 10 workers)`,
  );
}
const perSec = (ms: number): number => r0((PACKETS / ms) * 1000);
console.log(
  `   requests per wall second  deterministic min ${perSec(max(det))}  median ${perSec(median(det))}`,
);
console.log(
  `                             workers       min ${perSec(max(wrk))}  median ${perSec(median(wrk))}`,
);
console.log(
  `   ratio workers/deterministic (median wall): ${(median(det) / median(wrk)).toFixed(2)}`,
);
report['workers'] = { deterministicWallMs: det, workersWallMs: wrk };

// 4. The wire as a pcap file, and tshark if present.
const pc = runSystem({ packets: 2000, seed: 1, pcap: true }).result!;
writeFileSync(`${OUT}/net-echo.pcap`, pc.pcap!);
console.log(`4. wrote ${OUT}/net-echo.pcap (${pc.device.rxFrames + pc.device.txFrames} frames)`);
try {
  const out = execFileSync('tshark', ['-r', `${OUT}/net-echo.pcap`, '-q', '-z', 'io,stat,0'], {
    encoding: 'utf8',
  });
  const frames = /\|\s*(\d+)\s*\|\s*\d+\s*\|\s*$/m.exec(out)?.[1];
  console.log(`   tshark opened it: ${frames ?? '?'} frames`);
  report['tshark'] = { frames: Number(frames) };
} catch {
  console.log('   tshark not installed (bench/net-tshark.sh installs it on Debian); skipped');
}
writeFileSync(`${OUT}/net-bench.json`, JSON.stringify(report, null, 2));
