// Public entry `sddf-model/sdf`: Microkit system description files and the least-privilege
// audit. Parse and validate a .system file into the typed system model (every error located),
// emit a model back as SDF, and audit a file (or a built-in system by name) as `sddf audit` does.
export * from '../impl/sdf/index.ts';
export {
  resolveSystemPath,
  runAudit,
  type RunAuditOptions,
  type RunAuditResult,
} from '../impl/report/audit.ts';
export { builtInSystemPath, builtInSystems, DEFAULT_SYSTEM } from '../impl/systems/index.ts';
export { auditSystem } from '../spec/system/audit/index.ts';
// Many files at once (`sddf audit DIR/`), and the renderers of the command's outputs.
export {
  auditCorpus,
  corpusExit,
  entryExit,
  systemFilesUnder,
  type CorpusEntry,
} from '../impl/audit/corpus.ts';
export { auditToJson, corpusToJson } from '../impl/report/audit/json.ts';
export { auditToSarif } from '../impl/report/audit/sarif.ts';
export { auditToText, corpusToText } from '../impl/report/audit/text.ts';
