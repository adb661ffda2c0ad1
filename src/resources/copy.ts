// The shape shared by the resources that make a new service as a copy of something: a clone
// (of a service) and a backup restore (of a backup). They differ only in the attribute naming
// the origin and the control-plane call; schema, computed attributes, replacement, read, delete
// and adopt are the same, so they are written once here.
import { z } from 'zod';
import type { ControlPlane } from '../service/control-plane.js';
import type { ServiceRecord } from '../service/types.js';
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
import type { Attrs, ResourceType } from './types.js';

export interface CopyRequest {
  /** The origin's id (service or backup), from the origin attribute. */
  origin: string;
  name: string;
  region?: string;
  kmsKey?: string;
}

export function copyResourceType(opts: {
  type: string;
  /** Attribute naming the origin: `source_id`, `backup_id`. */
  originAttr: string;
  kind: 'clone' | 'restore';
  make: (cp: ControlPlane, req: CopyRequest) => Promise<ServiceRecord>;
}): ResourceType {
  const schema = z.object({
    [opts.originAttr]: z.string().min(1),
    name: nameSchema,
    region: z.string().min(1).optional(),
    kms_key: z.string().min(1).optional(),
  });
  const computed = ['id', 'status', 'effective_kms_key'] as const;
  const forceNew = [opts.originAttr, 'name', 'region', 'kms_key'];
  return {
    type: opts.type,
    schema,
    computed,
    forceNew,
    plan: (input) => planDerived(input, { computed, forceNew }),
    create: async (planned: Attrs, ctx) => {
      const region = known(planned.region);
      const kmsKey = known(planned.kms_key);
      const rec = await opts.make(await controlPlaneFor(ctx), {
        origin: str(planned[opts.originAttr])!,
        name: str(planned.name)!,
        ...(region !== undefined ? { region } : {}),
        ...(kmsKey !== undefined ? { kmsKey } : {}),
      });
      return derivedAttrs(rec, planned);
    },
    read: readDerived,
    // Every argument forces replacement, so update only ever refreshes.
    update: async (prior, planned, ctx) =>
      (await readDerived({ ...prior, ...planned }, ctx)) ?? planned,
    delete: deleteDerived,
    adopt: (planned, ctx) => adoptDerived(planned, ctx, opts.kind),
  };
}
