// `cmek taint ADDRESS`: mark an instance in the state so the next plan replaces it (Terraform's
// `"status": "tainted"`). `cmek untaint` (untaint.ts) removes the mark. docs/cli/taint.md.
import type { Command } from 'commander';
import { setTainted } from '../../engine/state-edit.js';
import { addLockOptions, finish, lockTimeoutMs, runVerb } from './engine-cli.js';

/** The body of `taint` and `untaint`. */
export function registerTaintVerb(program: Command, tainted: boolean): void {
  const verb = tainted ? 'taint' : 'untaint';
  const cmd = program
    .command(verb)
    .description(
      tainted
        ? 'Mark a resource instance for replacement at the next apply'
        : 'Remove the tainted mark of a resource instance',
    )
    .argument('<address>', 'e.g. cmek_kms_key.k or cmek_kms_key.k[0]');
  addLockOptions(cmd);
  cmd.action((address: string, flags: { lockTimeout?: string }) =>
    runVerb(async () => {
      const r = await setTainted(address, tainted, {
        lockTimeoutMs: lockTimeoutMs(flags.lockTimeout),
      });
      if (r.result)
        process.stdout.write(
          `Resource instance ${address} has been ${tainted ? 'marked as tainted' : 'successfully untainted'}.\n`,
        );
      finish(r.diagnostics);
    }),
  );
}

export function register(program: Command): void {
  registerTaintVerb(program, true);
}
