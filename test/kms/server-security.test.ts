// `cmek kms serve` (the real CLI process, over real HTTP) against requests no SDK sends: a body
// swapped under `x-amz-content-sha256: UNSIGNED-PAYLOAD` or under a hash of another body, and a
// client that hangs up mid-request.
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AwsKms } from '../../src/kms/aws.js';
import { cliBin } from '../e2e/harness.js';
import { sendRaw } from './server-support.js';

let dataDir: string;
let url: string;
let stderr = '';
let child: ReturnType<typeof spawn>;

beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), 'cmek-serve-sec-'));
  child = spawn(
    process.execPath,
    [cliBin(), 'kms', 'serve', '--port', '0', '--data-dir', dataDir],
    {
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  url = await new Promise<string>((res, rej) => {
    let out = '';
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(out);
      if (m) res(m[1]!);
    });
    child.once('exit', (code) => rej(new Error(`kms serve exited ${code}:\n${stderr}`)));
  });
});

afterAll(async () => {
  if (child.exitCode === null) {
    const exited = new Promise((r) => child.once('close', r));
    child.kill('SIGTERM');
    await exited;
  }
  rmSync(dataDir, { recursive: true, force: true });
});

async function waitFor(re: RegExp): Promise<void> {
  for (let i = 0; i < 200 && !re.test(stderr); i++) await new Promise((r) => setTimeout(r, 25));
}

describe('cmek kms serve authenticates the payload', () => {
  let keyId: string;
  const sdk = () =>
    new AwsKms({
      region: 'us-east-1',
      endpoint: url,
      credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
      maxAttempts: 1,
    });

  beforeAll(async () => {
    const kms = sdk();
    try {
      keyId = (await kms.createKey({ region: 'us-east-1', description: 'sec' })).keyId;
    } finally {
      kms.close();
    }
  });

  const encrypt = (plaintext: string) =>
    JSON.stringify({ KeyId: keyId, Plaintext: Buffer.from(plaintext).toString('base64') });

  it('refuses a body swapped under UNSIGNED-PAYLOAD with the bad-signature error', async () => {
    const r = await sendRaw(url, 'TrentService.Encrypt', encrypt('signed plaintext'), {
      extraHeaders: { 'x-amz-content-sha256': 'UNSIGNED-PAYLOAD' },
      sendBody: encrypt('swapped plaintext'),
    });
    expect(r.status).toBe(400);
    expect(r.json.__type).toBe('InvalidSignatureException');
    expect(r.json.message).toMatch(/signature we calculated does not match/);
    expect(r.json.CiphertextBlob).toBeUndefined();
    // Unsigned even when the body is the one signed: KMS payloads are always authenticated.
    const same = await sendRaw(url, 'TrentService.Encrypt', encrypt('signed plaintext'), {
      extraHeaders: { 'x-amz-content-sha256': 'UNSIGNED-PAYLOAD' },
    });
    expect(same.json.__type).toBe('InvalidSignatureException');
  });

  it('refuses a body whose SHA-256 is not the signed one, and accepts the matching hash', async () => {
    const signedBody = encrypt('signed plaintext');
    const hash = createHash('sha256').update(signedBody).digest('hex');
    const swapped = await sendRaw(url, 'TrentService.Encrypt', signedBody, {
      extraHeaders: { 'x-amz-content-sha256': hash },
      sendBody: encrypt('swapped plaintext'),
    });
    expect(swapped.json.__type).toBe('InvalidSignatureException');
    expect(swapped.json.message).toMatch(/signature we calculated does not match/);
    const good = await sendRaw(url, 'TrentService.Encrypt', signedBody, {
      extraHeaders: { 'x-amz-content-sha256': hash },
    });
    expect(good.status).toBe(200);
    expect(typeof good.json.CiphertextBlob).toBe('string');
  });

  it('still serves the AWS SDK', async () => {
    const kms = sdk();
    try {
      const blob = await kms.encrypt({ keyId, plaintext: new TextEncoder().encode('hello') });
      const back = await kms.decrypt({ ciphertextBlob: blob.ciphertextBlob });
      expect(new TextDecoder().decode(back.plaintext)).toBe('hello');
    } finally {
      kms.close();
    }
  });
});

describe('cmek kms serve and a client that hangs up', () => {
  it('logs one line, no stack and no 500, when the client closes mid-body', async () => {
    const u = new URL(url);
    await new Promise<void>((res, rej) => {
      const sock = connect(Number(u.port), u.hostname, () => {
        sock.write(
          'POST / HTTP/1.1\r\nHost: ' +
            u.host +
            '\r\nContent-Type: application/x-amz-json-1.1\r\nX-Amz-Target: TrentService.Encrypt\r\n' +
            'Content-Length: 1000\r\n\r\n{"KeyId":',
          () => setTimeout(() => (sock.destroy(), res()), 100),
        );
      });
      sock.on('error', rej);
    });
    await waitFor(/client closed the connection/);
    expect(stderr).toMatch(/kms serve: client closed the connection during Encrypt\n/);
    expect(stderr).not.toMatch(/ 500 /);
    expect(stderr).not.toMatch(/aborted|\n\s+at /);
  });
});
