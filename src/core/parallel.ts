// Parallel streams: the same object format as EncryptStream/DecryptStream, with AES-GCM run on
// libuv's thread pool through WebCrypto, up to `concurrency` chunks in flight. On a machine
// with spare cores this takes the cipher off the main thread (which keeps doing I/O) and
// spreads it over the pool; output order and the integrity rules are those of the serial
// streams: chunks are emitted strictly in order, each only after its tag verified, and nothing
// after the first failure.
import { Transform, type TransformCallback } from 'node:stream';
import type { ChunkCipher } from './aead.js';
import {
  cipherFor,
  newHeader,
  resolveDek,
  type DecryptOptions,
  type EncryptOptions,
} from './envelope.js';
import { IntegrityError } from './errors.js';
import { TAG_LENGTH, decodeHeader, peekHeaderLength, type ObjectHeader } from './format.js';

export interface ParallelOptions {
  /** Chunks in flight at once. Default 4 (libuv's default thread pool size). */
  concurrency?: number;
}

/** In-order results of asynchronous chunk jobs, at most `limit` outstanding. */
class Window {
  readonly #jobs: Promise<Buffer>[] = [];
  constructor(readonly limit: number) {
    if (!Number.isInteger(limit) || limit < 1) throw new RangeError('concurrency must be ≥ 1');
  }

  add(job: Promise<Buffer>): void {
    job.catch(() => undefined); // awaited in order later; no unhandled rejection meanwhile
    this.#jobs.push(job);
  }

  get full(): boolean {
    return this.#jobs.length >= this.limit;
  }

  /** Waits for the oldest job and returns its result. */
  async shift(): Promise<Buffer> {
    return this.#jobs.shift()!;
  }

  get size(): number {
    return this.#jobs.length;
  }
}

export class ParallelEncryptStream extends Transform {
  readonly header: ObjectHeader;
  readonly #headerBytes: Buffer;
  readonly #cipher: ChunkCipher;
  readonly #pending: Buffer;
  readonly #window: Window;
  #pendingLen = 0;
  #index = 0;
  #started = false;

  constructor(opts: EncryptOptions & ParallelOptions) {
    super();
    const { header, bytes } = newHeader(opts);
    this.header = header;
    this.#headerBytes = bytes;
    this.#cipher = cipherFor(opts.dek, header, bytes, opts.context);
    this.#pending = Buffer.allocUnsafe(header.chunkSize);
    this.#window = new Window(opts.concurrency ?? 4);
  }

  async #dispatch(plaintext: Uint8Array, final: boolean): Promise<void> {
    if (!this.#started) {
      this.#started = true;
      await this.#cipher.ready();
      this.push(this.#headerBytes);
    }
    this.#window.add(this.#cipher.sealAsync(plaintext, this.#index++, final));
    if (this.#window.full) this.push(await this.#window.shift());
  }

  async #write(data: Buffer): Promise<void> {
    const size = this.header.chunkSize;
    let off = 0;
    while (off < data.length) {
      if (this.#pendingLen === size) {
        // sealAsync copies its input when it starts, so the pending buffer is free again.
        await this.#dispatch(this.#pending, false);
        this.#pendingLen = 0;
      }
      if (this.#pendingLen === 0 && data.length - off > size) {
        await this.#dispatch(data.subarray(off, off + size), false);
        off += size;
        continue;
      }
      const take = Math.min(size - this.#pendingLen, data.length - off);
      data.copy(this.#pending, this.#pendingLen, off, off + take);
      this.#pendingLen += take;
      off += take;
    }
  }

  override _transform(data: Buffer, _enc: BufferEncoding, cb: TransformCallback): void {
    this.#write(data).then(() => cb(), cb);
  }

  override _flush(cb: TransformCallback): void {
    (async () => {
      await this.#dispatch(this.#pending.subarray(0, this.#pendingLen), true);
      this.#pending.fill(0);
      while (this.#window.size > 0) this.push(await this.#window.shift());
    })().then(() => cb(), cb);
  }
}

export class ParallelDecryptStream extends Transform {
  readonly #opts: DecryptOptions;
  readonly #window: Window;
  #cipher: ChunkCipher | undefined;
  #header: ObjectHeader | undefined;
  #stride = 0;
  readonly #queue: Buffer[] = [];
  #queued = 0;
  #index = 0;

  constructor(opts: DecryptOptions & ParallelOptions) {
    super();
    this.#opts = opts;
    this.#window = new Window(opts.concurrency ?? 4);
  }

  get header(): ObjectHeader | undefined {
    return this.#header;
  }

  /** Removes `n` queued bytes as one buffer (copied only when they span buffers; WebCrypto
   * needs one contiguous input and copies it anyway). */
  #take(n: number): Buffer {
    const first = this.#queue[0];
    if (first && first.length >= n) {
      if (first.length === n) this.#queue.shift();
      else this.#queue[0] = first.subarray(n);
      this.#queued -= n;
      return first.subarray(0, n);
    }
    const all = Buffer.concat(this.#queue, this.#queued);
    this.#queue.length = 0;
    if (all.length > n) this.#queue.push(all.subarray(n));
    this.#queued -= n;
    return all.subarray(0, n);
  }

  async #readHeader(): Promise<boolean> {
    if (this.#queued < 8) return false;
    const head = this.#queue[0]!;
    const prefix = head.length >= 8 ? head : Buffer.concat(this.#queue, this.#queued);
    const hlen = peekHeaderLength(prefix.subarray(0, 8))!;
    if (this.#queued < hlen) return false;
    const headerBytes = Buffer.from(this.#take(hlen));
    const { header } = decodeHeader(headerBytes);
    const dek = await resolveDek(this.#opts.keys, header.dek);
    const cipher = cipherFor(dek, header, headerBytes, this.#opts.context);
    await cipher.ready();
    this.#cipher = cipher;
    this.#header = header;
    this.#stride = header.chunkSize + TAG_LENGTH;
    return true;
  }

  async #dispatch(n: number, final: boolean): Promise<void> {
    this.#window.add(this.#cipher!.openAsync(this.#take(n), this.#index++, final));
    if (this.#window.full) this.#pushPlain(await this.#window.shift());
  }

  #pushPlain(pt: Buffer): void {
    if (pt.length > 0) this.push(pt);
  }

  async #drain(): Promise<void> {
    if (!this.#cipher && !(await this.#readHeader())) return;
    while (this.#queued > this.#stride) await this.#dispatch(this.#stride, false);
  }

  override _transform(data: Buffer, _enc: BufferEncoding, cb: TransformCallback): void {
    this.#queue.push(data);
    this.#queued += data.length;
    this.#drain().then(() => cb(), cb);
  }

  override _flush(cb: TransformCallback): void {
    (async () => {
      if (!this.#cipher && !(await this.#readHeader())) {
        throw new IntegrityError('truncated', 'object ends inside its header');
      }
      if (this.#queued < TAG_LENGTH || (this.#queued === TAG_LENGTH && this.#index > 0)) {
        // Chunks already in flight are not emitted: the object as a whole is bad.
        throw new IntegrityError('truncated', 'object has no final chunk');
      }
      await this.#dispatch(this.#queued, true);
      while (this.#window.size > 0) this.#pushPlain(await this.#window.shift());
    })().then(() => cb(), cb);
  }
}

/** A parallel EncryptStream (same output bytes). */
export function createParallelEncryptStream(
  opts: EncryptOptions & ParallelOptions,
): ParallelEncryptStream {
  return new ParallelEncryptStream(opts);
}

/** A parallel DecryptStream (same guarantees). */
export function createParallelDecryptStream(
  opts: DecryptOptions & ParallelOptions,
): ParallelDecryptStream {
  return new ParallelDecryptStream(opts);
}
