// The regions cmek knows: AWS regions (for AWS keys and services) and GCP locations (for
// `key_ring` keys and services next to them). A region outside these tables is refused at plan
// time (CONFIG_SCHEMA) rather than by the KMS at apply. Key references are parsed by shape
// (src/model/key-ref.ts); this table is what a written `region` attribute is checked against.
import type { KeyProvider } from './kms.js';
import { closest } from './suggest.js';

export const AWS_REGIONS: readonly string[] = [
  'af-south-1',
  'ap-east-1',
  'ap-east-2',
  'ap-northeast-1',
  'ap-northeast-2',
  'ap-northeast-3',
  'ap-south-1',
  'ap-south-2',
  'ap-southeast-1',
  'ap-southeast-2',
  'ap-southeast-3',
  'ap-southeast-4',
  'ap-southeast-5',
  'ap-southeast-7',
  'ca-central-1',
  'ca-west-1',
  'cn-north-1',
  'cn-northwest-1',
  'eu-central-1',
  'eu-central-2',
  'eu-north-1',
  'eu-south-1',
  'eu-south-2',
  'eu-west-1',
  'eu-west-2',
  'eu-west-3',
  'il-central-1',
  'me-central-1',
  'me-south-1',
  'mx-central-1',
  'sa-east-1',
  'us-east-1',
  'us-east-2',
  'us-gov-east-1',
  'us-gov-west-1',
  'us-west-1',
  'us-west-2',
];

/** Cloud KMS locations: regions, multi-regions (`global`, `us`, `eu`, `asia`) and the
 * dual-regions `nam4` / `eur4`. */
export const GCP_LOCATIONS: readonly string[] = [
  'global',
  'us',
  'eu',
  'asia',
  'nam4',
  'eur4',
  'africa-south1',
  'asia-east1',
  'asia-east2',
  'asia-northeast1',
  'asia-northeast2',
  'asia-northeast3',
  'asia-south1',
  'asia-south2',
  'asia-southeast1',
  'asia-southeast2',
  'australia-southeast1',
  'australia-southeast2',
  'europe-central2',
  'europe-north1',
  'europe-north2',
  'europe-southwest1',
  'europe-west1',
  'europe-west2',
  'europe-west3',
  'europe-west4',
  'europe-west6',
  'europe-west8',
  'europe-west9',
  'europe-west10',
  'europe-west12',
  'me-central1',
  'me-central2',
  'me-west1',
  'northamerica-northeast1',
  'northamerica-northeast2',
  'northamerica-south1',
  'southamerica-east1',
  'southamerica-west1',
  'us-central1',
  'us-east1',
  'us-east4',
  'us-east5',
  'us-south1',
  'us-west1',
  'us-west2',
  'us-west3',
  'us-west4',
];

const AWS = new Set(AWS_REGIONS);
const GCP = new Set(GCP_LOCATIONS);

/** Which family a region name belongs to, or undefined when it is in neither table. */
export function regionFamily(region: string): KeyProvider | undefined {
  return AWS.has(region) ? 'aws' : GCP.has(region) ? 'gcp' : undefined;
}

const NAMES: Record<KeyProvider, string> = { aws: 'AWS region', gcp: 'GCP location' };
const A: Record<KeyProvider, string> = { aws: 'an', gcp: 'a' };

/** Why `region` is not valid for `family` (any = either table), or undefined when it is. */
export function regionProblem(region: string, family: KeyProvider | 'any'): string | undefined {
  const found = regionFamily(region);
  if (found !== undefined && (family === 'any' || found === family)) return undefined;
  const tables: KeyProvider[] = family === 'any' ? ['aws', 'gcp'] : [family];
  const wanted = tables.map((f) => NAMES[f]).join(' or ');
  const aWanted = `${A[tables[0]!]} ${wanted}`;
  const candidates = tables.flatMap((f) => (f === 'aws' ? AWS_REGIONS : GCP_LOCATIONS));
  // A name of the other family is not a typo: no "did you mean" across families.
  const near = found === undefined ? closest(region, candidates) : undefined;
  const head =
    found !== undefined
      ? `"${region}" is ${A[found]} ${NAMES[found]}, but this needs ${aWanted}`
      : `"${region}" is not a known ${wanted}`;
  return (
    `${head}. ` +
    (near ? `Did you mean "${near}"? ` : '') +
    tables
      .map((f) => `${NAMES[f]}s: ${(f === 'aws' ? AWS_REGIONS : GCP_LOCATIONS).join(', ')}.`)
      .join(' ')
  );
}
