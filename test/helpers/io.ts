// A capturing Io for tests that run the sddf command through cli/main.ts.
import type { Io } from '../../cli/output.ts';

export function captureIo(
  o: { tty?: boolean } = {},
): Io & { stdout: string[]; stderr: string[]; progressLines: string[] } {
  const stdout: string[] = [];
  const stderr: string[] = [];
  const progressLines: string[] = [];
  return {
    stdout,
    stderr,
    progressLines,
    out: (t) => stdout.push(t),
    err: (t) => stderr.push(t),
    progress: (line) => progressLines.push(line),
    endProgress: () => {},
    progressTty: o.tty === true,
    colour: false,
  };
}
