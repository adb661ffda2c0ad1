// The object store's put/get loops (batched writev with writes in flight, read-ahead, recycled
// read buffers) are the data path the bench measures. These tests pin that the loops move
// exactly the bytes, for every body shape and batch boundary, through both the identity codec
// the bench uses as its baseline and the envelope codec, and that failures leave nothing behind.
import { randomBytes } from 'node:crypto';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MemoryKms } from '../../src/kms/memory.js';
import { openControlPlane } from '../../src/service/control-plane.js';
import { identityCodec } from '../../src/service/object-codec.js';
import { ObjectStore } from '../../src/service/objects.js';

let dir: string;
let cp: Awaited<ReturnType<typeof openControlPlane>>;
let svcId: string;
let plain: ObjectStore;

/** The bench's baseline: bodies as they are, through the same loops. */
const identity = identityCodec;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'cmek-perf-loops-'));
  const kms = new MemoryKms({ region: 'eu-west-1' });
  const key = kms.createKey({ description: 'loops' });
  cp = await openControlPlane({ dataDir: join(dir, 'data'), kms, durable: false });
  svcId = (await cp.create({ name: 'loops', region: 'eu-west-1', kmsKey: key.arn })).id;
  plain = new ObjectStore(cp, identity, { durable: false });
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** `total` bytes of `data` as a stream of pieces of the given sizes (cycled). */
function pieces(data: Buffer, sizes: number[]): Readable {
  let off = 0;
  let i = 0;
  return new Readable({
    read() {
      if (off >= data.length) return this.push(null);
      const n = Math.min(sizes[i++ % sizes.length]!, data.length - off);
      this.push(data.subarray(off, off + n));
      off += n;
    },
  });
}

const MiB = 1024 * 1024;
// Around the loops' batch sizes (1 MiB reads, 2 MiB writes) and the 64 KiB chunk.
const SIZES = [0, 1, 65_536, 65_537, MiB - 1, MiB, MiB + 17, 2 * MiB, 5 * MiB + 3];

describe('store put/get loops', () => {
  for (const [label, store] of [
    ['identity codec', () => plain],
    ['envelope codec', () => cp.objects],
  ] as const) {
    it(`${label}: exact bytes for every size and body shape`, async () => {
      for (const n of SIZES) {
        const data = randomBytes(n);
        const s = store();
        await s.put(svcId, `buf-${n}`, data);
        expect((await s.getBuffer(svcId, `buf-${n}`)).equals(data)).toBe(true);
        await s.put(svcId, `odd-${n}`, pieces(data, [1000, 70_000, 3 * MiB]));
        expect((await s.getBuffer(svcId, `odd-${n}`)).equals(data)).toBe(true);
        // A range read goes through the random-access path; it must agree with the loops.
        const from = Math.floor(n / 3);
        const part = await s.getBuffer(svcId, `odd-${n}`, { start: from, end: from + 100 });
        expect(part.equals(data.subarray(from, from + 100))).toBe(true);
      }
      const text = 'héllo '.repeat(50_000);
      await store().put(svcId, 'text', text);
      expect((await store().getBuffer(svcId, 'text')).toString('utf8')).toBe(text);
    });
  }

  it('a body that fails mid-way leaves the previous version and no temp file', async () => {
    const first = randomBytes(3 * MiB);
    await cp.objects.put(svcId, 'atomic', first);
    let sent = 0;
    const failing = new Readable({
      read() {
        if (sent++ < 3) this.push(randomBytes(MiB));
        else this.destroy(new Error('source broke'));
      },
    });
    await expect(cp.objects.put(svcId, 'atomic', failing)).rejects.toThrow('source broke');
    expect((await cp.objects.getBuffer(svcId, 'atomic')).equals(first)).toBe(true);
    const files = await readdir(cp.objects.partialDirOf(svcId));
    expect(files.filter((f) => f.endsWith('.tmp'))).toEqual([]);
  });

  it('a source that pushes several chunks per read, or is destroyed early, is read chunk by chunk', async () => {
    // put() reads a stream in flowing mode (one chunk per 'data' event) rather than with
    // `for await`, whose read() joins everything buffered into a new buffer.
    const data = randomBytes(9 * MiB + 5);
    let off = 0;
    const bursty = new Readable({
      highWaterMark: 4 * MiB,
      read() {
        for (let k = 0; k < 3 && off < data.length; k++) {
          const n = Math.min(700_001, data.length - off);
          this.push(data.subarray(off, off + n));
          off += n;
        }
        if (off >= data.length) this.push(null);
      },
    });
    await cp.objects.put(svcId, 'bursty', bursty);
    expect((await cp.objects.getBuffer(svcId, 'bursty')).equals(data)).toBe(true);
    // Destroyed without an error before its end: the put fails, the previous version stays.
    let sent = 0;
    const cut = new Readable({
      read() {
        if (sent++ < 2) this.push(randomBytes(MiB));
        else this.destroy();
      },
    });
    await expect(cp.objects.put(svcId, 'bursty', cut)).rejects.toThrow(/closed before its end/);
    expect((await cp.objects.getBuffer(svcId, 'bursty')).equals(data)).toBe(true);
    const files = await readdir(cp.objects.partialDirOf(svcId));
    expect(files.filter((f) => f.endsWith('.tmp'))).toEqual([]);
  });

  it('a sealer that throws mid-way fails the put cleanly', async () => {
    let calls = 0;
    const breaking = new ObjectStore(
      cp,
      {
        ...identity,
        sealer: async () => ({
          batchUnit: 1,
          seal: async (pieces) => {
            if (++calls === 2) throw new Error('sealer broke');
            return [...pieces];
          },
          close: () => undefined,
        }),
      },
      { durable: false },
    );
    await expect(breaking.put(svcId, 'broken', randomBytes(6 * MiB))).rejects.toThrow(
      'sealer broke',
    );
    await expect(breaking.getBuffer(svcId, 'broken')).rejects.toThrow(/No object/);
    const files = await readdir(cp.objects.partialDirOf(svcId));
    expect(files.filter((f) => f.endsWith('.tmp'))).toEqual([]);
  });

  it('a tampered body errors the get stream with CMEK_INTEGRITY after authentic data only', async () => {
    const data = randomBytes(3 * MiB);
    await cp.objects.put(svcId, 'tamper', data);
    const path = cp.objects.pathOf(svcId, 'tamper');
    const { open } = await import('node:fs/promises');
    const fh = await open(path, 'r+');
    const b = Buffer.alloc(1);
    const at = 2 * MiB + 12_345; // in the third read batch
    await fh.read(b, 0, 1, at);
    b[0] = b[0]! ^ 1;
    await fh.write(b, 0, 1, at);
    await fh.close();
    const stream = await cp.objects.get(svcId, 'tamper');
    const got: Buffer[] = [];
    const err = await (async () => {
      try {
        for await (const c of stream) got.push(c as Buffer);
      } catch (e) {
        return e;
      }
      return undefined;
    })();
    expect(err).toBeDefined();
    expect(JSON.stringify((err as { diagnostics?: unknown }).diagnostics)).toContain(
      'CMEK_INTEGRITY',
    );
    const out = Buffer.concat(got);
    // Whatever came out is a prefix of the plaintext and stops before the damaged chunk.
    expect(out.equals(data.subarray(0, out.length))).toBe(true);
    expect(out.length).toBeLessThan(at);
  });
});

describe('durable put (fsync on), larger than the incremental-sync interval', () => {
  it('syncs while writing and still stores exactly the bytes, with no temp file left', async () => {
    const durableDir = await mkdtemp(join(tmpdir(), 'cmek-perf-durable-'));
    try {
      const kms = new MemoryKms({ region: 'eu-west-1' });
      const key = kms.createKey({ description: 'durable' });
      const dcp = await openControlPlane({ dataDir: join(durableDir, 'data'), kms });
      const svc = await dcp.create({ name: 'durable', region: 'eu-west-1', kmsKey: key.arn });
      // 40 MiB: more than two 16 MiB sync intervals, in odd-sized pieces.
      const data = randomBytes(40 * MiB + 5);
      await dcp.objects.put(svc.id, 'big', pieces(data, [3 * MiB + 1, 700_001]));
      expect((await dcp.objects.getBuffer(svc.id, 'big')).equals(data)).toBe(true);
      const files = await readdir(dcp.objects.partialDirOf(svc.id));
      expect(files.filter((f) => f.endsWith('.tmp'))).toEqual([]);
    } finally {
      await rm(durableDir, { recursive: true, force: true });
    }
  });
});
