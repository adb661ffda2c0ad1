// One behavioural suite, run against every way the product reaches a KMS: the local KMS
// in-process, and the AWS backend (@aws-sdk/client-kms, real HTTP, real SigV4) talking to
// `cmek kms serve` — in-process and as the real CLI process. Same assertions for all: whatever
// the backend, a caller sees the same behaviour and the same error names.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isKmsError, type KmsErrorCode } from '../../src/kms/types.js';
import {
  awsCliProcessBackend,
  awsInProcessBackend,
  localBackend,
  REGION,
  SERVICE,
  type Backend,
} from './server-support-backends.js';

// What a ClickHouse-style service principal needs (docs/key-lifecycle.md, clickhouse profile).
const REQUIRED_ACTIONS = [
  'kms:GetPublicKey',
  'kms:Decrypt',
  'kms:GenerateDataKeyPair',
  'kms:Encrypt',
  'kms:GetKeyRotationStatus',
  'kms:GenerateDataKey',
  'kms:DescribeKey',
];

function policyGranting(principal: string): string {
  return JSON.stringify({
    Version: '2012-10-17',
    Statement: [
      {
        Sid: 'Enable IAM User Permissions',
        Effect: 'Allow',
        Principal: { AWS: 'arn:aws:iam::000000000000:root' },
        Action: 'kms:*',
        Resource: '*',
      },
      {
        Sid: 'Allow the service to use the key',
        Effect: 'Allow',
        Principal: { AWS: principal },
        Action: REQUIRED_ACTIONS,
        Resource: '*',
      },
    ],
  });
}

async function rejects(p: Promise<unknown>, code: KmsErrorCode): Promise<void> {
  try {
    await p;
  } catch (e) {
    if (isKmsError(e, code)) return;
    throw new Error(`expected KmsError ${code}, got ${(e as Error)?.name}: ${String(e)}`, {
      cause: e,
    });
  }
  throw new Error(`expected KmsError ${code}, but the call succeeded`);
}

const bytes = (s: string) => new Uint8Array(Buffer.from(s));
const text = (b: Uint8Array) => Buffer.from(b).toString('utf8');

const BACKENDS: Array<[string, () => Promise<Backend>]> = [
  ['local KMS (in-process)', localBackend],
  ['AWS backend → cmek kms serve (in-process server)', awsInProcessBackend],
  ['AWS backend → cmek kms serve (CLI process)', awsCliProcessBackend],
];

describe.each(BACKENDS)('KMS behaviour: %s', (_name, make) => {
  let b: Backend;
  let keyArn: string;
  const ctx = { service: 'svc-1', object: 'obj-1' };

  beforeAll(async () => {
    b = await make();
    const key = await b.admin.createKey({ region: REGION, description: 'behaviour' });
    keyArn = key.arn;
    await b.admin.putKeyPolicy(keyArn, policyGranting(SERVICE));
  });
  afterAll(async () => {
    await b?.close();
  });

  it('creates keys in the requested region with AWS-shaped metadata', async () => {
    const md = await b.admin.describeKey(keyArn);
    expect(md).toMatchObject({
      arn: expect.stringMatching(/^arn:aws:kms:eu-west-1:000000000000:key\/[0-9a-f-]{36}$/),
      region: REGION,
      account: '000000000000',
      provider: 'aws',
      keyState: 'Enabled',
      enabled: true,
      description: 'behaviour',
      keyManager: 'CUSTOMER',
      multiRegion: false,
      primaryVersion: '1',
    });
    expect(md.creationDate).toBeInstanceOf(Date);
    expect(JSON.parse(await b.admin.getKeyPolicy(keyArn))).toEqual(
      JSON.parse(policyGranting(SERVICE)),
    );
  });

  it('round-trips Encrypt/Decrypt and data keys for the granted service principal', async () => {
    const enc = await b.service.encrypt({
      keyId: keyArn,
      plaintext: bytes('secret'),
      context: ctx,
    });
    expect(enc.keyId).toBe(keyArn);
    const dec = await b.service.decrypt({ ciphertextBlob: enc.ciphertextBlob, context: ctx });
    expect(text(dec.plaintext)).toBe('secret');
    expect(dec.keyId).toBe(keyArn);

    const dk = await b.service.generateDataKey({ keyId: keyArn, context: ctx, numberOfBytes: 32 });
    expect(dk.plaintext).toHaveLength(32);
    const back = await b.service.decrypt({
      ciphertextBlob: dk.ciphertextBlob,
      context: ctx,
      keyId: keyArn,
    });
    expect(Buffer.from(back.plaintext).equals(Buffer.from(dk.plaintext))).toBe(true);
  });

  it('denies a principal the key policy does not name', async () => {
    const enc = await b.service.encrypt({ keyId: keyArn, plaintext: bytes('x'), context: ctx });
    await rejects(
      b.intruder.encrypt({ keyId: keyArn, plaintext: bytes('x'), context: ctx }),
      'AccessDeniedException',
    );
    await rejects(
      b.intruder.decrypt({ ciphertextBlob: enc.ciphertextBlob, context: ctx }),
      'AccessDeniedException',
    );
    await rejects(b.intruder.describeKey(keyArn), 'AccessDeniedException');
    // the service role may use the key but not administer it
    await rejects(b.service.disableKey(keyArn), 'AccessDeniedException');
  });

  it('a disabled key fails with DisabledException, and works again once enabled', async () => {
    const key = await b.admin.createKey({ region: REGION });
    const enc = await b.admin.encrypt({ keyId: key.arn, plaintext: bytes('d'), context: ctx });
    await b.admin.disableKey(key.arn);
    expect((await b.admin.describeKey(key.arn)).keyState).toBe('Disabled');
    await rejects(
      b.admin.encrypt({ keyId: key.arn, plaintext: bytes('d'), context: ctx }),
      'DisabledException',
    );
    await rejects(
      b.admin.decrypt({ ciphertextBlob: enc.ciphertextBlob, context: ctx }),
      'DisabledException',
    );
    await b.admin.enableKey(key.arn);
    const dec = await b.admin.decrypt({ ciphertextBlob: enc.ciphertextBlob, context: ctx });
    expect(text(dec.plaintext)).toBe('d');
  });

  it('a key pending deletion fails with KMSInvalidStateException; cancelling leaves it disabled', async () => {
    const key = await b.admin.createKey({ region: REGION });
    const enc = await b.admin.encrypt({ keyId: key.arn, plaintext: bytes('p'), context: ctx });
    const md = await b.admin.scheduleKeyDeletion(key.arn, 7);
    expect(md.keyState).toBe('PendingDeletion');
    expect(md.pendingDeletionWindowInDays).toBe(7);
    expect(md.deletionDate!.getTime()).toBeGreaterThan(Date.now() + 6 * 86_400_000);
    await rejects(
      b.admin.decrypt({ ciphertextBlob: enc.ciphertextBlob, context: ctx }),
      'KMSInvalidStateException',
    );
    await rejects(
      b.admin.generateDataKey({ keyId: key.arn, context: ctx }),
      'KMSInvalidStateException',
    );
    expect((await b.admin.cancelKeyDeletion(key.arn)).keyState).toBe('Disabled');
    await b.admin.enableKey(key.arn);
    expect(
      text((await b.admin.decrypt({ ciphertextBlob: enc.ciphertextBlob, context: ctx })).plaintext),
    ).toBe('p');
  });

  it('Decrypt naming another key fails with IncorrectKeyException', async () => {
    const other = await b.admin.createKey({ region: REGION });
    const enc = await b.admin.encrypt({ keyId: keyArn, plaintext: bytes('k'), context: ctx });
    await rejects(
      b.admin.decrypt({ ciphertextBlob: enc.ciphertextBlob, context: ctx, keyId: other.arn }),
      'IncorrectKeyException',
    );
  });

  it('a tampered ciphertext fails with InvalidCiphertextException', async () => {
    const enc = await b.admin.encrypt({ keyId: keyArn, plaintext: bytes('t'), context: ctx });
    const bad = new Uint8Array(enc.ciphertextBlob);
    bad[bad.length - 1]! ^= 0x01;
    await rejects(
      b.admin.decrypt({ ciphertextBlob: bad, context: ctx }),
      'InvalidCiphertextException',
    );
  });

  it('a different or missing encryption context fails with InvalidCiphertextException', async () => {
    const enc = await b.admin.encrypt({ keyId: keyArn, plaintext: bytes('c'), context: ctx });
    await rejects(
      b.admin.decrypt({ ciphertextBlob: enc.ciphertextBlob, context: { ...ctx, object: 'obj-2' } }),
      'InvalidCiphertextException',
    );
    await rejects(
      b.admin.decrypt({ ciphertextBlob: enc.ciphertextBlob }),
      'InvalidCiphertextException',
    );
  });

  it('rotation keeps old ciphertexts readable and encrypts under the new version', async () => {
    const key = await b.admin.createKey({ region: REGION });
    const old = await b.admin.encrypt({ keyId: key.arn, plaintext: bytes('v1'), context: ctx });
    const rotated = await b.admin.rotateKeyOnDemand(key.arn);
    expect(rotated.primaryVersion).toBe('2');
    const rotations = await b.admin.listKeyRotations(key.arn);
    expect(rotations).toHaveLength(1);
    expect(rotations[0]).toMatchObject({ keyId: key.arn, rotationType: 'ON_DEMAND', version: '2' });

    const dec = await b.admin.decrypt({ ciphertextBlob: old.ciphertextBlob, context: ctx });
    expect(text(dec.plaintext)).toBe('v1');
    expect(dec.keyVersion).toBe('1');
    const fresh = await b.admin.generateDataKey({ keyId: key.arn, context: ctx });
    expect(fresh.keyVersion).toBe('2');
    // ReEncrypt moves an old ciphertext onto the current version without exposing it
    const re = await b.admin.reEncrypt({
      ciphertextBlob: old.ciphertextBlob,
      sourceContext: ctx,
      destinationKeyId: key.arn,
      destinationContext: ctx,
    });
    expect(re.sourceKeyId).toBe(key.arn);
    expect(re.keyVersion).toBe('2');
    const dec2 = await b.admin.decrypt({ ciphertextBlob: re.ciphertextBlob, context: ctx });
    expect(text(dec2.plaintext)).toBe('v1');
    expect(dec2.keyVersion).toBe('2');

    await b.admin.enableKeyRotation(key.arn, 180);
    expect(await b.admin.getKeyRotationStatus(key.arn)).toMatchObject({
      enabled: true,
      rotationPeriodInDays: 180,
    });
    await b.admin.disableKeyRotation(key.arn);
    expect((await b.admin.getKeyRotationStatus(key.arn)).enabled).toBe(false);
  });

  it('purging a key pending deletion makes its ciphertexts unreadable forever', async () => {
    const key = await b.admin.createKey({ region: REGION });
    const enc = await b.admin.encrypt({ keyId: key.arn, plaintext: bytes('gone'), context: ctx });
    await b.admin.scheduleKeyDeletion(key.arn, 7);
    await b.purge();
    expect((await b.admin.describeKey(key.arn)).keyState).toBe('Destroyed');
    await rejects(
      b.admin.decrypt({ ciphertextBlob: enc.ciphertextBlob, context: ctx }),
      'KMSInvalidStateException',
    );
    // no way back: not cancellable, not re-enableable
    await rejects(b.admin.cancelKeyDeletion(key.arn), 'KMSInvalidStateException');
    await rejects(b.admin.enableKey(key.arn), 'KMSInvalidStateException');
    await rejects(
      b.admin.decrypt({ ciphertextBlob: enc.ciphertextBlob, context: ctx }),
      'KMSInvalidStateException',
    );
  });

  it('aliases name keys in the region; unknown keys are NotFoundException', async () => {
    const key = await b.admin.createKey({ region: REGION });
    const alias = `alias/behaviour-${key.keyId.slice(0, 8)}`;
    await b.admin.createAlias(alias, key.arn);
    const enc = await b.admin.encrypt({ keyId: alias, plaintext: bytes('a'), context: ctx });
    expect(enc.keyId).toBe(key.arn);
    const listed = await b.admin.listAliases(key.arn);
    expect(listed).toEqual([
      expect.objectContaining({
        aliasName: alias,
        aliasArn: `arn:aws:kms:${REGION}:000000000000:${alias}`,
        targetKeyId: key.keyId,
      }),
    ]);
    const second = await b.admin.createKey({ region: REGION });
    await b.admin.updateAlias(alias, second.arn);
    expect((await b.admin.describeKey(alias)).arn).toBe(second.arn);
    await b.admin.deleteAlias(alias);
    await rejects(b.admin.describeKey(alias), 'NotFoundException');
    await rejects(
      b.admin.describeKey(
        `arn:aws:kms:${REGION}:000000000000:key/00000000-0000-4000-8000-000000000000`,
      ),
      'NotFoundException',
    );
  });

  it('lists keys and updates descriptions', async () => {
    const key = await b.admin.createKey({ region: REGION, description: 'before' });
    await b.admin.updateKeyDescription(key.arn, 'after');
    const all = await b.admin.listKeys();
    expect(all.find((k) => k.arn === key.arn)?.description).toBe('after');
  });
});
