// Captured Io for the sddf mc / sddf replay command tests.
import type { Io } from '../../../cli/output.ts';

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
