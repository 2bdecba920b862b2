// Rendering and exit status shared by every subcommand (../shared/CLI.md "Exit status", "Output").
// Light on purpose: every command module loads it, and `sddf --help` loads nothing else of ours.
import type { Diagnostic, ErrorCode } from '../spec/common/diagnostic.ts';

export const EXIT_OK = 0;
export const EXIT_FAILED = 1;
export const EXIT_CANNOT_RUN = 2;

export type OutputFormat = 'text' | 'json';

export interface Io {
  out: (text: string) => void;
  err: (text: string) => void;
  /**
   * Rewrites the progress line on stderr (states, depth, states/s, elapsed); called only when
   * `progressTty` is true and `--quiet` is not given.
   */
  progress: (line: string) => void;
  /** Clears the progress line (before the result is printed). */
  endProgress: () => void;
  /** True when stderr is a TTY: progress lines only then (CLI.md). */
  readonly progressTty: boolean;
  /** Colour only on a TTY, and never with NO_COLOR. */
  readonly colour: boolean;
}

export function processIo(): Io {
  const tty = Boolean(process.stderr.isTTY);
  const noColour = process.env['NO_COLOR'] !== undefined && process.env['NO_COLOR'] !== '';
  let shown = false;
  return {
    out: (t) => process.stdout.write(t.endsWith('\n') ? t : `${t}\n`),
    err: (t) => process.stderr.write(t.endsWith('\n') ? t : `${t}\n`),
    progress: (line) => {
      shown = true;
      process.stderr.write(`\r${line}\u001b[K`);
    },
    endProgress: () => {
      if (shown) process.stderr.write('\r\u001b[K');
      shown = false;
    },
    progressTty: tty,
    colour: Boolean(process.stdout.isTTY) && !noColour,
  };
}

/** `--format json` prints exactly one JSON document on stdout and nothing else on stdout. */
export function printJson(io: Io, doc: unknown): void {
  io.out(JSON.stringify(doc, null, 2));
}

/**
 * The one JSON document of a run that could not run (exit 2) under `--format json`:
 * `{"error": {code, message, file?, line?, column?}, "errors"?: [...]}` (docs/cli.md).
 */
export function errorDocument(diagnostics: readonly Diagnostic[]): unknown {
  const plain = (d: Diagnostic): Diagnostic => ({
    code: d.code,
    message: d.message,
    ...(d.file !== undefined ? { file: d.file } : {}),
    ...(d.line !== undefined ? { line: d.line } : {}),
    ...(d.column !== undefined ? { column: d.column } : {}),
  });
  const [first, ...rest] = diagnostics.map(plain);
  return { error: first, ...(rest.length > 0 ? { errors: [first, ...rest] } : {}) };
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

/** Bad arguments: exit status 2, code USAGE (shown without the code: the message says it all). */
export class CliUsageError extends Error {
  override name = 'CliUsageError';
  readonly code: ErrorCode = 'USAGE';
}

/** Progress of a model-checking run as one line: states, depth, states/s, memory, elapsed. */
export function progressLine(p: {
  readonly states: number;
  readonly depth: number;
  readonly statesPerSecond: number;
  readonly memoryBytes: number;
  readonly seconds: number;
}): string {
  return (
    `${p.states} states  depth ${p.depth}  ${p.statesPerSecond} states/s  ` +
    `${(p.memoryBytes / 2 ** 20).toFixed(0)} MiB  ${p.seconds.toFixed(1)} s`
  );
}
