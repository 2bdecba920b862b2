// `sddf audit`: filled in by issue #4 (contract: ../shared/CLI.md).
import type { Command } from 'commander';
import { CliUsageError, type Io } from '../output.ts';
import type { SetStatus } from './index.ts';

export function registerAudit(program: Command, _io: Io, _setStatus: SetStatus): void {
  program
    .command('audit')
    .description('audit a Microkit .system file for least privilege (not yet implemented)')
    .allowUnknownOption()
    .allowExcessArguments()
    .action(() => {
      throw new CliUsageError('sddf audit is not implemented yet (issue #4)');
    });
}
