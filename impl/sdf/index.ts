// Public API of the SDF front end (issue #4, #10): parse + validate a Microkit System Description
// File into the typed SystemModel, and emit a model back as SDF. Data flows one way:
// text → xml.ts (located tree) → dialect.ts (release + architecture) → parse.ts (local checks) →
// validate.ts (global checks) → SystemModel. The auditor, the runtime and the CLI code against
// this file only.

import { readFileSync } from 'node:fs';
import type {
  Arch,
  Dialect,
  MicrokitTarget,
  MicrokitVersion,
  SystemModel,
} from '../../spec/system/model.ts';
import { MICROKIT_VERSIONS } from '../../spec/system/model.ts';
import { ParseContext, type KernelConfig, type PrefillResolver } from './context.ts';
import {
  detectTarget,
  versionAtLeast,
  type DialectChoice,
  type DialectDecision,
} from './dialect.ts';
import { SDF_CODES, sdfError, sdfWarning, type SdfDiagnostic } from './diagnostics.ts';
import { parseSystemElement } from './parse.ts';
import { templateDiagnostic } from './template.ts';
import { assembleModel, validateSystem } from './validate.ts';
import { parseXml, type XmlElement } from './xml.ts';

export type { DialectChoice } from './dialect.ts';
export type { KernelConfig, PrefillResolver } from './context.ts';
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
  /** The Microkit release and architecture the file was read as (absent when unreadable). */
  readonly microkit?: MicrokitTarget;
  /** Why this release and architecture. */
  readonly targetReason?: string;
  /** Microkit-level validation errors, in Microkit's processing order (errors[0] is its first). */
  readonly errors: readonly SdfDiagnostic[];
  /** E.g. unused memory region (Microkit prints a warning and carries on). */
  readonly warnings: readonly SdfDiagnostic[];
}

export interface ParseSystemOptions {
  readonly file: string;
  readonly dialect?: DialectChoice;
  /** Read as this Microkit release (implies the dialect); default: detected. */
  readonly microkit?: MicrokitVersion;
  /** Read for this architecture; default: x86_64 when x86 syntax is present, else aarch64. */
  readonly arch?: Arch;
  /** Only the first error, in Microkit's processing order (microkit-sdf.md §1.4). */
  readonly firstError?: boolean;
  /** Cores of the target board (shorthand for `kernel.cores`). */
  readonly cores?: number;
  /** What Microkit reads from the kernel build; unknown values skip the checks that need them. */
  readonly kernel?: KernelConfig;
  /** Finds prefill files (Microkit's search path); without it they are not checked. */
  readonly prefill?: PrefillResolver;
}

interface Attempt {
  readonly ctx: ParseContext;
  readonly model: SystemModel;
}

function attempt(
  root: XmlElement,
  opts: ParseSystemOptions,
  d: DialectDecision,
  version: MicrokitVersion,
): Attempt {
  const kernel: KernelConfig = {
    ...(opts.cores === undefined ? {} : { cores: opts.cores }),
    ...opts.kernel,
  };
  const ctx = new ParseContext({
    file: opts.file,
    target: { version, arch: d.target.arch },
    tolerated: d.tolerated,
    kernel,
    ...(opts.prefill === undefined ? {} : { prefill: opts.prefill }),
  });
  if (d.mixed !== undefined) {
    const { legacy, modern } = d.mixed;
    ctx.warn(
      SDF_CODES.mixedDialect,
      `this file mixes the two SDF dialects: ${legacy.what} at ${legacy.loc.line}:${legacy.loc.column} is Microkit 1.x syntax, ${modern.what} at ${modern.loc.line}:${modern.loc.column} needs Microkit ${modern.since}+; no release accepts both (read with both meanings)`,
      legacy.loc,
    );
  }
  const local = parseSystemElement(ctx, root);
  const validated = validateSystem(ctx, local);
  return { ctx, model: assembleModel(ctx, local, validated) };
}

/**
 * Errors that some older 2.x release does not give (2.3 reserves `monitor` from 2.1, moves the
 * stack below an IPC buffer, refuses VM scheduling attributes off aarch64 and x86 VMM children or
 * PPCs, bounds the x86 vector). Any other error every 2.x release gives, so when 2.3 reports one of
 * those no older release can accept the file and none is tried (docs/adr/005-sdf-parser.md).
 */
const RELEASE_DEPENDENT: ReadonlySet<string> = new Set([
  SDF_CODES.reservedPdName,
  SDF_CODES.mapVaddrMax,
  SDF_CODES.mapBound,
  SDF_CODES.invalidAttr,
  SDF_CODES.x86Vm,
  SDF_CODES.irqX86,
]);

/**
 * The releases that accept every marker of the file, newest first: the file is read as the newest
 * one that accepts it, or, if none does, as the newest (whose errors are reported). A forced choice
 * has one candidate.
 */
function candidates(d: DialectDecision, forced: boolean): MicrokitVersion[] {
  if (forced || d.dialect === '1') return [d.target.version];
  const oldest = d.minVersion;
  return [...MICROKIT_VERSIONS].reverse().filter((v) => versionAtLeast(v, oldest) && v !== '1.4');
}

export function parseSystem(text: string, opts: ParseSystemOptions): ParseResult {
  const xml = parseXml(text, opts.file);
  if (!xml.ok) {
    const template = templateDiagnostic(text, opts.file);
    return {
      dialectReason: 'the XML could not be parsed',
      errors: [template ?? xml.error],
      warnings: [],
    };
  }
  const root = xml.root;
  const forced = opts.dialect !== undefined && opts.dialect !== 'auto';
  const decision = detectTarget(root, {
    ...(opts.dialect === undefined ? {} : { dialect: opts.dialect }),
    ...(opts.microkit === undefined ? {} : { version: opts.microkit }),
    ...(opts.arch === undefined ? {} : { arch: opts.arch }),
  });
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
      microkit: decision.target,
      targetReason: decision.targetReason,
      errors: [error],
      warnings: [],
    };
  }
  const versions = candidates(decision, forced || opts.microkit !== undefined);
  let chosen: Attempt | undefined;
  let first: Attempt | undefined;
  for (const v of versions) {
    const a = attempt(root, opts, decision, v);
    first ??= a;
    if (a.ctx.errors.length === 0) {
      chosen = a;
      break;
    }
    if (!a.ctx.errors.every((e) => RELEASE_DEPENDENT.has(e.code))) break;
  }
  const used = chosen ?? first;
  if (used === undefined) throw new Error('no candidate release');
  const ctx = used.ctx;
  const target = ctx.opts.target;
  const why =
    target.version === decision.target.version
      ? decision.targetReason
      : `${decision.targetReason}; Microkit ${decision.target.version} rejects it, ${target.version} accepts it`;
  const errors = opts.firstError === true ? ctx.errors.slice(0, 1) : ctx.errors;
  const warnings = [...ctx.warnings];
  const newest = first?.ctx.errors[0];
  if (chosen !== undefined && chosen !== first && newest !== undefined && first !== undefined) {
    // Valid for an older release only: not an error (the file may target it), but say so.
    const v = first.ctx.opts.target.version;
    warnings.push(
      sdfWarning(
        SDF_CODES.olderRelease,
        `valid for Microkit ${target.version}, but Microkit ${v} rejects it: ${newest.message} (at ${newest.line ?? 0}:${newest.column ?? 0})`,
        { file: opts.file, line: newest.line ?? 1, column: newest.column ?? 1 },
      ),
    );
  }
  return {
    ...(ctx.errors.length === 0 ? { model: used.model } : {}),
    partialModel: used.model,
    dialect: decision.dialect,
    dialectReason: decision.reason,
    microkit: target,
    targetReason: why,
    errors,
    warnings,
  };
}

export function parseSystemFile(
  path: string,
  opts: Omit<ParseSystemOptions, 'file'> = {},
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
