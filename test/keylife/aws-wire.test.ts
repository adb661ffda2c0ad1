// The key poller and crypto-shredding over the AWS KMS wire protocol: the control plane's KMS is
// the AWS SDK backend (src/kms/aws.ts) talking SigV4 over HTTP to the local KMS served by
// startKmsServer, as the ClickHouse-style cross-account service role. The same reactions as with
// the in-process local KMS: disabled → STOPPED (cache purged, data refused), back → start,
// destroyed → crypto-shredded, dated, on every path.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { text } from 'node:stream/consumers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DiagnosticError } from '../../src/model/diagnostics.js';
import { AwsKms } from '../../src/kms/aws.js';
import { openLocalKms } from '../../src/kms/local/index.js';
import { startKmsServer, type KmsServer } from '../../src/kms/server/index.js';
import { parseCredentials } from '../../src/kms/server/credentials.js';
import { openControlPlane } from '../../src/service/control-plane.js';
import { pollOnce } from '../../src/service/poller.js';

const SERVICE = 'arn:aws:iam::576599896960:role/prod-kms-request-role';
const CREDENTIALS = {
  test: { secret: 'test', principal: 'arn:aws:iam::000000000000:root' },
  AKIASERVICE: { secret: 'service-secret', principal: SERVICE },
};

let dir: string;
let server: KmsServer;
let clients: AwsKms[] = [];

function aws(id: keyof typeof CREDENTIALS): AwsKms {
  const c = new AwsKms({
    region: 'eu-west-1',
    endpoint: server.url,
    credentials: { accessKeyId: id, secretAccessKey: CREDENTIALS[id].secret },
    maxAttempts: 1, // deterministic errors: retries would only slow the test down
  });
  clients.push(c);
  return c;
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'cmek-keylife-aws-'));
  server = await startKmsServer({
    kms: openLocalKms({ dir: join(dir, 'kms') }),
    port: 0,
    credentials: parseCredentials(JSON.stringify(CREDENTIALS)),
  });
});
afterAll(async () => {
  for (const c of clients) c.close();
  clients = [];
  await server.close();
  await rm(dir, { recursive: true, force: true });
});

async function diagOf(p: Promise<unknown>) {
  try {
    await p;
  } catch (e) {
    if (e instanceof DiagnosticError) return e.diagnostics[0]!;
    throw e;
  }
  throw new Error('expected a diagnostic');
}

describe('key lifecycle over the AWS KMS wire protocol', () => {
  it('disable → STOPPED and fail closed; enable + start; destroy → crypto-shredded', async () => {
    const admin = aws('test');
    const policy = JSON.stringify({
      Version: '2012-10-17',
      Statement: [
        {
          Effect: 'Allow',
          Principal: { AWS: 'arn:aws:iam::000000000000:root' },
          Action: 'kms:*',
          Resource: '*',
        },
        {
          Effect: 'Allow',
          Principal: { AWS: SERVICE },
          Action: ['kms:Decrypt', 'kms:Encrypt', 'kms:GenerateDataKey', 'kms:DescribeKey'],
          Resource: '*',
        },
      ],
    });
    const key = await admin.createKey({ region: 'eu-west-1', policy });
    const cp = await openControlPlane({
      dataDir: join(dir, 'data'),
      kms: aws('AKIASERVICE'),
      principal: SERVICE,
      durable: false,
    });
    const svc = await cp.create({ name: 'orders', region: 'eu-west-1', kmsKey: key.arn });
    await cp.objects.put(svc.id, 'a', 'over the wire');
    expect(cp.keys.cache.size).toBeGreaterThan(0);

    await admin.disableKey(key.arn);
    const r1 = await pollOnce(cp, { all: true });
    expect(r1.transitions).toMatchObject([{ name: 'orders', from: 'RUNNING', to: 'STOPPED' }]);
    expect(cp.keys.cache.size).toBe(0);
    expect((await diagOf(cp.objects.get(svc.id, 'a'))).code).toBe('CMEK_SERVICE_UNAVAILABLE');

    await admin.enableKey(key.arn);
    expect((await cp.start(svc.id)).status).toBe('RUNNING');
    expect(await text(await cp.objects.get(svc.id, 'a'))).toBe('over the wire');

    await admin.scheduleKeyDeletion(key.arn, 7);
    await openLocalKms({ dir: join(dir, 'kms') })
      .admin()
      .purge();
    const r2 = await pollOnce(cp, { all: true });
    expect(r2.transitions[0]!.reason).toMatch(/unrecoverable \(crypto-shredded\)/);
    const d = await diagOf(cp.objects.get(svc.id, 'a'));
    expect(d.summary).toMatch(/orders is unrecoverable \(crypto-shredded\)/);
    expect((await diagOf(cp.start(svc.id))).code).toBe('CMEK_KEY_INACCESSIBLE');
  });
});
