// Rendering and exit status shared by every subcommand (../shared/CLI.md "Exit status", "Output").

export const EXIT_OK = 0;
export const EXIT_FAILED = 1;
export const EXIT_CANNOT_RUN = 2;

export type OutputFormat = 'text' | 'json';

export interface Io {
  out: (text: string) => void;
  err: (text: string) => void;
  /** True when stderr is a TTY: progress lines only then (CLI.md). */
  readonly progressTty: boolean;
  /** Colour only on a TTY, and never with NO_COLOR. */
  readonly colour: boolean;
}

export function processIo(): Io {
  const tty = Boolean(process.stderr.isTTY);
  const noColour = process.env['NO_COLOR'] !== undefined && process.env['NO_COLOR'] !== '';
  return {
    out: (t) => process.stdout.write(t.endsWith('\n') ? t : `${t}\n`),
    err: (t) => process.stderr.write(t.endsWith('\n') ? t : `${t}\n`),
    progressTty: tty,
    colour: Boolean(process.stdout.isTTY) && !noColour,
  };
}

/** `--format json` prints exactly one JSON document on stdout and nothing else on stdout. */
export function printJson(io: Io, doc: unknown): void {
  io.out(JSON.stringify(doc, null, 2));
}

export function paint(io: Io, colour: 'red' | 'green' | 'yellow' | 'dim', text: string): string {
  if (!io.colour) return text;
  const code = { red: 31, green: 32, yellow: 33, dim: 2 }[colour];
  return `\u001b[${code}m${text}\u001b[0m`;
}

export function parseFormat(value: string, allowed: readonly string[]): string {
  if (!allowed.includes(value)) {
    throw new CliUsageError(`--format must be one of ${allowed.join(', ')} (got '${value}')`);
  }
  return value;
}

export function parseIntOption(name: string, value: string): number {
  const n = Number(value.replaceAll('_', ''));
  if (!Number.isSafeInteger(n) || n < 0) {
    throw new CliUsageError(`${name} must be a non-negative integer (got '${value}')`);
  }
  return n;
}

/** Bad arguments: exit status 2. */
export class CliUsageError extends Error {
  override name = 'CliUsageError';
}
