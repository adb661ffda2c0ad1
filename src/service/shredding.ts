// Crypto-shredding ("key deleted / key version destroyed"): once the KMS has destroyed the
// material of the key that wraps a service key, nothing can unwrap it again, so every object of
// the service (and of every replica or backup under that key) is unrecoverable. The tools must
// say so plainly instead of reporting a generic key error: this file detects the condition from
// the KMS and words the diagnostics every path (data access, start, describe, poll) shows.
import { diag, DiagnosticError, type DiagnosticCode } from '../model/diagnostics.js';
import { isKmsError, type Kms, type KeyMetadata } from '../kms/types.js';
import type { KeyDestroyed, ServiceRecord } from './types.js';

/** What the KMS says about the key, when it says it is destroyed; undefined otherwise (enabled,
 * disabled, pending deletion, or the KMS cannot tell us). Only an explicit `Destroyed` state
 * counts: a NotFoundException may just be a wrong endpoint or region, and marking live data
 * as shredded by mistake would be far worse than a generic "inaccessible". */
export async function destroyedKey(
  clients: readonly Kms[],
  keyArn: string,
  now: Date,
): Promise<KeyDestroyed | undefined> {
  let md: KeyMetadata | undefined;
  for (const kms of clients) {
    try {
      md = await kms.describeKey(keyArn);
      break;
    } catch (e) {
      // The service principal may not describe the key (cloudsql: encrypter/decrypter only);
      // try the next client (the control plane's own). Anything else: cannot tell.
      if (isKmsError(e, 'AccessDeniedException')) continue;
      return undefined;
    }
  }
  if (md?.keyState !== 'Destroyed') return undefined;
  // A deletion completed by its waiting period is dated by the KMS (deletionDate, in the past);
  // `cmek kms purge` ends the window early, and then the date we know is when we saw it.
  const dd = md.deletionDate;
  return dd && dd.getTime() <= now.getTime()
    ? { keyArn, at: dd.toISOString(), source: 'kms' }
    : { keyArn, at: now.toISOString(), source: 'detected' };
}

/** "destroyed on DATE" / "found destroyed on DATE", for messages. */
export function destroyedWhen(d: KeyDestroyed): string {
  return d.source === 'kms' ? `destroyed on ${d.at}` : `destroyed (found destroyed on ${d.at})`;
}

/** The status reason of a crypto-shredded service. */
export function shreddedReason(d: KeyDestroyed): string {
  return (
    `key material ${destroyedWhen(d)}: the data is unrecoverable (crypto-shredded); ` +
    `key ${d.keyArn}`
  );
}

/** The diagnostic every path shows for a crypto-shredded service: data access
 * (CMEK_SERVICE_UNAVAILABLE) and start (CMEK_KEY_INACCESSIBLE). */
export function shreddedError(
  rec: Pick<ServiceRecord, 'name' | 'id'>,
  d: KeyDestroyed,
  code: DiagnosticCode = 'CMEK_SERVICE_UNAVAILABLE',
): DiagnosticError {
  return new DiagnosticError(
    diag(
      code,
      `Data of service ${rec.name} is unrecoverable (crypto-shredded): the key material was ` +
        `${destroyedWhen(d)}`,
      `Service ${rec.name} (${rec.id}) is protected by ${d.keyArn}, whose key material the KMS ` +
        'has destroyed. Nothing can unwrap the service key any more, so every object of the ' +
        'service, and every replica and backup encrypted under that key, is permanently ' +
        'unreadable. This cannot be undone, and starting the service cannot help.\n' +
        'Remedy: none for this data. Restore from a backup protected by another key, if one ' +
        'exists, or delete the service.',
      { attribute: 'kms_key' },
    ),
  );
}
