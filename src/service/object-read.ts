// get()'s read loop and the other read paths. The loop reads the stored body in batches of
// whole chunks (4 MiB of plaintext, the crypto pool's batch), one read always in flight ahead
// on libuv's thread pool, and hands each batch to the codec's opener, up to OPEN_DEPTH batches
// being opened at once (on the pool's workers). Openers that copy their input let the loop
// recycle its two read buffers: faulting in fresh pages for every batch costs about as much as
// the read itself on this VM. Nothing is pushed before the opener released it, i.e. before it
// authenticated.
//
// Memory: two read buffers of ≤ READ_BATCH (+ tags), OPEN_DEPTH batches being opened (input
// copy + plaintext) and what the consumer has not taken (highWaterMark, one batch): ≈ 2 × 4 +
// 2 × 8 + 4 = 28 MiB per get, whatever the object size.
import type { promises as fsp } from 'node:fs';
import { PassThrough, Readable, pipeline as pipe } from 'node:stream';
import { isIntegrityError } from '../core/index.js';
import { DiagnosticError } from '../model/diagnostics.js';
import type { BatchBodyOpener, ByteRange, CiphertextSource, RangeReader } from './object-codec.js';
import type { Transform } from 'node:stream';

/** Stored bytes per read, rounded up to whole chunks (so a batch carries 4 MiB of plaintext). */
export const READ_BATCH = 4 << 20;
/** Batches handed to the opener and not yet pushed. */
const OPEN_DEPTH = 2;

const noop = (): void => undefined;

/** Integrity failures of the core become CMEK_INTEGRITY diagnostics; others pass unchanged. */
export function asDiagnostic(e: Error): Error {
  return isIntegrityError(e) ? new DiagnosticError(e.toDiagnostic()) : e;
}

/** Reads exactly `length` bytes at `position` into `buf` (fewer only at the end of the file). */
export async function readFully(
  fh: fsp.FileHandle,
  buf: Buffer,
  length: number,
  position: number,
): Promise<number> {
  let got = 0;
  while (got < length) {
    const { bytesRead } = await fh.read(buf, got, length - got, position + got);
    if (bytesRead === 0) break;
    got += bytesRead;
  }
  return got;
}

/** The plaintext stream of get(). Closes the file however it ends. */
export class BodyReadable extends Readable {
  readonly #fh: fsp.FileHandle;
  readonly #opener: BatchBodyOpener;
  readonly #length: number;
  readonly #readSize: number;
  #pos: number;
  #ahead: Promise<Buffer> | undefined;
  readonly #opens: Promise<Buffer[]>[] = [];
  #lastIssued = false;
  #busy = false;
  #want = false;
  #ended = false;
  /** Read buffers free for reuse (only when the opener detaches: otherwise what it returns may
   * be views of them, as with the identity codec). */
  readonly #free: Buffer[] = [];
  /** The pooled buffer behind each view handed out by #readAt. */
  readonly #whole = new WeakMap<Buffer, Buffer>();

  constructor(fh: fsp.FileHandle, opener: BatchBodyOpener, length: number) {
    super({ highWaterMark: READ_BATCH });
    this.#fh = fh;
    this.#opener = opener;
    this.#length = length;
    this.#pos = Math.min(opener.start, length);
    this.#readSize = Math.ceil(READ_BATCH / opener.stride) * opener.stride;
  }

  async #readAt(pos: number): Promise<Buffer> {
    const n = Math.min(this.#readSize, this.#length - pos);
    let buf: Buffer;
    if (this.#opener.lease) {
      // Read straight into the opener's (the crypto pool's) buffer: no copy on the way in.
      buf = this.#opener.lease(n);
    } else {
      // Pooled buffers are kept whole; reads use a view of the length they need.
      const full = this.#free.pop() ?? Buffer.allocUnsafe(Math.min(this.#readSize, this.#length));
      buf = full.subarray(0, n);
      this.#whole.set(buf, full);
    }
    if ((await readFully(this.#fh, buf, n, pos)) < n) {
      throw new Error('object file shrank while being read');
    }
    return buf;
  }

  /** Hands batches to the opener until OPEN_DEPTH are in flight or the body is all read. */
  async #fill(): Promise<void> {
    while (!this.#lastIssued && this.#opens.length < OPEN_DEPTH) {
      let buf: Buffer;
      if (this.#pos < this.#length) {
        buf = await (this.#ahead ?? this.#readAt(this.#pos));
        this.#ahead = undefined;
        this.#pos += buf.length;
      } else {
        buf = Buffer.alloc(0); // an empty body: the opener still checks its end
      }
      const final = this.#pos >= this.#length;
      if (!final) {
        this.#ahead = this.#readAt(this.#pos);
        this.#ahead.catch(noop); // awaited (its error raised) on the next call
      }
      const opened = this.#opener.open(buf, final);
      opened.catch(noop); // awaited in order by #step
      this.#opens.push(opened);
      if (final) this.#lastIssued = true;
      // The opener copied or opened the batch already: its buffer is free.
      if (this.#opener.detaches && !this.#opener.lease && buf.length > 0) {
        this.#free.push(this.#whole.get(buf) ?? buf);
      }
    }
  }

  /** One batch; returns whether the stream still wants data. */
  async #step(): Promise<boolean> {
    await this.#fill();
    const next = this.#opens.shift();
    if (!next) {
      this.#ended = true;
      this.push(null);
      return false;
    }
    let more = true;
    for (const pt of await next) if (pt.length > 0) more = this.push(pt);
    if (this.#lastIssued && this.#opens.length === 0) {
      this.#ended = true;
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
      this.#opener.close();
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
    void (async () => {
      // Batches still being opened settle first (their plaintext is dropped), then the file.
      if (!this.#ended) this.#opener.close();
      await this.#ahead?.catch(noop);
      for (const o of this.#opens.splice(0)) await o.catch(noop);
      await this.#fh.close().catch(noop);
      cb(err);
    })();
  }
}

/** The stream path, for codecs without a batch opener: `dec` over the body's bytes. */
export function streamBody(fh: fsp.FileHandle, bodyLength: number, dec: Transform): Readable {
  const raw =
    bodyLength === 0
      ? Readable.from([])
      : fh.createReadStream({ start: 0, end: bodyLength - 1, highWaterMark: 1 << 20 });
  if (bodyLength === 0) void fh.close();
  // The read stream closes the file however it ends. Errors reach the caller as diagnostics
  // (CMEK_INTEGRITY for a body that fails authentication).
  const out = new PassThrough();
  pipe(raw, dec, (err) => {
    if (err) out.destroy(asDiagnostic(err));
  }).pipe(out);
  return out;
}

/** The stored body of an open file as random-access ciphertext. */
export function ciphertextSource(fh: fsp.FileHandle, bodyLength: number): CiphertextSource {
  return {
    size: bodyLength,
    async read(offset, length) {
      const buf = Buffer.allocUnsafe(length);
      const got = await readFully(fh, buf, length, offset);
      return got === length ? buf : buf.subarray(0, got);
    },
  };
}

/** A byte range of the plaintext, read in 1 MiB steps (bounded memory for any range). Closes
 * the file however it ends. */
export function rangeStream(fh: fsp.FileHandle, reader: RangeReader, range: ByteRange): Readable {
  const start = Math.max(0, range.start);
  const end = Math.min(range.end ?? reader.plaintextLength, reader.plaintextLength);
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
