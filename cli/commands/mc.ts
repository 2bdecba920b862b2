// `sddf mc`: filled in by issue #3 (contract: ../shared/CLI.md).
import type { Command } from 'commander';
import { CliUsageError, type Io } from '../output.ts';
import type { SetStatus } from './index.ts';

export function registerMc(program: Command, _io: Io, _setStatus: SetStatus): void {
  program
    .command('mc')
    .description('model-check a protocol model (not yet implemented)')
    .allowUnknownOption()
    .allowExcessArguments()
    .action(() => {
      throw new CliUsageError('sddf mc is not implemented yet (issue #3)');
    });
}
