// cmek_backup: a snapshot of a service (src/service/backups.ts): its ciphertext and a copy of
// its wrapped keys, under the service's key. Immutable: any change replaces it. `kms_key` is
// computed (the service's key when it was taken; null for a provider-managed key), so a plan that
// destroys that key while the backup stays is CMEK_KEY_IN_USE.
import { z } from 'zod';
import type { BackupRecord } from '../service/backups.js';
import { clean, planGeneric, str } from './common.js';
import { controlPlaneFor } from './context.js';
import type { Attrs, ProviderContext, ResourceType } from './types.js';

export const backupSchema = z.object({
  service_id: z.string().min(1),
  description: z.string().optional(),
});

export const BACKUP_COMPUTED = ['id', 'encrypted', 'kms_key', 'size_bytes', 'created_at'] as const;
export const BACKUP_FORCE_NEW = ['service_id', 'description'] as const;

export function backupAttrs(b: BackupRecord, base: Attrs = {}): Attrs {
  return clean({
    ...base,
    id: b.id,
    service_id: base.service_id ?? b.serviceId,
    description: b.description ?? ('description' in base ? null : undefined),
    encrypted: b.encrypted,
    kms_key: b.kmsKey,
    size_bytes: b.sizeBytes,
    created_at: b.createdAt,
  });
}

async function create(planned: Attrs, ctx: ProviderContext): Promise<Attrs> {
  const cp = await controlPlaneFor(ctx);
  const description = str(planned.description);
  const b = await cp.backups.create(
    str(planned.service_id)!,
    description !== undefined ? { description } : {},
  );
  return backupAttrs(b, planned);
}

async function read(prior: Attrs, ctx: ProviderContext): Promise<Attrs | null> {
  const id = str(prior.id);
  if (!id) return null;
  const cp = await controlPlaneFor(ctx);
  const b = await cp.backups.get(id);
  return b ? backupAttrs(b, prior) : null;
}

async function destroy(prior: Attrs, ctx: ProviderContext): Promise<void> {
  const id = str(prior.id);
  if (!id) return;
  const cp = await controlPlaneFor(ctx);
  await cp.backups.delete(id);
}

export const backup: ResourceType<typeof backupSchema> = {
  type: 'cmek_backup',
  schema: backupSchema,
  computed: BACKUP_COMPUTED,
  forceNew: BACKUP_FORCE_NEW,
  plan: ({ config, prior }) =>
    planGeneric(config, prior, { computed: BACKUP_COMPUTED, forceNew: BACKUP_FORCE_NEW }),
  create,
  read,
  // Immutable: every argument forces replacement, so update only ever refreshes.
  update: async (prior, planned, ctx) => (await read({ ...prior, ...planned }, ctx)) ?? planned,
  delete: destroy,
  // No adopt: a backup has no unique name to find it by; after a crash the engine plans a fresh
  // backup and warns that an orphan may exist (`cmek service describe` lists it).
};
