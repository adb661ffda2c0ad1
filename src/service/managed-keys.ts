// Provider-managed keys: the key of a region that protects services created without
// `kms_key` (encrypted at rest, but not CMEK). Owned by the control plane's own KMS identity,
// found by alias, created once per region under a data-directory lock so that two processes
// never create two.
import { join } from 'node:path';
import { diag, DiagnosticError } from '../model/diagnostics.js';
import type { KmsAdmin } from '../kms/types.js';
import { isKmsError } from '../kms/types.js';
import { MANAGED_KEYS_LOCK, withLock } from './fsutil.js';

/** Alias of the provider-managed key of a region (owned by the control plane, not CMEK). */
export function managedKeyAlias(region: string): string {
  return `alias/cmek/managed-${region}`;
}

/** Find or create the provider-managed key of `region`; its ARN. */
export async function managedKey(
  admin: KmsAdmin | undefined,
  dataDir: string,
  region: string,
): Promise<string> {
  if (!admin) {
    throw new DiagnosticError(
      diag(
        'CMEK_KEY_INACCESSIBLE',
        'No provider-managed key available',
        'A service without kms_key is encrypted with a provider-managed key, which needs the ' +
          'control plane to be opened with an admin KMS client. Set kms_key, or use the local KMS.',
        { attribute: 'kms_key' },
      ),
    );
  }
  const alias = managedKeyAlias(region);
  const lookup = async () => {
    try {
      return (await admin.describeKey(alias)).arn;
    } catch (e) {
      if (isKmsError(e, 'NotFoundException')) return undefined;
      throw e;
    }
  };
  const found = await lookup();
  if (found) return found;
  return withLock(
    join(dataDir, MANAGED_KEYS_LOCK),
    async () => {
      const again = await lookup();
      if (again) return again;
      const meta = await admin.createKey({
        region,
        description: `cmek provider-managed key for ${region} (not CMEK)`,
      });
      await admin.createAlias(alias, meta.keyId);
      return meta.arn;
    },
    { operation: 'create managed key' },
  );
}
