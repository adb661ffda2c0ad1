// The envelope codec of the object store: bodies go through the core's chunked AES-256-GCM
// streams under the service's primary DEK, with the encryption context {service id, object
// name} authenticated in every chunk. KMS failures while unwrapping become CMEK_KEY_INACCESSIBLE
// (the service principal lost access); authentication failures stay CMEK_INTEGRITY.
import type { Transform } from 'node:stream';
import {
  ObjectOpener,
  ObjectReader,
  ObjectSealer,
  createDecryptStream,
  createEncryptStream,
  createParallelDecryptStream,
  createParallelEncryptStream,
  isIntegrityError,
  objectContext,
  type ServiceKeySet,
} from '../core/index.js';
import { DiagnosticError } from '../model/diagnostics.js';
import { isKmsError, type Kms } from '../kms/types.js';
import { keyErrorDiagnostic } from './key-check.js';
import type {
  BodyOpener,
  BodySealer,
  CiphertextSource,
  ObjectCodec,
  RangeReader,
} from './objects.js';
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
}

export interface EnvelopeCodecOptions {
  /** Chunks sealed/opened at once on libuv's thread pool (the core's parallel streams), so the
   * cipher runs beside the I/O instead of in front of it. Default 1 (the serial streams): on a
   * loaded 2-core machine the thread-pool hand-off cost more than it saved (bench/store.ts). */
  concurrency?: number;
}

export class EnvelopeCodec implements ObjectCodec {
  readonly #cp: CodecHost;
  readonly #concurrency: number;
  constructor(cp: CodecHost, opts: EnvelopeCodecOptions = {}) {
    this.#cp = cp;
    this.#concurrency = opts.concurrency ?? 1;
    if (this.#concurrency <= 1) {
      this.sealer = (rec, name) => this.#sealer(rec, name);
      this.opener = (rec, name) => this.#opener(rec, name);
    }
  }

  /** Present with the serial cipher (the default): put/get use their own loops. */
  readonly sealer?: (rec: ServiceRecord, name: string) => Promise<BodySealer>;
  readonly opener?: (rec: ServiceRecord, name: string) => Promise<BodyOpener>;

  async #set(rec: ServiceRecord): Promise<ServiceKeySet> {
    return this.#cp.keys.open(this.#cp.kmsFor(rec), await this.#cp.readKeyRecord(rec.id));
  }

  async encryptor(rec: ServiceRecord, name: string): Promise<Transform> {
    try {
      const set = await this.#set(rec);
      const dek = await set.primaryDek();
      const o = { dek, context: objectContext(rec.id, name) };
      return this.#concurrency > 1
        ? createParallelEncryptStream({ ...o, concurrency: this.#concurrency })
        : createEncryptStream(o);
    } catch (e) {
      throw dataError(rec, e);
    }
  }

  /** The store's put loop drives this (no stream layers). With `concurrency` > 1 the store
   * uses the parallel streams instead (see `sealer`/`opener` in the constructor). */
  async #sealer(rec: ServiceRecord, name: string): Promise<BodySealer> {
    try {
      const set = await this.#set(rec);
      return new ObjectSealer({
        dek: await set.primaryDek(),
        context: objectContext(rec.id, name),
      });
    } catch (e) {
      throw dataError(rec, e);
    }
  }

  async #opener(rec: ServiceRecord, name: string): Promise<BodyOpener> {
    try {
      const set = await this.#set(rec);
      // Resolve the primary DEK now so a KMS failure surfaces here, not mid-stream.
      await set.primaryDek();
      const opener = new ObjectOpener({
        keys: set,
        context: objectContext(rec.id, name),
        detach: true,
      });
      // One await per batch (1 MiB), not per chunk; errors become diagnostics.
      return {
        detaches: true,
        layout: () => opener.layout,
        update: async (stored, moreFollows) => {
          try {
            return await opener.update(stored, moreFollows);
          } catch (e) {
            throw dataError(rec, e);
          }
        },
        final: async () => {
          try {
            return await opener.final();
          } catch (e) {
            throw dataError(rec, e);
          }
        },
      };
    } catch (e) {
      throw dataError(rec, e);
    }
  }

  async decryptor(rec: ServiceRecord, name: string): Promise<Transform> {
    try {
      const set = await this.#set(rec);
      // Resolve the primary DEK now so a KMS failure surfaces here, not mid-stream.
      await set.primaryDek();
      const o = { keys: set, context: objectContext(rec.id, name) };
      return this.#concurrency > 1
        ? createParallelDecryptStream({ ...o, concurrency: this.#concurrency })
        : createDecryptStream(o);
    } catch (e) {
      throw dataError(rec, e);
    }
  }

  async rangeReader(
    rec: ServiceRecord,
    name: string,
    source: CiphertextSource,
  ): Promise<RangeReader> {
    try {
      const set = await this.#set(rec);
      const reader = await ObjectReader.open(source, {
        keys: set,
        context: objectContext(rec.id, name),
      });
      return {
        plaintextLength: reader.plaintextLength,
        read: async (start, end) => {
          try {
            return await reader.read(start, end);
          } catch (e) {
            throw dataError(rec, e);
          }
        },
      };
    } catch (e) {
      throw dataError(rec, e);
    }
  }
}
