// cmek_replica: a read-only copy of a service that follows its primary's writes (src/service/
// lifecycle.ts). Same region: it inherits the primary's key. Another region: it names a key of
// its own region. `kms_key` stays what the configuration says (absent = inherit), so the rules
// can tell "inherited" from "written"; the key that really protects it is `effective_kms_key`.
// Every argument forces a new replica: a replica is defined by what and where it copies.
import { z } from 'zod';
import { diag, type Diagnostic } from '../model/diagnostics.js';
import { closest } from '../model/suggest.js';
import { isUnknown, type Value } from '../model/values.js';
import type { ServiceRecord } from '../service/types.js';
import { clean, str } from './common.js';
import { controlPlaneFor } from './context.js';
import { importService } from './import-state.js';
import { defineResource, type AttributeDef, type Shape } from './define.js';
import { REGION_SCHEMA } from './region.js';
import { DERIVED_SERVICE_NAME } from './encrypted-service.js';
import type { Attrs, PlanInput, PlannedResource, ProviderContext } from './types.js';

const ATTRIBUTES = {
  primary_id: {
    type: 'string',
    mode: 'required',
    forceNew: true,
    validate: z.string().min(1),
    description: 'Id (or name) of the primary service.',
  },
  name: DERIVED_SERVICE_NAME,
  region: {
    type: 'string',
    mode: 'required',
    forceNew: true,
    validate: REGION_SCHEMA,
    description: "The replica's region.",
  },
  kind: {
    type: 'string',
    mode: 'optional',
    forceNew: true,
    default: 'read',
    validate: z.enum(['read', 'failover']),
    description:
      '`read` (default) or `failover`. Both are read-only and follow the primary; `failover` records the intent (no promotion in this version).',
  },
  kms_key: {
    type: 'string',
    mode: 'optional',
    forceNew: true,
    validate: z.string().min(1),
    description:
      'Only for a cross-region replica of a CMEK primary (see the table above). Stays absent in the state when not written: the inherited key is in `effective_kms_key`.',
  },
  id: {
    type: 'string',
    mode: 'computed',
    description: 'Service id of the replica (`svc-...`).',
  },
  status: {
    type: 'string',
    mode: 'computed',
    description:
      '`RUNNING`, `SUSPENDED` or `STOPPED`, as for any service (its key is checked by the poller).',
  },
  effective_kms_key: {
    type: 'string',
    mode: 'computed',
    description:
      'The customer key that protects the replica (inherited or its own); null when the primary is not CMEK.',
  },
} as const satisfies Record<string, AttributeDef>;

/** Plan of the derived services (replica, clone, restore): the generic diff; on create the
 * status is RUNNING and the effective key is the written key when there is one (else unknown:
 * the parent's, known after apply). */
export function planDerived(input: PlanInput, generic: () => PlannedResource): PlannedResource {
  const planned = generic();
  const fresh = !input.prior || planned.requiresReplace.length > 0;
  if (fresh) {
    planned.after.status = 'RUNNING';
    const own = planned.after.kms_key;
    if (own !== undefined && own !== null) planned.after.effective_kms_key = own;
  }
  return planned;
}

/** A same-region replica inherits its primary's key, so when the primary rotates to another key
 * (an in-place `kms_key` change, clickhouse) the replica follows in the same apply: its
 * `effective_kms_key` is planned as the primary's new key and its update re-wraps it there. A
 * replica with a key of its own (cross-region) and a clone keep theirs. */
function planReplica(input: PlanInput, generic: () => PlannedResource): PlannedResource {
  const planned = planDerived(input, generic);
  const primary = input.referenced?.primary_id;
  const own = input.config.kms_key;
  if (!input.prior || planned.requiresReplace.length || (own !== undefined && own !== null))
    return planned;
  if (primary?.action !== 'update' || !primary.before || !primary.after) return planned;
  const from = primary.before.kms_key;
  const to = primary.after.kms_key;
  if (typeof from !== 'string' || to === null || to === undefined || to === from) return planned;
  if (primary.after.region !== input.config.region) return planned;
  if (input.prior.effective_kms_key === null || input.prior.effective_kms_key === undefined)
    return planned;
  planned.after.effective_kms_key = to;
  planned.notes = {
    ...planned.notes,
    effective_kms_key: 'follows its primary to the new key (a same-region replica inherits it)',
  };
  return planned;
}

type Base = Record<string, Value | undefined>;

/** State attributes of a derived service: the configuration as planned (kms_key untouched),
 * plus what the control plane says. */
export function derivedAttrs(rec: ServiceRecord, base: Base, extra: Attrs = {}): Attrs {
  const out: Record<string, Value | undefined> = {
    ...base,
    ...extra,
    id: rec.id,
    name: rec.name,
    status: rec.status,
    effective_kms_key: rec.keyOwner === 'customer' ? rec.kmsKey : null,
  };
  if (out.kms_key === undefined && 'kms_key' in base) out.kms_key = null;
  return clean(out);
}

export function known(v: Value | undefined): string | undefined {
  return isUnknown(v) ? undefined : str(v);
}

/** Read back a derived service by id; null when it is gone. */
export async function readDerived(prior: Base, ctx: ProviderContext): Promise<Attrs | null> {
  const id = str(prior.id);
  if (!id) return null;
  const cp = await controlPlaneFor(ctx);
  const rec = await cp.get(id);
  if (!rec || rec.id !== id) return null;
  return derivedAttrs(
    rec,
    prior,
    rec.region !== undefined && 'region' in prior ? { region: rec.region } : {},
  );
}

export async function deleteDerived(prior: Base, ctx: ProviderContext): Promise<void> {
  const id = str(prior.id);
  if (!id) return;
  const cp = await controlPlaneFor(ctx);
  await cp.delete(id);
}

/** Crash recovery: the service a create that died may have made, found by its unique name. */
export async function adoptDerived(
  planned: Base,
  ctx: ProviderContext,
  kind: ServiceRecord['kind'],
): Promise<Attrs | null> {
  const name = known(planned.name);
  if (!name) return null;
  const cp = await controlPlaneFor(ctx);
  const found = (await cp.list()).find((s) => s.name === name && s.kind === kind);
  if (!found) return null;
  // A create that died during its data copy made a service that is not a copy yet: finish it
  // before taking it over, or the run would converge on a half-empty replica/clone/restore.
  const rec = found.populating ? await cp.lifecycle.finish(found.id) : found;
  return derivedAttrs(rec, planned);
}

async function create(planned: Shape<typeof ATTRIBUTES>, ctx: ProviderContext): Promise<Attrs> {
  const cp = await controlPlaneFor(ctx);
  const rec = await cp.lifecycle.createReplica({
    primary: str(planned.primary_id)!,
    name: str(planned.name)!,
    region: str(planned.region)!,
    kind: str(planned.kind) === 'failover' ? 'failover' : 'read',
    kmsKey: known(planned.kms_key) ?? null,
  });
  return derivedAttrs(rec, planned);
}

/** Plan-time check of an origin named by a value known now (a literal id or name, or the id of
 * a resource that exists): it must name a service (or a backup) of the control plane, or the
 * create would fail at apply. Reported as CONFIG_REFERENCE on the attribute. */
export async function originExists(
  planned: Base,
  attr: string,
  what: 'service' | 'backup',
  ctx: () => Promise<ProviderContext>,
): Promise<Diagnostic[]> {
  const ref = known(planned[attr]);
  if (ref === undefined) return [];
  const cp = await controlPlaneFor(await ctx());
  if (what === 'backup') {
    if (await cp.backups.get(ref)) return [];
    const ids = (await cp.backups.list()).map((b) => b.id);
    const near = closest(ref, ids);
    return [
      diag(
        'CONFIG_REFERENCE',
        `${attr} = ${JSON.stringify(ref)} names no backup`,
        (near ? `Did you mean "${near}"? ` : '') +
          `\`cmek backup ls\` lists the backups; use one of their ids, or reference a ` +
          `cmek_backup resource (backup_id = cmek_backup.NAME.id).`,
        { attribute: attr },
      ),
    ];
  }
  if (await cp.get(ref)) return [];
  const names = (await cp.list()).flatMap((s) => [s.name, s.id]);
  const near = closest(ref, names);
  return [
    diag(
      'CONFIG_REFERENCE',
      `${attr} = ${JSON.stringify(ref)} names no service`,
      (near ? `Did you mean "${near}"? ` : '') +
        `\`cmek service ls\` lists the services; use an id or name from it, or reference the ` +
        `service's resource (${attr} = cmek_encrypted_service.NAME.id).`,
      { attribute: attr },
    ),
  ];
}

/** Every argument forces replacement: an update only refreshes what the control plane says. */
export async function refreshDerived(prior: Base, planned: Base, ctx: ProviderContext) {
  return (await readDerived({ ...prior, ...planned }, ctx)) ?? clean(planned);
}

/** Update: every argument forces replacement, so an update is the follow of a primary's key
 * rotation (the control plane moves same-region replicas with their primary; this converges a
 * run that died between the two) and a refresh of what the control plane says. */
async function followPrimary(prior: Base, planned: Base, ctx: ProviderContext): Promise<Attrs> {
  const id = str(prior.id);
  if (id) {
    const cp = await controlPlaneFor(ctx);
    await cp.lifecycle.followPrimaryKey(id);
  }
  return refreshDerived(prior, planned, ctx);
}

export const replica = defineResource({
  type: 'cmek_replica',
  description: "A read-only copy of a service that follows its primary's writes.",
  attributes: ATTRIBUTES,
  role: {
    kind: 'replica',
    parentAttribute: 'primary_id',
    keyAttribute: 'kms_key',
    effectiveKeyAttribute: 'effective_kms_key',
    regionAttribute: 'region',
  },
  plan: planReplica,
  create,
  read: readDerived,
  update: followPrimary,
  delete: deleteDerived,
  adopt: (planned, ctx) => adoptDerived(planned, ctx, 'replica'),
  checkLive: (planned, ctx) => originExists(planned, 'primary_id', 'service', ctx),
  importState: (id, ctx) => importService(id, 'replica', ctx),
});
