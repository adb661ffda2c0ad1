// `cmek destroy [-auto-approve]`: plan -destroy, confirm, apply. prevent_destroy (also
// recorded in state for removed blocks) stops it with PREVENT_DESTROY.
import type { Command } from 'commander';
import { planAndApply, type ApplyFlags } from './apply.js';
import { addApplyOptions, runVerb } from './engine-cli.js';

export function register(program: Command): void {
  const cmd = program
    .command('destroy')
    .description('Destroy every resource recorded in the state');
  addApplyOptions(cmd);
  cmd.action((flags: ApplyFlags) => runVerb(() => planAndApply(flags, true)));
}
