// The crypto pool (src/core/pool.ts): worker threads sealing and opening batches of chunks.
// Every test goes through real workers (TypeScript sources here, via tsx's loader; the last test
// runs the built dist/ module in a plain node process).
import { execFileSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { appendFileSync, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import {
  BATCH_BYTES,
  BatchOpener,
  BatchSealer,
  ChunkCipher,
  CryptoPool,
  INLINE_THRESHOLD,
  IntegrityError,
  TAG_LENGTH,
  cryptoThreads,
  decodeHeader,
  decryptBuffer,
  defaultCryptoPool,
  encryptBuffer,
  encryptBufferAsync,
  encryptToPartsAsync,
  objectContext,
} from '../../src/core/index.js';
import { MATERIAL_LENGTH } from '../../src/core/aead.js';
import { expectBytes, rawDek } from './helpers.js';

const dek = rawDek();
const ctx = objectContext('svc-1', 'pooled');
const pool = new CryptoPool({ threads: 2 });
afterAll(() => pool.close());

const C = 64 * 1024;
const objectId = Buffer.alloc(16, 7);

describe('crypto pool', () => {
  it('writes byte for byte what the inline path writes, around the threshold and batch edges', async () => {
    const sizes = [
      0,
      1,
      INLINE_THRESHOLD - 1,
      INLINE_THRESHOLD,
      INLINE_THRESHOLD + 1,
      2 * INLINE_THRESHOLD + C - 1,
      BATCH_BYTES - 1,
      BATCH_BYTES,
      BATCH_BYTES + 1,
      2 * BATCH_BYTES + C,
      4 * BATCH_BYTES + 17,
    ];
    const before = pool.batchesRun;
    for (const n of sizes) {
      const pt = randomBytes(n);
      const inline = encryptBuffer(pt, { dek, context: ctx, objectId });
      const pooled = await encryptBufferAsync(pt, { dek, context: ctx, objectId, pool });
      expectBytes(pooled, inline);
      expectBytes(
        Buffer.concat(await encryptToPartsAsync(pt, { dek, context: ctx, objectId, pool })),
        inline,
      );
      expectBytes(await decryptBuffer(pooled, { keys: dek, context: ctx, pool }), pt);
      expectBytes(await decryptBuffer(pooled, { keys: dek, context: ctx, pool: null }), pt);
    }
    // The sizes from the threshold up went through the workers.
    expect(pool.batchesRun - before).toBeGreaterThanOrEqual(16);
  });

  it('keeps small objects inline: no worker round trip below the threshold', async () => {
    const before = pool.batchesRun;
    const pt = randomBytes(INLINE_THRESHOLD - 1);
    const ct = await encryptBufferAsync(pt, { dek, context: ctx, pool });
    expectBytes(await decryptBuffer(ct, { keys: dek, context: ctx, pool }), pt);
    expect(pool.batchesRun).toBe(before);
  });

  it('property: batch sealer and opener round-trip any split into whole-chunk batches', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 0, max: 40 }), // whole chunks before the final batch
        fc.integer({ min: 0, max: 2000 }), // bytes in the final batch
        fc.integer({ min: 1, max: 9 }), // chunks per batch
        fc.integer({ min: 0, max: 2 }), // inlineBelow: 0 = all on workers
        fc.boolean(), // recycle: sealed in place in the pool's buffers
        async (chunks, tail, per, mode, recycle) => {
          const size = 1024;
          const inlineBelow = [0, 4 * size, Infinity][mode]!;
          if (chunks > 0 && tail === 0) tail = 1 + (per % size); // see the next test
          const pt = randomBytes(chunks * size + tail);
          const sealer = new BatchSealer({
            dek,
            context: ctx,
            chunkSize: size,
            objectId,
            pool,
            inlineBelow,
            recycle,
          });
          const jobs: Promise<Buffer[]>[] = [];
          let off = 0;
          while (chunks * size - off > 0) {
            const end = Math.min(off + per * size, chunks * size);
            jobs.push(sealer.sealBatch(pt.subarray(off, end)));
            off = end;
          }
          jobs.push(sealer.sealBatch(pt.subarray(off), true));
          const sealed = await Promise.all(jobs);
          const ct = Buffer.concat(sealed.flat());
          for (const parts of sealed) sealer.release(parts);
          expectBytes(ct, encryptBuffer(pt, { dek, context: ctx, chunkSize: size, objectId }));

          const opener = await BatchOpener.open(ct, { keys: dek, context: ctx, pool, inlineBelow });
          const stride = opener.stride;
          const opened: Promise<Buffer>[] = [];
          for (let s = opener.headerLength; ; s += per * stride) {
            const final = s + per * stride >= ct.length;
            opened.push(
              opener.openBatch(ct.subarray(s, final ? ct.length : s + per * stride), final),
            );
            if (final) break;
          }
          expectBytes(Buffer.concat(await Promise.all(opened)), pt);
        },
      ),
      { numRuns: 25 },
    );
  });

  it('seals in recycled shared slabs with recycle (the store put): same bytes, one buffer per batch, reused only after release', async () => {
    const pt = randomBytes(3 * BATCH_BYTES + 777);
    const inline = encryptBuffer(pt, { dek, context: ctx, objectId });
    // A pool of its own: no buffers recycled by other tests' batches.
    const own = new CryptoPool({ threads: 2 });
    const seal = async () => {
      const sealer = new BatchSealer({ dek, context: ctx, objectId, pool: own, recycle: true });
      const jobs: Promise<Buffer[]>[] = [];
      for (let off = 0; off < pt.length; off += BATCH_BYTES) {
        const end = Math.min(off + BATCH_BYTES, pt.length);
        jobs.push(sealer.sealBatch(pt.subarray(off, end), end === pt.length));
      }
      return { sealer, batches: await Promise.all(jobs) };
    };
    const first = await seal();
    expectBytes(Buffer.concat(first.batches.flat()), inline);
    // Header + one buffer for each of the three full batches; the short last one is inline.
    expect(first.batches.map((b) => b.length)).toEqual([2, 1, 1, 1]);
    const lent = first.batches.slice(0, 3).map((b) => b[b.length - 1]!);
    expect(own.buffersAllocated).toBe(3); // batches in flight never share memory
    // Not released: a second object gets buffers of its own and the first's stay intact.
    const second = await seal();
    expectBytes(Buffer.concat(second.batches.flat()), inline);
    expect(own.buffersAllocated).toBe(6);
    expectBytes(Buffer.concat(first.batches.flat()), inline);
    // Shared slabs: the workers wrote into them, nothing was transferred.
    expect(lent.every((b) => b.buffer instanceof SharedArrayBuffer)).toBe(true);
    // Released: the next object is sealed in those slabs, and nothing new is allocated.
    for (const b of [...first.batches, ...second.batches]) first.sealer.release(b);
    const third = await seal();
    expectBytes(Buffer.concat(third.batches.flat()), inline);
    expect(own.buffersAllocated).toBe(6);
    const reused = third.batches.slice(0, 3).map((b) => b[b.length - 1]!.buffer);
    const before = [...lent, ...second.batches.slice(0, 3).map((b) => b[b.length - 1]!)];
    expect(reused.every((ab) => before.some((b) => b.buffer === ab))).toBe(true);
    await own.close();
  });

  it('seals batches gathered in slab leases where they lie (the store put): same bytes, nothing of the plaintext left behind', async () => {
    const own = new CryptoPool({ threads: 2 });
    try {
      for (const [size, chunkSize] of [
        [3 * BATCH_BYTES + 777, undefined], // a short final batch, sealed inline from its lease
        [2 * BATCH_BYTES + 5 * C + 3, undefined], // a short final batch on a worker
        [2 * BATCH_BYTES, undefined],
        [BATCH_BYTES + 5, 3 * 1024], // chunks that do not divide a batch
      ] as const) {
        const pt = randomBytes(size);
        const inline = encryptBuffer(pt, { dek, context: ctx, objectId, chunkSize });
        const sealer = new BatchSealer({
          dek,
          context: ctx,
          objectId,
          chunkSize,
          pool: own,
          recycle: true,
          inlineBelow: size % BATCH_BYTES === 777 ? undefined : 0,
        });
        const unit = sealer.header.chunkSize;
        const batch = Math.floor(BATCH_BYTES / unit) * unit;
        const jobs: Promise<Buffer[]>[] = [];
        const slabs: SharedArrayBuffer[] = [];
        for (let off = 0; off < pt.length; off += batch) {
          const end = Math.min(off + batch, pt.length);
          const lease = sealer.lease()!;
          expect(lease.buffer).toBeInstanceOf(SharedArrayBuffer);
          // Gathered piece by piece, as the store's loop copies a socket's buffers.
          for (let at = off; at < end; at += 65_000) {
            lease.set(pt.subarray(at, Math.min(at + 65_000, end)), at - off);
          }
          slabs.push(lease.buffer as SharedArrayBuffer);
          jobs.push(sealer.sealBatch(lease.subarray(0, end - off), end === pt.length));
        }
        const batches = await Promise.all(jobs);
        expectBytes(Buffer.concat(batches.flat()), inline);
        // What stays in each slab is ciphertext and zeros: no stretch of the plaintext (probed
        // across the body and densely over the end of each batch, where a short batch's
        // plaintext reaches past its sealed bytes).
        const probes: number[] = [];
        for (let at = 0; at + 64 <= pt.length; at += 4093) probes.push(at);
        for (let end = batch; ; end += batch) {
          const last = Math.min(end, pt.length);
          for (let at = Math.max(0, last - 2048); at + 64 <= last; at += 61) probes.push(at);
          if (end >= pt.length) break;
        }
        for (const slab of slabs) {
          const mem = Buffer.from(slab);
          for (const at of probes) expect(mem.indexOf(pt.subarray(at, at + 64))).toBe(-1);
        }
        for (const b of batches) sealer.release(b);
      }
      // Chunks under 1 KiB: no lease (the tags would not fit before the batch); pieces as usual.
      const tiny = new BatchSealer({ dek, context: ctx, chunkSize: 512, pool: own, recycle: true });
      expect(tiny.lease()).toBeUndefined();
      // Without recycling, or without a pool, no lease either.
      expect(new BatchSealer({ dek, context: ctx, pool: own }).lease()).toBeUndefined();
      expect(
        new BatchSealer({ dek, context: ctx, pool: null, recycle: true }).lease(),
      ).toBeUndefined();
      // A lease given back unsealed is zeroed before it serves again.
      const sealer = new BatchSealer({ dek, context: ctx, pool: own, recycle: true });
      const lease = sealer.lease()!;
      lease.fill(0xa5);
      sealer.discard(lease);
      const again = own.slab(BATCH_BYTES);
      expect(again).toBe(lease.buffer);
      expect(Buffer.from(again).every((b) => b === 0)).toBe(true);
      sealer.close();
    } finally {
      await own.close();
    }
  });

  it('seals on recycled shared slabs (recycle): same bytes, SharedArrayBuffer parts, slabs reused only after release', async () => {
    const own = new CryptoPool({ threads: 2 });
    try {
      for (const [size, chunkSize] of [
        [INLINE_THRESHOLD, undefined],
        [3 * BATCH_BYTES + 777, undefined],
        [2 * BATCH_BYTES, undefined],
        [BATCH_BYTES + 5, 1000],
        [BATCH_BYTES + 3, 3 * 1024 * 1024],
      ] as const) {
        const pt = randomBytes(size);
        const inline = encryptBuffer(pt, { dek, context: ctx, objectId, chunkSize });
        const parts = await encryptToPartsAsync(pt, {
          dek,
          context: ctx,
          objectId,
          chunkSize,
          pool: own,
          recycle: true,
        });
        expectBytes(Buffer.concat(parts), inline);
        expect(parts.slice(1).every((p) => p.buffer instanceof SharedArrayBuffer)).toBe(true);
        expectBytes(await decryptBuffer(Buffer.concat(parts), { keys: dek, context: ctx }), pt);
        own.release(parts);
      }
      // Recycling: an object sealed twice without release takes new slabs and the first
      // object's bytes stay intact; after release the next object allocates nothing.
      const pt = randomBytes(4 * BATCH_BYTES);
      const inline = encryptBuffer(pt, { dek, context: ctx, objectId });
      const opts = { dek, context: ctx, objectId, pool: own, recycle: true };
      const a = await encryptToPartsAsync(pt, opts);
      const allocated = own.buffersAllocated;
      const b = await encryptToPartsAsync(pt, opts);
      expect(own.buffersAllocated).toBe(allocated + 4);
      expectBytes(Buffer.concat(a), inline);
      expectBytes(Buffer.concat(b), inline);
      own.release(a);
      own.release(b);
      const c = await encryptToPartsAsync(pt, opts);
      expectBytes(Buffer.concat(c), inline);
      expect(own.buffersAllocated).toBe(allocated + 4);
      // Parts not lent by the pool (the header, foreign buffers) are ignored by release().
      own.release([Buffer.alloc(8), Buffer.from(new SharedArrayBuffer(8))]);
    } finally {
      await own.close();
    }
  });

  it('shared-slab parts work with every consumer: fs write/writev, hashing, concat, HTTP', async () => {
    const pt = randomBytes(2 * BATCH_BYTES + 99);
    const inline = encryptBuffer(pt, { dek, context: ctx, objectId });
    const parts = await encryptToPartsAsync(pt, {
      dek,
      context: ctx,
      objectId,
      pool,
      recycle: true,
    });
    const dir = mkdtempSync(join(tmpdir(), 'cmek-slab-'));
    try {
      const f1 = join(dir, 'writev');
      const fh = await open(f1, 'w');
      await fh.writev(parts);
      await fh.close();
      expectBytes(readFileSync(f1), inline);
      const f2 = join(dir, 'write');
      for (const p of parts) appendFileSync(f2, p);
      expectBytes(readFileSync(f2), inline);
      const h = createHash('sha256');
      for (const p of parts) h.update(p);
      expect(h.digest('hex')).toBe(createHash('sha256').update(inline).digest('hex'));
      const server = createServer((_req, res) => {
        for (const p of parts) res.write(p);
        res.end();
      });
      await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
      try {
        const { port } = server.address() as AddressInfo;
        const got = Buffer.from(await (await fetch(`http://127.0.0.1:${port}/`)).arrayBuffer());
        expectBytes(got, inline);
      } finally {
        server.close();
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
      pool.release(parts);
    }
  });

  it('sealRunStrided writes the bytes sealRun writes, from contiguous or stored-position plaintext', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 5000 }),
        fc.integer({ min: 0, max: 20_000 }),
        fc.boolean(),
        fc.nat(40),
        (chunkSize, len, final, pad) => {
          const length = final ? len : len - (len % chunkSize);
          const material = Buffer.alloc(MATERIAL_LENGTH);
          for (let i = 0; i < material.length; i++) material[i] = (i * 5 + chunkSize) & 0xff;
          const [a, b, c] = [0, 1, 2].map(() => ChunkCipher.fromMaterial(material));
          const pt = randomBytes(length);
          const n = final ? Math.max(1, Math.ceil(length / chunkSize)) : length / chunkSize;
          const stride = chunkSize + TAG_LENGTH;
          const want = Buffer.alloc(length + n * TAG_LENGTH);
          a!.sealRun(pt, chunkSize, 9, final, want, 0);
          // Contiguous plaintext into a separate output at an offset.
          const out = Buffer.alloc(pad + want.length, 0xee);
          expect(b!.sealRunStrided(pt, 0, chunkSize, length, chunkSize, 9, final, out, pad)).toBe(
            want.length,
          );
          expectBytes(out.subarray(pad), want);
          // Plaintext already at its stored positions: sealed where it lies.
          const buf = Buffer.alloc(pad + want.length, 0xee);
          for (let i = 0; i * chunkSize < length; i++) {
            pt.copy(buf, pad + i * stride, i * chunkSize, Math.min((i + 1) * chunkSize, length));
          }
          c!.sealRunStrided(buf, pad, stride, length, chunkSize, 9, final, buf, pad);
          expectBytes(buf.subarray(pad), want);
          // Contiguous plaintext at the end of the output's own room (a shared slab): each
          // chunk's output ends before the next chunk's plaintext starts.
          const slab = Buffer.alloc(want.length, 0xee);
          pt.copy(slab, want.length - length);
          const d = ChunkCipher.fromMaterial(material);
          d.sealRunStrided(
            slab,
            want.length - length,
            chunkSize,
            length,
            chunkSize,
            9,
            final,
            slab,
            0,
          );
          expectBytes(slab, want);
        },
      ),
      { numRuns: 200 },
    );
  });

  it('opens a batch read into a leased pool buffer without copying it (the store get)', async () => {
    const own = new CryptoPool({ threads: 2 });
    const pt = randomBytes(3 * BATCH_BYTES + 999);
    const ct = encryptBuffer(pt, { dek, context: ctx, objectId });
    const read = async () => {
      const opener = await BatchOpener.open(ct, { keys: dek, context: ctx, pool: own });
      const step = (BATCH_BYTES / C) * opener.stride;
      const leases: Buffer[] = [];
      const jobs: Promise<Buffer[]>[] = [];
      for (let at = opener.headerLength; ; at += step) {
        const final = at + step >= ct.length;
        const n = (final ? ct.length : at + step) - at;
        const buf = opener.lease(n);
        ct.copy(buf, 0, at, at + n); // what the store's read() does
        leases.push(buf);
        jobs.push(opener.openBatchParts(buf, final));
        if (final) break;
      }
      expectBytes(Buffer.concat((await Promise.all(jobs)).flat()), pt);
      return leases;
    };
    const leases = await read();
    // The three full batches went to the workers as they were: their buffers are detached.
    expect(leases.map((b) => b.buffer.byteLength === 0)).toEqual([true, true, true, false]);
    const allocated = own.buffersAllocated;
    await read(); // the workers' buffers came back and serve the next object
    expect(own.buffersAllocated).toBe(allocated);
    await own.close();
  });

  it('refuses an empty final batch after whole chunks (the last chunk must carry the final flag)', async () => {
    const sealer = new BatchSealer({ dek, context: ctx, chunkSize: 1024, pool, inlineBelow: 0 });
    await sealer.sealBatch(randomBytes(2048));
    await expect(sealer.sealBatch(Buffer.alloc(0), true)).rejects.toThrow(/final batch is empty/);
    // An empty object is one empty final batch.
    const empty = new BatchSealer({ dek, context: ctx, objectId, pool, inlineBelow: 0 });
    const ct = Buffer.concat(await empty.sealBatch(Buffer.alloc(0), true));
    expectBytes(ct, encryptBuffer(Buffer.alloc(0), { dek, context: ctx, objectId }));
  });

  it('detects tampering, truncation and reordering through the workers', async () => {
    const pt = randomBytes(3 * BATCH_BYTES + 5000);
    const ct = await encryptBufferAsync(pt, { dek, context: ctx, pool });
    const hlen = decodeHeader(ct).length;
    const stride = C + TAG_LENGTH;
    const bad = (b: Buffer) => decryptBuffer(b, { keys: dek, context: ctx, pool });

    for (const at of [hlen + 10, hlen + 100 * stride + 3, ct.length - 1]) {
      const t = Buffer.from(ct);
      t[at]! ^= 1;
      await expect(bad(t)).rejects.toBeInstanceOf(IntegrityError);
    }
    // Truncated at a chunk boundary (the last chunk present was not sealed as final), and by
    // a few bytes.
    await expect(bad(ct.subarray(0, hlen + 64 * stride))).rejects.toMatchObject({
      reason: 'chunk',
    });
    await expect(bad(ct.subarray(0, ct.length - 3))).rejects.toBeInstanceOf(IntegrityError);
    // Two chunks swapped.
    const swapped = Buffer.from(ct);
    ct.copy(swapped, hlen + 5 * stride, hlen + 6 * stride, hlen + 7 * stride);
    ct.copy(swapped, hlen + 6 * stride, hlen + 5 * stride, hlen + 6 * stride);
    await expect(bad(swapped)).rejects.toMatchObject({ reason: 'chunk' });
    // Wrong context.
    await expect(
      decryptBuffer(ct, { keys: dek, context: objectContext('svc-1', 'other'), pool }),
    ).rejects.toBeInstanceOf(IntegrityError);
  });

  it('releases nothing from the first bad batch on, even batches that verified', async () => {
    const size = 1024;
    const pt = randomBytes(12 * size);
    const ct = encryptBuffer(pt, { dek, context: ctx, chunkSize: size });
    const opener = await BatchOpener.open(ct, { keys: dek, context: ctx, pool, inlineBelow: 0 });
    const stride = opener.stride;
    const h = opener.headerLength;
    const t = Buffer.from(ct);
    t[h + 4 * stride + 1]! ^= 1; // chunk 4: the second batch
    const batches = [0, 1, 2].map((b) =>
      opener.openBatch(
        t.subarray(h + b * 4 * stride, b === 2 ? t.length : h + (b + 1) * 4 * stride),
        b === 2,
      ),
    );
    const settled = await Promise.allSettled(batches);
    expect(settled[0]!.status).toBe('fulfilled');
    expect(settled[1]).toMatchObject({ status: 'rejected', reason: { reason: 'chunk' } });
    // The third batch verified on its worker, but comes after the failure: not released.
    expect(settled[2]).toMatchObject({ status: 'rejected', reason: { reason: 'chunk' } });
  });

  it('a worker that dies fails the batches in flight (no hang) and the pool recovers', async () => {
    const own = new CryptoPool({ threads: 2 });
    try {
      const pt = randomBytes(4 * BATCH_BYTES);
      const job = encryptToPartsAsync(pt, { dek, context: ctx, pool: own });
      const failed = expect(job).rejects.toThrow(/crypto worker thread stopped/);
      const workers = own.workers();
      expect(workers.length).toBeGreaterThan(0);
      await Promise.all(workers.map((w) => w.terminate()));
      await failed;
      // New workers start on the next use.
      const ct = await encryptBufferAsync(pt, { dek, context: ctx, objectId, pool: own });
      expectBytes(ct, encryptBuffer(pt, { dek, context: ctx, objectId }));
      // The same on shared slabs: the object fails (no hang) and the next one is sealed. The
      // workers are stopped as their first slab batch is posted (the main thread copies the
      // whole object before it awaits, so stopping them after the call would race the seal).
      for (const w of own.workers()) {
        const post = w.postMessage.bind(w);
        w.postMessage = (...args: Parameters<typeof w.postMessage>) => {
          void w.terminate();
          post(...args);
        };
      }
      const slabJob = encryptToPartsAsync(pt, { dek, context: ctx, pool: own, recycle: true });
      await expect(slabJob).rejects.toThrow(/crypto worker thread stopped/);
      const again = await encryptToPartsAsync(pt, {
        dek,
        context: ctx,
        objectId,
        pool: own,
        recycle: true,
      });
      expectBytes(Buffer.concat(again), encryptBuffer(pt, { dek, context: ctx, objectId }));
    } finally {
      await own.close();
    }
  });

  it('CMEK_CRYPTO_THREADS sets the size; 0 keeps everything inline', async () => {
    expect(cryptoThreads({ CMEK_CRYPTO_THREADS: '3' })).toBe(3);
    expect(cryptoThreads({ CMEK_CRYPTO_THREADS: '0' })).toBe(0);
    expect(cryptoThreads({})).toBeGreaterThanOrEqual(1);
    expect(() => cryptoThreads({ CMEK_CRYPTO_THREADS: 'two' })).toThrow(/CMEK_CRYPTO_THREADS/);
    expect(() => cryptoThreads({ CMEK_CRYPTO_THREADS: '-1' })).toThrow(/whole number/);

    const saved = process.env.CMEK_CRYPTO_THREADS;
    process.env.CMEK_CRYPTO_THREADS = '0';
    try {
      expect(defaultCryptoPool()).toBeUndefined();
      const pt = randomBytes(2 * BATCH_BYTES + 1);
      const ct = await encryptBufferAsync(pt, { dek, context: ctx, objectId });
      expectBytes(ct, encryptBuffer(pt, { dek, context: ctx, objectId }));
      expectBytes(await decryptBuffer(ct, { keys: dek, context: ctx }), pt);
    } finally {
      if (saved === undefined) delete process.env.CMEK_CRYPTO_THREADS;
      else process.env.CMEK_CRYPTO_THREADS = saved;
    }
  });

  it('runs from the built dist/ (plain node, .js worker beside the module)', () => {
    const root = fileURLToPath(new URL('../../', import.meta.url));
    const built = `${root}dist/core/pool.js`;
    expect(existsSync(built), 'run `npm run build` first').toBe(true);
    const script = `
      import { CryptoPool, encryptBufferAsync, encryptToPartsAsync, encryptBuffer, decryptBuffer, SecretKey } from '${root}dist/core/index.js';
      const dek = { ref: { id: 'k1', generation: 1 }, key: new SecretKey(Buffer.alloc(32, 0x42)) };
      const context = { 'cmek:service-id': 's', 'cmek:object': 'o' };
      const pool = new CryptoPool({ threads: 2 });
      const pt = Buffer.alloc(${2 * BATCH_BYTES + 3}, 9);
      const objectId = Buffer.alloc(16, 1);
      const ct = await encryptBufferAsync(pt, { dek, context, objectId, pool });
      const same = ct.equals(encryptBuffer(pt, { dek, context, objectId }));
      const back = (await decryptBuffer(ct, { keys: dek, context, pool })).equals(pt);
      const slabs = await encryptToPartsAsync(pt, { dek, context, objectId, pool, recycle: true });
      const shared = Buffer.concat(slabs).equals(ct) && slabs[1].buffer instanceof SharedArrayBuffer;
      pool.release(slabs);
      console.log(JSON.stringify({ same, back, shared, batches: pool.batchesRun }));
      await pool.close();
    `;
    const out = execFileSync(process.execPath, ['--input-type=module', '-e', script], {
      encoding: 'utf8',
      timeout: 60_000,
    });
    const r = JSON.parse(out.trim()) as {
      same: boolean;
      back: boolean;
      shared: boolean;
      batches: number;
    };
    expect(r).toMatchObject({ same: true, back: true, shared: true });
    expect(r.batches).toBeGreaterThanOrEqual(4);
  });
});
