// Service records on disk: `<data_dir>/services/<id>.json` (the record) and `<id>.keys.json`
// (its key hierarchy, wrapped keys only), each replaced atomically, each read-modify-write under
// the service's lock file `<id>.lock`.
import { promises as fsp } from 'node:fs';
import { join } from 'node:path';
import { diag, DiagnosticError, type Diagnostic } from '../model/diagnostics.js';
import { readJsonIfExists, withLock, writeJsonAtomic } from './fsutil.js';
import type { KeyRecord } from './keys.js';
import type { ServiceRecord } from './types.js';

const ID = /^svc-[0-9a-f]{16}$/;

export function notFound(ref: string): DiagnosticError {
  return new DiagnosticError(
    diag(
      'USAGE',
      `No service named or with id ${ref}`,
      'List the services with `cmek service ls` (and check --data-dir).',
    ),
  );
}

export class ServiceRecords {
  readonly dir: string;
  readonly #now: () => Date;

  constructor(dir: string, now: () => Date) {
    this.dir = dir;
    this.#now = now;
  }

  recordPath(id: string): string {
    return join(this.dir, `${id}.json`);
  }
  keyRecordPath(id: string): string {
    return join(this.dir, `${id}.keys.json`);
  }
  lockPath(id: string): string {
    return join(this.dir, `${id}.lock`);
  }
  /** Held while a service is created: "is the name free?" and "write it" are one step. */
  get namesLockPath(): string {
    return join(this.dir, '.names.lock');
  }

  /** Every service record. A record that cannot be parsed throws CONTROL_PLANE_CORRUPT, unless
   * `problems` is given: then it is skipped and its diagnostic pushed there. */
  async list(problems?: Diagnostic[]): Promise<ServiceRecord[]> {
    let names: string[];
    try {
      names = await fsp.readdir(this.dir);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw e;
    }
    const out: ServiceRecord[] = [];
    for (const n of names) {
      const m = /^(svc-[0-9a-f]{16})\.json$/.exec(n);
      if (!m) continue;
      const rec = await readJsonIfExists<ServiceRecord>(join(this.dir, n)).catch((e) => {
        if (!problems || !(e instanceof DiagnosticError)) throw e;
        problems.push(...e.diagnostics);
        return undefined;
      });
      if (rec) out.push(rec);
    }
    return out.sort((a, b) => a.name.localeCompare(b.name));
  }

  /** A service by id or name; undefined when there is none. */
  async get(ref: string): Promise<ServiceRecord | undefined> {
    if (ID.test(ref)) {
      const rec = await readJsonIfExists<ServiceRecord>(this.recordPath(ref));
      if (rec) return rec;
    }
    return (await this.list()).find((s) => s.name === ref);
  }

  /** Like get, but a missing service is an error. */
  async require(ref: string): Promise<ServiceRecord> {
    const rec = await this.get(ref);
    if (!rec) throw notFound(ref);
    return rec;
  }

  async readKeyRecord(id: string): Promise<KeyRecord> {
    const rec = await readJsonIfExists<KeyRecord>(this.keyRecordPath(id));
    if (!rec) throw new Error(`service ${id}: key hierarchy record is missing`);
    return rec;
  }

  writeKeyRecord(id: string, rec: KeyRecord): Promise<void> {
    return writeJsonAtomic(this.keyRecordPath(id), rec);
  }

  /** Write a new record (the caller holds namesLockPath). */
  writeNew(rec: ServiceRecord): Promise<void> {
    return writeJsonAtomic(this.recordPath(rec.id), rec);
  }

  /** Read-modify-write of one record under its lock. `fn` returns undefined to leave the record
   * as it is, else the next record (it may be the same object); generation and updatedAt are
   * advanced here. */
  async mutate(
    ref: string,
    operation: string,
    fn: (rec: ServiceRecord) => Promise<ServiceRecord | undefined>,
  ): Promise<ServiceRecord> {
    const found = await this.require(ref);
    return withLock(
      this.lockPath(found.id),
      async () => {
        const current = await readJsonIfExists<ServiceRecord>(this.recordPath(found.id));
        if (!current) throw notFound(ref);
        const next = await fn(structuredClone(current));
        if (!next) return current;
        next.generation = current.generation + 1;
        next.updatedAt = this.#now().toISOString();
        await writeJsonAtomic(this.recordPath(found.id), next);
        return next;
      },
      { operation },
    );
  }

  /** Remove a record and its key record, under its lock; `also` runs under the lock too. */
  async remove(id: string, also: () => Promise<void>): Promise<void> {
    await withLock(
      this.lockPath(id),
      async () => {
        await fsp.rm(this.recordPath(id), { force: true });
        await fsp.rm(this.keyRecordPath(id), { force: true });
        await also();
      },
      { operation: 'delete' },
    );
  }
}
