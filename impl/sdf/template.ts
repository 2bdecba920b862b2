// C-preprocessor templates of system descriptions (issue #10): LionsOS's `examples/vmm/vmm.system`
// starts with `#include "vmm_ram.h"` and uses macros for sizes and addresses; its Makefile runs
// it through `cpp` and hands Microkit the output. Such a file is not XML, and saying "text data
// outside of root node" at the `#include` is true but unhelpful. When the XML does not parse and
// the text has preprocessor directives, the error says it is a template, where, and what to do.

import { SDF_CODES, sdfError, type SdfDiagnostic } from './diagnostics.ts';

/** A preprocessor directive at the start of a line (optionally indented). */
const DIRECTIVE = /^[ \t]*#[ \t]*(include|define|if|ifdef|ifndef|elif|else|endif|undef|pragma)\b/u;

/** The located "this is a template" diagnostic, or undefined when `text` has no directive. */
export function templateDiagnostic(text: string, file: string): SdfDiagnostic | undefined {
  const lines = text.split(/\r\n|\r|\n/u);
  // A bounded scan: directives sit at the top of real templates; 10,000 lines is far beyond that.
  const limit = Math.min(lines.length, 10_000);
  for (let i = 0; i < limit; i++) {
    const line = lines[i] ?? '';
    const m = DIRECTIVE.exec(line);
    if (m === null) continue;
    const column = line.indexOf('#') + 1;
    return sdfError(
      SDF_CODES.template,
      `this is a C-preprocessor template, not a system description: '#${m[1]}' here; run it through the C preprocessor (cpp -P) and audit the output`,
      { file, line: i + 1, column },
    );
  }
  return undefined;
}
