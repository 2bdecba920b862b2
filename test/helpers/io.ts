// A capturing Io for tests that run the sddf command through cli/main.ts.
import type { Io } from '../../cli/output.ts';

export function captureIo(): Io & { stdout: string[]; stderr: string[] } {
  const stdout: string[] = [];
  const stderr: string[] = [];
  return {
    stdout,
    stderr,
    out: (t) => stdout.push(t),
    err: (t) => stderr.push(t),
    progressTty: false,
    colour: false,
  };
}
