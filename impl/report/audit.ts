// The library call behind `sddf audit` and the audit stage of `sddf check`: read a .system file
// (or a built-in system by name), parse it with the SDF front end, read an optional roles file,
// audit, and return the outcome the renderers take. Unreadable or malformed input (file missing,
// XML not well-formed, a bad roles file) is returned as located diagnostics: the CLI exits 2.

import { existsSync } from 'node:fs';
import type { Diagnostic } from '../../spec/common/diagnostic.ts';
import { auditSystem } from '../../spec/system/audit/index.ts';
import type { AuditOutcome } from '../../spec/system/audit/outcome.ts';
import type { Arch, MicrokitVersion } from '../../spec/system/model.ts';
import type { RolesFile } from '../../spec/system/roles/vocabulary.ts';
import { checkRolesAgainstModel, readRolesFile } from '../audit/roles-file.ts';
import { parseSystemFile, SDF_CODES, type DialectChoice, type KernelConfig } from '../sdf/index.ts';
import { builtInSystemPath } from '../systems/index.ts';

export interface RunAuditOptions {
  /** A .system path, or the name of a built-in system (`echo_server`). */
  readonly system: string;
  readonly dialect?: DialectChoice;
  readonly rolesPath?: string;
  readonly firstError?: boolean;
  /** Read as this Microkit release / architecture (default: detected). */
  readonly microkit?: MicrokitVersion;
  readonly arch?: Arch;
  readonly kernel?: KernelConfig;
}

export type RunAuditResult =
  | { readonly ok: true; readonly outcome: AuditOutcome }
  | { readonly ok: false; readonly unreadable: readonly Diagnostic[] };

/** SDF codes that mean "could not read it at all" (exit 2) rather than "invalid system" (exit 1). */
export const UNREADABLE_CODES: ReadonlySet<string> = new Set([
  SDF_CODES.io,
  SDF_CODES.xml,
  SDF_CODES.template,
]);

export function resolveSystemPath(system: string): string {
  if (existsSync(system)) return system;
  return builtInSystemPath(system) ?? system;
}

export function runAudit(opts: RunAuditOptions): RunAuditResult {
  const file = resolveSystemPath(opts.system);
  const parsed = parseSystemFile(file, {
    ...(opts.dialect !== undefined ? { dialect: opts.dialect } : {}),
    ...(opts.firstError === true ? { firstError: true } : {}),
    ...(opts.microkit !== undefined ? { microkit: opts.microkit } : {}),
    ...(opts.arch !== undefined ? { arch: opts.arch } : {}),
    ...(opts.kernel !== undefined ? { kernel: opts.kernel } : {}),
  });
  const unreadable = parsed.errors.filter((e) => UNREADABLE_CODES.has(e.code));
  const model = parsed.model ?? parsed.partialModel;
  if (unreadable.length > 0 || model === undefined) {
    return { ok: false, unreadable: unreadable.length > 0 ? unreadable : parsed.errors };
  }
  let roles: RolesFile | undefined;
  if (opts.rolesPath !== undefined) {
    const read = readRolesFile(opts.rolesPath);
    if (!read.ok) return { ok: false, unreadable: read.errors };
    const unknown = checkRolesAgainstModel(read.roles, model);
    if (unknown.length > 0) return { ok: false, unreadable: unknown };
    roles = read.roles;
  }
  const report = auditSystem(model, roles === undefined ? {} : { roles });
  return {
    ok: true,
    outcome: {
      file,
      ...(parsed.dialect !== undefined ? { dialect: parsed.dialect } : {}),
      dialectReason: parsed.dialectReason,
      ...(parsed.microkit !== undefined ? { microkit: parsed.microkit } : {}),
      ...(parsed.targetReason !== undefined ? { targetReason: parsed.targetReason } : {}),
      errors: parsed.errors,
      warnings: parsed.warnings,
      report,
    },
  };
}
