// Builds the commander program. Each verb lives in src/cli/commands/<verb>.ts and exports a
// `register(program)` function; add it to VERBS below. Verbs only parse and print: the work is
// done by the library (engine, service, kms, policy).
//
// Start-up time (docs/architecture.md, "Start-up"): a verb's module is imported only when that
// verb runs. `buildProgram(args)` looks at the verb the user typed and loads just its module(s),
// so `cmek --version` loads no verb and `cmek kms ls` never loads the engine or the HCL parser.
// Help without a verb, `help`, and an unknown verb (for the "did you mean" line) load them all;
// `buildProgram()` with no argument builds the full program (tests enumerate its verbs).
import { Command, CommanderError } from 'commander';
import { closest } from '../engine/config/suggest.js';
import { ENGINE_VERSION } from '../engine/version.js';
import { diag, DiagnosticError } from '../model/diagnostics.js';
import { cliGlobals, typedSpelling } from './argv.js';

type Register = (program: Command) => void;

/** One top-level verb: its name and the registrations it needs, in order. */
interface Verb {
  name: string;
  load: () => Promise<Register[]>;
}

const one =
  (load: () => Promise<{ register: Register }>): (() => Promise<Register[]>) =>
  async () => [(await load()).register];

// In help order: the terraform-style verbs of the engine, then the local KMS and services.
const VERBS: readonly Verb[] = [
  { name: 'validate', load: one(() => import('./commands/validate.js')) },
  { name: 'plan', load: one(() => import('./commands/plan.js')) },
  { name: 'apply', load: one(() => import('./commands/apply.js')) },
  { name: 'destroy', load: one(() => import('./commands/destroy.js')) },
  { name: 'show', load: one(() => import('./commands/show.js')) },
  { name: 'refresh', load: one(() => import('./commands/refresh.js')) },
  { name: 'output', load: one(() => import('./commands/output.js')) },
  { name: 'state', load: one(() => import('./commands/state.js')) },
  { name: 'force-unlock', load: one(() => import('./commands/force-unlock.js')) },
  { name: 'version', load: one(() => import('./commands/version.js')) },
  { name: 'fmt', load: one(() => import('./commands/fmt.js')) },
  { name: 'taint', load: one(() => import('./commands/taint.js')) },
  { name: 'graph', load: one(() => import('./commands/graph.js')) },
  { name: 'console', load: one(() => import('./commands/console.js')) },
  { name: 'untaint', load: one(() => import('./commands/untaint.js')) },
  { name: 'import', load: one(() => import('./commands/import.js')) },
  {
    // kms-serve adds `serve` to the `kms` command that kms.ts creates: keep this order.
    name: 'kms',
    load: async () => {
      const [kms, serve] = await Promise.all([
        import('./commands/kms.js'),
        import('./commands/kms-serve.js'),
      ]);
      return [kms.register, serve.register];
    },
  },
  { name: 'service', load: one(() => import('./commands/service.js')) },
  { name: 'data', load: one(() => import('./commands/data.js')) },
  { name: 'backup', load: one(() => import('./commands/backup.js')) },
  { name: 'poll', load: one(() => import('./commands/poll.js')) },
  { name: 'server', load: one(() => import('./commands/server.js')) },
  // The Terraform provider plugin and the policy check.
  { name: 'provider', load: one(() => import('./commands/provider.js')) },
  { name: 'policy', load: one(() => import('./commands/policy.js')) },
  // State backends and workspaces (docs/backends.md):
  { name: 'init', load: one(() => import('./commands/init.js')) },
  { name: 'workspace', load: one(() => import('./commands/workspace.js')) },
];

/** The names of every top-level verb, in help order (no module is loaded). */
export const VERB_NAMES: readonly string[] = VERBS.map((v) => v.name);

/** The verbs `args` needs: none for `--version`, the typed verb's own, else all of them. */
function verbsFor(args: readonly string[] | undefined): readonly Verb[] {
  if (args === undefined) return VERBS;
  const first = args[0];
  if (first === '-v' || first === '--version') return [];
  const verb = VERBS.find((v) => v.name === first);
  return verb ? [verb] : VERBS;
}

/** The global flags every verb accepts (taken out of argv by normalizeArgv). */
const GLOBAL_FLAGS = ['chdir', 'no-color', 'input', 'help'];

/** `cmek state mv` for the `mv` command. */
function commandPath(cmd: Command): string {
  const names: string[] = [];
  for (let c: Command | null = cmd; c; c = c.parent) names.unshift(c.name());
  return names.join(' ');
}

function didYouMean(name: string, candidates: string[], show = (s: string) => s): string {
  const near = closest(name, candidates);
  return near ? ` Did you mean "${show(near)}"?` : '';
}

/** Commander's usage errors as ONE line (not the whole help): what was wrong, the nearest
 * verb or flag, and where the list is. Help and version requests pass through untouched. */
function usageLine(cmd: Command, err: CommanderError): string | undefined {
  const path = commandPath(cmd);
  const help = `Run ${path} -help`;
  switch (err.code) {
    case 'commander.helpDisplayed':
    case 'commander.help':
    case 'commander.version':
      return undefined;
    case 'commander.unknownCommand': {
      const name = cmd.args[0] ?? '';
      const verbs = cmd.commands.map((c) => c.name());
      return `${path}: unknown command "${name}".${didYouMean(name, verbs)} ${help} for the list.`;
    }
    case 'commander.unknownOption': {
      const flag = /unknown option '([^']*)'/.exec(err.message)?.[1] ?? '';
      const longs = [
        ...cmd.options.map((o) => o.long?.replace(/^--/, '')).filter((x): x is string => !!x),
        ...GLOBAL_FLAGS,
      ];
      const hint = didYouMean(flag.replace(/^-+/, '').replace(/=.*$/, ''), longs, (n) => `-${n}`);
      return `${path}: unknown flag "${typedSpelling(flag)}".${hint} ${help} for its flags.`;
    }
    default: {
      // Commander spells flags with two dashes: show the one-dash spelling the user typed.
      const text = err.message
        .replace(/^error: /, '')
        .replace(/'(--[a-z][a-z0-9-]*)/gi, (_m, f: string) => `'${typedSpelling(f)}`);
      return `${path}: ${text}${/[.!?]$/.test(text) ? '' : '.'} ${help} for the usage.`;
    }
  }
}

function quietUsageErrors(cmd: Command): void {
  cmd.configureOutput({ outputError: () => undefined });
  cmd.exitOverride((err) => {
    const line = usageLine(cmd, err);
    if (line !== undefined) process.stderr.write(`${line} (USAGE)\n`);
    throw err;
  });
  for (const sub of cmd.commands) quietUsageErrors(sub);
}

/** The commander program for `args` (the normalized argv after the binary): only the verbs it
 * needs are imported. Without `args`, the full program with every verb. */
export async function buildProgram(args?: readonly string[]): Promise<Command> {
  const registers = (await Promise.all(verbsFor(args).map((v) => v.load()))).flat();
  const program = new Command('cmek')
    .description(
      'Declarative CMEK provider: plan and apply KMS keys, key policies and encrypted ' +
        'services, with the CMEK rules enforced at plan time.\n\n' +
        'Flags take one or two dashes (-auto-approve = --auto-approve). ' +
        'Global flags, accepted by every verb: -chdir=DIR switches to DIR before running the ' +
        'command; -no-color (or NO_COLOR set) prints no colours; -input=false never asks ' +
        '(apply/destroy then need -auto-approve).',
    )
    .version(ENGINE_VERSION, '-v, --version');
  for (const register of registers) register(program);
  program.hook('preAction', () => {
    if (cliGlobals.usageError)
      throw new DiagnosticError(
        diag('USAGE', cliGlobals.usageError, 'Use -input=true or -input=false.'),
      );
  });
  quietUsageErrors(program);
  return program;
}
