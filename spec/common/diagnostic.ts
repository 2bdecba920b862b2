// A located user error (STYLE.md): `{code, message, file, line, column}`.
// Shown as `file:line:column: message` (Microkit's shape, tool/microkit/src/sdf.rs).

export interface Diagnostic {
  /**
   * Stable code. The library's own codes form the closed union `ErrorCode` below; the SDF front
   * end has its own (`SDF_*`, impl/sdf/diagnostics.ts), so the field stays a string.
   */
  readonly code: string;
  readonly message: string;
  readonly file?: string;
  /** 1-based. */
  readonly line?: number;
  /** 1-based. */
  readonly column?: number;
}

/**
 * The library's error codes (model checking, traces, the check pipeline, the command line), each
 * with its one-line meaning (EXAMPLES.md §3: a closed union, so a renderer or a script can switch
 * on it exhaustively). `--format json` prints the code in its error document (docs/cli.md).
 */
export const ERROR_CODES = {
  USAGE: 'bad command-line arguments (unknown option, missing or malformed value)',
  MC_MODEL: 'no built-in model has this name',
  MC_MODULE: 'a model module (--model FILE) could not be loaded or does not export a model entry',
  MC_BUG: 'the model has no bug variant with this id',
  MC_BOUND: 'a bound is unknown to the model or outside its range',
  MC_MEMORY_MODEL: 'the memory model is not one of sc, tso, pso, armv8, rvwmo',
  MC_GUIDE:
    'a guide trace (--guide FILE) is for another model or names a step the model does not have',
  ITF: 'a trace file is unreadable, not JSON, or not ITF (schema)',
  ITF_META: 'a trace has no sddf-model #meta (model and options) to replay it with',
  SYSTEM_UNKNOWN: 'no .system file and no built-in system has this name',
  PROVE_UNKNOWN: 'no proof obligation has this name',
  MUTANT_UNKNOWN: 'no seeded-bug variant has this id',
  MC_RESULT:
    'a shard result (sddf mc-merge) is unreadable, not a shard result, or from another swarm',
} as const;

export type ErrorCode = keyof typeof ERROR_CODES;

export function isErrorCode(code: string): code is ErrorCode {
  return Object.hasOwn(ERROR_CODES, code);
}

export function formatDiagnostic(d: Diagnostic): string {
  const where = [d.file, d.line, d.column].filter((x) => x !== undefined).join(':');
  return where === '' ? `${d.code}: ${d.message}` : `${where}: ${d.code}: ${d.message}`;
}

/**
 * Brand shared by every copy of this module: a user's model module loaded by `sddf mc --model`
 * imports the library from source while the command runs a compiled copy (docs/adr/001), so a
 * class identity check alone would miss that module's errors.
 */
const USER_ERROR_BRAND = Symbol.for('sddf-model.UserError');

/** Bad user input, thrown across a boundary that cannot return a value; the CLI maps it to exit 2. */
export class UserError extends Error {
  override name = 'UserError';
  readonly [USER_ERROR_BRAND] = true;
  /** Every diagnostic when there are several (e.g. an unreadable file and a bad roles file). */
  readonly diagnostics: readonly Diagnostic[];
  constructor(
    readonly diagnostic: Diagnostic,
    more: readonly Diagnostic[] = [],
  ) {
    super(formatDiagnostic(diagnostic));
    this.diagnostics = [diagnostic, ...more];
  }

  static override [Symbol.hasInstance](x: unknown): boolean {
    if (this !== UserError) return Function.prototype[Symbol.hasInstance].call(this, x);
    return typeof x === 'object' && x !== null && USER_ERROR_BRAND in x;
  }
}
