// `cmek state list|show ADDR|rm ADDR...` (SPEC 5): inspect the state, or forget resources
// without destroying them.
import type { Command } from 'commander';
import { diag, DiagnosticError } from '../../model/diagnostics.js';
import {
  readWorkspaceState,
  renderInstanceText,
  stateInstances,
  stateRm,
} from '../../engine/index.js';
import { addLockOptions, finish, lockTimeoutMs, runVerb } from './engine-cli.js';

export function register(program: Command): void {
  const state = program.command('state').description('Inspect or edit the state');
  state
    .command('list')
    .description('List the resource addresses in the state')
    .argument('[addresses...]', 'only these (block or instance addresses)')
    .action((filters: string[]) =>
      runVerb(async () => {
        const { state: s, diagnostics } = await readWorkspaceState();
        if (diagnostics.some((d) => d.severity === 'error')) return finish(diagnostics);
        for (const e of stateInstances(s)) {
          if (e.deposed) continue;
          if (filters.length && !filters.some((f) => f === e.address || f === e.block)) continue;
          process.stdout.write(`${e.address}\n`);
        }
        finish([]);
      }),
    );
  state
    .command('show')
    .description('Show one resource instance of the state')
    .argument('<address>', 'e.g. cmek_kms_key.k or cmek_kms_key.k[0]')
    .action((address: string) =>
      runVerb(async () => {
        const { state: s, diagnostics } = await readWorkspaceState();
        if (diagnostics.some((d) => d.severity === 'error')) return finish(diagnostics);
        const e = stateInstances(s).find((x) => x.address === address && !x.deposed);
        if (!e)
          throw new DiagnosticError(
            diag(
              'USAGE',
              `No instance found for the given address: ${address}`,
              'See the addresses with: cmek state list',
            ),
          );
        process.stdout.write(
          `${renderInstanceText(e.type, e.name, e.address, e.instance.attributes)}\n`,
        );
        finish([]);
      }),
    );
  const rm = state
    .command('rm')
    .description('Forget resources (they are NOT destroyed; cmek stops managing them)')
    .argument('<addresses...>', 'block or instance addresses');
  addLockOptions(rm);
  rm.action((addresses: string[], flags: { lockTimeout?: string }) =>
    runVerb(async () => {
      const r = await stateRm(addresses, { lockTimeoutMs: lockTimeoutMs(flags.lockTimeout) });
      for (const a of r.removed) process.stdout.write(`Removed ${a}\n`);
      if (r.removed.length)
        process.stdout.write(`Successfully removed ${r.removed.length} resource instance(s).\n`);
      finish(r.diagnostics);
    }),
  );
}
