// Shared helpers of the local parse: closed-world attribute checks, required-attribute lookup,
// numbers and booleans, each reporting Microkit's message shape (microkit-sdf.md §1.4) as a value.

import type {
  Arch,
  AttrLocations,
  Dialect,
  MicrokitTarget,
  MicrokitVersion,
  SourceLocation,
} from '../../spec/system/model.ts';
import { allowedAttributes, dialectOf, versionAtLeast, type AttrContext } from './dialect.ts';
import {
  SDF_CODES,
  sdfError,
  sdfWarning,
  type SdfCode,
  type SdfDiagnostic,
} from './diagnostics.ts';
import {
  parseDecimalI64,
  parseDecimalU64,
  parseSdfBool,
  parseSdfNumber,
  type NumberResult,
} from './number.ts';
import type { XmlAttr, XmlElement } from './xml.ts';

/**
 * What Microkit reads from the seL4 kernel build (`sel4::Config`). Each field is optional: a check
 * that needs an unknown value is skipped (a board-dependent fact we do not have is never a false
 * error). Microkit's own tests use cores 1 (SMP: 4), hypervisor and IOMMU on, 16 domains, 100
 * schedule entries (tool/microkit/tests/test.rs at 2.3.0).
 */
export interface KernelConfig {
  /** `cpu` and vCPU `cpu` must be below it; `<domains>` needs exactly 1. */
  readonly cores?: number;
  /** Virtual machines need a hypervisor build (default: assumed). */
  readonly hypervisor?: boolean;
  /** `<io_address_space>` needs an IOMMU build (default: assumed). */
  readonly iommu?: boolean;
  /** KernelNumDomains: domain ids must be below it. */
  readonly numDomains?: number;
  /** KernelNumDomainSchedules: schedule entries (and index_shift + entries) must be below it. */
  readonly numDomainSchedules?: number;
  /** ARM SMC forwarding in the kernel (only then may a PD say smc="true"). */
  readonly armSmc?: boolean;
  /** seL4_UserVSpaceTop (inclusive); default per architecture (see parse.ts). */
  readonly vspaceUserTop?: bigint;
}

/**
 * Finds a `prefill_path` file on Microkit's search path and returns its size in bytes, or
 * undefined when it is not found. Without one, prefill files are not looked at (a build-phase fact).
 */
export type PrefillResolver = (path: string) => number | undefined;

export interface ParseOptions {
  readonly file: string;
  readonly prefill?: PrefillResolver;
  readonly target: MicrokitTarget;
  /** Attribute keys (`protection_domain pp`) of the other dialect a mixed file may use. */
  readonly tolerated?: ReadonlySet<string>;
  readonly kernel?: KernelConfig;
}

export class ParseContext {
  readonly errors: SdfDiagnostic[] = [];
  readonly warnings: SdfDiagnostic[] = [];
  /** MR names named by any <map>, valid or not (for the unused-MR warning). */
  readonly mentionedMrs = new Set<string>();
  constructor(readonly opts: ParseOptions) {}

  get dialect(): Dialect {
    return dialectOf(this.opts.target.version);
  }

  get arch(): Arch {
    return this.opts.target.arch;
  }

  get kernel(): KernelConfig {
    return this.opts.kernel ?? {};
  }

  /** The file is read as Microkit `min` or later. */
  since(min: MicrokitVersion): boolean {
    return versionAtLeast(this.opts.target.version, min);
  }

  /** A 1.x PD-level `pp` is read (dialect 1, or a mixed file that uses it). */
  get legacyPp(): boolean {
    return this.dialect === '1' || (this.opts.tolerated?.has('protection_domain pp') ?? false);
  }

  error(code: SdfCode, message: string, loc: SourceLocation): void {
    this.errors.push(sdfError(code, message, loc));
  }

  warn(code: SdfCode, message: string, loc: SourceLocation): void {
    this.warnings.push(sdfWarning(code, message, loc));
  }

  /** `value_error`: "<msg> on element '<tag>'". */
  valueError(code: SdfCode, el: XmlElement, msg: string, loc: SourceLocation = el.loc): void {
    this.error(code, `${msg} on element '${el.tag}'`, loc);
  }

  /** `check_attributes`: every attribute outside the dialect's closed set is an error. */
  checkAttributes(el: XmlElement, ctx: AttrContext): void {
    const allowed = allowedAttributes(this.opts.target, ctx, this.opts.tolerated);
    for (const a of el.attrs) {
      if (!allowed.includes(a.name)) {
        this.valueError(SDF_CODES.invalidAttr, el, `invalid attribute '${a.name}'`, a.loc);
      }
    }
  }

  /** Whether `name` is in the closed attribute set of `ctx` for this file. */
  allows(ctx: AttrContext, name: string): boolean {
    return allowedAttributes(this.opts.target, ctx, this.opts.tolerated).includes(name);
  }

  /** `checked_lookup`: a required attribute, or a located error at the element. */
  required(el: XmlElement, name: string): XmlAttr | undefined {
    const a = attr(el, name);
    if (a === undefined) {
      this.error(
        SDF_CODES.missingAttr,
        `Missing required attribute '${name}' on element '${el.tag}'`,
        el.loc,
      );
    }
    return a;
  }

  private number(el: XmlElement, a: XmlAttr, r: NumberResult): bigint | undefined {
    if (r.ok) return r.value;
    this.error(
      SDF_CODES.badNumber,
      `failed to parse integer '${a.value}' on element '${el.tag}': ${r.reason}`,
      a.loc,
    );
    return undefined;
  }

  /** `sdf_parse_number` (u64, decimal or 0x hex, `_` stripped). */
  sdfNumber(el: XmlElement, a: XmlAttr): bigint | undefined {
    return this.number(el, a, parseSdfNumber(a.value));
  }

  /** Rust `parse::<u64>()` (Microkit panics on failure; we report). */
  decimalU64(el: XmlElement, a: XmlAttr): bigint | undefined {
    return this.number(el, a, parseDecimalU64(a.value));
  }

  /** Rust `parse::<i64>()` (Microkit panics on failure; we report). */
  decimalI64(el: XmlElement, a: XmlAttr): bigint | undefined {
    return this.number(el, a, parseDecimalI64(a.value));
  }

  /** Optional boolean: "<name> must be 'true' or 'false'". */
  bool(el: XmlElement, name: string, dflt: boolean): boolean {
    const a = attr(el, name);
    if (a === undefined) return dflt;
    const v = parseSdfBool(a.value);
    if (v === undefined) {
      this.valueError(SDF_CODES.badBool, el, `${name} must be 'true' or 'false'`, a.loc);
      return dflt;
    }
    return v;
  }
}

export function attr(el: XmlElement, name: string): XmlAttr | undefined {
  return el.attrs.find((a) => a.name === name);
}

export function attrLocs(el: XmlElement): AttrLocations {
  const out: Record<string, SourceLocation> = {};
  for (const a of el.attrs) out[a.name] = a.loc;
  return out;
}
