// cmek_backup_restore: a new service made from a backup (src/service/lifecycle.ts), its data
// re-encrypted under its own keys. The key: the backup's (encrypted backup; clickhouse allows no
// other), another key of the target region (cloudsql), or — for an unencrypted backup — any key:
// the way to bring CMEK to existing data. `id` is the new service's id.
import { z } from 'zod';
import { str } from './common.js';
import { controlPlaneFor } from './context.js';
import {
  adoptDerived,
  deleteDerived,
  derivedAttrs,
  known,
  nameSchema,
  planDerived,
  readDerived,
} from './replica.js';
import type { Attrs, ProviderContext, ResourceType } from './types.js';

export const backupRestoreSchema = z.object({
  backup_id: z.string().min(1),
  name: nameSchema,
  region: z.string().min(1).optional(),
  kms_key: z.string().min(1).optional(),
});

export const RESTORE_COMPUTED = ['id', 'status', 'effective_kms_key'] as const;
export const RESTORE_FORCE_NEW = ['backup_id', 'name', 'region', 'kms_key'] as const;

async function create(planned: Attrs, ctx: ProviderContext): Promise<Attrs> {
  const cp = await controlPlaneFor(ctx);
  const region = known(planned.region);
  const key = known(planned.kms_key);
  const rec = await cp.lifecycle.restore({
    backupId: str(planned.backup_id)!,
    name: str(planned.name)!,
    ...(region !== undefined ? { region } : {}),
    ...(key !== undefined ? { kmsKey: key } : {}),
  });
  return derivedAttrs(rec, planned);
}

export const backupRestore: ResourceType<typeof backupRestoreSchema> = {
  type: 'cmek_backup_restore',
  schema: backupRestoreSchema,
  computed: RESTORE_COMPUTED,
  forceNew: RESTORE_FORCE_NEW,
  plan: (input) => planDerived(input, { computed: RESTORE_COMPUTED, forceNew: RESTORE_FORCE_NEW }),
  create,
  read: readDerived,
  update: async (prior, planned, ctx) =>
    (await readDerived({ ...prior, ...planned }, ctx)) ?? planned,
  delete: deleteDerived,
  adopt: (planned, ctx) => adoptDerived(planned, ctx, 'restore'),
};
