// Node stream adapters. DecryptStream is a Transform over ObjectOpener (src/core/chunker.ts),
// so the decryption logic (header, chunk framing, final-chunk and truncation checks) exists
// once; the object store's get loop drives ObjectOpener directly. Re-encryption (cloudsql
// `reencrypt`, clones, restores) pipes a DecryptStream into an EncryptStream.
import { Duplex, Transform, pipeline, type TransformCallback } from 'node:stream';
import { ObjectOpener } from './chunker.js';
import {
  EncryptStream,
  decryptToParts,
  type DecryptOptions,
  type EncryptOptions,
} from './envelope.js';
import type { ObjectHeader } from './format.js';

/** A Transform that decrypts the object format. Each chunk is pushed only after its tag
 * verifies; a failing stream errors with IntegrityError and never emits the bad chunk (nor
 * the chunks of the same write that came before it). The last chunk is only known at
 * end-of-stream, so one chunk is always held back. Input buffers are kept as views until the
 * chunks they hold are decrypted: a writer must not reuse them (Node streams do not). */
export class DecryptStream extends Transform {
  readonly #opener: ObjectOpener;

  constructor(opts: DecryptOptions) {
    super();
    this.#opener = new ObjectOpener(opts);
  }

  get header(): ObjectHeader | undefined {
    return this.#opener.header;
  }

  #emit(parts: Buffer[]): void {
    for (const p of parts) this.push(p);
  }

  override _transform(data: Buffer, _enc: BufferEncoding, cb: TransformCallback): void {
    this.#opener.update(data).then((parts) => {
      this.#emit(parts);
      cb();
    }, cb);
  }

  override _flush(cb: TransformCallback): void {
    this.#opener.final().then((parts) => {
      this.#emit(parts);
      cb();
    }, cb);
  }
}

export function createDecryptStream(opts: DecryptOptions): DecryptStream {
  return new DecryptStream(opts);
}

export interface ReencryptOptions {
  /** How to read the existing object (its key set and context). */
  from: DecryptOptions;
  /** How to write the new one: another DEK (a new generation, another service's key set),
   * another context (a clone's service id), another chunk size. */
  to: EncryptOptions;
}

/** A Duplex that decrypts an object and encrypts it again, chunk by chunk, for the cloudsql
 * `reencrypt`, clones and restores under another key. Plaintext exists only per chunk in
 * memory; an integrity failure of the input errors the stream (and the output is then
 * incomplete: it will not authenticate, so a half-written copy cannot pass for whole). */
export function createReencryptStream(opts: ReencryptOptions): Duplex {
  const dec = new DecryptStream(opts.from);
  const enc = new EncryptStream(opts.to);
  pipeline(dec, enc, () => undefined); // error propagation; Duplex.from reports the error
  return Duplex.from({ writable: dec, readable: enc });
}

/** Decrypts and encrypts again a whole object in memory (see createReencryptStream). */
export async function reencryptBuffer(
  ciphertext: Uint8Array,
  opts: ReencryptOptions,
): Promise<Buffer> {
  const parts = await decryptToParts(ciphertext, opts.from);
  try {
    const enc = new EncryptStream(opts.to);
    const out: Buffer[] = [];
    enc.on('data', (b: Buffer) => out.push(b));
    const done = new Promise<void>((resolve, reject) => {
      enc.on('end', resolve);
      enc.on('error', reject);
    });
    for (const p of parts) enc.write(p);
    enc.end();
    await done;
    return Buffer.concat(out);
  } finally {
    for (const p of parts) p.fill(0);
  }
}
