// Reading a roles file (least-privilege-policy.md "Roles"): JSON with a located reader, so a wrong
// role, kind or key is reported where it is written, and the names it uses checked against the
// system. The file format's vocabulary is spec/system/roles/vocabulary.ts.

import { readFileSync } from 'node:fs';
import type { Diagnostic } from '../../spec/common/diagnostic.ts';
import type { SourceLocation, SystemModel } from '../../spec/system/model.ts';
import {
  MR_KINDS,
  PD_ROLES,
  type MrKind,
  type PdRole,
  type RolesFile,
  type RolesFileEntry,
} from '../../spec/system/roles/vocabulary.ts';
import { parseLocatedJson, type LJson } from './located-json.ts';

const ROLES_CODE = 'ROLES';

/** Parse and validate a roles file (format: least-privilege-policy.md "Roles"). */
export function parseRolesFile(
  text: string,
  file: string,
): { readonly roles?: RolesFile; readonly errors: readonly Diagnostic[] } {
  const parsed = parseLocatedJson(text);
  if (!parsed.ok) {
    return {
      errors: [
        { code: ROLES_CODE, message: `not valid JSON: ${parsed.message}`, file, ...parsed.pos },
      ],
    };
  }
  const errors: Diagnostic[] = [];
  const err = (message: string, at: { line: number; column: number }): void => {
    errors.push({ code: ROLES_CODE, message, file, line: at.line, column: at.column });
  };
  const pds = new Map<string, RolesFileEntry<PdRole>>();
  const mrs = new Map<string, RolesFileEntry<MrKind>>();
  const root = parsed.value;
  if (root.type !== 'object') {
    err('a roles file is a JSON object with "pds" and/or "mrs"', root.pos);
    return { errors };
  }
  const loc = (at: { line: number; column: number }): SourceLocation => ({ file, ...at });
  for (const section of root.entries) {
    if (section.key !== 'pds' && section.key !== 'mrs') {
      err(`unknown key '${section.key}' (expected "pds" or "mrs")`, section.keyPos);
      continue;
    }
    if (section.value.type !== 'object') {
      err(`"${section.key}" must be an object of name → value`, section.value.pos);
      continue;
    }
    for (const e of section.value.entries) {
      if (section.key === 'pds') {
        const role = asEnum(e.value, PD_ROLES);
        if (role === undefined) {
          err(`PD '${e.key}': role must be one of ${PD_ROLES.join(', ')}`, e.value.pos);
        } else {
          if (pds.has(e.key)) err(`PD '${e.key}' given twice`, e.keyPos);
          pds.set(e.key, { value: role, loc: loc(e.keyPos) });
        }
        continue;
      }
      const entry = mrEntry(e.value, (m, at) => err(`MR '${e.key}': ${m}`, at));
      if (entry === undefined) continue;
      if (mrs.has(e.key)) err(`MR '${e.key}' given twice`, e.keyPos);
      mrs.set(e.key, { ...entry, loc: loc(e.keyPos) });
    }
  }
  return errors.length > 0 ? { errors } : { roles: { file, pds, mrs }, errors };
}

function asEnum<T extends string>(v: LJson, allowed: readonly T[]): T | undefined {
  return v.type === 'string' ? allowed.find((a) => a === v.value) : undefined;
}

function mrEntry(
  v: LJson,
  err: (message: string, at: { line: number; column: number }) => void,
): { value: MrKind; owner?: string } | undefined {
  const kindMsg = `kind must be one of ${MR_KINDS.join(', ')}`;
  if (v.type === 'string') {
    const kind = asEnum(v, MR_KINDS);
    if (kind === undefined) err(kindMsg, v.pos);
    return kind === undefined ? undefined : { value: kind };
  }
  if (v.type !== 'object') {
    err('expected a kind string or {"kind": ..., "owner": ...}', v.pos);
    return undefined;
  }
  let kind: MrKind | undefined;
  let owner: string | undefined;
  let ok = true;
  for (const f of v.entries) {
    if (f.key === 'kind') {
      kind = asEnum(f.value, MR_KINDS);
      if (kind === undefined) {
        err(kindMsg, f.value.pos);
        ok = false;
      }
    } else if (f.key === 'owner') {
      if (f.value.type === 'string') owner = f.value.value;
      else {
        err('owner must be a PD name (string)', f.value.pos);
        ok = false;
      }
    } else {
      err(`unknown key '${f.key}' (expected "kind" or "owner")`, f.keyPos);
      ok = false;
    }
  }
  if (ok && kind === undefined) err('missing "kind"', v.pos);
  if (!ok || kind === undefined) return undefined;
  return owner === undefined ? { value: kind } : { value: kind, owner };
}

/** Names in a roles file that the system does not declare: located errors. */
export function checkRolesAgainstModel(roles: RolesFile, model: SystemModel): Diagnostic[] {
  const pdNames = new Set(model.pds.map((p) => p.name));
  const vmNames = new Set(
    model.pds.flatMap((p) => (p.virtualMachine ? [p.virtualMachine.name] : [])),
  );
  const mrNames = new Set(model.memoryRegions.map((m) => m.name));
  const out: Diagnostic[] = [];
  const at = (loc: SourceLocation, message: string): Diagnostic => ({
    code: ROLES_CODE,
    message,
    ...loc,
  });
  for (const [name, e] of roles.pds) {
    if (!pdNames.has(name) && !vmNames.has(name))
      out.push(at(e.loc, `no PD named '${name}' in ${model.file}`));
  }
  for (const [name, e] of roles.mrs) {
    if (!mrNames.has(name))
      out.push(at(e.loc, `no memory region named '${name}' in ${model.file}`));
    if (e.owner !== undefined && !pdNames.has(e.owner)) {
      out.push(at(e.loc, `owner '${e.owner}' of MR '${name}' is not a PD of ${model.file}`));
    }
  }
  return out;
}

/** Read and parse a roles file; an unreadable file is a located diagnostic, never a throw. */
export function readRolesFile(
  path: string,
):
  | { readonly ok: true; readonly roles: RolesFile }
  | { readonly ok: false; readonly errors: readonly Diagnostic[] } {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    const why = e instanceof Error ? e.message : String(e);
    return {
      ok: false,
      errors: [{ code: ROLES_CODE, message: `could not read roles file: ${why}`, file: path }],
    };
  }
  const parsed = parseRolesFile(text, path);
  return parsed.roles === undefined
    ? { ok: false, errors: parsed.errors }
    : { ok: true, roles: parsed.roles };
}
