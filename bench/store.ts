// Object-store benchmarks (docs/contract.md, Performance), on the real local KMS and a temp
// data directory:
// - kms_calls_per_1000_puts: KMS calls while a fresh control plane (cold key cache) writes 1,000
//   objects to one service. Baseline 1,000 = one call per object, the naive envelope scheme.
// - store_put_vs_plain / store_get_vs_plain: seconds to put/get one 256 MiB object (64 MiB with
//   --quick) through the store, encrypted vs the same store with an identity codec (same files,
//   trailer, temp+fsync+rename, streams): the ratio is the cost of encryption alone.
// - replica_put_vs_put: seconds to put one 64 MiB object to a service with one same-region
//   replica vs one without (both encrypted, same store). The replica's copy is its primary's
//   ciphertext (data key re-wrapped, body copied byte for byte; docs/core.md "Replicas copy
//   ciphertext"), written in the put's own loop: the ratio is what the second file's writes and
//   fsync add, not a second encryption. Notes: the copy-after-put path, and the disk's own
//   cost of two files vs one.
// - rotation_1gib_vs_1mib: seconds to rotate a service holding 1 GiB (256 MiB with --quick) to
//   another KMS key vs one holding 1 MiB (live check of the new key + re-wrap of the service
//   key + record writes). Rotation never touches objects, so the ratio should be about 1.
import { mkdtemp, open, rm } from 'node:fs/promises';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { randomBytes } from 'node:crypto';
import { openLocalKms } from '../src/kms/local/index.js';
import type { Kms } from '../src/kms/types.js';
import { openControlPlane } from '../src/service/control-plane.js';
import { identityCodec } from '../src/service/object-codec.js';
import { ObjectStore } from '../src/service/objects.js';
import { ObjectOpener, ObjectSealer, objectContext } from '../src/core/index.js';
import {
  body,
  measure,
  measurePair,
  result,
  type BenchOptions,
  type BenchResult,
  type Measurement,
} from './lib.js';

/** Counts every KMS call made through it. */
function counting(kms: Kms): { kms: Kms; calls: () => number } {
  let n = 0;
  const wrapped = new Proxy(kms, {
    get(target, prop, receiver) {
      const v = Reflect.get(target, prop, receiver) as unknown;
      if (typeof v !== 'function') return v;
      return (...args: unknown[]) => {
        n++;
        return (v as (...a: unknown[]) => unknown).apply(target, args);
      };
    },
  });
  return { kms: wrapped, calls: () => n };
}

/** Writes `bytes` (in 4 MiB writes of `piece`'s bytes) to `files` new files at once, fsyncs
 * them, and removes them: what the disk alone costs for a put and its replicas. */
async function diskWrite(dir: string, files: number, bytes: number, piece: Buffer): Promise<void> {
  const block = Buffer.alloc(4 << 20);
  for (let off = 0; off < block.length; off += piece.length) piece.copy(block, off);
  await Promise.all(
    Array.from({ length: files }, async (_, i) => {
      const path = join(dir, `disk-${i}.tmp`);
      const fh = await open(path, 'w');
      try {
        for (let off = 0; off < bytes; off += block.length) {
          await fh.write(block, 0, Math.min(block.length, bytes - off), off);
        }
        await fh.sync();
      } finally {
        await fh.close();
      }
      await rm(path);
    }),
  );
}

/** The baseline codec: bodies pass through unchanged, through the same put/get loops as the
 * envelope codec, so the ratio is the cost of the cipher alone. */
const plainCodec = identityCodec;

const sink = () =>
  new Writable({
    write(_c, _e, cb) {
      cb();
    },
  });

export async function run(opts: BenchOptions): Promise<BenchResult[]> {
  const dir = await mkdtemp(join(tmpdir(), 'cmek-bench-store-'));
  try {
    const local = openLocalKms({ dir: join(dir, 'kms') });
    const admin = local.admin();
    const key = await admin.createKey({ region: 'eu-west-1', description: 'bench' });
    const setup = await openControlPlane({ dataDir: join(dir, 'data'), kms: admin });
    const svc = await setup.create({ name: 'bench', region: 'eu-west-1', kmsKey: key.arn });

    // 1) KMS calls for 1,000 puts from a cold cache, 8 writers in parallel (single flight).
    const counted = counting(admin);
    const cold = await openControlPlane({
      dataDir: join(dir, 'data'),
      kms: counted.kms,
      durable: false, // the count does not depend on fsync; keeps the bench short
    });
    const small = Buffer.from('x'.repeat(100));
    await Promise.all(
      Array.from({ length: 8 }, async (_, w) => {
        for (let i = w; i < 1000; i += 8) await cold.objects.put(svc.id, `k/${i}`, small);
      }),
    );
    const calls = counted.calls();

    // 2) put/get of one large object, encrypted vs plain, interleaved.
    const size = (opts.quick ? 64 : 256) * 1024 * 1024;
    const piece = randomBytes(1024 * 1024);
    const cp = await openControlPlane({ dataDir: join(dir, 'data'), kms: admin });
    const plain = new ObjectStore(cp, plainCodec);
    const runs = opts.quick ? 3 : 5;
    const [encPut, plainPut] = await measurePair(
      () => cp.objects.put(svc.id, 'big', body(size, piece)),
      () => plain.put(svc.id, 'big-plain', body(size, piece)),
      { runs, warmup: 1 },
    );
    // The identity codec through the old stream path (a codec without sealer/opener: a stream
    // pipeline into fs.WriteStream / from fs.ReadStream), as a second, independent baseline: if
    // the loops made the plain store slower, the reported ratio would flatter the cipher; this note
    // shows it.
    const streamPlain = new ObjectStore(cp, {
      encryptor: plainCodec.encryptor,
      decryptor: plainCodec.decryptor,
      rangeReader: plainCodec.rangeReader,
    });
    const [loopPut, streamPut] = await measurePair(
      () => plain.put(svc.id, 'big-plain', body(size, piece)),
      () => streamPlain.put(svc.id, 'big-plain-stream', body(size, piece)),
      { runs, warmup: 1 },
    );
    const [encGet, plainGet] = await measurePair(
      async () => pipeline(await cp.objects.get(svc.id, 'big'), sink()),
      async () => pipeline(await plain.get(svc.id, 'big-plain'), sink()),
      { runs, warmup: 1 },
    );
    // Where the encrypted path's extra time goes: the cipher alone over the same bytes in the
    // same 1 MiB pieces (no file, no stream), on the main thread as in the store. With the
    // cipher perfectly overlapped with the I/O (which runs on libuv's thread pool), encrypted
    // put/get cannot beat max(plain, cipher); done one after the other they cost plain + cipher.
    const keySet = cp.keys.open(cp.kmsFor(svc), await cp.readKeyRecord(svc.id));
    const dek = await keySet.primaryDek();
    const context = objectContext(svc.id, 'big');
    let stored: Buffer[] = [];
    const sealOnly = await measure(
      () => {
        const s = new ObjectSealer({ dek, context });
        const out: Buffer[] = [];
        for (let off = 0; off < size; off += piece.length) out.push(...s.update(piece));
        out.push(...s.final());
        stored = out;
      },
      { runs, warmup: 1 },
    );
    const storedBatches: Buffer[] = [];
    {
      const all = Buffer.concat(stored);
      for (let off = 0; off < all.length; off += piece.length) {
        storedBatches.push(all.subarray(off, off + piece.length));
      }
    }
    const [loopGet, streamGet] = await measurePair(
      async () => pipeline(await plain.get(svc.id, 'big-plain'), sink()),
      async () => pipeline(await streamPlain.get(svc.id, 'big-plain-stream'), sink()),
      { runs, warmup: 1 },
    );
    const openOnly = await measure(
      async () => {
        const o = new ObjectOpener({ keys: keySet, context });
        for (const b of storedBatches) await o.update(b);
        await o.final();
      },
      { runs, warmup: 1 },
    );
    const cores = availableParallelism();
    const breakdown = (plain: Measurement, cipherS: number, enc: Measurement) => ({
      cipher_only_ms: Math.round(cipherS * 1000),
      plain_ms: Math.round(plain.seconds * 1000),
      encrypted_ms: Math.round(enc.seconds * 1000),
      // Process CPU (every thread: main, crypto workers, libuv's I/O threads) per operation.
      plain_cpu_ms: Math.round((plain.cpuSeconds ?? 0) * 1000),
      encrypted_cpu_ms: Math.round((enc.cpuSeconds ?? 0) * 1000),
      // The encrypted side cannot take less wall time than its CPU spread over every core: this
      // ratio is the floor of the row whatever the scheduling (above 1.10, the goal needs less
      // CPU per byte, not better overlap; docs/core.md "Latest figures").
      cpu_floor_ratio: Number(((enc.cpuSeconds ?? 0) / cores / plain.seconds).toFixed(2)),
      // The floor of any implementation: the plain path's own CPU plus the cipher's, spread over
      // every core with no overhead at all, or the plain wall time if that is longer. Above
      // 1.10, no change to the loops can meet the goal on this machine.
      any_implementation_floor_ratio: Number(
        (
          Math.max(plain.seconds, ((plain.cpuSeconds ?? 0) + cipherS) / cores) / plain.seconds
        ).toFixed(2),
      ),
      // With the cipher perfectly overlapped with the plain path's work on idle cores.
      best_possible_ratio: Number((Math.max(plain.seconds, cipherS) / plain.seconds).toFixed(2)),
      serial_ratio: Number(((plain.seconds + cipherS) / plain.seconds).toFixed(2)),
    });

    // 2b) a put fanned out to one same-region replica vs a put to a service without replicas.
    const replicated = await cp.create({ name: 'repl', region: 'eu-west-1', kmsKey: key.arn });
    await cp.lifecycle.createReplica({
      primary: replicated.id,
      name: 'repl-same',
      region: 'eu-west-1',
    });
    const replMib = 64;
    const replSize = replMib * 1024 * 1024;
    const [replPut, lonePut] = await measurePair(
      () => cp.objects.put(replicated.id, 'big', body(replSize, piece)),
      () => cp.objects.put(svc.id, 'big-lone', body(replSize, piece)),
      { runs, warmup: 1 },
    );
    // Where the replicated put's time goes. (a) The same put with the replica copied after it
    // (read back, written, fsynced: the path a put takes for a replica it cannot write in its
    // own loop), same store. (b) The disk alone: 64 MiB written in 4 MiB writes and fsynced to
    // two files at once vs one file. A replica is a second copy of the bytes, so (b) is the
    // floor of replica_put_vs_put on this disk when the put itself is bound by the disk.
    const mirrorsOf = cp.objects.hooks.mirrorsOf;
    const [afterPut] = await measurePair(
      async () => {
        cp.objects.hooks.mirrorsOf = undefined;
        try {
          await cp.objects.put(replicated.id, 'big', body(replSize, piece));
        } finally {
          cp.objects.hooks.mirrorsOf = mirrorsOf;
        }
      },
      () => cp.objects.put(svc.id, 'big-lone', body(replSize, piece)),
      { runs, warmup: 1 },
    );
    const [twoFiles, oneFile] = await measurePair(
      () => diskWrite(dir, 2, replSize, piece),
      () => diskWrite(dir, 1, replSize, piece),
      { runs, warmup: 1 },
    );

    // 3) rotation of a big vs a tiny service, alternating between two keys.
    const key2 = await admin.createKey({ region: 'eu-west-1', description: 'bench 2' });
    const fast = await openControlPlane({ dataDir: join(dir, 'data'), kms: admin, durable: false });
    const bigSvc = await fast.create({ name: 'rot-big', region: 'eu-west-1', kmsKey: key.arn });
    const tinySvc = await fast.create({ name: 'rot-tiny', region: 'eu-west-1', kmsKey: key.arn });
    const bigBytes = (opts.quick ? 256 : 1024) * 1024 * 1024;
    const parts = 16;
    for (let i = 0; i < parts; i++) {
      await fast.objects.put(bigSvc.id, `part-${i}`, body(bigBytes / parts, piece));
    }
    await fast.objects.put(tinySvc.id, 'part-0', body(1024 * 1024, piece));
    const flip = (id: string) => {
      let n = 0;
      return async () => {
        await fast.update(id, { kmsKey: n++ % 2 ? key.arn : key2.arn });
      };
    };
    const [rotBig, rotTiny] = await measurePair(flip(bigSvc.id), flip(tinySvc.id), {
      runs: opts.quick ? 5 : 9,
      warmup: 1,
    });

    const mib = size / 1024 / 1024;
    return [
      result('kms_calls_per_1000_puts', calls, 'calls', 1000),
      result('store_put_vs_plain', encPut.seconds, 's', plainPut.seconds, {
        mib,
        encrypted_mib_s: Math.round(mib / encPut.seconds),
        plain_mib_s: Math.round(mib / plainPut.seconds),
        ...breakdown(plainPut, sealOnly.seconds, encPut),
        plain_loop_vs_plain_stream_path: Number((loopPut.seconds / streamPut.seconds).toFixed(2)),
      }),
      result('store_get_vs_plain', encGet.seconds, 's', plainGet.seconds, {
        mib,
        encrypted_mib_s: Math.round(mib / encGet.seconds),
        plain_mib_s: Math.round(mib / plainGet.seconds),
        ...breakdown(plainGet, openOnly.seconds, encGet),
        plain_loop_vs_plain_stream_path: Number((loopGet.seconds / streamGet.seconds).toFixed(2)),
      }),
      result('replica_put_vs_put', replPut.seconds, 's', lonePut.seconds, {
        mib: replMib,
        replicated_ms: Math.round(replPut.seconds * 1000),
        alone_ms: Math.round(lonePut.seconds * 1000),
        copied_after_put_ms: Math.round(afterPut.seconds * 1000),
        disk_two_files_vs_one: Number((twoFiles.seconds / oneFile.seconds).toFixed(2)),
      }),
      result('rotation_1gib_vs_1mib', rotBig.seconds, 's', rotTiny.seconds, {
        big_mib: bigBytes / 1024 / 1024,
        big_ms: Math.round(rotBig.seconds * 1000),
        tiny_ms: Math.round(rotTiny.seconds * 1000),
      }),
    ];
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
