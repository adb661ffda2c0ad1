// cmek_backup_restore: a new service made from a backup (src/service/lifecycle.ts), its data
// re-encrypted under its own keys. The key: the backup's (encrypted backup; clickhouse allows no
// other), another key of the target region (cloudsql), or — for an unencrypted backup — any key:
// the way to bring CMEK to existing data. `id` is the new service's id.
import { copyResourceType } from './copy.js';

export const backupRestore = copyResourceType({
  type: 'cmek_backup_restore',
  originAttr: 'backup_id',
  kind: 'restore',
  make: (cp, { origin, ...rest }) => cp.lifecycle.restore({ backupId: origin, ...rest }),
});
