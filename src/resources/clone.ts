// cmek_clone: a writable point-in-time copy of a service under the source's key, in the
// source's region (src/service/lifecycle.ts). `kms_key`/`region` may only repeat the source's;
// the rules say so at plan time (CMEK_CLONE_KEY_INHERITED) and the control plane again at apply.
import { z } from 'zod';
import { copyCrud } from './copy.js';
import { defineResource, type AttributeDef } from './define.js';
import { REGION_SCHEMA } from './region.js';
import { DERIVED_SERVICE_NAME } from './encrypted-service.js';

export const clone = defineResource({
  type: 'cmek_clone',
  description:
    "A writable point-in-time copy of a service, under the source's key, in the source's region.",
  attributes: {
    source_id: {
      type: 'string',
      mode: 'required',
      forceNew: true,
      validate: z.string().min(1),
      description: 'Id (or name) of the source service.',
    },
    name: DERIVED_SERVICE_NAME,
    region: {
      type: 'string',
      mode: 'optional',
      forceNew: true,
      validate: REGION_SCHEMA,
      description:
        "Default: the source's region. A clone of a CMEK source must stay there (its key is regional); a clone of an unencrypted source may be created in another region.",
    },
    kms_key: {
      type: 'string',
      mode: 'optional',
      forceNew: true,
      validate: z.string().min(1),
      description:
        "Only the source's key is allowed. Leave it out: the inherited key is in `effective_kms_key`.",
    },
    id: { type: 'string', mode: 'computed', description: 'Service id of the clone (`svc-...`).' },
    status: {
      type: 'string',
      mode: 'computed',
      description: '`RUNNING`, `SUSPENDED` or `STOPPED`.',
    },
    effective_kms_key: {
      type: 'string',
      mode: 'computed',
      description: "The source's customer key, now the clone's; null when the source is not CMEK.",
    },
  } as const satisfies Record<string, AttributeDef>,
  role: {
    kind: 'clone',
    parentAttribute: 'source_id',
    keyAttribute: 'kms_key',
    effectiveKeyAttribute: 'effective_kms_key',
    regionAttribute: 'region',
  },
  ...copyCrud({
    originAttr: 'source_id',
    kind: 'clone',
    make: (cp, { origin, ...rest }) => cp.lifecycle.createClone({ source: origin, ...rest }),
  }),
});
