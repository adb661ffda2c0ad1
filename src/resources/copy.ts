// The CRUD shared by the resources that make a new service as a copy of something: a clone (of
// a service) and a backup restore (of a backup). They differ in the attribute naming the origin,
// the control-plane call and their descriptions (each declares its own attributes); plan, read,
// update, delete and adopt are the same, so they are written once here.
import type { ControlPlaneApi } from '../service/api.js';
import type { ServiceRecord } from '../service/types.js';
import type { Value } from '../model/values.js';
import { str } from './common.js';
import { controlPlaneFor } from './context.js';
import { importService } from './import-state.js';
import {
  adoptDerived,
  deleteDerived,
  derivedAttrs,
  known,
  originExists,
  planDerived,
  readDerived,
  refreshDerived,
} from './replica.js';
import type { ProviderContext } from './types.js';

export interface CopyRequest {
  /** The origin's id (service or backup), from the origin attribute. */
  origin: string;
  name: string;
  region?: string;
  kmsKey?: string;
}

/** Plan and CRUD of a copy resource whose origin is named by `originAttr`. */
export function copyCrud(opts: {
  /** Attribute naming the origin: `source_id`, `backup_id`. */
  originAttr: string;
  kind: 'clone' | 'restore';
  make: (cp: ControlPlaneApi, req: CopyRequest) => Promise<ServiceRecord>;
}) {
  return {
    plan: planDerived,
    create: async (planned: Record<string, Value | undefined>, ctx: ProviderContext) => {
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
    update: refreshDerived,
    delete: deleteDerived,
    adopt: (planned: Record<string, Value | undefined>, ctx: ProviderContext) =>
      adoptDerived(planned, ctx, opts.kind),
    checkLive: (planned: Record<string, Value | undefined>, ctx: () => Promise<ProviderContext>) =>
      originExists(planned, opts.originAttr, opts.kind === 'clone' ? 'service' : 'backup', ctx),
    importState: (id: string, ctx: ProviderContext) => importService(id, opts.kind, ctx),
  };
}
