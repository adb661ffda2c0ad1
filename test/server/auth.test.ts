// Authentication of `cmek server --listen` over real HTTP: unsigned, unknown key, wrong secret,
// expired date, a replayed request and a request without the signed nonce are refused with 403
// SERVER_AUTH_FAILED and logged; the right credentials work. The local KMS is served on the same
// port to the AWS SDK, with the same credentials.
import { Sha256 } from '@aws-crypto/sha256-js';
import { SignatureV4 } from '@smithy/signature-v4';
import { createHash, randomBytes } from 'node:crypto';
import { request } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DiagnosticError } from '../../src/model/diagnostics.js';
import { AwsKms } from '../../src/kms/aws.js';
import { parseCredentials } from '../../src/kms/server/index.js';
import { remoteControlPlane } from '../../src/service/remote/client.js';
import { rig, type Rig } from './setup.js';

const CREDENTIALS = parseCredentials(
  JSON.stringify({
    AKIDTEAM: { secret: 'team-secret', principal: 'arn:aws:iam::000000000000:root' },
  }),
);

let r: Rig;
let clock = 0; // server clock offset, ms
beforeAll(async () => {
  r = await rig({ credentials: CREDENTIALS, now: () => new Date(Date.now() + clock) });
});
afterAll(async () => r?.close());

interface Raw {
  status: number;
  body: string;
}

/** A request as the client makes it, signed by hand so the test can break it. */
async function signed(
  path: string,
  body: string,
  opts: { secret?: string; nonce?: boolean; date?: Date } = {},
): Promise<{ headers: Record<string, string> }> {
  const url = new URL(r.server.url);
  const headers: Record<string, string> = {
    host: url.host,
    'content-type': 'application/json',
    'x-amz-content-sha256': createHash('sha256').update(body).digest('hex'),
    ...(opts.nonce === false ? {} : { 'x-cmek-nonce': randomBytes(8).toString('hex') }),
  };
  const signer = new SignatureV4({
    service: 'cmek',
    region: 'us-east-1',
    sha256: Sha256,
    applyChecksum: false,
    credentials: { accessKeyId: 'AKIDTEAM', secretAccessKey: opts.secret ?? 'team-secret' },
  });
  const s = await signer.sign(
    { method: 'POST', protocol: 'http:', hostname: url.hostname, path, query: {}, headers, body },
    opts.date ? { signingDate: opts.date } : {},
  );
  return { headers: s.headers };
}

function send(path: string, headers: Record<string, string>, body: string): Promise<Raw> {
  const url = new URL(r.server.url);
  return new Promise((resolve, reject) => {
    const req = request({ host: url.hostname, port: url.port, path, method: 'POST', headers });
    req.on('response', (res) => {
      const parts: Buffer[] = [];
      res.on('data', (c: Buffer) => parts.push(c));
      res.on('end', () =>
        resolve({ status: res.statusCode ?? 0, body: Buffer.concat(parts).toString() }),
      );
    });
    req.on('error', reject);
    req.end(body);
  });
}

function refusedWith(raw: Raw, text: string): void {
  expect(raw.status).toBe(403);
  const d = (JSON.parse(raw.body) as { diagnostics: { code: string; summary: string }[] })
    .diagnostics[0]!;
  expect(d.code).toBe('SERVER_AUTH_FAILED');
  expect(d.summary).toContain(text);
}

const BODY = JSON.stringify({ args: [] });

describe('cmek server authentication', () => {
  it('accepts a correctly signed request', async () => {
    const { headers } = await signed('/cp/v1/list', BODY);
    const raw = await send('/cp/v1/list', headers, BODY);
    expect(raw.status).toBe(200);
    expect(JSON.parse(raw.body)).toEqual({ result: { result: [], problems: [] } });
  });

  it('refuses an unsigned request, and logs it', async () => {
    const before = r.logs.length;
    refusedWith(
      await send('/cp/v1/list', { 'content-type': 'application/json' }, BODY),
      'Missing Authentication Token',
    );
    expect(r.logs.slice(before).join('\n')).toMatch(/refused list from 127\.0\.0\.1:\d+: Missing/);
  });

  it('refuses a wrong secret and an unknown access key (remote client: a coded error)', async () => {
    const { headers } = await signed('/cp/v1/list', BODY, { secret: 'guess' });
    refusedWith(await send('/cp/v1/list', headers, BODY), 'signature we calculated does not match');
    for (const [id, secret] of [
      ['AKIDTEAM', 'nope'],
      ['test', 'test'],
    ] as const) {
      const cp = remoteControlPlane({
        endpoint: r.server.url,
        accessKeyId: id,
        secretAccessKey: secret,
      });
      const e = await cp.list().catch((x: unknown) => x);
      expect(e).toBeInstanceOf(DiagnosticError);
      expect((e as DiagnosticError).diagnostics[0]!.code).toBe('SERVER_AUTH_FAILED');
    }
    const ok = remoteControlPlane({
      endpoint: r.server.url,
      accessKeyId: 'AKIDTEAM',
      secretAccessKey: 'team-secret',
    });
    expect(await ok.list()).toEqual([]);
  });

  it('refuses a body other than the one signed', async () => {
    const { headers } = await signed('/cp/v1/list', BODY);
    refusedWith(
      await send('/cp/v1/list', headers, JSON.stringify({ args: [1] })),
      'does not match',
    );
  });

  it('refuses a replayed request, and one without the signed nonce', async () => {
    const { headers } = await signed('/cp/v1/list', BODY);
    expect((await send('/cp/v1/list', headers, BODY)).status).toBe(200);
    refusedWith(await send('/cp/v1/list', headers, BODY), 'already used');
    const bare = await signed('/cp/v1/list', BODY, { nonce: false });
    refusedWith(await send('/cp/v1/list', bare.headers, BODY), 'x-cmek-nonce must be signed');
  });

  it('refuses an expired date, and a request replayed once the window is over', async () => {
    const old = await signed('/cp/v1/list', BODY, { date: new Date(Date.now() - 6 * 60_000) });
    refusedWith(await send('/cp/v1/list', old.headers, BODY), 'Signature expired');
    const captured = await signed('/cp/v1/list', BODY);
    clock = 10 * 60_000;
    try {
      refusedWith(await send('/cp/v1/list', captured.headers, BODY), 'Signature expired');
    } finally {
      clock = 0;
    }
  });

  it('serves the local KMS on the same port to the AWS SDK, with the same credentials', async () => {
    const kms = new AwsKms({
      region: 'eu-west-1',
      endpoint: r.server.url,
      credentials: { accessKeyId: 'AKIDTEAM', secretAccessKey: 'team-secret' },
      maxAttempts: 1,
    });
    const key = await kms.createKey({ region: 'eu-west-1', description: 'over the server' });
    expect((await r.admin.describeKey(key.arn)).description).toBe('over the server');
    const bad = new AwsKms({
      region: 'eu-west-1',
      endpoint: r.server.url,
      credentials: { accessKeyId: 'AKIDTEAM', secretAccessKey: 'wrong' },
      maxAttempts: 1,
    });
    await expect(bad.describeKey(key.arn)).rejects.toThrow(/signature/i);
    kms.close();
    bad.close();
  });
});
