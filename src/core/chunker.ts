// Push-style encryption and decryption of one object, without Node's stream machinery: the
// caller hands in plaintext (or stored bytes) in pieces of any size and gets back the parts to
// write (or the authenticated plaintext) as lists of buffers. Same bytes and guarantees as
// EncryptStream/DecryptStream; this is what the object store's put/get loops drive, so that they
// can batch parts into one writev and overlap the cipher (main thread) with file I/O (libuv's
// thread pool) themselves. Stream layers in between measured as a large share of the store's
// cost (docs/core.md, "Performance").
import { takeTag, type ChunkCipher } from './aead.js';
import {
  cipherFor,
  newHeader,
  resolveDek,
  type DecryptOptions,
  type EncryptOptions,
} from './envelope.js';
import { IntegrityError } from './errors.js';
import {
  MAX_CHUNKS,
  TAG_LENGTH,
  decodeHeader,
  peekHeaderLength,
  type ObjectHeader,
} from './format.js';

function view(b: Uint8Array, start: number, end: number): Buffer {
  return Buffer.from(b.buffer, b.byteOffset + start, end - start);
}

/** Encrypts one object from plaintext pieces of any size. */
export class ObjectSealer {
  readonly header: ObjectHeader;
  readonly headerBytes: Buffer;
  readonly #cipher: ChunkCipher;
  readonly #size: number;
  /** A whole chunk not sealed yet (it may be the last): a view of the caller's input. */
  #held: Buffer | undefined;
  /** An incomplete chunk, copied (the caller's buffer may be reused after the call). */
  readonly #partial: Buffer;
  #partialLen = 0;
  #index = 0;
  #started = false;
  #done = false;
  /** Plaintext bytes taken so far. */
  bytes = 0;

  constructor(opts: EncryptOptions) {
    const { header, bytes } = newHeader(opts);
    this.header = header;
    this.headerBytes = bytes;
    this.#size = header.chunkSize;
    this.#cipher = cipherFor(opts.dek, header, bytes, opts.context);
    this.#partial = Buffer.allocUnsafe(header.chunkSize);
  }

  #seal(plaintext: Uint8Array, final: boolean, out: Buffer[]): void {
    if (this.#index >= MAX_CHUNKS) throw new RangeError('object too large for this chunk size');
    this.#cipher.sealTo(plaintext, this.#index++, final, out);
  }

  #begin(out: Buffer[]): void {
    if (this.#done) throw new Error('ObjectSealer: update() after final()');
    if (!this.#started) {
      this.#started = true;
      out.push(this.headerBytes);
    }
  }

  /** Takes the next plaintext piece; returns the parts to write, in order (the header first on
   * the first call). Up to one whole chunk of `plaintext` is kept as a view until the next call
   * (it might be the last chunk): do not modify `plaintext` before the next update()/final(). */
  update(plaintext: Uint8Array): Buffer[] {
    const out: Buffer[] = [];
    this.#begin(out);
    const len = plaintext.length;
    if (len === 0) return out;
    this.bytes += len;
    const size = this.#size;
    // More input follows whatever is pending, so pending data is not the final chunk.
    if (this.#held) {
      this.#seal(this.#held, false, out);
      this.#held = undefined;
    } else if (this.#partialLen === size) {
      this.#seal(this.#partial, false, out);
      this.#partialLen = 0;
    }
    let off = 0;
    if (this.#partialLen > 0) {
      const take = Math.min(size - this.#partialLen, len);
      this.#partial.set(view(plaintext, 0, take), this.#partialLen);
      this.#partialLen += take;
      off = take;
      if (this.#partialLen === size && off < len) {
        this.#seal(this.#partial, false, out);
        this.#partialLen = 0;
      }
      if (off === len) return out;
    }
    // Seal straight from the input (no copy) while more than a chunk remains.
    while (len - off > size) {
      this.#seal(view(plaintext, off, off + size), false, out);
      off += size;
    }
    if (len - off === size) this.#held = view(plaintext, off, len);
    else {
      this.#partial.set(view(plaintext, off, len), 0);
      this.#partialLen = len - off;
    }
    return out;
  }

  /** Seals what is pending as the final chunk (an empty object still gets one). */
  final(): Buffer[] {
    const out: Buffer[] = [];
    this.#begin(out);
    this.#done = true;
    if (this.#held) this.#seal(this.#held, true, out);
    else this.#seal(this.#partial.subarray(0, this.#partialLen), true, out);
    this.#held = undefined;
    this.#partial.fill(0);
    return out;
  }
}

/** Decrypts one object from stored bytes in pieces of any size. A chunk's plaintext is returned
 * only after its tag verifies; the first failure throws IntegrityError and the opener is then
 * unusable. The last whole chunk received is held back until more bytes or final() say whether
 * it is the final one. Input buffers are kept as views until the chunks they hold are opened:
 * do not reuse them. */
export class ObjectOpener {
  readonly #opts: DecryptOptions;
  #header: ObjectHeader | undefined;
  #cipher: ChunkCipher | undefined;
  #stride = 0;
  #headerLength = 0;
  readonly #queue: Buffer[] = [];
  #queued = 0;
  #index = 0;
  #failed = false;

  /** `detach`: copy the few bytes left queued after each update() (at most one chunk), so the
   * caller may reuse its input buffer as soon as update() resolves (the store's read loop
   * recycles its read buffers instead of faulting in fresh ones). */
  readonly detach: boolean;

  constructor(opts: DecryptOptions & { detach?: boolean }) {
    this.#opts = opts;
    this.detach = opts.detach ?? false;
  }

  get header(): ObjectHeader | undefined {
    return this.#header;
  }

  /** Where chunks lie in the stored object, once the header is read: chunk i starts at
   * `start + i * stride`. A reader that ends its reads on these boundaries hands over whole
   * chunks only (no chunk split across two inputs, nothing to copy with `detach`). */
  get layout(): { start: number; stride: number } | undefined {
    return this.#header ? { start: this.#headerLength, stride: this.#stride } : undefined;
  }

  /** Removes `n` queued bytes as views of the queued buffers (no copy). */
  #takeSegments(n: number): Buffer[] {
    const out: Buffer[] = [];
    let need = n;
    while (need > 0) {
      const b = this.#queue[0]!;
      if (b.length <= need) {
        out.push(b);
        this.#queue.shift();
        need -= b.length;
      } else {
        out.push(b.subarray(0, need));
        this.#queue[0] = b.subarray(need);
        need = 0;
      }
    }
    this.#queued -= n;
    return out;
  }

  async #readHeader(): Promise<boolean> {
    if (this.#queued < 8) return false;
    const first = this.#queue[0]!;
    const prefix = first.length >= 8 ? first : Buffer.concat(this.#queue, this.#queued);
    const hlen = peekHeaderLength(prefix.subarray(0, 8))!;
    if (this.#queued < hlen) return false;
    const headerBytes = Buffer.concat(this.#takeSegments(hlen), hlen);
    const { header } = decodeHeader(headerBytes);
    const dek = await resolveDek(this.#opts.keys, header.dek);
    this.#cipher = cipherFor(dek, header, headerBytes, this.#opts.context);
    this.#header = header;
    this.#stride = header.chunkSize + TAG_LENGTH;
    this.#headerLength = hlen;
    return true;
  }

  /** Opens the next `n` queued bytes as one chunk into `out`. */
  #openNext(n: number, final: boolean, out: Buffer[]): void {
    const first = this.#queue[0]!;
    if (first.length >= n) {
      // The common case: the whole chunk lies in one input buffer.
      if (first.length === n) this.#queue.shift();
      else this.#queue[0] = first.subarray(n);
      this.#queued -= n;
      const pt = this.#cipher!.openAt(first, 0, n, this.#index++, final);
      if (pt.length > 0) out.push(pt);
      return;
    }
    const segs = this.#takeSegments(n);
    const tag = takeTag(segs);
    for (const pt of this.#cipher!.openSegments(segs, tag, this.#index++, final)) out.push(pt);
  }

  #check(): void {
    if (this.#failed) throw new IntegrityError('chunk', 'object already failed authentication');
  }

  /** Takes the next stored bytes; returns the plaintext of every chunk that is now known not to
   * be the last one and that verified. `moreFollows`: the caller knows more bytes come after
   * these (it knows the object's size), so a whole chunk at the end is not the final one
   * either; if those bytes never come, final() fails as for any truncation. */
  async update(data: Uint8Array, moreFollows = false): Promise<Buffer[]> {
    this.#check();
    const out: Buffer[] = [];
    if (data.length === 0) return out;
    this.#queue.push(view(data, 0, data.length));
    this.#queued += data.length;
    try {
      if (this.#cipher || (await this.#readHeader())) {
        // Strictly more than one chunk queued: the first is not the last.
        while (this.#queued > this.#stride) this.#openNext(this.#stride, false, out);
        if (moreFollows && this.#queued === this.#stride) {
          this.#openNext(this.#stride, false, out);
        }
      }
      if (this.detach && this.#queued > 0) {
        const rest = Buffer.concat(this.#queue, this.#queued);
        this.#queue.length = 0;
        this.#queue.push(rest);
      }
    } catch (e) {
      this.#fail(out);
      throw e;
    }
    return out;
  }

  /** End of the object: opens the last chunk, which must be sealed as final. */
  async final(): Promise<Buffer[]> {
    this.#check();
    const out: Buffer[] = [];
    try {
      if (!this.#cipher && !(await this.#readHeader())) {
        throw new IntegrityError('truncated', 'object ends inside its header');
      }
      if (this.#queued < TAG_LENGTH || (this.#queued === TAG_LENGTH && this.#index > 0)) {
        throw new IntegrityError('truncated', 'object has no final chunk');
      }
      this.#openNext(this.#queued, true, out);
    } catch (e) {
      this.#fail(out);
      throw e;
    }
    return out;
  }

  #fail(out: Buffer[]): void {
    this.#failed = true;
    // Plaintext of this call's earlier chunks is authentic, but the caller gets an error, not
    // the list: do not leave it lying in memory.
    for (const p of out) p.fill(0);
    this.#queue.length = 0;
    this.#queued = 0;
  }
}

export function createSealer(opts: EncryptOptions): ObjectSealer {
  return new ObjectSealer(opts);
}

export function createOpener(opts: DecryptOptions): ObjectOpener {
  return new ObjectOpener(opts);
}
