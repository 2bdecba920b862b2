// `sddf prove`: filled in by issue #2 (contract: ../shared/CLI.md).
import type { Command } from 'commander';
import { CliUsageError, type Io } from '../output.ts';
import type { SetStatus } from './index.ts';

export function registerProve(program: Command, _io: Io, _setStatus: SetStatus): void {
  program
    .command('prove')
    .description('run the Z3 proof obligations (not yet implemented)')
    .allowUnknownOption()
    .allowExcessArguments()
    .action(() => {
      throw new CliUsageError('sddf prove is not implemented yet (issue #2)');
    });
}
