// `sddf replay`: filled in by issue #3 (contract: ../shared/CLI.md).
import type { Command } from 'commander';
import { CliUsageError, type Io } from '../output.ts';
import type { SetStatus } from './index.ts';

export function registerReplay(program: Command, _io: Io, _setStatus: SetStatus): void {
  program
    .command('replay')
    .description('replay an ITF trace (not yet implemented)')
    .allowUnknownOption()
    .allowExcessArguments()
    .action(() => {
      throw new CliUsageError('sddf replay is not implemented yet (issue #3)');
    });
}
