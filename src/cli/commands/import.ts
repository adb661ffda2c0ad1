// `cmek import [-var ...] [-lock-timeout D] ADDR ID`: bring an existing object under the
// resource block ADDR by recording it in the state (terraform import). Nothing is created or
// changed; the next plan shows how the object differs from the block. docs/cli/import.md.
import type { Command } from 'commander';
import pc from 'picocolors';
import { importResource } from '../../engine/import.js';
import { addLockOptions, addVarOptions, finish, lockTimeoutMs, runVerb } from './engine-cli.js';

interface ImportFlags {
  var: Record<string, string>;
  varFile: string[];
  lockTimeout?: string;
}

export function register(program: Command): void {
  const cmd = program
    .command('import')
    .description('Record an existing object (key, policy, service, backup) in the state at ADDR')
    .argument('<address>', 'a resource block of the configuration: TYPE.NAME or TYPE.NAME[N]')
    .argument('<id>', 'key id / ARN / alias, service id or name, backup id');
  addLockOptions(addVarOptions(cmd));
  cmd.action((address: string, id: string, flags: ImportFlags) =>
    runVerb(async () => {
      const r = await importResource(address, id, {
        cliVars: flags.var,
        varFiles: flags.varFile,
        lockTimeoutMs: lockTimeoutMs(flags.lockTimeout),
      });
      if (r.imported) {
        const { address: addr, type } = r.imported;
        const got = r.imported.attributes.id;
        process.stdout.write(
          `${pc.bold(addr)}: Importing from ID ${JSON.stringify(id)}...\n` +
            `${pc.bold(addr)}: Import prepared!\n` +
            `  Prepared ${type} for import\n` +
            `${pc.bold(addr)}: Refreshing state...${typeof got === 'string' ? ` [id=${got}]` : ''}\n\n` +
            `${pc.green(pc.bold('Import successful!'))}\n\n` +
            `${pc.green('The resources that were imported are shown above. These resources are now in\nyour cmek state and will henceforth be managed by cmek.')}\n`,
        );
      }
      finish(r.diagnostics);
    }),
  );
}
