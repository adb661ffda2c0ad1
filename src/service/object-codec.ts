// What the object store asks of a codec: how bodies are transformed on the way to and from
// disk. The store's loops (object-write.ts, object-read.ts) drive the batch interfaces; the
// stream and range interfaces serve codecs without them and byte-range reads. The default codec
// is the envelope codec (codec.ts); bench/store.ts plugs in an identity codec to measure the
// store's own overhead against the encrypted path with everything else equal.
import { PassThrough, type Transform } from 'node:stream';
import type { ServiceRecord } from './types.js';

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

/** Which object a body belongs to. `lineage`: the id of the service whose encryption context
 * the body is bound to; the service's own id except for a replica's ciphertext copy, which
 * stays bound to its primary (docs/core.md, "Replicas copy ciphertext"). */
export interface BodyRef {
  rec: ServiceRecord;
  name: string;
  lineage: string;
}

/** Seals a body batch by batch for put()'s write loop. */
export interface BatchBodySealer {
  /** Batches passed to seal() are whole multiples of this many bytes, except the final one. */
  readonly batchUnit: number;
  /** The body's first bytes (the envelope's header, which names the data key) when the codec
   * can copy bodies as ciphertext (`ObjectCodec.adopt`): put() adopts the key for the replicas
   * it writes in the same loop before the first batch. */
  readonly header?: Buffer;
  /** Seals the next batch (`final`: the body's last bytes; empty only when the whole body is).
   * Resolves to the parts to write, in order; calls may overlap and resolve in call order.
   * The pieces are not modified and, once the promise settles, not referenced. */
  seal(pieces: readonly Buffer[], final: boolean): Promise<Buffer[]>;
  /** Called with a batch's parts once they are written and no longer referenced: the sealer
   * may reuse their memory (the crypto pool's recycled output buffers). */
  release?(parts: readonly Buffer[]): void;
  /** A buffer to gather the next batch's plaintext in as the body arrives (the crypto pool's
   * shared memory), which seal() then seals where it lies when passed alone (a view of its
   * first bytes for a shorter final batch): each incoming piece is copied once, at once, so a
   * socket's small buffers die young instead of waiting for a whole batch. Undefined: pass
   * pieces. A lease that will not be sealed goes back with discard(). */
  lease?(): Buffer | undefined;
  discard?(lease: Buffer): void;
  /** Abandons the body (a failed put): key material is dropped. */
  close(): void;
}

/** Opens a stored body batch by batch for get()'s read loop. */
export interface BatchBodyOpener {
  /** The first stored chunk starts here; reads are whole multiples of `stride` from here on,
   * except the final one. */
  readonly start: number;
  readonly stride: number;
  /** True when open() keeps no reference to `stored` once it has returned (it copies or opens
   * it at once): the store may then reuse its read buffers. */
  readonly detaches: boolean;
  /** The plaintext of the next batch, as pieces in order (the crypto pool hands back one per
   * chunk: joining them would be a copy), only once it (and every earlier batch)
   * authenticated; calls may overlap and resolve in call order. */
  open(stored: Buffer, final: boolean): Promise<Buffer[]>;
  /** A buffer to read the next batch into, which open() then takes over without a copy (the
   * crypto pool's own buffers): the store must not reuse it. Absent: the store reads into its
   * own buffers. */
  lease?(bytes: number): Buffer;
  close(): void;
}

/** Bytes get() reads before asking for an opener: enough for any header (the core's is at most
 * 288 bytes), handed to `opener` as `prefix`. */
export const HEADER_PREFIX = 288;

export interface ObjectCodec {
  encryptor(rec: ServiceRecord, name: string): Promise<Transform>;
  decryptor(ref: BodyRef): Promise<Transform>;
  rangeReader(ref: BodyRef, source: CiphertextSource): Promise<RangeReader>;
  /** Batch variant of `encryptor`: when present, put() drives it from its own write loop
   * (batched writev, sealing overlapped with the writes in flight). */
  sealer?(rec: ServiceRecord, name: string): Promise<BatchBodySealer>;
  /** Batch variant of `decryptor`, for get()'s read loop. `prefix`: the body's first
   * min(HEADER_PREFIX, length) bytes. */
  opener?(ref: BodyRef, prefix: Buffer): Promise<BatchBodyOpener>;
  /** Makes `to`'s keys able to open a body sealed for `from` whose first bytes are `prefix`
   * (the envelope codec re-wraps the body's data key for `to`): what lets a replica store a
   * byte copy of its primary's ciphertext. Absent: bodies cannot be copied as ciphertext. */
  adopt?(from: BodyRef, to: ServiceRecord, prefix: Buffer): Promise<void>;
}

/** Bodies stored as they are, through the same put/get loops as the envelope codec (same
 * batching, writev, read-ahead, trailer, fsync, rename): the baseline of the bench's
 * `store_*_vs_plain` ratios (the cost of the cipher alone) and of the loops' tests. Not for
 * data: it encrypts nothing. */
export const identityCodec: ObjectCodec = {
  encryptor: async () => new PassThrough(),
  decryptor: async () => new PassThrough(),
  sealer: async () => ({
    batchUnit: 1,
    seal: (pieces) => Promise.resolve([...pieces]),
    close: () => undefined,
  }),
  // Hands out views of the read buffers: `detaches` false, so the loop does not recycle them.
  opener: async () => ({
    start: 0,
    stride: 1,
    detaches: false,
    open: (stored) => Promise.resolve([stored]),
    close: () => undefined,
  }),
  rangeReader: async (_ref, source) => ({
    plaintextLength: source.size,
    read: (start, end) => source.read(start, end - start),
  }),
};
