// put()'s write loop: the body is cut into batches of whole chunks (4 MiB), each sealed by the
// codec (on the crypto pool's worker threads from 4 MiB on, see docs/core.md "Crypto pool"), and
// the sealed parts go to the file with one writev per batch. The next batch is handed to the
// sealer before the previous batch's write is awaited, so a worker seals while libuv's thread
// pool writes and the main thread reads the body. No stream layers on this path: they cost more
// than the cipher (docs/core.md, "Performance").
//
// A put to a service with replicas writes each replica's file in the same loop (MirrorFile):
// every sealed batch to every file, one fsync each at the end, all together. The files share
// each batch's buffers (each has at most WRITE_DEPTH writes in flight, all of the last two
// batches), so the memory bound below does not grow with the replicas.
//
// With the crypto pool, the body's pieces are copied as they arrive into the batch being
// gathered, a slab of the pool's shared memory lent by the sealer, which a worker then seals
// where it lies: one copy of each byte on the main thread, and the body's own buffers (a
// socket's 64 KiB reads) can be collected at once instead of living until their batch is full.
//
// Memory: the batch being gathered and one held batch (slab leases, or views of the body's own
// pieces without a pool), SEAL_DEPTH batches being sealed (in their slabs; a copy of the input
// plus the output without one) and WRITE_DEPTH sealed batches being written, each ≤ WRITE_BATCH
// plus tags: ≈ 2 × 4 + 2 × 4 + 2 × 4 = 24 MiB per put (28 without shared slabs), whatever the
// object size.
import { createWriteStream, promises as fsp } from 'node:fs';
import { Readable, Transform, type TransformCallback } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { BatchBodySealer } from './object-codec.js';
import { encodeTrailer, type ObjectInfo } from './object-format.js';

/** Plaintext bytes per sealed batch and per writev (rounded down to whole chunks). Measured
 * (docs/core.md, "Performance"): 2 MiB batches made the plain loop slower than a stream
 * pipeline, 4 MiB matched it, and 4 MiB is the crypto pool's batch. */
export const WRITE_BATCH = 4 << 20;
/** Pieces the body is cut into on the way in (views, no copy). */
const PIECE = 1 << 20;
/** Batches handed to the sealer and not yet written. */
const SEAL_DEPTH = 2;
/** writev calls in flight. */
const WRITE_DEPTH = 2;
/** Durable puts start an fdatasync after every this many bytes written. */
const SYNC_EVERY = 16 << 20;
/** Parts per writev (Linux IOV_MAX is 1024). */
const MAX_PARTS = 512;

const noop = (): void => undefined;

/** Writes every byte of `parts` at `position` (writev may write less than asked). */
async function writeAll(fh: fsp.FileHandle, parts: Buffer[], position: number): Promise<void> {
  let total = 0;
  for (const p of parts) total += p.length;
  while (total > 0) {
    const { bytesWritten } = await fh.writev(parts, position);
    if (bytesWritten <= 0) throw new Error('writev wrote nothing');
    if (bytesWritten === total) return;
    total -= bytesWritten;
    position += bytesWritten;
    let skip = bytesWritten;
    while (skip > 0 && parts.length > 0) {
      const first = parts[0]!;
      if (first.length <= skip) {
        skip -= first.length;
        parts = parts.slice(1);
      } else {
        parts = [first.subarray(skip), ...parts.slice(1)];
        skip = 0;
      }
    }
  }
}

/** A Readable's chunks one at a time, as they were pushed. Not `for await` over the stream: its
 * iterator calls read(), which in paused mode joins everything buffered into one new buffer (a
 * copy of the whole body, in fresh memory, whenever the source pushes more than one chunk per
 * read; measured in the bench's put as the largest main-thread cost after the cipher). In
 * flowing mode a stream hands over one buffered chunk per 'data' event, so nothing is joined.
 * At most two chunks wait here: the stream is paused beyond that. */
async function* chunksOf(stream: Readable): AsyncGenerator<Buffer | string> {
  const queue: Array<Buffer | string> = [];
  let ended = false;
  let failed: Error | undefined;
  let wake: (() => void) | undefined;
  const notify = () => {
    const w = wake;
    wake = undefined;
    w?.();
  };
  const onData = (c: Buffer | string) => {
    queue.push(c);
    if (queue.length >= 2) stream.pause();
    notify();
  };
  const onEnd = () => {
    ended = true;
    notify();
  };
  const onError = (e: Error) => {
    failed = e;
    notify();
  };
  stream.on('data', onData);
  stream.once('end', onEnd);
  stream.once('error', onError);
  stream.once('close', onEnd);
  // Destroyed before the put got to it (a client gone while the put waited for its key): its
  // 'error' and 'close' are past and will not come again.
  if (stream.destroyed) {
    ended = true;
    failed = (stream.errored as Error | null) ?? undefined;
  }
  try {
    for (;;) {
      if (queue.length > 0) {
        const c = queue.shift()!;
        if (queue.length < 2 && stream.isPaused()) stream.resume();
        yield c;
      } else if (failed) {
        throw failed;
      } else if (ended) {
        // 'close' without 'end': the source was destroyed before its end.
        if (!stream.readableEnded) throw new Error('the body stream closed before its end');
        return;
      } else {
        await new Promise<void>((resolve) => (wake = resolve));
      }
    }
  } finally {
    stream.off('data', onData);
    stream.off('end', onEnd);
    stream.off('error', onError);
    stream.off('close', onEnd);
    if (!stream.readableEnded) stream.destroy();
  }
}

/** The body as Buffers of at most PIECE bytes (views, no copy). */
async function* bodyPieces(body: Readable | Uint8Array | string): AsyncGenerator<Buffer> {
  const split = function* (b: Buffer): Generator<Buffer> {
    if (b.length <= PIECE) yield b;
    else for (let off = 0; off < b.length; off += PIECE) yield b.subarray(off, off + PIECE);
  };
  if (typeof body === 'string') yield* split(Buffer.from(body, 'utf8'));
  else if (!(body instanceof Readable)) {
    yield* split(Buffer.from(body.buffer, body.byteOffset, body.byteLength));
  } else {
    for await (const c of chunksOf(body)) {
      yield* split(typeof c === 'string' ? Buffer.from(c, 'utf8') : c);
    }
  }
}

/** Sequential writes at increasing positions, up to WRITE_DEPTH in flight, with an fdatasync
 * started every SYNC_EVERY bytes when durable (so the disk works while the loop goes on and the
 * final fsync finds little left to do). */
class WriteQueue {
  readonly #fh: fsp.FileHandle;
  readonly #durable: boolean;
  readonly #inflight: Promise<void>[] = [];
  #position = 0;
  #syncedUpTo = 0;
  #syncing: Promise<void> | undefined;

  constructor(fh: fsp.FileHandle, durable: boolean) {
    this.#fh = fh;
    this.#durable = durable;
  }

  /** Queues `parts` for writing; `done(true)` runs once all of them are on the file,
   * `done(false)` if any of their writes failed. */
  async add(parts: Buffer[], done?: (ok: boolean) => void): Promise<void> {
    const groups: Promise<void>[] = [];
    for (let i = 0; i < parts.length; i += MAX_PARTS) {
      const group = parts.length <= MAX_PARTS ? parts : parts.slice(i, i + MAX_PARTS);
      while (this.#inflight.length >= WRITE_DEPTH) await this.#inflight.shift();
      let bytes = 0;
      for (const p of group) bytes += p.length;
      if (bytes === 0) continue;
      const write = writeAll(this.#fh, group, this.#position);
      write.catch(noop); // awaited (its error raised) later
      this.#inflight.push(write);
      groups.push(write);
      this.#position += bytes;
      if (this.#durable && !this.#syncing && this.#position - this.#syncedUpTo >= SYNC_EVERY) {
        const upTo = this.#position;
        this.#syncing = write
          .then(() => this.#fh.datasync())
          .then(() => {
            this.#syncedUpTo = upTo;
            this.#syncing = undefined;
          });
        this.#syncing.catch(noop);
      }
    }
    if (done) {
      Promise.all(groups).then(
        () => done(true),
        () => done(false),
      );
    }
  }

  /** Waits until at most `n` writes are in flight. */
  async drain(n: number): Promise<void> {
    while (this.#inflight.length > n) await this.#inflight.shift();
  }

  /** Every write done (errors raised), then fsync when durable. */
  async finish(): Promise<void> {
    while (this.#inflight.length > 0) await this.#inflight.shift();
    if (this.#syncing) await this.#syncing;
    if (this.#durable) await this.#fh.sync();
  }

  /** Waits for whatever is in flight, ignoring errors (before closing the file on failure). */
  async settle(): Promise<void> {
    for (const w of this.#inflight.splice(0)) await w.catch(noop);
    await this.#syncing?.catch(noop);
  }
}

/** A second file put() writes in the same loop as the object's own: a replica's copy of the
 * ciphertext (docs/core.md, "Replicas copy ciphertext"). Every sealed batch goes to both files;
 * each gets its own trailer (`lineage`: the service the body stays bound to) and fsync. A
 * mirror whose file fails is dropped (`failed` holds why, its temp file is removed) and the
 * object's own write goes on: the caller copies that replica the old way, after the put. */
export interface MirrorFile {
  tmp: string;
  lineage?: string;
  failed?: unknown;
}

/** One file of a put: its write queue, or why it was dropped. */
interface Target {
  fh: fsp.FileHandle;
  writes: WriteQueue;
  mirror?: MirrorFile;
}

/** Seals `body` with `sealer` and writes it, then the trailer, to the new file `tmp`, and the
 * same bytes (with their own trailer) to every mirror's temp file. On return every file that
 * did not fail is complete and fsynced (when durable); renaming them is the caller's. */
export async function writeBody(
  tmp: string,
  name: string,
  sealer: BatchBodySealer,
  body: Readable | Uint8Array | string,
  durable: boolean,
  mirrors: readonly MirrorFile[] = [],
): Promise<ObjectInfo> {
  const fh = await fsp.open(tmp, 'wx', 0o600);
  const own: Target = { fh, writes: new WriteQueue(fh, durable) };
  const targets: Target[] = [own];
  const seals: Promise<Buffer[]>[] = [];
  /** A mirror's failure drops it; the object's own raises. */
  const guard = async (t: Target, step: () => Promise<void>): Promise<void> => {
    if (!t.mirror) return step();
    if (t.mirror.failed !== undefined) return;
    try {
      await step();
    } catch (e) {
      t.mirror.failed = e;
    }
  };
  try {
    for (const m of mirrors) {
      try {
        const mfh = await fsp.open(m.tmp, 'wx', 0o600);
        targets.push({ fh: mfh, writes: new WriteQueue(mfh, durable), mirror: m });
      } catch (e) {
        m.failed = e;
      }
    }
    const unit = sealer.batchUnit;
    const batchBytes = Math.max(unit, Math.floor(WRITE_BATCH / unit) * unit);
    // Sealed parts go back to the sealer once on every file (its buffers are recycled); a
    // batch a file failed to take is never handed back (it may still be in flight there).
    const write = async (parts: Buffer[]) => {
      const live = targets.filter((t) => t.mirror?.failed === undefined);
      let pending = live.length;
      let whole = true;
      const done = (ok: boolean) => {
        whole &&= ok;
        if (--pending === 0 && whole) sealer.release?.(parts);
      };
      for (const t of live) await guard(t, () => t.writes.add(parts, done));
    };
    const issue = async (pieces: Buffer[], final: boolean) => {
      const sealed = sealer.seal(pieces, final);
      sealed.catch(noop); // awaited (its error raised) below
      seals.push(sealed);
      while (seals.length > SEAL_DEPTH) await write(await seals.shift()!);
    };
    let size = 0;
    // A full batch is held until more bytes arrive: only then is it known not to be the last
    // (the format's final chunk must hold the object's last bytes). A batch is gathered in a
    // lease when the sealer lends them (see the top of this file), else as a list of the body's
    // own pieces (views, no copy).
    let held: Buffer[] | undefined;
    let current: Buffer[] = [];
    let currentBytes = 0;
    let lease: Buffer | undefined;
    try {
      for await (const piece of bodyPieces(body)) {
        let rest = piece;
        while (rest.length > 0) {
          if (held) {
            await issue(held, false);
            held = undefined;
          }
          const take = Math.min(rest.length, batchBytes - currentBytes);
          const part = take === rest.length ? rest : rest.subarray(0, take);
          if (currentBytes === 0 && sealer.lease) lease = sealer.lease();
          if (lease) lease.set(part, currentBytes);
          else current.push(part);
          currentBytes += take;
          size += take;
          rest = rest.subarray(take);
          if (currentBytes === batchBytes) {
            held = lease ? [lease.subarray(0, batchBytes)] : current;
            lease = undefined;
            current = [];
            currentBytes = 0;
          }
        }
      }
    } catch (e) {
      // Batches never handed to the sealer go back (zeroed: they hold plaintext).
      if (lease) sealer.discard?.(lease);
      if (held?.length === 1) sealer.discard?.(held[0]!);
      throw e;
    }
    // Bytes after a held batch would have released it above: it is the last, or the batch
    // being gathered is.
    await issue(held ?? (lease ? [lease.subarray(0, currentBytes)] : current), true);
    while (seals.length > 0) await write(await seals.shift()!);
    const info: ObjectInfo = { name, size, modifiedAt: new Date().toISOString() };
    // Trailers, then every file's last writes and fsync at once (the disk syncs them together).
    await Promise.all(
      targets.map((t) =>
        guard(t, async () => {
          await t.writes.add([encodeTrailer(info, t.mirror?.lineage)]);
          await t.writes.finish();
        }),
      ),
    );
    return info;
  } catch (e) {
    sealer.close();
    throw e;
  } finally {
    for (const s of seals) await s.catch(noop);
    let closing: unknown;
    for (const t of targets) {
      await t.writes.settle();
      try {
        await t.fh.close();
      } catch (e) {
        if (t.mirror) t.mirror.failed ??= e;
        else closing ??= e;
      }
    }
    for (const m of mirrors) if (m.failed !== undefined) await fsp.rm(m.tmp, { force: true });
    // eslint-disable-next-line no-unsafe-finally -- a file that did not close is a failed put
    if (closing !== undefined) throw closing;
  }
}

/** Copies the first `length` bytes of `src` to the new file `tmp`, then `tail`: WRITE_BATCH
 * reads with one read ahead while the previous batch is written (two buffers in all). */
export async function copyBody(
  src: fsp.FileHandle,
  length: number,
  tmp: string,
  tail: Buffer[],
  durable: boolean,
): Promise<void> {
  const fh = await fsp.open(tmp, 'wx', 0o600);
  const writes = new WriteQueue(fh, durable);
  try {
    const bufs = [Buffer.allocUnsafe(Math.min(WRITE_BATCH, length))];
    if (length > WRITE_BATCH) bufs.push(Buffer.allocUnsafe(WRITE_BATCH));
    const readAt = async (pos: number, i: number): Promise<Buffer> => {
      const n = Math.min(WRITE_BATCH, length - pos);
      const buf = bufs[i % bufs.length]!.subarray(0, n);
      let got = 0;
      while (got < n) {
        const { bytesRead } = await src.read(buf, got, n - got, pos + got);
        if (bytesRead === 0) throw new Error('object file shrank while being copied');
        got += bytesRead;
      }
      return buf;
    };
    let ahead = length > 0 ? readAt(0, 0) : undefined;
    for (let pos = 0, i = 0; ahead; i++) {
      const buf = await ahead;
      pos += buf.length;
      // The buffer read next holds the previous batch: wait for its write first.
      await writes.drain(0);
      ahead = pos < length ? readAt(pos, i + 1) : undefined;
      ahead?.catch(noop);
      await writes.add([buf]);
    }
    await writes.add(tail);
    await writes.finish();
  } finally {
    await writes.settle();
    await fh.close();
  }
}

/** Counts bytes that pass through. */
class Counter extends Transform {
  bytes = 0;
  override _transform(chunk: Buffer, _e: BufferEncoding, cb: TransformCallback): void {
    this.bytes += chunk.length;
    cb(null, chunk);
  }
}

function toReadable(body: Readable | Uint8Array | string): Readable {
  if (body instanceof Readable) return body;
  // Readable.from on a Buffer/string yields it as one chunk (it is not iterated byte by byte).
  return Readable.from([typeof body === 'string' ? Buffer.from(body) : Buffer.from(body)]);
}

/** The stream path, for codecs without a batch sealer. */
export async function writeStream(
  tmp: string,
  name: string,
  enc: Transform,
  body: Readable | Uint8Array | string,
  durable: boolean,
): Promise<ObjectInfo> {
  const counter = new Counter();
  await pipeline(
    toReadable(body),
    counter,
    enc,
    createWriteStream(tmp, { mode: 0o600, highWaterMark: 1 << 20 }),
  );
  const info: ObjectInfo = { name, size: counter.bytes, modifiedAt: new Date().toISOString() };
  const fh = await fsp.open(tmp, 'a');
  try {
    await fh.write(encodeTrailer(info));
    if (durable) await fh.sync();
  } finally {
    await fh.close();
  }
  return info;
}
