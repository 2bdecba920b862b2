// Stage 1 of `sddf check`: resolve the system (a .system path or a built-in name), parse and audit
// it once. CLI.md: unreadable or malformed input means "could not run" (exit 2), decided before
// any check runs; an invalid or insecure system is a finding of the audit stage (exit 1).
import { existsSync } from 'node:fs';
import { UserError } from '../../spec/common/diagnostic.ts';
import { runAudit } from '../../impl/report/audit.ts';
import { builtInSystemPath, builtInSystems } from '../../impl/systems/index.ts';
import type { CheckRequest, LoadedSystem } from './types.ts';

/** The .system file `system` names; an unknown name lists the built-in systems. */
export function resolveSystem(system: string): string {
  if (existsSync(system)) return system;
  const builtIn = builtInSystemPath(system);
  if (builtIn !== undefined) return builtIn;
  throw new UserError({
    code: 'SYSTEM_UNKNOWN',
    message:
      `no .system file and no built-in system named '${system}' ` +
      `(built-in systems: ${builtInSystems().join(', ')})`,
  });
}

export function loadSystem(req: CheckRequest): LoadedSystem {
  const file = resolveSystem(req.system);
  const started = performance.now();
  const audited = runAudit({ system: file });
  const auditSeconds = (performance.now() - started) / 1000;
  if (!audited.ok) {
    const [first, ...rest] = audited.unreadable;
    throw new UserError(
      first ?? { code: 'SDF_IO', file, message: 'could not read the system' },
      rest,
    );
  }
  return { ...req, file, audit: audited.outcome, auditSeconds };
}
