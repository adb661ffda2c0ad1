// The wire protocol layer of `cmek kms serve`, tested over real HTTP against a tiny in-memory
// fake of the local KMS (the behavioural suite runs the real local KMS): SigV4 failures, the
// JSON 1.1 envelope, AWS error shapes, and the AWS SDK + our AWS backend talking to it.
import { KMSClient, ListKeysCommand } from '@aws-sdk/client-kms';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AwsKms } from '../../src/kms/aws.js';
import type { LocalKmsClient } from '../../src/kms/local/index.js';
import { parseCredentials } from '../../src/kms/server/credentials.js';
import { startKmsServer, type KmsServer } from '../../src/kms/server/index.js';
import { KmsError, type KeyMetadata } from '../../src/kms/types.js';
import { sendRaw } from './server-support.js';

const ROOT = 'arn:aws:iam::000000000000:root';
const OTHER = 'arn:aws:iam::111122223333:role/other';

/** Just enough of a KMS to exercise the protocol: the "ciphertext" is a JSON record (no crypto:
 * this suite is about the envelope, not the cryptography). Records who called what. */
function fakeKms() {
  const keys = new Map<string, KeyMetadata>();
  const calls: Array<{ principal: string; region?: string; op: string }> = [];
  let n = 0;
  const arnOf = (id: string, region: string) => `arn:aws:kms:${region}:000000000000:key/${id}`;
  const find = (ref: string): KeyMetadata => {
    const k = keys.get(ref) ?? [...keys.values()].find((m) => m.arn === ref);
    if (!k) throw new KmsError('NotFoundException', `Key '${ref}' does not exist`);
    return k;
  };
  const kms = {
    client(principal: string, opts?: { region?: string }): LocalKmsClient {
      const log = (op: string) => calls.push({ principal, region: opts?.region, op });
      const guard = (k: KeyMetadata) => {
        if (principal !== ROOT) {
          throw new KmsError('AccessDeniedException', `${principal} is not authorized`);
        }
        if (!k.enabled) throw new KmsError('DisabledException', `${k.arn} is disabled.`);
      };
      const c: Partial<LocalKmsClient> = {
        principal,
        async createKey(input) {
          log('createKey');
          const id = `00000000-0000-4000-8000-${String(++n).padStart(12, '0')}`;
          const md = {
            keyId: id,
            arn: arnOf(id, input.region),
            provider: 'aws' as const,
            region: input.region,
            account: '000000000000',
            keyState: 'Enabled' as const,
            enabled: true,
            description: input.description ?? '',
            creationDate: new Date('2026-01-02T03:04:05.678Z'),
            multiRegion: false,
            keyManager: 'CUSTOMER' as const,
            primaryVersion: '1',
            keySpec: 'SYMMETRIC_DEFAULT' as const,
            aliases: [],
            versions: ['1'],
            rotationEnabled: false,
            tags: {},
          };
          keys.set(id, md);
          return md;
        },
        async describeKey(ref) {
          log('describeKey');
          return find(ref) as Awaited<ReturnType<LocalKmsClient['describeKey']>>;
        },
        async listKeys() {
          log('listKeys');
          return [...keys.values()] as Awaited<ReturnType<LocalKmsClient['listKeys']>>;
        },
        async disableKey(ref) {
          log('disableKey');
          const k = find(ref);
          guard(k);
          keys.set(k.keyId, { ...k, enabled: false, keyState: 'Disabled' });
        },
        async encrypt(input) {
          log('encrypt');
          const k = find(input.keyId);
          guard(k);
          const rec = {
            k: k.arn,
            c: input.context ?? {},
            p: Buffer.from(input.plaintext).toString('hex'),
          };
          return {
            keyId: k.arn,
            keyVersion: '1',
            ciphertextBlob: Buffer.from(JSON.stringify(rec)),
          };
        },
        async decrypt(input) {
          log('decrypt');
          let rec: { k: string; c: Record<string, string>; p: string };
          try {
            rec = JSON.parse(Buffer.from(input.ciphertextBlob).toString('utf8'));
          } catch {
            throw new KmsError('InvalidCiphertextException', '');
          }
          const k = find(rec.k);
          guard(k);
          if (input.keyId && find(input.keyId).arn !== k.arn) {
            throw new KmsError('IncorrectKeyException', 'wrong key');
          }
          if (JSON.stringify(rec.c) !== JSON.stringify(input.context ?? {})) {
            throw new KmsError('InvalidCiphertextException', '');
          }
          return {
            keyId: k.arn,
            keyVersion: '1',
            plaintext: new Uint8Array(Buffer.from(rec.p, 'hex')),
          };
        },
        async generateDataKey(input) {
          log('generateDataKey');
          const plaintext = new Uint8Array(input.numberOfBytes ?? 32).fill(7);
          const enc = await c.encrypt!({ keyId: input.keyId, plaintext, context: input.context });
          return {
            keyId: enc.keyId,
            keyVersion: '1',
            plaintext,
            ciphertextBlob: enc.ciphertextBlob,
          };
        },
        async listAliases() {
          log('listAliases');
          return [
            { aliasName: 'alias/east', aliasArn: 'arn:aws:kms:us-east-1:000000000000:alias/east' },
            { aliasName: 'alias/west', aliasArn: 'arn:aws:kms:us-west-2:000000000000:alias/west' },
          ];
        },
        async getPublicKey() {
          throw new Error('boom: a bug inside the KMS with a secret path /etc/x');
        },
      };
      return c as LocalKmsClient;
    },
  };
  return { kms, calls, keys };
}

describe('kms serve: AWS JSON 1.1 protocol', () => {
  const fake = fakeKms();
  let server: KmsServer;
  const log: string[] = [];
  const credentials = parseCredentials(
    JSON.stringify({
      test: { secret: 'test', principal: ROOT },
      other: { secret: 'other-secret', principal: OTHER },
    }),
  );

  beforeAll(async () => {
    server = await startKmsServer({
      kms: fake.kms,
      port: 0,
      credentials,
      maxBodyBytes: 64 * 1024,
      log: (l) => log.push(l),
    });
  });
  afterAll(async () => {
    await server.close();
  });

  it('listens on 127.0.0.1 on a free port', () => {
    expect(server.url).toBe(`http://127.0.0.1:${server.port}`);
    expect(server.port).toBeGreaterThan(0);
  });

  it('answers a signed request with JSON 1.1, a request id, and the region of the scope', async () => {
    const r = await sendRaw(
      server.url,
      'TrentService.CreateKey',
      JSON.stringify({ Description: 'd' }),
      { region: 'eu-west-3' },
    );
    expect(r.status).toBe(200);
    expect(r.headers['content-type']).toBe('application/x-amz-json-1.1');
    expect(r.headers['x-amzn-requestid']).toMatch(/^[0-9a-f-]{36}$/);
    const md = r.json.KeyMetadata as Record<string, unknown>;
    expect(md.Arn).toMatch(/^arn:aws:kms:eu-west-3:000000000000:key\//);
    // epoch seconds, with the milliseconds as a fraction
    expect(md.CreationDate).toBe(Date.parse('2026-01-02T03:04:05.678Z') / 1000);
    expect(md).toMatchObject({
      Enabled: true,
      KeyState: 'Enabled',
      KeySpec: 'SYMMETRIC_DEFAULT',
      KeyUsage: 'ENCRYPT_DECRYPT',
      EncryptionAlgorithms: ['SYMMETRIC_DEFAULT'],
      CurrentKeyMaterialId: '1',
    });
    expect(fake.calls.at(-1)).toEqual({ principal: ROOT, region: 'eu-west-3', op: 'createKey' });
  });

  it('maps access keys to principals', async () => {
    await sendRaw(server.url, 'TrentService.ListKeys', '{}', {
      accessKeyId: 'other',
      secret: 'other-secret',
    });
    expect(fake.calls.at(-1)).toMatchObject({ principal: OTHER, op: 'listKeys' });
  });

  it('rejects a wrong secret with InvalidSignatureException', async () => {
    const r = await sendRaw(server.url, 'TrentService.ListKeys', '{}', { secret: 'nope' });
    expect(r.status).toBe(400);
    expect(r.json.__type).toBe('InvalidSignatureException');
    expect(r.json.message).toMatch(/signature we calculated does not match/);
  });

  it('rejects a body changed after signing', async () => {
    const r = await sendRaw(server.url, 'TrentService.ListKeys', '{"Limit":1}', {
      sendBody: '{"Limit":2}',
    });
    expect(r.json.__type).toBe('InvalidSignatureException');
  });

  it('checks a signed x-amz-content-sha256 against the body actually received', async () => {
    const body = '{"Limit":1}';
    const hash = (await import('node:crypto')).createHash('sha256').update(body).digest('hex');
    const good = await sendRaw(server.url, 'TrentService.ListKeys', body, {
      extraHeaders: { 'x-amz-content-sha256': hash },
    });
    expect(good.status).toBe(200);
    const lying = await sendRaw(server.url, 'TrentService.ListKeys', body, {
      extraHeaders: { 'x-amz-content-sha256': '0'.repeat(64) },
    });
    expect(lying.json.__type).toBe('InvalidSignatureException');
  });

  it('accepts requests whose signature covers a session token', async () => {
    const kms = new AwsKms({
      region: 'us-east-1',
      endpoint: server.url,
      credentials: { accessKeyId: 'test', secretAccessKey: 'test', sessionToken: 'tok' },
      maxAttempts: 1,
    });
    try {
      await expect(kms.listKeys()).resolves.toBeInstanceOf(Array);
    } finally {
      kms.close();
    }
  });

  it('rejects an unknown access key with UnrecognizedClientException', async () => {
    const r = await sendRaw(server.url, 'TrentService.ListKeys', '{}', { accessKeyId: 'AKIDX' });
    expect(r.json).toEqual({
      __type: 'UnrecognizedClientException',
      message: 'The security token included in the request is invalid.',
    });
  });

  it('rejects a request signed more than 5 minutes ago: "Signature expired"', async () => {
    const r = await sendRaw(server.url, 'TrentService.ListKeys', '{}', {
      date: new Date(Date.now() - 6 * 60_000),
    });
    expect(r.json.__type).toBe('InvalidSignatureException');
    expect(r.json.message).toMatch(/^Signature expired: \d{8}T\d{6}Z is now earlier than/);
  });

  it('rejects a request signed more than 5 minutes in the future', async () => {
    const r = await sendRaw(server.url, 'TrentService.ListKeys', '{}', {
      date: new Date(Date.now() + 6 * 60_000),
    });
    expect(r.json.__type).toBe('InvalidSignatureException');
    expect(r.json.message).toMatch(/^Signature not yet current/);
  });

  it('accepts a small clock skew', async () => {
    const r = await sendRaw(server.url, 'TrentService.ListKeys', '{}', {
      date: new Date(Date.now() - 3 * 60_000),
    });
    expect(r.status).toBe(200);
  });

  it('rejects a credential scoped to another service', async () => {
    const r = await sendRaw(server.url, 'TrentService.ListKeys', '{}', { service: 's3' });
    expect(r.json.__type).toBe('InvalidSignatureException');
    expect(r.json.message).toMatch(/scoped to correct service: 'kms'/);
  });

  it('rejects unsigned requests with MissingAuthenticationTokenException', async () => {
    const r = await sendRaw(server.url, 'TrentService.ListKeys', '{}', { unsigned: true });
    expect(r.status).toBe(400);
    expect(r.json.__type).toBe('MissingAuthenticationTokenException');
  });

  it('rejects a malformed Authorization header with IncompleteSignatureException', async () => {
    const r = await sendRaw(server.url, 'TrentService.ListKeys', '{}', {
      unsigned: true,
      extraHeaders: {
        authorization: 'AWS4-HMAC-SHA256 Credential=test/x',
        'x-amz-date': '20260101T000000Z',
      },
    });
    expect(r.json.__type).toBe('IncompleteSignatureException');
  });

  it('answers an unknown operation with UnknownOperationException', async () => {
    const r = await sendRaw(server.url, 'TrentService.MakeCoffee', '{}');
    expect(r.status).toBe(400);
    expect(r.json.__type).toBe('UnknownOperationException');
    const r2 = await sendRaw(server.url, 'TrentService.toString', '{}');
    expect(r2.json.__type).toBe('UnknownOperationException');
    const r3 = await sendRaw(server.url, undefined, '{}');
    expect(r3.json.__type).toBe('UnknownOperationException');
  });

  it('answers bad JSON and non-object bodies with SerializationException', async () => {
    for (const body of ['{"Limit":', '[1,2]', 'null', '"x"']) {
      const r = await sendRaw(server.url, 'TrentService.ListKeys', body);
      expect(r.status, body).toBe(400);
      expect(r.json.__type, body).toBe('SerializationException');
    }
  });

  it('answers a non-base64 blob with SerializationException', async () => {
    const r = await sendRaw(
      server.url,
      'TrentService.Decrypt',
      JSON.stringify({ CiphertextBlob: 'not base64!' }),
    );
    expect(r.json.__type).toBe('SerializationException');
  });

  it('validates members like AWS: ValidationException naming the member', async () => {
    const r = await sendRaw(
      server.url,
      'TrentService.Encrypt',
      JSON.stringify({ Plaintext: 'AA==' }),
    );
    expect(r.json.__type).toBe('ValidationException');
    expect(r.json.message).toBe(
      "1 validation error detected: Value at 'keyId' failed to satisfy constraint: Member must not be null",
    );
    const big = Buffer.alloc(4097).toString('base64');
    const r2 = await sendRaw(
      server.url,
      'TrentService.Encrypt',
      JSON.stringify({ KeyId: 'alias/x', Plaintext: big }),
    );
    expect(r2.json.__type).toBe('ValidationException');
    expect(r2.json.message).toMatch(/'plaintext'.*between 1 and 4096/);
  });

  it('answers an oversize body with an error, not a crash', async () => {
    const body = JSON.stringify({ Description: 'x'.repeat(100 * 1024) });
    const r = await sendRaw(server.url, 'TrentService.CreateKey', body);
    expect(r.status).toBe(413);
    expect(r.json.__type).toBe('ValidationException');
    // still serving
    expect((await sendRaw(server.url, 'TrentService.ListKeys', '{}')).status).toBe(200);
  });

  it('answers a wrong content type with SerializationException', async () => {
    const r = await sendRaw(server.url, 'TrentService.ListKeys', '{}', {
      contentType: 'text/plain',
    });
    expect(r.json.__type).toBe('SerializationException');
  });

  it('hides internal errors behind KMSInternalException (500) and logs them', async () => {
    const r = await sendRaw(server.url, 'TrentService.GetPublicKey', '{"KeyId":"alias/x"}');
    expect(r.status).toBe(500);
    expect(r.json).toEqual({
      __type: 'KMSInternalException',
      message: 'An internal error occurred.',
    });
    expect(log.some((l) => l.includes('boom'))).toBe(true);
  });

  it('rejects a key ARN of another region with NotFoundException', async () => {
    const r = await sendRaw(
      server.url,
      'TrentService.DescribeKey',
      JSON.stringify({
        KeyId: 'arn:aws:kms:ap-south-1:000000000000:key/00000000-0000-4000-8000-000000000001',
      }),
    );
    expect(r.json.__type).toBe('NotFoundException');
  });

  it('lists only the aliases of the request region', async () => {
    const r = await sendRaw(server.url, 'TrentService.ListAliases', '{}', { region: 'us-west-2' });
    expect(r.json).toEqual({
      Aliases: [
        { AliasName: 'alias/west', AliasArn: 'arn:aws:kms:us-west-2:000000000000:alias/west' },
      ],
      Truncated: false,
    });
  });

  it('paginates ListKeys with Limit/Marker', async () => {
    const region = 'sa-east-1';
    for (let i = 0; i < 3; i++)
      await sendRaw(server.url, 'TrentService.CreateKey', '{}', { region });
    const seen: string[] = [];
    let marker: string | undefined;
    do {
      const r = await sendRaw(
        server.url,
        'TrentService.ListKeys',
        JSON.stringify(marker ? { Limit: 2, Marker: marker } : { Limit: 2 }),
        { region },
      );
      for (const k of r.json.Keys as Array<{ KeyArn: string }>) seen.push(k.KeyArn);
      marker = r.json.Truncated ? (r.json.NextMarker as string) : undefined;
    } while (marker);
    expect(seen).toHaveLength(3);
    expect(new Set(seen).size).toBe(3);
    const bad = await sendRaw(server.url, 'TrentService.ListKeys', '{"Marker":"zzzz"}', { region });
    expect(bad.json.__type).toBe('InvalidMarkerException');
  });

  describe('through the AWS SDK and the AWS backend', () => {
    const aws = () =>
      new AwsKms({
        region: 'us-east-1',
        endpoint: server.url,
        credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
      });

    it('round-trips Encrypt/Decrypt with context, ARN region routing and error mapping', async () => {
      const kms = aws();
      try {
        const key = await kms.createKey({ region: 'eu-central-1', description: 'sdk' });
        expect(key.region).toBe('eu-central-1');
        expect(key.primaryVersion).toBe('1');
        const enc = await kms.encrypt({
          keyId: key.arn,
          plaintext: new Uint8Array([1, 2, 3]),
          context: { service: 's1' },
        });
        expect(enc.keyId).toBe(key.arn);
        const dec = await kms.decrypt({
          keyId: key.arn,
          ciphertextBlob: enc.ciphertextBlob,
          context: { service: 's1' },
        });
        expect([...dec.plaintext]).toEqual([1, 2, 3]);
        expect(dec.keyVersion).toBe('1');
        await expect(
          kms.decrypt({
            keyId: key.arn,
            ciphertextBlob: enc.ciphertextBlob,
            context: { service: 's2' },
          }),
        ).rejects.toMatchObject({ name: 'KmsError', code: 'InvalidCiphertextException' });
        // the call went to the key's region, not the default one
        expect(
          fake.calls.filter((c) => c.op === 'decrypt').every((c) => c.region === 'eu-central-1'),
        ).toBe(true);
      } finally {
        kms.close();
      }
    });

    it('maps authentication failures to AccessDeniedException with the AWS name kept', async () => {
      const kms = new AwsKms({
        region: 'us-east-1',
        endpoint: server.url,
        credentials: { accessKeyId: 'test', secretAccessKey: 'wrong' },
        maxAttempts: 1,
      });
      try {
        await expect(kms.listKeys()).rejects.toMatchObject({
          code: 'AccessDeniedException',
          message: expect.stringMatching(/^InvalidSignatureException: /),
        });
      } finally {
        kms.close();
      }
    });

    it('the raw SDK sees AWS exception names', async () => {
      const sdk = new KMSClient({
        region: 'us-east-1',
        endpoint: server.url,
        credentials: { accessKeyId: 'nobody', secretAccessKey: 'x' },
        maxAttempts: 1,
      });
      try {
        await expect(sdk.send(new ListKeysCommand({}))).rejects.toMatchObject({
          name: 'UnrecognizedClientException',
          $metadata: { httpStatusCode: 400 },
        });
      } finally {
        sdk.destroy();
      }
    });

    it('reports an unreachable endpoint as DependencyTimeoutException', async () => {
      const kms = new AwsKms({
        region: 'us-east-1',
        endpoint: 'http://127.0.0.1:9',
        credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
        maxAttempts: 1,
      });
      try {
        await expect(kms.listKeys()).rejects.toMatchObject({ code: 'DependencyTimeoutException' });
      } finally {
        kms.close();
      }
    });
  });
});

describe('kms serve: credentials file', () => {
  it('rejects entries that are not IAM principals, naming them', () => {
    expect(() =>
      parseCredentials(JSON.stringify({ k: { secret: 's', principal: 'bob' } }), 'creds.json'),
    ).toThrow(/creds\.json: k\.principal: principal must be an IAM ARN/);
    expect(() => parseCredentials('{', 'c.json')).toThrow(/c\.json: not valid JSON/);
    expect(() => parseCredentials('{}', 'c.json')).toThrow(/no access keys/);
  });
});
