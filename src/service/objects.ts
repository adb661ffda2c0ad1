// The data plane: an object store per service under `<data_dir>/objects/<serviceId>/`. Bodies
// stream through the encryption core (64 KiB AES-256-GCM chunks), so a 1 GiB object needs memory
// proportional to a chunk, and every write is atomic (temp file + fsync + rename): a reader sees
// the old object or the new one, never a torn one.
//
// File layout of one object: the core's ciphertext (header + chunks), then a trailer
//   [metadata JSON (UTF-8)] [u32 BE metadata length] ["CMOB"]
// The trailer holds what `ls` shows (name, plaintext size, time). It is metadata and is NOT
// encrypted — CMEK does not cover metadata (SPEC 2) — but it is bound to the body anyway: the
// object name is in the encryption context of every chunk, so a renamed or swapped file fails
// authentication. A trailer (not a header) lets a stream of unknown length be written in one pass.
import { createHash } from 'node:crypto';
import { createWriteStream, promises as fsp } from 'node:fs';
import { join } from 'node:path';
import {
  PassThrough,
  Readable,
  Transform,
  pipeline as pipe,
  type TransformCallback,
} from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { isIntegrityError } from '../core/index.js';
import { diag, DiagnosticError } from '../model/diagnostics.js';
import { encodeTrailer, readTrailer, type ObjectInfo } from './object-format.js';
import { fsyncDir, sweepTempFiles, tempSuffix } from '../support/atomic.js';
import type { ServiceRecord } from './types.js';

/** Integrity failures of the core become CMEK_INTEGRITY diagnostics; others pass unchanged. */
function asDiagnostic(e: Error): Error {
  return isIntegrityError(e) ? new DiagnosticError(e.toDiagnostic()) : e;
}

export interface ByteRange {
  /** First byte (inclusive). */
  start: number;
  /** End (exclusive); default: the object's end. */
  end?: number;
}

/** Random reads of one object's plaintext. */
export interface RangeReader {
  readonly plaintextLength: number;
  read(start: number, end: number): Promise<Buffer>;
}

export interface CiphertextSource {
  readonly size: number;
  read(offset: number, length: number): Promise<Buffer>;
}

/** How bodies are transformed on the way to and from disk. The default is the envelope codec
 * (src/service/codec.ts); bench/store.ts plugs in an identity codec to measure the store's own
 * overhead against the encrypted path with everything else equal. */
export interface ObjectCodec {
  encryptor(rec: ServiceRecord, name: string): Promise<Transform>;
  decryptor(rec: ServiceRecord, name: string): Promise<Transform>;
  rangeReader(rec: ServiceRecord, name: string, source: CiphertextSource): Promise<RangeReader>;
  /** Push-style variant of `encryptor`: when present, put() drives it from its own write loop
   * (batched writev, cipher overlapped with the write in flight) instead of a stream pipeline. */
  sealer?(rec: ServiceRecord, name: string): Promise<BodySealer>;
  /** Push-style variant of `decryptor`, for get()'s read loop (read-ahead overlapped with the
   * cipher). */
  opener?(rec: ServiceRecord, name: string): Promise<BodyOpener>;
}

/** Turns plaintext pieces into the parts to store, in order (the core's ObjectSealer). May keep
 * a view of its last input until the next call. */
export interface BodySealer {
  update(plaintext: Buffer): Buffer[];
  final(): Buffer[];
}

/** Turns stored bytes back into plaintext, in order, each part authenticated before it is
 * returned (the core's ObjectOpener). May keep views of its inputs. */
export interface BodyOpener {
  /** `moreFollows`: bytes come after these (the store knows the body's length). */
  update(stored: Buffer, moreFollows: boolean): Buffer[] | Promise<Buffer[]>;
  final(): Buffer[] | Promise<Buffer[]>;
  /** True when the opener keeps no reference to `stored` once update() has returned (what it
   * returns is new memory): the store may then reuse its read buffers. */
  readonly detaches?: boolean;
  /** Chunk boundaries of the stored body once known (chunk i at start + i * stride): get() then
   * ends its reads on them, so no chunk straddles two reads. */
  layout?(): { start: number; stride: number } | undefined;
}

/** Bytes per read of get() and per writev of put(). Reads: 1 MiB amortizes the syscall and the
 * hop to libuv's thread pool. Writes: 4 MiB per writev with up to WRITE_DEPTH of them in flight,
 * so the next write is queued before the previous one's completion has travelled back to the
 * main thread. Measured in the bench's harness (forced GC between samples) for 64 MiB puts,
 * identity codec vs the old stream pipeline: 2 MiB batches 95-114 vs 72-81 ms (slower than
 * the pipeline), 4 MiB 70 vs 71, 8 MiB 65 vs 70, 16 MiB 57 vs 66; envelope codec 4 MiB 114 vs
 * 156 ms. Memory in flight: at most (WRITE_DEPTH + 1) x WRITE_BATCH. */
const IO_BATCH = 1 << 20;
const WRITE_BATCH = 4 << 20;
/** Durable puts start an fdatasync after every this many bytes written (see #writeBody). */
const SYNC_EVERY = 16 << 20;
const WRITE_DEPTH = 2;
/** Parts per writev (Linux IOV_MAX is 1024; libuv splits beyond it anyway). */
const MAX_PARTS = 512;

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

/** The body as Buffers of at most IO_BATCH bytes (views, no copy), so one large buffer or
 * stream chunk still flows through the write loop in batches that overlap with the writes. */
async function* bodyPieces(body: Readable | Uint8Array | string): AsyncGenerator<Buffer> {
  const split = function* (b: Buffer): Generator<Buffer> {
    if (b.length <= IO_BATCH) yield b;
    else for (let off = 0; off < b.length; off += IO_BATCH) yield b.subarray(off, off + IO_BATCH);
  };
  if (typeof body === 'string') yield* split(Buffer.from(body, 'utf8'));
  else if (!(body instanceof Readable)) {
    yield* split(Buffer.from(body.buffer, body.byteOffset, body.byteLength));
  } else {
    for await (const c of body as AsyncIterable<Buffer | string>) {
      yield* split(typeof c === 'string' ? Buffer.from(c, 'utf8') : c);
    }
  }
}

/** The plaintext stream of get(): reads the stored body in IO_BATCH pieces, one read always in
 * flight ahead (on libuv's thread pool) while the main thread opens the previous piece. Closes
 * the file however it ends. */
class BodyReadable extends Readable {
  readonly #fh: fsp.FileHandle;
  readonly #opener: BodyOpener;
  readonly #length: number;
  #pos = 0;
  #ahead: Promise<Buffer> | undefined;
  #busy = false;
  #want = false;
  #ended = false;

  constructor(fh: fsp.FileHandle, opener: BodyOpener, length: number) {
    super({ highWaterMark: IO_BATCH });
    this.#fh = fh;
    this.#opener = opener;
    this.#length = length;
  }

  /** Read buffers free for reuse (only when the opener detaches: otherwise the parts handed
   * out may be views of them, as with the identity codec). Two: the one being opened and the
   * one being read ahead. Reuse matters on VMs where faulting in fresh pages for every batch
   * costs as much as the read itself. */
  readonly #free: Buffer[] = [];
  #previous: Buffer | undefined;

  /** Bytes to read at `pos`: up to IO_BATCH, ending on a chunk boundary when the opener has
   * told where they are (and more than the rest of the body remains). */
  #lengthAt(pos: number): number {
    const max = Math.min(IO_BATCH, this.#length - pos);
    const layout = this.#opener.layout?.();
    if (!layout || pos + max >= this.#length) return max;
    const end =
      layout.start + Math.floor((pos + max - layout.start) / layout.stride) * layout.stride;
    return end > pos ? end - pos : max;
  }

  async #readAt(pos: number): Promise<Buffer> {
    const n = this.#lengthAt(pos);
    // Pooled buffers are kept whole (IO_BATCH, or the body's length if smaller); reads use a
    // view of the length they need.
    const full = this.#free.pop() ?? Buffer.allocUnsafe(Math.min(IO_BATCH, this.#length));
    const buf = full.subarray(0, n);
    this.#whole.set(buf, full);
    let got = 0;
    while (got < n) {
      const { bytesRead } = await this.#fh.read(buf, got, n - got, pos + got);
      if (bytesRead === 0) throw new Error('object file shrank while being read');
      got += bytesRead;
    }
    return buf;
  }

  /** The pooled buffer behind each view handed out by #readAt. */
  readonly #whole = new WeakMap<Buffer, Buffer>();

  /** One batch; returns whether the stream still wants data. */
  async #step(): Promise<boolean> {
    let parts: Buffer[];
    if (this.#pos < this.#length) {
      const buf = await (this.#ahead ?? this.#readAt(this.#pos));
      this.#pos += buf.length;
      // The batch opened last time is free now (the opener detached from it).
      if (this.#previous) this.#free.push(this.#whole.get(this.#previous) ?? this.#previous);
      this.#previous = undefined;
      this.#ahead = this.#pos < this.#length ? this.#readAt(this.#pos) : undefined;
      this.#ahead?.catch(() => undefined); // awaited (and its error raised) on the next step
      parts = await this.#opener.update(buf, this.#pos < this.#length);
      if (this.#opener.detaches) this.#previous = buf;
    } else {
      parts = await this.#opener.final();
      this.#ended = true;
    }
    let more = true;
    for (const p of parts) more = this.push(p);
    if (this.#ended) {
      this.push(null);
      return false;
    }
    return more;
  }

  async #pump(): Promise<void> {
    this.#busy = true;
    try {
      while (this.#want && !this.destroyed && !this.#ended) {
        this.#want = false;
        if (await this.#step()) this.#want = true;
      }
    } catch (e) {
      this.destroy(asDiagnostic(e as Error));
    } finally {
      this.#busy = false;
    }
  }

  override _read(): void {
    this.#want = true;
    if (!this.#busy) void this.#pump();
  }

  override _destroy(err: Error | null, cb: (error?: Error | null) => void): void {
    this.#fh.close().then(
      () => cb(err),
      () => cb(err),
    );
  }
}

/** Extension points for the service lifecycle (src/service/lifecycle.ts): replicas refuse user
 * writes and follow their primary's. Empty lists by default, so the hot path pays one length
 * check. A hook that throws fails the operation (before: nothing was written; after: the write
 * itself is done and stays). */
export interface ObjectStoreHooks {
  /** Before a user put/remove on a RUNNING service. Throw to refuse it. */
  beforeWrite: ((rec: ServiceRecord, name: string) => void | Promise<void>)[];
  afterPut: ((rec: ServiceRecord, name: string, info: ObjectInfo) => Promise<void>)[];
  afterRemove: ((rec: ServiceRecord, name: string) => Promise<void>)[];
}

export interface WriteOptions {
  /** A write made by the control plane itself (replication, clone, restore): no hooks run, so a
   * read-only replica can be written by its replication and a replica's copy does not fan out. */
  system?: boolean;
}

/** What the store needs from the control plane: the current record of a service. */
export interface ServiceLookup {
  require(ref: string): Promise<ServiceRecord>;
  readonly dataDir: string;
}

/** Filesystem-safe file name of an object name: base64url when short enough, else a hash (the
 * real name is in the trailer either way). Names are arbitrary non-empty strings. */
export function objectFileName(name: string): string {
  const b64 = Buffer.from(name, 'utf8').toString('base64url');
  if (b64.length <= 200) return `${b64}.obj`;
  return `${createHash('sha256').update(name, 'utf8').digest('hex')}.hobj`;
}

function checkName(name: string): void {
  if (typeof name !== 'string' || name.length === 0) {
    throw new DiagnosticError(
      diag('USAGE', 'Object names must be non-empty', 'Give the object a name (any string).'),
    );
  }
  if (Buffer.byteLength(name, 'utf8') > 4096) {
    throw new DiagnosticError(
      diag('USAGE', 'Object name too long', 'Object names are at most 4096 bytes (UTF-8).'),
    );
  }
}

function objectMissing(rec: ServiceRecord, name: string): DiagnosticError {
  return new DiagnosticError(
    diag(
      'USAGE',
      `No object ${JSON.stringify(name)} in service ${rec.name}`,
      `List the objects with \`cmek data ls ${rec.name}\`.`,
    ),
  );
}

/** Counts bytes that pass through. */
class Counter extends Transform {
  bytes = 0;
  override _transform(chunk: Buffer, _e: BufferEncoding, cb: TransformCallback): void {
    this.bytes += chunk.length;
    cb(null, chunk);
  }
}

interface Opened {
  fh: fsp.FileHandle;
  /** Ciphertext length (file size minus trailer). */
  bodyLength: number;
  info: ObjectInfo;
}

function toReadable(body: Readable | Uint8Array | string): Readable {
  if (body instanceof Readable) return body;
  // Readable.from on a Buffer/string yields it as one chunk (it is not iterated byte by byte).
  return Readable.from([typeof body === 'string' ? Buffer.from(body) : Buffer.from(body)]);
}

export type { ObjectInfo } from './object-format.js';

/** See ObjectStore.partialDirOf. */
const PARTIAL_DIR = '.partial';

export class ObjectStore {
  readonly #services: ServiceLookup;
  readonly #codec: () => ObjectCodec;
  readonly root: string;

  readonly #durable: boolean;

  /** See ObjectStoreHooks. */
  readonly hooks: ObjectStoreHooks = { beforeWrite: [], afterPut: [], afterRemove: [] };

  /** `codec` may be a thunk so a caller can hand over its codec lazily. */
  constructor(
    services: ServiceLookup,
    codec: ObjectCodec | (() => ObjectCodec),
    opts: { durable?: boolean } = {},
  ) {
    this.#services = services;
    this.#durable = opts.durable ?? true;
    this.#codec = typeof codec === 'function' ? codec : () => codec;
    this.root = join(services.dataDir, 'objects');
  }

  dirOf(serviceId: string): string {
    return join(this.root, serviceId);
  }

  /** Where a put writes before its rename: a directory of its own, so sweeping what killed
   * writers left costs one readdir of (usually) nothing, whatever the number of objects. */
  partialDirOf(serviceId: string): string {
    return join(this.dirOf(serviceId), PARTIAL_DIR);
  }

  /** When each service's partial directory was last swept by this store (see #sweep). */
  readonly #swept = new Map<string, number>();

  /** Drop the temp files of puts whose process is gone (kill -9, crash): on every store
   * operation, at most once a second per service and process. */
  async #sweep(serviceId: string): Promise<void> {
    const now = Date.now();
    if (now - (this.#swept.get(serviceId) ?? 0) < 1000) return;
    this.#swept.set(serviceId, now);
    await sweepTempFiles(this.partialDirOf(serviceId));
  }

  pathOf(serviceId: string, name: string): string {
    return join(this.dirOf(serviceId), objectFileName(name));
  }

  /** The service, which must be RUNNING for any data access. */
  async #running(service: string | ServiceRecord): Promise<ServiceRecord> {
    // Re-read the record on every call: another process (the poller) may have stopped it.
    const rec = await this.#services.require(typeof service === 'string' ? service : service.id);
    await this.#sweep(rec.id);
    if (rec.status !== 'RUNNING') {
      throw new DiagnosticError(
        diag(
          'CMEK_SERVICE_UNAVAILABLE',
          `Service ${rec.name} is ${rec.status}`,
          `Data of service ${rec.name} (${rec.id}) cannot be read or written while it is ` +
            `${rec.status}: ${rec.statusReason}\n` +
            (rec.status === 'STOPPED'
              ? `Remedy: restore access to the key, then run cmek service start ${rec.name}.`
              : 'Remedy: restore access to the key; the service resumes at the next key check ' +
                `(or run cmek service start ${rec.name}).`),
        ),
      );
    }
    return rec;
  }

  /** Write (or replace) an object from a stream or a buffer. Atomic: until the final rename the
   * previous version stays visible. */
  async put(
    service: string | ServiceRecord,
    name: string,
    body: Readable | Uint8Array | string,
    opts: WriteOptions = {},
  ): Promise<ObjectInfo> {
    checkName(name);
    const rec = await this.#running(service);
    if (!opts.system && this.hooks.beforeWrite.length) {
      for (const h of this.hooks.beforeWrite) await h(rec, name);
    }
    const dir = this.dirOf(rec.id);
    await fsp.mkdir(this.partialDirOf(rec.id), { recursive: true });
    const final = this.pathOf(rec.id, name);
    const tmp = join(this.partialDirOf(rec.id), tempSuffix());
    let info: ObjectInfo;
    try {
      const codec = this.#codec();
      info = codec.sealer
        ? await this.#writeBody(tmp, name, await codec.sealer(rec, name), body)
        : await this.#writeStream(tmp, name, await codec.encryptor(rec, name), body);
      await fsp.rename(tmp, final);
      if (this.#durable) await fsyncDir(dir);
    } catch (e) {
      await fsp.rm(tmp, { force: true });
      throw e;
    }
    if (!opts.system && this.hooks.afterPut.length) {
      for (const h of this.hooks.afterPut) await h(rec, name, info);
    }
    return info;
  }

  /** The write loop: seal a batch, hand it to one writev, seal the next batch while that write
   * runs on libuv's thread pool (the cipher and the kernel's page-cache copy overlap on two
   * cores), then the trailer and one fsync. No stream layers: on this path they cost more than
   * the cipher (bench/store.ts notes). */
  async #writeBody(
    tmp: string,
    name: string,
    sealer: BodySealer,
    body: Readable | Uint8Array | string,
  ): Promise<ObjectInfo> {
    const fh = await fsp.open(tmp, 'wx', 0o600);
    // Writes in flight, oldest first; each is awaited (its error raised) before a newer one is
    // queued past WRITE_DEPTH, and all of them before the file is closed.
    const inflight: Promise<void>[] = [];
    let syncing: Promise<void> | undefined;
    try {
      let position = 0;
      let size = 0;
      let batch: Buffer[] = [];
      let batchBytes = 0;
      const add = (parts: Buffer[]) => {
        for (const p of parts) {
          batch.push(p);
          batchBytes += p.length;
        }
      };
      // Durable writes: start flushing what is written to disk (fdatasync on the thread pool)
      // every SYNC_EVERY bytes while the loop goes on, so the disk works while the next batches
      // are sealed and written, and the final fsync finds little left to do. One at a time.
      let syncedUpTo = 0;
      const flush = async () => {
        while (inflight.length >= WRITE_DEPTH) await inflight.shift();
        if (batch.length === 0) return;
        const write = writeAll(fh, batch, position);
        write.catch(() => undefined); // no unhandled rejection while it waits in the queue
        inflight.push(write);
        position += batchBytes;
        batch = [];
        batchBytes = 0;
        if (this.#durable && !syncing && position - syncedUpTo >= SYNC_EVERY) {
          const upTo = position;
          syncing = write
            .then(() => fh.datasync())
            .then(() => {
              syncedUpTo = upTo;
              syncing = undefined;
            });
          syncing.catch(() => undefined);
        }
      };
      for await (const piece of bodyPieces(body)) {
        size += piece.length;
        add(sealer.update(piece));
        if (batchBytes >= WRITE_BATCH || batch.length >= MAX_PARTS) await flush();
      }
      add(sealer.final());
      const info: ObjectInfo = { name, size, modifiedAt: new Date().toISOString() };
      add([encodeTrailer(info)]);
      await flush();
      while (inflight.length > 0) await inflight.shift();
      if (syncing) await syncing;
      if (this.#durable) await fh.sync();
      return info;
    } finally {
      for (const w of inflight) await w.catch(() => undefined);
      await syncing?.catch(() => undefined);
      await fh.close();
    }
  }

  /** The stream path, for codecs without a sealer. */
  async #writeStream(
    tmp: string,
    name: string,
    enc: Transform,
    body: Readable | Uint8Array | string,
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
      if (this.#durable) await fh.sync();
    } finally {
      await fh.close();
    }
    return info;
  }

  async #open(rec: ServiceRecord, name: string): Promise<Opened> {
    let fh: fsp.FileHandle;
    try {
      fh = await fsp.open(this.pathOf(rec.id, name), 'r');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') throw objectMissing(rec, name);
      throw e;
    }
    try {
      const { size } = await fh.stat();
      const { info, bodyLength } = await readTrailer(fh, size);
      if (info.name !== name) {
        // Hash collision or a file moved by hand: never serve another object's body.
        throw objectMissing(rec, name);
      }
      return { fh, bodyLength, info };
    } catch (e) {
      await fh.close();
      throw e;
    }
  }

  /** Metadata of one object. */
  async stat(service: string | ServiceRecord, name: string): Promise<ObjectInfo> {
    checkName(name);
    const rec = await this.#running(service);
    const o = await this.#open(rec, name);
    await o.fh.close();
    return o.info;
  }

  /** A plaintext stream of the object (or of a byte range of it). Every chunk is authenticated
   * before it is emitted; a tampered object errors the stream with CMEK_INTEGRITY. The file is
   * opened before this returns, so a concurrent overwrite does not affect the read. */
  async get(service: string | ServiceRecord, name: string, range?: ByteRange): Promise<Readable> {
    checkName(name);
    const rec = await this.#running(service);
    const o = await this.#open(rec, name);
    try {
      if (range) return await this.#getRange(rec, name, o, range);
      const codec = this.#codec();
      if (codec.opener) return new BodyReadable(o.fh, await codec.opener(rec, name), o.bodyLength);
      const dec = await codec.decryptor(rec, name);
      const raw =
        o.bodyLength === 0
          ? Readable.from([])
          : o.fh.createReadStream({ start: 0, end: o.bodyLength - 1, highWaterMark: 1 << 20 });
      if (o.bodyLength === 0) await o.fh.close();
      // The read stream closes the file however it ends. Errors reach the caller as
      // diagnostics (CMEK_INTEGRITY for a body that fails authentication).
      const out = new PassThrough();
      pipe(raw, dec, (err) => {
        if (err) out.destroy(asDiagnostic(err));
      }).pipe(out);
      return out;
    } catch (e) {
      await o.fh.close();
      throw e;
    }
  }

  async #getRange(
    rec: ServiceRecord,
    name: string,
    o: Opened,
    range: ByteRange,
  ): Promise<Readable> {
    const fh = o.fh;
    const source: CiphertextSource = {
      size: o.bodyLength,
      async read(offset, length) {
        const buf = Buffer.allocUnsafe(length);
        let got = 0;
        while (got < length) {
          const { bytesRead } = await fh.read(buf, got, length - got, offset + got);
          if (bytesRead === 0) break;
          got += bytesRead;
        }
        return got === length ? buf : buf.subarray(0, got);
      },
    };
    const reader = await this.#codec().rangeReader(rec, name, source);
    const start = Math.max(0, range.start);
    const end = Math.min(range.end ?? reader.plaintextLength, reader.plaintextLength);
    // Read in 1 MiB steps so a large range still needs bounded memory.
    const step = 1 << 20;
    async function* pieces() {
      try {
        for (let s = start; s < end; s += step) yield await reader.read(s, Math.min(s + step, end));
        if (start >= end) await reader.read(start, start); // still authenticates the end
      } finally {
        await fh.close();
      }
    }
    return Readable.from(pieces(), { objectMode: false });
  }

  /** Whole object into memory (convenience for small objects and tests). */
  async getBuffer(
    service: string | ServiceRecord,
    name: string,
    range?: ByteRange,
  ): Promise<Buffer> {
    const stream = await this.get(service, name, range);
    const parts: Buffer[] = [];
    for await (const c of stream) parts.push(c as Buffer);
    return Buffer.concat(parts);
  }

  /** Objects of a service, sorted by name. Listing needs no key (names are metadata), but the
   * service must be RUNNING like every data access. */
  async list(service: string | ServiceRecord, prefix = ''): Promise<ObjectInfo[]> {
    const rec = await this.#running(service);
    // Temp files of older versions were written beside the objects: listing drops those.
    await sweepTempFiles(this.dirOf(rec.id));
    let files: string[];
    try {
      files = await fsp.readdir(this.dirOf(rec.id));
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw e;
    }
    const out: ObjectInfo[] = [];
    for (const f of files) {
      if (f.startsWith('.') || !(f.endsWith('.obj') || f.endsWith('.hobj'))) continue;
      let fh: fsp.FileHandle;
      try {
        fh = await fsp.open(join(this.dirOf(rec.id), f), 'r');
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code === 'ENOENT') continue; // removed meanwhile
        throw e;
      }
      try {
        const { size } = await fh.stat();
        const { info } = await readTrailer(fh, size);
        if (info.name.startsWith(prefix)) out.push(info);
      } finally {
        await fh.close();
      }
    }
    return out.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  }

  /** Remove an object; false when it did not exist. */
  async remove(
    service: string | ServiceRecord,
    name: string,
    opts: WriteOptions = {},
  ): Promise<boolean> {
    checkName(name);
    const rec = await this.#running(service);
    const hooks = !opts.system;
    if (hooks) for (const h of this.hooks.beforeWrite) await h(rec, name);
    let existed = true;
    try {
      await fsp.rm(this.pathOf(rec.id, name));
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
      existed = false;
    }
    if (existed) await fsyncDir(this.dirOf(rec.id));
    // Replicas follow a remove even when the primary had no such object (they converge).
    if (hooks) for (const h of this.hooks.afterRemove) await h(rec, name);
    return existed;
  }

  /** Drop every object of a service (service deletion). No status check: deleting a STOPPED
   * service must work. */
  async removeAll(serviceId: string): Promise<void> {
    await fsp.rm(this.dirOf(serviceId), { recursive: true, force: true });
  }
}
