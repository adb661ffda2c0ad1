// `cmek destroy [-auto-approve]` (SPEC 5): plan -destroy, confirm, apply. prevent_destroy (also
// recorded in state for removed blocks) stops it with PREVENT_DESTROY.
import type { Command } from 'commander';
import { planAndApply, type ApplyFlags } from './apply.js';
import {
  addLockOptions,
  addVarOptions,
  parseBool,
  parsePositiveInt,
  runVerb,
} from './engine-cli.js';

export function register(program: Command): void {
  const cmd = program
    .command('destroy')
    .description('Destroy every resource recorded in the state')
    .option('--auto-approve', 'do not ask for confirmation')
    .option(
      '--parallelism <n>',
      'resource operations in flight at once (default 10)',
      parsePositiveInt('parallelism'),
    )
    .option(
      '--refresh <bool>',
      'read the real objects before planning',
      parseBool('refresh'),
      true,
    );
  addVarOptions(cmd);
  addLockOptions(cmd);
  cmd.action((flags: ApplyFlags) => runVerb(() => planAndApply(flags, true)));
}
