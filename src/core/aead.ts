// Chunk AEAD: AES-256-GCM under a per-object key, in the STREAM construction (Hoang, Reyhanitabar,
// Rogaway, Vizár 2015): nonce = prefix(7) ‖ chunk counter(u32) ‖ final flag(1), and the chunk
// index and final flag are also bound into the AAD together with the object digest (header +
// encryption context). So a chunk authenticates only at its own position, in its own object,
// under its own context, and only the real last chunk authenticates as final: reordering,
// dropping, duplicating, truncating, splicing objects or a wrong context all fail the tag.
//
// Hot path notes: one nonce buffer and one AAD buffer per object, rewritten in place per chunk
// (createCipheriv and setAAD copy them into OpenSSL at once). node:crypto has no "update into a
// caller buffer" API, so each update allocates its output; the *Into variants copy it into the
// caller's preallocated buffer, which bench/core.ts measures against a bare loop.
import { createCipheriv, createDecipheriv, hkdfSync, webcrypto } from 'node:crypto';
import type { EncryptionContext } from '../kms/types.js';
import { IntegrityError } from './errors.js';
import { MAX_CHUNKS, TAG_LENGTH, chunkCount, objectDigest, type ObjectHeader } from './format.js';

const ALGORITHM = 'aes-256-gcm';
const NONCE_PREFIX_LENGTH = 7;
const HKDF_INFO = Buffer.from('cmek/v1 object key: aes-256-gcm, hkdf-sha256', 'utf8');
/** Shared, never mutated: one options object per chunk was measurable garbage on the hot path. */
const DECIPHER_OPTIONS = Object.freeze({ authTagLength: TAG_LENGTH });

/** Bytes of a cipher's exported per-object material: object key (32) ‖ nonce prefix (7) ‖
 * object digest (32). What a crypto worker receives instead of the data key (src/core/pool.ts). */
export const MATERIAL_LENGTH = 32 + NONCE_PREFIX_LENGTH + 32;

/** Hands exported material to the constructor (ChunkCipher.fromMaterial): the private fields
 * can only be set there. Set and cleared synchronously around one `new`. */
let handoff: Uint8Array | undefined;

export class ChunkCipher {
  readonly #key: Buffer;
  readonly #nonce = Buffer.alloc(12);
  readonly #aad = Buffer.alloc(32 + 4 + 1);

  /** `dek`: the 32-byte data key. The object key and nonce prefix come from
   * HKDF-SHA256(ikm = DEK, salt = object id, info = suite label), so every object has its own
   * key even under one DEK, and nonces never repeat across objects. */
  constructor(
    dek: Uint8Array,
    header: ObjectHeader,
    headerBytes: Uint8Array,
    context: EncryptionContext,
  ) {
    if (handoff) {
      const m = handoff;
      this.#key = Buffer.from(m.subarray(0, 32));
      this.#nonce.set(m.subarray(32, 32 + NONCE_PREFIX_LENGTH), 0);
      this.#aad.set(m.subarray(32 + NONCE_PREFIX_LENGTH, MATERIAL_LENGTH), 0);
      return;
    }
    if (dek.length !== 32) throw new RangeError('data key must be 32 bytes');
    const okm = Buffer.from(
      hkdfSync('sha256', dek, header.objectId, HKDF_INFO, 32 + NONCE_PREFIX_LENGTH),
    );
    this.#key = okm.subarray(0, 32);
    okm.copy(this.#nonce, 0, 32, 32 + NONCE_PREFIX_LENGTH);
    objectDigest(headerBytes, context).copy(this.#aad, 0);
  }

  /** @internal A cipher for the same object from exportMaterial()'s bytes (copied). */
  static fromMaterial(material: Uint8Array): ChunkCipher {
    if (material.length !== MATERIAL_LENGTH) throw new RangeError('bad cipher material length');
    handoff = material;
    try {
      return new ChunkCipher(material, undefined as never, material, {});
    } finally {
      handoff = undefined;
    }
  }

  /** @internal Writes this object's key, nonce prefix and digest (MATERIAL_LENGTH bytes) into
   * `out` at `offset`: the per-object secret, never the data key. */
  exportMaterial(out: Uint8Array, offset = 0): void {
    out.set(this.#key, offset);
    out.set(this.#nonce.subarray(0, NONCE_PREFIX_LENGTH), offset + 32);
    out.set(this.#aad.subarray(0, 32), offset + 32 + NONCE_PREFIX_LENGTH);
  }

  /** Zeroes the object key: every later seal/open of this cipher fails authentication. */
  wipe(): void {
    this.#key.fill(0);
  }

  #prepare(index: number, final: boolean): void {
    if (!Number.isInteger(index) || index < 0 || index >= MAX_CHUNKS) {
      throw new RangeError('chunk index out of range');
    }
    this.#nonce.writeUInt32BE(index, NONCE_PREFIX_LENGTH);
    this.#nonce[11] = final ? 1 : 0;
    this.#aad.writeUInt32BE(index, 32);
    this.#aad[36] = final ? 1 : 0;
  }

  /** Encrypts one chunk; returns ciphertext and tag as separate buffers (no copy: streams push
   * them as they are). */
  seal(plaintext: Uint8Array, index: number, final: boolean): [Buffer, Buffer] {
    this.#prepare(index, final);
    const c = createCipheriv(ALGORITHM, this.#key, this.#nonce);
    c.setAAD(this.#aad);
    const ct = c.update(plaintext);
    c.final();
    return [ct, c.getAuthTag()];
  }

  /** seal() appending ciphertext (when not empty) and tag to `out`: no tuple per chunk. */
  sealTo(plaintext: Uint8Array, index: number, final: boolean, out: Buffer[]): void {
    this.#prepare(index, final);
    const c = createCipheriv(ALGORITHM, this.#key, this.#nonce);
    c.setAAD(this.#aad);
    const ct = c.update(plaintext);
    c.final();
    if (ct.length > 0) out.push(ct);
    out.push(c.getAuthTag());
  }

  /** Encrypts one chunk into `out` at `offset` (ciphertext then tag); returns bytes written. */
  sealInto(
    plaintext: Uint8Array,
    index: number,
    final: boolean,
    out: Buffer,
    offset: number,
  ): number {
    const [ct, tag] = this.seal(plaintext, index, final);
    ct.copy(out, offset);
    tag.copy(out, offset + ct.length);
    return ct.length + TAG_LENGTH;
  }

  /** Decrypts one chunk (ciphertext ‖ tag). Nothing is returned unless the tag verifies:
   * GCM's update() yields plaintext before the tag is checked, so it is held until final(). */
  open(sealed: Uint8Array, index: number, final: boolean): Buffer {
    const b =
      sealed instanceof Buffer
        ? sealed
        : Buffer.from(sealed.buffer, sealed.byteOffset, sealed.byteLength);
    return this.openAt(b, 0, b.length, index, final);
  }

  /** open() of the chunk at `buf[start, end)`: the two views it needs (ciphertext, tag) are cut
   * straight from `buf`, so a whole-object decrypt makes no other object per chunk. */
  openAt(buf: Buffer, start: number, end: number, index: number, final: boolean): Buffer {
    if (end - start < TAG_LENGTH) throw new IntegrityError('truncated', 'chunk shorter than tag');
    this.#prepare(index, final);
    const ctEnd = end - TAG_LENGTH;
    const d = createDecipheriv(ALGORITHM, this.#key, this.#nonce, DECIPHER_OPTIONS);
    d.setAAD(this.#aad);
    d.setAuthTag(buf.subarray(ctEnd, end));
    const pt = d.update(buf.subarray(start, ctEnd));
    try {
      d.final();
    } catch {
      pt.fill(0);
      throw new IntegrityError(
        'chunk',
        `chunk ${index}${final ? ' (final)' : ''} failed authentication`,
      );
    }
    return pt;
  }

  /** Decrypts one chunk whose ciphertext arrives in several pieces (a stream's buffers), so
   * the pieces need not be copied together. Returns the plaintext pieces, only after the tag
   * verifies. */
  openSegments(
    segments: readonly Uint8Array[],
    tag: Uint8Array,
    index: number,
    final: boolean,
  ): Buffer[] {
    if (tag.length !== TAG_LENGTH) throw new IntegrityError('truncated', 'chunk shorter than tag');
    this.#prepare(index, final);
    const d = createDecipheriv(ALGORITHM, this.#key, this.#nonce, DECIPHER_OPTIONS);
    d.setAAD(this.#aad);
    d.setAuthTag(tag);
    const out: Buffer[] = [];
    for (const s of segments) if (s.length > 0) out.push(d.update(s));
    try {
      d.final();
    } catch {
      for (const p of out) p.fill(0);
      throw new IntegrityError(
        'chunk',
        `chunk ${index}${final ? ' (final)' : ''} failed authentication`,
      );
    }
    return out;
  }

  /** Seals the consecutive chunks in `plaintext` (chunk size `chunkSize`, the first one at
   * `firstIndex`) into `out` at `offset`, each as ciphertext ‖ tag; returns bytes written.
   * Every chunk is whole unless `final`, when the last one (1..chunkSize bytes, or 0 bytes
   * for an empty object) is sealed as the object's final chunk. The inline path; the crypto
   * pool's workers run sealRunParts (src/core/pool.ts), the same loop without the copies. */
  sealRun(
    plaintext: Buffer,
    chunkSize: number,
    firstIndex: number,
    final: boolean,
    out: Buffer,
    offset: number,
  ): number {
    const tags = Buffer.allocUnsafe(runChunks(plaintext.length, chunkSize, final) * TAG_LENGTH);
    const cts = this.sealRunParts(plaintext, chunkSize, firstIndex, final, tags);
    let off = offset;
    for (let i = 0; i < cts.length; i++) {
      off += cts[i]!.copy(out, off);
      off += tags.copy(out, off, i * TAG_LENGTH, (i + 1) * TAG_LENGTH);
    }
    return off - offset;
  }

  /** Seals `length` bytes of consecutive chunks (chunk size `chunkSize`, the first one at
   * `firstIndex`) into `out` at `outOffset`, each as ciphertext ‖ tag (the stored layout, stride
   * chunkSize + 16). Chunk i's plaintext is read at `src[srcOffset + i·srcStride]`: `srcStride`
   * is chunkSize for a contiguous plaintext, or chunkSize + 16 when the plaintext already lies
   * at the stored positions in `out` itself (sealed where it lies: each chunk's output covers
   * only its own plaintext). Returns bytes written. What a crypto worker runs on shared memory
   * (src/core/pool.ts): node:crypto's per-chunk output is copied into `out` on the worker. */
  sealRunStrided(
    src: Buffer,
    srcOffset: number,
    srcStride: number,
    length: number,
    chunkSize: number,
    firstIndex: number,
    final: boolean,
    out: Buffer,
    outOffset: number,
  ): number {
    const n = runChunks(length, chunkSize, final);
    const stride = chunkSize + TAG_LENGTH;
    const total = length + n * TAG_LENGTH;
    if (out.length < outOffset + total) throw new RangeError('output too short for the run');
    for (let i = 0; i < n; i++) {
      const len = Math.min(chunkSize, length - i * chunkSize);
      const at = srcOffset + i * srcStride;
      this.#prepare(firstIndex + i, final && i === n - 1);
      const c = createCipheriv(ALGORITHM, this.#key, this.#nonce);
      c.setAAD(this.#aad);
      const ct = c.update(src.subarray(at, at + len));
      c.final();
      const o = outOffset + i * stride;
      out.set(ct, o);
      out.set(c.getAuthTag(), o + len);
    }
    return total;
  }

  /** sealRun's loop without copies: returns each chunk's ciphertext as node:crypto produced it
   * (one buffer per chunk, empty for an empty object) and writes chunk i's tag at
   * `tags[16 i]`. The stored bytes are ciphertext ‖ tag per chunk, in order. */
  sealRunParts(
    plaintext: Buffer,
    chunkSize: number,
    firstIndex: number,
    final: boolean,
    tags: Uint8Array,
  ): Buffer[] {
    const n = runChunks(plaintext.length, chunkSize, final);
    if (tags.length < n * TAG_LENGTH) throw new RangeError('tag buffer too short');
    const cts: Buffer[] = [];
    for (let i = 0; i < n; i++) {
      const chunk = plaintext.subarray(
        i * chunkSize,
        Math.min((i + 1) * chunkSize, plaintext.length),
      );
      this.#prepare(firstIndex + i, final && i === n - 1);
      const c = createCipheriv(ALGORITHM, this.#key, this.#nonce);
      c.setAAD(this.#aad);
      cts.push(c.update(chunk));
      c.final();
      tags.set(c.getAuthTag(), i * TAG_LENGTH);
    }
    return cts;
  }

  /** Opens the consecutive stored chunks in `stored` (ciphertext ‖ tag each, stride
   * chunkSize + 16) into `out` at `offset`; returns plaintext bytes written. A chunk's
   * plaintext is written only after its tag verified; on the first failure nothing is written
   * and the IntegrityError is thrown (see openRunParts). */
  openRun(
    stored: Buffer,
    chunkSize: number,
    firstIndex: number,
    final: boolean,
    out: Buffer,
    offset: number,
  ): number {
    const pts = this.openRunParts(stored, chunkSize, firstIndex, final);
    let off = offset;
    for (const pt of pts) off += pt.copy(out, off);
    return off - offset;
  }

  /** openRun's loop without copies: each chunk's plaintext as node:crypto produced it, one
   * buffer per chunk, all returned only once every chunk's tag verified. On the first failure
   * the plaintext of the chunks before it is zeroed and the IntegrityError is thrown (nothing
   * after it is opened). */
  openRunParts(stored: Buffer, chunkSize: number, firstIndex: number, final: boolean): Buffer[] {
    const stride = chunkSize + TAG_LENGTH;
    let n: number;
    if (final) {
      n = Math.ceil(stored.length / stride);
      if (n === 0 || stored.length - (n - 1) * stride < TAG_LENGTH) {
        throw new IntegrityError('truncated', 'object has no final chunk');
      }
    } else {
      if (stored.length % stride !== 0) throw new RangeError('a batch must hold whole chunks');
      n = stored.length / stride;
    }
    const pts: Buffer[] = [];
    try {
      for (let i = 0; i < n; i++) {
        const start = i * stride;
        const end = Math.min(start + stride, stored.length);
        pts.push(this.openAt(stored, start, end, firstIndex + i, final && i === n - 1));
      }
    } catch (e) {
      for (const pt of pts) pt.fill(0);
      throw e;
    }
    return pts;
  }

  #webKey: webcrypto.CryptoKey | undefined;

  /** Imports the object key as a WebCrypto key (non-extractable) for the async variants
   * below. WebCrypto runs AES-GCM on libuv's thread pool, so several chunks can be in flight
   * on several cores while the main thread does I/O. Call once before sealAsync/openAsync. */
  async ready(): Promise<void> {
    this.#webKey ??= await webcrypto.subtle.importKey('raw', this.#key, 'AES-GCM', false, [
      'encrypt',
      'decrypt',
    ]);
  }

  #params(index: number, final: boolean): [webcrypto.AesGcmParams, webcrypto.CryptoKey] {
    if (!this.#webKey) throw new Error('ChunkCipher.ready() must complete before async use');
    this.#prepare(index, final);
    // Own copies per call: the job is asynchronous.
    const params = {
      name: 'AES-GCM',
      iv: Buffer.from(this.#nonce),
      additionalData: Buffer.from(this.#aad),
      tagLength: TAG_LENGTH * 8,
    };
    return [params, this.#webKey];
  }

  /** Seal on the thread pool: ciphertext ‖ tag, byte for byte what seal() produces. The job is
   * started before this returns and WebCrypto copies its input when it starts, so the caller
   * may reuse `plaintext` at once (test/core/parallel.test.ts pins that). */
  sealAsync(plaintext: Uint8Array, index: number, final: boolean): Promise<Buffer> {
    const [params, key] = this.#params(index, final);
    return webcrypto.subtle.encrypt(params, key, plaintext).then((ab) => Buffer.from(ab));
  }

  /** Open on the thread pool; WebCrypto yields plaintext only after the tag verifies. */
  openAsync(sealed: Uint8Array, index: number, final: boolean): Promise<Buffer> {
    if (sealed.length < TAG_LENGTH) {
      return Promise.reject(new IntegrityError('truncated', 'chunk shorter than tag'));
    }
    const [params, key] = this.#params(index, final);
    return webcrypto.subtle.decrypt(params, key, sealed).then(
      (ab) => Buffer.from(ab),
      () => {
        throw new IntegrityError(
          'chunk',
          `chunk ${index}${final ? ' (final)' : ''} failed authentication`,
        );
      },
    );
  }

  /** Like open(), into `out` at `offset`; returns plaintext bytes written. */
  openInto(sealed: Uint8Array, index: number, final: boolean, out: Buffer, offset: number): number {
    const pt = this.open(sealed, index, final);
    pt.copy(out, offset);
    return pt.length;
  }
}

/** Chunks in a run of `length` plaintext bytes: whole chunks only, unless `final` (then the
 * last may be short, and an empty final run is one empty chunk). */
export function runChunks(length: number, chunkSize: number, final: boolean): number {
  if (final) return chunkCount(length, chunkSize);
  if (length % chunkSize !== 0) throw new RangeError('a batch must hold whole chunks');
  return length / chunkSize;
}

/** Removes the last TAG_LENGTH bytes from a chunk held as pieces (`segs`, changed in place) and
 * returns them: the ciphertext stays uncopied; only a tag split across pieces is copied. */
export function takeTag(segs: Buffer[]): Buffer {
  const last = segs[segs.length - 1]!;
  if (last.length >= TAG_LENGTH) {
    segs[segs.length - 1] = last.subarray(0, last.length - TAG_LENGTH);
    return last.subarray(last.length - TAG_LENGTH);
  }
  // Walk back over the trailing pieces that hold the tag.
  const parts: Buffer[] = [];
  let need = TAG_LENGTH;
  while (need > 0) {
    const s = segs.pop()!;
    if (s.length <= need) {
      parts.unshift(s);
      need -= s.length;
    } else {
      parts.unshift(s.subarray(s.length - need));
      segs.push(s.subarray(0, s.length - need));
      need = 0;
    }
  }
  return Buffer.concat(parts, TAG_LENGTH);
}
