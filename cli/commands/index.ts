// The subcommands, each in cli/commands/<name>.ts, loaded only when it runs (docs/adr/001: a
// command loads only what it needs; `sddf --help` loads none of them). The summary and arguments
// here are what the top-level help shows; each module registers its full definition.
import type { Command } from 'commander';
import type { Io } from '../output.ts';

export type SetStatus = (code: number) => void;
export type Register = (program: Command, io: Io, setStatus: SetStatus) => void;

interface CommandEntry {
  /** Arguments as commander spells them, for the top-level help. */
  readonly args: string;
  readonly summary: string;
  readonly load: () => Promise<Register>;
}

export const COMMANDS: Readonly<Record<string, CommandEntry>> = {
  check: {
    args: '',
    summary: 'check everything on a system: audit, proofs, model checking, refinement',
    load: async () => (await import('./check.ts')).registerCheck,
  },
  prove: {
    args: '',
    summary: 'run the Z3 proof obligations',
    load: async () => (await import('./prove.ts')).registerProve,
  },
  mc: {
    args: '[model]',
    summary: 'model-check a protocol model (built-in, or your own with --model FILE)',
    load: async () => (await import('./mc.ts')).registerMc,
  },
  'mc-merge': {
    args: '<results...>',
    summary: 'merge the shard results of a swarm into one verdict',
    load: async () => (await import('./mc.ts')).registerMcMerge,
  },
  audit: {
    args: '<file>',
    summary: 'audit a Microkit .system file for least privilege',
    load: async () => (await import('./audit.ts')).registerAudit,
  },
  run: {
    args: '',
    summary: 'run an emulated system',
    load: async () => (await import('./run.ts')).registerRun,
  },
  replay: {
    args: '<trace>',
    summary: 'replay an ITF trace on the spec model and render it',
    load: async () => (await import('./replay.ts')).registerReplay,
  },
  mutants: {
    args: '',
    summary: 'run the seeded-bug catalogue',
    load: async () => (await import('./mutants.ts')).registerMutants,
  },
};

/** The subcommand `argv` names (`sddf NAME ...` or `sddf help NAME`), if it is one of ours. */
export function commandOf(argv: readonly string[]): string | undefined {
  const first = argv.find((a) => !a.startsWith('-'));
  const name = first === 'help' ? argv[argv.indexOf('help') + 1] : first;
  return name !== undefined && Object.hasOwn(COMMANDS, name) ? name : undefined;
}

/**
 * Registers the subcommand `argv` runs, fully; the others as one-line stubs so that the top-level
 * help lists them and commander still rejects unknown commands.
 */
export async function registerCommands(
  program: Command,
  argv: readonly string[],
  io: Io,
  setStatus: SetStatus,
): Promise<void> {
  const chosen = commandOf(argv);
  for (const [name, c] of Object.entries(COMMANDS)) {
    if (name === chosen) (await c.load())(program, io, setStatus);
    else program.command(c.args === '' ? name : `${name} ${c.args}`).description(c.summary);
  }
}
