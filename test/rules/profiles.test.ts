import { describe, expect, it } from 'vitest';
import { PROFILES, REQUIRED_ACTIONS, isProfile, profileFacts } from '../../src/rules/index.js';

describe('profile table (docs/key-lifecycle.md)', () => {
  it('requires exactly the actions of the seeds', () => {
    expect(REQUIRED_ACTIONS.clickhouse).toEqual([
      'kms:GetPublicKey',
      'kms:Decrypt',
      'kms:GenerateDataKeyPair',
      'kms:Encrypt',
      'kms:GetKeyRotationStatus',
      'kms:GenerateDataKey',
      'kms:DescribeKey',
    ]);
    expect(REQUIRED_ACTIONS.cloudsql).toEqual(['kms:Encrypt', 'kms:Decrypt']);
    expect(PROFILES.cloudsql.gcpRole).toBe('roles/cloudkms.cryptoKeyEncrypterDecrypter');
  });

  it('encodes the rows where the profiles differ', () => {
    expect(PROFILES.clickhouse.liveKeyChange).toBe('rotate-same-provider');
    expect(PROFILES.cloudsql.liveKeyChange).toBe('immutable');
    expect(PROFILES.clickhouse.restoreEncryptedBackup).toBe('inherit');
    expect(PROFILES.cloudsql.restoreEncryptedBackup).toBe('any-in-region');
    expect([PROFILES.clickhouse.onKeyInaccessible, PROFILES.cloudsql.onKeyInaccessible]).toEqual([
      'stop',
      'suspend',
    ]);
    expect(PROFILES.cloudsql.keyCheckOnUpdate).toBe(true);
    expect(PROFILES.clickhouse.defaultKeyCheckInterval).toBe('10m');
  });

  it('falls back to the default profile for an absent or unknown name', () => {
    expect(isProfile('cloudsql')).toBe(true);
    expect(isProfile('mysql')).toBe(false);
    expect(profileFacts(undefined)).toBe(PROFILES.clickhouse);
  });

  it('is frozen: rules cannot change it at run time', () => {
    expect(Object.isFrozen(PROFILES)).toBe(true);
    expect(Object.isFrozen(PROFILES.clickhouse)).toBe(true);
  });
});
