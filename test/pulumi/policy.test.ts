// The CrossGuard policies of `cmek/pulumi-policy`, called as @pulumi/policy calls them:
// `validateResource` with one resource's props, `validateStack` with every resource and its
// property dependencies. The findings come from the same rule functions as `cmek policy check`.
import { describe, expect, it } from 'vitest';
import {
  cmekPolicies,
  cmekResourceReview,
  cmekResourceRules,
  cmekStackRules,
  PULUMI_TYPES,
} from '../../src/pulumi-policy/index.js';
import { pulumiTypeToken } from '../../src/model/case.js';

interface Res {
  type: string;
  name: string;
  props: Record<string, unknown>;
  region?: string;
  deps?: Record<string, string[]>;
}

const urnOf = (r: Res) => `urn:pulumi:dev::shop::${r.type}::${r.name}`;
const common = {
  opts: {},
  stackTags: new Map<string, string>(),
  getConfig: () => ({}),
  notApplicable: (): never => {
    throw new Error('not applicable');
  },
  isType: () => false,
  asType: () => undefined,
};

function resourceArgs(r: Res) {
  return {
    ...common,
    type: r.type,
    name: r.name,
    urn: urnOf(r),
    props: r.props,
    ...(r.region
      ? {
          provider: {
            type: 'pulumi:providers:aws',
            props: { region: r.region },
            urn: 'p',
            name: 'p',
          },
        }
      : {}),
  };
}

async function validateResource(policy: typeof cmekResourceRules, r: Res) {
  const out: Array<{ message: string; urn?: string }> = [];
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- the SDK's args bag, partly
  await (policy.validateResource as any)(resourceArgs(r), (message: string, urn?: string) =>
    out.push({ message, ...(urn ? { urn } : {}) }),
  );
  return out;
}

async function validateStack(resources: Res[]) {
  const byName = new Map(resources.map((r) => [r.name, r]));
  const policyResources = resources.map((r) => ({
    ...resourceArgs(r),
    dependencies: [],
    propertyDependencies: Object.fromEntries(
      Object.entries(r.deps ?? {}).map(([prop, names]) => [
        prop,
        names.map((n) => resourceArgs(byName.get(n)!)),
      ]),
    ),
  }));
  const out: Array<{ message: string; urn?: string }> = [];
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- the SDK's args bag, partly
  await (cmekStackRules.validateStack as any)(
    { ...common, resources: policyResources },
    (message: string, urn?: string) => out.push({ message, ...(urn ? { urn } : {}) }),
  );
  return out;
}

const EU_KEY = 'arn:aws:kms:eu-west-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab';
const US_KEY = 'arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab';

describe('cmek/pulumi-policy', () => {
  it('covers the cmek classes and the AWS and Google types', () => {
    for (const t of [
      'aws:rds/instance:Instance',
      'aws:rds/cluster:Cluster',
      'aws:kms/key:Key',
      'aws:kms/keyPolicy:KeyPolicy',
      'gcp:sql/databaseInstance:DatabaseInstance',
      'gcp:kms/cryptoKey:CryptoKey',
      'pulumi-nodejs:dynamic/cmek:EncryptedService',
      'pulumi-nodejs:dynamic/cmek:Replica',
    ])
      expect(PULUMI_TYPES[t], t).toBeDefined();
    expect(cmekPolicies.map((p) => [p.name, p.enforcementLevel])).toEqual([
      ['cmek-resource-rules', 'mandatory'],
      ['cmek-resource-review', 'advisory'],
      ['cmek-stack-rules', 'mandatory'],
      ['cmek-stack-review', 'advisory'],
    ]);
  });

  it('validateResource: an RDS instance with a key of another region', async () => {
    const db: Res = {
      type: 'aws:rds/instance:Instance',
      name: 'orders',
      region: 'eu-west-1',
      props: { identifier: 'orders', storageEncrypted: true, kmsKeyId: US_KEY },
    };
    const v = await validateResource(cmekResourceRules, db);
    expect(v.map((x) => x.message.split(':')[0])).toContain('CMEK_REGION_MISMATCH');
    expect(v[0]!.urn).toBe(urnOf(db));
    expect(
      await validateResource(cmekResourceRules, {
        ...db,
        props: { ...db.props, kmsKeyId: EU_KEY },
      }),
    ).toEqual([]);
  });

  it('validateResource: a cmek EncryptedService (camelCase props, __provider ignored)', async () => {
    const svc: Res = {
      type: pulumiTypeToken('cmek_encrypted_service'),
      name: 'orders',
      props: {
        __provider: 'exports.handler = ...',
        name: 'orders',
        region: 'eu-west-1',
        kmsKey: US_KEY,
      },
    };
    const v = await validateResource(cmekResourceRules, svc);
    expect(v.map((x) => x.message.split(':')[0])).toEqual(['CMEK_REGION_MISMATCH']);
  });

  it('validateResource: review findings are advisory (an AWS key without rotation)', async () => {
    const key: Res = {
      type: 'aws:kms/key:Key',
      name: 'orders',
      region: 'eu-west-1',
      props: { enableKeyRotation: false, deletionWindowInDays: 30 },
    };
    expect(await validateResource(cmekResourceRules, key)).toEqual([]);
    const review = await validateResource(cmekResourceReview, key);
    expect(review.map((x) => x.message.split(':')[0])).toContain('CMEK_KEY_ROTATION_OFF');
  });

  it('validateStack: a database names its key by key id; the key is in another region', async () => {
    const id = '1234abcd-12ab-34cd-56ef-1234567890ab';
    const key: Res = {
      type: 'aws:kms/key:Key',
      name: 'k',
      region: 'us-east-1',
      props: { enableKeyRotation: true, keyId: id },
    };
    const db: Res = {
      type: 'aws:rds/instance:Instance',
      name: 'orders',
      region: 'eu-west-1',
      // A bare key id says nothing of its region: only the key resource does.
      props: { identifier: 'orders', storageEncrypted: true, kmsKeyId: id },
      deps: { kmsKeyId: ['k'] },
    };
    expect(await validateResource(cmekResourceRules, db)).toEqual([]);
    const v = await validateStack([key, db]);
    expect(v.map((x) => x.message.split(':')[0])).toEqual(['CMEK_REGION_MISMATCH']);
    expect(v[0]!.urn).toBe(urnOf(db));
    expect(await validateStack([{ ...key, region: 'eu-west-1' }, db])).toEqual([]);
  });

  it('validateStack: a Cloud SQL replica that names another key than its primary', async () => {
    const primary: Res = {
      type: 'gcp:sql/databaseInstance:DatabaseInstance',
      name: 'primary',
      props: {
        name: 'primary',
        region: 'europe-west1',
        encryptionKeyName: 'projects/p/locations/europe-west1/keyRings/r/cryptoKeys/a',
      },
    };
    const replica: Res = {
      type: 'gcp:sql/databaseInstance:DatabaseInstance',
      name: 'replica',
      props: {
        name: 'replica',
        region: 'europe-west1',
        masterInstanceName: 'primary',
        encryptionKeyName: 'projects/p/locations/europe-west1/keyRings/r/cryptoKeys/b',
      },
      deps: { masterInstanceName: ['primary'] },
    };
    const v = await validateStack([primary, replica]);
    expect(v.length).toBeGreaterThan(0);
    expect(v[0]!.message).toMatch(/^CMEK_REPLICA_KEY_INHERITED: /);
    expect(v[0]!.urn).toBe(urnOf(replica));
  });

  it('ignores types it does not know', async () => {
    const bucket: Res = { type: 'aws:s3/bucket:Bucket', name: 'b', props: { bucket: 'b' } };
    expect(await validateResource(cmekResourceRules, bucket)).toEqual([]);
    expect(await validateStack([bucket])).toEqual([]);
  });
});
