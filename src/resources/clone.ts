// cmek_clone: a writable point-in-time copy of a service under the source's key, in the
// source's region (src/service/lifecycle.ts). `kms_key`/`region` may only repeat the source's;
// the rules say so at plan time (CMEK_CLONE_KEY_INHERITED) and the control plane again at apply.
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

export const cloneSchema = z.object({
  source_id: z.string().min(1),
  name: nameSchema,
  region: z.string().min(1).optional(),
  kms_key: z.string().min(1).optional(),
});

export const CLONE_COMPUTED = ['id', 'status', 'effective_kms_key'] as const;
export const CLONE_FORCE_NEW = ['source_id', 'name', 'region', 'kms_key'] as const;

async function create(planned: Attrs, ctx: ProviderContext): Promise<Attrs> {
  const cp = await controlPlaneFor(ctx);
  const region = known(planned.region);
  const key = known(planned.kms_key);
  const rec = await cp.lifecycle.createClone({
    source: str(planned.source_id)!,
    name: str(planned.name)!,
    ...(region !== undefined ? { region } : {}),
    ...(key !== undefined ? { kmsKey: key } : {}),
  });
  return derivedAttrs(rec, planned);
}

export const clone: ResourceType<typeof cloneSchema> = {
  type: 'cmek_clone',
  schema: cloneSchema,
  computed: CLONE_COMPUTED,
  forceNew: CLONE_FORCE_NEW,
  plan: (input) => planDerived(input, { computed: CLONE_COMPUTED, forceNew: CLONE_FORCE_NEW }),
  create,
  read: readDerived,
  update: async (prior, planned, ctx) =>
    (await readDerived({ ...prior, ...planned }, ctx)) ?? planned,
  delete: deleteDerived,
  adopt: (planned, ctx) => adoptDerived(planned, ctx, 'clone'),
};
