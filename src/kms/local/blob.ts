// The local KMS ciphertext blob. Self-describing, so Decrypt needs no KeyId (as on AWS):
//
//   magic "CMK1" | u16 len + key ARN (UTF-8) | u32 key version | 12-byte IV | AES-256-GCM body+tag
//
// The AAD is the whole header (magic .. IV) followed by the encryption context encoded as
// length-prefixed pairs sorted by key, so neither the header nor the context can be altered
// without failing authentication (InvalidCiphertextException).
import { KmsError, type EncryptionContext } from '../types.js';

const MAGIC = Buffer.from('CMK1', 'latin1');
export const IV_BYTES = 12;
export const TAG_BYTES = 16;

export interface BlobHeader {
  keyArn: string;
  version: number;
  iv: Uint8Array;
  /** Bytes covered by the AAD (magic .. IV). */
  header: Uint8Array;
  /** Ciphertext followed by the 16-byte tag. */
  body: Uint8Array;
}

/** Encode an encryption context for the AAD: u32 count, then for each pair sorted by key
 * (UTF-8 byte order): u32 len, key, u32 len, value. Unambiguous, order-independent. */
export function encodeContextAad(ctx: EncryptionContext | undefined): Buffer {
  const entries = Object.entries(ctx ?? {}).map(
    ([k, v]) => [Buffer.from(k, 'utf8'), Buffer.from(v, 'utf8')] as const,
  );
  entries.sort((a, b) => Buffer.compare(a[0], b[0]));
  const parts: Buffer[] = [u32(entries.length)];
  for (const [k, v] of entries) parts.push(u32(k.length), k, u32(v.length), v);
  return Buffer.concat(parts);
}

export function buildBlobHeader(keyArn: string, version: number, iv: Uint8Array): Buffer {
  const arn = Buffer.from(keyArn, 'utf8');
  if (arn.length > 0xffff) throw new KmsError('ValidationException', 'key ARN too long');
  const ver = Buffer.alloc(4);
  ver.writeUInt32BE(version);
  const len = Buffer.alloc(2);
  len.writeUInt16BE(arn.length);
  return Buffer.concat([MAGIC, len, arn, ver, iv]);
}

/** Split a blob into its parts; anything that is not a local-KMS blob is
 * InvalidCiphertextException (never a crash). */
export function parseBlobHeader(blob: Uint8Array): BlobHeader {
  const b = Buffer.from(blob.buffer, blob.byteOffset, blob.byteLength);
  const bad = (why: string) =>
    new KmsError('InvalidCiphertextException', `The ciphertext is invalid: ${why}.`);
  if (b.length < MAGIC.length + 2 || !b.subarray(0, MAGIC.length).equals(MAGIC))
    throw bad('not a ciphertext of this KMS');
  const arnLen = b.readUInt16BE(MAGIC.length);
  const arnEnd = MAGIC.length + 2 + arnLen;
  const headerEnd = arnEnd + 4 + IV_BYTES;
  if (b.length < headerEnd + TAG_BYTES) throw bad('truncated');
  const keyArn = b.subarray(MAGIC.length + 2, arnEnd).toString('utf8');
  const version = b.readUInt32BE(arnEnd);
  return {
    keyArn,
    version,
    iv: b.subarray(arnEnd + 4, headerEnd),
    header: b.subarray(0, headerEnd),
    body: b.subarray(headerEnd),
  };
}

function u32(n: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(n);
  return b;
}
