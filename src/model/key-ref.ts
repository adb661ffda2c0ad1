// Key references: the strings users write for `kms_key`, `key_id`, `encryption_key_name`, ...
// Parsing them into {provider, region, account/project, id} is what the region and
// cross-provider rules stand on, so the parser is strict: anything it accepts has a well-formed
// region/location, account/project and id, and anything it rejects says why.
//
// Accepted forms:
//   AWS key ARN     arn:PARTITION:kms:REGION:ACCOUNT:key/ID       ID = uuid | mrk-<32 hex>
//   AWS key id      ID
//   AWS alias name  alias/NAME
//   AWS alias ARN   arn:PARTITION:kms:REGION:ACCOUNT:alias/NAME
//   GCP key         projects/P/locations/L/keyRings/R/cryptoKeys/K
//   GCP key version projects/P/locations/L/keyRings/R/cryptoKeys/K/cryptoKeyVersions/V
import { diag, type Diagnostic } from './diagnostics.js';
import type { KeyProvider } from './kms.js';

export type KeyRefKind =
  'key-arn' | 'key-id' | 'alias-name' | 'alias-arn' | 'gcp-key' | 'gcp-key-version';

export interface KeyRef {
  provider: KeyProvider;
  kind: KeyRefKind;
  /** AWS region, or GCP location. Absent for bare key ids and alias names. */
  region?: string;
  /** AWS account id (12 digits). */
  account?: string;
  /** AWS partition (`aws`, `aws-cn`, `aws-us-gov`, ...) for ARNs. */
  partition?: string;
  /** GCP project (id, number or domain-scoped id). */
  project?: string;
  /** GCP key ring. */
  keyRing?: string;
  /** AWS: key id (uuid / mrk-...) or alias name (`alias/x`). GCP: the crypto key name K. */
  id: string;
  /** GCP crypto key version. */
  version?: string;
  /** AWS multi-region key (`mrk-` id). */
  multiRegion?: boolean;
}

export type KeyRefResult = { ok: true; ref: KeyRef } | { ok: false; reason: string };

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const MRK = /^mrk-[0-9a-f]{32}$/i;
const ACCOUNT = /^\d{12}$/;
// AWS region names: two-letter area, optional -gov / -iso* / -isob* qualifier, direction, number
// (us-east-1, ap-southeast-2, us-gov-west-1, cn-north-1, us-isob-east-1, eu-central-2).
const AWS_REGION = /^[a-z]{2}(?:-gov|-iso[a-z]?)?-[a-z]+-\d{1,2}$/;
// GCP locations: `global`, the multi-regions (`us`, `eu`, `asia`), dual/multi-regions such as
// `nam4`, `eur3`, `nam-eur-asia1`, and regions such as `us-central1`, `europe-west4`.
const GCP_LOCATION = /^(?:global|us|eu|asia|[a-z]+(?:-[a-z]+)*\d{1,2})$/;
// Project ids: 6-30 chars of [a-z0-9-] starting with a letter; we also accept shorter ids
// (the local KMS uses `local`), numeric project numbers and domain-scoped ids (`example.com:p`).
const GCP_PROJECT =
  /^(?:[a-z][a-z0-9.-]*[a-z0-9]:)?(?:[a-z][a-z0-9-]{0,28}[a-z0-9]|[a-z]|\d{1,20})$/;
// Key ring and crypto key ids: [a-zA-Z0-9_-]{1,63}.
const GCP_ID = /^[A-Za-z0-9_-]{1,63}$/;
const GCP_VERSION = /^[1-9]\d{0,18}$/;
// Alias names: alias/ followed by letters, digits, / _ -, at most 256 characters in all.
const ALIAS_NAME = /^alias\/[A-Za-z0-9/_-]+$/;

const PARTITION_OF: Array<[RegExp, string]> = [
  [/^cn-/, 'aws-cn'],
  [/^us-gov-/, 'aws-us-gov'],
  [/^us-isob-/, 'aws-iso-b'],
  [/^us-iso-/, 'aws-iso'],
];

/** The partition an AWS region belongs to. */
export function partitionOfRegion(region: string): string {
  for (const [re, p] of PARTITION_OF) if (re.test(region)) return p;
  return 'aws';
}

export function isAwsRegion(s: string): boolean {
  return AWS_REGION.test(s);
}

export function isGcpLocation(s: string): boolean {
  return GCP_LOCATION.test(s);
}

export function isAwsKeyId(s: string): boolean {
  return UUID.test(s) || MRK.test(s);
}

/** Parse a key reference. Never throws. */
export function parseKeyRef(input: string): KeyRefResult {
  if (typeof input !== 'string') return fail('not a string');
  const s = input;
  if (s.length === 0) return fail('empty key reference');
  if (s.trim() !== s) return fail('leading or trailing whitespace');
  if (s.startsWith('arn:')) return parseArn(s);
  if (s.startsWith('projects/')) return parseGcp(s);
  if (s.startsWith('alias/')) {
    const why = aliasProblem(s);
    return why ? fail(why) : ok({ provider: 'aws', kind: 'alias-name', id: s });
  }
  if (isAwsKeyId(s)) return ok(keyIdRef(s));
  if (s.startsWith('mrk-'))
    return fail(`multi-region key id "${s}" must be "mrk-" followed by 32 hex digits`);
  if (/^[0-9a-f-]{20,}$/i.test(s))
    return fail(`"${s}" is not a key id: expected a uuid (8-4-4-4-12 hex digits)`);
  return fail(
    'expected an AWS key ARN (arn:aws:kms:REGION:ACCOUNT:key/ID), key id, alias (alias/NAME), ' +
      'alias ARN, or a GCP crypto key name (projects/P/locations/L/keyRings/R/cryptoKeys/K)',
  );
}

/** A CMEK_KEY_FORMAT diagnostic for a reference that did not parse (or undefined if it does). */
export function keyRefDiagnostic(
  input: string,
  where: Partial<Omit<Diagnostic, 'code' | 'summary' | 'detail' | 'severity'>> = {},
): Diagnostic | undefined {
  const r = parseKeyRef(input);
  if (r.ok) return undefined;
  return keyFormatDiagnostic(input, r.reason, where);
}

export function keyFormatDiagnostic(
  input: string,
  reason: string,
  where: Partial<Omit<Diagnostic, 'code' | 'summary' | 'detail' | 'severity'>> = {},
): Diagnostic {
  return diag(
    'CMEK_KEY_FORMAT',
    `Invalid key reference ${JSON.stringify(input)}`,
    `${reason}.\nUse an AWS key ARN such as arn:aws:kms:us-east-1:111122223333:key/` +
      `1234abcd-12ab-34cd-56ef-1234567890ab (multi-region: key/mrk-<32 hex>), an alias ` +
      `(alias/NAME or its ARN), or a GCP crypto key name ` +
      `projects/P/locations/L/keyRings/R/cryptoKeys/K.`,
    where,
  );
}

/** The canonical string of a reference (inverse of parseKeyRef for every accepted form). */
export function formatKeyRef(ref: KeyRef): string {
  switch (ref.kind) {
    case 'key-id':
    case 'alias-name':
      return ref.id;
    case 'key-arn':
      return `arn:${ref.partition ?? partitionOfRegion(ref.region ?? '')}:kms:${ref.region}:${ref.account}:key/${ref.id}`;
    case 'alias-arn':
      return `arn:${ref.partition ?? partitionOfRegion(ref.region ?? '')}:kms:${ref.region}:${ref.account}:${ref.id}`;
    case 'gcp-key':
    case 'gcp-key-version': {
      const base = `projects/${ref.project}/locations/${ref.region}/keyRings/${ref.keyRing}/cryptoKeys/${ref.id}`;
      return ref.kind === 'gcp-key-version' ? `${base}/cryptoKeyVersions/${ref.version}` : base;
    }
  }
}

function parseArn(s: string): KeyRefResult {
  const parts = s.split(':');
  if (parts.length !== 6)
    return fail(
      `an ARN has 6 colon-separated fields (arn:PARTITION:kms:REGION:ACCOUNT:RESOURCE), got ${parts.length}`,
    );
  const [, partition, service, region, account, resource] = parts as [
    string,
    string,
    string,
    string,
    string,
    string,
  ];
  if (!/^aws(?:-[a-z]+)*$/.test(partition)) return fail(`unknown ARN partition "${partition}"`);
  if (service !== 'kms') return fail(`ARN service is "${service}", expected "kms"`);
  if (!region) return fail('ARN has no region');
  if (!AWS_REGION.test(region)) return fail(`"${region}" is not an AWS region`);
  const expected = partitionOfRegion(region);
  if (partition !== expected)
    return fail(`region "${region}" belongs to partition "${expected}", not "${partition}"`);
  if (!ACCOUNT.test(account)) return fail(`account "${account}" is not a 12-digit AWS account id`);
  if (resource.startsWith('key/')) {
    const id = resource.slice('key/'.length);
    if (!isAwsKeyId(id))
      return fail(`key id "${id}" is neither a uuid nor "mrk-" followed by 32 hex digits`);
    return ok({ ...keyIdRef(id), kind: 'key-arn', region, account, partition });
  }
  if (resource.startsWith('alias/')) {
    const why = aliasProblem(resource);
    if (why) return fail(why);
    return ok({ provider: 'aws', kind: 'alias-arn', region, account, partition, id: resource });
  }
  return fail(`ARN resource "${resource}" is neither key/ID nor alias/NAME`);
}

function parseGcp(s: string): KeyRefResult {
  const p = s.split('/');
  if (
    (p.length !== 8 && p.length !== 10) ||
    p[0] !== 'projects' ||
    p[2] !== 'locations' ||
    p[4] !== 'keyRings' ||
    p[6] !== 'cryptoKeys' ||
    (p.length === 10 && p[8] !== 'cryptoKeyVersions')
  )
    return fail(
      'a GCP crypto key name is projects/P/locations/L/keyRings/R/cryptoKeys/K' +
        '[/cryptoKeyVersions/V]',
    );
  const [, project, , location, , ring, , key] = p as string[] as [
    string,
    string,
    string,
    string,
    string,
    string,
    string,
    string,
  ];
  if (!GCP_PROJECT.test(project)) return fail(`"${project}" is not a GCP project id`);
  if (!GCP_LOCATION.test(location)) return fail(`"${location}" is not a GCP location`);
  if (!GCP_ID.test(ring))
    return fail(`key ring "${ring}" must be 1-63 letters, digits, "_" or "-"`);
  if (!GCP_ID.test(key))
    return fail(`crypto key "${key}" must be 1-63 letters, digits, "_" or "-"`);
  const ref: KeyRef = {
    provider: 'gcp',
    kind: 'gcp-key',
    region: location,
    project,
    keyRing: ring,
    id: key,
  };
  if (p.length === 10) {
    const v = p[9]!;
    if (!GCP_VERSION.test(v)) return fail(`crypto key version "${v}" must be a positive integer`);
    ref.kind = 'gcp-key-version';
    ref.version = v;
  }
  return ok(ref);
}

function aliasProblem(name: string): string | undefined {
  if (name.length > 256) return `alias "${name.slice(0, 40)}..." is longer than 256 characters`;
  if (name === 'alias/') return 'alias name is empty after "alias/"';
  if (!ALIAS_NAME.test(name))
    return `alias "${name}" may contain only letters, digits, "/", "_" and "-" after "alias/"`;
  return undefined;
}

function keyIdRef(id: string): KeyRef {
  const multiRegion = MRK.test(id);
  return multiRegion
    ? { provider: 'aws', kind: 'key-id', id, multiRegion }
    : { provider: 'aws', kind: 'key-id', id };
}

function ok(ref: KeyRef): KeyRefResult {
  return { ok: true, ref };
}

function fail(reason: string): KeyRefResult {
  return { ok: false, reason };
}
