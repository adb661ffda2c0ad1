// `cmek refresh`: read every resource and record changes made outside cmek in the
// state (terraform's `apply -refresh-only -auto-approve`).
import type { Command } from 'commander';
import { refresh, renderDriftText } from '../../engine/index.js';
import {
  addLockFlag,
  addLockOptions,
  addVarOptions,
  finish,
  lockTimeoutMs,
  printOutputs,
  runVerb,
} from './engine-cli.js';

export function register(program: Command): void {
  const cmd = program
    .command('refresh')
    .description('Update the state from the real objects (drift), changing nothing else');
  addVarOptions(cmd);
  addLockOptions(cmd);
  addLockFlag(cmd, 'take the state lock (-lock=false skips it: only when nothing else can run)');
  cmd.action(
    (flags: {
      var: Record<string, string>;
      varFile: string[];
      lockTimeout?: string;
      lock: boolean;
    }) =>
      runVerb(async () => {
        const r = await refresh({
          cliVars: flags.var,
          varFiles: flags.varFile,
          lockTimeoutMs: lockTimeoutMs(flags.lockTimeout),
          lock: flags.lock,
        });
        if (!r.plan.errored) {
          process.stdout.write(renderDriftText(r.plan));
          process.stdout.write(
            r.written
              ? '\nRefresh complete: the state records the changes above.\n'
              : '\nNo changes outside cmek: the state is up to date.\n',
          );
          printOutputs(r.plan.priorState);
        }
        finish(r.diagnostics);
      }),
  );
}
