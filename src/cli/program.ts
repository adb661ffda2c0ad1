// Builds the commander program. Each verb lives in src/cli/commands/<verb>.ts and exports a
// `register(program)` function; add it to COMMANDS below. Verbs only parse and print: the work
// is done by the library (engine, service, kms, policy).
import { Command } from 'commander';
import { readFileSync } from 'node:fs';
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

// The terraform-style verbs of the engine (SPEC 5).
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

function version(): string {
  const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as {
    version: string;
  };
  return pkg.version;
}

export function buildProgram(): Command {
  const program = new Command('cmek')
    .description(
      'Declarative CMEK provider: plan and apply KMS keys, key policies and encrypted ' +
        'services, with the CMEK rules enforced at plan time.\n\n' +
        'Flags take one or two dashes (-auto-approve = --auto-approve). ' +
        'Global flag: -chdir=DIR switches to DIR before running the command.',
    )
    .version(version(), '-v, --version')
    .showHelpAfterError()
    .exitOverride();
  for (const register of COMMANDS) register(program);
  return program;
}
