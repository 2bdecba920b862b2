// Public API of the SDF front end (issue #4): parse + validate a Microkit System Description File
// into the typed SystemModel, and emit a model back as SDF. Data flows one way:
// text → xml.ts (located tree) → dialect.ts → parse.ts (local checks) → validate.ts (global
// checks) → SystemModel. The auditor, the runtime and the CLI code against this file only.

import { readFileSync } from 'node:fs';
import type { Dialect, SystemModel } from '../../spec/system/model.ts';
import { ParseContext } from './context.ts';
import { detectDialect, type DialectChoice } from './dialect.ts';
import { SDF_CODES, sdfError, type SdfDiagnostic } from './diagnostics.ts';
import { parseSystemElement } from './parse.ts';
import { assembleModel, validateSystem } from './validate.ts';
import { parseXml } from './xml.ts';

export type { DialectChoice } from './dialect.ts';
export type { SdfDiagnostic, SdfCode } from './diagnostics.ts';
export { SDF_CODES } from './diagnostics.ts';
export { emitSystem } from './emit.ts';

export interface ParseResult {
  /** Present exactly when `errors` is empty: a model the runtime may trust. */
  readonly model?: SystemModel;
  /**
   * Best-effort model whenever the XML was well-formed and the root is <system>, even with
   * Microkit errors: elements with bad values are left out or take their defaults. For the auditor,
   * which reports findings next to errors; never for the runtime.
   */
  readonly partialModel?: SystemModel;
  /** Detected or forced; absent only when the XML could not be read. */
  readonly dialect?: Dialect;
  /** Why this dialect, e.g. `pp on <protection_domain> at line 40`. */
  readonly dialectReason: string;
  /** Microkit-level validation errors, in Microkit's processing order (errors[0] is its first). */
  readonly errors: readonly SdfDiagnostic[];
  /** E.g. unused memory region (Microkit prints a warning and carries on). */
  readonly warnings: readonly SdfDiagnostic[];
}

export interface ParseSystemOptions {
  readonly file: string;
  readonly dialect?: DialectChoice;
  /** Only the first error, in Microkit's processing order (microkit-sdf.md §1.4). */
  readonly firstError?: boolean;
  /** Cores of the target board; `cpu` attributes are range-checked against it when given. */
  readonly cores?: number;
}

export function parseSystem(text: string, opts: ParseSystemOptions): ParseResult {
  const xml = parseXml(text, opts.file);
  if (!xml.ok) {
    return { dialectReason: 'the XML could not be parsed', errors: [xml.error], warnings: [] };
  }
  const root = xml.root;
  const decision = detectDialect(root, opts.dialect ?? 'auto');
  if (root.tag !== 'system') {
    // Microkit panics when the document element is not <system>; we report it.
    const error = sdfError(
      SDF_CODES.root,
      `root element must be 'system', found '${root.tag}'`,
      root.loc,
    );
    return {
      dialect: decision.dialect,
      dialectReason: decision.reason,
      errors: [error],
      warnings: [],
    };
  }
  const ctx = new ParseContext({
    file: opts.file,
    dialect: decision.dialect,
    ...(opts.cores === undefined ? {} : { cores: opts.cores }),
  });
  const local = parseSystemElement(ctx, root);
  const validated = validateSystem(ctx, local);
  const partialModel = assembleModel(ctx, local, validated);
  const errors = opts.firstError === true ? ctx.errors.slice(0, 1) : ctx.errors;
  return {
    ...(ctx.errors.length === 0 ? { model: partialModel } : {}),
    partialModel,
    dialect: decision.dialect,
    dialectReason: decision.reason,
    errors,
    warnings: ctx.warnings,
  };
}

export function parseSystemFile(
  path: string,
  opts: {
    readonly dialect?: DialectChoice;
    readonly firstError?: boolean;
    readonly cores?: number;
  } = {},
): ParseResult {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    const why = e instanceof Error ? e.message : String(e);
    const error: SdfDiagnostic = {
      code: SDF_CODES.io,
      message: `could not read '${path}': ${why}`,
      file: path,
      severity: 'error',
    };
    return { dialectReason: 'the file could not be read', errors: [error], warnings: [] };
  }
  return parseSystem(text, { file: path, ...opts });
}
