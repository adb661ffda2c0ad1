// Import (`cmek import ADDR ID`, `import { to, id }`) of the services and backups of the
// control plane: from the id a user knows to the attributes each type's `read` needs. The
// KMS types (kms-key.ts, kms-key-policy.ts) have their own, next to their read.
import { diag, DiagnosticError } from '../model/diagnostics.js';
import type { ServiceKind, ServiceRecord } from '../service/types.js';
import { clean } from './common.js';
import { controlPlaneFor } from './context.js';
import type { Attrs, ProviderContext } from './types.js';

const TYPE_OF_KIND: Record<ServiceKind, string> = {
  service: 'cmek_encrypted_service',
  replica: 'cmek_replica',
  clone: 'cmek_clone',
  restore: 'cmek_backup_restore',
};

/** The service named by id or name, which must be of `kind`; null when there is none. */
async function serviceOfKind(
  id: string,
  kind: ServiceKind,
  ctx: ProviderContext,
): Promise<ServiceRecord | null> {
  const cp = await controlPlaneFor(ctx);
  const rec = await cp.get(id);
  if (!rec) return null;
  if (rec.kind !== kind) {
    throw new DiagnosticError(
      diag(
        'IMPORT_NOT_FOUND',
        `${id} is a ${TYPE_OF_KIND[rec.kind]}, not a ${TYPE_OF_KIND[kind]}`,
        `Import it to a ${TYPE_OF_KIND[rec.kind]} block (its id is ${rec.id}).`,
      ),
    );
  }
  return rec;
}

/** The seed of a service or a derived one (replica, clone, restore), by id or name. A replica
 * records its region and, across regions, its own key (both are written in its block); a
 * clone's or restore's region and key are left out, as their blocks usually leave them out. */
export async function importService(
  id: string,
  kind: ServiceKind,
  ctx: ProviderContext,
): Promise<Attrs | null> {
  const rec = await serviceOfKind(id, kind, ctx);
  if (!rec) return null;
  if (kind === 'service') return { id: rec.id };
  const seed: Record<string, string | undefined> = { id: rec.id, name: rec.name };
  if (kind === 'replica') {
    const primary = rec.parentId ? await (await controlPlaneFor(ctx)).get(rec.parentId) : undefined;
    seed.primary_id = rec.parentId;
    seed.region = rec.region;
    seed.kind = rec.replicaKind ?? 'read';
    if (rec.kmsKey && primary && primary.region !== rec.region) seed.kms_key = rec.kmsKey;
  } else {
    seed[kind === 'clone' ? 'source_id' : 'backup_id'] = rec.parentId;
  }
  return clean(seed);
}

/** The seed of a backup, by its id (`bkp-...`). */
export async function importBackup(id: string, ctx: ProviderContext): Promise<Attrs | null> {
  const b = await (await controlPlaneFor(ctx)).backups.get(id);
  return b ? { id: b.id, service_id: b.serviceId } : null;
}
