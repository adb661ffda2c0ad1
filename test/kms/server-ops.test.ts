// Operations of `cmek kms serve` beyond the KmsAdmin surface, driven with the raw AWS SDK
// against the real local KMS: the shapes the SDK parses must be AWS's.
import {
  CreateKeyCommand,
  DecryptCommand,
  DescribeKeyCommand,
  GenerateDataKeyCommand,
  GenerateDataKeyPairCommand,
  GenerateDataKeyWithoutPlaintextCommand,
  GetPublicKeyCommand,
  KMSClient,
  ListKeyPoliciesCommand,
  ListResourceTagsCommand,
  ReplicateKeyCommand,
} from '@aws-sdk/client-kms';
import { createPrivateKey, createPublicKey } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openLocalKms } from '../../src/kms/local/index.js';
import { startKmsServer, type KmsServer } from '../../src/kms/server/index.js';

describe('kms serve operations (raw AWS SDK, real local KMS)', () => {
  let dir: string;
  let server: KmsServer;
  const clients: KMSClient[] = [];
  const sdk = (region: string) => {
    const c = new KMSClient({
      region,
      endpoint: server.url,
      credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
      maxAttempts: 1,
    });
    clients.push(c);
    return c;
  };

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'cmek-ops-'));
    server = await startKmsServer({ kms: openLocalKms({ dir: join(dir, 'kms') }) });
  });
  afterAll(async () => {
    for (const c of clients) c.destroy();
    await server?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('GenerateDataKey by KeySpec, WithoutPlaintext, and KeySpec+NumberOfBytes refused', async () => {
    const kms = sdk('us-east-1');
    const { KeyMetadata } = await kms.send(new CreateKeyCommand({}));
    const arn = KeyMetadata!.Arn!;
    const dk = await kms.send(new GenerateDataKeyCommand({ KeyId: arn, KeySpec: 'AES_128' }));
    expect(dk.Plaintext).toHaveLength(16);
    expect(dk.KeyMaterialId).toBe('1');
    const wp = await kms.send(
      new GenerateDataKeyWithoutPlaintextCommand({ KeyId: arn, NumberOfBytes: 24 }),
    );
    expect(wp).not.toHaveProperty('Plaintext');
    const back = await kms.send(new DecryptCommand({ CiphertextBlob: wp.CiphertextBlob }));
    expect(back.Plaintext).toHaveLength(24);
    await expect(
      kms.send(new GenerateDataKeyCommand({ KeyId: arn, KeySpec: 'AES_256', NumberOfBytes: 32 })),
    ).rejects.toMatchObject({ name: 'ValidationException' });
    expect((await kms.send(new ListKeyPoliciesCommand({ KeyId: arn }))).PolicyNames).toEqual([
      'default',
    ]);
  });

  it('GenerateDataKeyPair returns a usable key pair whose private key the KMS can decrypt', async () => {
    const kms = sdk('us-east-1');
    const { KeyMetadata } = await kms.send(new CreateKeyCommand({}));
    const pair = await kms.send(
      new GenerateDataKeyPairCommand({
        KeyId: KeyMetadata!.Arn!,
        KeyPairSpec: 'ECC_NIST_P256',
        EncryptionContext: { purpose: 'pair' },
      }),
    );
    expect(pair.KeyPairSpec).toBe('ECC_NIST_P256');
    const pub = createPublicKey({ key: Buffer.from(pair.PublicKey!), format: 'der', type: 'spki' });
    expect(pub.asymmetricKeyType).toBe('ec');
    const priv = await kms.send(
      new DecryptCommand({
        CiphertextBlob: pair.PrivateKeyCiphertextBlob,
        EncryptionContext: { purpose: 'pair' },
      }),
    );
    expect(Buffer.from(priv.Plaintext!).equals(Buffer.from(pair.PrivateKeyPlaintext!))).toBe(true);
    const key = createPrivateKey({
      key: Buffer.from(priv.Plaintext!),
      format: 'der',
      type: 'pkcs8',
    });
    expect(key.asymmetricKeyType).toBe('ec');
  });

  it('GetPublicKey serves asymmetric keys and refuses symmetric ones', async () => {
    const kms = sdk('us-east-1');
    const rsa = await kms.send(new CreateKeyCommand({ KeySpec: 'RSA_2048' }));
    expect(rsa.KeyMetadata).toMatchObject({
      KeySpec: 'RSA_2048',
      KeyUsage: 'ENCRYPT_DECRYPT',
    });
    const pk = await kms.send(new GetPublicKeyCommand({ KeyId: rsa.KeyMetadata!.Arn! }));
    expect(
      createPublicKey({ key: Buffer.from(pk.PublicKey!), format: 'der', type: 'spki' })
        .asymmetricKeyType,
    ).toBe('rsa');
    const sym = await kms.send(new CreateKeyCommand({}));
    await expect(
      kms.send(new GetPublicKeyCommand({ KeyId: sym.KeyMetadata!.Arn! })),
    ).rejects.toMatchObject({ name: 'UnsupportedOperationException' });
  });

  it('ReplicateKey copies a multi-region key into another region', async () => {
    const kms = sdk('us-east-1');
    const primary = await kms.send(new CreateKeyCommand({ MultiRegion: true }));
    expect(primary.KeyMetadata!.KeyId).toMatch(/^mrk-/);
    const rep = await kms.send(
      new ReplicateKeyCommand({ KeyId: primary.KeyMetadata!.Arn!, ReplicaRegion: 'eu-west-1' }),
    );
    expect(rep.ReplicaKeyMetadata!.Arn).toBe(
      `arn:aws:kms:eu-west-1:000000000000:key/${primary.KeyMetadata!.KeyId}`,
    );
    // the replica decrypts what the primary encrypted, through its own region's endpoint
    const dk = await kms.send(
      new GenerateDataKeyCommand({ KeyId: primary.KeyMetadata!.Arn!, NumberOfBytes: 32 }),
    );
    const eu = sdk('eu-west-1');
    const dec = await eu.send(
      new DecryptCommand({
        CiphertextBlob: dk.CiphertextBlob,
        KeyId: rep.ReplicaKeyMetadata!.Arn!,
      }),
    );
    expect(Buffer.from(dec.Plaintext!).equals(Buffer.from(dk.Plaintext!))).toBe(true);
    const described = await eu.send(new DescribeKeyCommand({ KeyId: primary.KeyMetadata!.KeyId! }));
    expect(described.KeyMetadata!.MultiRegionConfiguration?.MultiRegionKeyType).toBe('REPLICA');
  });

  it('ListResourceTags returns the tags given at creation', async () => {
    const kms = sdk('us-east-1');
    const key = await kms.send(
      new CreateKeyCommand({ Tags: [{ TagKey: 'team', TagValue: 'db' }] }),
    );
    const r = await kms.send(new ListResourceTagsCommand({ KeyId: key.KeyMetadata!.Arn! }));
    expect(r.Tags).toEqual([{ TagKey: 'team', TagValue: 'db' }]);
  });
});
