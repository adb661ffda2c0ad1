// The on-disk layout of one stored object: the core's ciphertext body, then a trailer of the
// object's metadata (name, plaintext size, write time) as JSON, its length (uint32 BE) and the
// magic `CMOB`. Metadata is readable without a key, so listing needs none.
//
// A replica's byte copy of its primary's ciphertext adds `lineage` (the primary's id) to the
// metadata: the body stays bound to the primary's encryption context, and the store only
// accepts a lineage that is the service itself or, for a replica, its primary (objects.ts), so
// editing it can only make authentication fail.
import type { promises as fsp } from 'node:fs';
import { diag, DiagnosticError } from '../model/diagnostics.js';

const TRAILER_MAGIC = Buffer.from('CMOB', 'ascii');
const TAIL = 8;
const MAX_META = 64 * 1024;

export interface ObjectInfo {
  name: string;
  /** Plaintext size in bytes. */
  size: number;
  /** When this version of the object was written (ISO 8601). */
  modifiedAt: string;
}

/** The trailer of an object: metadata JSON, its length, the magic. `lineage`: the service the
 * body is bound to, when not the one storing it (a replica's copy). */
export function encodeTrailer(info: ObjectInfo, lineage?: string): Buffer {
  const meta = Buffer.from(
    JSON.stringify({
      name: info.name,
      size: info.size,
      modifiedAt: info.modifiedAt,
      ...(lineage !== undefined ? { lineage } : {}),
    }),
    'utf8',
  );
  const tail = Buffer.alloc(TAIL);
  tail.writeUInt32BE(meta.length, 0);
  TRAILER_MAGIC.copy(tail, 4);
  return Buffer.concat([meta, tail]);
}

/** Read and check the trailer of an object file of `fileSize` bytes. */
export async function readTrailer(
  fh: fsp.FileHandle,
  fileSize: number,
): Promise<{ info: ObjectInfo; lineage: string | undefined; bodyLength: number }> {
  const bad = (why: string) =>
    new DiagnosticError(
      diag(
        'CMEK_INTEGRITY',
        'Stored object is damaged',
        `The object's trailer is invalid (${why}). Restore the object from a backup.`,
      ),
    );
  if (fileSize < TAIL) throw bad('file too short');
  const tail = Buffer.alloc(TAIL);
  await fh.read(tail, 0, TAIL, fileSize - TAIL);
  if (!tail.subarray(4).equals(TRAILER_MAGIC)) throw bad('bad magic');
  const metaLen = tail.readUInt32BE(0);
  if (metaLen > MAX_META || metaLen + TAIL > fileSize) throw bad('bad length');
  const meta = Buffer.alloc(metaLen);
  await fh.read(meta, 0, metaLen, fileSize - TAIL - metaLen);
  let parsed: ObjectInfo & { lineage?: unknown };
  try {
    parsed = JSON.parse(meta.toString('utf8')) as ObjectInfo & { lineage?: unknown };
  } catch {
    throw bad('metadata is not JSON');
  }
  if (parsed.lineage !== undefined && typeof parsed.lineage !== 'string') throw bad('bad lineage');
  const info: ObjectInfo = { name: parsed.name, size: parsed.size, modifiedAt: parsed.modifiedAt };
  return { info, lineage: parsed.lineage, bodyLength: fileSize - TAIL - metaLen };
}
