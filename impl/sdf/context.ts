// Shared helpers of the local parse: closed-world attribute checks, required-attribute lookup,
// numbers and booleans, each reporting Microkit's message shape (microkit-sdf.md §1.4) as a value.

import type { AttrLocations, Dialect, SourceLocation } from '../../spec/system/model.ts';
import { allowedAttributes, type AttrContext } from './dialect.ts';
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

export interface ParseOptions {
  readonly file: string;
  readonly dialect: Dialect;
  /** Cores of the target; `cpu` is only range-checked when given (Microkit reads it from the board). */
  readonly cores?: number;
}

export class ParseContext {
  readonly errors: SdfDiagnostic[] = [];
  readonly warnings: SdfDiagnostic[] = [];
  /** MR names named by any <map>, valid or not (for the unused-MR warning). */
  readonly mentionedMrs = new Set<string>();
  constructor(readonly opts: ParseOptions) {}

  get dialect(): Dialect {
    return this.opts.dialect;
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
    const allowed = allowedAttributes(this.dialect, ctx);
    for (const a of el.attrs) {
      if (!allowed.includes(a.name)) {
        this.valueError(SDF_CODES.invalidAttr, el, `invalid attribute '${a.name}'`, a.loc);
      }
    }
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
