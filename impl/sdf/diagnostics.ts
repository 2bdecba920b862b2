// Stable diagnostic codes of the SDF front end, one per Microkit rule (microkit-sdf.md §1.5).
// Messages keep Microkit's wording (tool/microkit/src/sdf.rs `value_error`, `checked_lookup`) without
// the `Error: ` prefix and the trailing location, which we carry as {file, line, column}.

import type { Diagnostic } from '../../spec/common/diagnostic.ts';
import type { SourceLocation } from '../../spec/system/model.ts';

export interface SdfDiagnostic extends Diagnostic {
  readonly severity: 'error' | 'warning';
}

export const SDF_CODES = {
  io: 'SDF_IO',
  xml: 'SDF_XML',
  root: 'SDF_ROOT',
  invalidElement: 'SDF_INVALID_ELEMENT',
  unsupported: 'SDF_UNSUPPORTED',
  vmTopLevel: 'SDF_VM_TOP_LEVEL',
  unexpectedText: 'SDF_UNEXPECTED_TEXT',
  invalidAttr: 'SDF_INVALID_ATTR',
  missingAttr: 'SDF_MISSING_ATTR',
  badNumber: 'SDF_BAD_NUMBER',
  badBool: 'SDF_BAD_BOOL',
  pageSize: 'SDF_PAGE_SIZE',
  mrSizeAlign: 'SDF_MR_SIZE_ALIGN',
  mrPhysAlign: 'SDF_MR_PHYS_ALIGN',
  priority: 'SDF_PRIORITY',
  budgetPeriod: 'SDF_BUDGET_PERIOD',
  stackSizeRange: 'SDF_STACK_SIZE_RANGE',
  stackSizeAlign: 'SDF_STACK_SIZE_ALIGN',
  cpu: 'SDF_CPU',
  programImageTwice: 'SDF_PROGRAM_IMAGE_TWICE',
  programImageMissing: 'SDF_PROGRAM_IMAGE_MISSING',
  vmTwice: 'SDF_VM_TWICE',
  setvarDuplicate: 'SDF_SETVAR_DUPLICATE',
  setvarUnknownMr: 'SDF_SETVAR_UNKNOWN_MR',
  childIdDuplicate: 'SDF_CHILD_ID_DUPLICATE',
  childIdVcpu: 'SDF_CHILD_ID_VCPU',
  mapVaddrMax: 'SDF_MAP_VADDR_MAX',
  mapPerms: 'SDF_MAP_PERMS',
  mapWriteOnly: 'SDF_MAP_WRITE_ONLY',
  idRange: 'SDF_ID_RANGE',
  irqTrigger: 'SDF_IRQ_TRIGGER',
  channelEnds: 'SDF_CHANNEL_ENDS',
  unknownPd: 'SDF_UNKNOWN_PD',
  ppcBidirectional: 'SDF_PPC_BIDIRECTIONAL',
  noPd: 'SDF_NO_PD',
  tooManyPds: 'SDF_TOO_MANY_PDS',
  duplicatePdName: 'SDF_DUPLICATE_PD_NAME',
  reservedPdName: 'SDF_RESERVED_PD_NAME',
  duplicateMrName: 'SDF_DUPLICATE_MR_NAME',
  duplicateVmName: 'SDF_DUPLICATE_VM_NAME',
  duplicateIrq: 'SDF_DUPLICATE_IRQ',
  duplicateChannelId: 'SDF_DUPLICATE_CHANNEL_ID',
  ppcPriority: 'SDF_PPC_PRIORITY',
  unknownMr: 'SDF_UNKNOWN_MR',
  mapAlign: 'SDF_MAP_ALIGN',
  mapOverflow: 'SDF_MAP_OVERFLOW',
  mapBound: 'SDF_MAP_BOUND',
  mapOverlap: 'SDF_MAP_OVERLAP',
  physOverlap: 'SDF_PHYS_OVERLAP',
  physOverflow: 'SDF_PHYS_OVERFLOW',
  vcpuMissing: 'SDF_VCPU_MISSING',
  vcpuDuplicate: 'SDF_VCPU_DUPLICATE',
  /** Warning: Microkit prints `WARNING: unused memory region`. */
  unusedMr: 'SDF_UNUSED_MR',
  /** Warning (ours): Microkit silently truncates PD names in the monitor's tables. */
  nameTruncated: 'SDF_NAME_TRUNCATED',
  /** Warning (ours): a 1.x PD-level pp lets a peer of equal or higher priority PP-call the PD. */
  legacyPpcPriority: 'SDF_LEGACY_PPC_PRIORITY',
} as const;

export type SdfCode = (typeof SDF_CODES)[keyof typeof SDF_CODES];

export function sdfError(code: SdfCode, message: string, loc: SourceLocation): SdfDiagnostic {
  return { code, message, file: loc.file, line: loc.line, column: loc.column, severity: 'error' };
}

export function sdfWarning(code: SdfCode, message: string, loc: SourceLocation): SdfDiagnostic {
  return { code, message, file: loc.file, line: loc.line, column: loc.column, severity: 'warning' };
}
