// A client nobody here wrote: the AWS Encryption SDK for JavaScript, with its KMS keyring pointed
// at `cmek kms serve`. It calls GenerateDataKey / Encrypt / Decrypt through its own AWS SDK
// client, checks the returned key ARNs, and authenticates the message — if our wire format were
// off anywhere, this round trip would fail.
import { buildClient, CommitmentPolicy, KmsKeyringNode } from '@aws-crypto/client-node';
import { KMS } from '@aws-sdk/client-kms';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openLocalKms } from '../../src/kms/local/index.js';
import { startKmsServer, type KmsServer } from '../../src/kms/server/index.js';

describe('AWS Encryption SDK KMS keyring against cmek kms serve', () => {
  let dir: string;
  let server: KmsServer;
  let generator: string;
  let second: string;
  const clients: KMS[] = [];
  const clientProvider = (region: string) => {
    const c = new KMS({
      region,
      endpoint: server.url,
      credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
    });
    clients.push(c);
    return c;
  };

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'cmek-esdk-'));
    const kms = openLocalKms({ dir: join(dir, 'kms') });
    server = await startKmsServer({ kms, port: 0 });
    const admin = kms.admin();
    generator = (await admin.createKey({ region: 'us-west-2' })).arn;
    second = (await admin.createKey({ region: 'eu-central-1' })).arn;
  });
  afterAll(async () => {
    for (const c of clients) c.destroy();
    await server?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('encrypts and decrypts a message with a multi-key KMS keyring across regions', async () => {
    const { encrypt, decrypt } = buildClient(CommitmentPolicy.REQUIRE_ENCRYPT_REQUIRE_DECRYPT);
    const keyring = new KmsKeyringNode({
      generatorKeyId: generator,
      keyIds: [second],
      clientProvider,
    });
    const plaintext = Buffer.from('hello from the encryption sdk '.repeat(100));
    const context = { tenant: 'acme', purpose: 'esdk-interop' };

    const { result } = await encrypt(keyring, plaintext, { encryptionContext: context });
    expect(result.includes(plaintext)).toBe(false);

    const out = await decrypt(keyring, result);
    expect(out.plaintext.equals(plaintext)).toBe(true);
    expect(out.messageHeader.encryptionContext).toMatchObject(context);
    // one encrypted data key per KMS key, each naming its key ARN as provider info
    expect(out.messageHeader.encryptedDataKeys.map((k) => k.providerInfo).sort()).toEqual(
      [generator, second].sort(),
    );

    // the second key alone can decrypt too (its data key was wrapped with Encrypt)
    const onlySecond = new KmsKeyringNode({ keyIds: [second], clientProvider });
    expect((await decrypt(onlySecond, result)).plaintext.equals(plaintext)).toBe(true);
  });

  it('fails to decrypt a tampered message', async () => {
    const { encrypt, decrypt } = buildClient(CommitmentPolicy.REQUIRE_ENCRYPT_REQUIRE_DECRYPT);
    const keyring = new KmsKeyringNode({ generatorKeyId: generator, clientProvider });
    const { result } = await encrypt(keyring, Buffer.from('integrity'));
    const bad = Buffer.from(result);
    bad[bad.length - 40]! ^= 0xff;
    await expect(decrypt(keyring, bad)).rejects.toThrow();
  });
});
