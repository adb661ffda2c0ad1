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
import { diag, DiagnosticError } from '../diagnostics.js';
import { fsyncDir, sweepTempFiles, tempPathFor } from './fsutil.js';
import type { ServiceRecord } from './types.js';

/** Integrity failures of the core become CMEK_INTEGRITY diagnostics; others pass unchanged. */
function asDiagnostic(e: Error): Error {
  return isIntegrityError(e) ? new DiagnosticError(e.toDiagnostic()) : e;
}

const TRAILER_MAGIC = Buffer.from('CMOB', 'ascii');
const TAIL = 8;
const MAX_META = 64 * 1024;

export interface ObjectInfo {
  name: string;
  /** Plaintext size in bytes. */
  size: number;
  /** When this version of the object was written (ISO 8601). */
  modifiedAt: string;
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

async function readTrailer(
  fh: fsp.FileHandle,
  fileSize: number,
): Promise<{ info: ObjectInfo; bodyLength: number }> {
  const bad = (why: string) =>
    new DiagnosticError(
      diag(
        'CMEK_INTEGRITY',
        'Stored object is damaged',
        `The object's trailer is invalid (${why}). Restore the object from a backup.`,
      ),
    );
  if (fileSize < TAIL) throw bad('file too short');
  const tail = Buffer.alloc(TAIL);
  await fh.read(tail, 0, TAIL, fileSize - TAIL);
  if (!tail.subarray(4).equals(TRAILER_MAGIC)) throw bad('bad magic');
  const metaLen = tail.readUInt32BE(0);
  if (metaLen > MAX_META || metaLen + TAIL > fileSize) throw bad('bad length');
  const meta = Buffer.alloc(metaLen);
  await fh.read(meta, 0, metaLen, fileSize - TAIL - metaLen);
  let info: ObjectInfo;
  try {
    info = JSON.parse(meta.toString('utf8')) as ObjectInfo;
  } catch {
    throw bad('metadata is not JSON');
  }
  return { info, bodyLength: fileSize - TAIL - metaLen };
}

function toReadable(body: Readable | Uint8Array | string): Readable {
  if (body instanceof Readable) return body;
  // Readable.from on a Buffer/string yields it as one chunk (it is not iterated byte by byte).
  return Readable.from([typeof body === 'string' ? Buffer.from(body) : Buffer.from(body)]);
}

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

  pathOf(serviceId: string, name: string): string {
    return join(this.dirOf(serviceId), objectFileName(name));
  }

  /** The service, which must be RUNNING for any data access. */
  async #running(service: string | ServiceRecord): Promise<ServiceRecord> {
    // Re-read the record on every call: another process (the poller) may have stopped it.
    const rec = await this.#services.require(typeof service === 'string' ? service : service.id);
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
    await fsp.mkdir(dir, { recursive: true });
    const final = this.pathOf(rec.id, name);
    const tmp = tempPathFor(final);
    const enc = await this.#codec().encryptor(rec, name);
    const counter = new Counter();
    let info: ObjectInfo;
    // The body streams into the temp file; the trailer (which needs the final size) is appended
    // afterwards, then one fsync covers both. No extra transform sits in the hot path: the
    // cipher's parts (a chunk, its tag) go straight to the file stream, which batches whatever
    // queues up into one writev (copying them into bigger buffers measured slower).
    try {
      await pipeline(
        toReadable(body),
        counter,
        enc,
        createWriteStream(tmp, { mode: 0o600, highWaterMark: 1 << 20 }),
      );
      info = { name, size: counter.bytes, modifiedAt: new Date().toISOString() };
      const meta = Buffer.from(JSON.stringify(info), 'utf8');
      const tail = Buffer.alloc(TAIL);
      tail.writeUInt32BE(meta.length, 0);
      TRAILER_MAGIC.copy(tail, 4);
      const fh = await fsp.open(tmp, 'a');
      try {
        await fh.write(Buffer.concat([meta, tail]));
        if (this.#durable) await fh.sync();
      } finally {
        await fh.close();
      }
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
      const dec = await this.#codec().decryptor(rec, name);
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
    // Listing is the natural moment to drop what crashed writers left behind.
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
