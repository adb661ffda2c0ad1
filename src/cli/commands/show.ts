// `cmek show [-json] [PLANFILE]`: a saved plan, or without one the state — as text or
// as Terraform's JSON representations (`terraform show -json`).
import type { Command } from 'commander';
import {
  openWorkspace,
  readPlanFile,
  readWorkspaceState,
  renderPlanJson,
  renderPlanText,
  renderStateJson,
  renderStateText,
} from '../../engine/index.js';
import { finish, runVerb, writeJson } from './engine-cli.js';

export function register(program: Command): void {
  program
    .command('show')
    .description('Show the state, or a saved plan')
    .argument('[planfile]', 'a plan saved by `cmek plan -out=FILE`')
    .option('--json', 'print the Terraform JSON representation')
    .action((planfile: string | undefined, flags: { json?: boolean }) =>
      runVerb(async () => {
        if (planfile) {
          const p = readPlanFile(planfile);
          if (flags.json) {
            // The configuration section is best effort: a plan file may be shown elsewhere.
            const ws = await openWorkspace().catch(() => undefined);
            writeJson(
              renderPlanJson(
                p,
                ws && !ws.diagnostics.some((d) => d.severity === 'error') ? ws.config : undefined,
              ),
            );
          } else process.stdout.write(renderPlanText(p));
          process.exitCode = 0;
          return;
        }
        const { state, diagnostics } = await readWorkspaceState();
        if (diagnostics.some((d) => d.severity === 'error')) return finish(diagnostics);
        if (flags.json) writeJson(renderStateJson(state));
        else process.stdout.write(renderStateText(state));
        finish(diagnostics);
      }),
    );
}
