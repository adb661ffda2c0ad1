import { describe, expect, it } from 'vitest';
import { Unknown } from '../../src/model/values.js';
import { checkRules, cmekRuleInput } from '../../src/rules/index.js';
import {
  ARN,
  ROLES,
  SP,
  backup,
  keyPolicy,
  kmsKey,
  newKeyRef,
  replica,
  restore,
  service,
} from './helpers.js';

const opts = { servicePrincipal: SP, roles: ROLES };

describe('cmekRuleInput', () => {
  it('turns an unknown ARN with facts into a KeyView with address, region and provider', () => {
    const input = cmekRuleInput(
      [
        kmsKey('g', { region: 'us-central1', key_ring: 'ring' }),
        service('db', { region: 'us-central1', kms_key: newKeyRef('g', 'us-central1', 'gcp') }),
      ],
      opts,
    );
    expect(input.keys).toEqual([
      expect.objectContaining({
        address: 'cmek_kms_key.g',
        action: 'create',
        key: { address: 'cmek_kms_key.g', region: 'us-central1', provider: 'gcp' },
      }),
    ]);
    expect(input.nodes[0]).toMatchObject({
      kind: 'service',
      profile: 'clickhouse',
      region: 'us-central1',
      keyWritten: true,
      key: { address: 'cmek_kms_key.g', region: 'us-central1', provider: 'gcp' },
    });
  });

  it('fills the region and address of an unknown with only an address from the key resource', () => {
    const input = cmekRuleInput(
      [
        kmsKey('k', { region: 'eu-west-1' }),
        service('db', { region: 'us-east-1', kms_key: new Unknown({ address: 'cmek_kms_key.k' }) }),
      ],
      opts,
    );
    expect(input.nodes[0]!.key).toEqual({
      address: 'cmek_kms_key.k',
      region: 'eu-west-1',
      provider: 'aws',
    });
  });

  it('links a string kms_key to the key resource of the plan that has that ARN', () => {
    const state = { region: 'us-east-1', arn: ARN.use1a, id: 'k-1' };
    const input = cmekRuleInput(
      [
        kmsKey('k', state, { action: 'noop', before: state }),
        service('db', { region: 'us-east-1', kms_key: ARN.use1a }),
      ],
      opts,
    );
    expect(input.nodes[0]!.key).toEqual({
      ref: ARN.use1a,
      address: 'cmek_kms_key.k',
      region: 'us-east-1',
      provider: 'aws',
    });
  });

  it('links parents through refs, and replicas/backups/restores take the service profile', () => {
    const input = cmekRuleInput(
      [
        service('db', { region: 'us-central1', profile: 'cloudsql', kms_key: ARN.gcpUsc1 }),
        replica('r', 'db', { region: 'us-central1' }),
        backup('b', 'db'),
        restore('x', 'b', {}),
      ],
      opts,
    );
    const by = Object.fromEntries(input.nodes.map((n) => [n.address, n]));
    expect(by['cmek_replica.r']).toMatchObject({
      parent: 'cmek_encrypted_service.db',
      profile: 'cloudsql',
      keyWritten: false,
      key: null,
    });
    expect(by['cmek_backup.b']).toMatchObject({
      parent: 'cmek_encrypted_service.db',
      profile: 'cloudsql',
      keyWritten: false,
    });
    expect(by['cmek_backup_restore.x']).toMatchObject({
      parent: 'cmek_backup.b',
      profile: 'cloudsql',
    });
  });

  it('uses effective_kms_key from state as the prior key of a replica that writes none', () => {
    const input = cmekRuleInput(
      [
        replica(
          'r',
          'db',
          { region: 'us-east-1' },
          {
            action: 'noop',
            before: { region: 'us-east-1', kms_key: null, effective_kms_key: ARN.use1a },
          },
        ),
      ],
      opts,
    );
    expect(input.nodes[0]!.priorKey).toMatchObject({ ref: ARN.use1a });
  });

  it('judges a destroyed resource by its prior attributes', () => {
    const before = { name: 'db', region: 'us-east-1', kms_key: ARN.use1a, id: 's-1' };
    const input = cmekRuleInput(
      [service('db', { region: 'x' }, { action: 'delete', before })],
      opts,
    );
    expect(input.nodes[0]).toMatchObject({
      action: 'delete',
      region: 'us-east-1',
      key: { ref: ARN.use1a },
    });
  });

  it('builds policy nodes: key by ref, default principal, unknown parts dropped', () => {
    const input = cmekRuleInput(
      [
        kmsKey('k', { region: 'us-east-1' }),
        keyPolicy('p', 'k', { policy: '{"Statement":[]}' }),
        keyPolicy('q', 'k', {
          policy: { Statement: [{ Principal: new Unknown() }] },
          service_principal: 'arn:aws:iam::1:role/x',
        }),
      ],
      opts,
    );
    expect(input.policies[0]).toMatchObject({
      keyAddress: 'cmek_kms_key.k',
      servicePrincipal: SP,
      policy: '{"Statement":[]}',
    });
    expect(input.policies[1]).toMatchObject({ servicePrincipal: 'arn:aws:iam::1:role/x' });
    expect(input.policies[1]!.policy).toBeUndefined();
  });

  it('links a kms_key read from a key resource (refs) to that resource', () => {
    const k = kmsKey(
      'k',
      { region: 'eu-west-1', arn: ARN.euw1 },
      { action: 'noop', before: { region: 'eu-west-1' } },
    );
    const svc = service(
      'db',
      { region: 'us-east-1', kms_key: 'alias/prod' },
      { refs: { kms_key: 'cmek_kms_key.k.alias' } },
    );
    const input = cmekRuleInput([k, svc], {
      servicePrincipal: 'arn:aws:iam::111122223333:role/svc',
      roles: ROLES,
    });
    expect(input.nodes[0]!.key).toEqual({
      ref: 'alias/prod',
      address: 'cmek_kms_key.k',
      region: 'eu-west-1',
      provider: 'aws',
    });
    expect(checkRules(input).map((d) => d.code)).toEqual(['CMEK_REGION_MISMATCH']);
  });

  it('ignores resource types it does not know', () => {
    const input = cmekRuleInput(
      [{ address: 'aws_s3_bucket.b', type: 'aws_s3_bucket', action: 'create', after: {} }],
      opts,
    );
    expect(input).toEqual({ nodes: [], keys: [], policies: [] });
  });
});
