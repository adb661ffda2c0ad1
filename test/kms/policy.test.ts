import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  CLICKHOUSE_REQUIRED_ACTIONS,
  allowsPublicPrincipal,
  defaultKeyPolicy,
  evaluatePolicy,
  glob,
  grantsActions,
  parsePolicy,
  type PolicyDocument,
  type RequestContext,
} from '../../src/model/policy/index.js';
import { sharedFixtures } from '../support/shared-fixtures.js';

const FIXTURES = sharedFixtures('key-policies');
const ACCOUNT = '111122223333';
const BACKUP = '444455556666';
const CLICKHOUSE_ROLE = 'arn:aws:iam::576599896960:role/prod-kms-request-role';

/** Read a fixture in place; `.tpl` placeholders are substituted as Terraform's templatefile would. */
function fixture(name: string): string {
  return readFileSync(`${FIXTURES}/${name}`, 'utf8')
    .replaceAll('${account_id}', ACCOUNT)
    .replaceAll('${backup_account_id}', BACKUP);
}

function doc(policy: unknown): PolicyDocument {
  const r = parsePolicy(policy);
  if (!r.ok) throw new Error(r.reason);
  return r.policy;
}

function decide(policy: unknown, req: RequestContext) {
  return evaluatePolicy(doc(policy), req).decision;
}

describe('fixture: aws-kms-docs default "Enable IAM policies" (bare statement)', () => {
  const text = fixture('aws-kms-docs-default-enable-iam-statement.json');
  it('parses as a one-statement document', () => {
    expect(doc(text).statements).toHaveLength(1);
    expect(doc(text).statements[0]!.sid).toBe('Enable IAM policies');
  });
  it('delegates every kms action to principals of the account', () => {
    const r = grantsActions(text, `arn:aws:iam::${ACCOUNT}:role/app`, [
      ...CLICKHOUSE_REQUIRED_ACTIONS,
      'kms:ScheduleKeyDeletion',
    ]);
    expect(r.missing).toEqual([]);
    expect(
      decide(text, {
        principal: `arn:aws:sts::${ACCOUNT}:assumed-role/app/s1`,
        action: 'kms:Decrypt',
      }),
    ).toBe('allow');
  });
  it('grants nothing to another account', () => {
    const r = grantsActions(text, CLICKHOUSE_ROLE, CLICKHOUSE_REQUIRED_ACTIONS);
    expect(r.granted).toEqual([]);
    expect(r.missing).toEqual([...CLICKHOUSE_REQUIRED_ACTIONS]);
  });
  it('is not public', () => expect(allowsPublicPrincipal(text)).toEqual([]));
});

describe('fixture: ClickHouse legacy CMEK statement', () => {
  const text = fixture('clickhouse-docs-cmek-legacy-statement.json');
  it('grants the ClickHouse role exactly the required actions', () => {
    expect(grantsActions(text, CLICKHOUSE_ROLE, CLICKHOUSE_REQUIRED_ACTIONS)).toEqual({
      granted: [...CLICKHOUSE_REQUIRED_ACTIONS],
      missing: [],
    });
    expect(
      grantsActions(text, CLICKHOUSE_ROLE, ['kms:ScheduleKeyDeletion', 'kms:ReEncryptFrom'])
        .missing,
    ).toHaveLength(2);
  });
  it("covers the role's assumed-role sessions but not other roles of that account", () => {
    const session = 'arn:aws:sts::576599896960:assumed-role/prod-kms-request-role/i-0abc';
    expect(grantsActions(text, session, ['kms:Decrypt']).granted).toEqual(['kms:Decrypt']);
    const other = 'arn:aws:iam::576599896960:role/other-role';
    expect(grantsActions(text, other, ['kms:Decrypt']).missing).toEqual(['kms:Decrypt']);
    expect(grantsActions(text, 'arn:aws:iam::576599896960:root', ['kms:Decrypt']).missing).toEqual([
      'kms:Decrypt',
    ]);
  });
});

describe('fixture: iac-workshop aws/rds-shaped policy (.tpl)', () => {
  const text = fixture('iac-workshop-kms-policy-rds.json.tpl');
  const user = `arn:aws:iam::${ACCOUNT}:user/alice`;
  it('lets account principals use the key through RDS in eu-west-1', () => {
    expect(
      decide(text, {
        principal: user,
        action: 'kms:GenerateDataKeyWithoutPlaintext',
        viaService: 'rds.eu-west-1.amazonaws.com',
      }),
    ).toBe('allow');
  });
  it('blocks a principal of another account even through RDS in eu-west-1', () => {
    expect(
      decide(text, {
        principal: 'arn:aws:iam::999999999999:role/x',
        action: 'kms:Decrypt',
        viaService: 'rds.eu-west-1.amazonaws.com',
      }),
    ).toBe('implicit-deny');
  });
  it('blocks the "*" statement outside eu-west-1 (only root delegation is left)', () => {
    const d = evaluatePolicy(doc(text), {
      principal: 'arn:aws:iam::999999999999:role/x',
      action: 'kms:Decrypt',
      viaService: 'rds.us-east-1.amazonaws.com',
      callerAccount: ACCOUNT,
    });
    expect(d.decision).toBe('implicit-deny');
    const viaRds = evaluatePolicy(doc(text), {
      principal: 'arn:aws:iam::999999999999:role/x',
      action: 'kms:Decrypt',
      viaService: 'rds.eu-west-1.amazonaws.com',
      callerAccount: ACCOUNT,
    });
    expect(viaRds).toMatchObject({ decision: 'allow', statement: { index: 0 } });
  });
  it('grants the backup account use but not administration', () => {
    const backup = `arn:aws:iam::${BACKUP}:role/backup`;
    const r = grantsActions(text, backup, [
      'kms:Encrypt',
      'kms:Decrypt',
      'kms:ReEncryptFrom',
      'kms:GenerateDataKeyPair',
      'kms:CreateGrant',
      'kms:PutKeyPolicy',
      'kms:ScheduleKeyDeletion',
    ]);
    expect(r.missing).toEqual(['kms:PutKeyPolicy', 'kms:ScheduleKeyDeletion']);
  });
  it('is not public: the "*" statement is narrowed by ViaService and CallerAccount', () => {
    expect(allowsPublicPrincipal(text)).toEqual([]);
  });
  it('becomes public when the narrowing condition is removed', () => {
    const p = JSON.parse(text) as { Statement: Array<Record<string, unknown>> };
    delete p.Statement[0]!.Condition;
    expect(allowsPublicPrincipal(p).map((s) => s.index)).toEqual([0]);
  });
});

describe('fixture: tf-aws-infra-fork policy with a Service principal (.tpl)', () => {
  const text = fixture('tf-aws-infra-fork-db-kms-policy.json.tpl');
  it('matches the Service principal only for that service', () => {
    expect(decide(text, { principal: 'rds.amazonaws.com', action: 'kms:Encrypt' })).toBe('allow');
    expect(decide(text, { principal: 'rds.amazonaws.com', action: 'kms:CreateGrant' })).toBe(
      'implicit-deny',
    );
  });
  it('does not count as a grant to a cross-account service role', () => {
    expect(grantsActions(text, CLICKHOUSE_ROLE, CLICKHOUSE_REQUIRED_ACTIONS).granted).toEqual([]);
  });
  it('grants everything through the root statement to account principals', () => {
    expect(
      grantsActions(text, `arn:aws:iam::${ACCOUNT}:role/db`, CLICKHOUSE_REQUIRED_ACTIONS).missing,
    ).toEqual([]);
  });
});

describe('evaluation logic', () => {
  const base = {
    Version: '2012-10-17',
    Statement: [
      {
        Sid: 'root',
        Effect: 'Allow',
        Principal: { AWS: 'arn:aws:iam::000000000000:root' },
        Action: 'kms:*',
        Resource: '*',
      },
    ],
  };
  const withStmt = (...extra: object[]) => ({ ...base, Statement: [...base.Statement, ...extra] });
  const svc = 'arn:aws:iam::576599896960:role/svc';

  it('explicit deny wins over allow', () => {
    const p = withStmt({
      Sid: 'no-delete',
      Effect: 'Deny',
      Principal: '*',
      Action: ['kms:ScheduleKeyDeletion', 'kms:Disable*'],
      Resource: '*',
    });
    const root = 'arn:aws:iam::000000000000:root';
    expect(evaluatePolicy(doc(p), { principal: root, action: 'kms:ScheduleKeyDeletion' })).toEqual({
      decision: 'deny',
      statement: { index: 1, sid: 'no-delete' },
    });
    expect(decide(p, { principal: root, action: 'kms:DisableKey' })).toBe('deny');
    expect(decide(p, { principal: root, action: 'kms:EnableKey' })).toBe('allow');
  });

  it('matches actions case-insensitively with * and ? wildcards', () => {
    const p = withStmt({
      Effect: 'Allow',
      Principal: { AWS: svc },
      Action: ['kms:generatedatakey*', 'kms:?ncrypt'],
      Resource: '*',
    });
    for (const a of [
      'kms:GenerateDataKey',
      'kms:GenerateDataKeyPairWithoutPlaintext',
      'kms:Encrypt',
    ])
      expect(decide(p, { principal: svc, action: a })).toBe('allow');
    for (const a of ['kms:Decrypt', 'kms:ReEncryptFrom', 'kms:Encrypted'])
      expect(decide(p, { principal: svc, action: a })).toBe('implicit-deny');
  });

  it('supports NotAction, NotPrincipal and NotResource', () => {
    const arn = 'arn:aws:kms:us-east-1:000000000000:key/k1';
    const p = withStmt(
      {
        Effect: 'Deny',
        NotPrincipal: { AWS: 'arn:aws:iam::000000000000:root' },
        NotAction: 'kms:Describe*',
        Resource: '*',
      },
      { Effect: 'Allow', Principal: { AWS: svc }, Action: 'kms:*', NotResource: arn },
    );
    expect(decide(p, { principal: svc, action: 'kms:DescribeKey', resource: 'arn:x' })).toBe(
      'allow',
    );
    expect(decide(p, { principal: svc, action: 'kms:Encrypt', resource: 'arn:x' })).toBe('deny');
    expect(decide(p, { principal: svc, action: 'kms:DescribeKey', resource: arn })).toBe(
      'implicit-deny',
    );
  });

  it('evaluates kms:EncryptionContext conditions (StringEquals, StringLike, IfExists)', () => {
    const p = withStmt({
      Effect: 'Allow',
      Principal: { AWS: svc },
      Action: 'kms:Decrypt',
      Resource: '*',
      Condition: {
        StringEquals: { 'kms:EncryptionContext:service': 'svc-1' },
        StringLike: { 'kms:EncryptionContext:object': 'data/*' },
        StringEqualsIfExists: { 'kms:EncryptionContext:tenant': 't1' },
      },
    });
    const r = (ctx: Record<string, string>) =>
      decide(p, { principal: svc, action: 'kms:Decrypt', encryptionContext: ctx });
    expect(r({ service: 'svc-1', object: 'data/a' })).toBe('allow');
    expect(r({ Service: 'svc-1', object: 'data/a' })).toBe('allow'); // key name case-insensitive
    expect(r({ service: 'SVC-1', object: 'data/a' })).toBe('implicit-deny'); // value is not
    expect(r({ service: 'svc-1', object: 'logs/a' })).toBe('implicit-deny');
    expect(r({ service: 'svc-1', object: 'data/a', tenant: 't2' })).toBe('implicit-deny');
    expect(r({ service: 'svc-1', object: 'data/a', tenant: 't1' })).toBe('allow');
    expect(r({ object: 'data/a' })).toBe('implicit-deny');
  });

  it('treats a missing key as satisfying negated operators only', () => {
    const p = withStmt({
      Effect: 'Allow',
      Principal: { AWS: svc },
      Action: 'kms:Encrypt',
      Resource: '*',
      Condition: { StringNotEquals: { 'kms:ViaService': 'ec2.us-east-1.amazonaws.com' } },
    });
    expect(decide(p, { principal: svc, action: 'kms:Encrypt' })).toBe('allow');
    expect(decide(p, { principal: svc, action: 'kms:Encrypt', viaService: 'rds.x' })).toBe('allow');
    expect(
      decide(p, {
        principal: svc,
        action: 'kms:Encrypt',
        viaService: 'ec2.us-east-1.amazonaws.com',
      }),
    ).toBe('implicit-deny');
  });

  it('supports ForAnyValue / ForAllValues over kms:EncryptionContextKeys', () => {
    const mk = (op: string) =>
      withStmt({
        Effect: 'Allow',
        Principal: { AWS: svc },
        Action: 'kms:Encrypt',
        Resource: '*',
        Condition: { [op]: { 'kms:EncryptionContextKeys': ['service', 'object'] } },
      });
    const r = (op: string, ctx: Record<string, string>) =>
      decide(mk(op), { principal: svc, action: 'kms:Encrypt', encryptionContext: ctx });
    expect(r('ForAllValues:StringEquals', { service: 'a' })).toBe('allow');
    expect(r('ForAllValues:StringEquals', { service: 'a', other: 'b' })).toBe('implicit-deny');
    expect(r('ForAllValues:StringEquals', {})).toBe('allow'); // vacuous, as on AWS
    expect(r('ForAnyValue:StringEquals', { other: 'b', object: 'c' })).toBe('allow');
    expect(r('ForAnyValue:StringEquals', { other: 'b' })).toBe('implicit-deny');
    expect(r('ForAnyValue:StringEquals', {})).toBe('implicit-deny');
  });

  it('evaluates kms:CallerAccount, Null, Bool, and fails closed on an unknown operator', () => {
    const p = (cond: object, effect = 'Allow') =>
      withStmt({
        Effect: effect,
        Principal: '*',
        Action: 'kms:Decrypt',
        Resource: '*',
        Condition: cond,
      });
    expect(
      decide(p({ StringEquals: { 'kms:CallerAccount': '576599896960' } }), {
        principal: svc,
        action: 'kms:Decrypt',
      }),
    ).toBe('allow');
    expect(
      decide(p({ StringEquals: { 'kms:CallerAccount': '111111111111' } }), {
        principal: svc,
        action: 'kms:Decrypt',
      }),
    ).toBe('implicit-deny');
    expect(
      decide(p({ Null: { 'kms:ViaService': 'true' } }), { principal: svc, action: 'kms:Decrypt' }),
    ).toBe('allow');
    expect(
      decide(p({ Null: { 'kms:ViaService': 'true' } }), {
        principal: svc,
        action: 'kms:Decrypt',
        viaService: 'x',
      }),
    ).toBe('implicit-deny');
    expect(
      decide(p({ Bool: { 'kms:GrantIsForAWSResource': true } }), {
        principal: svc,
        action: 'kms:Decrypt',
        extra: { 'kms:grantisforawsresource': 'true' },
      }),
    ).toBe('allow');
    expect(
      decide(p({ DateGreaterThan: { 'aws:CurrentTime': '2020-01-01' } }), {
        principal: svc,
        action: 'kms:Decrypt',
      }),
    ).toBe('implicit-deny');
    const root = 'arn:aws:iam::000000000000:root';
    expect(
      decide(p({ DateGreaterThan: { 'aws:CurrentTime': '2020-01-01' } }, 'Deny'), {
        principal: root,
        action: 'kms:Decrypt',
      }),
    ).toBe('deny');
  });

  it('implicitly denies what no statement allows', () => {
    expect(decide(base, { principal: svc, action: 'kms:Decrypt' })).toBe('implicit-deny');
  });
});

describe('parsePolicy', () => {
  it.each<[unknown, RegExp]>([
    ['{', /not valid JSON/],
    ['[]', /JSON object/],
    [{ Statement: [] }, /malformed/],
    [{ Statement: [{ Effect: 'Maybe', Principal: '*', Action: '*', Resource: '*' }] }, /Effect/],
    [{ Statement: [{ Effect: 'Allow', Action: '*', Resource: '*' }] }, /Principal \/ NotPrincipal/],
    [{ Statement: [{ Effect: 'Allow', Principal: '*', Resource: '*' }] }, /Action \/ NotAction/],
    [
      { Statement: [{ Effect: 'Allow', Principal: 'me', Action: '*', Resource: '*' }] },
      /Principal/,
    ],
  ])('rejects %j', (input, re) => {
    const r = parsePolicy(input);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.reason).toMatch(re);
  });
  it('builds the AWS default policy for an account', () => {
    const p = defaultKeyPolicy('000000000000');
    expect(JSON.parse(p).Statement[0].Sid).toBe('Enable IAM User Permissions');
    expect(
      grantsActions(p, 'arn:aws:iam::000000000000:role/cmek-service', ['kms:Encrypt']).missing,
    ).toEqual([]);
  });
  it('grantsActions reports a document that does not parse', () => {
    expect(grantsActions('nope', 'x', ['kms:Encrypt'])).toMatchObject({
      granted: [],
      missing: ['kms:Encrypt'],
      error: expect.stringMatching(/JSON/),
    });
  });
});

describe('properties', () => {
  it('glob without wildcards is equality; "*" matches everything', () => {
    fc.assert(
      fc.property(
        fc.string().filter((s) => !/[*?]/.test(s)),
        fc.string(),
        (p, v) => {
          expect(glob(p, v, false)).toBe(p === v);
          expect(glob('*', v, false)).toBe(true);
          expect(glob(`${p}*`, p + v, false)).toBe(true);
        },
      ),
    );
  });
  it('adding a matching Deny statement always turns allow into deny', () => {
    const actions = fc.constantFrom(
      'kms:Encrypt',
      'kms:Decrypt',
      'kms:DescribeKey',
      'kms:CreateGrant',
    );
    fc.assert(
      fc.property(actions, fc.constantFrom('000000000000', '576599896960'), (action, acct) => {
        const principal = `arn:aws:iam::${acct}:role/r`;
        const allow = {
          Effect: 'Allow',
          Principal: { AWS: principal },
          Action: 'kms:*',
          Resource: '*',
        };
        const deny = {
          Effect: 'Deny',
          Principal: { AWS: `arn:aws:iam::${acct}:root` },
          Action: action,
          Resource: '*',
        };
        expect(decide({ Statement: [allow] }, { principal, action })).toBe('allow');
        expect(decide({ Statement: [allow, deny] }, { principal, action })).toBe('deny');
        expect(decide({ Statement: [deny, allow] }, { principal, action })).toBe('deny');
      }),
    );
  });
});
