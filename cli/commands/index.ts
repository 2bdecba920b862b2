// One module per subcommand; each adds itself to the program and reports its exit status.
import type { Command } from 'commander';
import type { Io } from '../output.ts';
import { registerAudit } from './audit.ts';
import { registerCheck } from './check.ts';
import { registerMc } from './mc.ts';
import { registerMutants } from './mutants.ts';
import { registerProve } from './prove.ts';
import { registerReplay } from './replay.ts';
import { registerRun } from './run.ts';

export type SetStatus = (code: number) => void;

export function registerCommands(program: Command, io: Io, setStatus: SetStatus): void {
  registerCheck(program, io, setStatus);
  registerProve(program, io, setStatus);
  registerMc(program, io, setStatus);
  registerAudit(program, io, setStatus);
  registerRun(program, io, setStatus);
  registerReplay(program, io, setStatus);
  registerMutants(program, io, setStatus);
}
