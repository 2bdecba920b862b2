// A located user error (STYLE.md): `{code, message, file, line, column}`.
// Shown as `file:line:column: message` (Microkit's shape, tool/microkit/src/sdf.rs).

export interface Diagnostic {
  /** Stable code, e.g. `SDF012` or `QUEUE_CAPACITY`. */
  readonly code: string;
  readonly message: string;
  readonly file?: string;
  /** 1-based. */
  readonly line?: number;
  /** 1-based. */
  readonly column?: number;
}

export function formatDiagnostic(d: Diagnostic): string {
  const where = [d.file, d.line, d.column].filter((x) => x !== undefined).join(':');
  return where === '' ? `${d.code}: ${d.message}` : `${where}: ${d.code}: ${d.message}`;
}

/** Bad user input, thrown across a boundary that cannot return a value; the CLI maps it to exit 2. */
export class UserError extends Error {
  override name = 'UserError';
  constructor(readonly diagnostic: Diagnostic) {
    super(formatDiagnostic(diagnostic));
  }
}
