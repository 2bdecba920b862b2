// Stage of `sddf check`: filled in by issue #2.
import type { Stage } from '../check.ts';

export const refinementStage: Stage = async () => [];
