// The real pack process: a policy pack directory whose index.mjs calls `cmekPolicyPack()` from
// the built `cmek/pulumi-policy`, started with node as `pulumi` starts a pack, and driven over
// its gRPC Analyzer protocol with the SDK's generated stubs (AnalyzeRequest, AnalyzeStackRequest).
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  analyzeDiagnostics,
  analyzerReq,
  programDir,
  startPolicyPack,
  type AnalyzedResource,
  type Host,
} from './host.js';

let dir: string;
let pack: Host;

beforeAll(async () => {
  dir = programDir();
  writeFileSync(
    join(dir, 'package.json'),
    JSON.stringify({ name: 'cmek-pack', version: '0.1.0', type: 'module' }),
  );
  writeFileSync(
    join(dir, 'index.mjs'),
    "import { cmekPolicyPack } from 'cmek/pulumi-policy';\ncmekPolicyPack('cmek');\n",
  );
  pack = await startPolicyPack(dir, join(dir, 'index.mjs'));
}, 240_000);

afterAll(() => {
  pack?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

const US_KEY = 'arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab';
const urn = (type: string, name: string) => `urn:pulumi:dev::shop::${type}::${name}`;
const db = (kmsKeyId: string): AnalyzedResource => ({
  type: 'aws:rds/instance:Instance',
  name: 'orders',
  urn: urn('aws:rds/instance:Instance', 'orders'),
  props: { identifier: 'orders', storageEncrypted: true, kmsKeyId },
  providerRegion: 'eu-west-1',
});

describe('the cmek policy pack process', () => {
  it('Analyze: a database with a key of another region is a mandatory violation', async () => {
    const resp = await pack.call('analyze', analyzerReq.analyze(db(US_KEY)));
    const d = analyzeDiagnostics(resp);
    // The engine shows the policy's description, then our message: `CODE: summary`, detail.
    const mismatch = d.find((x) => x.message.includes('\nCMEK_REGION_MISMATCH: '));
    expect(mismatch, JSON.stringify(d)).toBeDefined();
    expect(mismatch!.policyName).toBe('cmek-resource-rules');
    expect(mismatch!.urn).toBe(urn('aws:rds/instance:Instance', 'orders'));
    expect(mismatch!.enforcementLevel).toBe(1); // MANDATORY
  });

  it('AnalyzeStack: a Cloud SQL replica naming another key than its primary', async () => {
    const type = 'gcp:sql/databaseInstance:DatabaseInstance';
    const key = (k: string) => `projects/p/locations/europe-west1/keyRings/r/cryptoKeys/${k}`;
    const primary: AnalyzedResource = {
      type,
      name: 'primary',
      urn: urn(type, 'primary'),
      props: { name: 'primary', region: 'europe-west1', encryptionKeyName: key('a') },
    };
    const replica: AnalyzedResource = {
      type,
      name: 'replica',
      urn: urn(type, 'replica'),
      props: {
        name: 'replica',
        region: 'europe-west1',
        masterInstanceName: 'primary',
        encryptionKeyName: key('b'),
      },
      propertyDependencies: { masterInstanceName: [primary.urn] },
    };
    const resp = await pack.call('analyzeStack', analyzerReq.analyzeStack([primary, replica]));
    const d = analyzeDiagnostics(resp).filter((x) => x.policyName === 'cmek-stack-rules');
    expect(d.length, JSON.stringify(analyzeDiagnostics(resp))).toBeGreaterThan(0);
    expect(d[0]!.message).toContain('\nCMEK_REPLICA_KEY_INHERITED: ');
    expect(d[0]!.urn).toBe(replica.urn);
    const same = { ...replica, props: { ...replica.props, encryptionKeyName: key('a') } };
    const fine = await pack.call('analyzeStack', analyzerReq.analyzeStack([primary, same]));
    expect(analyzeDiagnostics(fine).filter((x) => x.policyName === 'cmek-stack-rules')).toEqual([]);
  });
});
