// Golden tests over the real third-party material in ../shared/fixtures (read in place, never
// copied): every Terraform plan JSON, every HCL file and every key policy, with what
// SOURCES.md says a correct checker concludes on each. Fails loudly when the folder is absent.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { allowsPublicPrincipal, grantsActions } from '../../src/model/policy/index.js';
import { policyCheck, type CheckResult } from '../../src/policy/index.js';
import { REQUIRED_ACTIONS } from '../../src/rules/index.js';
import { sharedFixtures } from '../support/shared-fixtures.js';

const SHARED = sharedFixtures();
if (!existsSync(SHARED)) {
  console.warn(
    `\n*** ../shared/fixtures is ABSENT (${SHARED}): the golden policy tests FAIL ***\n`,
  );
}

const codes = (r: CheckResult, sev?: 'error' | 'warning') =>
  r.findings
    .filter((f) => !f.suppressed && (sev === undefined || f.severity === sev))
    .map((f) => `${f.code} ${f.address}`)
    .sort();

/** Every file must have a verdict below: a new fixture fails until someone writes one. */
const PLAN_VERDICTS: Record<string, (r: CheckResult) => void> = {
  'tfvalidator-example-sql-database-instance.tfplan.json': (r) => {
    // NOT CMEK; the unknown master_instance_name must not make it a replica.
    expect(r.inputs[0]!.resources).toBe(1);
    expect(codes(r)).toEqual([]);
  },
  'tfvalidator-example-kms-crypto-key.tfplan.json': (r) => {
    // No database; the bare key-ring string is tolerated. Only the hygiene warning.
    expect(codes(r, 'error')).toEqual([]);
    expect(codes(r)).toEqual(['CMEK_KEY_ROTATION_OFF google_kms_crypto_key.test']);
  },
  'tfvalidator-example-kms-crypto-key-iam-member.tfplan.json': (r) => {
    // No SQL in scope: allUsers on the key is reported; no missing-grant finding without a user.
    expect(codes(r, 'error')).toEqual([
      'CMEK_KEY_POLICY_PUBLIC google_kms_crypto_key_iam_member.crypto_key',
    ]);
    expect(codes(r)).not.toContain('CMEK_KEY_POLICY_MISSING_ACTIONS');
  },
  'tfcompliance-kms-key-rotation-success.json': (r) => {
    // Rotation on, policy and region unknown: nothing to report.
    expect(r.inputs[0]!.resources).toBe(1);
    expect(codes(r)).toEqual([]);
  },
  'azinbehdarvand-gcs-only-fv1.2.tfplan.json': (r) => {
    // Format 1.2, nothing in scope: empty, no error.
    expect(r.inputs[0]!.resources).toBeGreaterThan(0);
    expect(codes(r)).toEqual([]);
  },
};

describe('golden: ../shared/fixtures/terraform-plan-json', () => {
  it('the fixtures folder is present', () => expect(existsSync(SHARED)).toBe(true));
  const dir = join(SHARED, 'terraform-plan-json');
  const files = existsSync(dir) ? readdirSync(dir).filter((f) => f.endsWith('.json')) : [];
  it('every plan file has a verdict', () => {
    expect(files.length).toBeGreaterThan(0);
    for (const f of files) expect(Object.keys(PLAN_VERDICTS), f).toContain(f);
  });
  for (const f of files) {
    it(f, async () => {
      const r = await policyCheck([join(dir, f)]);
      expect(r.inputs[0]!.kind).toBe('plan');
      PLAN_VERDICTS[f]!(r);
    });
  }
});

const HCL = (f: string) => join(SHARED, 'hcl', f);
const HCL_VERDICTS: Array<{ files: string[]; verdict: (r: CheckResult) => void }> = [
  {
    // All 3 instances OK (same region, agent granted by the IAM binding).
    files: ['docs-samples-cloudsql-instance-cmek.tf'],
    verdict: (r) => {
      expect(r.inputs[0]!.resources).toBe(7);
      expect(codes(r, 'error')).toEqual([]);
      expect(codes(r)).toEqual(['CMEK_KEY_ROTATION_OFF google_kms_crypto_key.key']);
      const rot = r.findings[0]!;
      expect(rot.file).toMatch(/docs-samples-cloudsql-instance-cmek\.tf$/);
      expect(rot.line).toBe(33);
    },
  },
  {
    files: ['docs-samples-cloudsql-mysql-instance-replica.tf'],
    verdict: (r) => expect(codes(r)).toEqual([]), // both NOT CMEK
  },
  {
    // TDE with a customer key in the same region, the key policy grants the TDE role: no
    // error; the example's 7-day window and rotation off are hygiene warnings.
    files: ['clickhouse-tde-aws-main.tf', 'clickhouse-tde-aws-aws.tf'],
    verdict: (r) => {
      expect(r.inputs).toHaveLength(1);
      expect(codes(r, 'error')).toEqual([]);
      expect(codes(r, 'warning')).toEqual([
        'CMEK_KEY_DELETION_WINDOW aws_kms_key.enc',
        'CMEK_KEY_ROTATION_OFF aws_kms_key.enc',
      ]);
    },
  },
  {
    // Both keys granted to the Cloud SQL agent: no error (rotation is not configured).
    files: ['tgm-sqldb-xregion-failover-kms.tf'],
    verdict: (r) => {
      expect(codes(r, 'error')).toEqual([]);
      expect(codes(r).every((c) => c.startsWith('CMEK_KEY_ROTATION_OFF'))).toBe(true);
    },
  },
  {
    // Module calls: not followed from .tf, said so in a note (the plan has the resources).
    files: ['tgm-sqldb-xregion-failover-pg1.tf'],
    verdict: (r) => {
      expect(codes(r)).toEqual([]);
      expect(r.notes.map((n) => n.summary)).toContain('A module call is not followed');
    },
  },
  {
    files: ['tgm-sqldb-xregion-failover-pg2.tf'],
    verdict: (r) => {
      expect(codes(r)).toEqual([]);
      expect(r.notes.map((n) => n.summary)).toContain('A module call is not followed');
    },
  },
  {
    // The replica's key depends on variables: reported as such, not guessed.
    files: ['tgm-sqldb-postgresql-read_replica.tf'],
    verdict: (r) => {
      expect(codes(r)).toEqual([]);
      expect(r.notes.map((n) => n.summary)).toContain(
        'The key of google_sql_database_instance.replicas depends on variables and is not checked',
      );
    },
  },
  {
    files: ['tam-rds-cross-region-replica-postgres-main.tf'],
    verdict: (r) => {
      expect(codes(r)).toEqual([]);
      expect(r.notes.length).toBeGreaterThan(0);
    },
  },
];

describe('golden: ../shared/fixtures/hcl', () => {
  const dir = join(SHARED, 'hcl');
  const files = existsSync(dir) ? readdirSync(dir).filter((f) => f.endsWith('.tf')) : [];
  it('every HCL file has a verdict', () => {
    expect(files.length).toBeGreaterThan(0);
    const covered = HCL_VERDICTS.flatMap((v) => v.files);
    for (const f of files) expect(covered, f).toContain(f);
  });
  for (const v of HCL_VERDICTS) {
    it(v.files.join(' + '), async () => v.verdict(await policyCheck(v.files.map(HCL))));
  }
});

describe('golden: ../shared/fixtures/key-policies', () => {
  const dir = join(SHARED, 'key-policies');
  const read = (f: string): unknown => JSON.parse(readFileSync(join(dir, f), 'utf8'));
  /** A bare statement becomes a one-statement policy. */
  const doc = (v: unknown) =>
    typeof v === 'object' && v !== null && 'Statement' in v
      ? v
      : { Version: '2012-10-17', Statement: [v] };
  const VERDICTS: Record<string, () => void> = {
    'iac-workshop-kms-policy-rds.json.tpl': () => {
      // Rendered as terraform's templatefile would, with the account ids filled in.
      const text = readFileSync(join(dir, 'iac-workshop-kms-policy-rds.json.tpl'), 'utf8')
        .replaceAll('${account_id}', '111122223333')
        .replace(/\$\{[a-z_]+\}/g, '444455556666');
      const p = doc(JSON.parse(text));
      // "*" narrowed by kms:ViaService + kms:CallerAccount: not public.
      expect(allowsPublicPrincipal(p)).toEqual([]);
      // A caller of the account through RDS in eu-west-1 is granted; another account's caller
      // through RDS elsewhere is not.
      const caller = 'arn:aws:iam::111122223333:role/app';
      const via = (region: string) => ({
        viaService: `rds.${region}.amazonaws.com`,
        callerAccount: '111122223333',
      });
      expect(grantsActions(p, caller, ['kms:Decrypt'], via('eu-west-1')).missing).toEqual([]);
      expect(
        grantsActions(p, 'arn:aws:iam::999988887777:role/x', ['kms:Decrypt'], {
          viaService: 'rds.us-east-1.amazonaws.com',
        }).missing,
      ).toEqual(['kms:Decrypt']);
    },
    'tf-aws-infra-fork-db-kms-policy.json.tpl': () => {
      const p = doc(read('tf-aws-infra-fork-db-kms-policy.json.tpl'));
      expect(allowsPublicPrincipal(p)).toEqual([]);
      // The rds.amazonaws.com Service statement is not the grant a service principal needs.
      const r = grantsActions(
        p,
        'arn:aws:iam::000000000000:role/cmek-service',
        REQUIRED_ACTIONS.clickhouse,
      );
      expect(r.missing.length).toBeGreaterThan(0);
    },
    'aws-kms-docs-default-enable-iam-statement.json': () => {
      const p = doc(read('aws-kms-docs-default-enable-iam-statement.json'));
      expect(allowsPublicPrincipal(p)).toEqual([]);
      const r = grantsActions(p, 'arn:aws:iam::111122223333:role/other', ['kms:Decrypt']);
      expect(r.error).toBeUndefined();
    },
    'clickhouse-docs-cmek-legacy-statement.json': () => {
      const p = doc(read('clickhouse-docs-cmek-legacy-statement.json'));
      expect(allowsPublicPrincipal(p)).toEqual([]);
      const role = 'arn:aws:iam::576599896960:role/prod-kms-request-role';
      expect(grantsActions(p, role, REQUIRED_ACTIONS.clickhouse).missing).toEqual([]);
    },
  };
  const files = existsSync(dir) ? readdirSync(dir) : [];
  it('every key policy has a verdict', () => {
    expect(files.length).toBeGreaterThan(0);
    for (const f of files) expect(Object.keys(VERDICTS), f).toContain(f);
  });
  for (const f of files) it(f, () => VERDICTS[f]!());
});
