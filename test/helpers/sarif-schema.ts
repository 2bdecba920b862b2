// The SARIF 2.1.0 JSON schema (sarif-2.1.0-rtm.5.json, as shipped by the @microsoft/jest-sarif
// package; draft-04, hence ajv-draft-04), compiled once for the tests that validate SARIF logs.
import { createRequire } from 'node:module';
import { readFileSync } from 'node:fs';
import AjvDraft04 from 'ajv-draft-04';

const require = createRequire(import.meta.url);
const schemaPath = require.resolve('@microsoft/jest-sarif/lib/schemas/sarif-2.1.0-rtm.5.json');
const schema = JSON.parse(readFileSync(schemaPath, 'utf8')) as object;
const ajv = new AjvDraft04.default({ allErrors: true, strict: false, unicodeRegExp: false });
// The schema uses these formats; check them instead of ignoring them.
ajv.addFormat('uri', (s: string) => /^[a-z][a-z0-9+.-]*:/i.test(s));
ajv.addFormat('uri-reference', (s: string) => !/\s/.test(s) && !s.includes('\\'));
ajv.addFormat('date-time', (s: string) => !Number.isNaN(Date.parse(s)));

/** Validates a SARIF log; `validateSarif.errors` says why it did not. */
export const validateSarif = ajv.compile(schema);
