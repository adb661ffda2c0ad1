// Real third-party key policies (../shared/fixtures/key-policies, read in place) through the
// policy rules, with the verdicts of fixtures/SOURCES.md.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  keyPolicyMissingActions,
  keyPolicyPublic,
  type PolicyNode,
} from '../../src/rules/index.js';
import { SP } from './helpers.js';
import { sharedFixtures } from '../support/shared-fixtures.js';

const DIR = sharedFixtures('key-policies');
const have = existsSync(DIR);
if (!have) console.warn(`SKIPPING fixture tests: ${DIR} is missing`);

function node(
  file: string,
  servicePrincipal: string,
  profile?: 'clickhouse' | 'cloudsql',
): PolicyNode {
  const p: PolicyNode = {
    address: `fixture.${file}`,
    resourceType: 'aws_kms_key_policy',
    servicePrincipal,
    policy: readFileSync(join(DIR, file), 'utf8'),
  };
  if (profile) p.profile = profile;
  return p;
}

function run(p: PolicyNode) {
  const input = { nodes: [], keys: [], policies: [p] };
  return [...keyPolicyMissingActions(input), ...keyPolicyPublic(input)].map((d) => d.code);
}

describe.skipIf(!have)('key-policy fixtures', () => {
  it('ClickHouse docs statement grants the ClickHouse role everything (clickhouse)', () => {
    expect(run(node('clickhouse-docs-cmek-legacy-statement.json', SP))).toEqual([]);
    // ...and nothing to another principal.
    expect(
      run(node('clickhouse-docs-cmek-legacy-statement.json', 'arn:aws:iam::999999999999:role/x')),
    ).toEqual(['CMEK_KEY_POLICY_MISSING_ACTIONS']);
  });

  it('the default "Enable IAM policies" statement covers its own account only', () => {
    const f = 'aws-kms-docs-default-enable-iam-statement.json';
    expect(run(node(f, 'arn:aws:iam::111122223333:role/cmek-service'))).toEqual([]);
    expect(run(node(f, SP))).toEqual(['CMEK_KEY_POLICY_MISSING_ACTIONS']);
  });

  it('the RDS-style policy: "*" narrowed by ViaService/CallerAccount is not public, and grants nothing directly', () => {
    const codes = run(node('iac-workshop-kms-policy-rds.json.tpl', SP));
    expect(codes).not.toContain('CMEK_KEY_POLICY_PUBLIC');
    expect(codes).toContain('CMEK_KEY_POLICY_MISSING_ACTIONS');
  });

  it('a Service principal rds.amazonaws.com is not the required grant', () => {
    expect(run(node('tf-aws-infra-fork-db-kms-policy.json.tpl', SP, 'cloudsql'))).toEqual([
      'CMEK_KEY_POLICY_MISSING_ACTIONS',
    ]);
  });
});
