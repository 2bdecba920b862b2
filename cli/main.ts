// The `sddf` command: thin. It parses arguments, calls the library, renders, and sets the exit
// status (../shared/CLI.md). Each subcommand lives in cli/commands/<name>.ts.
import { Command, CommanderError } from 'commander';
import { UserError, formatDiagnostic } from '../spec/common/diagnostic.ts';
import { CliUsageError, EXIT_CANNOT_RUN, processIo, type Io } from './output.ts';
import { registerCommands } from './commands/index.ts';

export async function main(argv: readonly string[], io: Io = processIo()): Promise<number> {
  let status = 0;
  const program = new Command('sddf')
    .description(
      'An executable, checkable model of the seL4 Device Driver Framework (sDDF).\n' +
        'Exit status: 0 everything checked holds, 1 something does not hold, 2 could not run.',
    )
    .version('0.1.0')
    .exitOverride()
    .configureOutput({
      writeOut: (s) => io.out(s),
      writeErr: (s) => io.err(s),
    })
    .showHelpAfterError('(run `sddf --help` for usage)');
  registerCommands(program, io, (code) => {
    status = code;
  });
  try {
    await program.parseAsync([...argv], { from: 'user' });
    return status;
  } catch (e) {
    if (e instanceof CommanderError) {
      // --help and --version exit 0 through the same path.
      return e.exitCode === 0 ? 0 : EXIT_CANNOT_RUN;
    }
    if (e instanceof CliUsageError) {
      io.err(`sddf: ${e.message}`);
      return EXIT_CANNOT_RUN;
    }
    if (e instanceof UserError) {
      io.err(`sddf: ${formatDiagnostic(e.diagnostic)}`);
      return EXIT_CANNOT_RUN;
    }
    throw e;
  }
}
