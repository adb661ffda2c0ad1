// The data plane: an object store per service under `<data_dir>/objects/<serviceId>/`. This
// file is the store's API (put, get, stat, list, remove, the replicas' ciphertext copy); the
// write loop is object-write.ts, the read loops object-read.ts, the codec interface
// object-codec.ts and the file layout object-format.ts. Bodies go through the codec in batches
// of whole chunks (the crypto pool seals and opens 4 MiB batches on worker threads), so a 1 GiB
// object needs bounded memory (about 28 MiB per put or get), and every write is atomic (temp
// file + fsync + rename): a reader sees the old object or the new one, never a torn one.
//
// File layout of one object: the core's ciphertext (header + chunks), then a trailer
//   [metadata JSON (UTF-8)] [u32 BE metadata length] ["CMOB"]
// The trailer holds what `ls` shows (name, plaintext size, time). It is metadata and is NOT
// encrypted — CMEK does not cover metadata — but it is bound to the body anyway: the object
// name is in the encryption context of every chunk, so a renamed or swapped file fails
// authentication. A trailer (not a header) lets a stream of unknown length be written in one pass.
import { createHash } from 'node:crypto';
import { promises as fsp } from 'node:fs';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { diag, DiagnosticError } from '../model/diagnostics.js';
import { HEADER_PREFIX, type BodyRef, type ByteRange, type ObjectCodec } from './object-codec.js';
import { encodeTrailer, readTrailer, type ObjectInfo } from './object-format.js';
import {
  BodyReadable,
  ciphertextSource,
  rangeStream,
  readFully,
  streamBody,
} from './object-read.js';
import { copyBody, writeBody, writeStream, type MirrorFile } from './object-write.js';
import { fsyncDir, sweepTempFiles, tempSuffix } from '../support/atomic.js';
import type { ServiceRecord } from './types.js';

export type {
  BatchBodyOpener,
  BatchBodySealer,
  BodyRef,
  ByteRange,
  CiphertextSource,
  ObjectCodec,
  RangeReader,
} from './object-codec.js';

/** Extension points for the service lifecycle (src/service/lifecycle.ts): replicas refuse user
 * writes and follow their primary's. Empty lists by default, so the hot path pays one length
 * check. A hook that throws fails the operation (before: nothing was written; after: the write
 * itself is done and stays). */
export interface ObjectStoreHooks {
  /** Before a user put/remove on a RUNNING service. Throw to refuse it. */
  beforeWrite: ((rec: ServiceRecord, name: string) => void | Promise<void>)[];
  /** `mirrored`: the ids of the services whose copy the put already wrote in its own loop
   * (see `mirrorsOf`). */
  afterPut: ((
    rec: ServiceRecord,
    name: string,
    info: ObjectInfo,
    mirrored: ReadonlySet<string>,
  ) => Promise<void>)[];
  afterRemove: ((rec: ServiceRecord, name: string) => Promise<void>)[];
  /** The services that take a byte copy of every user put on `rec` (its in-sync, RUNNING
   * replicas): put() writes their files in its own write loop, beside the object's, when the
   * codec can copy ciphertext; those it could not write are left to `afterPut`. */
  mirrorsOf?: (rec: ServiceRecord) => Promise<ServiceRecord[]>;
}

export interface WriteOptions {
  /** A write made by the control plane itself (replication, clone, restore): no hooks run, so a
   * read-only replica can be written by its replication and a replica's copy does not fan out. */
  system?: boolean;
}

/** What the store needs from the control plane: the current record of a service. */
export interface ServiceLookup {
  require(ref: string): Promise<ServiceRecord>;
  readonly dataDir: string;
}

/** Filesystem-safe file name of an object name: base64url when short enough, else a hash (the
 * real name is in the trailer either way). Names are arbitrary non-empty strings. */
export function objectFileName(name: string): string {
  const b64 = Buffer.from(name, 'utf8').toString('base64url');
  if (b64.length <= 200) return `${b64}.obj`;
  return `${createHash('sha256').update(name, 'utf8').digest('hex')}.hobj`;
}

function checkName(name: string): void {
  if (typeof name !== 'string' || name.length === 0) {
    throw new DiagnosticError(
      diag('USAGE', 'Object names must be non-empty', 'Give the object a name (any string).'),
    );
  }
  if (Buffer.byteLength(name, 'utf8') > 4096) {
    throw new DiagnosticError(
      diag('USAGE', 'Object name too long', 'Object names are at most 4096 bytes (UTF-8).'),
    );
  }
}

function objectMissing(rec: ServiceRecord, name: string): DiagnosticError {
  return new DiagnosticError(
    diag(
      'USAGE',
      `No object ${JSON.stringify(name)} in service ${rec.name}`,
      `List the objects with \`cmek data ls ${rec.name}\`.`,
    ),
  );
}

interface Opened {
  fh: fsp.FileHandle;
  /** Ciphertext length (file size minus trailer). */
  bodyLength: number;
  info: ObjectInfo;
  /** The service whose encryption context the body is bound to. */
  lineage: string;
}

/** The lineages a service may hold: its own id, and a replica its primary's (its ciphertext
 * copies). Anything else in a trailer is damage, not a body to try to open. */
function checkLineage(rec: ServiceRecord, lineage: string | undefined): string {
  if (lineage === undefined || lineage === rec.id) return rec.id;
  if (rec.kind === 'replica' && lineage === rec.parentId) return lineage;
  throw new DiagnosticError(
    diag(
      'CMEK_INTEGRITY',
      'Stored object is damaged',
      `The object's trailer binds it to service ${lineage}, which is neither ${rec.name} nor its ` +
        'primary. Restore the object from a backup (or resync the replica).',
    ),
  );
}

export type { ObjectInfo } from './object-format.js';

/** A replica's file written by put() in its own loop. */
interface Mirror extends MirrorFile {
  rec: ServiceRecord;
}

/** See ObjectStore.partialDirOf. */
const PARTIAL_DIR = '.partial';

export class ObjectStore {
  readonly #services: ServiceLookup;
  readonly #codec: () => ObjectCodec;
  readonly root: string;

  readonly #durable: boolean;

  /** See ObjectStoreHooks. */
  readonly hooks: ObjectStoreHooks = { beforeWrite: [], afterPut: [], afterRemove: [] };
  /** Per object (`serviceId\0name`): the tail of the puts' commit steps in this process, so two
   * puts of one name never interleave their renames and replica copies. */
  readonly #commits = new Map<string, Promise<void>>();

  /** `codec` may be a thunk so a caller can hand over its codec lazily. */
  constructor(
    services: ServiceLookup,
    codec: ObjectCodec | (() => ObjectCodec),
    opts: { durable?: boolean } = {},
  ) {
    this.#services = services;
    this.#durable = opts.durable ?? true;
    this.#codec = typeof codec === 'function' ? codec : () => codec;
    this.root = join(services.dataDir, 'objects');
  }

  dirOf(serviceId: string): string {
    return join(this.root, serviceId);
  }

  /** Where a put writes before its rename: a directory of its own, so sweeping what killed
   * writers left costs one readdir of (usually) nothing, whatever the number of objects. */
  partialDirOf(serviceId: string): string {
    return join(this.dirOf(serviceId), PARTIAL_DIR);
  }

  /** When each service's partial directory was last swept by this store (see #sweep). */
  readonly #swept = new Map<string, number>();

  /** Drop the temp files of puts whose process is gone (kill -9, crash): on every store
   * operation, at most once a second per service and process. */
  async #sweep(serviceId: string): Promise<void> {
    const now = Date.now();
    if (now - (this.#swept.get(serviceId) ?? 0) < 1000) return;
    this.#swept.set(serviceId, now);
    await sweepTempFiles(this.partialDirOf(serviceId));
  }

  pathOf(serviceId: string, name: string): string {
    return join(this.dirOf(serviceId), objectFileName(name));
  }

  /** The service, which must be RUNNING for any data access. */
  async #running(service: string | ServiceRecord): Promise<ServiceRecord> {
    // Re-read the record on every call: another process (the poller) may have stopped it.
    const rec = await this.#services.require(typeof service === 'string' ? service : service.id);
    await this.#sweep(rec.id);
    if (rec.status !== 'RUNNING') {
      throw new DiagnosticError(
        diag(
          'CMEK_SERVICE_UNAVAILABLE',
          `Service ${rec.name} is ${rec.status}`,
          `Data of service ${rec.name} (${rec.id}) cannot be read or written while it is ` +
            `${rec.status}: ${rec.statusReason}\n` +
            (rec.status === 'STOPPED'
              ? `Remedy: restore access to the key, then run cmek service start ${rec.name}.`
              : 'Remedy: restore access to the key; the service resumes at the next key check ' +
                `(or run cmek service start ${rec.name}).`),
        ),
      );
    }
    return rec;
  }

  /** Write (or replace) an object from a stream or a buffer. Atomic: until the final rename the
   * previous version stays visible. */
  async put(
    service: string | ServiceRecord,
    name: string,
    body: Readable | Uint8Array | string,
    opts: WriteOptions = {},
  ): Promise<ObjectInfo> {
    checkName(name);
    const rec = await this.#running(service);
    if (!opts.system && this.hooks.beforeWrite.length) {
      for (const h of this.hooks.beforeWrite) await h(rec, name);
    }
    const dir = this.dirOf(rec.id);
    await fsp.mkdir(this.partialDirOf(rec.id), { recursive: true });
    const final = this.pathOf(rec.id, name);
    const tmp = join(this.partialDirOf(rec.id), tempSuffix());
    let info: ObjectInfo;
    const mirrors: Mirror[] = [];
    let head: Buffer | undefined;
    try {
      const codec = this.#codec();
      if (codec.sealer) {
        const sealer = await codec.sealer(rec, name);
        head = sealer.header;
        if (!opts.system) await this.#mirrorsFor(rec, name, codec, head, mirrors);
        info = await writeBody(tmp, name, sealer, body, this.#durable, mirrors);
      } else {
        info = await writeStream(tmp, name, await codec.encryptor(rec, name), body, this.#durable);
      }
    } catch (e) {
      await discard(tmp, mirrors);
      throw e;
    }
    // From the object's rename to its replicas' copies, one put of a name at a time (in this
    // process): otherwise a put's replica copies could land after a later put's, leaving the
    // replicas on another version than the primary.
    return this.#serial(`${rec.id}\0${name}`, () =>
      this.#commit(rec, name, tmp, final, dir, mirrors, head, info, opts),
    );
  }

  async #serial<T>(key: string, step: () => Promise<T>): Promise<T> {
    const prev = this.#commits.get(key) ?? Promise.resolve();
    let done!: () => void;
    const mine = new Promise<void>((r) => (done = r));
    const tail = prev.then(() => mine);
    this.#commits.set(key, tail);
    await prev;
    try {
      return await step();
    } finally {
      done();
      if (this.#commits.get(key) === tail) this.#commits.delete(key);
    }
  }

  async #commit(
    rec: ServiceRecord,
    name: string,
    tmp: string,
    final: string,
    dir: string,
    mirrors: Mirror[],
    head: Buffer | undefined,
    info: ObjectInfo,
    opts: WriteOptions,
  ): Promise<ObjectInfo> {
    try {
      await fsp.rename(tmp, final);
      if (this.#durable) await fsyncDir(dir);
    } catch (e) {
      await discard(tmp, mirrors);
      throw e;
    }
    // The replicas' copies become visible only after the object itself: a crash in between
    // leaves a replica with its previous version (behind its primary, never ahead of it).
    const mirrored = new Set<string>();
    for (const m of mirrors) {
      if (m.failed !== undefined) continue;
      try {
        await fsp.rename(m.tmp, this.pathOf(m.rec.id, name));
        if (this.#durable) await fsyncDir(this.dirOf(m.rec.id));
        mirrored.add(m.rec.id);
      } catch {
        // Left to afterPut, which copies it the old way (or marks the replica out of sync).
        await fsp.rm(m.tmp, { force: true });
      }
    }
    // Another put of the same name (this process or another) may have replaced the object
    // since this one's rename, and renamed its own replica copies before this one's: then the
    // replicas are left to afterPut, which copies the primary's current file, so they end on
    // the same version as the primary (as copies after the put always did).
    if (mirrored.size > 0 && head && !(await this.#holds(final, head))) mirrored.clear();
    if (!opts.system && this.hooks.afterPut.length) {
      for (const h of this.hooks.afterPut) await h(rec, name, info, mirrored);
    }
    return info;
  }

  /** Whether the file at `path` starts with `head` (the header of the body a put wrote: its
   * object id is random, so no other put's body starts the same way). */
  async #holds(path: string, head: Buffer): Promise<boolean> {
    let fh: fsp.FileHandle;
    try {
      fh = await fsp.open(path, 'r');
    } catch {
      return false;
    }
    try {
      const got = Buffer.alloc(head.length);
      await readFully(fh, got, got.length, 0);
      return got.equals(head);
    } finally {
      await fh.close();
    }
  }

  /** The replicas whose copy this put writes in its own loop (ObjectStoreHooks.mirrorsOf): each
   * gets the body's data key re-wrapped for its key hierarchy first (`ObjectCodec.adopt`), so
   * its file is readable the moment it is renamed. A replica that cannot be prepared is left
   * out here and handled by afterPut as before. */
  async #mirrorsFor(
    rec: ServiceRecord,
    name: string,
    codec: ObjectCodec,
    header: Buffer | undefined,
    into: Mirror[],
  ): Promise<void> {
    if (!this.hooks.mirrorsOf || !codec.adopt || !header) return;
    let targets: ServiceRecord[];
    try {
      targets = await this.hooks.mirrorsOf(rec);
    } catch {
      return; // afterPut meets the same failure and reports it as it always did
    }
    for (const dst of targets) {
      if (dst.kind !== 'replica' || dst.parentId !== rec.id || dst.status !== 'RUNNING') continue;
      try {
        await codec.adopt({ rec, name, lineage: rec.id }, dst, header);
        await fsp.mkdir(this.partialDirOf(dst.id), { recursive: true });
      } catch {
        continue;
      }
      into.push({ rec: dst, tmp: join(this.partialDirOf(dst.id), tempSuffix()), lineage: rec.id });
    }
  }

  async #open(rec: ServiceRecord, name: string): Promise<Opened> {
    let fh: fsp.FileHandle;
    try {
      fh = await fsp.open(this.pathOf(rec.id, name), 'r');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') throw objectMissing(rec, name);
      throw e;
    }
    try {
      const { size } = await fh.stat();
      const { info, lineage, bodyLength } = await readTrailer(fh, size);
      if (info.name !== name) {
        // Hash collision or a file moved by hand: never serve another object's body.
        throw objectMissing(rec, name);
      }
      return { fh, bodyLength, info, lineage: checkLineage(rec, lineage) };
    } catch (e) {
      await fh.close();
      throw e;
    }
  }

  /** Metadata of one object. */
  async stat(service: string | ServiceRecord, name: string): Promise<ObjectInfo> {
    checkName(name);
    const rec = await this.#running(service);
    const o = await this.#open(rec, name);
    await o.fh.close();
    return o.info;
  }

  /** A plaintext stream of the object (or of a byte range of it). Every chunk is authenticated
   * before it is emitted; a tampered object errors the stream with CMEK_INTEGRITY. The file is
   * opened before this returns, so a concurrent overwrite does not affect the read. */
  async get(service: string | ServiceRecord, name: string, range?: ByteRange): Promise<Readable> {
    checkName(name);
    const rec = await this.#running(service);
    const o = await this.#open(rec, name);
    try {
      const codec = this.#codec();
      const ref: BodyRef = { rec, name, lineage: o.lineage };
      if (range) {
        const reader = await codec.rangeReader(ref, ciphertextSource(o.fh, o.bodyLength));
        return rangeStream(o.fh, reader, range);
      }
      if (!codec.opener) return streamBody(o.fh, o.bodyLength, await codec.decryptor(ref));
      const prefix = await this.#prefix(o);
      return new BodyReadable(o.fh, await codec.opener(ref, prefix), o.bodyLength);
    } catch (e) {
      await o.fh.close();
      throw e;
    }
  }

  /** The first bytes of an open object's body: enough for its header. */
  async #prefix(o: Opened): Promise<Buffer> {
    const prefix = Buffer.allocUnsafe(Math.min(HEADER_PREFIX, o.bodyLength));
    const got = await readFully(o.fh, prefix, prefix.length, 0);
    return prefix.subarray(0, got);
  }

  /** Whole object into memory (convenience for small objects and tests). */
  async getBuffer(
    service: string | ServiceRecord,
    name: string,
    range?: ByteRange,
  ): Promise<Buffer> {
    const stream = await this.get(service, name, range);
    const parts: Buffer[] = [];
    for await (const c of stream) parts.push(c as Buffer);
    return Buffer.concat(parts);
  }

  /** Objects of a service, sorted by name. Listing needs no key (names are metadata), but the
   * service must be RUNNING like every data access. */
  async list(service: string | ServiceRecord, prefix = ''): Promise<ObjectInfo[]> {
    const rec = await this.#running(service);
    // Temp files of older versions were written beside the objects: listing drops those.
    await sweepTempFiles(this.dirOf(rec.id));
    let files: string[];
    try {
      files = await fsp.readdir(this.dirOf(rec.id));
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw e;
    }
    const out: ObjectInfo[] = [];
    for (const f of files) {
      if (f.startsWith('.') || !(f.endsWith('.obj') || f.endsWith('.hobj'))) continue;
      let fh: fsp.FileHandle;
      try {
        fh = await fsp.open(join(this.dirOf(rec.id), f), 'r');
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code === 'ENOENT') continue; // removed meanwhile
        throw e;
      }
      try {
        const { size } = await fh.stat();
        const { info } = await readTrailer(fh, size);
        if (info.name.startsWith(prefix)) out.push(info);
      } finally {
        await fh.close();
      }
    }
    return out.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  }

  /** Remove an object; false when it did not exist. */
  async remove(
    service: string | ServiceRecord,
    name: string,
    opts: WriteOptions = {},
  ): Promise<boolean> {
    checkName(name);
    const rec = await this.#running(service);
    const hooks = !opts.system;
    if (hooks) for (const h of this.hooks.beforeWrite) await h(rec, name);
    let existed = true;
    try {
      await fsp.rm(this.pathOf(rec.id, name));
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
      existed = false;
    }
    if (existed) await fsyncDir(this.dirOf(rec.id));
    // Replicas follow a remove even when the primary had no such object (they converge).
    if (hooks) for (const h of this.hooks.afterRemove) await h(rec, name);
    return existed;
  }

  /** A replica's copy of one object of its primary, made of the primary's ciphertext: the
   * codec re-wraps the body's data key for the replica's key hierarchy (`ObjectCodec.adopt`),
   * then the header and chunks are copied byte for byte and the trailer records the lineage
   * (the primary's id, whose encryption context the body stays bound to). Nothing is decrypted
   * or re-encrypted. A system write (no hooks); atomic like put. Returns undefined when the
   * primary has no such object (removed meanwhile). */
  async copyCiphertext(
    from: string | ServiceRecord,
    to: string | ServiceRecord,
    name: string,
  ): Promise<ObjectInfo | undefined> {
    checkName(name);
    const src = await this.#running(from);
    const dst = await this.#running(to);
    const codec = this.#codec();
    if (!codec.adopt) throw new Error('this codec cannot copy bodies as ciphertext');
    let o: Opened;
    try {
      o = await this.#open(src, name);
    } catch (e) {
      if (e instanceof DiagnosticError && e.diagnostics[0]?.summary.startsWith('No object')) {
        return undefined;
      }
      throw e;
    }
    const dir = this.dirOf(dst.id);
    const tmp = join(this.partialDirOf(dst.id), tempSuffix());
    try {
      if (o.lineage !== dst.id && !(dst.kind === 'replica' && dst.parentId === o.lineage)) {
        throw new Error(`${dst.name} cannot hold ciphertext bound to service ${o.lineage}`);
      }
      await codec.adopt({ rec: src, name, lineage: o.lineage }, dst, await this.#prefix(o));
      await fsp.mkdir(this.partialDirOf(dst.id), { recursive: true });
      await copyBody(
        o.fh,
        o.bodyLength,
        tmp,
        [encodeTrailer(o.info, o.lineage === dst.id ? undefined : o.lineage)],
        this.#durable,
      );
      await fsp.rename(tmp, this.pathOf(dst.id, name));
      if (this.#durable) await fsyncDir(dir);
      return o.info;
    } catch (e) {
      await fsp.rm(tmp, { force: true });
      throw e;
    } finally {
      await o.fh.close();
    }
  }

  /** Drop every object of a service (service deletion). No status check: deleting a STOPPED
   * service must work. */
  async removeAll(serviceId: string): Promise<void> {
    await fsp.rm(this.dirOf(serviceId), { recursive: true, force: true });
  }
}

/** Remove a failed put's temporary files (the object's and its replicas'). */
async function discard(tmp: string, mirrors: readonly Mirror[]): Promise<void> {
  await fsp.rm(tmp, { force: true });
  for (const m of mirrors) await fsp.rm(m.tmp, { force: true });
}
