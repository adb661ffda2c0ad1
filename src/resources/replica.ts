// cmek_replica: a read-only copy of a service that follows its primary's writes (src/service/
// lifecycle.ts). Same region: it inherits the primary's key. Another region: it names a key of
// its own region. `kms_key` stays what the configuration says (absent = inherit), so the rules
// can tell "inherited" from "written"; the key that really protects it is `effective_kms_key`.
// Every argument forces a new replica: a replica is defined by what and where it copies.
import { z } from 'zod';
import { SERVICE_NAME, SERVICE_NAME_RULE } from '../model/service-name.js';
import { isUnknown, type Value } from '../model/values.js';
import type { ServiceRecord } from '../service/types.js';
import { clean, planGeneric, str } from './common.js';
import { controlPlaneFor } from './context.js';
import type { Attrs, PlanInput, PlannedResource, ProviderContext, ResourceType } from './types.js';

export const nameSchema = z.string().regex(SERVICE_NAME, `name is ${SERVICE_NAME_RULE}`);

export const replicaSchema = z.object({
  primary_id: z.string().min(1),
  name: nameSchema,
  region: z.string().min(1),
  kind: z.enum(['read', 'failover']).optional(),
  kms_key: z.string().min(1).optional(),
});

export const REPLICA_COMPUTED = ['id', 'status', 'effective_kms_key'] as const;
export const REPLICA_FORCE_NEW = ['primary_id', 'name', 'region', 'kind', 'kms_key'] as const;

/** Plan of the derived services (replica, clone, restore): generic diff; on create the status
 * is RUNNING and the effective key is the written key when there is one (else unknown: the
 * parent's, known after apply). */
export function planDerived(
  input: PlanInput,
  spec: { computed: readonly string[]; forceNew: readonly string[]; defaults?: Attrs },
): PlannedResource {
  const planned = planGeneric(input.config, input.prior, {
    ...(spec.defaults ? { defaults: spec.defaults } : {}),
    computed: spec.computed,
    forceNew: spec.forceNew,
  });
  const fresh = !input.prior || planned.requiresReplace.length > 0;
  if (fresh) {
    planned.after.status = 'RUNNING';
    const own = planned.after.kms_key;
    if (own !== undefined && own !== null) planned.after.effective_kms_key = own;
  }
  return planned;
}

/** State attributes of a derived service: the configuration as planned (kms_key untouched),
 * plus what the control plane says. */
export function derivedAttrs(rec: ServiceRecord, base: Attrs, extra: Attrs = {}): Attrs {
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
export async function readDerived(prior: Attrs, ctx: ProviderContext): Promise<Attrs | null> {
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

export async function deleteDerived(prior: Attrs, ctx: ProviderContext): Promise<void> {
  const id = str(prior.id);
  if (!id) return;
  const cp = await controlPlaneFor(ctx);
  await cp.delete(id);
}

/** Crash recovery: the service a create that died may have made, found by its unique name. */
export async function adoptDerived(
  planned: Attrs,
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

async function create(planned: Attrs, ctx: ProviderContext): Promise<Attrs> {
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

export const replica: ResourceType<typeof replicaSchema> = {
  type: 'cmek_replica',
  schema: replicaSchema,
  computed: REPLICA_COMPUTED,
  forceNew: REPLICA_FORCE_NEW,
  plan: (input) =>
    planDerived(input, {
      computed: REPLICA_COMPUTED,
      forceNew: REPLICA_FORCE_NEW,
      defaults: { kind: 'read' },
    }),
  create,
  read: readDerived,
  // Every argument forces replacement: an update only refreshes what the control plane says.
  update: async (prior, planned, ctx) =>
    (await readDerived({ ...prior, ...planned }, ctx)) ?? planned,
  delete: deleteDerived,
  adopt: (planned, ctx) => adoptDerived(planned, ctx, 'replica'),
};
