// The on-disk object format, version 1. Byte layout (all integers big-endian), see docs/core.md:
//
//   header   0  4  magic "CMEK"
//            4  1  format version (1)
//            5  1  suite (1 = AES-256-GCM chunks, per-object key from HKDF-SHA256)
//            6  2  header length H in bytes (33 + L)
//            8 16  object id (random)
//           24  4  chunk size C (plaintext bytes per chunk)
//           28  4  data key generation
//           32  1  data key id length L (1..255)
//           33  L  data key id (UTF-8)
//   chunks   H ..  n chunks, each ciphertext ‖ 16-byte GCM tag; every chunk but the last holds
//                  exactly C plaintext bytes; the last holds 1..C (0 only for an empty object)
//                  and is sealed with the final flag.
//
// No length field: the chunk framing plus the object's size tell a reader where every chunk
// starts, so a stream can be written without knowing its length up front, and truncation is
// caught because the last chunk present was not sealed as final.
import { createHash } from 'node:crypto';
import type { EncryptionContext } from '../kms/types.js';
import { IntegrityError } from './errors.js';

export const MAGIC = Buffer.from('CMEK', 'ascii');
export const FORMAT_VERSION = 1;
/** AES-256-GCM per chunk; object key and nonce prefix from HKDF-SHA256(DEK, object id). */
export const SUITE_AES256GCM_HKDF_SHA256 = 1;
export const DEFAULT_CHUNK_SIZE = 64 * 1024;
/** Upper bound keeps a chunk's plaintext and ciphertext comfortably in memory. */
export const MAX_CHUNK_SIZE = 16 * 1024 * 1024;
export const TAG_LENGTH = 16;
export const OBJECT_ID_LENGTH = 16;
/** The chunk counter is 32 bits in the nonce. */
export const MAX_CHUNKS = 0xffffffff;
const FIXED_HEADER_LENGTH = 33;

/** Which data key encrypted an object: its id in the key set and its generation. */
export interface DekRef {
  id: string;
  generation: number;
}

export interface ObjectHeader {
  version: typeof FORMAT_VERSION;
  suite: typeof SUITE_AES256GCM_HKDF_SHA256;
  objectId: Buffer;
  chunkSize: number;
  dek: DekRef;
}

export function validateChunkSize(chunkSize: number): void {
  if (!Number.isInteger(chunkSize) || chunkSize < 1 || chunkSize > MAX_CHUNK_SIZE) {
    throw new RangeError(`chunk size must be an integer in 1..${MAX_CHUNK_SIZE}, got ${chunkSize}`);
  }
}

export function encodeHeader(h: ObjectHeader): Buffer {
  validateChunkSize(h.chunkSize);
  if (h.objectId.length !== OBJECT_ID_LENGTH) throw new RangeError('object id must be 16 bytes');
  const id = Buffer.from(h.dek.id, 'utf8');
  if (id.length < 1 || id.length > 255) throw new RangeError('data key id must be 1..255 bytes');
  if (
    !Number.isInteger(h.dek.generation) ||
    h.dek.generation < 0 ||
    h.dek.generation > 0xffffffff
  ) {
    throw new RangeError('data key generation must be a uint32');
  }
  const out = Buffer.alloc(FIXED_HEADER_LENGTH + id.length);
  MAGIC.copy(out, 0);
  out.writeUInt8(h.version, 4);
  out.writeUInt8(h.suite, 5);
  out.writeUInt16BE(out.length, 6);
  h.objectId.copy(out, 8);
  out.writeUInt32BE(h.chunkSize, 24);
  out.writeUInt32BE(h.dek.generation, 28);
  out.writeUInt8(id.length, 32);
  id.copy(out, 33);
  return out;
}

/** The header length announced by the first 8 bytes, or undefined when fewer are available.
 * Throws IntegrityError when those bytes cannot start a v1 header. */
export function peekHeaderLength(prefix: Uint8Array): number | undefined {
  if (prefix.length < 8) return undefined;
  const b = Buffer.from(prefix.buffer, prefix.byteOffset, prefix.byteLength);
  if (!b.subarray(0, 4).equals(MAGIC)) throw new IntegrityError('header', 'not a CMEK object');
  if (b[4] !== FORMAT_VERSION) {
    throw new IntegrityError('header', `unsupported format version ${b[4]}`);
  }
  if (b[5] !== SUITE_AES256GCM_HKDF_SHA256) {
    throw new IntegrityError('header', `unsupported suite ${b[5]}`);
  }
  const len = b.readUInt16BE(6);
  if (len < FIXED_HEADER_LENGTH + 1) throw new IntegrityError('header', 'header length too small');
  return len;
}

/** Decodes a complete header (exactly its bytes, or a prefix of the object that contains it).
 * Every field is checked strictly: one flipped bit anywhere fails here or in chunk
 * authentication, never silently. */
export function decodeHeader(bytes: Uint8Array): { header: ObjectHeader; length: number } {
  const length = peekHeaderLength(bytes);
  if (length === undefined || bytes.length < length) {
    throw new IntegrityError('truncated', 'object ends inside its header');
  }
  const b = Buffer.from(bytes.buffer, bytes.byteOffset, length);
  const chunkSize = b.readUInt32BE(24);
  if (chunkSize < 1 || chunkSize > MAX_CHUNK_SIZE) {
    throw new IntegrityError('header', `invalid chunk size ${chunkSize}`);
  }
  const idLen = b.readUInt8(32);
  if (idLen === 0 || FIXED_HEADER_LENGTH + idLen !== length) {
    throw new IntegrityError('header', 'header length does not match the data key id length');
  }
  const idBytes = b.subarray(33, 33 + idLen);
  const id = idBytes.toString('utf8');
  // Reject ids that do not round-trip (invalid UTF-8): two byte strings must not name one key.
  if (!Buffer.from(id, 'utf8').equals(idBytes)) {
    throw new IntegrityError('header', 'data key id is not valid UTF-8');
  }
  return {
    header: {
      version: FORMAT_VERSION,
      suite: SUITE_AES256GCM_HKDF_SHA256,
      objectId: Buffer.from(b.subarray(8, 24)),
      chunkSize,
      dek: { id, generation: b.readUInt32BE(28) },
    },
    length,
  };
}

/** Canonical bytes of an encryption context: entries sorted by key bytes, each key and value
 * length-prefixed (uint16) UTF-8. Order-independent and unambiguous. */
export function encodeContext(context: EncryptionContext): Buffer {
  const entries = Object.entries(context).map(
    ([k, v]) => [Buffer.from(k, 'utf8'), Buffer.from(v, 'utf8')] as const,
  );
  entries.sort((a, b) => Buffer.compare(a[0], b[0]));
  const parts: Buffer[] = [];
  const count = Buffer.alloc(2);
  count.writeUInt16BE(entries.length);
  parts.push(count);
  for (const [k, v] of entries) {
    if (k.length > 0xffff || v.length > 0xffff) throw new RangeError('context entry too long');
    const lk = Buffer.alloc(2);
    lk.writeUInt16BE(k.length);
    const lv = Buffer.alloc(2);
    lv.writeUInt16BE(v.length);
    parts.push(lk, k, lv, v);
  }
  return Buffer.concat(parts);
}

/** SHA-256 over the header bytes and the canonical context: bound into every chunk's AAD, so
 * any change to the header or a different context fails authentication of every chunk. */
export function objectDigest(headerBytes: Uint8Array, context: EncryptionContext): Buffer {
  return createHash('sha256').update(headerBytes).update(encodeContext(context)).digest();
}

/** Number of chunks for a plaintext of `length` bytes (an empty object still has one). */
export function chunkCount(length: number, chunkSize: number): number {
  return length === 0 ? 1 : Math.ceil(length / chunkSize);
}

/** Size of the encrypted object for a plaintext of `length` bytes. */
export function ciphertextLength(length: number, chunkSize: number, headerLength: number): number {
  return headerLength + length + chunkCount(length, chunkSize) * TAG_LENGTH;
}

/** Plaintext length of an encrypted object of `size` bytes, from the framing alone. Throws
 * IntegrityError when no valid framing has that size (truncated inside a tag). */
export function plaintextLength(size: number, chunkSize: number, headerLength: number): number {
  const data = size - headerLength;
  const stride = chunkSize + TAG_LENGTH;
  if (data < TAG_LENGTH) throw new IntegrityError('truncated', 'object has no final chunk');
  const n = Math.ceil(data / stride);
  const last = data - (n - 1) * stride;
  if (last < TAG_LENGTH) throw new IntegrityError('truncated', 'object ends inside a chunk tag');
  if (last === TAG_LENGTH && n > 1) {
    // Only an empty object may have an empty final chunk.
    throw new IntegrityError('truncated', 'empty final chunk after data');
  }
  return data - n * TAG_LENGTH;
}
