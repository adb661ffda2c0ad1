// Builds the commander program. Each verb lives in src/cli/commands/<verb>.ts and exports a
// `register(program)` function; add it to COMMANDS below. Verbs only parse and print: the work
// is done by the library (engine, service, kms, policy).
import { Command, CommanderError } from 'commander';
import { closest } from '../engine/config/suggest.js';
import { ENGINE_VERSION } from '../engine/index.js';
import { diag, DiagnosticError } from '../model/diagnostics.js';
import { cliGlobals, typedSpelling } from './argv.js';
import { register as registerValidate } from './commands/validate.js';
import { register as registerPlan } from './commands/plan.js';
import { register as registerApply } from './commands/apply.js';
import { register as registerDestroy } from './commands/destroy.js';
import { register as registerShow } from './commands/show.js';
import { register as registerRefresh } from './commands/refresh.js';
import { register as registerOutput } from './commands/output.js';
import { register as registerState } from './commands/state.js';
import { register as registerForceUnlock } from './commands/force-unlock.js';
import { register as registerKms } from './commands/kms.js';
import { register as registerKmsServe } from './commands/kms-serve.js';
import { register as registerService } from './commands/service.js';
import { register as registerData } from './commands/data.js';
import { register as registerBackup } from './commands/backup.js';
import { register as registerPoll } from './commands/poll.js';
import { register as registerServer } from './commands/server.js';
import { register as registerVersion } from './commands/version.js';
import { register as registerFmt } from './commands/fmt.js';
import { register as registerTaint } from './commands/taint.js';
import { register as registerGraph } from './commands/graph.js';
import { register as registerConsole } from './commands/console.js';
import { register as registerUntaint } from './commands/untaint.js';
import { register as registerImport } from './commands/import.js';

// The terraform-style verbs of the engine.
const ENGINE_COMMANDS: Array<(program: Command) => void> = [
  registerValidate,
  registerPlan,
  registerApply,
  registerDestroy,
  registerShow,
  registerRefresh,
  registerOutput,
  registerState,
  registerForceUnlock,
  registerVersion,
  registerFmt,
  registerTaint,
  registerGraph,
  registerConsole,
  registerUntaint,
  registerImport,
];

// registerKmsServe adds `serve` to the `kms` command (creating it if no earlier verb did): keep
// it after the verb that owns `kms`.
const COMMANDS: Array<(program: Command) => void> = [
  ...ENGINE_COMMANDS,
  registerKms,
  registerKmsServe,
  registerService,
  registerData,
  registerBackup,
  registerPoll,
  registerServer,
];

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

export function buildProgram(): Command {
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
  for (const register of COMMANDS) register(program);
  program.hook('preAction', () => {
    if (cliGlobals.usageError)
      throw new DiagnosticError(
        diag('USAGE', cliGlobals.usageError, 'Use -input=true or -input=false.'),
      );
  });
  quietUsageErrors(program);
  return program;
}
