// cmek_backup_restore: a new service made from a backup (src/service/lifecycle.ts), its data
// re-encrypted under its own keys. The key: the backup's (encrypted backup; clickhouse allows no
// other), another key of the target region (cloudsql), or — for an unencrypted backup — any key:
// the way to bring CMEK to existing data. `id` is the new service's id.
import { z } from 'zod';
import { copyCrud } from './copy.js';
import { defineResource, type AttributeDef } from './define.js';
import { REGION_SCHEMA } from './region.js';
import { DERIVED_SERVICE_NAME } from './encrypted-service.js';

export const backupRestore = defineResource({
  type: 'cmek_backup_restore',
  description: 'A new service made from a backup, its data re-encrypted under its own keys.',
  attributes: {
    backup_id: {
      type: 'string',
      mode: 'required',
      forceNew: true,
      validate: z.string().min(1),
      description: 'Id of the backup (`bkp-...`).',
    },
    name: DERIVED_SERVICE_NAME,
    region: {
      type: 'string',
      mode: 'optional',
      forceNew: true,
      validate: REGION_SCHEMA,
      description: "Region of the new service (default: the backup's).",
    },
    kms_key: {
      type: 'string',
      mode: 'optional',
      forceNew: true,
      validate: z.string().min(1),
      description:
        "See the table above. Absent = the backup's key (encrypted backup) or a provider-managed key (unencrypted backup). Stays absent in the state when not written; the key in use is `effective_kms_key`.",
    },
    id: {
      type: 'string',
      mode: 'computed',
      description: 'Service id of the restored service (`svc-...`).',
    },
    status: {
      type: 'string',
      mode: 'computed',
      description: '`RUNNING`, `SUSPENDED` or `STOPPED`.',
    },
    effective_kms_key: {
      type: 'string',
      mode: 'computed',
      description: 'The customer key of the new service; null when it is not CMEK.',
    },
  } as const satisfies Record<string, AttributeDef>,
  role: {
    kind: 'restore',
    parentAttribute: 'backup_id',
    keyAttribute: 'kms_key',
    effectiveKeyAttribute: 'effective_kms_key',
    regionAttribute: 'region',
  },
  ...copyCrud({
    originAttr: 'backup_id',
    kind: 'restore',
    make: (cp, { origin, ...rest }) => cp.lifecycle.restore({ backupId: origin, ...rest }),
  }),
});
