import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  formatKeyRef,
  isAwsRegion,
  isGcpLocation,
  keyRefDiagnostic,
  parseKeyRef,
  type KeyRef,
} from '../../src/model/key-ref.js';

const UUID = '1234abcd-12ab-34cd-56ef-1234567890ab';
const MRK = 'mrk-1234abcd12ab34cd56ef1234567890ab';

function parsed(s: string): KeyRef {
  const r = parseKeyRef(s);
  if (!r.ok) throw new Error(`expected ${s} to parse: ${r.reason}`);
  return r.ref;
}

function reason(s: string): string {
  const r = parseKeyRef(s);
  if (r.ok) throw new Error(`expected ${s} to be rejected, got ${JSON.stringify(r.ref)}`);
  return r.reason;
}

describe('parseKeyRef: accepted forms', () => {
  it.each<[string, Partial<KeyRef>]>([
    [
      `arn:aws:kms:us-east-1:111122223333:key/${UUID}`,
      { provider: 'aws', kind: 'key-arn', region: 'us-east-1', account: '111122223333', id: UUID },
    ],
    [
      `arn:aws:kms:ap-southeast-2:111122223333:key/${MRK}`,
      { kind: 'key-arn', region: 'ap-southeast-2', id: MRK, multiRegion: true },
    ],
    [
      `arn:aws-us-gov:kms:us-gov-west-1:111122223333:key/${UUID}`,
      { kind: 'key-arn', region: 'us-gov-west-1', partition: 'aws-us-gov' },
    ],
    [
      `arn:aws-cn:kms:cn-north-1:111122223333:key/${UUID}`,
      { kind: 'key-arn', region: 'cn-north-1', partition: 'aws-cn' },
    ],
    [UUID, { provider: 'aws', kind: 'key-id', id: UUID }],
    [MRK, { provider: 'aws', kind: 'key-id', id: MRK, multiRegion: true }],
    ['alias/my-key', { provider: 'aws', kind: 'alias-name', id: 'alias/my-key' }],
    ['alias/aws/rds', { kind: 'alias-name', id: 'alias/aws/rds' }],
    [
      'arn:aws:kms:eu-west-1:111122223333:alias/app/db_key',
      { kind: 'alias-arn', region: 'eu-west-1', account: '111122223333', id: 'alias/app/db_key' },
    ],
    [
      'projects/my-project/locations/us-central1/keyRings/ring-1/cryptoKeys/key_1',
      {
        provider: 'gcp',
        kind: 'gcp-key',
        region: 'us-central1',
        project: 'my-project',
        keyRing: 'ring-1',
        id: 'key_1',
      },
    ],
    [
      'projects/local/locations/europe-west4/keyRings/r/cryptoKeys/k/cryptoKeyVersions/3',
      { kind: 'gcp-key-version', project: 'local', region: 'europe-west4', id: 'k', version: '3' },
    ],
    ['projects/p-123456/locations/global/keyRings/r/cryptoKeys/k', { region: 'global' }],
    ['projects/123456789012/locations/us/keyRings/r/cryptoKeys/k', { region: 'us' }],
    ['projects/example.com:proj/locations/nam4/keyRings/r/cryptoKeys/k', { region: 'nam4' }],
    ['projects/proj-a/locations/asia/keyRings/r/cryptoKeys/k', { region: 'asia' }],
  ])('%s', (s, expected) => {
    expect(parsed(s)).toMatchObject(expected);
    expect(formatKeyRef(parsed(s))).toBe(s);
  });

  it('does not mark uuid keys multi-region', () => {
    expect(parsed(UUID).multiRegion).toBeUndefined();
  });
});

describe('parseKeyRef: rejected forms, with the reason', () => {
  it.each<[string, RegExp]>([
    ['', /empty/],
    [' alias/x', /whitespace/],
    ['arn:aws:kms:us-east-1:111122223333', /6 colon-separated/],
    [`arn:aws:s3:us-east-1:111122223333:key/${UUID}`, /service is "s3"/],
    [`arn:aws:kms:useast1:111122223333:key/${UUID}`, /not an AWS region/],
    [`arn:aws:kms:us-central1:111122223333:key/${UUID}`, /not an AWS region/],
    [`arn:aws:kms::111122223333:key/${UUID}`, /no region/],
    [`arn:aws:kms:cn-north-1:111122223333:key/${UUID}`, /partition "aws-cn"/],
    [`arn:aws-cn:kms:us-east-1:111122223333:key/${UUID}`, /partition "aws"/],
    [`arn:aws:kms:us-east-1:11112222333:key/${UUID}`, /12-digit/],
    [`arn:aws:kms:us-east-1:abcdefghijkl:key/${UUID}`, /12-digit/],
    ['arn:aws:kms:us-east-1:111122223333:key/not-a-key', /neither a uuid nor "mrk-"/],
    ['arn:aws:kms:us-east-1:111122223333:key/mrk-123', /neither a uuid/],
    ['arn:aws:kms:us-east-1:111122223333:secret/x', /neither key\/ID nor alias/],
    ['arn:aws:kms:us-east-1:111122223333:alias/', /empty/],
    ['arn:aws:kms:us-east-1:111122223333:alias/a b', /may contain only/],
    ['arn:gcp:kms:us-east-1:111122223333:alias/a', /unknown ARN partition/],
    ['alias/', /empty/],
    ['alias/has space', /may contain only/],
    [`alias/${'x'.repeat(260)}`, /longer than 256/],
    ['mrk-xyz', /32 hex digits/],
    ['1234abcd-12ab-34cd-56ef-1234567890', /uuid/],
    ['my-key', /expected an AWS key ARN/],
    ['projects/p/locations/us-central1/keyRings/r', /projects\/P\/locations/],
    ['projects/p/locations/us-central1/keyRings/r/cryptoKeys/k/', /projects\/P\/locations/],
    ['projects/p/regions/us-central1/keyRings/r/cryptoKeys/k', /projects\/P\/locations/],
    ['projects/P_x/locations/us-central1/keyRings/r/cryptoKeys/k', /not a GCP project/],
    ['projects/p/locations/us-east-1/keyRings/r/cryptoKeys/k', /not a GCP location/],
    ['projects/p/locations/US-CENTRAL1/keyRings/r/cryptoKeys/k', /not a GCP location/],
    ['projects/p/locations/us-central1/keyRings/r.x/cryptoKeys/k', /key ring/],
    [`projects/p/locations/us-central1/keyRings/r/cryptoKeys/${'k'.repeat(64)}`, /crypto key/],
    ['projects/p/locations/us-central1/keyRings/r/cryptoKeys/k/cryptoKeyVersions/0', /positive/],
    ['projects/p/locations/us-central1/keyRings/r/cryptoKeys/k/versions/1', /projects\/P/],
  ])('%s', (s, re) => {
    expect(reason(s)).toMatch(re);
  });
});

describe('region shapes', () => {
  it.each([
    'us-east-1',
    'us-west-2',
    'ap-southeast-2',
    'ap-northeast-3',
    'eu-central-2',
    'me-south-1',
    'il-central-1',
    'ca-west-1',
    'us-gov-west-1',
    'us-gov-east-1',
    'cn-north-1',
    'cn-northwest-1',
    'us-isob-east-1',
  ])('AWS region %s', (r) => expect(isAwsRegion(r)).toBe(true));
  it.each(['us-east', 'useast-1', 'US-EAST-1', 'us-east-1a', 'us-central1', 'global', 'us', ''])(
    'not an AWS region: %s',
    (r) => expect(isAwsRegion(r)).toBe(false),
  );
  it.each([
    'us-central1',
    'europe-west4',
    'asia-southeast1',
    'northamerica-northeast2',
    'global',
    'us',
    'eu',
    'asia',
    'nam4',
    'eur3',
    'nam-eur-asia1',
  ])('GCP location %s', (l) => expect(isGcpLocation(l)).toBe(true));
  it.each(['us-east-1', 'Europe-west4', 'us-central', 'us_central1', ''])(
    'not a GCP location: %s',
    (l) => expect(isGcpLocation(l)).toBe(false),
  );
});

describe('keyRefDiagnostic', () => {
  it('produces CMEK_KEY_FORMAT with the reason and where it was written', () => {
    const d = keyRefDiagnostic('arn:aws:kms:us-east-1:1:key/x', {
      address: 'cmek_encrypted_service.db',
      attribute: 'kms_key',
      file: 'main.tf',
      line: 7,
    });
    expect(d).toMatchObject({
      severity: 'error',
      code: 'CMEK_KEY_FORMAT',
      address: 'cmek_encrypted_service.db',
      attribute: 'kms_key',
      file: 'main.tf',
      line: 7,
    });
    expect(d!.detail).toMatch(/12-digit/);
    expect(d!.summary).toContain('arn:aws:kms:us-east-1:1:key/x');
  });
  it('is undefined for a valid reference', () => {
    expect(keyRefDiagnostic(UUID)).toBeUndefined();
  });
});

// --- properties ---------------------------------------------------------------------------

const hex = (n: number) =>
  fc.string({ unit: fc.constantFrom(...'0123456789abcdef'), minLength: n, maxLength: n });
const lower = fc.constantFrom(...'abcdefghijklmnopqrstuvwxyz');
const word = (min: number, max: number) =>
  fc.string({ unit: lower, minLength: min, maxLength: max });
const uuid = fc.uuid();
const mrk = hex(32).map((h) => `mrk-${h}`);
const awsRegion = fc
  .tuple(
    fc.constantFrom('us', 'eu', 'ap', 'sa', 'ca', 'me', 'af', 'il', 'mx'),
    fc.constantFrom('east', 'west', 'north', 'south', 'central', 'southeast', 'northeast'),
    fc.integer({ min: 1, max: 9 }),
  )
  .map(([a, d, n]) => `${a}-${d}-${n}`);
const account = fc.string({
  unit: fc.constantFrom(...'0123456789'),
  minLength: 12,
  maxLength: 12,
});
const gcpId = fc.string({
  unit: fc.constantFrom(...'abcXYZ019_-'),
  minLength: 1,
  maxLength: 63,
});
const gcpLocation = fc.oneof(
  fc.constantFrom('global', 'us', 'eu', 'asia', 'nam4'),
  fc
    .tuple(word(2, 12), word(2, 12), fc.integer({ min: 1, max: 9 }))
    .map(([a, b, n]) => `${a}-${b}${n}`),
);
const project = fc
  .tuple(lower, fc.string({ unit: fc.constantFrom(...'abz09-'), maxLength: 20 }), lower)
  .map(([a, m, z]) => `${a}${m}${z}`);

describe('parseKeyRef properties', () => {
  it('accepts every generated AWS key ARN and returns its parts', () => {
    fc.assert(
      fc.property(awsRegion, account, fc.oneof(uuid, mrk), (region, acct, id) => {
        const s = `arn:aws:kms:${region}:${acct}:key/${id}`;
        const ref = parsed(s);
        expect(ref).toMatchObject({ provider: 'aws', kind: 'key-arn', region, account: acct, id });
        expect(ref.multiRegion === true).toBe(id.startsWith('mrk-'));
        expect(formatKeyRef(ref)).toBe(s);
      }),
    );
  });

  it('accepts every generated GCP key name and returns its parts', () => {
    fc.assert(
      fc.property(
        project,
        gcpLocation,
        gcpId,
        gcpId,
        fc.option(fc.integer({ min: 1, max: 1e9 })),
        (p, l, r, k, v) => {
          const base = `projects/${p}/locations/${l}/keyRings/${r}/cryptoKeys/${k}`;
          const s = v === null ? base : `${base}/cryptoKeyVersions/${v}`;
          const ref = parsed(s);
          expect(ref).toMatchObject({ provider: 'gcp', region: l, project: p, keyRing: r, id: k });
          expect(ref.version).toBe(v === null ? undefined : String(v));
          expect(formatKeyRef(ref)).toBe(s);
        },
      ),
    );
  });

  it('never throws, and whatever it accepts round-trips exactly', () => {
    const noisy = fc.oneof(
      fc.string(),
      fc
        .tuple(fc.constantFrom('arn:aws:kms:', 'projects/', 'alias/', 'mrk-', ''), fc.string())
        .map(([a, b]) => a + b),
    );
    fc.assert(
      fc.property(noisy, (s) => {
        const r = parseKeyRef(s);
        if (r.ok) expect(formatKeyRef(r.ref)).toBe(s);
        else expect(r.reason.length).toBeGreaterThan(0);
      }),
    );
  });

  it('ties the partition to the region (aws, aws-cn, aws-us-gov) for keys and aliases', () => {
    const region = fc.oneof(
      awsRegion,
      fc.integer({ min: 1, max: 3 }).map((n) => `cn-north-${n}`),
      fc.constantFrom('us-gov-west-1', 'us-gov-east-1'),
    );
    const partitions = ['aws', 'aws-cn', 'aws-us-gov'];
    const alias = fc
      .string({ unit: fc.constantFrom(...'abcXYZ09/_-'), minLength: 1, maxLength: 40 })
      .map((n) => `alias/${n}`);
    fc.assert(
      fc.property(
        region,
        account,
        fc.oneof(uuid, alias),
        fc.constantFrom(...partitions),
        (r, acct, res, part) => {
          const expected = r.startsWith('cn-')
            ? 'aws-cn'
            : r.startsWith('us-gov-')
              ? 'aws-us-gov'
              : 'aws';
          const s = `arn:${part}:kms:${r}:${acct}:${res.startsWith('alias/') ? res : `key/${res}`}`;
          const out = parseKeyRef(s);
          expect(out.ok).toBe(part === expected);
          if (out.ok) {
            expect(out.ref).toMatchObject({ region: r, account: acct, partition: part });
            expect(out.ref.kind).toBe(res.startsWith('alias/') ? 'alias-arn' : 'key-arn');
            expect(formatKeyRef(out.ref)).toBe(s);
          }
        },
      ),
    );
  });

  it('rejects an ARN whose region is not region-shaped', () => {
    fc.assert(
      fc.property(
        fc.string({ maxLength: 20 }).filter((r) => !isAwsRegion(r) && !r.includes(':')),
        account,
        uuid,
        (region, acct, id) => {
          expect(parseKeyRef(`arn:aws:kms:${region}:${acct}:key/${id}`).ok).toBe(false);
        },
      ),
    );
  });

  it('rejects a GCP name with any segment damaged', () => {
    fc.assert(
      fc.property(
        project,
        gcpLocation,
        gcpId,
        gcpId,
        fc.integer({ min: 0, max: 7 }),
        fc.constantFrom('', 'a b', 'x/y', 'ü'),
        (p, l, r, k, i, junk) => {
          const parts = ['projects', p, 'locations', l, 'keyRings', r, 'cryptoKeys', k];
          parts[i] = junk;
          expect(parseKeyRef(parts.join('/')).ok).toBe(false);
        },
      ),
    );
  });
});
