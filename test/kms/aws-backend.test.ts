// The AWS backend's own logic: exception-name mapping, region routing, and the createKms
// factory choosing between the local KMS and AWS (the latter over `cmek kms serve`).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AwsKms, keyMetadataFromSdk, toKmsError } from '../../src/kms/aws.js';
import { createKms, openKms } from '../../src/kms/index.js';
import { openLocalKms } from '../../src/kms/local/index.js';
import { parseCredentials } from '../../src/kms/server/credentials.js';
import { startKmsServer, type KmsServer } from '../../src/kms/server/index.js';
import { isKmsError } from '../../src/kms/types.js';

describe('toKmsError', () => {
  const named = (name: string, extra: object = {}) =>
    Object.assign(new Error(`m-${name}`), { name, ...extra });

  it('keeps AWS exception names that are our codes', () => {
    for (const n of ['NotFoundException', 'DisabledException', 'KMSInvalidStateException']) {
      const e = toKmsError(named(n));
      expect(e.code).toBe(n);
      expect(e.message).toBe(`m-${n}`);
    }
  });

  it('folds the others onto the nearest code and keeps the AWS name in the message', () => {
    expect(toKmsError(named('UnrecognizedClientException'))).toMatchObject({
      code: 'AccessDeniedException',
      message: 'UnrecognizedClientException: m-UnrecognizedClientException',
    });
    expect(toKmsError(named('ThrottlingException')).code).toBe('DependencyTimeoutException');
    expect(toKmsError(named('InvalidMarkerException')).code).toBe('ValidationException');
    expect(toKmsError(named('SomethingNew')).code).toBe('KMSInternalException');
    expect(toKmsError(named('Error', { code: 'ECONNREFUSED' }), 'http://x').message).toMatch(
      /cannot reach http:\/\/x: ECONNREFUSED/,
    );
  });
});

describe('keyMetadataFromSdk', () => {
  it('reads region and account from the ARN and fails closed on transitional states', () => {
    const md = keyMetadataFromSdk({
      KeyId: 'k',
      Arn: 'arn:aws:kms:eu-north-1:123456789012:key/k',
      KeyState: 'Unavailable',
      CurrentKeyMaterialId: 'abc',
    });
    expect(md).toMatchObject({
      region: 'eu-north-1',
      account: '123456789012',
      keyState: 'Disabled',
      enabled: false,
      primaryVersion: 'abc',
      provider: 'aws',
    });
  });
});

describe('AwsKms routing', () => {
  it('refuses GCP-style keys and calls without any region', async () => {
    const saved = { r: process.env.AWS_REGION, d: process.env.AWS_DEFAULT_REGION };
    delete process.env.AWS_REGION;
    delete process.env.AWS_DEFAULT_REGION;
    const kms = new AwsKms({ credentials: { accessKeyId: 'a', secretAccessKey: 'b' } });
    try {
      await expect(
        kms.describeKey('projects/p1/locations/europe-west4/keyRings/r/cryptoKeys/k'),
      ).rejects.toMatchObject({ code: 'UnsupportedOperationException' });
      await expect(kms.describeKey('alias/x')).rejects.toMatchObject({
        code: 'ValidationException',
        message: expect.stringMatching(/no region for alias\/x/),
      });
      await expect(
        kms.createKey({ region: 'us-east-1', keyRing: 'projects/local/locations/x/keyRings/r' }),
      ).rejects.toMatchObject({ code: 'UnsupportedOperationException' });
    } finally {
      kms.close();
      if (saved.r !== undefined) process.env.AWS_REGION = saved.r;
      if (saved.d !== undefined) process.env.AWS_DEFAULT_REGION = saved.d;
    }
  });
});

describe('createKms', () => {
  const SERVICE = 'arn:aws:iam::576599896960:role/svc';
  let dir: string;
  let server: KmsServer;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'cmek-createkms-'));
    server = await startKmsServer({
      kms: openLocalKms({ dir: join(dir, 'kms') }),
      credentials: parseCredentials(
        JSON.stringify({
          test: { secret: 'test', principal: 'arn:aws:iam::000000000000:root' },
          AKIASVC: { secret: 'svc', principal: SERVICE },
        }),
      ),
    });
  });
  afterAll(async () => {
    await server?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('local: the KMS lives in <dataDir>/kms and admin() is the account root', async () => {
    const backend = createKms({ backend: 'local', dataDir: join(dir, 'local') });
    expect(backend.backend).toBe('local');
    expect(backend.local?.dir).toBe(join(dir, 'local', 'kms'));
    const key = await backend.admin().createKey({ region: 'us-east-1' });
    await expect(
      backend.client(SERVICE).encrypt({ keyId: key.arn, plaintext: new Uint8Array([1]) }),
    ).rejects.toMatchObject({ code: 'AccessDeniedException' });
    backend.close();
  });

  it('openKms: the same backends, the aws one after loading the SDK on demand', async () => {
    const local = await openKms({ backend: 'local', dataDir: join(dir, 'local-open') });
    expect(local.backend).toBe('local');
    expect(local.local?.dir).toBe(join(dir, 'local-open', 'kms'));
    const aws = await openKms({
      backend: 'aws',
      region: 'us-east-2',
      endpoint: server.url,
      credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
    });
    try {
      expect(aws.backend).toBe('aws');
      expect(aws.admin()).toBeInstanceOf(AwsKms);
      const key = await aws.admin().createKey({ region: 'us-east-2' });
      expect((await aws.admin().describeKey(key.keyId)).arn).toBe(key.arn);
    } finally {
      aws.close();
      local.close();
    }
  });

  it('aws: talks to the endpoint, as the principal whose credentials are mapped', async () => {
    const backend = createKms({
      backend: 'aws',
      region: 'us-east-2',
      endpoint: server.url,
      credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
      credentialsFor: { [SERVICE]: { accessKeyId: 'AKIASVC', secretAccessKey: 'svc' } },
    });
    try {
      expect(backend.backend).toBe('aws');
      const key = await backend.admin().createKey({ region: 'us-east-2' });
      expect(key.region).toBe('us-east-2');
      // the service role is a principal of another account: the default policy grants it nothing
      const err = await backend
        .client(SERVICE)
        .encrypt({ keyId: key.keyId, plaintext: new Uint8Array([1]) })
        .catch((e: unknown) => e);
      expect(isKmsError(err, 'AccessDeniedException')).toBe(true);
      // an unmapped principal falls back to the operator's credentials
      expect(backend.client('arn:aws:iam::000000000000:role/x')).toBe(backend.admin());
    } finally {
      backend.close();
    }
  });
});
