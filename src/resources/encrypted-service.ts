// cmek_encrypted_service: a database-like service in the embedded control plane whose data at
// rest is envelope-encrypted. With `kms_key` the service key is wrapped by the customer's key
// (CMEK), validated live at creation as the service principal; without it by a provider-managed
// key (encrypted at rest, but not CMEK). Which key changes are legal is decided at plan time by
// src/rules; apply only carries them out (a clickhouse rotation re-wraps the service key).
import { z } from 'zod';
import { Unknown, isUnknown, type Value } from '../model/values.js';
import { parseDuration } from '../model/duration.js';
import { SERVICE_NAME, SERVICE_NAME_RULE } from '../model/service-name.js';
import type { ServiceRecord } from '../service/types.js';
import { clean, planGeneric, str, strMap, valuesEqual } from './common.js';
import { controlPlaneFor } from './context.js';
import type { Attrs, PlanInput, PlannedResource, ProviderContext, ResourceType } from './types.js';

export const encryptedServiceSchema = z.object({
  name: z.string().regex(SERVICE_NAME, `name is ${SERVICE_NAME_RULE}`),
  region: z.string().min(1),
  profile: z.enum(['clickhouse', 'cloudsql']).optional(),
  kms_key: z.string().min(1).optional(),
  key_check_interval: z
    .string()
    .refine((d) => parseDuration(d) !== undefined, 'a Go-style duration such as 30s, 10m or 1h')
    .optional(),
  description: z.string().optional(),
  tags: z.record(z.string(), z.string()).optional(),
  reencrypt: z.string().optional(),
});

export const ENCRYPTED_SERVICE_COMPUTED = ['id', 'status', 'encrypted', 'kms_key_version'] as const;
export const ENCRYPTED_SERVICE_FORCE_NEW = ['name', 'region', 'profile'] as const;

const DEFAULTS = { profile: 'clickhouse', key_check_interval: '10m' };

function plan({ config, prior }: PlanInput): PlannedResource {
  const planned = planGeneric(config, prior, {
    defaults: DEFAULTS,
    computed: ENCRYPTED_SERVICE_COMPUTED,
    forceNew: ENCRYPTED_SERVICE_FORCE_NEW,
  });
  const after = planned.after;
  const key = after.kms_key;
  // Known at plan time even when the key's ARN is not: a service is CMEK iff kms_key is set.
  after.encrypted = key !== undefined && key !== null;
  const fresh = !prior || planned.requiresReplace.length > 0;
  if (fresh) {
    after.status = 'RUNNING';
    return planned;
  }
  const notes: Record<string, string> = {};
  const keyChanged = !valuesEqual(prior.kms_key ?? null, key ?? null);
  if (keyChanged) {
    after.kms_key_version = new Unknown();
    if (key !== null && key !== undefined && prior.kms_key) {
      notes.kms_key =
        'rotation: the service key is re-wrapped under the new key (no data is re-encrypted, ' +
        'no downtime)';
    }
  }
  if (!valuesEqual(prior.reencrypt ?? null, after.reencrypt ?? null) && after.reencrypt != null) {
    after.kms_key_version = new Unknown();
    notes.reencrypt =
      "re-encrypt: the service key is re-wrapped under the key's current primary version";
  }
  if (Object.keys(notes).length) planned.notes = notes;
  return planned;
}

/** State attributes of a service record, keeping the planned configuration attributes. */
export function serviceAttrs(rec: ServiceRecord, base: Attrs = {}): Attrs {
  const out: Record<string, Value | undefined> = {
    ...base,
    id: rec.id,
    name: rec.name,
    region: rec.region,
    profile: rec.profile,
    kms_key: rec.kmsKey ?? undefined,
    key_check_interval: rec.keyCheckInterval,
    description: rec.description,
    tags: Object.keys(rec.tags).length || base.tags ? rec.tags : undefined,
    reencrypt: rec.reencrypt,
    status: rec.status,
    encrypted: rec.keyOwner === 'customer',
    kms_key_version: rec.kmsKeyVersion ?? null,
  };
  for (const k of ['kms_key', 'description', 'reencrypt', 'tags'] as const) {
    if (out[k] === undefined && k in base) out[k] = null;
  }
  return clean(out);
}

function known(v: Value | undefined): string | undefined {
  return isUnknown(v) ? undefined : str(v);
}

async function create(planned: Attrs, ctx: ProviderContext): Promise<Attrs> {
  const cp = await controlPlaneFor(ctx);
  const rec = await cp.create({
    name: str(planned.name)!,
    region: str(planned.region)!,
    profile: str(planned.profile) === 'cloudsql' ? 'cloudsql' : 'clickhouse',
    kmsKey: known(planned.kms_key) ?? null,
    keyCheckInterval: str(planned.key_check_interval) ?? '10m',
    ...(str(planned.description) !== undefined ? { description: str(planned.description)! } : {}),
    tags: strMap(planned.tags),
    ...(str(planned.reencrypt) !== undefined ? { reencrypt: str(planned.reencrypt)! } : {}),
  });
  return serviceAttrs(rec, planned);
}

async function read(prior: Attrs, ctx: ProviderContext): Promise<Attrs | null> {
  const id = str(prior.id);
  if (!id) return null;
  const cp = await controlPlaneFor(ctx);
  const rec = await cp.get(id);
  if (!rec || rec.id !== id) return null;
  return serviceAttrs(rec, prior);
}

async function update(prior: Attrs, planned: Attrs, ctx: ProviderContext): Promise<Attrs> {
  const cp = await controlPlaneFor(ctx);
  const rec = await cp.update(str(prior.id)!, {
    description: str(planned.description) ?? null,
    tags: strMap(planned.tags),
    keyCheckInterval: str(planned.key_check_interval) ?? '10m',
    kmsKey: known(planned.kms_key) ?? null,
    reencrypt: str(planned.reencrypt) ?? null,
  });
  return serviceAttrs(rec, planned);
}

async function destroy(prior: Attrs, ctx: ProviderContext): Promise<void> {
  const id = str(prior.id);
  if (!id) return;
  const cp = await controlPlaneFor(ctx);
  await cp.delete(id);
}

/** Crash recovery: a create that died before its result reached the state left a service under
 * its (unique) name; take it over. The next plan diffs it against the configuration. */
async function adopt(planned: Attrs, ctx: ProviderContext): Promise<Attrs | null> {
  const name = known(planned.name);
  if (!name) return null;
  const cp = await controlPlaneFor(ctx);
  const rec = (await cp.list()).find((s) => s.name === name);
  return rec ? serviceAttrs(rec, planned) : null;
}

export const encryptedService: ResourceType<typeof encryptedServiceSchema> = {
  type: 'cmek_encrypted_service',
  schema: encryptedServiceSchema,
  computed: ENCRYPTED_SERVICE_COMPUTED,
  forceNew: ENCRYPTED_SERVICE_FORCE_NEW,
  plan,
  create,
  read,
  update,
  delete: destroy,
  adopt,
};
