// `cmek policy check PATH... [--format text|json|sarif|junit] [--output FILE] [--skip CODE]...
// [--config FILE] [--help-uri BASE]`: run the CMEK rules and review findings over Terraform
// plans/states (any providers), cdktf output and .tf configurations (docs/policy.md,
// docs/cli/policy.md). Exit 0: no error-level finding; 1: at least one; 2: an input (or the
// configuration) cannot be used — the diagnostic names the file and why.
import { Option, type Command } from 'commander';
import { DiagnosticError, diag } from '../../model/diagnostics.js';
import { ENGINE_VERSION } from '../../engine/state.js';
import {
  exitCodeOf,
  loadPolicyConfig,
  policyCheck,
  render,
  REPORT_FORMATS,
  type ReportFormat,
} from '../../policy/index.js';
import { writeFileAtomic } from '../../support/atomic.js';
import { printDiagnostics } from '../output.js';

interface Flags {
  format: ReportFormat;
  output?: string;
  skip: string[];
  config?: string;
  helpUri?: string;
}

export function register(program: Command): void {
  const policy = program
    .command('policy')
    .description(
      'Check Terraform plans, states, cdktf output and .tf files against the CMEK rules',
    );
  policy
    .command('check')
    .description(
      'Run the CMEK rules and review findings over plan/state JSON (terraform show -json), ' +
        'cdktf output or .tf directories',
    )
    .argument(
      '<path...>',
      'plan or state JSON, cdk.tf.json, cdktf.out, manifest.json, .tf file or directory',
    )
    .addOption(
      new Option('--format <format>', 'output format').choices([...REPORT_FORMATS]).default('text'),
    )
    .option('--output <file>', 'write the report to this file instead of stdout')
    .option(
      '--skip <code>',
      'report findings of this code as suppressed (repeatable)',
      (v: string, prev: string[]) => [...prev, v],
      [] as string[],
    )
    .option('--config <file>', 'severity configuration (default: .cmek-policy.json if present)')
    .option('--help-uri <url>', 'base URL of docs/policy.md for SARIF help links')
    .action(async (paths: string[], flags: Flags) => {
      try {
        const config = await loadPolicyConfig(flags.config, process.cwd());
        const result = await policyCheck(paths, { skip: flags.skip, config });
        const text = render(result, flags.format, {
          version: ENGINE_VERSION,
          ...(flags.helpUri !== undefined ? { helpBase: flags.helpUri } : {}),
        });
        if (flags.output !== undefined) {
          try {
            await writeFileAtomic(flags.output, text, { mode: 0o644, mkdir: false });
          } catch (e) {
            throw new DiagnosticError(
              diag(
                'IO_ERROR',
                `Cannot write the report to ${flags.output}`,
                `${(e as NodeJS.ErrnoException).code ?? (e as Error).message}: name a writable file.`,
                { file: flags.output },
              ),
            );
          }
        } else process.stdout.write(text);
        process.exitCode = exitCodeOf(result);
      } catch (e) {
        if (!(e instanceof DiagnosticError)) throw e;
        printDiagnostics(e.diagnostics);
        process.exitCode = 2;
      }
    });
}
