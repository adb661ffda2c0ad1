// ClickHouseCmekKey (cmek/cdktf/aws): an @cdktf/provider-aws aws_kms_key + aws_kms_key_policy
// whose document keeps the account-root statement and grants the ClickHouse role exactly the
// actions of the ClickHouse seed's statement (the fixture, read in place), judged by the same
// policy evaluator the local KMS and the rules use.
import { readFileSync } from 'node:fs';
import { TerraformStack, Testing } from 'cdktf';
import { AwsProvider } from '@cdktf/provider-aws/lib/provider/index.js';
import { DataAwsCallerIdentity } from '@cdktf/provider-aws/lib/data-aws-caller-identity/index.js';
import { describe, expect, it } from 'vitest';
import { CLICKHOUSE_KMS_REQUEST_ROLE, ClickHouseCmekKey } from '../../src/cdktf/aws.js';
import { grantsActions } from '../../src/model/policy/index.js';
import { REQUIRED_ACTIONS } from '../../src/rules/index.js';
import { sharedFixtures } from '../support/shared-fixtures.js';

const SEED = sharedFixtures('key-policies/clickhouse-docs-cmek-legacy-statement.json');

interface Synth {
  resource: Record<string, Record<string, Record<string, unknown>>>;
}

function synth(build: (stack: TerraformStack) => void): Synth {
  const stack = new TerraformStack(Testing.app(), 'app');
  new AwsProvider(stack, 'aws', { region: 'us-east-2' });
  build(stack);
  return JSON.parse(Testing.synth(stack, true)) as Synth;
}

describe('ClickHouseCmekKey', () => {
  it('is an aws_kms_key and an aws_kms_key_policy attached to it', () => {
    const tf = synth((stack) => {
      new ClickHouseCmekKey(stack, 'clickhouse', {
        accountId: '111122223333',
        serviceRoleArn: CLICKHOUSE_KMS_REQUEST_ROLE,
        region: 'us-east-2',
      });
    });
    const keys = Object.entries(tf.resource.aws_kms_key!);
    const policies = Object.values(tf.resource.aws_kms_key_policy!);
    expect(keys).toHaveLength(1);
    expect(policies).toHaveLength(1);
    const [keyName, key] = keys[0]!;
    expect(key).toMatchObject({ enable_key_rotation: true, region: 'us-east-2' });
    expect(policies[0]!.key_id).toBe(`\${aws_kms_key.${keyName}.key_id}`);
  });

  it('grants the ClickHouse role exactly the seed statement actions, and keeps the account root', () => {
    const tf = synth((stack) => {
      new ClickHouseCmekKey(stack, 'clickhouse', {
        accountId: '111122223333',
        serviceRoleArn: CLICKHOUSE_KMS_REQUEST_ROLE,
      });
    });
    const policy = Object.values(tf.resource.aws_kms_key_policy!)[0]!.policy as string;
    const doc = JSON.parse(policy) as {
      Statement: Array<{ Principal: { AWS: string }; Action: string | string[] }>;
    };
    const seed = JSON.parse(readFileSync(SEED, 'utf8')) as {
      Principal: { AWS: string };
      Action: string[];
    };
    const role = doc.Statement.find((s) => s.Principal.AWS === seed.Principal.AWS)!;
    expect([...(role.Action as string[])].sort()).toEqual([...seed.Action].sort());
    expect([...REQUIRED_ACTIONS.clickhouse].sort()).toEqual([...seed.Action].sort());
    // Evaluated: the role gets those and nothing else; the root keeps full control.
    expect(grantsActions(policy, CLICKHOUSE_KMS_REQUEST_ROLE, seed.Action).missing).toEqual([]);
    const admin = ['kms:ScheduleKeyDeletion', 'kms:PutKeyPolicy', 'kms:ReEncryptFrom'];
    expect(grantsActions(policy, CLICKHOUSE_KMS_REQUEST_ROLE, admin).granted).toEqual([]);
    const root = 'arn:aws:iam::111122223333:root';
    expect(grantsActions(policy, root, [...admin, ...seed.Action]).missing).toEqual([]);
    expect(doc.Statement).toHaveLength(2);
  });

  it('takes the account from a token (aws_caller_identity) and references it', () => {
    const tf = synth((stack) => {
      const me = new DataAwsCallerIdentity(stack, 'me');
      new ClickHouseCmekKey(stack, 'clickhouse', {
        accountId: me.accountId,
        serviceRoleArn: 'arn:aws:iam::576599896960:role/tde-role',
      });
    });
    const policy = Object.values(tf.resource.aws_kms_key_policy!)[0]!.policy as string;
    expect(policy).toContain(
      '"AWS": "arn:aws:iam::${data.aws_caller_identity.me.account_id}:root"',
    );
    expect(policy).toContain('arn:aws:iam::576599896960:role/tde-role');
  });
});
