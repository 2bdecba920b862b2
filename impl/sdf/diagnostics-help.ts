// One line of help per SDF diagnostic code: what Microkit checks and how to fix it (SARIF rule
// metadata, issue #10 part 5: a rule id per Microkit check). The Record type makes a missing code
// a compile error. Facts from microkit-sdf.md §1.3–1.5 and seL4/microkit tool/microkit/src/sdf.rs.

import type { SdfCode } from './diagnostics.ts';

export interface SdfHelp {
  /** SARIF `name`: a short camelCase identifier. */
  readonly name: string;
  readonly short: string;
  readonly help: string;
}

const h = (name: string, short: string, help: string): SdfHelp => ({ name, short, help });

export const SDF_HELP: Readonly<Record<SdfCode, SdfHelp>> = {
  SDF_IO: h('unreadableFile', 'the file could not be read', 'Check the path and permissions.'),
  SDF_XML: h(
    'malformedXml',
    'the XML is not well-formed, or has a DTD',
    "Microkit reads XML with roxmltree's defaults: well-formed XML without a <!DOCTYPE>; only the predefined entities and character references.",
  ),
  SDF_TEMPLATE: h(
    'preprocessorTemplate',
    'a C-preprocessor template, not a system description',
    'Run the file through the C preprocessor (cpp -P) as its build does, and audit the output.',
  ),
  SDF_ROOT: h(
    'rootNotSystem',
    "the root element is not 'system'",
    'The document element must be <system>.',
  ),
  SDF_INVALID_ELEMENT: h(
    'invalidElement',
    'an element Microkit does not know here',
    'Each element has a fixed place and release (microkit-sdf.md §1.2); remove or move it.',
  ),
  SDF_VM_TOP_LEVEL: h(
    'virtualMachineTopLevel',
    'a virtual machine outside a protection domain',
    'A <virtual_machine> is the child of the PD that is its VMM.',
  ),
  SDF_UNEXPECTED_TEXT: h(
    'unexpectedText',
    'text inside <system>',
    'Only elements and comments may appear in <system>.',
  ),
  SDF_INVALID_ATTR: h(
    'invalidAttribute',
    'an attribute the element does not have in this Microkit release',
    "Every element has a closed attribute set per release and architecture (microkit-sdf.md §1.1); check the release the file targets (the audit's --microkit option).",
  ),
  SDF_MISSING_ATTR: h('missingAttribute', 'a required attribute is missing', 'Add the attribute.'),
  SDF_BAD_NUMBER: h(
    'badNumber',
    'not a number Microkit can read',
    'Numbers are decimal, or hex with a lower-case 0x and optional _ separators; ids and IRQ numbers are decimal only.',
  ),
  SDF_BAD_BOOL: h(
    'badBoolean',
    "a boolean other than 'true' or 'false'",
    "Write exactly 'true' or 'false'.",
  ),
  SDF_PAGE_SIZE: h('pageSize', 'an unsupported page size', 'Page sizes are 0x1000 and 0x200000.'),
  SDF_MR_SIZE_ALIGN: h(
    'regionSizeAlignment',
    'a region size that is not a multiple of its page size',
    'Round the size up to the page size.',
  ),
  SDF_MR_PHYS_ALIGN: h(
    'physAddrAlignment',
    'a phys_addr not aligned to the page size',
    'Align phys_addr to the page size.',
  ),
  SDF_PRIORITY: h(
    'priority',
    'a priority outside 0..254',
    '255 is the monitor’s priority; PDs use 0..254.',
  ),
  SDF_BUDGET_PERIOD: h(
    'budgetPeriod',
    'a budget larger than its period',
    'Make budget <= period (microseconds).',
  ),
  SDF_STACK_SIZE_RANGE: h(
    'stackSizeRange',
    'a stack size outside 4 KiB..16 MiB',
    'Use a stack_size between 0x1000 and 0x1000000.',
  ),
  SDF_STACK_SIZE_ALIGN: h(
    'stackSizeAlignment',
    'a stack size that is not a multiple of 4 KiB',
    'Round stack_size to 0x1000.',
  ),
  SDF_CPU: h(
    'cpu',
    'a cpu outside the configured cores',
    'cpu must be below the number of cores of the kernel build.',
  ),
  SDF_SMC: h(
    'smc',
    'smc="true" where SMC forwarding is unavailable',
    'SMC calls exist on Arm only, with forwarding enabled in the kernel.',
  ),
  SDF_NO_HYPERVISOR: h(
    'noHypervisor',
    'a virtual machine in a kernel without hypervisor support',
    'Build seL4 as a hypervisor, or remove the VM.',
  ),
  SDF_PROGRAM_IMAGE_TWICE: h(
    'programImageTwice',
    'two program images in one PD',
    'A PD has exactly one <program_image>.',
  ),
  SDF_PROGRAM_IMAGE_MISSING: h(
    'programImageMissing',
    'a PD without a program image',
    'Add a <program_image path="…"/>.',
  ),
  SDF_VM_TWICE: h(
    'virtualMachineTwice',
    'two virtual machines in one PD',
    'A VMM hosts one <virtual_machine>.',
  ),
  SDF_SETVAR_DUPLICATE: h(
    'setvarDuplicate',
    'two setvars patch one symbol',
    'Each patched symbol of a PD image is unique (setvar_vaddr, setvar_size, setvar_id, <setvar>).',
  ),
  SDF_SETVAR_UNKNOWN_MR: h(
    'setvarUnknownRegion',
    'a setvar names no memory region',
    'region_paddr must name a declared memory region.',
  ),
  SDF_CHILD_ID_DUPLICATE: h(
    'childIdDuplicate',
    'two child PDs with one id',
    'Child ids are unique within their parent.',
  ),
  SDF_CHILD_ID_VCPU: h(
    'childIdVcpu',
    'a child id equal to a vCPU id of the parent',
    'Child ids and the parent’s vCPU ids share one space.',
  ),
  SDF_MAP_VADDR_MAX: h(
    'mapVaddrMax',
    'a map above the highest mappable address',
    'Maps lie below the PD stack (pd_map_max_vaddr).',
  ),
  SDF_MAP_PERMS: h(
    'mapPerms',
    'perms other than a combination of r, w and x',
    "Use a combination of 'r', 'w', 'x'.",
  ),
  SDF_MAP_WRITE_ONLY: h(
    'mapWriteOnly',
    'a write-only map',
    "The kernel has no write-only mappings: use 'rw'.",
  ),
  SDF_ID_RANGE: h(
    'idRange',
    'an id outside 0..61',
    'Channel, IRQ, I/O port and vCPU ids are 0..61 (two badge bits are reserved).',
  ),
  SDF_IRQ_TRIGGER: h(
    'irqTrigger',
    "a trigger other than 'level' or 'edge'",
    "Write trigger='level' or 'edge'.",
  ),
  SDF_CHANNEL_ENDS: h(
    'channelEnds',
    'a channel without exactly two ends',
    'A <channel> has exactly two <end> elements.',
  ),
  SDF_UNKNOWN_PD: h(
    'unknownPd',
    'a channel end names no PD',
    'pd must name a declared protection domain.',
  ),
  SDF_PPC_BIDIRECTIONAL: h(
    'ppcBidirectional',
    'both ends of a channel may PP-call',
    'Only one end of a channel may have pp="true".',
  ),
  SDF_NO_PD: h('noPd', 'no protection domain', 'A system has at least one PD.'),
  SDF_TOO_MANY_PDS: h(
    'tooManyPds',
    'more than 63 protection domains',
    'Microkit supports at most 63 PDs, children included (MAX_PDS).',
  ),
  SDF_DUPLICATE_PD_NAME: h(
    'duplicatePdName',
    'two PDs with one name',
    'PD names are unique across the whole tree.',
  ),
  SDF_RESERVED_PD_NAME: h(
    'reservedPdName',
    "a PD named 'monitor'",
    "'monitor' is Microkit’s own PD (from 2.1).",
  ),
  SDF_DUPLICATE_MR_NAME: h(
    'duplicateRegionName',
    'two memory regions with one name',
    'Memory region names are unique.',
  ),
  SDF_DUPLICATE_VM_NAME: h(
    'duplicateVmName',
    'two virtual machines with one name',
    'VM names are unique.',
  ),
  SDF_DUPLICATE_IRQ: h(
    'duplicateIrq',
    'an interrupt claimed twice',
    'An IRQ number (or x86 vector) is claimed by one PD only.',
  ),
  SDF_DUPLICATE_CHANNEL_ID: h(
    'duplicateChannelId',
    'two channel ends or IRQs with one id in a PD',
    'Channel and IRQ ids share one space per PD.',
  ),
  SDF_PPC_PRIORITY: h(
    'ppcPriority',
    'a PPC to a PD of equal or lower priority',
    'A PD may only PP-call a PD of strictly higher priority (2.0+).',
  ),
  SDF_UNKNOWN_MR: h(
    'unknownRegion',
    'a map names no memory region',
    'mr must name a declared memory region.',
  ),
  SDF_MAP_ALIGN: h(
    'mapAlignment',
    'a map address not aligned to the region’s page size',
    'Align vaddr (or iovaddr) to the region’s page size.',
  ),
  SDF_MAP_OVERFLOW: h(
    'mapOverflow',
    'a map whose range overflows',
    'vaddr + size must fit in 64 bits.',
  ),
  SDF_MAP_BOUND: h(
    'mapBound',
    'a map beyond the address space',
    'The whole mapping must lie in the PD’s, VM’s or device’s address space.',
  ),
  SDF_MAP_OVERLAP: h(
    'mapOverlap',
    'two maps overlap in one address space',
    'Maps of one PD, VM or IOMMU space must not overlap.',
  ),
  SDF_PHYS_OVERLAP: h(
    'physOverlap',
    'two regions at overlapping physical addresses',
    'Fixed physical ranges must not overlap.',
  ),
  SDF_PHYS_OVERFLOW: h(
    'physOverflow',
    'a physical range that overflows',
    'phys_addr + size must fit in 64 bits.',
  ),
  SDF_VCPU_MISSING: h(
    'vcpuMissing',
    'a virtual machine without a vCPU',
    'Give every <virtual_machine> at least one <vcpu id="…"/> (every release since VMs exist).',
  ),
  SDF_VCPU_DUPLICATE: h(
    'vcpuDuplicate',
    'two vCPUs with one id (1.4: more than one vCPU)',
    'vCPU ids are unique in a VM; Microkit 1.4 allows one vCPU.',
  ),
  SDF_IRQ_ARCH: h(
    'irqArchitecture',
    'an interrupt form of another architecture',
    'irq= is ARM/RISC-V; pin= (I/O APIC) and pcidev= (MSI) are x86 (2.1+).',
  ),
  SDF_IRQ_X86: h(
    'irqX86',
    'an x86 interrupt value out of range',
    'ioapic, pin and handle are >= 0; vector 0..107 (2.3); PCI bus:device.function in hex.',
  ),
  SDF_IOPORT: h(
    'ioport',
    'an I/O port off x86, or of size 0',
    '<ioport> exists on x86 only (2.1+), with size > 0.',
  ),
  SDF_IOPORT_DUPLICATE_ID: h(
    'ioportDuplicateId',
    'two I/O ports with one id in a PD',
    'I/O port ids are unique per PD.',
  ),
  SDF_IOPORT_OVERLAP: h(
    'ioportOverlap',
    'overlapping I/O port ranges',
    'I/O port ranges are disjoint across the system.',
  ),
  SDF_X86_VM: h(
    'x86VirtualMachine',
    'an x86 VMM with children or PP-called',
    'On x86 a PD with a bound vCPU can have no children and cannot be PP-called (2.3).',
  ),
  SDF_PREFILL: h(
    'prefill',
    'a prefilled region Microkit rejects',
    'Use prefill_path or prefill_bootinfo, not both; a known boot-info type; a size that holds the file.',
  ),
  SDF_SETVAR_X86: h(
    'setvarX86',
    'setvar region_paddr of a region without phys_addr on x86',
    'On x86 give the region a phys_addr.',
  ),
  SDF_CSPACE: h(
    'cspace',
    'a <cspace> Microkit rejects',
    'One <cspace> per PD of cap_tcb, cap_sc, cap_vspace in slots 1..127.',
  ),
  SDF_CAP_UNKNOWN_PD: h(
    'capUnknownPd',
    'a capability of an unknown PD',
    'pd must name a declared protection domain.',
  ),
  SDF_CAP_OVERLAP: h('capOverlap', 'two capabilities in one slot', 'Cap slots are unique per PD.'),
  SDF_DOMAINS: h(
    'domains',
    'a <domains> schedule Microkit rejects',
    'Unique domain names and ids, exactly one <domain_schedule>, durations like "1000 us", a start index inside the schedule.',
  ),
  SDF_PD_DOMAIN: h(
    'pdDomain',
    'a PD’s domain is missing, unknown or undeclared',
    'With <domains> (declared before the PDs) every PD names one of them; without, none does.',
  ),
  SDF_IO_SPACE: h(
    'ioAddressSpace',
    'an <io_address_space> Microkit rejects',
    'IOMMU support, unique device names, domain ids and peripheral ids (x86: PCI bus:device.function).',
  ),
  SDF_IOMAP: h(
    'iomap',
    'an <iomap> Microkit rejects',
    'perms of r and w only, iovaddr below 2^39, no 2 MiB pages.',
  ),
  SDF_UNUSED_MR: h(
    'unusedRegion',
    'a memory region nothing maps',
    'Microkit warns: remove it or map it.',
  ),
  SDF_NAME_TRUNCATED: h(
    'pdNameTruncated',
    'a PD name longer than 64 characters',
    'The monitor’s fault messages cut it; use a shorter name.',
  ),
  SDF_LEGACY_PPC_PRIORITY: h(
    'legacyPpcPriority',
    '1.x pp lets a peer of equal or higher priority PP-call',
    'In 1.x every channel peer of a pp PD may call it; give callers strictly lower priority.',
  ),
  SDF_MIXED_DIALECT: h(
    'mixedDialect',
    'syntax of both SDF dialects',
    'No release accepts both 1.x PD-level pp and 2.x syntax; move pp to the caller’s <end pp="true">.',
  ),
  SDF_OLDER_RELEASE: h(
    'olderRelease',
    'valid for an older Microkit release only',
    'The newest release its syntax allows rejects it; fix the error it names to keep using current Microkit.',
  ),
};
