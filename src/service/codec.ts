// The envelope codec of the object store: bodies go through the core's chunked AES-256-GCM
// under the service's primary DEK, with the encryption context {service id, object name}
// authenticated in every chunk. The store's loops seal and open 4 MiB batches on the crypto
// pool (BatchSealer/BatchOpener, docs/core.md "Crypto pool"); with CMEK_CRYPTO_THREADS=0 they
// run inline (ObjectSealer, and BatchOpener without a pool). KMS failures while unwrapping become CMEK_KEY_INACCESSIBLE
// (the service principal lost access); authentication failures stay CMEK_INTEGRITY.
import type { Transform } from 'node:stream';
import {
  BatchOpener,
  BatchSealer,
  ObjectReader,
  ObjectSealer,
  ServiceKeySet,
  decodeHeader,
  defaultCryptoPool,
  createDecryptStream,
  createEncryptStream,
  createParallelDecryptStream,
  createParallelEncryptStream,
  isIntegrityError,
  objectContext,
} from '../core/index.js';
import { DiagnosticError } from '../model/diagnostics.js';
import { isKmsError, type Kms } from '../kms/types.js';
import { keyErrorDiagnostic } from './key-check.js';
import type {
  BatchBodyOpener,
  BatchBodySealer,
  BodyRef,
  CiphertextSource,
  ObjectCodec,
  RangeReader,
} from './object-codec.js';
import type { KeyRecord, ServiceKeys } from './keys.js';
import type { ServiceRecord } from './types.js';

/** Map a failure to the diagnostic a user can act on (KMS → CMEK_KEY_INACCESSIBLE, integrity →
 * CMEK_INTEGRITY); anything else is rethrown as is. */
export function dataError(rec: ServiceRecord, e: unknown): unknown {
  if (e instanceof DiagnosticError) return e;
  if (isKmsError(e)) {
    return new DiagnosticError(
      keyErrorDiagnostic(rec.kekArn, 'kms:Decrypt', e, {
        attribute: 'kms_key',
        ...(rec.keyOwner === 'customer' ? {} : { principal: 'the control plane' }),
      }),
    );
  }
  if (isIntegrityError(e)) return new DiagnosticError(e.toDiagnostic());
  return e;
}

/** What the codec needs of the control plane: the key hierarchies and which KMS client
 * unwraps a service's keys. A ControlPlane is one. */
export interface CodecHost {
  readonly keys: ServiceKeys;
  kmsFor(rec: ServiceRecord): Kms;
  readKeyRecord(id: string): Promise<KeyRecord>;
  /** Read-modify-write of one service record under its lock (ciphertext copies add a key). */
  edit(
    ref: string,
    operation: string,
    fn: (rec: ServiceRecord) => Promise<ServiceRecord | undefined>,
  ): Promise<ServiceRecord>;
  readonly records: { writeKeyRecord(id: string, rec: KeyRecord): Promise<void> };
}

export interface EnvelopeCodecOptions {
  /** Chunks sealed/opened at once on libuv's thread pool (the core's parallel streams), for the
   * stream path. Default 1: the store uses its own loops on the crypto pool instead; with
   * `concurrency` > 1 it uses the parallel streams (bench/store.ts). */
  concurrency?: number;
}

/** Runs `fn`, mapping a failure to the diagnostic a user can act on. */
async function mapped<T>(rec: ServiceRecord, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (e) {
    throw dataError(rec, e);
  }
}

export class EnvelopeCodec implements ObjectCodec {
  readonly #cp: CodecHost;
  readonly #concurrency: number;
  constructor(cp: CodecHost, opts: EnvelopeCodecOptions = {}) {
    this.#cp = cp;
    this.#concurrency = opts.concurrency ?? 1;
    if (this.#concurrency <= 1) {
      this.sealer = (rec, name) => this.#sealer(rec, name);
      this.opener = (ref, prefix) => this.#opener(ref, prefix);
    }
  }

  /** Present with the serial cipher (the default): put/get use their own loops. */
  readonly sealer?: (rec: ServiceRecord, name: string) => Promise<BatchBodySealer>;
  readonly opener?: (ref: BodyRef, prefix: Buffer) => Promise<BatchBodyOpener>;

  async #set(rec: ServiceRecord): Promise<ServiceKeySet> {
    return this.#cp.keys.open(this.#cp.kmsFor(rec), await this.#cp.readKeyRecord(rec.id));
  }

  async encryptor(rec: ServiceRecord, name: string): Promise<Transform> {
    return mapped(rec, async () => {
      const set = await this.#set(rec);
      const dek = await set.primaryDek();
      const o = { dek, context: objectContext(rec.id, name) };
      return this.#concurrency > 1
        ? createParallelEncryptStream({ ...o, concurrency: this.#concurrency })
        : createEncryptStream(o);
    });
  }

  /** put()'s batches: on the crypto pool (a BatchSealer; batches below 4 MiB, i.e. small
   * objects and a short last batch, are sealed inline), or inline with no pool. */
  async #sealer(rec: ServiceRecord, name: string): Promise<BatchBodySealer> {
    return mapped(rec, async () => {
      const set = await this.#set(rec);
      const opts = { dek: await set.primaryDek(), context: objectContext(rec.id, name) };
      const pool = defaultCryptoPool();
      if (!pool) {
        // No workers: the push-style sealer, piece by piece (no copy of the batch).
        const s = new ObjectSealer(opts);
        return {
          batchUnit: s.header.chunkSize,
          header: s.headerBytes,
          seal: (pieces, final) => {
            try {
              const out: Buffer[] = [];
              for (const p of pieces) out.push(...s.update(p));
              if (final) out.push(...s.final());
              return Promise.resolve(out);
            } catch (e) {
              return Promise.reject(e as Error);
            }
          },
          close: () => undefined,
        };
      }
      // recycle: each pooled batch comes back as one buffer of the pool's, taken back once
      // written, so a put leaves no per-chunk garbage on the main thread (docs/core.md).
      const s = new BatchSealer({ ...opts, pool, recycle: true });
      return {
        batchUnit: s.header.chunkSize,
        header: s.headerBytes,
        seal: (pieces, final) => s.sealBatch(pieces, final),
        release: (parts) => s.release(parts),
        lease: () => s.lease(),
        discard: (lease) => s.discard(lease),
        close: () => s.close(),
      };
    });
  }

  /** get()'s batches: BatchOpener (on the crypto pool from 4 MiB batches on; inline without a
   * pool), plaintext as the pool's per-chunk pieces. It copies or opens each batch before
   * returning, so the store recycles its reads. */
  async #opener(ref: BodyRef, prefix: Buffer): Promise<BatchBodyOpener> {
    const { rec } = ref;
    return mapped(rec, async () => {
      const set = await this.#set(rec);
      // Resolve the primary DEK now so a KMS failure surfaces here, not mid-stream.
      await set.primaryDek();
      const opener = await BatchOpener.open(prefix, {
        keys: set,
        context: objectContext(ref.lineage, ref.name),
      });
      return {
        start: opener.headerLength,
        stride: opener.stride,
        detaches: true,
        open: (stored, final) => mapped(rec, () => opener.openBatchParts(stored, final)),
        lease: (bytes) => opener.lease(bytes),
        close: () => opener.close(),
      };
    });
  }

  async decryptor(ref: BodyRef): Promise<Transform> {
    return mapped(ref.rec, async () => {
      const set = await this.#set(ref.rec);
      // Resolve the primary DEK now so a KMS failure surfaces here, not mid-stream.
      await set.primaryDek();
      const o = { keys: set, context: objectContext(ref.lineage, ref.name) };
      return this.#concurrency > 1
        ? createParallelDecryptStream({ ...o, concurrency: this.#concurrency })
        : createDecryptStream(o);
    });
  }

  async rangeReader(ref: BodyRef, source: CiphertextSource): Promise<RangeReader> {
    const { rec } = ref;
    return mapped(rec, async () => {
      const reader = await ObjectReader.open(source, {
        keys: await this.#set(rec),
        context: objectContext(ref.lineage, ref.name),
      });
      return {
        plaintextLength: reader.plaintextLength,
        read: (start, end) => mapped(rec, () => reader.read(start, end)),
      };
    });
  }

  /** Re-wraps the data key `from`'s body names for `to` (docs/core.md, "Replicas copy
   * ciphertext"): unwrapped with `from`'s hierarchy, wrapped again by `to`'s service key and
   * added to `to`'s key record under the same id and generation. Nothing to do when `to`
   * already holds it (every object after the first under one DEK). The key record is written
   * under the service's record lock, so concurrent copies do not lose each other's keys. */
  async adopt(from: BodyRef, to: ServiceRecord, prefix: Buffer): Promise<void> {
    const { header } = decodeHeader(prefix);
    const dek = await mapped(from.rec, async () => (await this.#set(from.rec)).getDek(header.dek));
    await mapped(to, async () => {
      const held = (await this.#set(to)).dekRefs.some(
        (d) => d.id === header.dek.id && d.generation === header.dek.generation,
      );
      if (held) return;
      await this.#cp.edit(to.id, 'data key re-wrapped for a ciphertext copy', async (rec) => {
        // A set of its own (not the shared one): nothing changes in memory unless written.
        const set = ServiceKeySet.open(await this.#cp.readKeyRecord(to.id), {
          kms: this.#cp.kmsFor(rec),
          cache: this.#cp.keys.cache,
        });
        if (await set.importDek(dek)) await this.#cp.records.writeKeyRecord(to.id, set.record);
        return undefined;
      });
    });
  }
}
