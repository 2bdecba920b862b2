// Stage of `sddf check`: filled in by issue #4.
import type { Stage } from '../check.ts';

export const auditStage: Stage = async () => [];
