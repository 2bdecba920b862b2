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
  /** The file is a C-preprocessor template (`#include`, macros): run cpp first. */
  template: 'SDF_TEMPLATE',
  root: 'SDF_ROOT',
  invalidElement: 'SDF_INVALID_ELEMENT',
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
  /** smc="true" where the kernel has no SMC forwarding (or not ARM). */
  smc: 'SDF_SMC',
  /** A virtual machine in a kernel built without hypervisor support. */
  noHypervisor: 'SDF_NO_HYPERVISOR',
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
  /** x86: an ARM/RISC-V `irq=` on x86, or an I/O APIC / MSI interrupt elsewhere. */
  irqArch: 'SDF_IRQ_ARCH',
  /** x86 interrupt values: ioapic, pin, polarity, vector, handle, PCI address. */
  irqX86: 'SDF_IRQ_X86',
  /** `<ioport>`: only on x86; size > 0. */
  ioport: 'SDF_IOPORT',
  ioportDuplicateId: 'SDF_IOPORT_DUPLICATE_ID',
  ioportOverlap: 'SDF_IOPORT_OVERLAP',
  /** x86: a VMM with child PDs, or a PPC into a PD with a bound vCPU. */
  x86Vm: 'SDF_X86_VM',
  /** 2.2/2.3 prefill: both kinds, unknown boot-info type, size, setvar_prefill_size. */
  prefill: 'SDF_PREFILL',
  /** x86: setvar region_paddr of an MR without phys_addr. */
  setvarX86: 'SDF_SETVAR_X86',
  /** 2.3 `<cspace>`: twice, unknown cap type or child, slot range. */
  cspace: 'SDF_CSPACE',
  capUnknownPd: 'SDF_CAP_UNKNOWN_PD',
  capOverlap: 'SDF_CAP_OVERLAP',
  /** 2.3 `<domains>`: structure, names, ids, schedule entries. */
  domains: 'SDF_DOMAINS',
  /** 2.3: a PD's `domain` attribute (required iff domains are declared, must name one). */
  pdDomain: 'SDF_PD_DOMAIN',
  /** 2.3 `<io_address_space>`: IOMMU support, duplicate names, ids, peripheral ids. */
  ioSpace: 'SDF_IO_SPACE',
  /** 2.3 `<iomap>`: perms, iovaddr bound, large pages. */
  iomap: 'SDF_IOMAP',
  /** Warning: Microkit prints `WARNING: unused memory region`. */
  unusedMr: 'SDF_UNUSED_MR',
  /** Warning (ours): Microkit silently truncates PD names in the monitor's tables. */
  nameTruncated: 'SDF_NAME_TRUNCATED',
  /** Warning (ours): a 1.x PD-level pp lets a peer of equal or higher priority PP-call the PD. */
  legacyPpcPriority: 'SDF_LEGACY_PPC_PRIORITY',
  /** Warning (ours): the file uses syntax of both dialects, which no release accepts together. */
  mixedDialect: 'SDF_MIXED_DIALECT',
  /** Warning (ours): valid only for an older release than the newest its syntax allows. */
  olderRelease: 'SDF_OLDER_RELEASE',
} as const;

export type SdfCode = (typeof SDF_CODES)[keyof typeof SDF_CODES];

export function sdfError(code: SdfCode, message: string, loc: SourceLocation): SdfDiagnostic {
  return { code, message, file: loc.file, line: loc.line, column: loc.column, severity: 'error' };
}

export function sdfWarning(code: SdfCode, message: string, loc: SourceLocation): SdfDiagnostic {
  return { code, message, file: loc.file, line: loc.line, column: loc.column, severity: 'warning' };
}
