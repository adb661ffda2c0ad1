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
import { clean, str, strMap, valuesEqual } from './common.js';
import { controlPlaneFor } from './context.js';
import { importService } from './import-state.js';
import { defineResource, type AttributeDef, type Shape } from './define.js';
import { REGION_SCHEMA } from './region.js';
import type { Attrs, PlanInput, PlannedResource, ProviderContext } from './types.js';

/** A service name: unique within the data directory (the one pattern, src/model/service-name.ts). */
export const SERVICE_NAME_SCHEMA = z.string().regex(SERVICE_NAME, `name is ${SERVICE_NAME_RULE}`);

/** The `name` of a service made from another one (replica, clone, restore): declared once. */
export const DERIVED_SERVICE_NAME = {
  type: 'string',
  mode: 'required',
  forceNew: true,
  validate: SERVICE_NAME_SCHEMA,
  description: 'Unique service name within the data directory.',
} as const satisfies AttributeDef;

const ATTRIBUTES = {
  name: {
    type: 'string',
    mode: 'required',
    forceNew: true,
    validate: SERVICE_NAME_SCHEMA,
    description: 'Unique within the data directory: 1–63 letters, digits, `_`, `.`, `-`.',
  },
  region: {
    type: 'string',
    mode: 'required',
    forceNew: true,
    validate: REGION_SCHEMA,
    description: "Must equal the key's region (`CMEK_REGION_MISMATCH`).",
  },
  profile: {
    type: 'string',
    mode: 'optional',
    forceNew: true,
    default: 'clickhouse',
    validate: z.enum(['clickhouse', 'cloudsql']),
    description:
      "`clickhouse` (default) or `cloudsql`: which seed system's CMEK rules apply (see docs/rules.md).",
  },
  kms_key: {
    type: 'string',
    mode: 'optional',
    validate: z.string().min(1),
    description:
      'The customer key: ARN, key id, alias, or GCP crypto key name. Absent = provider-managed key, not CMEK. Changing it is a rotation or refused, by profile: see "Changing `kms_key`" below.',
  },
  key_check_interval: {
    type: 'string',
    mode: 'optional',
    default: '10m',
    validate: z
      .string()
      .refine((d) => parseDuration(d) !== undefined, 'a Go-style duration such as 30s, 10m or 1h'),
    description:
      'How often the key poller checks the key, as a Go duration (`30s`, `10m`, `1h`; default `10m`).',
  },
  description: {
    type: 'string',
    mode: 'optional',
    description: 'Free text (metadata: not encrypted).',
  },
  tags: {
    type: 'map(string)',
    mode: 'optional',
    description: 'Map of strings (metadata: not encrypted).',
  },
  reencrypt: {
    type: 'string',
    mode: 'optional',
    description:
      "cloudsql trigger: a new value re-wraps the service key under the key's current primary version (after a key rotation), so older versions can be retired.",
  },
  id: { type: 'string', mode: 'computed', description: 'Service id, `svc-` + 16 hex digits.' },
  status: {
    type: 'string',
    mode: 'computed',
    description:
      '`RUNNING`, `SUSPENDED` (cloudsql: key inaccessible, resumes by itself) or `STOPPED` (clickhouse: key inaccessible, needs `cmek service start`).',
  },
  encrypted: {
    type: 'bool',
    mode: 'computed',
    description: '`true` iff the service uses a customer key (CMEK). Known at plan time.',
  },
  kms_key_version: {
    type: 'string',
    mode: 'computed',
    description: 'Key version that wrapped the current service key (`"1"`, `"2"`, ...).',
  },
} as const satisfies Record<string, AttributeDef>;

type ServiceAttrs = Shape<typeof ATTRIBUTES>;

function plan({ prior }: PlanInput, generic: () => PlannedResource): PlannedResource {
  const planned = generic();
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
export function serviceAttrs(
  rec: ServiceRecord,
  base: Record<string, Value | undefined> = {},
): Attrs {
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

async function create(planned: ServiceAttrs, ctx: ProviderContext): Promise<Attrs> {
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

async function read(prior: ServiceAttrs, ctx: ProviderContext): Promise<Attrs | null> {
  const id = str(prior.id);
  if (!id) return null;
  const cp = await controlPlaneFor(ctx);
  const rec = await cp.get(id);
  if (!rec || rec.id !== id) return null;
  return serviceAttrs(rec, prior);
}

async function update(
  prior: ServiceAttrs,
  planned: ServiceAttrs,
  ctx: ProviderContext,
): Promise<Attrs> {
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

async function destroy(prior: ServiceAttrs, ctx: ProviderContext): Promise<void> {
  const id = str(prior.id);
  if (!id) return;
  const cp = await controlPlaneFor(ctx);
  await cp.delete(id);
}

/** Crash recovery: a create that died before its result reached the state left a service under
 * its (unique) name; take it over. The next plan diffs it against the configuration. */
async function adopt(planned: ServiceAttrs, ctx: ProviderContext): Promise<Attrs | null> {
  const name = known(planned.name);
  if (!name) return null;
  const cp = await controlPlaneFor(ctx);
  const rec = (await cp.list()).find((s) => s.name === name);
  return rec ? serviceAttrs(rec, planned) : null;
}

export const encryptedService = defineResource({
  type: 'cmek_encrypted_service',
  description:
    'A database-like service whose data at rest is envelope-encrypted: under a customer key (CMEK) with `kms_key`, else under a provider-managed key.',
  attributes: ATTRIBUTES,
  role: {
    kind: 'service',
    keyAttribute: 'kms_key',
    regionAttribute: 'region',
    profileAttribute: 'profile',
    encryptedAttribute: 'encrypted',
  },
  plan,
  create,
  read,
  update,
  delete: destroy,
  adopt,
  importState: (id, ctx) => importService(id, 'service', ctx),
});
