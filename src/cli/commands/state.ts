// `cmek state list|show ADDR|rm ADDR...|mv SRC DST`: inspect the state, forget resources
// without destroying them, or rename an address (docs/cli/state.md).
import type { Command } from 'commander';
import { canonicalAddress, filterMatches, formatAddress } from '../../model/address.js';
import { diag, DiagnosticError } from '../../model/diagnostics.js';
import {
  readWorkspaceState,
  renderInstanceText,
  stateInstances,
  stateRm,
} from '../../engine/index.js';
import { stateMv } from '../../engine/state-edit.js';
import { stateSensitivePaths } from '../../engine/sensitive.js';
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
        // What data sources read, as terraform lists them (docs/configuration.md).
        // One line per instance with count / for_each (`data.T.N[0]`, `data.T.N["k"]`).
        for (const r of s?.resources ?? []) {
          if (r.mode !== 'data') continue;
          const block = `data.${r.type}.${r.name}`;
          for (const i of r.instances) {
            const address = `data.${formatAddress(r.type, r.name, i.index_key)}`;
            if (filters.length && !filters.some((f) => f === block || f === address)) continue;
            process.stdout.write(`${address}\n`);
          }
        }
        for (const e of stateInstances(s)) {
          if (e.deposed) continue;
          if (filters.length && !filters.some((f) => filterMatches(f, e.address))) continue;
          process.stdout.write(`${e.address}\n`);
        }
        finish([]);
      }),
    );
  state
    .command('show')
    .description('Show one resource instance of the state')
    .argument('<address>', 'e.g. cmek_kms_key.k, cmek_kms_key.k[0] or cmek_kms_key.k["eu"]')
    .action((text: string) =>
      runVerb(async () => {
        const address = canonicalAddress(text);
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
        // Terraform's mark of a tainted object (cmek taint).
        if (e.instance.status === 'tainted') process.stdout.write(`# ${e.address}: (tainted)\n`);
        process.stdout.write(
          `${renderInstanceText(e.type, e.name, e.address, e.instance.attributes, stateSensitivePaths(e.instance))}\n`,
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
  const mv = state
    .command('mv')
    .description('Record an object under another address (nothing is created or destroyed)')
    .argument('<source>', 'block or instance address now in the state')
    .argument('<destination>', 'the new address (must not exist yet)');
  addLockOptions(mv);
  mv.action((src: string, dst: string, flags: { lockTimeout?: string }) =>
    runVerb(async () => {
      const r = await stateMv(src, dst, { lockTimeoutMs: lockTimeoutMs(flags.lockTimeout) });
      for (const m of r.result ?? []) process.stdout.write(`Move ${m.replace(' -> ', ' to ')}\n`);
      if (r.result?.length)
        process.stdout.write(`Successfully moved ${r.result.length} object(s).\n`);
      finish(r.diagnostics);
    }),
  );
}
