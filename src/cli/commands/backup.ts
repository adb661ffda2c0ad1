// `cmek backup ls [SERVICE] [-json]`, `cmek backup rm BACKUP` — the backups of the embedded
// control plane, including those no configuration manages (taken by another configuration, or
// left behind by an apply killed during its create). They matter because a backup still uses
// its key: the plan refuses to delete that key (CMEK_KEY_IN_USE) while one exists, so a user
// needs a way to see them and remove one on purpose. Parsing and printing only.
import type { Command } from 'commander';
import { diag, DiagnosticError } from '../../model/diagnostics.js';
import type { BackupRecord } from '../../service/backups.js';
import { common, openServicePlane, printJson, split, table, type PlaneOptions } from './service.js';

function keyText(b: BackupRecord): string {
  return b.keyOwner === 'customer' ? (b.kmsKey ?? b.kekArn) : '(provider-managed, not CMEK)';
}

export function register(program: Command): void {
  const backup = program
    .command('backup')
    .description('List and remove backups (also those no configuration manages)');

  common(
    backup
      .command('ls')
      .description('List backups: id, service, size, key (all, or of one service by name or id)')
      .argument('[service]', 'only the backups of this service (name or id)'),
  )
    .option('--json', 'machine-readable output')
    .action(async (...all: unknown[]) => {
      const [[service], o] = split<[string | undefined], PlaneOptions>(all);
      const cp = await openServicePlane(o);
      const list = (await cp.backups.list()).filter(
        (b) => service === undefined || b.serviceId === service || b.serviceName === service,
      );
      if (o.json) return printJson(list);
      if (!list.length) {
        process.stdout.write(`No backups${service ? ` of ${service}` : ''} in ${cp.location}.\n`);
        return;
      }
      const rows = [['ID', 'SERVICE', 'REGION', 'OBJECTS', 'BYTES', 'CREATED', 'KEY']];
      for (const b of list) {
        rows.push([
          b.id,
          b.serviceName,
          b.region,
          String(b.objectCount),
          String(b.sizeBytes),
          b.createdAt,
          keyText(b),
        ]);
      }
      process.stdout.write(`${table(rows)}\n`);
    });

  common(
    backup
      .command('rm')
      .description('Delete a backup for good (its data cannot be restored afterwards)')
      .argument('<backup>', 'backup id (bkp-...)'),
  ).action(async (...all: unknown[]) => {
    const [[id], o] = split<[string], PlaneOptions>(all);
    const cp = await openServicePlane(o);
    const b = await cp.backups.get(id);
    if (!b) {
      throw new DiagnosticError(
        diag(
          'USAGE',
          `No backup ${id} in ${cp.location}`,
          'List the backups with `cmek backup ls` and pass one of their ids.',
        ),
      );
    }
    await cp.backups.delete(b.id);
    process.stdout.write(
      `Deleted backup ${b.id} of ${b.serviceName} (${b.objectCount} objects, ${b.sizeBytes} bytes).\n` +
        'If a configuration manages it (cmek_backup), its next plan creates it again.\n',
    );
  });
}
