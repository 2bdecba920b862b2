// The memory bound of a model-checking run (issue #11 part 7): a run that would grow its tables
// past the bound stops as `incomplete` (reason `maxMemory`) with its statistics, instead of being
// killed by the machine. The default is a share of the machine's memory, or of the control group's
// limit when the run is in a container (a CI runner's limit is usually below the host's memory).
import { readFileSync } from 'node:fs';
import { totalmem } from 'node:os';

/** Share of the machine's (or container's) memory a run may use by default. */
export const DEFAULT_MEMORY_SHARE = 0.5;

/** The container's memory limit in bytes (cgroup v2 or v1), or undefined when there is none. */
function cgroupLimitBytes(): number | undefined {
  for (const file of ['/sys/fs/cgroup/memory.max', '/sys/fs/cgroup/memory/memory.limit_in_bytes']) {
    try {
      const text = readFileSync(file, 'utf8').trim();
      const n = Number(text);
      // "max" (v2) or a huge number (v1: no limit) mean unlimited.
      if (Number.isSafeInteger(n) && n > 0 && n < 2 ** 50) return n;
    } catch {
      // Not in a cgroup of that version: try the next file.
    }
  }
  return undefined;
}

/** The default bound: DEFAULT_MEMORY_SHARE of min(physical memory, container limit). */
export function defaultMaxMemoryBytes(): number {
  const limit = cgroupLimitBytes();
  const total = limit === undefined ? totalmem() : Math.min(limit, totalmem());
  return Math.floor(total * DEFAULT_MEMORY_SHARE);
}

const UNITS: Readonly<Record<string, number>> = {
  '': 1,
  b: 1,
  k: 2 ** 10,
  kb: 2 ** 10,
  kib: 2 ** 10,
  m: 2 ** 20,
  mb: 2 ** 20,
  mib: 2 ** 20,
  g: 2 ** 30,
  gb: 2 ** 30,
  gib: 2 ** 30,
  t: 2 ** 40,
  tb: 2 ** 40,
  tib: 2 ** 40,
};

/**
 * `--max-memory` values: a number of bytes with an optional binary unit (`512M`, `2G`, `1.5GiB`),
 * or a percentage of the default basis (`25%` of the machine's or container's memory). Returns
 * null when the text is not one of these.
 */
export function parseMemorySize(text: string): number | null {
  const pct = /^\s*(\d+(?:\.\d+)?)\s*%\s*$/.exec(text);
  if (pct !== null) {
    const share = Number(pct[1]) / 100;
    if (!(share > 0 && share <= 1)) return null;
    return Math.floor((defaultMaxMemoryBytes() / DEFAULT_MEMORY_SHARE) * share);
  }
  const m = /^\s*(\d+(?:\.\d+)?)\s*([a-zA-Z]*)\s*$/.exec(text);
  if (m === null) return null;
  const unit = UNITS[m[2]!.toLowerCase()];
  if (unit === undefined) return null;
  const bytes = Math.floor(Number(m[1]) * unit);
  return Number.isSafeInteger(bytes) && bytes > 0 ? bytes : null;
}
