// `cmek force-unlock ID [-force]` (SPEC 5): remove a state lock left by a run that died. Only
// the lock whose ID is given is removed, so a new lock taken meanwhile is never broken.
import type { Command } from 'commander';
import pc from 'picocolors';
import { forceUnlock, openWorkspace } from '../../engine/index.js';
import { confirm, finish, runVerb } from './engine-cli.js';

export function register(program: Command): void {
  program
    .command('force-unlock')
    .description('Remove the state lock with the given ID (from the STATE_LOCKED message)')
    .argument('<id>', 'the lock ID')
    .option('--force', 'do not ask for confirmation')
    .action((id: string, flags: { force?: boolean }) =>
      runVerb(async () => {
        const ws = await openWorkspace();
        if (!flags.force) {
          const ok = await confirm(
            'Do you really want to force-unlock?',
            'cmek will remove the lock on the state. This will allow local cmek commands to modify\n  this state, even though it may still be in use.',
            '-force',
          );
          if (!ok) {
            process.stderr.write('force-unlock cancelled.\n');
            process.exitCode = 1;
            return;
          }
        }
        const diags = forceUnlock(ws.statePath, id);
        if (!diags.length)
          process.stdout.write(
            `${pc.green(pc.bold('cmek state has been successfully unlocked!'))}\n`,
          );
        finish(diags);
      }),
    );
}
