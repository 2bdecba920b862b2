// `sddf mutants`: filled in by issue #3 (contract: ../shared/CLI.md).
import type { Command } from 'commander';
import { CliUsageError, type Io } from '../output.ts';
import type { SetStatus } from './index.ts';

export function registerMutants(program: Command, _io: Io, _setStatus: SetStatus): void {
  program
    .command('mutants')
    .description('run the seeded-bug catalogue (not yet implemented)')
    .allowUnknownOption()
    .allowExcessArguments()
    .action(() => {
      throw new CliUsageError('sddf mutants is not implemented yet (issue #3)');
    });
}
