// What the reference of a key not created yet is known to start with: the prefix of a key ARN
// (`arn:aws:kms:REGION:ACCOUNT:key/`) or of a GCP crypto key name (`projects/P/locations/L/
// keyRings/R/cryptoKeys/`), and what such a prefix tells back (family, region). The Terraform
// provider plans a key's `arn` as an unknown refined with this prefix; terraform hands the
// refinement to every resource that references it, and the rules read the region from it
// (src/resources/checks.ts).

import { partitionOfRegion } from '../model/key-ref.js';

/** The prefix every ARN (or GCP crypto key name) of a key about to be created starts with:
 * `arn:aws:kms:REGION:ACCOUNT:key/` (ACCOUNT known: the local KMS's, or the AWS caller's),
 * `arn:aws:kms:REGION:` when the account is not known, `projects/P/locations/L/keyRings/R/
 * cryptoKeys/` for a key ring key. Only what will be true: terraform holds the final value to it. */
export function keyRefPrefix(f: {
  region: string;
  account?: string;
  /** Default: the partition of the region (the local KMS always writes `aws`). */
  partition?: string;
  /** GCP-style key: the ring path `projects/P/locations/L/keyRings/R`. */
  ringPath?: string;
}): string {
  if (f.ringPath !== undefined) return `${f.ringPath}/cryptoKeys/`;
  const head = `arn:${f.partition ?? partitionOfRegion(f.region)}:kms:${f.region}:`;
  return f.account !== undefined ? `${head}${f.account}:key/` : head;
}

/** What a key prefix (a refinement) says: the key's family and region, when the prefix holds
 * the whole region field. */
export function keyFactsOfPrefix(
  prefix: string,
): { provider: 'aws' | 'gcp'; region?: string } | undefined {
  const arn = /^arn:[a-z-]+:kms:([a-z0-9-]+):/.exec(prefix);
  if (arn) return { provider: 'aws', region: arn[1]! };
  if (prefix.startsWith('arn:')) return { provider: 'aws' };
  const gcp = /^projects\/[^/]+\/locations\/([^/]+)\//.exec(prefix);
  if (gcp) return { provider: 'gcp', region: gcp[1]! };
  return undefined;
}
