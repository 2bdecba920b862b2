// Test helpers: parse a fixture with the real SDF front end and audit it.
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { SHARED_SDF_FIXTURES } from '../../../helpers/shared.ts';
import { parseSystemFile } from '../../../../impl/sdf/index.ts';
import type { SystemModel } from '../../../../spec/system/model.ts';
import { auditSystem, type AuditReport } from '../../../../spec/system/audit/index.ts';
import type { RolesFile } from '../../../../spec/system/roles/vocabulary.ts';

export const SHARED_FIXTURES = SHARED_SDF_FIXTURES;
export const AUDIT_FIXTURES = join(import.meta.dirname, '../../../fixtures/audit');

/** The .system files of a folder; none when the folder is absent (the shared corpus may be). */
export function systemFiles(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((f) => f.endsWith('.system'))
    .sort()
    .map((f) => join(dir, f));
}

export function loadModel(path: string): SystemModel {
  const r = parseSystemFile(path);
  if (r.model === undefined) {
    throw new Error(`${path} does not parse: ${r.errors.map((e) => e.message).join('; ')}`);
  }
  return r.model;
}

export function auditFile(path: string, roles?: RolesFile): AuditReport {
  return auditSystem(loadModel(path), roles === undefined ? {} : { roles });
}
