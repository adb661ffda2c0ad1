// `cmek apply [-auto-approve] [-parallelism=N] [-target=ADDR]... [-replace=ADDR]... [-refresh-only]
// [-lock=false] [-var K=V]... [PLANFILE]`. Without a
// plan file: plan, print, ask for "yes" (or -auto-approve), apply — all under one state lock so
// nothing changes between the review and the apply. With a plan file: apply exactly that plan
// (refused when stale).
import type { Command } from 'commander';
import pc from 'picocolors';
import {
  apply,
  lockWorkspace,
  openWorkspace,
  plan,
  planCounts,
  planHasChanges,
  readPlanFile,
  renderPlanText,
} from '../../engine/index.js';
import { diag, DiagnosticError } from '../../model/diagnostics.js';
import { printDiagnostics } from '../output.js';
import {
  confirm,
  finish,
  lockTimeoutMs,
  printApplySummary,
  printProgress,
  runVerb,
  withInterrupt,
  addApplyOptions,
  addPlanModeOptions,
} from './engine-cli.js';

export interface ApplyFlags {
  autoApprove?: boolean;
  parallelism?: number;
  var: Record<string, string>;
  varFile: string[];
  refresh: boolean;
  lockTimeout?: string;
  lock: boolean;
  target: string[];
  /** apply only (destroy does not register them). */
  replace?: string[];
  refreshOnly?: boolean;
}

export async function planAndApply(flags: ApplyFlags, destroy: boolean): Promise<void> {
  const ws = await openWorkspace();
  const lock = flags.lock
    ? await lockWorkspace(
        ws,
        destroy ? 'OperationTypeApply (destroy)' : 'OperationTypeApply',
        lockTimeoutMs(flags.lockTimeout),
      )
    : undefined;
  try {
    const p = await plan({
      workspace: ws,
      lock: false,
      destroy,
      refresh: flags.refresh,
      cliVars: flags.var,
      varFiles: flags.varFile,
      targets: flags.target,
      replace: flags.replace ?? [],
      refreshOnly: flags.refreshOnly ?? false,
    });
    if (p.errored) {
      finish(p.diagnostics);
      return;
    }
    process.stdout.write(renderPlanText(p));
    if (p.diagnostics.length) printDiagnostics(p.diagnostics);
    if (!planHasChanges(p) && !p.drift.length) {
      process.stdout.write(
        `\n${pc.green(pc.bold(destroy ? 'Destroy complete! Resources: 0 destroyed.' : 'Apply complete! Resources: 0 added, 0 changed, 0 destroyed.'))}\n`,
      );
      process.exitCode = 0;
      return;
    }
    if (!flags.autoApprove) {
      const ok = destroy
        ? await confirm(
            'Do you really want to destroy all resources?',
            'cmek will destroy all your managed infrastructure, as shown above.\n  There is no undo.',
            '-auto-approve',
          )
        : await confirm(
            'Do you want to perform these actions?',
            'cmek will perform the actions described above.',
            '-auto-approve',
          );
      if (!ok) {
        process.stderr.write(
          `\n${pc.red(pc.bold(destroy ? 'Error: Destroy cancelled.' : 'Error: Apply cancelled.'))}\n`,
        );
        process.exitCode = 1;
        return;
      }
    }
    process.stdout.write('\n');
    const r = await withInterrupt((signal) =>
      apply(p, {
        workspace: ws,
        lock: false,
        onEvent: printProgress,
        signal,
        ...(flags.parallelism ? { parallelism: flags.parallelism } : {}),
      }),
    );
    if (!r.diagnostics.some((d) => d.severity === 'error'))
      printApplySummary(r, destroy, planCounts(p).import);
    finish(r.diagnostics);
  } finally {
    lock?.release();
  }
}

export function register(program: Command): void {
  const cmd = program
    .command('apply')
    .description(
      'Create, update and destroy resources to match the configuration (or apply a saved plan)',
    )
    .argument('[planfile]', 'a plan saved by `cmek plan -out=FILE`');
  addApplyOptions(cmd);
  addPlanModeOptions(cmd);
  cmd.action((planfile: string | undefined, flags: ApplyFlags) =>
    runVerb(async () => {
      if (!planfile) return planAndApply(flags, false);
      if (Object.keys(flags.var).length || flags.varFile.length) {
        throw new DiagnosticError(
          diag(
            'USAGE',
            "Can't set variables when applying a saved plan",
            'The -var and -var-file options cannot be used when applying a saved plan file, ' +
              'because a saved plan includes the variable values that were set when it was ' +
              `created. Drop them, or plan again with them: cmek plan -var ... -out=${planfile}`,
          ),
        );
      }
      // Like terraform: what to plan was decided when the plan was saved.
      const planFlags = [
        ['-target', flags.target.length > 0],
        ['-replace', (flags.replace ?? []).length > 0],
        ['-refresh-only', flags.refreshOnly === true],
        ['-refresh=false', !flags.refresh],
      ] as const;
      const given = planFlags.filter(([, set]) => set).map(([name]) => name);
      if (given.length) {
        throw new DiagnosticError(
          diag(
            'USAGE',
            `Can't use ${given.join(', ')} when applying a saved plan`,
            'A saved plan already records what it plans (its targets, replacements and mode). ' +
              `Drop ${given.length > 1 ? 'them' : 'it'}, or plan again with ${given.length > 1 ? 'them' : 'it'}: ` +
              `cmek plan ${given.map((g) => (g.startsWith('-target') || g.startsWith('-replace') ? `${g}=ADDR` : g)).join(' ')} -out=${planfile}`,
          ),
        );
      }
      const p = readPlanFile(planfile);
      const r = await withInterrupt((signal) =>
        apply(p, {
          onEvent: printProgress,
          signal,
          lockTimeoutMs: lockTimeoutMs(flags.lockTimeout),
          lock: flags.lock,
          ...(flags.parallelism ? { parallelism: flags.parallelism } : {}),
        }),
      );
      if (!r.diagnostics.some((d) => d.severity === 'error'))
        printApplySummary(r, p.mode === 'destroy', planCounts(p).import);
      finish(r.diagnostics);
    }),
  );
}
