// `cmek validate [-json]`: check the configuration alone — syntax, references, cycles,
// schemas and the CMEK rules — without state or any KMS.
import type { Command } from 'commander';
import pc from 'picocolors';
import { validate } from '../../engine/index.js';
import { finish, runVerb, writeJson } from './engine-cli.js';

export function register(program: Command): void {
  program
    .command('validate')
    .description('Check the configuration (syntax, references, schemas, CMEK rules) without state')
    .option('--json', 'print the result as JSON')
    .action((flags: { json?: boolean }) =>
      runVerb(async () => {
        const r = await validate();
        const errors = r.diagnostics.filter((d) => d.severity === 'error').length;
        if (flags.json) {
          writeJson({
            format_version: '1.0',
            valid: r.valid,
            error_count: errors,
            warning_count: r.diagnostics.length - errors,
            diagnostics: r.diagnostics,
          });
          process.exitCode = r.valid ? 0 : 1;
          return;
        }
        if (r.valid)
          process.stdout.write(`${pc.green(pc.bold('Success!'))} The configuration is valid.\n`);
        finish(r.diagnostics);
      }),
    );
}
