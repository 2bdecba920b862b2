// `sddf run`: filled in by issue #5 (contract: ../shared/CLI.md).
import type { Command } from 'commander';
import { CliUsageError, type Io } from '../output.ts';
import type { SetStatus } from './index.ts';

export function registerRun(program: Command, _io: Io, _setStatus: SetStatus): void {
  program
    .command('run')
    .description('run an emulated system (not yet implemented)')
    .allowUnknownOption()
    .allowExcessArguments()
    .action(() => {
      throw new CliUsageError('sddf run is not implemented yet (issue #5)');
    });
}
