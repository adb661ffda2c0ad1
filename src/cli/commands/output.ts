// `cmek output [NAME] [-json] [-raw]`: output values from the state.
import type { Command } from 'commander';
import { diag, DiagnosticError } from '../../model/diagnostics.js';
import { formatValue, readWorkspaceState } from '../../engine/index.js';
import { finish, runVerb, writeJson } from './engine-cli.js';

export function register(program: Command): void {
  program
    .command('output')
    .description('Print output values from the state')
    .argument('[name]', 'one output')
    .option('--json', 'print as JSON')
    .option('--raw', 'print a string output without quotes (for scripts)')
    .action((name: string | undefined, flags: { json?: boolean; raw?: boolean }) =>
      runVerb(async () => {
        const { state, diagnostics } = await readWorkspaceState();
        if (diagnostics.some((d) => d.severity === 'error')) return finish(diagnostics);
        const outputs = state?.outputs ?? {};
        if (name === undefined) {
          if (flags.raw)
            throw new DiagnosticError(
              diag('USAGE', '-raw needs an output name', 'Run: cmek output -raw NAME'),
            );
          if (flags.json) {
            writeJson(
              Object.fromEntries(
                Object.entries(outputs).map(([k, o]) => [
                  k,
                  { sensitive: o.sensitive ?? false, type: o.type, value: o.value },
                ]),
              ),
            );
          } else {
            const entries = Object.entries(outputs);
            if (!entries.length) {
              process.stderr.write(
                'Warning: No outputs found. The state has no outputs: apply a configuration with output blocks first.\n',
              );
            }
            const w = Math.max(0, ...entries.map(([k]) => k.length));
            for (const [k, o] of entries)
              process.stdout.write(
                `${k.padEnd(w)} = ${o.sensitive ? '<sensitive>' : formatValue(o.value)}\n`,
              );
          }
          return finish([]);
        }
        const o = outputs[name];
        if (!o) {
          throw new DiagnosticError(
            diag(
              'USAGE',
              `Output "${name}" not found`,
              `The state has ${Object.keys(outputs).length ? `the outputs: ${Object.keys(outputs).join(', ')}` : 'no outputs'}. Apply a configuration that declares output "${name}".`,
            ),
          );
        }
        if (flags.json) writeJson(o.value);
        else if (flags.raw) {
          if (typeof o.value === 'object' && o.value !== null) {
            throw new DiagnosticError(
              diag(
                'USAGE',
                `Output "${name}" is not a primitive value`,
                '-raw prints strings, numbers and bools only; use -json for lists and objects.',
              ),
            );
          }
          process.stdout.write(String(o.value));
        } else process.stdout.write(`${formatValue(o.value)}\n`);
        finish([]);
      }),
    );
}
