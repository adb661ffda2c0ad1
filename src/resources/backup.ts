// cmek_backup: a snapshot of a service (src/service/backups.ts): its ciphertext and a copy of
// its wrapped keys, under the service's key. Immutable: any change replaces it. `kms_key` is
// computed (the service's key when it was taken; null for a provider-managed key), so a plan that
// destroys that key while the backup stays is CMEK_KEY_IN_USE.
import { z } from 'zod';
import type { BackupRecord } from '../service/backups.js';
import { clean, str } from './common.js';
import { controlPlaneFor } from './context.js';
import { importBackup } from './import-state.js';
import { defineResource, type AttributeDef, type Shape } from './define.js';
import { originExists } from './replica.js';
import type { Attrs, ProviderContext } from './types.js';

const ATTRIBUTES = {
  service_id: {
    type: 'string',
    mode: 'required',
    forceNew: true,
    validate: z.string().min(1),
    description: 'Id (or name) of the service; it must be `RUNNING`.',
  },
  description: {
    type: 'string',
    mode: 'optional',
    forceNew: true,
    description: 'Free text (metadata: not encrypted).',
  },
  id: { type: 'string', mode: 'computed', description: 'Backup id, `bkp-` + 16 hex digits.' },
  encrypted: {
    type: 'bool',
    mode: 'computed',
    description: '`true` when the service was CMEK.',
  },
  kms_key: {
    type: 'string',
    mode: 'computed',
    description:
      "The service's customer key when the backup was taken; null for a provider-managed key.",
  },
  size_bytes: {
    type: 'number',
    mode: 'computed',
    description: 'Plaintext bytes of all objects in the backup.',
  },
  created_at: {
    type: 'string',
    mode: 'computed',
    description: 'When it was taken (RFC 3339).',
  },
} as const satisfies Record<string, AttributeDef>;

type BackupAttrs = Shape<typeof ATTRIBUTES>;

export function backupAttrs(b: BackupRecord, base: BackupAttrs | Attrs = {}): Attrs {
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

async function create(planned: BackupAttrs, ctx: ProviderContext): Promise<Attrs> {
  const cp = await controlPlaneFor(ctx);
  const description = str(planned.description);
  const b = await cp.backups.create(
    str(planned.service_id)!,
    description !== undefined ? { description } : {},
  );
  return backupAttrs(b, planned);
}

async function read(prior: BackupAttrs, ctx: ProviderContext): Promise<Attrs | null> {
  const id = str(prior.id);
  if (!id) return null;
  const cp = await controlPlaneFor(ctx);
  const b = await cp.backups.get(id);
  return b ? backupAttrs(b, prior) : null;
}

async function destroy(prior: BackupAttrs, ctx: ProviderContext): Promise<void> {
  const id = str(prior.id);
  if (!id) return;
  const cp = await controlPlaneFor(ctx);
  await cp.backups.delete(id);
}

export const backup = defineResource({
  type: 'cmek_backup',
  description:
    "A snapshot of a service: its ciphertext and a copy of its wrapped keys, under the service's key.",
  attributes: ATTRIBUTES,
  role: {
    kind: 'backup',
    parentAttribute: 'service_id',
    keyAttribute: 'kms_key',
    keyComputed: true,
    encryptedAttribute: 'encrypted',
  },
  create,
  read,
  // Immutable: every argument forces replacement, so update only ever refreshes.
  update: async (prior, planned, ctx) =>
    (await read({ ...prior, ...planned }, ctx)) ?? clean(planned),
  delete: destroy,
  checkLive: (planned, ctx) => originExists(planned, 'service_id', 'service', ctx),
  importState: importBackup,
  // No adopt: a backup has no unique name to find it by; after a crash the engine plans a fresh
  // backup and warns that an orphan may exist (`cmek service describe` lists it).
});
