// Object encryption API, store-agnostic: buffers, Node Transform streams, and random-access
// reads of any byte range that decrypt only the chunks they need. Keys come in as DataKey values
// (for writing) or a DekResolver (for reading: the header says which data key to ask for).
import { randomBytes } from 'node:crypto';
import { open as openFile } from 'node:fs/promises';
import { Transform, type TransformCallback } from 'node:stream';
import type { EncryptionContext } from '../kms/types.js';
import { ChunkCipher } from './aead.js';
import { IntegrityError } from './errors.js';
import {
  DEFAULT_CHUNK_SIZE,
  FORMAT_VERSION,
  MAX_CHUNKS,
  OBJECT_ID_LENGTH,
  SUITE_AES256GCM_HKDF_SHA256,
  TAG_LENGTH,
  chunkCount,
  ciphertextLength,
  decodeHeader,
  encodeHeader,
  plaintextLength,
  validateChunkSize,
  type DekRef,
  type ObjectHeader,
} from './format.js';
import { decryptWithPool, pooledFor, type PoolOptions } from './pool.js';
import type { SecretKey } from './secret.js';

/** A plaintext data key with its reference (what the header records). */
export interface DataKey {
  readonly ref: DekRef;
  readonly key: SecretKey;
}

/** Finds the data key an object's header names. ServiceKeySet implements it. Must throw
 * IntegrityError('unknown-dek') for a reference it does not hold. */
export interface DekResolver {
  getDek(ref: DekRef): Promise<DataKey>;
}

export interface EncryptOptions {
  dek: DataKey;
  /** Authenticated with every chunk, e.g. objectContext(serviceId, objectName). */
  context: EncryptionContext;
  /** Plaintext bytes per chunk; default 64 KiB. */
  chunkSize?: number;
  /** For tests and known-answer vectors only; default 16 random bytes. */
  objectId?: Uint8Array;
}

export interface DecryptOptions {
  /** One data key, or a resolver (a key set) that finds the one the header names. */
  keys: DataKey | DekResolver;
  /** Must equal the context the object was written with. */
  context: EncryptionContext;
}

/** The encryption context the object store binds to each object. */
export function objectContext(serviceId: string, objectName: string): EncryptionContext {
  return { 'cmek:service-id': serviceId, 'cmek:object': objectName };
}

/** @internal */
export function newHeader(opts: EncryptOptions): { header: ObjectHeader; bytes: Buffer } {
  const chunkSize = opts.chunkSize ?? DEFAULT_CHUNK_SIZE;
  validateChunkSize(chunkSize);
  const objectId = opts.objectId ? Buffer.from(opts.objectId) : randomBytes(OBJECT_ID_LENGTH);
  const header: ObjectHeader = {
    version: FORMAT_VERSION,
    suite: SUITE_AES256GCM_HKDF_SHA256,
    objectId,
    chunkSize,
    dek: { id: opts.dek.ref.id, generation: opts.dek.ref.generation },
  };
  return { header, bytes: encodeHeader(header) };
}

/** @internal */
export function cipherFor(
  dek: DataKey,
  header: ObjectHeader,
  headerBytes: Buffer,
  context: EncryptionContext,
): ChunkCipher {
  // The key bytes are used synchronously here and never kept: the cipher holds only the derived
  // per-object key, so a purge of the cache fails every later object closed.
  return dek.key.use((bytes) => new ChunkCipher(bytes, header, headerBytes, context));
}

function isResolver(keys: DataKey | DekResolver): keys is DekResolver {
  return typeof (keys as DekResolver).getDek === 'function';
}

/** @internal */
export async function resolveDek(keys: DataKey | DekResolver, ref: DekRef): Promise<DataKey> {
  if (isResolver(keys)) return keys.getDek(ref);
  if (keys.ref.id !== ref.id || keys.ref.generation !== ref.generation) {
    throw new IntegrityError(
      'unknown-dek',
      `object was encrypted under data key ${ref.id}#${ref.generation}, not the one supplied`,
    );
  }
  return keys;
}

/** Encrypts a whole buffer into one preallocated output buffer. */
export function encryptBuffer(plaintext: Uint8Array, opts: EncryptOptions): Buffer {
  const { header, bytes } = newHeader(opts);
  const cipher = cipherFor(opts.dek, header, bytes, opts.context);
  const size = header.chunkSize;
  const n = chunkCount(plaintext.length, size);
  if (n > MAX_CHUNKS) throw new RangeError('object too large for this chunk size');
  const out = Buffer.allocUnsafe(ciphertextLength(plaintext.length, size, bytes.length));
  bytes.copy(out, 0);
  cipher.sealRun(asBuffer(plaintext), size, 0, true, out, bytes.length);
  return out;
}

function asBuffer(b: Uint8Array): Buffer {
  return b instanceof Buffer ? b : Buffer.from(b.buffer, b.byteOffset, b.byteLength);
}

/** Decrypts and authenticates a whole object. Returns nothing unless every chunk verifies.
 * Objects of INLINE_THRESHOLD bytes or more are opened on the crypto pool (src/core/pool.ts;
 * `pool: null` keeps them on this thread). */
export async function decryptBuffer(
  ciphertext: Uint8Array,
  opts: DecryptOptions & PoolOptions,
): Promise<Buffer> {
  const buf = Buffer.from(ciphertext.buffer, ciphertext.byteOffset, ciphertext.byteLength);
  const { header, length: hlen } = decodeHeader(buf);
  const size = header.chunkSize;
  const ptLen = plaintextLength(buf.length, size, hlen);
  const pool = pooledFor(ptLen, opts);
  if (pool) return decryptWithPool(buf, opts.keys, opts.context, pool);
  const dek = await resolveDek(opts.keys, header.dek);
  const cipher = cipherFor(dek, header, buf.subarray(0, hlen), opts.context);
  const out = Buffer.allocUnsafe(ptLen);
  // openRun zeroes what it wrote when a chunk fails: no authenticated-so-far plaintext is left
  // in a buffer nobody will own.
  cipher.openRun(buf.subarray(hlen), size, 0, true, out, 0);
  return out;
}

/** Encrypts into a list of buffers — header, then ciphertext and tag of each chunk — whose
 * concatenation is exactly what encryptBuffer returns. Nothing is copied: each part is the
 * cipher's own output, ready for `filehandle.writev` or a stream. One big contiguous output
 * costs a fresh allocation the kernel must fault in and zero, which on this class of machine
 * is as slow as AES-GCM itself (docs/core.md, "Performance"). */
export function encryptToParts(plaintext: Uint8Array, opts: EncryptOptions): Buffer[] {
  const { header, bytes } = newHeader(opts);
  const cipher = cipherFor(opts.dek, header, bytes, opts.context);
  const size = header.chunkSize;
  const n = chunkCount(plaintext.length, size);
  if (n > MAX_CHUNKS) throw new RangeError('object too large for this chunk size');
  const parts: Buffer[] = [bytes];
  for (let i = 0; i < n; i++) {
    cipher.sealTo(
      plaintext.subarray(i * size, Math.min((i + 1) * size, plaintext.length)),
      i,
      i === n - 1,
      parts,
    );
  }
  // sealTo skips an empty ciphertext; the format (and callers counting parts) expect
  // ciphertext and tag per chunk, so an empty object still lists its empty ciphertext.
  if (plaintext.length === 0) parts.splice(1, 0, Buffer.alloc(0));
  return parts;
}

/** Decrypts a whole object into its plaintext chunks (no copy into one big buffer). Returns
 * nothing unless every chunk verifies. */
export async function decryptToParts(
  ciphertext: Uint8Array,
  opts: DecryptOptions,
): Promise<Buffer[]> {
  const buf = Buffer.from(ciphertext.buffer, ciphertext.byteOffset, ciphertext.byteLength);
  const { header, length: hlen } = decodeHeader(buf);
  const size = header.chunkSize;
  const ptLen = plaintextLength(buf.length, size, hlen);
  const dek = await resolveDek(opts.keys, header.dek);
  const cipher = cipherFor(dek, header, buf.subarray(0, hlen), opts.context);
  const n = chunkCount(ptLen, size);
  const stride = size + TAG_LENGTH;
  const out: Buffer[] = new Array<Buffer>(n);
  try {
    for (let i = 0; i < n; i++) {
      const start = hlen + i * stride;
      out[i] = cipher.openAt(buf, start, Math.min(start + stride, buf.length), i, i === n - 1);
    }
  } catch (e) {
    for (const p of out) p?.fill(0);
    throw e;
  }
  return out;
}

/** A Transform that encrypts a plaintext stream into the object format. Plaintext is buffered
 * to whole chunks; the last full chunk is held until more input or end-of-stream says whether
 * it is the final one. */
export class EncryptStream extends Transform {
  readonly header: ObjectHeader;
  readonly #headerBytes: Buffer;
  readonly #cipher: ChunkCipher;
  readonly #pending: Buffer;
  #pendingLen = 0;
  #index = 0;
  #started = false;

  constructor(opts: EncryptOptions) {
    super();
    const { header, bytes } = newHeader(opts);
    this.header = header;
    this.#headerBytes = bytes;
    this.#cipher = cipherFor(opts.dek, header, bytes, opts.context);
    this.#pending = Buffer.allocUnsafe(header.chunkSize);
  }

  #start(): void {
    if (!this.#started) {
      this.#started = true;
      this.push(this.#headerBytes);
    }
  }

  #sealNext(plaintext: Uint8Array, final: boolean): void {
    const [ct, tag] = this.#cipher.seal(plaintext, this.#index++, final);
    if (ct.length > 0) this.push(ct);
    this.push(tag);
  }

  override _transform(data: Buffer, _enc: BufferEncoding, cb: TransformCallback): void {
    try {
      this.#start();
      const size = this.header.chunkSize;
      let off = 0;
      while (off < data.length) {
        // More input follows, so a full pending chunk is not the final one.
        if (this.#pendingLen === size) {
          this.#sealNext(this.#pending, false);
          this.#pendingLen = 0;
        }
        // Fast path: seal straight from the input when more than a chunk of it remains.
        if (this.#pendingLen === 0 && data.length - off > size) {
          this.#sealNext(data.subarray(off, off + size), false);
          off += size;
          continue;
        }
        const take = Math.min(size - this.#pendingLen, data.length - off);
        data.copy(this.#pending, this.#pendingLen, off, off + take);
        this.#pendingLen += take;
        off += take;
      }
      cb();
    } catch (e) {
      cb(e as Error);
    }
  }

  override _flush(cb: TransformCallback): void {
    try {
      this.#start();
      this.#sealNext(this.#pending.subarray(0, this.#pendingLen), true);
      this.#pending.fill(0);
      cb();
    } catch (e) {
      cb(e as Error);
    }
  }
}

export function createEncryptStream(opts: EncryptOptions): EncryptStream {
  return new EncryptStream(opts);
}

/** Random access to stored ciphertext: a file, a buffer, an object-store blob. */
export interface RandomAccessSource {
  readonly size: number;
  /** Returns exactly `length` bytes at `offset` (the caller stays within `size`). */
  read(offset: number, length: number): Promise<Buffer>;
}

export function bufferSource(buf: Uint8Array): RandomAccessSource {
  const b = Buffer.from(buf.buffer, buf.byteOffset, buf.byteLength);
  return {
    size: b.length,
    read: async (offset, length) => b.subarray(offset, offset + length),
  };
}

/** A RandomAccessSource over a file; close() it when done. */
export async function openFileSource(
  path: string,
): Promise<RandomAccessSource & { close(): Promise<void> }> {
  const fh = await openFile(path, 'r');
  const { size } = await fh.stat();
  return {
    size,
    async read(offset, length) {
      const buf = Buffer.allocUnsafe(length);
      let got = 0;
      while (got < length) {
        const { bytesRead } = await fh.read(buf, got, length - got, offset + got);
        if (bytesRead === 0) throw new IntegrityError('truncated', 'file shorter than its size');
        got += bytesRead;
      }
      return buf;
    },
    close: () => fh.close(),
  };
}

export interface RangeOptions {
  /** Also authenticate the object's final chunk, so a truncated object fails even when the
   * range does not reach its end. Default true (costs at most one extra chunk, once). */
  verifyEnd?: boolean;
}

/** An opened encrypted object: header parsed, key resolved, plaintext length known. Reads any
 * byte range by decrypting only the chunks that cover it. */
export class ObjectReader {
  readonly header: ObjectHeader;
  readonly plaintextLength: number;
  readonly chunkCount: number;
  readonly #source: RandomAccessSource;
  readonly #cipher: ChunkCipher;
  readonly #headerLength: number;
  #endVerified = false;

  private constructor(
    source: RandomAccessSource,
    header: ObjectHeader,
    headerLength: number,
    cipher: ChunkCipher,
  ) {
    this.#source = source;
    this.header = header;
    this.#headerLength = headerLength;
    this.#cipher = cipher;
    this.plaintextLength = plaintextLength(source.size, header.chunkSize, headerLength);
    this.chunkCount = chunkCount(this.plaintextLength, header.chunkSize);
  }

  static async open(source: RandomAccessSource, opts: DecryptOptions): Promise<ObjectReader> {
    // 288 = the largest v1 header (33 fixed + 255-byte key id): one read gets it all.
    const prefix = await source.read(0, Math.min(source.size, 288));
    const { header, length } = decodeHeader(prefix);
    const headerBytes = Buffer.from(prefix.subarray(0, length));
    // Check the framing before asking for a key: a truncated object costs no KMS call.
    plaintextLength(source.size, header.chunkSize, length);
    const dek = await resolveDek(opts.keys, header.dek);
    return new ObjectReader(
      source,
      header,
      length,
      cipherFor(dek, header, headerBytes, opts.context),
    );
  }

  async #readChunks(first: number, last: number): Promise<Buffer[]> {
    const stride = this.header.chunkSize + TAG_LENGTH;
    const from = this.#headerLength + first * stride;
    const to = Math.min(this.#headerLength + (last + 1) * stride, this.#source.size);
    const raw = await this.#source.read(from, to - from);
    if (raw.length !== to - from) throw new IntegrityError('truncated', 'short read');
    const out: Buffer[] = [];
    for (let i = first; i <= last; i++) {
      const s = (i - first) * stride;
      out.push(
        this.#cipher.open(
          raw.subarray(s, Math.min(s + stride, raw.length)),
          i,
          i === this.chunkCount - 1,
        ),
      );
    }
    if (last === this.chunkCount - 1) this.#endVerified = true;
    return out;
  }

  /** Plaintext bytes [start, end) (end clamped to the length). */
  async read(start = 0, end = this.plaintextLength, opts: RangeOptions = {}): Promise<Buffer> {
    if (!Number.isInteger(start) || !Number.isInteger(end) || start < 0 || end < start) {
      throw new RangeError(`invalid range [${start}, ${end})`);
    }
    end = Math.min(end, this.plaintextLength);
    if ((opts.verifyEnd ?? true) && !this.#endVerified) {
      const lastChunk = this.chunkCount - 1;
      const lastNeeded = start < end ? Math.floor((end - 1) / this.header.chunkSize) : -1;
      if (lastNeeded !== lastChunk) await this.#readChunks(lastChunk, lastChunk);
    }
    if (start >= end) return Buffer.alloc(0);
    const size = this.header.chunkSize;
    const first = Math.floor(start / size);
    const last = Math.floor((end - 1) / size);
    const chunks = await this.#readChunks(first, last);
    const out = Buffer.allocUnsafe(end - start);
    let off = 0;
    for (let i = 0; i < chunks.length; i++) {
      const base = (first + i) * size;
      const c = chunks[i]!;
      const s = Math.max(start - base, 0);
      const e = Math.min(end - base, c.length);
      off += c.copy(out, off, s, e);
    }
    return out;
  }
}

/** Decrypts plaintext bytes [start, end) of an object, reading only the chunks that cover them
 * (plus, unless verifyEnd is false, the final chunk to catch truncation). */
export async function decryptRange(
  source: RandomAccessSource,
  start: number,
  end: number,
  opts: DecryptOptions & RangeOptions,
): Promise<Buffer> {
  const reader = await ObjectReader.open(source, opts);
  return reader.read(start, end, opts);
}
