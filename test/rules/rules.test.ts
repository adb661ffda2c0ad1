import { describe, expect, it } from 'vitest';
import { Unknown } from '../../src/model/values.js';
import { REQUIRED_ACTIONS } from '../../src/rules/index.js';
import {
  ARN,
  LOCAL_SP,
  SP,
  backup,
  check,
  clone,
  codes,
  keyPolicy,
  kmsKey,
  newKeyRef,
  policyGranting,
  replica,
  restore,
  service,
} from './helpers.js';

describe('CMEK_REGION_MISMATCH', () => {
  it('passes when the service and its new key share a region', () => {
    expect(
      check([
        kmsKey('k', { region: 'us-east-1' }),
        service('db', { region: 'us-east-1', kms_key: newKeyRef('k', 'us-east-1') }),
      ]),
    ).toEqual([]);
  });

  it('fails for a key created in the same plan in another region (unknown ARN with facts)', () => {
    const d = check([
      kmsKey('k', { region: 'eu-west-1' }),
      service('db', { region: 'us-east-1', kms_key: newKeyRef('k', 'eu-west-1') }),
    ]);
    expect(codes(d)).toEqual(['cmek_encrypted_service.db CMEK_REGION_MISMATCH']);
    expect(d[0]!.attribute).toBe('kms_key');
    expect(d[0]!.summary).toContain('us-east-1');
    expect(d[0]!.summary).toContain('eu-west-1');
    expect(d[0]!.summary).toContain('cmek_kms_key.k');
    expect(d[0]!).toMatchObject({ file: 'main.tf', line: 4 });
    expect(d[0]!.detail).toMatch(/Remedy/);
  });

  it('fails for an existing key given by ARN, for both profiles', () => {
    for (const profile of ['clickhouse', 'cloudsql']) {
      const d = check([service('db', { region: 'us-east-1', kms_key: ARN.euw1, profile })]);
      expect(codes(d)).toEqual(['cmek_encrypted_service.db CMEK_REGION_MISMATCH']);
      expect(d[0]!.summary).toContain(ARN.euw1);
    }
  });

  it('fails for a GCP key in another location (cloudsql)', () => {
    const d = check([
      service('db', { region: 'us-central1', kms_key: ARN.gcpEuw4, profile: 'cloudsql' }),
    ]);
    expect(codes(d)).toEqual(['cmek_encrypted_service.db CMEK_REGION_MISMATCH']);
    expect(
      check([service('db', { region: 'us-central1', kms_key: ARN.gcpUsc1, profile: 'cloudsql' })]),
    ).toEqual([]);
  });

  it('fails for a cross-region replica naming a key of the primary region', () => {
    const d = check([
      service('db', { region: 'us-east-1', kms_key: ARN.use1a }),
      replica('eu', 'db', { region: 'eu-west-1', kms_key: ARN.use1a }),
    ]);
    expect(codes(d)).toEqual(['cmek_replica.eu CMEK_REGION_MISMATCH']);
  });

  it('does not fire for a same-region replica that inherits', () => {
    expect(
      check([
        service('db', { region: 'us-east-1', kms_key: ARN.use1a }),
        replica('r', 'db', { region: 'us-east-1' }),
      ]),
    ).toEqual([]);
  });

  it('fires on the region of a clickhouse restore that inherits its backup key into another region', () => {
    const d = check([
      service('db', { region: 'us-east-1', kms_key: ARN.use1a }),
      backup('b', 'db'),
      restore('r', 'b', { region: 'eu-west-1' }),
    ]);
    expect(codes(d)).toEqual(['cmek_backup_restore.r CMEK_REGION_MISMATCH']);
    expect(d[0]!.attribute).toBe('region');
    expect(d[0]!.line).toBe(3);
    expect(d[0]!.detail).toContain('restore into us-east-1');
  });

  it('cloudsql restore into another region: name a key there', () => {
    const changes = [
      service('db', { region: 'us-central1', kms_key: ARN.gcpUsc1, profile: 'cloudsql' }),
      backup('b', 'db'),
    ];
    const d = check([...changes, restore('r', 'b', { region: 'europe-west4' })]);
    expect(codes(d)).toEqual(['cmek_backup_restore.r CMEK_REGION_MISMATCH']);
    expect(d[0]!.detail).toContain('set kms_key to a key in europe-west4');
    expect(
      check([...changes, restore('r', 'b', { region: 'europe-west4', kms_key: ARN.gcpEuw4 })]),
    ).toEqual([]);
  });

  it('a restore without region inherits the region, so it passes', () => {
    expect(
      check([
        service('db', { region: 'us-east-1', kms_key: ARN.use1a }),
        backup('b', 'db'),
        restore('r', 'b', {}),
      ]),
    ).toEqual([]);
  });

  it('stays silent when the key region is not known', () => {
    expect(check([service('db', { region: 'us-east-1', kms_key: new Unknown() })])).toEqual([]);
    // A bare key id carries no region.
    expect(
      check([
        service('db', { region: 'us-east-1', kms_key: '1234abcd-12ab-34cd-56ef-1234567890ab' }),
      ]),
    ).toEqual([]);
  });

  it('fires when an existing replica is updated to a key of another region', () => {
    const d = check([
      service(
        'db',
        { region: 'us-east-1', kms_key: ARN.use1a },
        { action: 'noop', before: { region: 'us-east-1', kms_key: ARN.use1a, id: 's-1' } },
      ),
      replica(
        'eu',
        'db',
        { region: 'eu-west-1', kms_key: ARN.use1b },
        { before: { region: 'eu-west-1', kms_key: ARN.euw1, id: 'r-1' } },
      ),
    ]);
    expect(codes(d)).toEqual(['cmek_replica.eu CMEK_REGION_MISMATCH']);
    expect(d[0]!.summary).toContain(ARN.use1b);
  });

  it('uses resolveKey for references that carry no region', () => {
    const d = check([service('db', { region: 'us-east-1', kms_key: 'alias/prod' })], {
      resolveKey: (r) => (r === 'alias/prod' ? { region: 'eu-west-1' } : undefined),
    });
    expect(codes(d)).toEqual(['cmek_encrypted_service.db CMEK_REGION_MISMATCH']);
  });
});

describe('CMEK_NO_RETROFIT', () => {
  const before = { name: 'db', region: 'us-east-1', id: 'svc-1', kms_key: null };
  it('fails when an update adds a key to an existing unencrypted service (both profiles)', () => {
    for (const profile of ['clickhouse', 'cloudsql']) {
      const d = check([
        service(
          'db',
          { region: 'us-east-1', kms_key: ARN.use1a, profile },
          { before: { ...before, profile } },
        ),
      ]);
      expect(codes(d)).toEqual(['cmek_encrypted_service.db CMEK_NO_RETROFIT']);
      expect(d[0]!.detail).toMatch(/backup/);
      expect(d[0]!.detail).toMatch(/restore/);
      expect(d[0]!.summary).toContain(ARN.use1a);
    }
  });

  it('fails when the added key is created in the same plan', () => {
    const d = check([
      kmsKey('k', { region: 'us-east-1' }),
      service('db', { region: 'us-east-1', kms_key: newKeyRef('k', 'us-east-1') }, { before }),
    ]);
    expect(codes(d)).toEqual(['cmek_encrypted_service.db CMEK_NO_RETROFIT']);
  });

  it('passes for a new service created with a key, and for an unchanged unencrypted one', () => {
    expect(check([service('db', { region: 'us-east-1', kms_key: ARN.use1a })])).toEqual([]);
    expect(check([service('db', { region: 'us-east-1' }, { before, action: 'noop' })])).toEqual([]);
  });

  it('passes for a restore of an unencrypted backup that names a key (the supported path)', () => {
    expect(
      check([
        service('db', { region: 'us-east-1' }, { before, action: 'noop' }),
        backup('b', 'db'),
        restore('enc', 'b', { kms_key: ARN.use1a }),
      ]),
    ).toEqual([]);
  });
});

describe('CMEK_KEY_REMOVAL', () => {
  const before = { name: 'db', region: 'us-east-1', id: 'svc-1', kms_key: ARN.use1a };
  it('fails when an update removes the key (both profiles)', () => {
    for (const profile of ['clickhouse', 'cloudsql']) {
      const d = check([
        service('db', { region: 'us-east-1', profile }, { before: { ...before, profile } }),
      ]);
      expect(codes(d)).toEqual(['cmek_encrypted_service.db CMEK_KEY_REMOVAL']);
      expect(d[0]!.summary).toContain(ARN.use1a);
      expect(d[0]!.attribute).toBe('kms_key');
      // A backup of an encrypted service keeps its key: the remedy copies the objects instead.
      expect(d[0]!.detail).toContain('cmek data get');
      expect(d[0]!.detail).not.toMatch(/restore the backup/);
    }
  });

  it('fails when a replacement would drop the key too', () => {
    const d = check([service('db', { region: 'us-east-1' }, { before, action: 'replace' })]);
    expect(codes(d)).toEqual(['cmek_encrypted_service.db CMEK_KEY_REMOVAL']);
  });

  it('passes when the key stays', () => {
    expect(
      check([
        service('db', { region: 'us-east-1', kms_key: ARN.use1a }, { before, action: 'noop' }),
      ]),
    ).toEqual([]);
  });

  it('does not fire when the service itself is destroyed', () => {
    expect(check([service('db', { region: 'us-east-1' }, { before, action: 'delete' })])).toEqual(
      [],
    );
  });
});

describe('CMEK_KEY_IMMUTABLE', () => {
  const before = {
    name: 'db',
    region: 'us-central1',
    profile: 'cloudsql',
    id: 'svc-1',
    kms_key: ARN.gcpUsc1,
  };
  it('cloudsql: fails when the key of a live service changes', () => {
    const d = check([
      service(
        'db',
        { region: 'us-central1', profile: 'cloudsql', kms_key: ARN.gcpUsc1b },
        { before },
      ),
    ]);
    expect(codes(d)).toEqual(['cmek_encrypted_service.db CMEK_KEY_IMMUTABLE']);
    expect(d[0]!.summary).toContain(ARN.gcpUsc1);
    expect(d[0]!.summary).toContain(ARN.gcpUsc1b);
    expect(d[0]!.detail).toContain('reencrypt');
    expect(d[0]!.detail).toContain('key version');
  });

  it('cloudsql: fails when the new key is created in the same plan', () => {
    const d = check([
      kmsKey('k2', { region: 'us-central1', key_ring: 'r' }),
      service(
        'db',
        {
          region: 'us-central1',
          profile: 'cloudsql',
          kms_key: newKeyRef('k2', 'us-central1', 'gcp'),
        },
        { before },
      ),
    ]);
    expect(codes(d)).toEqual(['cmek_encrypted_service.db CMEK_KEY_IMMUTABLE']);
  });

  it('cloudsql: a new version of the same key is not a key change', () => {
    expect(
      check([
        service(
          'db',
          {
            region: 'us-central1',
            profile: 'cloudsql',
            kms_key: `${ARN.gcpUsc1}/cryptoKeyVersions/2`,
          },
          { before },
        ),
      ]),
    ).toEqual([]);
  });

  it('clickhouse: the same change is an allowed rotation', () => {
    const b = { ...before, profile: 'clickhouse', region: 'us-east-1', kms_key: ARN.use1a };
    expect(
      check([service('db', { region: 'us-east-1', kms_key: ARN.use1b }, { before: b })]),
    ).toEqual([]);
  });

  it('does not guess when the new key is unknown and has no address', () => {
    expect(
      check([
        service(
          'db',
          { region: 'us-central1', profile: 'cloudsql', kms_key: new Unknown() },
          { before },
        ),
      ]),
    ).toEqual([]);
  });
});

describe('CMEK_ROTATION_CROSS_PROVIDER', () => {
  const before = { name: 'db', region: 'us-east-1', id: 'svc-1', kms_key: ARN.use1a };
  it('clickhouse: fails when rotating from an AWS key to a GCP key', () => {
    // A GCP location is never spelled like an AWS region, so the region rule fires as well.
    const d = check([service('db', { region: 'us-east-1', kms_key: ARN.gcpUse1 }, { before })]);
    expect(codes(d)).toEqual([
      'cmek_encrypted_service.db CMEK_REGION_MISMATCH',
      'cmek_encrypted_service.db CMEK_ROTATION_CROSS_PROVIDER',
    ]);
    const cross = d.find((x) => x.code === 'CMEK_ROTATION_CROSS_PROVIDER')!;
    expect(cross.summary).toContain('AWS KMS');
    expect(cross.summary).toContain('GCP Cloud KMS');
  });

  it('clickhouse: the AWS-to-GCP check itself, without the region', () => {
    const d = check([service('db', { region: 'us-east1', kms_key: ARN.gcpUse1 }, { before })]);
    expect(codes(d)).toEqual(['cmek_encrypted_service.db CMEK_ROTATION_CROSS_PROVIDER']);
    expect(d[0]!.summary).toContain('AWS KMS');
    expect(d[0]!.summary).toContain('GCP Cloud KMS');
  });

  it('clickhouse: fails for a GCP-style key created in the same plan', () => {
    const d = check([
      kmsKey('g', { region: 'us-east-1', key_ring: 'ring' }),
      service(
        'db',
        { region: 'us-east-1', kms_key: newKeyRef('g', 'us-east-1', 'gcp') },
        { before },
      ),
    ]);
    expect(codes(d)).toEqual(['cmek_encrypted_service.db CMEK_ROTATION_CROSS_PROVIDER']);
  });

  it('clickhouse: passes for a rotation within AWS', () => {
    expect(check([service('db', { region: 'us-east-1', kms_key: ARN.use1b }, { before })])).toEqual(
      [],
    );
  });

  it('cloudsql reports the change as CMEK_KEY_IMMUTABLE instead', () => {
    const d = check([
      service(
        'db',
        { region: 'us-east1', profile: 'cloudsql', kms_key: ARN.gcpUse1 },
        { before: { ...before, region: 'us-east1', profile: 'cloudsql' } },
      ),
    ]);
    expect(codes(d)).toEqual(['cmek_encrypted_service.db CMEK_KEY_IMMUTABLE']);
  });
});

describe('CMEK_REPLICA_KEY_INHERITED', () => {
  it('fails when a same-region replica names another key (both profiles)', () => {
    for (const [profile, a, b, region] of [
      ['clickhouse', ARN.use1a, ARN.use1b, 'us-east-1'],
      ['cloudsql', ARN.gcpUsc1, ARN.gcpUsc1b, 'us-central1'],
    ] as const) {
      const d = check([
        service('db', { region, kms_key: a, profile }),
        replica('r', 'db', { region, kms_key: b }),
      ]);
      expect(codes(d)).toEqual(['cmek_replica.r CMEK_REPLICA_KEY_INHERITED']);
      expect(d[0]!.summary).toContain(a);
      expect(d[0]!.summary).toContain(b);
    }
  });

  it('fails with two different keys both created in the same plan', () => {
    const d = check([
      kmsKey('a', { region: 'us-east-1' }),
      kmsKey('b', { region: 'us-east-1' }),
      service('db', { region: 'us-east-1', kms_key: newKeyRef('a', 'us-east-1') }),
      replica('r', 'db', { region: 'us-east-1', kms_key: newKeyRef('b', 'us-east-1') }),
    ]);
    expect(codes(d)).toEqual(['cmek_replica.r CMEK_REPLICA_KEY_INHERITED']);
  });

  it('passes when the replica repeats the primary key (by address or by ARN)', () => {
    expect(
      check([
        kmsKey('a', { region: 'us-east-1' }),
        service('db', { region: 'us-east-1', kms_key: newKeyRef('a', 'us-east-1') }),
        replica('r', 'db', { region: 'us-east-1', kms_key: newKeyRef('a', 'us-east-1') }),
      ]),
    ).toEqual([]);
    expect(
      check([
        service('db', { region: 'us-east-1', kms_key: ARN.use1a }),
        replica('r', 'db', {
          region: 'us-east-1',
          kms_key: '1234abcd-12ab-34cd-56ef-1234567890ab',
        }),
      ]),
    ).toEqual([]);
  });

  it('does not guess between two unknown keys without addresses', () => {
    expect(
      check([
        service('db', { region: 'us-east-1', kms_key: new Unknown() }),
        replica('r', 'db', { region: 'us-east-1', kms_key: new Unknown() }),
      ]),
    ).toEqual([]);
  });

  it('links an existing primary by id when no reference is given', () => {
    const d = check(
      [
        service(
          'db',
          { region: 'us-east-1', kms_key: ARN.use1a, id: 'svc-1' },
          {
            action: 'noop',
            before: { name: 'db', region: 'us-east-1', kms_key: ARN.use1a, id: 'svc-1' },
          },
        ),
        replica('r', 'db', { region: 'us-east-1', kms_key: ARN.use1b }, { refs: {} }),
      ].map((c) =>
        c.type === 'cmek_replica' ? { ...c, after: { ...c.after, primary_id: 'svc-1' } } : c,
      ),
    );
    expect(codes(d)).toEqual(['cmek_replica.r CMEK_REPLICA_KEY_INHERITED']);
  });
});

describe('CMEK_REPLICA_KEY_REQUIRED', () => {
  it('fails for a cross-region replica of an encrypted primary without a key (both profiles)', () => {
    for (const [profile, key, r1, r2] of [
      ['clickhouse', ARN.use1a, 'us-east-1', 'eu-west-1'],
      ['cloudsql', ARN.gcpUsc1, 'us-central1', 'europe-west4'],
    ] as const) {
      const d = check([
        service('db', { region: r1, kms_key: key, profile }),
        replica('eu', 'db', { region: r2 }),
      ]);
      expect(codes(d)).toEqual(['cmek_replica.eu CMEK_REPLICA_KEY_REQUIRED']);
      expect(d[0]!.summary).toContain(r1);
      expect(d[0]!.summary).toContain(r2);
      expect(d[0]!.detail).toContain(`region = "${r2}"`);
    }
  });

  it('fails when the primary key is created in the same plan', () => {
    const d = check([
      kmsKey('k', { region: 'us-east-1' }),
      service('db', { region: 'us-east-1', kms_key: newKeyRef('k', 'us-east-1') }),
      replica('eu', 'db', { region: 'eu-west-1' }),
    ]);
    expect(codes(d)).toEqual(['cmek_replica.eu CMEK_REPLICA_KEY_REQUIRED']);
  });

  it('passes with a key in the replica region, and for an unencrypted primary', () => {
    expect(
      check([
        service('db', { region: 'us-east-1', kms_key: ARN.use1a }),
        replica('eu', 'db', { region: 'eu-west-1', kms_key: ARN.euw1 }),
      ]),
    ).toEqual([]);
    expect(
      check([service('db', { region: 'us-east-1' }), replica('eu', 'db', { region: 'eu-west-1' })]),
    ).toEqual([]);
  });

  it('fires for an existing replica whose key the plan removes', () => {
    const d = check([
      service(
        'db',
        { region: 'us-east-1', kms_key: ARN.use1a },
        { action: 'noop', before: { region: 'us-east-1', kms_key: ARN.use1a } },
      ),
      replica(
        'eu',
        'db',
        { region: 'eu-west-1' },
        { before: { region: 'eu-west-1', kms_key: ARN.euw1 } },
      ),
    ]);
    expect(codes(d)).toEqual(['cmek_replica.eu CMEK_REPLICA_KEY_REQUIRED']);
  });
});

describe('CMEK_REPLICA_UNENCRYPTED_PRIMARY', () => {
  it('fails when a replica of an unencrypted primary names a key (both profiles)', () => {
    for (const profile of ['clickhouse', 'cloudsql']) {
      const d = check([
        service('db', { region: 'us-east-1', profile }),
        replica('r', 'db', { region: 'us-east-1', kms_key: ARN.use1a }),
      ]);
      expect(codes(d)).toEqual(['cmek_replica.r CMEK_REPLICA_UNENCRYPTED_PRIMARY']);
    }
  });

  it('fails with a key created in the same plan', () => {
    const d = check([
      kmsKey('k', { region: 'eu-west-1' }),
      service('db', { region: 'us-east-1' }),
      replica('r', 'db', { region: 'eu-west-1', kms_key: newKeyRef('k', 'eu-west-1') }),
    ]);
    expect(codes(d)).toEqual(['cmek_replica.r CMEK_REPLICA_UNENCRYPTED_PRIMARY']);
  });

  it('fails for a new replica of an existing unencrypted primary (state)', () => {
    const d = check([
      service(
        'db',
        { region: 'us-east-1', id: 's-1' },
        { action: 'noop', before: { region: 'us-east-1', id: 's-1' } },
      ),
      replica('r', 'db', { region: 'us-east-1', kms_key: ARN.use1a }),
    ]);
    expect(codes(d)).toEqual(['cmek_replica.r CMEK_REPLICA_UNENCRYPTED_PRIMARY']);
  });

  it('passes for a replica without key, and when the primary key is unknown', () => {
    expect(
      check([service('db', { region: 'us-east-1' }), replica('r', 'db', { region: 'us-east-1' })]),
    ).toEqual([]);
    expect(
      check([
        service('db', { region: 'us-east-1', kms_key: new Unknown() }),
        replica('r', 'db', { region: 'eu-west-1', kms_key: ARN.euw1 }),
      ]),
    ).toEqual([]);
  });
});

describe('CMEK_CLONE_KEY_INHERITED', () => {
  it('fails when a clone names another key', () => {
    const d = check([
      service('db', { region: 'us-east-1', kms_key: ARN.use1a }),
      clone('c', 'db', { kms_key: ARN.use1b }),
    ]);
    expect(codes(d)).toEqual(['cmek_clone.c CMEK_CLONE_KEY_INHERITED']);
    expect(d[0]!.attribute).toBe('kms_key');
  });

  it('fails when an encrypted source is cloned into another region', () => {
    const d = check([
      kmsKey('k', { region: 'us-central1', key_ring: 'r' }),
      service('db', {
        region: 'us-central1',
        kms_key: newKeyRef('k', 'us-central1', 'gcp'),
        profile: 'cloudsql',
      }),
      clone('c', 'db', { region: 'europe-west4' }),
    ]);
    expect(codes(d)).toEqual(['cmek_clone.c CMEK_CLONE_KEY_INHERITED']);
    expect(d[0]!.attribute).toBe('region');
    expect(d[0]!.summary).toContain('europe-west4');
  });

  it('fails when the clone of an unencrypted source names a key', () => {
    const d = check([
      service('db', { region: 'us-east-1' }),
      clone('c', 'db', { kms_key: ARN.use1a }),
    ]);
    expect(codes(d)).toEqual(['cmek_clone.c CMEK_CLONE_KEY_INHERITED']);
  });

  it('fails for a new clone of an existing encrypted service naming a key created in the plan', () => {
    const d = check([
      kmsKey('other', { region: 'us-east-1' }),
      service(
        'db',
        { region: 'us-east-1', kms_key: ARN.use1a },
        { action: 'noop', before: { region: 'us-east-1', kms_key: ARN.use1a, id: 's-1' } },
      ),
      clone('c', 'db', { kms_key: newKeyRef('other', 'us-east-1') }),
    ]);
    expect(codes(d)).toEqual(['cmek_clone.c CMEK_CLONE_KEY_INHERITED']);
  });

  it('passes for an inheriting clone, or one repeating the key', () => {
    expect(
      check([service('db', { region: 'us-east-1', kms_key: ARN.use1a }), clone('c', 'db', {})]),
    ).toEqual([]);
    expect(
      check([
        service('db', { region: 'us-east-1', kms_key: ARN.use1a }),
        clone('c', 'db', { region: 'us-east-1', kms_key: ARN.use1a }),
      ]),
    ).toEqual([]);
    // Unencrypted source in another region: nothing to inherit, nothing to complain about.
    expect(
      check([service('db', { region: 'us-east-1' }), clone('c', 'db', { region: 'eu-west-1' })]),
    ).toEqual([]);
  });
});

describe('CMEK_RESTORE_KEY_INHERITED', () => {
  it('clickhouse: fails when a restore of an encrypted backup names another key', () => {
    const d = check([
      service('db', { region: 'us-east-1', kms_key: ARN.use1a }),
      backup('b', 'db'),
      restore('r', 'b', { kms_key: ARN.use1b }),
    ]);
    expect(codes(d)).toEqual(['cmek_backup_restore.r CMEK_RESTORE_KEY_INHERITED']);
    expect(d[0]!.summary).toContain(ARN.use1a);
    expect(d[0]!.summary).toContain(ARN.use1b);
  });

  it('clickhouse: into another region, the remedy restores in the key region and replicates', () => {
    const d = check([
      service('db', { region: 'us-east-1', kms_key: ARN.use1a }),
      backup('b', 'db'),
      restore('r', 'b', { region: 'eu-west-1', kms_key: ARN.euw1 }),
    ]);
    expect(codes(d)).toEqual(['cmek_backup_restore.r CMEK_RESTORE_KEY_INHERITED']);
    // Removing kms_key would only lead to CMEK_REGION_MISMATCH: the remedy must not say so.
    expect(d[0]!.detail).toContain('Remedy: restore in us-east-1');
    expect(d[0]!.detail).toContain('cmek_replica of it in eu-west-1');
    const removed = check([
      service('db', { region: 'us-east-1', kms_key: ARN.use1a }),
      backup('b', 'db'),
      restore('r', 'b', { region: 'eu-west-1' }),
    ]);
    expect(codes(removed)).toContain('cmek_backup_restore.r CMEK_REGION_MISMATCH');
  });

  it('clickhouse: fails with keys created in the same plan', () => {
    const d = check([
      kmsKey('a', { region: 'us-east-1' }),
      kmsKey('b', { region: 'us-east-1' }),
      service('db', { region: 'us-east-1', kms_key: newKeyRef('a', 'us-east-1') }),
      backup('bk', 'db'),
      restore('r', 'bk', { kms_key: newKeyRef('b', 'us-east-1') }),
    ]);
    expect(codes(d)).toEqual(['cmek_backup_restore.r CMEK_RESTORE_KEY_INHERITED']);
  });

  it('clickhouse: uses the key recorded on an existing backup', () => {
    const d = check([
      {
        address: 'cmek_backup.old',
        type: 'cmek_backup',
        action: 'noop',
        before: { id: 'bk-1', service_id: 'gone', kms_key: ARN.use1a, encrypted: true },
        after: { id: 'bk-1', service_id: 'gone', kms_key: ARN.use1a, encrypted: true },
      },
      restore('r', 'old', { kms_key: ARN.use1b }),
    ]);
    expect(codes(d)).toEqual(['cmek_backup_restore.r CMEK_RESTORE_KEY_INHERITED']);
  });

  it('cloudsql: another key in the target region is allowed', () => {
    expect(
      check([
        service('db', { region: 'us-central1', kms_key: ARN.gcpUsc1, profile: 'cloudsql' }),
        backup('b', 'db'),
        restore('r', 'b', { kms_key: ARN.gcpUsc1b }),
      ]),
    ).toEqual([]);
  });

  it('an unencrypted backup may be restored with a key (both profiles)', () => {
    for (const profile of ['clickhouse', 'cloudsql']) {
      expect(
        check([
          service('db', { region: 'us-east-1', profile }),
          backup('b', 'db'),
          restore('r', 'b', { kms_key: ARN.use1a }),
        ]),
      ).toEqual([]);
    }
  });
});

describe('CMEK_KEY_IN_USE', () => {
  const keyState = {
    region: 'us-east-1',
    arn: ARN.use1a,
    id: ARN.use1a,
    key_id: '1234abcd-12ab-34cd-56ef-1234567890ab',
  };
  const svcState = { name: 'db', region: 'us-east-1', kms_key: ARN.use1a, id: 'svc-1' };

  it('fails when the plan destroys a key a staying service uses', () => {
    const d = check([
      kmsKey('k', keyState, { action: 'delete', before: keyState }),
      service(
        'db',
        { region: 'us-east-1', kms_key: ARN.use1a },
        { action: 'noop', before: svcState },
      ),
    ]);
    expect(codes(d)).toEqual(['cmek_kms_key.k CMEK_KEY_IN_USE']);
    expect(d[0]!.summary).toContain('cmek_encrypted_service.db');
    expect(d[0]!.summary).toContain(ARN.use1a);
    expect(d[0]!.detail).toMatch(/unrecoverable/);
  });

  it('counts backups (inherited key) and external uses', () => {
    const d = check(
      [
        kmsKey('k', keyState, { action: 'delete', before: keyState }),
        service('db', { region: 'us-east-1' }, { action: 'delete', before: svcState }),
        backup('b', 'db', { action: 'noop', before: { id: 'bk-1', kms_key: ARN.use1a } }),
      ],
      { external: [{ description: 'backup bk-9 of service svc-0', key: { ref: ARN.use1a } }] },
    );
    expect(codes(d)).toEqual(['cmek_kms_key.k CMEK_KEY_IN_USE']);
    expect(d[0]!.summary).toContain('cmek_backup.b (backup)');
    expect(d[0]!.summary).toContain('backup bk-9 of service svc-0');
  });

  it('passes when the users are destroyed in the same plan', () => {
    expect(
      check([
        kmsKey('k', keyState, { action: 'delete', before: keyState }),
        service('db', { region: 'us-east-1' }, { action: 'delete', before: svcState }),
      ]),
    ).toEqual([]);
  });

  it('clickhouse: passes when the service rotates off the key in the same plan', () => {
    expect(
      check([
        kmsKey('k', keyState, { action: 'delete', before: keyState }),
        service('db', { region: 'us-east-1', kms_key: ARN.use1b }, { before: svcState }),
      ]),
    ).toEqual([]);
  });

  it('fails when a key is replaced under a live service (same-plan reference by address)', () => {
    const d = check([
      kmsKey('k', { region: 'us-east-1' }, { action: 'replace', before: keyState }),
      service(
        'db',
        { region: 'us-east-1', kms_key: newKeyRef('k', 'us-east-1') },
        { action: 'update', before: svcState },
      ),
    ]);
    expect(codes(d)).toContain('cmek_kms_key.k CMEK_KEY_IN_USE');
  });

  it('counts a replica and a clone by the key they really use, not the one they would inherit', () => {
    // db rotated from use1a to use1b; the clone kept use1a (effective_kms_key in state).
    const dbState = { ...svcState, kms_key: ARN.use1b };
    const cloneState = { name: 'c', id: 'svc-2', effective_kms_key: ARN.use1a, status: 'RUNNING' };
    const d = check([
      kmsKey('k', keyState, { action: 'delete', before: keyState }),
      service(
        'db',
        { region: 'us-east-1', kms_key: ARN.use1b },
        { action: 'noop', before: dbState },
      ),
      clone('c', 'db', { effective_kms_key: ARN.use1a } as never, {
        action: 'noop',
        before: cloneState,
      }),
    ]);
    expect(codes(d)).toEqual(['cmek_kms_key.k CMEK_KEY_IN_USE']);
    expect(d[0]!.summary).toContain('cmek_clone.c');
  });

  it('counts a replica that moves off the key only in this apply (its re-wrap needs the key)', () => {
    const dbState = { ...svcState, kms_key: ARN.use1b };
    const repState = { name: 'r', id: 'svc-3', region: 'us-east-1', effective_kms_key: ARN.use1a };
    const d = check([
      kmsKey('k', keyState, { action: 'delete', before: keyState }),
      service(
        'db',
        { region: 'us-east-1', kms_key: ARN.use1b },
        { action: 'noop', before: dbState },
      ),
      replica('r', 'db', { region: 'us-east-1', effective_kms_key: ARN.use1b } as never, {
        action: 'update',
        before: repState,
      }),
    ]);
    expect(codes(d)).toEqual(['cmek_kms_key.k CMEK_KEY_IN_USE']);
    expect(d[0]!.summary).toMatch(/cmek_replica\.r \(it moves off the key in this apply/);
  });

  it('ignores keys used by nothing', () => {
    expect(check([kmsKey('k', keyState, { action: 'delete', before: keyState })])).toEqual([]);
  });
});

describe('CMEK_KEY_POLICY_MISSING_ACTIONS', () => {
  const uses = (profile: string, region = 'us-east-1') => [
    kmsKey('k', { region }),
    service('db', { region, kms_key: newKeyRef('k', region), profile }),
  ];

  it('clickhouse: fails when a required action is missing, naming it', () => {
    const actions = REQUIRED_ACTIONS.clickhouse.filter((a) => a !== 'kms:GenerateDataKeyPair');
    const d = check([
      ...uses('clickhouse'),
      keyPolicy('p', 'k', { policy: policyGranting(SP, actions) }),
    ]);
    expect(codes(d)).toEqual(['cmek_kms_key_policy.p CMEK_KEY_POLICY_MISSING_ACTIONS']);
    expect(d[0]!.summary).toContain('kms:GenerateDataKeyPair');
    expect(d[0]!.summary).toContain(SP);
    expect(d[0]!.attribute).toBe('policy');
  });

  it('clickhouse: passes when every action is granted', () => {
    expect(
      check([
        ...uses('clickhouse'),
        keyPolicy('p', 'k', { policy: policyGranting(SP, [...REQUIRED_ACTIONS.clickhouse]) }),
      ]),
    ).toEqual([]);
  });

  it('cloudsql: encrypt + decrypt is enough (but not for clickhouse)', () => {
    const policy = policyGranting(SP, ['kms:Encrypt', 'kms:Decrypt']);
    expect(check([...uses('cloudsql'), keyPolicy('p', 'k', { policy })])).toEqual([]);
    expect(codes(check([...uses('clickhouse'), keyPolicy('p', 'k', { policy })]))).toEqual([
      'cmek_kms_key_policy.p CMEK_KEY_POLICY_MISSING_ACTIONS',
    ]);
  });

  it('accepts the policy as a JSON string (jsonencode) and reports an unreadable one', () => {
    const ok = JSON.stringify(policyGranting(SP, [...REQUIRED_ACTIONS.clickhouse]));
    expect(check([...uses('clickhouse'), keyPolicy('p', 'k', { policy: ok })])).toEqual([]);
    const d = check([...uses('clickhouse'), keyPolicy('p', 'k', { policy: '{"Statement": ' })]);
    expect(codes(d)).toEqual(['cmek_kms_key_policy.p CMEK_KEY_POLICY_MISSING_ACTIONS']);
    expect(d[0]!.summary).toMatch(/cannot be read/);
  });

  it('uses the service_principal of the policy resource over the provider default', () => {
    const policy = policyGranting(LOCAL_SP, [...REQUIRED_ACTIONS.clickhouse]);
    expect(
      check([...uses('clickhouse'), keyPolicy('p', 'k', { policy, service_principal: LOCAL_SP })]),
    ).toEqual([]);
    expect(codes(check([...uses('clickhouse'), keyPolicy('p', 'k', { policy })]))).toEqual([
      'cmek_kms_key_policy.p CMEK_KEY_POLICY_MISSING_ACTIONS',
    ]);
  });

  it('skips policies with unknown parts and policies left to the provider', () => {
    const policy = policyGranting(SP, []);
    (policy.Statement as Array<Record<string, unknown>>)[1]!.Principal = {
      AWS: new Unknown(),
    } as never;
    expect(check([...uses('clickhouse'), keyPolicy('p', 'k', { policy })])).toEqual([]);
    expect(check([...uses('clickhouse'), keyPolicy('p', 'k', {})])).toEqual([]);
  });
});

describe('CMEK_KEY_POLICY_MISSING_ACTIONS for keys without a policy resource', () => {
  const local = { keyAccount: '000000000000' };
  const plan = [
    kmsKey('k', { region: 'us-east-1' }),
    service('db', { region: 'us-east-1', kms_key: newKeyRef('k', 'us-east-1') }),
  ];

  it('fails for a cross-account service principal: the default policy grants only the account', () => {
    const d = check(plan, local);
    expect(codes(d)).toEqual(['cmek_kms_key.k CMEK_KEY_POLICY_MISSING_ACTIONS']);
    expect(d[0]!.summary).toContain('no cmek_kms_key_policy');
    expect(d[0]!.detail).toContain('cmek_kms_key_policy');
    expect(d[0]!.attribute).toBeUndefined();
  });

  it("passes for a principal of the key's own account (the quickstart)", () => {
    expect(check(plan, { ...local, servicePrincipal: LOCAL_SP })).toEqual([]);
  });

  it('passes when a policy resource covers the key, or nothing uses it, or the account is unknown', () => {
    expect(check([...plan, keyPolicy('p', 'k', {})], local)).toEqual([]);
    expect(check([kmsKey('k', { region: 'us-east-1' })], local)).toEqual([]);
    expect(check(plan)).toEqual([]);
  });

  it('uses the account of an existing key ARN', () => {
    const state = { region: 'us-east-1', arn: ARN.use1a, id: ARN.use1a };
    const d = check([
      kmsKey('k', state, { action: 'noop', before: state }),
      service('db', { region: 'us-east-1', kms_key: ARN.use1a }),
    ]);
    expect(codes(d)).toEqual(['cmek_kms_key.k CMEK_KEY_POLICY_MISSING_ACTIONS']);
    expect(
      check(
        [
          kmsKey('k', state, { action: 'noop', before: state }),
          service('db', { region: 'us-east-1', kms_key: ARN.use1a }),
        ],
        { servicePrincipal: 'arn:aws:iam::111122223333:role/svc' },
      ),
    ).toEqual([]);
  });

  it('checks the provider principal when service_principal is not written (planner Unknown)', () => {
    const policy = policyGranting(SP, ['kms:Encrypt']);
    const unwritten = keyPolicy('p', 'k', { policy, service_principal: new Unknown() });
    expect(codes(check([...plan, unwritten]))).toEqual([
      'cmek_kms_key_policy.p CMEK_KEY_POLICY_MISSING_ACTIONS',
    ]);
    // Written but unknown (e.g. a role created in the same plan): not judged.
    const written = { ...unwritten, attrPos: { service_principal: { file: 'main.tf', line: 9 } } };
    expect(check([...plan, written])).toEqual([]);
  });
});

describe('CMEK_KEY_POLICY_PUBLIC', () => {
  it('fails for an Allow to "*" without a narrowing condition', () => {
    const policy = policyGranting(SP, [...REQUIRED_ACTIONS.clickhouse]);
    (policy.Statement as unknown[]).push({
      Sid: 'Open',
      Effect: 'Allow',
      Principal: '*',
      Action: 'kms:Decrypt',
      Resource: '*',
    });
    const d = check([kmsKey('k', { region: 'us-east-1' }), keyPolicy('p', 'k', { policy })]);
    expect(codes(d)).toEqual(['cmek_kms_key_policy.p CMEK_KEY_POLICY_PUBLIC']);
    expect(d[0]!.summary).toContain('"Open"');
  });

  it('fails when the policy of an existing key is updated to a public one', () => {
    const state = { region: 'us-east-1', arn: ARN.use1a, id: ARN.use1a };
    const open = {
      Statement: [{ Effect: 'Allow', Principal: { AWS: '*' }, Action: 'kms:*', Resource: '*' }],
    };
    const d = check([
      kmsKey('k', state, { action: 'noop', before: state }),
      keyPolicy('p', 'k', { policy: open, key_id: ARN.use1a }, { before: { key_id: ARN.use1a } }),
    ]);
    expect(codes(d)).toEqual(['cmek_kms_key_policy.p CMEK_KEY_POLICY_PUBLIC']);
  });

  it('passes when "*" is narrowed by kms:CallerAccount', () => {
    const policy = policyGranting(SP, [...REQUIRED_ACTIONS.clickhouse]);
    (policy.Statement as unknown[]).push({
      Effect: 'Allow',
      Principal: { AWS: '*' },
      Action: 'kms:Decrypt',
      Resource: '*',
      Condition: { StringEquals: { 'kms:CallerAccount': '111122223333' } },
    });
    expect(check([kmsKey('k', { region: 'us-east-1' }), keyPolicy('p', 'k', { policy })])).toEqual(
      [],
    );
  });
});

describe('CMEK_KEY_FORMAT', () => {
  it('fails for a written key that does not parse, pointing at kms_key', () => {
    const d = check([
      service('db', { region: 'us-east-1', kms_key: 'arn:aws:kms:us-east-1:123:key/x' }),
    ]);
    expect(codes(d)).toEqual(['cmek_encrypted_service.db CMEK_KEY_FORMAT']);
    expect(d[0]).toMatchObject({ attribute: 'kms_key', file: 'main.tf', line: 4 });
    expect(d[0]!.summary).toContain('arn:aws:kms:us-east-1:123:key/x');
  });

  it('fails for a policy key_id that does not parse', () => {
    const d = check([keyPolicy('p', 'k', { key_id: 'my key' })]);
    expect(codes(d)).toEqual(['cmek_kms_key_policy.p CMEK_KEY_FORMAT']);
    expect(d[0]!.attribute).toBe('key_id');
  });

  it('passes for ARNs, multi-region ARNs, key ids, aliases and GCP names', () => {
    for (const k of [
      ARN.use1a,
      'arn:aws:kms:us-east-1:111122223333:key/mrk-1234abcd12ab34cd56ef1234567890ab',
      '1234abcd-12ab-34cd-56ef-1234567890ab',
      'alias/prod-db',
    ]) {
      expect(check([service('db', { region: 'us-east-1', kms_key: k })])).toEqual([]);
    }
    expect(
      check([service('db', { region: 'us-central1', kms_key: ARN.gcpUsc1, profile: 'cloudsql' })]),
    ).toEqual([]);
  });

  it('does not check unknown references (created in the same plan)', () => {
    expect(
      check([
        kmsKey('k', { region: 'us-east-1' }),
        service('db', { region: 'us-east-1', kms_key: newKeyRef('k', 'us-east-1') }),
      ]),
    ).toEqual([]);
  });
});

describe('checkRules', () => {
  it('sorts by address then code and reports every problem in one pass', () => {
    const d = check([
      service('z', { region: 'us-east-1', kms_key: 'nope' }),
      service('a', { region: 'us-east-1', kms_key: ARN.euw1 }),
      replica('r', 'a', { region: 'us-east-1', kms_key: ARN.use1b }),
    ]);
    expect(codes(d)).toEqual([
      'cmek_encrypted_service.a CMEK_REGION_MISMATCH',
      'cmek_encrypted_service.z CMEK_KEY_FORMAT',
      'cmek_replica.r CMEK_REPLICA_KEY_INHERITED',
    ]);
  });
});

describe('replacements', () => {
  const before = {
    name: 'db',
    region: 'us-central1',
    profile: 'cloudsql',
    id: 'svc-1',
    kms_key: ARN.gcpUsc1,
  };
  it('a replacement that swaps the key in place is still a key change (cloudsql)', () => {
    const d = check([
      service(
        'db',
        { region: 'us-central1', profile: 'cloudsql', kms_key: ARN.gcpUsc1b },
        { before, action: 'replace' },
      ),
    ]);
    expect(codes(d)).toEqual(['cmek_encrypted_service.db CMEK_KEY_IMMUTABLE']);
  });

  it('a replacement into another region is a new service with a new key', () => {
    expect(
      check([
        service(
          'db',
          { region: 'europe-west4', profile: 'cloudsql', kms_key: ARN.gcpEuw4 },
          { before, action: 'replace' },
        ),
      ]),
    ).toEqual([]);
  });
});
