// `cmek plan [-out=FILE] [-json] [-destroy] [-refresh=false] [-refresh-only] [-target=ADDR]...
// [-replace=ADDR]... [-var K=V]... [-detailed-exitcode] [-lock=false]`
// show what apply would do. Exit 0 = no error, 1 = errors, 2 = changes present (only
// with -detailed-exitcode). With -json the Terraform plan representation is printed even when
// the plan has errors (`errored: true`, diagnostics inside) so tools always get a document.
import type { Command } from 'commander';
import {
  openWorkspace,
  plan,
  planHasChanges,
  renderPlanJson,
  renderPlanText,
  writePlanFile,
} from '../../engine/index.js';
import {
  addLockOptions,
  addPlanModeOptions,
  addTargetOption,
  addVarOptions,
  finish,
  lockTimeoutMs,
  parseBool,
  parsePositiveInt,
  runVerb,
  writeJson,
} from './engine-cli.js';

interface PlanFlags {
  out?: string;
  json?: boolean;
  destroy?: boolean;
  refresh: boolean;
  var: Record<string, string>;
  varFile: string[];
  detailedExitcode?: boolean;
  lockTimeout?: string;
  lock: boolean;
  parallelism?: number;
  target: string[];
  replace: string[];
  refreshOnly?: boolean;
}

export function register(program: Command): void {
  const cmd = program
    .command('plan')
    .description('Show the changes apply would make, with the CMEK rules checked first')
    .option('--out <file>', 'save the plan to FILE for `cmek apply FILE`')
    .option('--json', "print Terraform's JSON plan representation")
    .option('--destroy', 'plan to destroy every resource in the state')
    .option(
      '--refresh <bool>',
      'read the real objects first and report drift',
      parseBool('refresh'),
      true,
    )
    .option(
      '--lock <bool>',
      'take the state lock (plan only reads the state; -lock=false lets a CI plan run beside an apply)',
      parseBool('lock'),
      true,
    )
    .option('--detailed-exitcode', 'exit 2 when there are changes (0 none, 1 error)')
    .option(
      '--parallelism <n>',
      'refresh reads in flight at once (default 10)',
      parsePositiveInt('parallelism'),
    );
  addTargetOption(cmd);
  addPlanModeOptions(cmd);
  addVarOptions(cmd);
  addLockOptions(cmd);
  cmd.action((flags: PlanFlags) =>
    runVerb(async () => {
      const ws = await openWorkspace();
      const p = await plan({
        workspace: ws,
        destroy: flags.destroy ?? false,
        refresh: flags.refresh,
        cliVars: flags.var,
        varFiles: flags.varFile,
        lockTimeoutMs: lockTimeoutMs(flags.lockTimeout),
        lock: flags.lock,
        targets: flags.target,
        replace: flags.replace,
        refreshOnly: flags.refreshOnly ?? false,
        ...(flags.parallelism ? { parallelism: flags.parallelism } : {}),
      });
      const changes = planHasChanges(p);
      if (flags.json) {
        writeJson(renderPlanJson(p, ws.config));
        process.exitCode = p.errored ? 1 : flags.detailedExitcode && changes ? 2 : 0;
      } else {
        if (!p.errored) process.stdout.write(renderPlanText(p));
        finish(p.diagnostics, flags.detailedExitcode && changes ? 2 : 0);
      }
      if (flags.out && !p.errored) {
        writePlanFile(flags.out, p);
        if (!flags.json) {
          process.stdout.write(
            `\nSaved the plan to: ${flags.out}\n\nTo perform exactly these actions, run the following command to apply:\n    cmek apply ${JSON.stringify(flags.out).slice(1, -1)}\n`,
          );
        }
      }
    }),
  );
}
