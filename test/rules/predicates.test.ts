// The predicates and message builders src/rules exports for the control plane: each rule's
// check and text exist once, used by the plan-time rule and by the service's own refusal.
import { describe, expect, it } from 'vitest';
import {
  cloneKeyMessage,
  cloneRegionConflict,
  cloneRegionMessage,
  inheritedKeyConflict,
  keyChangeRefusal,
  keyRegionMatches,
  keyRemovalMessage,
  noRetrofitMessage,
  regionMismatchMessage,
} from '../../src/rules/index.js';

describe('keyRegionMatches', () => {
  it('is true for equal regions and for a region not known yet', () => {
    expect(keyRegionMatches('eu-west-1', 'eu-west-1')).toBe(true);
    expect(keyRegionMatches(undefined, 'eu-west-1')).toBe(true);
    expect(keyRegionMatches('eu-west-1', undefined)).toBe(true);
  });
  it('is false for two known regions that differ, in both profiles', () => {
    expect(keyRegionMatches('us-east-1', 'eu-west-1')).toBe(false);
    expect(keyRegionMatches('us-east-1', 'eu-west-1', 'clickhouse')).toBe(false);
    expect(keyRegionMatches('us-east-1', 'eu-west-1', 'cloudsql')).toBe(false);
  });
});

describe('keyChangeRefusal', () => {
  it('refuses adding a key (retrofit) and removing one', () => {
    expect(keyChangeRefusal('clickhouse', null, 'k')).toBe('CMEK_NO_RETROFIT');
    expect(keyChangeRefusal('cloudsql', null, 'k')).toBe('CMEK_NO_RETROFIT');
    expect(keyChangeRefusal('clickhouse', 'k', null)).toBe('CMEK_KEY_REMOVAL');
    expect(keyChangeRefusal('cloudsql', 'k', null)).toBe('CMEK_KEY_REMOVAL');
  });
  it('leaves key-to-key changes, no key at all and unknown keys alone', () => {
    expect(keyChangeRefusal('clickhouse', 'a', 'b')).toBeUndefined();
    expect(keyChangeRefusal('clickhouse', null, null)).toBeUndefined();
    expect(keyChangeRefusal('clickhouse', undefined, 'k')).toBeUndefined();
    expect(keyChangeRefusal('clickhouse', 'k', undefined)).toBeUndefined();
  });
});

describe('inheritedKeyConflict', () => {
  it('replica of an unencrypted primary may not name a key', () => {
    const f = { parentEncrypted: false, sameRegion: true };
    expect(inheritedKeyConflict('clickhouse', 'replica', { ...f, own: 'different' })).toBe(
      'CMEK_REPLICA_UNENCRYPTED_PRIMARY',
    );
    expect(inheritedKeyConflict('clickhouse', 'replica', { ...f, own: 'none' })).toBeUndefined();
  });
  it('same-region replica inherits; cross-region replica needs its own key', () => {
    const same = { parentEncrypted: true, sameRegion: true };
    expect(inheritedKeyConflict('cloudsql', 'replica', { ...same, own: 'different' })).toBe(
      'CMEK_REPLICA_KEY_INHERITED',
    );
    expect(inheritedKeyConflict('cloudsql', 'replica', { ...same, own: 'same' })).toBeUndefined();
    expect(
      inheritedKeyConflict('cloudsql', 'replica', { ...same, own: 'unknown' }),
    ).toBeUndefined();
    const cross = { parentEncrypted: true, sameRegion: false };
    expect(inheritedKeyConflict('clickhouse', 'replica', { ...cross, own: 'none' })).toBe(
      'CMEK_REPLICA_KEY_REQUIRED',
    );
    expect(
      inheritedKeyConflict('clickhouse', 'replica', { ...cross, own: 'unknown' }),
    ).toBeUndefined();
    expect(
      inheritedKeyConflict('clickhouse', 'replica', { parentEncrypted: true, own: 'none' }),
    ).toBeUndefined();
  });
  it('clone inherits the source key, or no key for an unencrypted source', () => {
    expect(
      inheritedKeyConflict('clickhouse', 'clone', { parentEncrypted: true, own: 'different' }),
    ).toBe('CMEK_CLONE_KEY_INHERITED');
    expect(
      inheritedKeyConflict('clickhouse', 'clone', { parentEncrypted: false, own: 'same' }),
    ).toBe('CMEK_CLONE_KEY_INHERITED');
    expect(
      inheritedKeyConflict('clickhouse', 'clone', { parentEncrypted: true, own: 'same' }),
    ).toBeUndefined();
    expect(
      inheritedKeyConflict('clickhouse', 'clone', { parentEncrypted: undefined, own: 'different' }),
    ).toBeUndefined();
  });
  it('restore of an encrypted backup: clickhouse inherits, cloudsql may take another key', () => {
    const f = { parentEncrypted: true, own: 'different' as const };
    expect(inheritedKeyConflict('clickhouse', 'restore', f)).toBe('CMEK_RESTORE_KEY_INHERITED');
    expect(inheritedKeyConflict('cloudsql', 'restore', f)).toBeUndefined();
    expect(
      inheritedKeyConflict('clickhouse', 'restore', { parentEncrypted: false, own: 'different' }),
    ).toBeUndefined();
  });
});

describe('cloneRegionConflict', () => {
  it('an encrypted source can only be cloned in its region', () => {
    expect(cloneRegionConflict('clickhouse', { parentEncrypted: true, sameRegion: false })).toBe(
      true,
    );
    expect(cloneRegionConflict('clickhouse', { parentEncrypted: true, sameRegion: true })).toBe(
      false,
    );
    expect(cloneRegionConflict('cloudsql', { parentEncrypted: false, sameRegion: false })).toBe(
      false,
    );
    expect(cloneRegionConflict('cloudsql', { parentEncrypted: true, sameRegion: undefined })).toBe(
      false,
    );
  });
});

describe('message builders', () => {
  it('name the subject, the keys and the attribute they are given', () => {
    const r = regionMismatchMessage({
      subject: 'service db',
      kind: 'service',
      region: 'eu-west-1',
      key: 'arn:k',
      keyRegion: 'us-east-1',
    });
    expect(r.summary).toBe('service db is in region eu-west-1 but its key arn:k is in us-east-1');
    expect(r.detail).toContain('Remedy: use a key created in eu-west-1');
    expect(noRetrofitMessage({ subject: 'service db', key: 'arn:k' }).summary).toBe(
      'service db has no customer-managed key; the change adds arn:k',
    );
    const rm = keyRemovalMessage({ subject: 'x.y', key: 'arn:k', attribute: 'kms_key' });
    expect(rm.summary).toBe('x.y is encrypted with arn:k; the change removes the key');
    expect(rm.detail).toContain('Remedy: keep kms_key set.');
    expect(
      cloneKeyMessage({
        subject: 'clone c',
        own: 'arn:b',
        parent: 'service s',
        sourceKey: null,
        attribute: 'kms_key',
      }).summary,
    ).toBe(
      'clone c names arn:b but its source service s is not encrypted with a customer-managed key',
    );
    expect(
      cloneRegionMessage({
        subject: 'clone c',
        region: 'us-east-1',
        parent: 'service s',
        sourceKey: null,
        sourceRegion: 'eu-west-1',
      }).detail,
    ).toContain('Remedy: clone in eu-west-1');
  });
});
