import { describe, expect, it } from 'vitest';
import { describeKey, sameKey, sameKeyInPlan, type KeyView } from '../../src/rules/index.js';
import { ARN } from './helpers.js';

describe('sameKey', () => {
  const cases: Array<[string, KeyView, KeyView, 'same' | 'different' | 'unknown']> = [
    ['equal refs', { ref: ARN.use1a }, { ref: ARN.use1a }, 'same'],
    [
      'equal addresses',
      { address: 'cmek_kms_key.a' },
      { address: 'cmek_kms_key.a', region: 'us-east-1' },
      'same',
    ],
    [
      'ARN and its bare key id',
      { ref: ARN.use1a },
      { ref: '1234abcd-12ab-34cd-56ef-1234567890ab' },
      'same',
    ],
    [
      'GCP key and one of its versions',
      { ref: ARN.gcpUsc1 },
      { ref: `${ARN.gcpUsc1}/cryptoKeyVersions/3` },
      'same',
    ],
    ['two ARNs', { ref: ARN.use1a }, { ref: ARN.use1b }, 'different'],
    [
      'two key resources',
      { address: 'cmek_kms_key.a' },
      { address: 'cmek_kms_key.b' },
      'different',
    ],
    ['known regions differ', { region: 'us-east-1' }, { region: 'eu-west-1' }, 'different'],
    ['known providers differ', { provider: 'aws' }, { provider: 'gcp' }, 'different'],
    [
      'same key ring name in other projects',
      { ref: ARN.gcpUsc1 },
      { ref: 'projects/p2/locations/us-central1/keyRings/r/cryptoKeys/k' },
      'different',
    ],
    ['both unknown, no address', {}, {}, 'unknown'],
    ['unknown vs ARN in the same region', { region: 'us-east-1' }, { ref: ARN.use1a }, 'unknown'],
    ['alias vs ARN', { ref: 'alias/prod' }, { ref: ARN.use1a }, 'unknown'],
    [
      'two different aliases (may point at one key)',
      { ref: 'alias/a' },
      { ref: 'alias/b' },
      'unknown',
    ],
    ['an address vs a ref', { address: 'cmek_kms_key.a' }, { ref: ARN.use1a }, 'unknown'],
  ];
  for (const [name, a, b, want] of cases) {
    it(`${name}: ${want} (both ways)`, () => {
      expect(sameKey(a, b)).toBe(want);
      expect(sameKey(b, a)).toBe(want);
    });
  }

  it('a key created in the plan differs from every existing key', () => {
    const created = new Set(['cmek_kms_key.new']);
    expect(sameKeyInPlan({ address: 'cmek_kms_key.new' }, { ref: ARN.use1a }, created)).toBe(
      'different',
    );
    expect(sameKeyInPlan({ ref: ARN.use1a }, { address: 'cmek_kms_key.new' }, created)).toBe(
      'different',
    );
    // ...but not from an unknown value that may be that very key.
    expect(sameKeyInPlan({ address: 'cmek_kms_key.new' }, {}, created)).toBe('unknown');
    // An existing key resource (not created) may be the ARN.
    expect(sameKeyInPlan({ address: 'cmek_kms_key.old' }, { ref: ARN.use1a }, created)).toBe(
      'unknown',
    );
  });

  it('describes keys for messages', () => {
    expect(describeKey({ ref: ARN.use1a })).toBe(ARN.use1a);
    expect(describeKey({ address: 'cmek_kms_key.k', region: 'eu-west-1' })).toBe(
      'cmek_kms_key.k (not created yet, eu-west-1)',
    );
    expect(describeKey({})).toBe('a key not known until apply');
  });
});
