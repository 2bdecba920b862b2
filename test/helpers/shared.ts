// Where the shared fixtures are: `../shared` beside the repository root (a fresh clone in CI has
// shared/ next to it, as the development checkout does). Never an absolute path.
import { join } from 'node:path';

export const REPO_ROOT = join(import.meta.dirname, '../..');
export const SHARED_SDF_FIXTURES = join(REPO_ROOT, '../shared/fixtures/sdf');
