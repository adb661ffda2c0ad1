// The Aspect on stacks that use the cloud providers directly: @cdktf/provider-aws KmsKey /
// KmsKeyPolicy / DbInstance / RdsCluster constructs, and Google Cloud resources (recognized by
// `terraformResourceType` alone: here plain TerraformResources of the google types, as
// @cdktf/provider-google's classes synthesize them) get the same guardrails as cmek_* resources,
// through the foreign type table `cmek policy check` uses. Warning-level review findings become
// warning annotations and do not fail synth.
import {
  AnnotationMetadataEntryType,
  App,
  Aspects,
  TerraformProvider,
  TerraformResource,
  TerraformStack,
} from 'cdktf';
import type { Construct } from 'constructs';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AwsProvider } from '@cdktf/provider-aws/lib/provider/index.js';
import { KmsKey } from '@cdktf/provider-aws/lib/kms-key/index.js';
import { DbInstance } from '@cdktf/provider-aws/lib/db-instance/index.js';
import { RdsCluster } from '@cdktf/provider-aws/lib/rds-cluster/index.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ClickHouseCmekKey } from '../../src/cdktf/aws.js';
import { CmekRules, checkStack } from '../../src/cdktf/index.js';
import { cliBin, cmek } from '../e2e/harness.js';

const out = mkdtempSync(join(tmpdir(), 'cmek-cdktf-foreign-'));
beforeAll(() => void cliBin(), 300_000);
afterAll(() => rmSync(out, { recursive: true, force: true }));

function stackIn(name: string): { app: App; stack: TerraformStack } {
  mkdirSync(join(out, name));
  const app = new App({ outdir: join(out, name, 'cdktf.out') });
  return { app, stack: new TerraformStack(app, 'app') };
}

function annotations(stack: TerraformStack, level: string): string[] {
  return stack.node
    .findAll()
    .flatMap((c) =>
      c.node.metadata.filter((m) => m.type === level).map((m) => `${c.node.id}: ${String(m.data)}`),
    );
}

/** A resource of a provider package we do not install (google, clickhouse), as its generated
 * class synthesizes it. */
class ForeignResource extends TerraformResource {
  constructor(
    scope: Construct,
    id: string,
    type: string,
    private readonly attrs: Record<string, unknown>,
  ) {
    super(scope, id, {
      terraformResourceType: type,
      terraformGeneratorMetadata: { providerName: type.split('_')[0]! },
    });
  }
  protected override synthesizeAttributes(): Record<string, unknown> {
    return this.attrs;
  }
}

/** The provider block such a package's provider class synthesizes. */
function foreignProvider(stack: TerraformStack, name: string) {
  new (class extends TerraformProvider {})(stack, name, {
    terraformResourceType: name,
    terraformGeneratorMetadata: { providerName: name },
  });
}

function rds(stack: TerraformStack, id: string, extra: Record<string, unknown>) {
  return new DbInstance(stack, id, {
    identifier: id,
    engine: 'postgres',
    instanceClass: 'db.t3.micro',
    allocatedStorage: 20,
    ...extra,
  });
}

describe('CmekRules with @cdktf/provider-aws resources', () => {
  it('an RDS instance in the provider region using a key of another region fails synth', () => {
    const { app, stack } = stackIn('rds-region');
    new AwsProvider(stack, 'aws', { region: 'eu-west-1' });
    const key = new KmsKey(stack, 'key', { region: 'us-east-1', enableKeyRotation: true });
    rds(stack, 'db', { storageEncrypted: true, kmsKeyId: key.arn });
    Aspects.of(stack).add(new CmekRules());
    expect(() => app.synth()).toThrow(
      '[app/db] [CMEK_REGION_MISMATCH] aws_db_instance.db is in region eu-west-1',
    );
  });

  it('a cross-region RDS read replica without a key of its region fails synth', () => {
    const { app, stack } = stackIn('rds-replica');
    new AwsProvider(stack, 'aws', { region: 'eu-west-1' });
    const west = new AwsProvider(stack, 'aws_us', { region: 'us-east-1', alias: 'us' });
    const key = new KmsKey(stack, 'key', { enableKeyRotation: true });
    const primary = rds(stack, 'primary', { storageEncrypted: true, kmsKeyId: key.arn });
    rds(stack, 'replica', { replicateSourceDb: primary.arn, provider: west });
    Aspects.of(stack).add(new CmekRules());
    expect(() => app.synth()).toThrow('[app/replica] [CMEK_REPLICA_KEY_REQUIRED]');
  });

  it('an Aurora cluster restored to a point in time of an encrypted one with another key fails synth', () => {
    const { app, stack } = stackIn('aurora');
    new AwsProvider(stack, 'aws', { region: 'eu-west-1' });
    const a = new KmsKey(stack, 'a', { enableKeyRotation: true });
    const b = new KmsKey(stack, 'b', { enableKeyRotation: true });
    const src = new RdsCluster(stack, 'src', {
      clusterIdentifier: 'src',
      engine: 'aurora-postgresql',
      storageEncrypted: true,
      kmsKeyId: a.arn,
    });
    new RdsCluster(stack, 'copy', {
      clusterIdentifier: 'copy',
      engine: 'aurora-postgresql',
      storageEncrypted: true,
      kmsKeyId: b.arn,
      restoreToPointInTime: { sourceClusterIdentifier: src.clusterIdentifier },
    });
    Aspects.of(stack).add(new CmekRules());
    expect(() => app.synth()).toThrow('[app/copy] [CMEK_CLONE_KEY_INHERITED]');
  });

  it('a key without rotation is a warning annotation, not a synth failure; policy check agrees', () => {
    const { app, stack } = stackIn('rotation');
    new AwsProvider(stack, 'aws', { region: 'us-east-2' });
    const plain = new KmsKey(stack, 'norotate', {});
    rds(stack, 'db', { storageEncrypted: true, kmsKeyId: plain.arn, deletionProtection: true });
    Aspects.of(stack).add(new CmekRules());
    app.synth();
    expect(annotations(stack, AnnotationMetadataEntryType.ERROR)).toEqual([]);
    const warnings = annotations(stack, AnnotationMetadataEntryType.WARN);
    expect(warnings.some((w) => w.startsWith('norotate: [CMEK_KEY_ROTATION_OFF]'))).toBe(true);
    // The same stack through cmek policy check: the same findings, at warning level (exit 0).
    const check = cmek(join(out, 'rotation'), ['policy', 'check', 'cdktf.out', '--format', 'json']);
    expect(check.code, check.stdout + check.stderr).toBe(0);
    const report = JSON.parse(check.stdout) as {
      findings: Array<{ code: string; severity: string; address: string }>;
    };
    const fromCheck = report.findings.map((f) => `${f.severity} ${f.code} ${f.address}`).sort();
    const fromAspect = checkStack(stack)
      .map((f) => `${f.diagnostic.severity} ${f.diagnostic.code} ${f.diagnostic.address}`)
      .sort();
    expect(fromAspect.length).toBeGreaterThan(0);
    expect(fromCheck).toEqual(fromAspect);
  }, 120_000);
});

describe('CmekRules with ClickHouseCmekKey and a ClickHouse service', () => {
  const ROLE = 'arn:aws:iam::576599896960:role/prod-kms-request-role';

  function clickhouse(name: string, granted: string) {
    const { app, stack } = stackIn(name);
    new AwsProvider(stack, 'aws', { region: 'us-east-2' });
    foreignProvider(stack, 'clickhouse');
    const key = new ClickHouseCmekKey(stack, 'key', {
      accountId: '111122223333',
      serviceRoleArn: granted,
      region: 'us-east-2',
    });
    new ForeignResource(stack, 'svc', 'clickhouse_service', {
      name: 'analytics',
      cloud_provider: 'aws',
      region: 'us-east-2',
      encryption_key: key.arn,
    });
    // ClickHouse calls the KMS as its role: the principal the grant is judged for.
    Aspects.of(stack).add(new CmekRules({ servicePrincipal: ROLE }));
    return { app, stack };
  }

  it('a key granted to the ClickHouse role passes', () => {
    const { app, stack } = clickhouse('clickhouse-ok', ROLE);
    app.synth();
    expect(annotations(stack, AnnotationMetadataEntryType.ERROR)).toEqual([]);
  });

  it('a key granted to another role fails synth with CMEK_KEY_POLICY_MISSING_ACTIONS', () => {
    const { app } = clickhouse('clickhouse-other', 'arn:aws:iam::576599896960:role/other');
    expect(() => app.synth()).toThrow(
      `[app/key/policy] [CMEK_KEY_POLICY_MISSING_ACTIONS] The key policy of aws_kms_key_policy.`,
    );
  });
});

describe('CmekRules with Google Cloud resource types', () => {
  it('a Cloud SQL instance using a key whose ring is in another location fails synth', () => {
    const { app, stack } = stackIn('cloudsql');
    foreignProvider(stack, 'google');
    const ring = new ForeignResource(stack, 'ring', 'google_kms_key_ring', {
      name: 'sql',
      location: 'us-central1',
    });
    const key = new ForeignResource(stack, 'key', 'google_kms_crypto_key', {
      name: 'sql-key',
      key_ring: `\${${ring.terraformResourceType}.${ring.friendlyUniqueId}.id}`,
      rotation_period: '7776000s',
    });
    new ForeignResource(stack, 'db', 'google_sql_database_instance', {
      name: 'orders',
      region: 'europe-west1',
      database_version: 'POSTGRES_15',
      encryption_key_name: `\${google_kms_crypto_key.${key.friendlyUniqueId}.id}`,
    });
    Aspects.of(stack).add(new CmekRules());
    expect(() => app.synth()).toThrow('[app/db] [CMEK_REGION_MISMATCH]');
  });
});
