// Object bodies through `cmek server` over real HTTP: a client that disconnects in the middle of
// an upload leaves nothing visible (the previous version stays, no partial file) and the server
// keeps serving; a 64 MiB object goes up and comes back byte-identical with the live memory
// growing well below the object's size (bodies stream, they are never buffered whole).
import { Sha256 } from '@aws-crypto/sha256-js';
import { SignatureV4 } from '@smithy/signature-v4';
import { createHash, randomBytes } from 'node:crypto';
import { readdir } from 'node:fs/promises';
import { request } from 'node:http';
import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { peakLive } from '../support/live-memory.js';
import { rig, type Rig } from './setup.js';

let r: Rig;
beforeAll(async () => {
  r = await rig();
  await r.served.create({ name: 'orders', region: 'eu-west-1', kmsKey: r.euKey });
});
afterAll(async () => r?.close());

/** `size` pseudo-random bytes, produced as read (never held whole), and their SHA-256. */
function generated(size: number, seed: number): { stream: Readable; digest: () => string } {
  const hash = createHash('sha256');
  let left = size;
  let n = seed;
  const stream = new Readable({
    read() {
      if (left === 0) return void this.push(null);
      const len = Math.min(1 << 18, left);
      const chunk = Buffer.alloc(len);
      for (let i = 0; i < len; i += 4)
        chunk.writeUInt32LE((n = (n * 1664525 + 1013904223) >>> 0), i);
      left -= len;
      hash.update(chunk);
      this.push(chunk);
    },
  });
  return { stream, digest: () => hash.digest('hex') };
}

async function until(cond: () => boolean | Promise<boolean>, ms = 20_000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > end) throw new Error('timed out');
    await new Promise((res) => setTimeout(res, 50));
  }
}

describe('object bodies through cmek server', () => {
  it(
    'a client killed mid-upload leaves nothing half-written, and the server goes on',
    { timeout: 60_000 },
    async () => {
      await r.remote.objects.put('orders', 'ledger', 'version one');
      const url = new URL(r.server.url);
      const args = Buffer.from(JSON.stringify(['orders', 'ledger'])).toString('base64url');
      const headers: Record<string, string> = {
        host: url.host,
        'content-type': 'application/octet-stream',
        'x-cmek-nonce': randomBytes(8).toString('hex'),
        'x-amz-content-sha256': 'UNSIGNED-PAYLOAD',
        'x-cmek-args': args,
      };
      const s = await new SignatureV4({
        service: 'cmek',
        region: 'us-east-1',
        sha256: Sha256,
        applyChecksum: false,
        credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
      }).sign({
        method: 'PUT',
        protocol: 'http:',
        hostname: url.hostname,
        path: '/cp/v1/objects.put',
        query: {},
        headers,
      });
      const req = request({
        host: url.hostname,
        port: url.port,
        method: 'PUT',
        path: '/cp/v1/objects.put',
        headers: s.headers,
      });
      req.on('error', () => {});
      const svc = await r.served.require('orders');
      const partial = r.served.objects.partialDirOf(svc.id);
      // 8 MiB of a body that never ends, then the client dies.
      for (let i = 0; i < 8; i++) req.write(randomBytes(1 << 20));
      await until(async () => (await readdir(partial).catch(() => [])).length > 0);
      req.destroy();
      await until(() =>
        r.logs.some((l) => /closed the connection during objects\.put; nothing written/.test(l)),
      );
      await until(async () => (await readdir(partial).catch(() => [])).length === 0);
      // The previous version is what every reader sees; the server still answers.
      expect((await r.remote.objects.list('orders')).map((o) => [o.name, o.size])).toEqual([
        ['ledger', 11],
      ]);
      const back: Buffer[] = [];
      for await (const c of await r.remote.objects.get('orders', 'ledger')) back.push(c as Buffer);
      expect(Buffer.concat(back).toString()).toBe('version one');
    },
  );

  it('64 MiB up and down, byte-identical, with bounded memory', { timeout: 180_000 }, async () => {
    const SIZE = 64 * 1024 * 1024;
    const gen = generated(SIZE, 42);
    const growth = await peakLive(async () => {
      const info = await r.remote.objects.put('orders', 'big', gen.stream);
      expect(info.size).toBe(SIZE);
      const hash = createHash('sha256');
      let got = 0;
      for await (const c of await r.remote.objects.get('orders', 'big')) {
        hash.update(c as Buffer);
        got += (c as Buffer).length;
      }
      expect(got).toBe(SIZE);
      expect(hash.digest('hex')).toBe(gen.digest());
    });
    console.log(
      `64 MiB through cmek server: live memory growth ${(growth / 2 ** 20).toFixed(1)} MiB`,
    );
    // Client and server share this process: both sides together stay well below the object.
    // The bound does not depend on the object's size: the put's batches in flight (sealed into
    // the crypto pool's shared slabs, which this process counts while workers fill them, unlike
    // buffers transferred away) plus the get's and the HTTP streams' buffers (docs/core.md,
    // "Crypto pool"); 40 MiB leaves room for a slow disk that keeps every write slot full.
    expect(growth).toBeLessThan(40 * 2 ** 20);
  });
});
