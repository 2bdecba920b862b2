// The `sddf` command: thin. It parses arguments, loads the one subcommand it runs, calls the
// library, renders, and sets the exit status (../shared/CLI.md). Each subcommand lives in
// cli/commands/<name>.ts. This is the one exit point: every "could not run" (bad arguments,
// unreadable input) becomes exit 2 here, with the message on stderr and, under `--format json`,
// one JSON error document on stdout.
import { Command, CommanderError } from 'commander';
import { formatDiagnostic, UserError, type Diagnostic } from '../spec/common/diagnostic.ts';
import { registerCommands } from './commands/index.ts';
import {
  CliUsageError,
  errorDocument,
  EXIT_CANNOT_RUN,
  printJson,
  processIo,
  type Io,
} from './output.ts';

export const VERSION = '0.1.0';

/** True when the arguments ask for `--format json` (decided before parsing, which may fail). */
export function wantsJson(argv: readonly string[]): boolean {
  return argv.some((a, i) => a === '--format=json' || (a === '--format' && argv[i + 1] === 'json'));
}

export async function main(argv: readonly string[], io: Io = processIo()): Promise<number> {
  let status = 0;
  const json = wantsJson(argv);
  // Commander's own messages (unknown option, missing argument): kept to put into the JSON error.
  const commanderErrors: string[] = [];
  const program = new Command('sddf')
    .description(
      'An executable, checkable model of the seL4 Device Driver Framework (sDDF).\n' +
        'Exit status: 0 everything checked holds, 1 something does not hold, 2 could not run.',
    )
    .version(VERSION)
    .exitOverride()
    .configureOutput({
      writeOut: (s) => io.out(s),
      writeErr: (s) => {
        commanderErrors.push(s);
        io.err(s);
      },
    })
    .showHelpAfterError('(run `sddf --help` for usage)');
  await registerCommands(program, argv, io, (code) => {
    status = code;
  });
  const cannotRun = (diagnostics: readonly Diagnostic[], human: readonly string[]): number => {
    for (const line of human) io.err(`sddf: ${line}`);
    if (json) printJson(io, errorDocument(diagnostics));
    return EXIT_CANNOT_RUN;
  };
  try {
    await program.parseAsync([...argv], { from: 'user' });
    return status;
  } catch (e) {
    if (e instanceof CommanderError) {
      // --help and --version exit 0 through the same path; commander printed the message.
      if (e.exitCode === 0) return 0;
      if (json) {
        const message = (commanderErrors[0] ?? e.message).replace(/^error: /, '').trim();
        printJson(io, errorDocument([{ code: 'USAGE', message }]));
      }
      return EXIT_CANNOT_RUN;
    }
    if (e instanceof CliUsageError) {
      return cannotRun([{ code: e.code, message: e.message }], [e.message]);
    }
    if (e instanceof UserError) {
      return cannotRun(e.diagnostics, e.diagnostics.map(formatDiagnostic));
    }
    throw e;
  }
}
