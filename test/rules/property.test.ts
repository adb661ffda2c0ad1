import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DIAGNOSTIC_CODES } from '../../src/model/diagnostics.js';
import { Unknown, type Value } from '../../src/model/values.js';
import {
  buildContext,
  checkRules,
  cmekRuleInput,
  compareDiagnostics,
  type CmekResourceChange,
  type KeyView,
  type RuleInput,
} from '../../src/rules/index.js';
import { ARN, ROLES, SP, policyGranting } from './helpers.js';

const ADDRS = ['svc.a', 'svc.b', 'rep.c', 'cl.d', 'bk.e', 'rs.f'];
const KEY_ADDRS = ['cmek_kms_key.k1', 'cmek_kms_key.k2'];
const REGIONS = ['us-east-1', 'eu-west-1', 'us-central1'];

const opt = <T>(a: fc.Arbitrary<T>) => fc.option(a, { nil: undefined });

const keyView: fc.Arbitrary<KeyView> = fc.record(
  {
    ref: fc.constantFrom<string>(
      ...Object.values(ARN),
      'alias/x',
      'not a key',
      '',
      '1234abcd-12ab-34cd-56ef-1234567890ab',
    ),
    address: fc.constantFrom(...KEY_ADDRS),
    region: fc.constantFrom(...REGIONS),
    provider: fc.constantFrom('aws' as const, 'gcp' as const),
  },
  { requiredKeys: [] },
);
const maybeKey = fc.oneof(keyView, fc.constant(null), fc.constant(undefined));
const action = fc.constantFrom(
  'create' as const,
  'update' as const,
  'replace' as const,
  'delete' as const,
  'noop' as const,
);
const policies = [
  policyGranting(SP, ['kms:Encrypt', 'kms:Decrypt']),
  { Statement: { Effect: 'Allow', Principal: '*', Action: '*', Resource: '*' } },
  '{"broken',
  42,
  null,
];

const ruleInput: fc.Arbitrary<RuleInput> = fc.record({
  nodes: fc.uniqueArray(
    fc.record({
      address: fc.constantFrom(...ADDRS),
      resourceType: fc.constant('cmek_x'),
      kind: fc.constantFrom(
        'service' as const,
        'replica' as const,
        'clone' as const,
        'backup' as const,
        'restore' as const,
      ),
      action,
      profile: fc.constantFrom('clickhouse' as const, 'cloudsql' as const),
      region: opt(fc.constantFrom(...REGIONS)),
      key: maybeKey,
      priorKey: maybeKey,
      parent: opt(fc.constantFrom(...ADDRS, 'nowhere')),
      keyWritten: opt(fc.boolean()),
    }),
    { selector: (n) => n.address, maxLength: 6 },
  ),
  keys: fc.uniqueArray(
    fc.record({
      address: fc.constantFrom(...KEY_ADDRS),
      resourceType: fc.constant('cmek_kms_key'),
      action,
      key: keyView,
    }),
    { selector: (k) => k.address, maxLength: 2 },
  ),
  policies: fc.array(
    fc.record({
      address: fc.constantFrom('pol.p', 'pol.q'),
      resourceType: fc.constant('cmek_kms_key_policy'),
      keyAddress: opt(fc.constantFrom(...KEY_ADDRS)),
      keyRef: opt(fc.constantFrom(ARN.use1a, 'bad ref')),
      servicePrincipal: opt(fc.constant(SP)),
      policy: opt(fc.constantFrom<unknown>(...policies)),
    }),
    { maxLength: 2 },
  ),
  external: opt(fc.array(fc.record({ description: fc.string(), key: keyView }), { maxLength: 2 })),
});

const codes = new Set<string>(DIAGNOSTIC_CODES);

describe('checkRules properties', () => {
  it('never throws, returns well-formed sorted diagnostics, and is deterministic', () => {
    fc.assert(
      fc.property(ruleInput, (input) => {
        const a = checkRules(input);
        const b = checkRules(structuredClone(input));
        expect(b).toEqual(a);
        for (const d of a) {
          expect(codes.has(d.code)).toBe(true);
          expect(d.summary.length).toBeGreaterThan(0);
          expect(d.summary).not.toContain('\n');
          expect(d.detail.length).toBeGreaterThan(0);
          expect(d.address).toBeTruthy();
        }
        expect([...a].sort(compareDiagnostics)).toEqual(a);
      }),
      { numRuns: 300 },
    );
  });

  it('the key index finds exactly the nodes a pairwise comparison finds', () => {
    fc.assert(
      fc.property(ruleInput, keyView, (input, k) => {
        const ctx = buildContext(input);
        for (const when of ['after', 'before'] as const) {
          const brute = input.nodes.filter((n) => {
            if (n.action === 'delete') return false;
            const used = when === 'after' ? ctx.keyAfter(n) : ctx.keyBefore(n);
            return !!used && ctx.sameKey(k, used) === 'same';
          });
          expect(ctx.nodesUsing(k, when)).toEqual(brute);
        }
      }),
      { numRuns: 300 },
    );
  });

  it('does not depend on the order of nodes, keys and policies', () => {
    fc.assert(
      fc.property(ruleInput, (input) => {
        const reversed: RuleInput = {
          ...input,
          nodes: [...input.nodes].reverse(),
          keys: [...input.keys].reverse(),
          policies: [...input.policies].reverse(),
        };
        expect(checkRules(reversed)).toEqual(checkRules(input));
      }),
      { numRuns: 200 },
    );
  });

  it('the adapter never throws on arbitrary attribute values', () => {
    const value: fc.Arbitrary<Value> = fc.oneof(
      fc.jsonValue() as fc.Arbitrary<Value>,
      fc.constant(new Unknown()),
      fc.constant(
        new Unknown({ address: 'cmek_kms_key.k1', region: 'us-east-1', provider: 'aws' }),
      ),
      fc.constantFrom<Value>(...Object.values(ARN), 'svc-1'),
    );
    const attrs = fc.dictionary(
      fc.constantFrom(
        'kms_key',
        'region',
        'profile',
        'id',
        'arn',
        'key_ring',
        'primary_id',
        'source_id',
        'service_id',
        'backup_id',
        'key_id',
        'policy',
        'service_principal',
        'effective_kms_key',
        'encrypted',
      ),
      value,
    );
    const change: fc.Arbitrary<CmekResourceChange> = fc.record({
      address: fc.constantFrom(
        'cmek_encrypted_service.a',
        'cmek_replica.b',
        'cmek_kms_key.k1',
        'cmek_kms_key_policy.p',
        'cmek_backup.e',
        'cmek_backup_restore.f',
        'cmek_clone.g',
      ),
      type: fc.constantFrom(
        'cmek_encrypted_service',
        'cmek_replica',
        'cmek_clone',
        'cmek_backup',
        'cmek_backup_restore',
        'cmek_kms_key',
        'cmek_kms_key_policy',
        'other',
      ),
      action,
      before: fc.option(attrs, { nil: undefined }),
      after: fc.option(attrs, { nil: undefined }),
      refs: opt(
        fc.dictionary(
          fc.constantFrom('primary_id', 'source_id', 'service_id', 'backup_id', 'key_id'),
          fc.constantFrom('cmek_encrypted_service.a.id', 'cmek_kms_key.k1.arn', 'x'),
        ),
      ),
    });
    fc.assert(
      fc.property(fc.array(change, { maxLength: 6 }), (changes) => {
        const input = cmekRuleInput(changes, { servicePrincipal: SP, roles: ROLES });
        const a = checkRules(input);
        expect(checkRules(cmekRuleInput(changes, { servicePrincipal: SP, roles: ROLES }))).toEqual(
          a,
        );
      }),
      { numRuns: 300 },
    );
  });
});
