// Stage of `sddf check`: filled in by issue #3.
import type { Stage } from '../check.ts';

export const modelCheckStage: Stage = async () => [];
